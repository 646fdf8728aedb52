package ec2emu

import (
	"context"
	"iter"
	"strconv"
	"strings"

	"github.com/ec2emu/ec2emu/internal/catalog"
	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// validateInstanceType rejects a type the catalogue does not know, with the
// code and message RunInstances answers on AWS.
func validateInstanceType(t string) error {
	if _, ok := catalog.Lookup(t); !ok {
		return apiErr(ErrInvalidParameterValue, "Invalid value '%s' for InstanceType.", t)
	}
	return nil
}

func boolStr(b bool) []string { return []string{strconv.FormatBool(b)} }

var instanceTypeFields = query.Fields[*xmlproto.InstanceTypeInfo]{ByName: map[string]func(*xmlproto.InstanceTypeInfo) []string{
	"instance-type":                   func(t *xmlproto.InstanceTypeInfo) []string { return one(t.InstanceType) },
	"current-generation":              func(t *xmlproto.InstanceTypeInfo) []string { return boolStr(t.CurrentGeneration) },
	"free-tier-eligible":              func(t *xmlproto.InstanceTypeInfo) []string { return boolStr(t.FreeTierEligible) },
	"bare-metal":                      func(t *xmlproto.InstanceTypeInfo) []string { return boolStr(t.BareMetal) },
	"burstable-performance-supported": func(t *xmlproto.InstanceTypeInfo) []string { return boolStr(t.BurstablePerformanceSupported) },
	"auto-recovery-supported":         func(t *xmlproto.InstanceTypeInfo) []string { return boolStr(t.AutoRecoverySupported) },
	"dedicated-hosts-supported":       func(t *xmlproto.InstanceTypeInfo) []string { return boolStr(t.DedicatedHostsSupported) },
	"hibernation-supported":           func(t *xmlproto.InstanceTypeInfo) []string { return boolStr(t.HibernationSupported) },
	"instance-storage-supported":      func(t *xmlproto.InstanceTypeInfo) []string { return boolStr(t.InstanceStorageSupported) },
	"hypervisor":                      func(t *xmlproto.InstanceTypeInfo) []string { return one(t.Hypervisor) },
	"processor-info.supported-architecture": func(t *xmlproto.InstanceTypeInfo) []string {
		return t.ProcessorInfo.SupportedArchitectures
	},
	"processor-info.sustained-clock-speed-in-ghz": func(t *xmlproto.InstanceTypeInfo) []string {
		if t.ProcessorInfo.SustainedClockSpeedInGhz == 0 {
			return nil
		}
		return one(strconv.FormatFloat(t.ProcessorInfo.SustainedClockSpeedInGhz, 'f', -1, 64))
	},
	"processor-info.manufacturer": func(t *xmlproto.InstanceTypeInfo) []string { return one(t.ProcessorInfo.Manufacturer) },
	"vcpu-info.default-vcpus":     func(t *xmlproto.InstanceTypeInfo) []string { return one(strconv.Itoa(t.VCPUInfo.DefaultVCPUs)) },
	"vcpu-info.default-cores":     func(t *xmlproto.InstanceTypeInfo) []string { return one(strconv.Itoa(t.VCPUInfo.DefaultCores)) },
	"vcpu-info.default-threads-per-core": func(t *xmlproto.InstanceTypeInfo) []string {
		return one(strconv.Itoa(t.VCPUInfo.DefaultThreadsPerCore))
	},
	"memory-info.size-in-mib":          func(t *xmlproto.InstanceTypeInfo) []string { return one(strconv.FormatInt(t.MemoryInfo.SizeInMiB, 10)) },
	"network-info.network-performance": func(t *xmlproto.InstanceTypeInfo) []string { return one(t.NetworkInfo.NetworkPerformance) },
	"network-info.ena-support":         func(t *xmlproto.InstanceTypeInfo) []string { return one(t.NetworkInfo.EnaSupport) },
	"network-info.ipv6-supported":      func(t *xmlproto.InstanceTypeInfo) []string { return boolStr(t.NetworkInfo.Ipv6Supported) },
	"network-info.efa-supported":       func(t *xmlproto.InstanceTypeInfo) []string { return boolStr(t.NetworkInfo.EfaSupported) },
	"network-info.maximum-network-interfaces": func(t *xmlproto.InstanceTypeInfo) []string {
		return one(strconv.Itoa(t.NetworkInfo.MaximumNetworkInterfaces))
	},
	"ebs-info.ebs-optimized-support": func(t *xmlproto.InstanceTypeInfo) []string { return one(t.EbsInfo.EbsOptimizedSupport) },
	"ebs-info.encryption-support":    func(t *xmlproto.InstanceTypeInfo) []string { return one(t.EbsInfo.EncryptionSupport) },
	"ebs-info.nvme-support":          func(t *xmlproto.InstanceTypeInfo) []string { return one(t.EbsInfo.NvmeSupport) },
	"supported-usage-class":          func(t *xmlproto.InstanceTypeInfo) []string { return t.SupportedUsageClasses },
	"supported-root-device-type":     func(t *xmlproto.InstanceTypeInfo) []string { return t.SupportedRootDeviceTypes },
	"supported-virtualization-type":  func(t *xmlproto.InstanceTypeInfo) []string { return t.SupportedVirtualizationTypes },
	"supported-boot-mode":            func(t *xmlproto.InstanceTypeInfo) []string { return t.SupportedBootModes },
}}

func (s *Server) describeInstanceTypes(ctx context.Context, c *call, req *xmlproto.DescribeInstanceTypesRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.InstanceTypes, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &describeInstanceTypesSpec)
}

var describeInstanceTypesSpec = describeSpec[*xmlproto.InstanceTypeInfo]{
	checkMax: func(max *int) error {
		if max != nil && (*max < 5 || *max > 100) {
			return apiErr(ErrInvalidParameterValue, "Value ( %d ) for parameter maxResults is invalid. Expecting a value between 5 and 100.", *max)
		}
		return nil
	},
	fields:   instanceTypeFields,
	unlocked: true, // the catalogue is fixed
	// The catalogue is fixed: an unknown type is a bad request, not a
	// resource that might exist, so it is refused before DryRun.
	checkIDs: func(names []string) error {
		var missing []string
		for _, t := range names {
			if _, ok := catalog.Lookup(t); !ok {
				missing = append(missing, t)
			}
		}
		if len(missing) > 0 {
			return apiErr(ErrInvalidInstanceType, "The following supplied instance types do not exist: [%s]", strings.Join(missing, ", "))
		}
		return nil
	},
	list: func(s *Server, ctx context.Context, c *call, names []string) (iter.Seq[*xmlproto.InstanceTypeInfo], error) {
		return named(pointers(catalog.Types()), names, func(t *xmlproto.InstanceTypeInfo) string { return t.InstanceType }), nil
	},
	emit: func(s *Server, c *call, page []*xmlproto.InstanceTypeInfo, next string) any {
		return &xmlproto.DescribeInstanceTypesResponse{InstanceTypes: values(page), NextToken: next}
	},
}

var offeringFields = query.Fields[*xmlproto.InstanceTypeOffering]{ByName: map[string]func(*xmlproto.InstanceTypeOffering) []string{
	"instance-type": func(o *xmlproto.InstanceTypeOffering) []string { return one(o.InstanceType) },
	"location":      func(o *xmlproto.InstanceTypeOffering) []string { return one(o.Location) },
}}

func (s *Server) describeInstanceTypeOfferings(ctx context.Context, c *call, req *xmlproto.DescribeInstanceTypeOfferingsRequest) (any, error) {
	lt := req.LocationType
	if lt == "" {
		lt = "region"
	}
	var locations []string
	switch lt {
	case "region":
		locations = []string{c.region}
	case "availability-zone":
		locations = catalog.ZoneNames(c.region)
	case "availability-zone-id":
		for i := range catalog.ZoneNames(c.region) {
			locations = append(locations, catalog.ZoneID(c.region, i))
		}
	case "outpost":
		// No outposts here: a valid location type with nothing in it.
	default:
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter locationType is invalid. Valid values are region, availability-zone, availability-zone-id and outpost.", req.LocationType)
	}
	spec := describeSpec[*xmlproto.InstanceTypeOffering]{
		fields:   offeringFields,
		unlocked: true, // the catalogue is fixed
		list: func(s *Server, ctx context.Context, c *call, _ []string) (iter.Seq[*xmlproto.InstanceTypeOffering], error) {
			return func(yield func(*xmlproto.InstanceTypeOffering) bool) {
				for _, loc := range locations {
					for _, t := range catalog.Types() {
						if !yield(&xmlproto.InstanceTypeOffering{InstanceType: t.InstanceType, LocationType: lt, Location: loc}) {
							return
						}
					}
				}
			}, nil
		},
		emit: func(s *Server, c *call, page []*xmlproto.InstanceTypeOffering, next string) any {
			return &xmlproto.DescribeInstanceTypeOfferingsResponse{InstanceTypeOfferings: values(page), NextToken: next}
		},
	}
	return describe(ctx, s, c, describeQuery{nil, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &spec)
}
