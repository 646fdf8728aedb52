package ec2emu

import (
	"context"
	"net/netip"
	"strings"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Private addresses. The Server owns them: an instance (and a network
// interface) takes its address from its subnet's range when RunInstances is
// accepted, so the answer carries it at once, as AWS's does, and the
// backend is told to use exactly it (LaunchSpec.PrivateIP). That holds for
// a backend that is a backend.VPCNetworker and says the VPC's network takes
// the Server's addresses; otherwise the address is the machine's own, known
// once it runs, as before.
//
// AWS reserves the first four addresses of every subnet (network, router,
// DNS, future use) and the last (broadcast); they are never handed out.

// addrBook holds who has which address of one subnet. It is built from the
// instances and interfaces when first needed and kept as addresses are
// handed out; an address whose holder has since let it go (a terminated
// instance, a deleted interface) is found free when next looked at, so no
// release is missed.
type addrBook struct {
	holder map[netip.Addr]string // address → instance or interface ID
	next   netip.Addr            // where the next search starts
}

// subnetRange returns the first and last address an instance may get in
// prefix p: the range less AWS's five reserved addresses.
func subnetRange(p netip.Prefix) (first, last netip.Addr, ok bool) {
	if !p.Addr().Is4() || p.Bits() > 28 {
		return netip.Addr{}, netip.Addr{}, false
	}
	base := p.Masked().Addr().As4()
	n := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	size := uint32(1) << (32 - p.Bits())
	return addr4(n + 4), addr4(n + size - 2), true
}

func addr4(n uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

// book returns sn's address book, building it on first use. Callers hold
// s.mu (write).
func (s *Server) book(z *tenant, sn *subnet) *addrBook {
	if z.net.books == nil {
		z.net.books = map[string]*addrBook{}
	}
	if b := z.net.books[sn.id]; b != nil {
		return b
	}
	b := &addrBook{holder: map[netip.Addr]string{}}
	p, _ := netip.ParsePrefix(sn.cidr)
	add := func(ip, id string) {
		// A backend's own address (a VPC whose network is not exact) may
		// lie outside the range: it holds nothing of it.
		if a, err := netip.ParseAddr(ip); err == nil && p.Contains(a) {
			b.holder[a] = id
		}
	}
	for _, inst := range z.order {
		if n := liveNIC(inst); n != nil && n.subnetID == sn.id {
			add(inst.privateIP, inst.id)
		}
	}
	for _, e := range z.net.enis {
		if e.subnetID == sn.id {
			add(e.privateIP, e.id)
		}
	}
	z.net.books[sn.id] = b
	return b
}

// held reports whether address a of sn is held by someone still holding
// it. Callers hold s.mu.
func (s *Server) held(z *tenant, b *addrBook, a netip.Addr) bool {
	id, ok := b.holder[a]
	if !ok {
		return false
	}
	same := func(ip string) bool { p, err := netip.ParseAddr(ip); return err == nil && p == a }
	if strings.HasPrefix(id, "eni-") {
		if e := z.net.eni(id); e != nil && same(e.privateIP) {
			return true
		}
	} else if inst := s.instances[id]; inst != nil && liveNIC(inst) != nil && same(inst.privateIP) {
		return true
	}
	delete(b.holder, a)
	return false
}

// allocPrivate hands out a free address of sn to holder, searching on from
// where the last search ended so a just-released address is not given out
// again at once (its machine may still be going). ok is false when the
// subnet is full. Callers hold s.mu (write).
func (s *Server) allocPrivate(z *tenant, sn *subnet, holder string) (netip.Addr, bool) {
	p, err := netip.ParsePrefix(sn.cidr)
	if err != nil {
		return netip.Addr{}, false
	}
	first, last, ok := subnetRange(p)
	if !ok {
		return netip.Addr{}, false
	}
	b := s.book(z, sn)
	a := b.next
	if !a.IsValid() || a.Less(first) || last.Less(a) {
		a = first
	}
	for range 1 << (32 - p.Bits()) {
		if !s.held(z, b, a) {
			b.holder[a] = holder
			if b.next = a.Next(); last.Less(b.next) {
				b.next = first
			}
			return a, true
		}
		if a = a.Next(); last.Less(a) {
			a = first
		}
	}
	return netip.Addr{}, false
}

// claimPrivate gives holder the address want of sn, answering AWS's errors
// for one it cannot have. Callers hold s.mu (write).
func (s *Server) claimPrivate(z *tenant, sn *subnet, want, holder string) (netip.Addr, error) {
	a, err := checkPrivate(sn, want)
	if err != nil {
		return netip.Addr{}, err
	}
	b := s.book(z, sn)
	if s.held(z, b, a) {
		return netip.Addr{}, apiErr(ErrInvalidIPAddressInUse, "Address %s is in use.", a)
	}
	b.holder[a] = holder
	return a, nil
}

// checkPrivate checks that want is an address sn can hand out.
func checkPrivate(sn *subnet, want string) (netip.Addr, error) {
	a, err := netip.ParseAddr(want)
	if err != nil || !a.Is4() {
		return netip.Addr{}, apiErr(ErrInvalidParameterValue, "Invalid value '%s' for IP address. The value must be a valid IPv4 address.", want)
	}
	p, err := netip.ParsePrefix(sn.cidr)
	if err != nil || !p.Contains(a) {
		return netip.Addr{}, apiErr(ErrInvalidParameterValue, "Address %s does not fall within the subnet's address range", a)
	}
	if first, last, ok := subnetRange(p); !ok || a.Less(first) || last.Less(a) {
		return netip.Addr{}, apiErr(ErrInvalidParameterValue, "Address %s is in subnet's reserved address range", a)
	}
	return a, nil
}

// freeAddresses is how many addresses of sn are free now: each live
// instance and interface in it holds one. Callers hold s.mu.
func (s *Server) freeAddresses(z *tenant, sn *subnet) int {
	return max(subnetAddresses(sn.cidr)-subnetUsed(z, sn), 0)
}

// forgetVPCNetwork asks the backend to remove a deleted VPC's network.
// Callers hold s.mu (write); the removal runs in the background.
func (s *Server) forgetVPCNetwork(vpcID string) {
	nw, ok := s.b.(backend.VPCNetworker)
	if !ok || s.closed {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.backendTimeout)
		defer cancel()
		if err := nw.RemoveNetwork(ctx, vpcID); err != nil {
			s.log.Warn("backend could not remove a deleted VPC's network", "vpc", vpcID, "err", err)
		}
	}()
}

// launchPrivateIP returns the primary private address RunInstances asks
// for, if any: PrivateIpAddress, or the first interface's own.
func launchPrivateIP(req *xmlproto.RunInstancesRequest, minN, maxN int) (string, error) {
	want := req.PrivateIPAddress
	if len(req.NetworkInterfaces) > 0 {
		ni := req.NetworkInterfaces[0]
		if want != "" {
			return "", apiErr(ErrInvalidParameterCombination, "Network interfaces and an instance-level private IP address may not be specified on the same request")
		}
		want = ni.PrivateIPAddress
		for _, p := range ni.PrivateIPAddresses {
			if p.Primary != nil && *p.Primary {
				if want != "" && want != p.PrivateIPAddress {
					return "", apiErr(ErrInvalidParameterValue, "Only one primary private IP address can be specified.")
				}
				want = p.PrivateIPAddress
			}
		}
	}
	if want != "" && (minN > 1 || maxN > 1) {
		return "", apiErr(ErrInvalidParameterCombination, "A private IP address can be specified only when launching one instance (MinCount and MaxCount 1).")
	}
	return want, nil
}

// launchVPC is the VPC a launch goes to: its subnet's, else the default
// one; nil when the request names none that exists (launchNetwork, under
// the lock, answers the error). Callers hold s.mu.
func launchVPC(z *tenant, req *xmlproto.RunInstancesRequest) *vpc {
	subnetID := req.SubnetID
	if len(req.NetworkInterfaces) > 0 {
		subnetID = req.NetworkInterfaces[0].SubnetID
	}
	if subnetID == "" {
		return z.net.defaultVPC()
	}
	if sn := z.net.subnet(subnetID); sn != nil {
		return z.net.vpc(sn.vpcID)
	}
	return nil
}

// preparedNet is what the backend said, before the lock, of the network of
// the VPC a launch goes to.
type preparedNet struct {
	vpcID string
	exact bool // its machines take the Server's addresses
}

// prepareLaunchNetwork finds the VPC a launch goes to and asks the backend
// to make its network ready, before the caller takes s.mu: the first time
// it may create the network, a slow call. It asks on every launch, since a
// network goes with its last machine and may come back without its range
// (see docs/networking.md). Errors in the request itself are left to the
// checks under the lock.
func (s *Server) prepareLaunchNetwork(ctx context.Context, sc scope, req *xmlproto.RunInstancesRequest) (preparedNet, error) {
	nw, ok := s.b.(backend.VPCNetworker)
	if !ok {
		return preparedNet{}, nil
	}
	s.ensureTenant(sc)
	s.mu.RLock()
	var spec backend.NetworkSpec
	if v := launchVPC(s.tenants[sc], req); v != nil {
		spec = backend.NetworkSpec{ID: v.id, CIDR: v.cidr}
	}
	s.mu.RUnlock()
	if spec.ID == "" {
		return preparedNet{}, nil
	}
	exact, err := nw.PrepareNetwork(ctx, spec)
	if err != nil {
		if e := fromBackend(err, "RunInstances"); e != nil {
			return preparedNet{}, e
		}
		s.log.ErrorContext(ctx, "backend could not prepare a VPC's network", "vpc", spec.ID, "cidr", spec.CIDR, "err", err)
		return preparedNet{}, apiErr(ErrInternalError, "The network of %s (%s) could not be made: %v", spec.ID, spec.CIDR, err)
	}
	if !exact {
		s.log.DebugContext(ctx, "the VPC's network does not take the Server's addresses; instances get the backend's", "vpc", spec.ID, "cidr", spec.CIDR)
	}
	return preparedNet{vpcID: spec.ID, exact: exact}, nil
}

// launchNetSpec is the network a launch into sn joins, and whether its
// machines take the Server's addresses: only if the backend said so of
// this VPC before the lock. Callers hold s.mu.
func (s *Server) launchNetSpec(z *tenant, sn *subnet, p preparedNet) (backend.NetworkSpec, bool) {
	if _, ok := s.b.(backend.VPCNetworker); !ok {
		return backend.NetworkSpec{}, false
	}
	v := z.net.vpc(sn.vpcID)
	if v == nil {
		return backend.NetworkSpec{}, false
	}
	return backend.NetworkSpec{ID: v.id, CIDR: v.cidr}, p.vpcID == v.id && p.exact
}
