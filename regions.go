package ec2emu

import (
	"context"
	"iter"
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

func (s *Server) describeRegions(ctx context.Context, c *call, req *xmlproto.DescribeRegionsRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.RegionNames, req.Filters, nil, "", req.DryRun}, &describeSpec[*xmlproto.Region]{
		fields: regionFields, unlocked: true,
		list: func(s *Server, ctx context.Context, c *call, names []string) (iter.Seq[*xmlproto.Region], error) {
			for _, n := range names {
				if !slices.ContainsFunc(regions, func(r regionInfo) bool { return r.name == n }) {
					return nil, apiErr(ErrInvalidParameterValue, "Invalid region name: %s", n)
				}
			}
			var out []xmlproto.Region
			for _, r := range regions {
				reg := xmlproto.Region{RegionName: r.name, Endpoint: "ec2." + r.name + ".amazonaws.com", OptInStatus: "opt-in-not-required"}
				if r.optIn {
					if !req.AllRegions && len(names) == 0 {
						continue // like a fresh account: opt-in regions are listed only on request
					}
					reg.OptInStatus = "not-opted-in"
				}
				if len(names) == 0 || slices.Contains(names, r.name) {
					out = append(out, reg)
				}
			}
			return pointers(out), nil
		},
		emit: func(s *Server, c *call, page []*xmlproto.Region, _ string) any {
			return &xmlproto.DescribeRegionsResponse{Regions: values(page)}
		},
	})
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

func (s *Server) describeAvailabilityZones(ctx context.Context, c *call, req *xmlproto.DescribeAvailabilityZonesRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.ZoneNames, req.Filters, nil, "", req.DryRun}, &describeSpec[*xmlproto.AvailabilityZone]{
		fields: zoneFields, unlocked: true,
		list: func(s *Server, ctx context.Context, c *call, names []string) (iter.Seq[*xmlproto.AvailabilityZone], error) {
			var zones []xmlproto.AvailabilityZone
			for i, n := range zoneNames(c.region) {
				zones = append(zones, xmlproto.AvailabilityZone{
					ZoneName: n, State: "available", RegionName: c.region, ZoneID: zoneID(c.region, i), ZoneType: "availability-zone",
					OptInStatus: "opt-in-not-required", GroupName: c.region, NetworkBorderGroup: c.region,
				})
			}
			for _, n := range names {
				if !slices.ContainsFunc(zones, func(z xmlproto.AvailabilityZone) bool { return z.ZoneName == n }) {
					return nil, apiErr(ErrInvalidParameterValue, "The availability zone '%s' is not valid", n)
				}
			}
			for _, id := range req.ZoneIDs {
				if !slices.ContainsFunc(zones, func(z xmlproto.AvailabilityZone) bool { return z.ZoneID == id }) {
					return nil, apiErr(ErrInvalidParameterValue, "The availability zone ID '%s' is not valid", id)
				}
			}
			items := named(pointers(zones), names, func(z *xmlproto.AvailabilityZone) string { return z.ZoneName })
			return named(items, req.ZoneIDs, func(z *xmlproto.AvailabilityZone) string { return z.ZoneID }), nil
		},
		emit: func(s *Server, c *call, page []*xmlproto.AvailabilityZone, _ string) any {
			return &xmlproto.DescribeAvailabilityZonesResponse{AvailabilityZones: values(page)}
		},
	})
}
