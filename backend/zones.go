package backend

import "context"

// ZoneLister is an optional capability: a backend whose machines run in
// places it can tell apart by zone (a cluster's nodes labelled
// topology.kubernetes.io/zone) lists the availability zones it can run
// machines in now. The Server offers a region only the zones of its
// catalogue that the list names (DescribeAvailabilityZones, the default
// and the allowed Placement.AvailabilityZone of RunInstances); a nil list
// means the backend has no zones, and every zone is offered.
type ZoneLister interface {
	Zones(ctx context.Context) ([]string, error)
}
