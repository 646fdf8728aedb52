package mock

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/ec2emu/ec2emu/backend"
)

// WithTakenRanges makes the mock behave like an engine that already has
// networks on the given IPv4 ranges (CIDRs): PrepareNetwork for a VPC whose
// range overlaps one reports its addresses as not exact, and machines
// launched into it get addresses of the mock's choosing. It panics on a
// range that does not parse.
func WithTakenRanges(cidrs ...string) Option {
	var ps []netip.Prefix
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			panic(fmt.Sprintf("mock.WithTakenRanges(%q): %v", c, err))
		}
		ps = append(ps, p.Masked())
	}
	return func(b *Backend) { b.taken = append(b.taken, ps...) }
}

var _ backend.VPCNetworker = (*Backend)(nil)

// PrepareNetwork implements backend.VPCNetworker. Networks cost the mock
// nothing: it records the VPC's and whether its range was free.
func (b *Backend) PrepareNetwork(ctx context.Context, spec backend.NetworkSpec) (bool, error) {
	p, err := netip.ParsePrefix(spec.CIDR)
	if err != nil {
		return false, fmt.Errorf("mock: network %s: %w", spec.ID, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if exact, ok := b.networks[spec.ID]; ok {
		return exact, nil
	}
	exact := true
	for _, t := range b.taken {
		if t.Overlaps(p) {
			exact = false
		}
	}
	for id, n := range b.netRanges {
		if id != spec.ID && n.Overlaps(p) && b.networks[id] {
			exact = false // two exact networks may not overlap, as in an engine
		}
	}
	b.networks[spec.ID], b.netRanges[spec.ID] = exact, p
	return exact, nil
}

// RemoveNetwork implements backend.VPCNetworker.
func (b *Backend) RemoveNetwork(ctx context.Context, vpcID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.machines {
		if m.spec.Network.ID == vpcID && m.State != backend.StateTerminated {
			return nil // in use: kept
		}
	}
	delete(b.networks, vpcID)
	delete(b.netRanges, vpcID)
	return nil
}

// Networks lists the VPC networks the mock holds, with whether each takes
// the Server's addresses; for tests.
func (b *Backend) Networks() map[string]bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]bool, len(b.networks))
	for id, exact := range b.networks {
		out[id] = exact
	}
	return out
}

// addressFor is the address a new machine gets: the Server's on an exact
// network, else a made-up one. An address another live machine of the
// network holds is refused, as an engine refuses it. Callers hold b.mu.
func (b *Backend) addressFor(spec backend.LaunchSpec) (string, error) {
	if spec.PrivateIP == "" || !b.networks[spec.Network.ID] {
		b.nextIP++
		n := b.nextIP
		return fmt.Sprintf("172.31.%d.%d", 16+n/250%200, 4+n%250), nil
	}
	key := spec.Network.ID + "/" + spec.PrivateIP
	if id, ok := b.held[key]; ok {
		if m := b.machines[id]; m != nil && m.PrivateIP == spec.PrivateIP && m.spec.Network.ID == spec.Network.ID {
			return "", fmt.Errorf("mock: address %s of network %s is held by %s: %w", spec.PrivateIP, spec.Network.ID, id, backend.ErrInvalidState)
		}
	}
	b.held[key] = spec.InstanceID
	return spec.PrivateIP, nil
}
