package ec2emu

import (
	"context"
	"slices"
	"strings"

	"github.com/ec2emu/ec2emu/xmlproto"
)

// regionInfo is one commercial region: its zone count and whether a
// fresh account must opt in to it.
type regionInfo struct {
	name  string
	zones int
	optIn bool
}

// regions lists the commercial regions.
var regions = []regionInfo{
	{"af-south-1", 3, true}, {"ap-east-1", 3, true}, {"ap-northeast-1", 3, false}, {"ap-northeast-2", 4, false},
	{"ap-northeast-3", 3, false}, {"ap-south-1", 3, false}, {"ap-south-2", 3, true}, {"ap-southeast-1", 3, false},
	{"ap-southeast-2", 3, false}, {"ap-southeast-3", 3, true}, {"ap-southeast-4", 3, true}, {"ca-central-1", 3, false},
	{"ca-west-1", 3, true}, {"eu-central-1", 3, false}, {"eu-central-2", 3, true}, {"eu-north-1", 3, false},
	{"eu-south-1", 3, true}, {"eu-south-2", 3, true}, {"eu-west-1", 3, false}, {"eu-west-2", 3, false},
	{"eu-west-3", 3, false}, {"il-central-1", 3, true}, {"me-central-1", 3, true}, {"me-south-1", 3, true},
	{"sa-east-1", 3, false}, {"us-east-1", 6, false}, {"us-east-2", 3, false}, {"us-west-1", 2, false},
	{"us-west-2", 4, false},
}

// zoneNames returns region's availability zones (region + a, b, c, …). A
// region this table does not know (a client may name any) gets three.
func zoneNames(region string) []string {
	n := 3
	for _, r := range regions {
		if r.name == region {
			n = r.zones
		}
	}
	out := make([]string, n)
	for i := range n {
		out[i] = region + string(rune('a'+i))
	}
	return out
}

// zoneID is the AZ ID, e.g. use1-az1; the scheme only needs to be stable.
func zoneID(region string, i int) string {
	short := []byte{}
	for j, part := range strings.Split(region, "-") {
		if j == 2 {
			short = append(short, part...)
		} else if part != "" {
			short = append(short, part[0])
		}
	}
	return string(short) + "-az" + string(rune('1'+i))
}

var regionFields = fields[*xmlproto.Region]{byName: map[string]func(*xmlproto.Region) []string{
	"region-name":   func(r *xmlproto.Region) []string { return one(r.RegionName) },
	"endpoint":      func(r *xmlproto.Region) []string { return one(r.Endpoint) },
	"opt-in-status": func(r *xmlproto.Region) []string { return one(r.OptInStatus) },
}}

func (s *Server) describeRegions(ctx context.Context, c *call) (any, error) {
	var req xmlproto.DescribeRegionsRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	fs, err := compileFilters(req.Filters, regionFields)
	if err != nil {
		return nil, err
	}
	for _, n := range req.RegionNames {
		if !slices.ContainsFunc(regions, func(r regionInfo) bool { return r.name == n }) {
			return nil, apiErr(ErrInvalidParameterValue, "Invalid region name: %s", n)
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	out := &xmlproto.DescribeRegionsResponse{Regions: []xmlproto.Region{}}
	for _, r := range regions {
		reg := xmlproto.Region{RegionName: r.name, Endpoint: "ec2." + r.name + ".amazonaws.com", OptInStatus: "opt-in-not-required"}
		if r.optIn {
			if !req.AllRegions && len(req.RegionNames) == 0 {
				continue // like a fresh account: opt-in regions are listed only on request
			}
			reg.OptInStatus = "not-opted-in"
		}
		if len(req.RegionNames) > 0 && !slices.Contains(req.RegionNames, r.name) {
			continue
		}
		if fs.match(&reg) {
			out.Regions = append(out.Regions, reg)
		}
	}
	return out, nil
}

var zoneFields = fields[*xmlproto.AvailabilityZone]{byName: map[string]func(*xmlproto.AvailabilityZone) []string{
	"zone-name":            func(z *xmlproto.AvailabilityZone) []string { return one(z.ZoneName) },
	"zone-id":              func(z *xmlproto.AvailabilityZone) []string { return one(z.ZoneID) },
	"region-name":          func(z *xmlproto.AvailabilityZone) []string { return one(z.RegionName) },
	"state":                func(z *xmlproto.AvailabilityZone) []string { return one(z.State) },
	"zone-type":            func(z *xmlproto.AvailabilityZone) []string { return one(z.ZoneType) },
	"group-name":           func(z *xmlproto.AvailabilityZone) []string { return one(z.GroupName) },
	"opt-in-status":        func(z *xmlproto.AvailabilityZone) []string { return one(z.OptInStatus) },
	"network-border-group": func(z *xmlproto.AvailabilityZone) []string { return one(z.NetworkBorderGroup) },
}}

func (s *Server) describeAvailabilityZones(ctx context.Context, c *call) (any, error) {
	var req xmlproto.DescribeAvailabilityZonesRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	fs, err := compileFilters(req.Filters, zoneFields)
	if err != nil {
		return nil, err
	}
	var zones []xmlproto.AvailabilityZone
	for i, n := range zoneNames(c.region) {
		zones = append(zones, xmlproto.AvailabilityZone{
			ZoneName: n, State: "available", RegionName: c.region, ZoneID: zoneID(c.region, i), ZoneType: "availability-zone",
			OptInStatus: "opt-in-not-required", GroupName: c.region, NetworkBorderGroup: c.region,
		})
	}
	for _, n := range req.ZoneNames {
		if !slices.ContainsFunc(zones, func(z xmlproto.AvailabilityZone) bool { return z.ZoneName == n }) {
			return nil, apiErr(ErrInvalidParameterValue, "The availability zone '%s' is not valid", n)
		}
	}
	for _, id := range req.ZoneIDs {
		if !slices.ContainsFunc(zones, func(z xmlproto.AvailabilityZone) bool { return z.ZoneID == id }) {
			return nil, apiErr(ErrInvalidParameterValue, "The availability zone ID '%s' is not valid", id)
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	out := &xmlproto.DescribeAvailabilityZonesResponse{AvailabilityZones: []xmlproto.AvailabilityZone{}}
	for i := range zones {
		z := &zones[i]
		if len(req.ZoneNames) > 0 && !slices.Contains(req.ZoneNames, z.ZoneName) {
			continue
		}
		if len(req.ZoneIDs) > 0 && !slices.Contains(req.ZoneIDs, z.ZoneID) {
			continue
		}
		if fs.match(z) {
			out.AvailabilityZones = append(out.AvailabilityZones, *z)
		}
	}
	return out, nil
}

func (s *Server) routes() map[string]handler {
	return map[string]handler{
		"RunInstances":                  s.runInstances,
		"DescribeInstances":             s.describeInstances,
		"StartInstances":                s.startInstances,
		"StopInstances":                 s.stopInstances,
		"TerminateInstances":            s.terminateInstances,
		"RebootInstances":               s.rebootInstances,
		"DescribeInstanceStatus":        s.describeInstanceStatus,
		"GetConsoleOutput":              s.getConsoleOutput,
		"CreateImage":                   s.createImage,
		"DescribeImages":                s.describeImages,
		"DeregisterImage":               s.deregisterImage,
		"CreateKeyPair":                 s.createKeyPair,
		"ImportKeyPair":                 s.importKeyPair,
		"DescribeKeyPairs":              s.describeKeyPairs,
		"DeleteKeyPair":                 s.deleteKeyPair,
		"CreateTags":                    s.createTags,
		"DeleteTags":                    s.deleteTags,
		"DescribeTags":                  s.describeTags,
		"DescribeRegions":               s.describeRegions,
		"DescribeAvailabilityZones":     s.describeAvailabilityZones,
		"DescribeVpcs":                  s.describeVpcs,
		"DescribeSubnets":               s.describeSubnets,
		"DescribeSecurityGroups":        s.describeSecurityGroups,
		"DescribeSecurityGroupRules":    s.describeSecurityGroupRules,
		"CreateSecurityGroup":           s.createSecurityGroup,
		"DeleteSecurityGroup":           s.deleteSecurityGroup,
		"AuthorizeSecurityGroupIngress": s.authorizeIngress,
		"AuthorizeSecurityGroupEgress":  s.authorizeEgress,
		"RevokeSecurityGroupIngress":    s.revokeIngress,
		"RevokeSecurityGroupEgress":     s.revokeEgress,
		"DescribeInstanceTypes":         s.describeInstanceTypes,
		"DescribeInstanceTypeOfferings": s.describeInstanceTypeOfferings,

		// Instance attributes (attributes.go, credits.go, volumes.go).
		"DescribeInstanceAttribute":            s.describeInstanceAttribute,
		"ModifyInstanceAttribute":              s.modifyInstanceAttribute,
		"DescribeInstanceCreditSpecifications": s.describeInstanceCreditSpecifications,
		"ModifyInstanceCreditSpecification":    s.modifyInstanceCreditSpecification,
		"ModifyInstanceMaintenanceOptions":     s.modifyInstanceMaintenanceOptions,
		"ModifyInstanceMetadataOptions":        s.modifyInstanceMetadataOptions,
		"DescribeVolumes":                      s.describeVolumes,
	}
}

// Actions returns the EC2 actions the Server answers, sorted.
func (s *Server) Actions() []string {
	out := make([]string, 0, len(s.handlers))
	for a := range s.handlers {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}
