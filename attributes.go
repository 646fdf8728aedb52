package ec2emu

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ec2emu/ec2emu/xmlproto"
)

// Metadata keys for the attributes set at launch (see instances.go for the
// others). Docker labels cannot change after a container is created, so what
// ModifyInstanceAttribute and friends change later is kept in memory only.
const (
	mdAttrs    = "attributes" // instanceAttrs as JSON
	mdUserData = "user-data"  // base64, when at most maxStoredUserData long
)

// maxStoredUserData bounds the user data stored with a machine for
// re-adoption: backends keep metadata as short strings (labels, extradata).
const maxStoredUserData = 4096

// Root device defaults: every AMI the Server lists has one 8 GiB gp3 root
// volume at /dev/xvda (images.go).
const (
	rootDeviceName = "/dev/xvda"
	rootVolumeSize = 8
	rootVolumeType = "gp3"
)

// instanceAttrs are an instance's EC2 attributes beyond identity and state.
// They are stored as JSON with the machine at launch, so the field names are
// part of the metadata format.
type instanceAttrs struct {
	attrFlags
	Volumes []volume `json:"volumes,omitempty"` // root first
}

// attrFlags are the attributes held by value, so that they compare with ==
// (see viewKey). encoding/json writes them inline, as if declared in
// instanceAttrs.
type attrFlags struct {
	DisableAPITermination bool         `json:"disableApiTermination,omitempty"`
	DisableAPIStop        bool         `json:"disableApiStop,omitempty"`
	ShutdownBehavior      string       `json:"shutdownBehavior,omitempty"` // "stop" or "terminate"
	NoSourceDestCheck     bool         `json:"noSourceDestCheck,omitempty"`
	EbsOptimized          bool         `json:"ebsOptimized,omitempty"`
	Monitoring            bool         `json:"monitoring,omitempty"`
	CPUCredits            string       `json:"cpuCredits,omitempty"` // "" for types that never were burstable
	Metadata              metadataOpts `json:"metadataOptions"`
	AutoRecovery          string       `json:"autoRecovery,omitempty"`
	RebootMigration       string       `json:"rebootMigration,omitempty"`
	// What RunInstances accepted and DescribeInstances shows back, with
	// no effect on the machine (hibernation, CPU options, placement on a
	// host or in a group).
	Hibernation    bool          `json:"hibernation,omitempty"`
	Enclave        bool          `json:"enclave,omitempty"`
	CoreCount      int           `json:"coreCount,omitempty"`
	ThreadsPerCore int           `json:"threadsPerCore,omitempty"`
	Placement      placementOpts `json:"placement,omitzero"`
	// SpotRequestID is the Spot request of a Spot instance (spot.go).
	SpotRequestID string `json:"spotRequestId,omitempty"`
}

// placementOpts are the members of RunInstances' Placement besides the
// zone.
type placementOpts struct {
	Tenancy              string `json:"tenancy,omitempty"` // "" is default
	GroupName            string `json:"groupName,omitempty"`
	PartitionNumber      int    `json:"partitionNumber,omitempty"`
	HostID               string `json:"hostId,omitempty"`
	Affinity             string `json:"affinity,omitempty"`
	HostResourceGroupArn string `json:"hostResourceGroupArn,omitempty"`
}

// metadataOpts are the instance metadata service options.
type metadataOpts struct {
	HTTPTokens           string `json:"httpTokens"`
	HopLimit             int    `json:"hopLimit"`
	HTTPEndpoint         string `json:"httpEndpoint"`
	HTTPProtocolIPv6     string `json:"httpProtocolIpv6"`
	InstanceMetadataTags string `json:"instanceMetadataTags"`
}

// volume is an EBS volume created with an instance at launch.
type volume struct {
	Device              string         `json:"device"`
	Size                int            `json:"size"`
	Type                string         `json:"type"`
	Iops                int            `json:"iops,omitempty"`
	Throughput          int            `json:"throughput,omitempty"`
	DeleteOnTermination bool           `json:"deleteOnTermination"`
	Encrypted           bool           `json:"encrypted,omitempty"`
	Root                bool           `json:"root,omitempty"`
	Snapshot            string         `json:"snapshot,omitempty"` // the mapping's Ebs.SnapshotId
	Tags                []xmlproto.Tag `json:"tags,omitempty"`
}

// burstableDefaults gives the default CPU credit option of each burstable
// family (RunInstances docs: standard for T2, unlimited for T3/T3a/T4g).
var burstableDefaults = map[string]string{"t2": "standard", "t3": "unlimited", "t3a": "unlimited", "t4g": "unlimited"}

// defaultCredits returns the credit option a new instance of type t gets and
// whether t is burstable at all.
func defaultCredits(t string) (string, bool) {
	fam, _, _ := strings.Cut(t, ".")
	c, ok := burstableDefaults[fam]
	return c, ok
}

// defaultAttrs are the attributes of an instance launched with none given.
func defaultAttrs(instanceType string) instanceAttrs {
	credits, _ := defaultCredits(instanceType)
	return instanceAttrs{
		attrFlags: attrFlags{
			ShutdownBehavior: "stop",
			CPUCredits:       credits,
			Metadata: metadataOpts{HTTPTokens: "optional", HopLimit: 1, HTTPEndpoint: "enabled",
				HTTPProtocolIPv6: "disabled", InstanceMetadataTags: "disabled"},
			AutoRecovery:    "default",
			RebootMigration: "default",
		},
		Volumes: []volume{{Device: rootDeviceName, Size: rootVolumeSize, Type: rootVolumeType,
			Iops: defaultIops(rootVolumeType, rootVolumeSize), Throughput: defaultThroughput(rootVolumeType),
			DeleteOnTermination: true, Root: true}},
	}
}

// clone copies a, so instances of one reservation do not share volumes or tags.
func (a instanceAttrs) clone() instanceAttrs {
	a.Volumes = slices.Clone(a.Volumes)
	for i := range a.Volumes {
		a.Volumes[i].Tags = slices.Clone(a.Volumes[i].Tags)
	}
	return a
}

// volumeSizes are the sizes each EBS volume type accepts, in GiB.
var volumeSizes = map[string][2]int{
	"gp2": {1, 16384}, "gp3": {1, 65536}, "io1": {4, 16384}, "io2": {4, 65536},
	"st1": {125, 16384}, "sc1": {125, 16384}, "standard": {1, 1024},
}

func defaultIops(typ string, size int) int {
	switch typ {
	case "gp3":
		return 3000
	case "gp2":
		return min(max(3*size, 100), 16000)
	}
	return 0
}

func defaultThroughput(typ string) int {
	if typ == "gp3" {
		return 125
	}
	return 0
}

func oneOf(param, v string, allowed ...string) error {
	if !slices.Contains(allowed, v) {
		return apiErr(ErrInvalidParameterValue, "Value (%s) for parameter %s is invalid. Valid values: %s.", v, param, strings.Join(allowed, ", "))
	}
	return nil
}

// launchAttributes validates and collects the attributes RunInstances sets:
// protection flags, shutdown behaviour, EBS optimisation, monitoring, credit
// specification, metadata and maintenance options, and the block device
// mappings (volumes, with the tags of TagSpecification ResourceType=volume).
func (s *Server) launchAttributes(c *call, req *xmlproto.RunInstancesRequest, instanceType string) (instanceAttrs, error) {
	var extra xmlproto.RunInstancesAttributes
	if err := c.decode(&extra); err != nil {
		return instanceAttrs{}, err
	}
	a := defaultAttrs(instanceType)
	a.DisableAPITermination = req.DisableAPITermination != nil && *req.DisableAPITermination
	a.DisableAPIStop = req.DisableAPIStop != nil && *req.DisableAPIStop
	a.EbsOptimized = req.EbsOptimized != nil && *req.EbsOptimized
	a.Monitoring = req.Monitoring != nil && req.Monitoring.Enabled != nil && *req.Monitoring.Enabled
	if v := req.InstanceInitiatedShutdownBehavior; v != "" {
		if err := oneOf("InstanceInitiatedShutdownBehavior", v, "stop", "terminate"); err != nil {
			return a, err
		}
		a.ShutdownBehavior = v
	}
	if cs := extra.CreditSpecification; cs != nil {
		if err := oneOf("CpuCredits", cs.CPUCredits, "standard", "unlimited"); err != nil {
			return a, err
		}
		if _, ok := defaultCredits(instanceType); !ok {
			return a, apiErr(ErrInstanceCreditSpecificationNotSupported, "%s", creditsNotSupported(instanceType))
		}
		a.CPUCredits = cs.CPUCredits
	}
	if mo := extra.MetadataOptions; mo != nil {
		if err := a.Metadata.apply(mo.HTTPTokens, mo.HTTPPutResponseHopLimit, mo.HTTPEndpoint, mo.HTTPProtocolIPv6, mo.InstanceMetadataTags); err != nil {
			return a, err
		}
	}
	if mo := extra.MaintenanceOptions; mo != nil && mo.AutoRecovery != "" {
		if err := oneOf("AutoRecovery", mo.AutoRecovery, "disabled", "default"); err != nil {
			return a, err
		}
		a.AutoRecovery = mo.AutoRecovery
	}
	if err := a.applyLaunchOptions(req, &extra); err != nil {
		return a, err
	}
	if err := a.applyBlockDevices(req.BlockDeviceMappings); err != nil {
		return a, err
	}
	for _, ts := range req.TagSpecifications {
		if ts.ResourceType == "volume" {
			for i := range a.Volumes {
				a.Volumes[i].Tags = setTags(a.Volumes[i].Tags, ts.Tags)
			}
		}
	}
	return a, nil
}

// applyLaunchOptions keeps RunInstances' hibernation, CPU, enclave and
// placement options, which DescribeInstances shows as given.
func (a *instanceAttrs) applyLaunchOptions(req *xmlproto.RunInstancesRequest, extra *xmlproto.RunInstancesAttributes) error {
	if h := extra.HibernationOptions; h != nil && h.Configured != nil {
		a.Hibernation = *h.Configured
	}
	if e := extra.EnclaveOptions; e != nil && e.Enabled != nil {
		a.Enclave = *e.Enabled
	}
	if a.Hibernation && a.Enclave {
		return apiErr(ErrInvalidParameterCombination, "You can't enable hibernation and Nitro Enclaves on the same instance.")
	}
	if c := extra.CPUOptions; c != nil {
		if c.CoreCount != nil {
			if *c.CoreCount < 1 {
				return apiErr(ErrInvalidParameterValue, "Value (%d) for parameter coreCount is invalid. Expecting a value greater than 0.", *c.CoreCount)
			}
			a.CoreCount = *c.CoreCount
		}
		if c.ThreadsPerCore != nil {
			if *c.ThreadsPerCore != 1 && *c.ThreadsPerCore != 2 {
				return apiErr(ErrInvalidParameterValue, "Value (%d) for parameter threadsPerCore is invalid. Valid values are 1 and 2.", *c.ThreadsPerCore)
			}
			a.ThreadsPerCore = *c.ThreadsPerCore
		}
	}
	if p := req.Placement; p != nil {
		a.Placement = placementOpts{Tenancy: p.Tenancy, GroupName: p.GroupName, HostID: p.HostID, Affinity: p.Affinity,
			HostResourceGroupArn: p.HostResourceGroupArn}
		if p.PartitionNumber != nil {
			a.Placement.PartitionNumber = *p.PartitionNumber
		}
		if p.HostID != "" && p.Tenancy == "" {
			a.Placement.Tenancy = "host" // a host ID places the instance on a Dedicated Host
		}
		if p.HostID != "" && p.Tenancy != "" && p.Tenancy != "host" {
			return apiErr(ErrInvalidParameterCombination, "Placement.HostId can only be given with tenancy host, not %s.", p.Tenancy)
		}
	}
	return nil
}

// apply validates and sets the metadata options given (empty and nil keep
// the current value).
func (m *metadataOpts) apply(tokens string, hops *int, endpoint, ipv6, tags string) error {
	next := *m
	checks := []struct {
		param, v string
		dst      *string
		allowed  []string
	}{
		{"HttpTokens", tokens, &next.HTTPTokens, []string{"optional", "required"}},
		{"HttpEndpoint", endpoint, &next.HTTPEndpoint, []string{"enabled", "disabled"}},
		{"HttpProtocolIpv6", ipv6, &next.HTTPProtocolIPv6, []string{"enabled", "disabled"}},
		{"InstanceMetadataTags", tags, &next.InstanceMetadataTags, []string{"enabled", "disabled"}},
	}
	for _, c := range checks {
		if c.v == "" {
			continue
		}
		if err := oneOf(c.param, c.v, c.allowed...); err != nil {
			return err
		}
		*c.dst = c.v
	}
	if hops != nil {
		if *hops < 1 || *hops > 64 {
			return apiErr(ErrInvalidParameterValue, "Value (%d) for parameter HttpPutResponseHopLimit is invalid. Valid values are integers from 1 to 64.", *hops)
		}
		next.HopLimit = *hops
	}
	*m = next
	return nil
}

// applyBlockDevices turns RunInstances' BlockDeviceMapping.N into volumes: a
// mapping of the root device changes the root volume, other EBS mappings add
// volumes, NoDevice and ephemeral (VirtualName) mappings add none.
func (a *instanceAttrs) applyBlockDevices(bdms []xmlproto.BlockDeviceMappingRequest) error {
	seen := map[string]bool{}
	for i, m := range bdms {
		if m.DeviceName == "" {
			return apiErr(ErrMissingParameter, "The request must contain the parameter BlockDeviceMapping.%d.DeviceName", i+1)
		}
		if seen[m.DeviceName] {
			return apiErr(ErrInvalidBlockDeviceMapping, "The device '%s' is used in more than one block-device mapping", m.DeviceName)
		}
		seen[m.DeviceName] = true
		root := m.DeviceName == rootDeviceName
		if m.NoDevice != nil || m.Ebs == nil {
			if root && m.NoDevice != nil {
				return apiErr(ErrInvalidBlockDeviceMapping, "The device '%s' is the root device and cannot be suppressed with NoDevice", m.DeviceName)
			}
			continue // instance store or suppressed: no EBS volume
		}
		e := m.Ebs
		v := volume{Device: m.DeviceName, Type: "gp2", DeleteOnTermination: true}
		if root {
			v = a.Volumes[0]
		}
		if e.VolumeType != "" {
			if _, ok := volumeSizes[e.VolumeType]; !ok {
				return apiErr(ErrInvalidParameterValue, "Value (%s) for parameter volumeType is invalid. Valid values: gp2, gp3, io1, io2, sc1, st1, standard.", e.VolumeType)
			}
			v.Type = e.VolumeType
		}
		switch {
		case e.VolumeSize != nil:
			v.Size = *e.VolumeSize
		case !root && e.SnapshotID == "":
			return apiErr(ErrMissingParameter, "The request must contain the parameter size or snapshotId for BlockDeviceMapping.%d", i+1)
		case !root:
			v.Size = rootVolumeSize
		}
		if root && v.Size < rootVolumeSize {
			return apiErr(ErrInvalidBlockDeviceMapping, "Volume of size %dGB is smaller than snapshot, expect size >= %dGB", v.Size, rootVolumeSize)
		}
		if r := volumeSizes[v.Type]; v.Size < r[0] || v.Size > r[1] {
			return apiErr(ErrInvalidParameterValue, "Volume size %d GiB is out of range for volume type %s (%d to %d GiB).", v.Size, v.Type, r[0], r[1])
		}
		v.Iops, v.Throughput = defaultIops(v.Type, v.Size), defaultThroughput(v.Type)
		if e.Iops != nil {
			if v.Type != "io1" && v.Type != "io2" && v.Type != "gp3" {
				return apiErr(ErrInvalidParameterCombination, "The parameter iops is not supported for %s volumes.", v.Type)
			}
			v.Iops = *e.Iops
		} else if v.Type == "io1" || v.Type == "io2" {
			return apiErr(ErrMissingParameter, "The request must contain the parameter iops for %s volumes", v.Type)
		}
		if e.Throughput != nil {
			if v.Type != "gp3" {
				return apiErr(ErrInvalidParameterCombination, "The parameter throughput is not supported for %s volumes.", v.Type)
			}
			v.Throughput = *e.Throughput
		}
		if e.DeleteOnTermination != nil {
			v.DeleteOnTermination = *e.DeleteOnTermination
		}
		if e.Encrypted != nil {
			v.Encrypted = *e.Encrypted
		}
		if !root {
			v.Snapshot = e.SnapshotID
		}
		if root {
			a.Volumes[0] = v
		} else {
			a.Volumes = append(a.Volumes, v)
		}
	}
	return nil
}

// launchMetadata is what the backend stores for these attributes and the
// user data, so a restarted Server re-adopts them.
func launchMetadata(md map[string]string, a instanceAttrs, userData []byte) {
	b, _ := json.Marshal(a)
	md[mdAttrs] = string(b)
	if enc := base64.StdEncoding.EncodeToString(userData); len(userData) > 0 && len(enc) <= maxStoredUserData {
		md[mdUserData] = enc
	}
}

// adoptedAttrs reads launchMetadata's keys back; machines launched before
// these keys existed get the defaults of their type.
func adoptedAttrs(md map[string]string, instanceType string) (instanceAttrs, []byte) {
	a := defaultAttrs(instanceType)
	if s := md[mdAttrs]; s != "" {
		var got instanceAttrs
		if err := json.Unmarshal([]byte(s), &got); err == nil && len(got.Volumes) > 0 {
			a = got
		}
	}
	ud, _ := base64.StdEncoding.DecodeString(md[mdUserData])
	return a, ud
}

// volumeID is the ID of inst's volume at device: the root volume shares the
// instance's hex digits, the others hash them with the device, so IDs stay
// the same across restarts without being stored.
func volumeID(instanceID string, v volume) string {
	hexID := strings.TrimPrefix(instanceID, "i-")
	if v.Root {
		return "vol-" + hexID
	}
	return "vol-" + hashHex(instanceID+"\x00"+v.Device, len(hexID))
}

// viewAttrs sets the elements of inst's description that come from its
// attributes. Callers hold s.mu (read).
func (s *Server) viewAttrs(inst *instance, v *xmlproto.Instance) {
	a := &inst.attrs
	v.RootDeviceName = rootDeviceName
	v.EbsOptimized = a.EbsOptimized
	if a.SpotRequestID != "" {
		v.InstanceLifecycle, v.SpotInstanceRequestID = "spot", a.SpotRequestID
	}
	if a.Monitoring {
		v.Monitoring.State = "enabled"
	} else {
		v.Monitoring.State = "disabled"
	}
	v.MetadataOptions = &xmlproto.MetadataOptions{
		State: "applied", HTTPTokens: a.Metadata.HTTPTokens, HTTPPutResponseHopLimit: a.Metadata.HopLimit,
		HTTPEndpoint: a.Metadata.HTTPEndpoint, HTTPProtocolIPv6: a.Metadata.HTTPProtocolIPv6,
		InstanceMetadataTags: a.Metadata.InstanceMetadataTags,
	}
	v.MaintenanceOptions = &xmlproto.InstanceMaintenanceOptions{AutoRecovery: a.AutoRecovery, RebootMigration: a.RebootMigration}
	v.HibernationOptions = &xmlproto.HibernationOptions{Configured: &a.Hibernation}
	v.EnclaveOptions = &xmlproto.EnclaveOptions{Enabled: a.Enclave}
	if a.CoreCount > 0 || a.ThreadsPerCore > 0 {
		v.CPUOptions = &xmlproto.CPUOptions{}
		if a.CoreCount > 0 {
			v.CPUOptions.CoreCount = &a.CoreCount
		}
		if a.ThreadsPerCore > 0 {
			v.CPUOptions.ThreadsPerCore = &a.ThreadsPerCore
		}
	}
	p := a.Placement
	v.Placement.Tenancy = cmpOr(p.Tenancy, "default")
	v.Placement.GroupName, v.Placement.HostID, v.Placement.Affinity = p.GroupName, p.HostID, p.Affinity
	v.Placement.HostResourceGroupArn = p.HostResourceGroupArn
	if p.PartitionNumber > 0 {
		v.Placement.PartitionNumber = &p.PartitionNumber
	}
	v.BlockDeviceMappings = nil
	// EC2 lists the volumes once they are attached, and drops them when the
	// instance is terminated.
	switch inst.state {
	case stateRunning, stateStopping, stateStopped, stateShuttingDown:
		for _, vol := range instanceVolumes(inst) {
			a := vol.att
			v.BlockDeviceMappings = append(v.BlockDeviceMappings, xmlproto.InstanceBlockDeviceMapping{
				DeviceName: a.device,
				Ebs: xmlproto.EbsInstanceBlockDevice{
					VolumeID: vol.id, Status: a.state, AttachTime: a.at, DeleteOnTermination: a.deleteOnTerm,
				},
			})
		}
	}
}

// instanceVolumes are the volumes attached to inst, its root volume first.
// Callers hold s.mu.
func instanceVolumes(inst *instance) []*ebsVolume {
	var out []*ebsVolume
	if r := rootVolume(inst); r != nil {
		out = append(out, r)
	}
	return append(out, inst.vols...)
}

// attachmentState is the EBS attachment state of inst's volumes.
func attachmentState(inst *instance) string {
	if inst.state == stateShuttingDown {
		return "detaching"
	}
	return "attached"
}

var attrInstanceFields = map[string]func(*instance) []string{
	// Placement and hibernation as RunInstances gave them (replacing
	// instanceFields' fixed tenancy and empty placement group).
	"tenancy":                        func(i *instance) []string { return one(cmpOr(i.attrs.Placement.Tenancy, "default")) },
	"host-id":                        func(i *instance) []string { return one(i.attrs.Placement.HostID) },
	"affinity":                       func(i *instance) []string { return one(i.attrs.Placement.Affinity) },
	"placement-group-name":           func(i *instance) []string { return one(i.attrs.Placement.GroupName) },
	"hibernation-options.configured": func(i *instance) []string { return one(strconv.FormatBool(i.attrs.Hibernation)) },
	"placement-partition-number": func(i *instance) []string {
		if n := i.attrs.Placement.PartitionNumber; n > 0 {
			return one(strconv.Itoa(n))
		}
		return nil
	},
	"monitoring-state": func(i *instance) []string {
		if i.attrs.Monitoring {
			return one("enabled")
		}
		return one("disabled")
	},
	"block-device-mapping.device-name": func(i *instance) []string {
		return bdmField(i, func(v *ebsVolume) string { return v.att.device })
	},
	"block-device-mapping.volume-id": func(i *instance) []string {
		return bdmField(i, func(v *ebsVolume) string { return v.id })
	},
	"block-device-mapping.delete-on-termination": func(i *instance) []string {
		return bdmField(i, func(v *ebsVolume) string { return strconv.FormatBool(v.att.deleteOnTerm) })
	},
	"block-device-mapping.status": func(i *instance) []string {
		return bdmField(i, func(v *ebsVolume) string { return v.att.state })
	},
	"block-device-mapping.attach-time": func(i *instance) []string {
		return bdmField(i, func(v *ebsVolume) string { return v.att.at.UTC().Format(xmlproto.TimeFormat) })
	},
	"ebs-optimized":                       func(i *instance) []string { return one(strconv.FormatBool(i.attrs.EbsOptimized)) },
	"metadata-options.http-tokens":        func(i *instance) []string { return one(i.attrs.Metadata.HTTPTokens) },
	"metadata-options.http-endpoint":      func(i *instance) []string { return one(i.attrs.Metadata.HTTPEndpoint) },
	"metadata-options.http-protocol-ipv6": func(i *instance) []string { return one(i.attrs.Metadata.HTTPProtocolIPv6) },
	"metadata-options.http-put-response-hop-limit": func(i *instance) []string {
		return one(strconv.Itoa(i.attrs.Metadata.HopLimit))
	},
	"metadata-options.instance-metadata-tags": func(i *instance) []string { return one(i.attrs.Metadata.InstanceMetadataTags) },
	"maintenance-options.auto-recovery":       func(i *instance) []string { return one(i.attrs.AutoRecovery) },
}

// The attribute filters live here, next to the attributes; monitoring-state
// replaces the fixed answer instances.go gives.
func init() { maps.Copy(instanceFields.ByName, attrInstanceFields) }

func unknownAttribute(name string) error {
	return apiErr(ErrInvalidParameterValue, "Value (%s) for parameter attribute is invalid. Unknown attribute.", name)
}

// oneInstance validates id and finds it for an attribute call. Callers hold
// s.mu.
func (s *Server) oneInstance(sc scope, id string) (*instance, error) {
	if id == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter InstanceId")
	}
	if err := checkInstanceID(id); err != nil {
		return nil, err
	}
	insts, err := s.lookup(s.tenants[sc], []string{id}, s.cfg.now())
	if err != nil {
		return nil, err
	}
	return insts[0], nil
}

// liveInstance finds id for a Modify action: it must exist and be neither
// terminated nor shutting down. Callers hold s.mu (write).
func (s *Server) liveInstance(sc scope, id string) (*instance, error) {
	inst, err := s.oneInstance(sc, id)
	if err != nil {
		return nil, err
	}
	if inst.state == stateTerminated || inst.state == stateShuttingDown {
		return nil, notInState(inst, "modified")
	}
	return inst, nil
}

func boolValue(b bool) *xmlproto.AttributeBooleanValue {
	return &xmlproto.AttributeBooleanValue{Value: &b}
}

func stringValue(s string) *xmlproto.AttributeValue { return &xmlproto.AttributeValue{Value: &s} }

func (s *Server) describeInstanceAttribute(ctx context.Context, c *call, req *xmlproto.DescribeInstanceAttributeRequest) (any, error) {
	if req.Attribute == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter attribute")
	}
	// The attribute is checked before the instance, as EC2 does.
	if attributeTable[req.Attribute].describe == nil {
		return nil, unknownAttribute(req.Attribute)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	inst, err := s.oneInstance(c.scope, req.InstanceID)
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	out := &xmlproto.InstanceAttribute{InstanceID: inst.id}
	attributeTable[req.Attribute].describe(s, inst, out)
	return out, nil
}

// attrChange is one ModifyInstanceAttribute request reduced to its
// attribute and value, whichever form the client used.
type attrChange struct {
	name   string
	str    *string // string forms, and the Attribute+Value form
	bdms   []xmlproto.InstanceBlockDeviceMappingSpecification
	groups []string // groupSet: GroupId.N
}

func modifyForms(req *xmlproto.ModifyInstanceAttributeRequest) ([]attrChange, error) {
	var out []attrChange
	addBool := func(name string, v *xmlproto.AttributeBooleanValue) {
		if v != nil {
			ch := attrChange{name: name}
			if v.Value != nil {
				s := strconv.FormatBool(*v.Value)
				ch.str = &s
			}
			out = append(out, ch)
		}
	}
	addStr := func(name string, v *xmlproto.AttributeValue) {
		if v != nil {
			out = append(out, attrChange{name: name, str: v.Value})
		}
	}
	addBool("sourceDestCheck", req.SourceDestCheck)
	addBool("disableApiStop", req.DisableAPIStop)
	addBool("disableApiTermination", req.DisableAPITermination)
	addBool("ebsOptimized", req.EbsOptimized)
	addBool("enaSupport", req.EnaSupport)
	addStr("instanceType", req.InstanceType)
	addStr("instanceInitiatedShutdownBehavior", req.InstanceInitiatedShutdownBehavior)
	addStr("kernel", req.Kernel)
	addStr("ramdisk", req.Ramdisk)
	addStr("sriovNetSupport", req.SriovNetSupport)
	addStr("userData", req.UserData)
	if len(req.Groups) > 0 {
		out = append(out, attrChange{name: "groupSet", groups: req.Groups})
	}
	if len(req.BlockDeviceMappings) > 0 {
		out = append(out, attrChange{name: "blockDeviceMapping", bdms: req.BlockDeviceMappings})
	}
	if req.Attribute != "" {
		if !attributeTable[req.Attribute].modifiable {
			return nil, unknownAttribute(req.Attribute)
		}
		// Attribute=X with X's typed member as well names one attribute.
		if !slices.ContainsFunc(out, func(c attrChange) bool { return c.name == req.Attribute }) {
			out = append(out, attrChange{name: req.Attribute, str: req.Value})
		}
	}
	names := make([]string, len(out))
	for i, c := range out {
		names[i] = c.name
	}
	if err := oneAttribute(names, apiErr(ErrInvalidParameterCombination, "No attributes specified.")); err != nil {
		return nil, err
	}
	return out, nil
}

// oneAttribute is EC2's rule for the Modify*Attribute actions that change
// one attribute per call: names are those the request sets; none is the
// action's own error, more than one InvalidParameterCombination.
func oneAttribute(names []string, none error) error {
	switch len(names) {
	case 0:
		return none
	case 1:
		return nil
	}
	return apiErr(ErrInvalidParameterCombination, "Fields for multiple attribute types specified: %s", strings.Join(names, ", "))
}

func (s *Server) modifyInstanceAttribute(ctx context.Context, c *call, req *xmlproto.ModifyInstanceAttributeRequest) (any, error) {
	forms, err := modifyForms(req)
	if err != nil {
		return nil, err
	}
	ch := forms[0]
	attr := attributeTable[ch.name]
	if attr.apply == nil {
		return nil, apiErr(ErrUnsupportedOperation, "Modifying the attribute %s is not supported by this emulator.", ch.name)
	}
	if ch.name == "groupSet" && len(ch.groups) == 0 {
		// Attribute=groupSet names the attribute but carries no GroupId.N.
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter groupId")
	}
	if ch.name != "blockDeviceMapping" && ch.name != "groupSet" && ch.str == nil {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter value")
	}
	// Validate the value before looking at the instance: nothing depends on it.
	var v attrValue
	if attr.parse != nil {
		if err := attr.parse(ch, &v); err != nil {
			return nil, err
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	inst, err := s.liveInstance(c.scope, req.InstanceID)
	if err != nil {
		return nil, err
	}
	if attr.needsStopped && inst.state != stateStopped {
		return nil, apiErr(ErrIncorrectInstanceState, "The instance '%s' is not in the 'stopped' state.", inst.id)
	}
	if attr.resolve != nil {
		if err := attr.resolve(inst, ch, &v); err != nil {
			return nil, err
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	attr.apply(inst, ch, &v)
	s.touch(inst)
	if len(v.dots) > 0 {
		s.touchTenant(inst.tenant, partVolumes)
	}
	if ch.name == "groupSet" {
		s.accessChanged() // other groups, other forwarded ports
	}
	return &xmlproto.Return{Return: true}, nil
}

func (s *Server) modifyInstanceMaintenanceOptions(ctx context.Context, c *call, req *xmlproto.ModifyInstanceMaintenanceOptionsRequest) (any, error) {
	if req.AutoRecovery != "" {
		if err := oneOf("AutoRecovery", req.AutoRecovery, "disabled", "default"); err != nil {
			return nil, err
		}
	}
	if req.RebootMigration != "" {
		if err := oneOf("RebootMigration", req.RebootMigration, "disabled", "default"); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, err := s.liveInstance(c.scope, req.InstanceID)
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.touch(inst)
	a := &inst.attrs
	if req.AutoRecovery != "" {
		a.AutoRecovery = req.AutoRecovery
	}
	if req.RebootMigration != "" {
		a.RebootMigration = req.RebootMigration
	}
	return &xmlproto.ModifyInstanceMaintenanceOptionsResponse{InstanceID: inst.id, AutoRecovery: a.AutoRecovery, RebootMigration: a.RebootMigration}, nil
}

func (s *Server) modifyInstanceMetadataOptions(ctx context.Context, c *call, req *xmlproto.ModifyInstanceMetadataOptionsRequest) (any, error) {
	var check metadataOpts
	if err := check.apply(req.HTTPTokens, req.HTTPPutResponseHopLimit, req.HTTPEndpoint, req.HTTPProtocolIPv6, req.InstanceMetadataTags); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, err := s.liveInstance(c.scope, req.InstanceID)
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.touch(inst)
	m := &inst.attrs.Metadata
	_ = m.apply(req.HTTPTokens, req.HTTPPutResponseHopLimit, req.HTTPEndpoint, req.HTTPProtocolIPv6, req.InstanceMetadataTags)
	// A running instance picks the change up a moment later: EC2 answers
	// pending here and applied in later DescribeInstances calls.
	state := "applied"
	if inst.state == stateRunning || inst.state == statePending {
		state = "pending"
	}
	return &xmlproto.ModifyInstanceMetadataOptionsResponse{InstanceID: inst.id, InstanceMetadataOptions: xmlproto.MetadataOptions{
		State: state, HTTPTokens: m.HTTPTokens, HTTPPutResponseHopLimit: m.HopLimit, HTTPEndpoint: m.HTTPEndpoint,
		HTTPProtocolIPv6: m.HTTPProtocolIPv6, InstanceMetadataTags: m.InstanceMetadataTags,
	}}, nil
}

// attrValue is a ModifyInstanceAttribute value once checked.
type attrValue struct {
	flag     bool
	userData []byte
	dots     []*ebsVolume               // blockDeviceMapping: the volumes to change
	groups   []xmlproto.GroupIdentifier // groupSet: resolved in the instance's VPC
}

// instanceAttr is one instance attribute: how DescribeInstanceAttribute
// shows it and how ModifyInstanceAttribute changes it, each rule in one
// place.
type instanceAttr struct {
	// describe fills the attribute's element; nil: not describable.
	describe func(s *Server, inst *instance, out *xmlproto.InstanceAttribute)
	// modifiable: the model's ModifyInstanceAttribute accepts the name.
	modifiable bool
	// needsStopped: EC2 changes it only on a stopped instance.
	needsStopped bool
	// parse checks a change's value before the instance is looked at.
	parse func(ch attrChange, v *attrValue) error
	// resolve checks a change against the instance (s.mu held).
	resolve func(inst *instance, ch attrChange, v *attrValue) error
	// apply makes the change; nil: this emulator does not change it.
	apply func(inst *instance, ch attrChange, v *attrValue)
}

// boolAttr is an attribute that is a flag of the instance's attributes.
// negate is set for an attribute stored as its opposite; elem is its
// element in DescribeInstanceAttribute's answer.
func boolAttr(field func(*instanceAttrs) *bool, negate bool, elem func(*xmlproto.InstanceAttribute) **xmlproto.AttributeBooleanValue) instanceAttr {
	return instanceAttr{
		describe: func(_ *Server, inst *instance, out *xmlproto.InstanceAttribute) {
			*elem(out) = boolValue(*field(&inst.attrs) != negate)
		},
		modifiable: true,
		parse: func(ch attrChange, v *attrValue) error {
			switch strings.ToLower(*ch.str) {
			case "true":
				v.flag = true
			case "false":
			default:
				return apiErr(ErrInvalidParameterValue, "Value (%s) for parameter value is invalid. Expected 'true' or 'false'.", *ch.str)
			}
			return nil
		},
		apply: func(inst *instance, _ attrChange, v *attrValue) { *field(&inst.attrs) = v.flag != negate },
	}
}

// fixed is the describe of an attribute whose answer never changes here.
func fixed(set func(out *xmlproto.InstanceAttribute)) func(*Server, *instance, *xmlproto.InstanceAttribute) {
	return func(_ *Server, _ *instance, out *xmlproto.InstanceAttribute) { set(out) }
}

// attributeTable is the one table of instance attributes: the model's
// InstanceAttributeName enum (describable) and ModifyInstanceAttribute's
// names (modifiable).
var attributeTable = map[string]instanceAttr{
	"disableApiTermination": boolAttr(func(a *instanceAttrs) *bool { return &a.DisableAPITermination }, false,
		func(o *xmlproto.InstanceAttribute) **xmlproto.AttributeBooleanValue { return &o.DisableAPITermination }),
	"disableApiStop": boolAttr(func(a *instanceAttrs) *bool { return &a.DisableAPIStop }, false,
		func(o *xmlproto.InstanceAttribute) **xmlproto.AttributeBooleanValue { return &o.DisableAPIStop }),
	"sourceDestCheck": boolAttr(func(a *instanceAttrs) *bool { return &a.NoSourceDestCheck }, true,
		func(o *xmlproto.InstanceAttribute) **xmlproto.AttributeBooleanValue { return &o.SourceDestCheck }),
	"ebsOptimized": func() instanceAttr {
		a := boolAttr(func(a *instanceAttrs) *bool { return &a.EbsOptimized }, false,
			func(o *xmlproto.InstanceAttribute) **xmlproto.AttributeBooleanValue { return &o.EbsOptimized })
		a.needsStopped = true
		return a
	}(),
	"instanceType": {
		describe: func(_ *Server, inst *instance, out *xmlproto.InstanceAttribute) {
			out.InstanceType = stringValue(inst.instanceType)
		},
		modifiable: true, needsStopped: true,
		parse: func(ch attrChange, _ *attrValue) error { return validateInstanceType(*ch.str) },
		apply: func(inst *instance, ch attrChange, _ *attrValue) {
			inst.instanceType = *ch.str
			// A burstable type gets its family's credit option if it had
			// none; one resized away keeps its option, as EC2 reports it.
			if credits, ok := defaultCredits(inst.instanceType); ok && inst.attrs.CPUCredits == "" {
				inst.attrs.CPUCredits = credits
			}
		},
	},
	"instanceInitiatedShutdownBehavior": {
		describe: func(_ *Server, inst *instance, out *xmlproto.InstanceAttribute) {
			out.InstanceInitiatedShutdownBehavior = stringValue(inst.attrs.ShutdownBehavior)
		},
		modifiable: true,
		parse: func(ch attrChange, _ *attrValue) error {
			return oneOf("instanceInitiatedShutdownBehavior", *ch.str, "stop", "terminate")
		},
		apply: func(inst *instance, ch attrChange, _ *attrValue) { inst.attrs.ShutdownBehavior = *ch.str },
	},
	"userData": {
		describe: func(_ *Server, inst *instance, out *xmlproto.InstanceAttribute) {
			out.UserData = &xmlproto.AttributeValue{}
			if len(inst.userData) > 0 {
				out.UserData = stringValue(base64.StdEncoding.EncodeToString(inst.userData))
			}
		},
		modifiable: true, needsStopped: true,
		parse: func(ch attrChange, v *attrValue) error {
			b, err := xmlproto.DecodeBase64(*ch.str)
			if err != nil {
				return apiErr(ErrInvalidUserDataMalformed, "Invalid BASE64 encoding of user data.")
			}
			if len(b) > maxUserData {
				return apiErr(ErrInvalidParameterValue, "User data is limited to %d bytes", maxUserData)
			}
			v.userData = b
			return nil
		},
		apply: func(inst *instance, _ attrChange, v *attrValue) { inst.userData = v.userData },
	},
	"groupSet": {
		describe: func(_ *Server, inst *instance, out *xmlproto.InstanceAttribute) {
			groups := []xmlproto.GroupIdentifier{}
			if n := liveNIC(inst); n != nil {
				groups = slices.Clone(n.groups)
			}
			out.Groups = &groups
		},
		modifiable: true,
		resolve: func(inst *instance, ch attrChange, v *attrValue) error {
			for _, id := range ch.groups {
				g, err := inst.tenant.net.groupByID(id)
				if err != nil {
					return err
				}
				if n := liveNIC(inst); n == nil || g.vpcID != n.vpcID {
					return apiErr(ErrInvalidGroupNotFound, "The security group '%s' does not exist in the instance's VPC", id)
				}
				if !slices.ContainsFunc(v.groups, func(x xmlproto.GroupIdentifier) bool { return x.GroupID == g.id }) {
					v.groups = append(v.groups, xmlproto.GroupIdentifier{GroupID: g.id, GroupName: g.name})
				}
			}
			return nil
		},
		apply: func(inst *instance, _ attrChange, v *attrValue) { inst.nic.groups = v.groups },
	},
	"blockDeviceMapping": {
		describe: func(s *Server, inst *instance, out *xmlproto.InstanceAttribute) {
			var v xmlproto.Instance
			s.viewAttrs(inst, &v)
			bdm := v.BlockDeviceMappings
			out.BlockDeviceMappings = &bdm
		},
		modifiable: true,
		resolve: func(inst *instance, ch attrChange, v *attrValue) error {
			vols := instanceVolumes(inst)
			for _, m := range ch.bdms {
				i := slices.IndexFunc(vols, func(v *ebsVolume) bool { return v.att.device == m.DeviceName })
				if i < 0 {
					return apiErr(ErrInvalidParameterValue, "No device is currently mapped at %s", m.DeviceName)
				}
				if m.Ebs == nil || m.Ebs.DeleteOnTermination == nil {
					return apiErr(ErrMissingParameter, "The request must contain the parameter BlockDeviceMapping.Ebs.DeleteOnTermination for %s", m.DeviceName)
				}
				if m.Ebs.VolumeID != "" && m.Ebs.VolumeID != vols[i].id {
					return apiErr(ErrInvalidParameterValue, "The volume '%s' is not attached to %s at %s", m.Ebs.VolumeID, inst.id, m.DeviceName)
				}
				v.dots = append(v.dots, vols[i])
			}
			return nil
		},
		apply: func(inst *instance, ch attrChange, v *attrValue) {
			for i, vol := range v.dots {
				dot := *ch.bdms[i].Ebs.DeleteOnTermination
				if vol.root {
					// A new slice, not a change in place: a DescribeInstances
					// item encoded earlier is known stale by its volumes'
					// identity (viewKey).
					vols := slices.Clone(inst.attrs.Volumes)
					vols[0].DeleteOnTermination = dot
					inst.attrs.Volumes = vols
				} else {
					vol.att.deleteOnTerm = dot
					inst.volGen++
				}
			}
		},
	},
	// Describable, and accepted by ModifyInstanceAttribute, but fixed here.
	"kernel": {
		describe:   fixed(func(out *xmlproto.InstanceAttribute) { out.Kernel = &xmlproto.AttributeValue{} }), // HVM instances have none
		modifiable: true, needsStopped: true,
	},
	"ramdisk": {
		describe:   fixed(func(out *xmlproto.InstanceAttribute) { out.Ramdisk = &xmlproto.AttributeValue{} }),
		modifiable: true, needsStopped: true,
	},
	"sriovNetSupport": {
		describe:   fixed(func(out *xmlproto.InstanceAttribute) { out.SriovNetSupport = &xmlproto.AttributeValue{} }),
		modifiable: true, needsStopped: true,
	},
	"enaSupport": {
		describe:   fixed(func(out *xmlproto.InstanceAttribute) { out.EnaSupport = boolValue(true) }),
		modifiable: true, needsStopped: true,
	},
	"enclaveOptions": {
		describe: func(s *Server, inst *instance, out *xmlproto.InstanceAttribute) {
			out.EnclaveOptions = &xmlproto.EnclaveOptions{Enabled: inst.attrs.Enclave}
		},
		modifiable: true,
	},
	"nvmeSupport": {modifiable: true},
	// Describable only.
	"rootDeviceName": {describe: fixed(func(out *xmlproto.InstanceAttribute) { out.RootDeviceName = stringValue(rootDeviceName) })},
	"productCodes":   {describe: fixed(func(out *xmlproto.InstanceAttribute) { out.ProductCodes = &[]xmlproto.ProductCode{} })},
}

// bdmField is a block-device-mapping.* filter's values: f of each volume
// attached to i.
func bdmField(i *instance, f func(*ebsVolume) string) []string {
	var out []string
	for _, v := range instanceVolumes(i) {
		out = append(out, f(v))
	}
	return out
}
