package ec2emu

import (
	"context"
	"iter"
	"slices"

	"github.com/ec2emu/ec2emu/internal/catalog"
	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

var regionFields = query.Fields[*xmlproto.Region]{ByName: map[string]func(*xmlproto.Region) []string{
	"region-name":   func(r *xmlproto.Region) []string { return one(r.RegionName) },
	"endpoint":      func(r *xmlproto.Region) []string { return one(r.Endpoint) },
	"opt-in-status": func(r *xmlproto.Region) []string { return one(r.OptInStatus) },
}}

func (s *Server) describeRegions(ctx context.Context, c *call, req *xmlproto.DescribeRegionsRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.RegionNames, req.Filters, nil, "", req.DryRun}, &describeSpec[*xmlproto.Region]{
		fields: regionFields, unlocked: true,
		list: func(s *Server, ctx context.Context, c *call, names []string) (iter.Seq[*xmlproto.Region], error) {
			for _, n := range names {
				if !slices.ContainsFunc(catalog.Regions, func(r catalog.Region) bool { return r.Name == n }) {
					return nil, apiErr(ErrInvalidParameterValue, "Invalid region name: %s", n)
				}
			}
			var out []xmlproto.Region
			for _, r := range catalog.Regions {
				reg := xmlproto.Region{RegionName: r.Name, Endpoint: "ec2." + r.Name + ".amazonaws.com", OptInStatus: "opt-in-not-required"}
				if r.OptIn {
					if !req.AllRegions && len(names) == 0 {
						continue // like a fresh account: opt-in regions are listed only on request
					}
					reg.OptInStatus = "not-opted-in"
				}
				if len(names) == 0 || slices.Contains(names, r.Name) {
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

var zoneFields = query.Fields[*xmlproto.AvailabilityZone]{ByName: map[string]func(*xmlproto.AvailabilityZone) []string{
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
			offered, _, err := s.offeredZones(ctx, c.region)
			if err != nil {
				return nil, err
			}
			for i, n := range catalog.ZoneNames(c.region) {
				if !slices.Contains(offered, n) {
					continue
				}
				zones = append(zones, xmlproto.AvailabilityZone{
					ZoneName: n, State: "available", RegionName: c.region, ZoneID: catalog.ZoneID(c.region, i), ZoneType: "availability-zone",
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
