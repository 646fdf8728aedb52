package ec2emu

import (
	"context"
	"slices"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/catalog"
)

// What the backend says about where machines can go and how many fit:
// backend.ZoneLister and backend.LaunchCapacityReporter, asked outside the
// Server's lock like Capacity.

// offeredZones returns the zones of region's catalogue that the backend can
// run machines in, in catalogue order: every one unless the backend is a
// ZoneLister with zones. restricted reports that it is.
func (s *Server) offeredZones(ctx context.Context, region string) (zones []string, restricted bool, err error) {
	all := catalog.ZoneNames(region)
	zl, ok := s.b.(backend.ZoneLister)
	if !ok {
		return all, false, nil
	}
	has, err := zl.Zones(ctx)
	if err != nil || has == nil {
		return all, false, err
	}
	return slices.DeleteFunc(all, func(z string) bool { return !slices.Contains(has, z) }), true, nil
}

// backendCapacity is how many machines of type typ from image the backend
// can launch in zone ("" any) now, -1 for no bound.
func (s *Server) backendCapacity(ctx context.Context, typ, image, zone string) (int, error) {
	if cr, ok := s.b.(backend.LaunchCapacityReporter); ok {
		return cr.LaunchCapacity(ctx, backend.CapacitySpec{InstanceType: typ, ImageID: image, Zone: zone})
	}
	if cr, ok := s.b.(backend.CapacityReporter); ok {
		return cr.Capacity(ctx)
	}
	return -1, nil
}
