// Package catalog holds the fixed facts EC2 answers with: the commercial
// regions and their availability zones, and the instance-type catalogue
// (the common families with the figures DescribeInstanceTypes reports).
// Backends do not size machines by type; the catalogue answers clients that
// look types up (Terraform's aws_instance does), makes RunInstances reject
// unknown types as AWS does, and counts vCPUs for the quota.
package catalog

import (
	"strconv"
	"strings"

	"github.com/ec2emu/ec2emu/xmlproto"
)

// Region is one commercial region: its zone count and whether a fresh
// account must opt in to it.
type Region struct {
	Name  string
	Zones int
	OptIn bool
}

// Regions lists the commercial regions; the slice is shared and must not
// be changed.
var Regions = []Region{
	{"af-south-1", 3, true}, {"ap-east-1", 3, true}, {"ap-northeast-1", 3, false}, {"ap-northeast-2", 4, false},
	{"ap-northeast-3", 3, false}, {"ap-south-1", 3, false}, {"ap-south-2", 3, true}, {"ap-southeast-1", 3, false},
	{"ap-southeast-2", 3, false}, {"ap-southeast-3", 3, true}, {"ap-southeast-4", 3, true}, {"ca-central-1", 3, false},
	{"ca-west-1", 3, true}, {"eu-central-1", 3, false}, {"eu-central-2", 3, true}, {"eu-north-1", 3, false},
	{"eu-south-1", 3, true}, {"eu-south-2", 3, true}, {"eu-west-1", 3, false}, {"eu-west-2", 3, false},
	{"eu-west-3", 3, false}, {"il-central-1", 3, true}, {"me-central-1", 3, true}, {"me-south-1", 3, true},
	{"sa-east-1", 3, false}, {"us-east-1", 6, false}, {"us-east-2", 3, false}, {"us-west-1", 2, false},
	{"us-west-2", 4, false},
}

// ZoneNames returns region's availability zones (region + a, b, c, …). A
// region this table does not know (a client may name any) gets three.
func ZoneNames(region string) []string {
	n := 3
	for _, r := range Regions {
		if r.Name == region {
			n = r.Zones
		}
	}
	out := make([]string, n)
	for i := range n {
		out[i] = region + string(rune('a'+i))
	}
	return out
}

// ZoneID is the AZ ID in AWS's form: the region's country code whole, the
// initials of its direction (ne for northeast), its number, then -azN:
// us-east-1 → use1-az1, ap-northeast-1 → apne1-az1, eu-central-1 → euc1-az1.
func ZoneID(region string, i int) string {
	var short strings.Builder
	for j, part := range strings.Split(region, "-") {
		switch {
		case j == 0 || j == 2:
			short.WriteString(part)
		case strings.HasPrefix(part, "north") && len(part) > 5, strings.HasPrefix(part, "south") && len(part) > 5:
			short.WriteByte(part[0])
			short.WriteByte(part[5]) // northeast → ne, southwest → sw
		case part != "":
			short.WriteByte(part[0])
		}
	}
	return short.String() + "-az" + strconv.Itoa(i+1)
}

// DefaultInstanceType is what RunInstances uses when none is given. The
// current API model no longer names a default; the EC2 API reference long
// documented m1.small, and moto and LocalStack use it.
const DefaultInstanceType = "m1.small"

// family is one instance family; sizes lists "size:vCPUs:MiB:network
// performance" entries separated by "|".
type family struct {
	name         string
	arch         string // x86_64 or arm64
	hypervisor   string // nitro or xen; empty for bare metal
	manufacturer string
	clockGHz     float64
	threads      int  // threads per core
	burstable    bool // T families
	current      bool // currentGeneration as AWS reports it
	sizes        string
}

var families = []family{
	{"t1", "x86_64", "xen", "Intel", 0, 1, false, false, "micro:1:627:Very Low"},
	{"m1", "x86_64", "xen", "Intel", 0, 1, false, false, "small:1:1740:Low|medium:1:3840:Moderate|large:2:7680:Moderate|xlarge:4:15360:High"},
	{"t2", "x86_64", "xen", "Intel", 2.5, 1, true, true, "nano:1:512:Low to Moderate|micro:1:1024:Low to Moderate|small:1:2048:Low to Moderate|medium:2:4096:Low to Moderate|large:2:8192:Low to Moderate|xlarge:4:16384:Moderate|2xlarge:8:32768:Moderate"},
	{"t3", "x86_64", "nitro", "Intel", 2.5, 2, true, true, "nano:2:512:Up to 5 Gigabit|micro:2:1024:Up to 5 Gigabit|small:2:2048:Up to 5 Gigabit|medium:2:4096:Up to 5 Gigabit|large:2:8192:Up to 5 Gigabit|xlarge:4:16384:Up to 5 Gigabit|2xlarge:8:32768:Up to 5 Gigabit"},
	{"t3a", "x86_64", "nitro", "AMD", 2.2, 2, true, true, "nano:2:512:Up to 5 Gigabit|micro:2:1024:Up to 5 Gigabit|small:2:2048:Up to 5 Gigabit|medium:2:4096:Up to 5 Gigabit|large:2:8192:Up to 5 Gigabit|xlarge:4:16384:Up to 5 Gigabit|2xlarge:8:32768:Up to 5 Gigabit"},
	{"t4g", "arm64", "nitro", "AWS", 2.5, 1, true, true, "nano:2:512:Up to 5 Gigabit|micro:2:1024:Up to 5 Gigabit|small:2:2048:Up to 5 Gigabit|medium:2:4096:Up to 5 Gigabit|large:2:8192:Up to 5 Gigabit|xlarge:4:16384:Up to 5 Gigabit|2xlarge:8:32768:Up to 5 Gigabit"},
	{"m4", "x86_64", "xen", "Intel", 2.4, 2, false, true, "large:2:8192:Moderate|xlarge:4:16384:High|2xlarge:8:32768:High|4xlarge:16:65536:High|10xlarge:40:163840:10 Gigabit|16xlarge:64:262144:25 Gigabit"},
	{"m5", "x86_64", "nitro", "Intel", 3.1, 2, false, true, "large:2:8192:Up to 10 Gigabit|xlarge:4:16384:Up to 10 Gigabit|2xlarge:8:32768:Up to 10 Gigabit|4xlarge:16:65536:Up to 10 Gigabit|8xlarge:32:131072:10 Gigabit|12xlarge:48:196608:12 Gigabit|16xlarge:64:262144:20 Gigabit|24xlarge:96:393216:25 Gigabit|metal:96:393216:25 Gigabit"},
	{"m6i", "x86_64", "nitro", "Intel", 3.5, 2, false, true, "large:2:8192:Up to 12.5 Gigabit|xlarge:4:16384:Up to 12.5 Gigabit|2xlarge:8:32768:Up to 12.5 Gigabit|4xlarge:16:65536:Up to 12.5 Gigabit|8xlarge:32:131072:12.5 Gigabit|12xlarge:48:196608:18.75 Gigabit|16xlarge:64:262144:25 Gigabit|24xlarge:96:393216:37.5 Gigabit|32xlarge:128:524288:50 Gigabit|metal:128:524288:50 Gigabit"},
	{"m7g", "arm64", "nitro", "AWS", 2.6, 1, false, true, "medium:1:4096:Up to 12.5 Gigabit|large:2:8192:Up to 12.5 Gigabit|xlarge:4:16384:Up to 12.5 Gigabit|2xlarge:8:32768:Up to 15 Gigabit|4xlarge:16:65536:Up to 15 Gigabit|8xlarge:32:131072:15 Gigabit|12xlarge:48:196608:22.5 Gigabit|16xlarge:64:262144:30 Gigabit|metal:64:262144:30 Gigabit"},
	{"c4", "x86_64", "xen", "Intel", 2.9, 2, false, true, "large:2:3840:Moderate|xlarge:4:7680:High|2xlarge:8:15360:High|4xlarge:16:30720:High|8xlarge:36:61440:10 Gigabit"},
	{"c5", "x86_64", "nitro", "Intel", 3.4, 2, false, true, "large:2:4096:Up to 10 Gigabit|xlarge:4:8192:Up to 10 Gigabit|2xlarge:8:16384:Up to 10 Gigabit|4xlarge:16:32768:Up to 10 Gigabit|9xlarge:36:73728:12 Gigabit|12xlarge:48:98304:12 Gigabit|18xlarge:72:147456:25 Gigabit|24xlarge:96:196608:25 Gigabit|metal:96:196608:25 Gigabit"},
	{"c6i", "x86_64", "nitro", "Intel", 3.5, 2, false, true, "large:2:4096:Up to 12.5 Gigabit|xlarge:4:8192:Up to 12.5 Gigabit|2xlarge:8:16384:Up to 12.5 Gigabit|4xlarge:16:32768:Up to 12.5 Gigabit|8xlarge:32:65536:12.5 Gigabit|12xlarge:48:98304:18.75 Gigabit|16xlarge:64:131072:25 Gigabit|24xlarge:96:196608:37.5 Gigabit|32xlarge:128:262144:50 Gigabit|metal:128:262144:50 Gigabit"},
	{"r5", "x86_64", "nitro", "Intel", 3.1, 2, false, true, "large:2:16384:Up to 10 Gigabit|xlarge:4:32768:Up to 10 Gigabit|2xlarge:8:65536:Up to 10 Gigabit|4xlarge:16:131072:Up to 10 Gigabit|8xlarge:32:262144:10 Gigabit|12xlarge:48:393216:12 Gigabit|16xlarge:64:524288:20 Gigabit|24xlarge:96:786432:25 Gigabit|metal:96:786432:25 Gigabit"},
	{"r6i", "x86_64", "nitro", "Intel", 3.5, 2, false, true, "large:2:16384:Up to 12.5 Gigabit|xlarge:4:32768:Up to 12.5 Gigabit|2xlarge:8:65536:Up to 12.5 Gigabit|4xlarge:16:131072:Up to 12.5 Gigabit|8xlarge:32:262144:12.5 Gigabit|12xlarge:48:393216:18.75 Gigabit|16xlarge:64:524288:25 Gigabit|24xlarge:96:786432:37.5 Gigabit|32xlarge:128:1048576:50 Gigabit|metal:128:1048576:50 Gigabit"},
}

// freeTier lists the types AWS marks freeTierEligible.
var freeTier = map[string]bool{"t2.micro": true, "t3.micro": true}

// i386 lists the types that also run 32-bit AMIs.
var i386 = map[string]bool{"t1.micro": true, "m1.small": true, "m1.medium": true, "t2.nano": true, "t2.micro": true, "t2.small": true, "t2.medium": true}

// catalogue is every known type in family order, built once from families.
var catalogue, catalogueIndex = buildCatalogue()

func buildCatalogue() ([]xmlproto.InstanceTypeInfo, map[string]int) {
	var out []xmlproto.InstanceTypeInfo
	idx := map[string]int{}
	for _, f := range families {
		for entry := range strings.SplitSeq(f.sizes, "|") {
			p := strings.SplitN(entry, ":", 4)
			vcpus, _ := strconv.Atoi(p[1])
			mem, _ := strconv.ParseInt(p[2], 10, 64)
			idx[f.name+"."+p[0]] = len(out)
			out = append(out, typeInfo(f, p[0], vcpus, mem, p[3]))
		}
	}
	return out, idx
}

func typeInfo(f family, size string, vcpus int, mem int64, netPerf string) xmlproto.InstanceTypeInfo {
	name := f.name + "." + size
	metal := size == "metal"
	legacy := f.name == "t1" || f.name == "m1"
	it := xmlproto.InstanceTypeInfo{
		InstanceType: name, CurrentGeneration: f.current, FreeTierEligible: freeTier[name],
		SupportedUsageClasses:        []string{"on-demand", "spot"},
		SupportedRootDeviceTypes:     []string{"ebs"},
		SupportedVirtualizationTypes: []string{"hvm"},
		BareMetal:                    metal, Hypervisor: f.hypervisor,
		ProcessorInfo: xmlproto.ProcessorInfo{SupportedArchitectures: []string{f.arch}, SustainedClockSpeedInGhz: f.clockGHz, Manufacturer: f.manufacturer},
		VCPUInfo:      xmlproto.VCPUInfo{DefaultVCPUs: vcpus, DefaultCores: max(vcpus/f.threads, 1), DefaultThreadsPerCore: f.threads},
		MemoryInfo:    xmlproto.MemoryInfo{SizeInMiB: mem},
		EbsInfo:       xmlproto.EbsInfo{EbsOptimizedSupport: "default", EncryptionSupport: "supported", NvmeSupport: "required"},
		NetworkInfo: xmlproto.NetworkInfo{
			NetworkPerformance: netPerf, MaximumNetworkCards: 1, EnaSupport: "required", Ipv6Supported: true,
		},
		PlacementGroupInfo:            xmlproto.PlacementGroupInfo{SupportedStrategies: []string{"cluster", "partition", "spread"}},
		BurstablePerformanceSupported: f.burstable,
		// On-Demand hibernation: x86 types with under 150 GiB of memory.
		HibernationSupported:    !legacy && !metal && f.arch == "x86_64" && mem < 150*1024,
		AutoRecoverySupported:   !legacy && !metal,
		DedicatedHostsSupported: !f.burstable && !legacy,
		SupportedBootModes:      []string{"legacy-bios", "uefi"},
	}
	if metal {
		it.Hypervisor = ""
	}
	if i386[name] {
		it.ProcessorInfo.SupportedArchitectures = []string{"i386", "x86_64"}
	}
	switch {
	case f.arch == "arm64":
		it.SupportedBootModes = []string{"uefi"}
	case f.hypervisor == "xen":
		it.SupportedBootModes = []string{"legacy-bios"}
		it.EbsInfo.NvmeSupport = "unsupported"
		it.NetworkInfo.EnaSupport = "unsupported"
		if f.name == "m4" {
			it.NetworkInfo.EnaSupport = "supported"
		}
	}
	if f.name == "t2" {
		it.EbsInfo.EbsOptimizedSupport = "unsupported"
	}
	if f.burstable {
		it.PlacementGroupInfo.SupportedStrategies = []string{"partition", "spread"}
	}
	if legacy {
		it.SupportedRootDeviceTypes = []string{"ebs", "instance-store"}
		it.SupportedVirtualizationTypes = []string{"hvm", "paravirtual"}
		it.EbsInfo.EbsOptimizedSupport, it.EbsInfo.EncryptionSupport = "unsupported", "unsupported"
		it.NetworkInfo.Ipv6Supported = false
		it.PlacementGroupInfo.SupportedStrategies = []string{"partition", "spread"}
	}
	it.NetworkInfo.MaximumNetworkInterfaces, it.NetworkInfo.Ipv4AddressesPerInterface = eniLimits(vcpus, mem)
	if it.NetworkInfo.Ipv6Supported {
		it.NetworkInfo.Ipv6AddressesPerInterface = it.NetworkInfo.Ipv4AddressesPerInterface
	}
	return it
}

// eniLimits approximates the interface and per-interface address limits by
// size; AWS publishes them per type, and no client here depends on them.
func eniLimits(vcpus int, mem int64) (enis, ips int) {
	switch {
	case mem <= 1024:
		return 2, 2
	case mem <= 2048:
		return 3, 4
	case vcpus <= 2 && mem <= 4096:
		return 3, 6
	case vcpus <= 2:
		return 3, 10
	case vcpus <= 8:
		return 4, 15
	case vcpus <= 32:
		return 8, 30
	}
	return 15, 50
}

// VCPUs is the type's default vCPU count, 0 for a type the catalogue
// does not know.
func VCPUs(name string) int {
	i, ok := catalogueIndex[name]
	if !ok {
		return 0
	}
	return catalogue[i].VCPUInfo.DefaultVCPUs
}

// MaxVCPUs is the most vCPUs of any type in the catalogue.
var MaxVCPUs = func() int {
	n := 0
	for i := range catalogue {
		n = max(n, catalogue[i].VCPUInfo.DefaultVCPUs)
	}
	return n
}()

// Lookup finds a type by name; the result is shared and must not be
// changed.
func Lookup(name string) (*xmlproto.InstanceTypeInfo, bool) {
	i, ok := catalogueIndex[name]
	if !ok {
		return nil, false
	}
	return &catalogue[i], true
}

// Types returns every type, in family order; the slice is shared and must
// not be changed.
func Types() []xmlproto.InstanceTypeInfo { return catalogue }
