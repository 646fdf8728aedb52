package backend

import "context"

// VPCNetworker is an optional capability: a backend that puts the machines
// of each VPC on a network of their own with the VPC's address range, so a
// machine takes the private address the Server allocated from its subnet
// (LaunchSpec.PrivateIP), machines of one VPC reach each other at those
// addresses, and machines of different VPCs do not. A backend without it
// picks addresses itself, which Machine.PrivateIP reports (VirtualBox
// host-only DHCP, a Kubernetes CNI).
type VPCNetworker interface {
	// PrepareNetwork makes sure the network of VPC spec.ID exists and says
	// whether machines launched into it take the address the Server chose
	// (exact) or get one of the backend's choosing (not exact: the engine
	// could not give the network the VPC's range, e.g. it collides with a
	// network it already has). The Server asks before each launch into
	// the VPC, outside its lock, so it should be cheap once the network
	// exists.
	PrepareNetwork(ctx context.Context, spec NetworkSpec) (exact bool, err error)
	// RemoveNetwork removes the network of VPC vpcID once no machine uses
	// it; a network still in use, or one that does not exist, is not an
	// error.
	RemoveNetwork(ctx context.Context, vpcID string) error
}

// NetworkSpec names the VPC network a machine joins.
type NetworkSpec struct {
	// ID is the VPC ID, e.g. "vpc-0a1b2c3d4e5f67890".
	ID string
	// CIDR is the VPC's IPv4 range, e.g. "10.0.0.0/16".
	CIDR string
}
