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

// vpcNet is what the backend said of a VPC's network.
type vpcNet struct {
	exact bool // machines take the Server's addresses
}

// launchAddresses says whether instances launched into VPC v take
// addresses the Server allocates, asking the backend the first time (it
// may create a network: a slow call, made before the caller takes s.mu).
func (s *Server) launchAddresses(ctx context.Context, vpcID, cidr string) (bool, error) {
	nw, ok := s.b.(backend.VPCNetworker)
	if !ok || vpcID == "" || cidr == "" {
		return false, nil
	}
	s.mu.RLock()
	st, known := s.vpcNets[vpcID]
	s.mu.RUnlock()
	if known {
		return st.exact, nil
	}
	exact, err := nw.PrepareNetwork(ctx, backend.NetworkSpec{ID: vpcID, CIDR: cidr})
	if err != nil {
		if e := fromBackend(err, "RunInstances"); e != nil {
			return false, e
		}
		s.log.ErrorContext(ctx, "backend could not prepare the VPC's network", "vpc", vpcID, "cidr", cidr, "err", err)
		return false, apiErr(ErrInternalError, "The network of %s (%s) could not be made: %v", vpcID, cidr, err)
	}
	if !exact {
		s.log.WarnContext(ctx, "the backend cannot give this VPC's network its own range (it overlaps one the engine already has); its instances get addresses of the backend's choosing, reported once they run",
			"vpc", vpcID, "cidr", cidr)
	}
	s.mu.Lock()
	s.vpcNets[vpcID] = vpcNet{exact: exact}
	s.mu.Unlock()
	return exact, nil
}

// forgetVPCNetwork drops what the backend said of a deleted VPC's network
// and asks it to remove the network. Callers hold s.mu (write); the
// removal runs in the background.
func (s *Server) forgetVPCNetwork(vpcID string) {
	nw, ok := s.b.(backend.VPCNetworker)
	if !ok {
		return
	}
	if _, known := s.vpcNets[vpcID]; !known || s.closed {
		return
	}
	delete(s.vpcNets, vpcID)
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

// prepareLaunchNetwork finds the VPC a launch goes to and makes sure the
// backend has said whether its network takes the Server's addresses. Errors
// in the request itself are left to the checks under the lock.
func (s *Server) prepareLaunchNetwork(ctx context.Context, sc scope, req *xmlproto.RunInstancesRequest, placementAZ string) error {
	if _, ok := s.b.(backend.VPCNetworker); !ok {
		return nil
	}
	s.ensureTenant(sc)
	s.mu.RLock()
	var vpcID, cidr string
	if sn, _, err := launchNetwork(s.tenants[sc], req, placementAZ); err == nil {
		if v := s.tenants[sc].net.vpc(sn.vpcID); v != nil {
			vpcID, cidr = v.id, v.cidr
		}
	}
	s.mu.RUnlock()
	_, err := s.launchAddresses(ctx, vpcID, cidr)
	return err
}

// launchNetSpec is the network a launch into sn joins, and whether its
// machines take the Server's addresses. Callers hold s.mu.
func (s *Server) launchNetSpec(z *tenant, sn *subnet) (backend.NetworkSpec, bool) {
	if _, ok := s.b.(backend.VPCNetworker); !ok {
		return backend.NetworkSpec{}, false
	}
	v := z.net.vpc(sn.vpcID)
	if v == nil {
		return backend.NetworkSpec{}, false
	}
	return backend.NetworkSpec{ID: v.id, CIDR: v.cidr}, s.vpcNets[v.id].exact
}
