package ec2emu

import (
	"context"
	"iter"
	"net/netip"
	"slices"
	"strings"

	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Elastic IP addresses. An address comes from the same loopback pool as
// instances' public addresses (publicip.go) and is held by its tenant until
// released. Associated with an instance (or with an instance's primary
// network interface), it becomes that instance's public address at once:
// the instance's auto-assigned address is given back, and its forwarded
// ports and SSH gateway listen on the Elastic IP from the forwarder's next
// pass (portforward.go). As on EC2, the association survives a stop and
// start, a terminate ends it, and after a disassociation an instance that
// was launched with a public address gets a new one.
//
// Addresses are part of the tenant's network record (partNetwork). The
// association is kept on the address; the instance's side (access.eip) is
// derived from it when the state directory is loaded.

// address is one Elastic IP address of a tenant.
type address struct {
	allocID, publicIP, owner string
	assocID                  string // "" while not associated
	instanceID, eniID        string // what it is associated with
	privateIP                string // the interface's address it maps to, at association
	tags                     []xmlproto.Tag
}

// maxElasticIPs is the per-region quota DescribeAccountAttributes reports
// as max-elastic-ips and vpc-max-elastic-ips.
const maxElasticIPs = 5

func (n *network) address(allocID string) *address {
	for _, a := range n.addresses {
		if a.allocID == allocID {
			return a
		}
	}
	return nil
}

func (n *network) addressByIP(ip string) *address {
	for _, a := range n.addresses {
		if a.publicIP == ip {
			return a
		}
	}
	return nil
}

func (n *network) addressByAssoc(assocID string) *address {
	for _, a := range n.addresses {
		if assocID != "" && a.assocID == assocID {
			return a
		}
	}
	return nil
}

// checkAllocID checks an allocation ID's format. EC2 has no
// InvalidAllocationID.Malformed: an ID that is not eipalloc-… is one that
// does not exist (AssociateAddress with an address as AllocationId answers
// InvalidAllocationID.NotFound).
func checkAllocID(id string) error {
	if !strings.HasPrefix(id, "eipalloc-") {
		return allocNotFound(id)
	}
	return nil
}

func allocNotFound(id string) error {
	return apiErr(ErrInvalidAllocationIDNotFound, "The allocation ID '%s' does not exist", id)
}

// findAddress resolves an AllocationId parameter. Callers hold s.mu.
func (n *network) findAddress(id string) (*address, error) {
	if err := checkAllocID(id); err != nil {
		return nil, err
	}
	a := n.address(id)
	if a == nil {
		return nil, allocNotFound(id)
	}
	return a, nil
}

// checkIPv4 checks an address parameter's format.
func checkIPv4(param, v string) error {
	a, err := netip.ParseAddr(v)
	if err != nil || !a.Is4() {
		return apiErr(ErrInvalidParameterValue, "Value (%s) for parameter %s is invalid. Not a valid IPv4 address.", v, param)
	}
	return nil
}

// checkPublicIP checks the format of an Elastic IP given by address.
func checkPublicIP(v string) error {
	if a, err := netip.ParseAddr(v); err != nil || !a.Is4() {
		return apiErr(ErrInvalidAddressMalformed, "The address '%s' is not a valid IPv4 address.", v)
	}
	return nil
}

// publicIPOnly answers a PublicIp given where EC2 wants the allocation or
// association ID (every address here is a VPC address): msg when the
// address is the caller's, AuthFailure when it is not.
func publicIPOnly(n *network, ip, msg string) error {
	if err := checkPublicIP(ip); err != nil {
		return err
	}
	if n.addressByIP(ip) == nil {
		return apiErr(ErrAuthFailure, "The address '%s' does not belong to you.", ip)
	}
	return apiErr(ErrInvalidParameterValue, "%s", msg)
}

func (s *Server) allocateAddress(ctx context.Context, c *call, req *xmlproto.AllocateAddressRequest) (any, error) {
	switch {
	case req.Domain == "standard":
		return nil, apiErr(ErrInvalidParameterValue, "Value (standard) for parameter domain is invalid. EC2-Classic is retired: this account supports vpc only.")
	case req.IpamPoolID != "":
		return nil, apiErr(ErrUnsupportedOperation, "IPAM pools are not supported by ec2emu: Elastic IPs come from its public address pool.")
	case req.CustomerOwnedIpv4Pool != "":
		return nil, apiErr(ErrUnsupportedOperation, "Customer-owned address pools exist only on Outposts, which ec2emu does not have.")
	case req.PublicIpv4Pool != "" && req.PublicIpv4Pool != "amazon":
		return nil, apiErr(ErrUnsupportedOperation, "BYOIP address pools are not supported by ec2emu: Elastic IPs come from its public address pool (amazon).")
	case req.NetworkBorderGroup != "" && req.NetworkBorderGroup != c.region:
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter NetworkBorderGroup is invalid. The region's only network border group is %s.", req.NetworkBorderGroup, c.region)
	}
	pool := s.cfg.access.publicPool()
	var want netip.Addr
	if req.Address != "" {
		if err := checkPublicIP(req.Address); err != nil {
			return nil, err
		}
		want = netip.MustParseAddr(req.Address)
		if pool.IsValid() && !pool.Contains(want) {
			return nil, apiErr(ErrInvalidAddressNotFound, "Address '%s' not found: it is not in this emulator's public address pool %s.", req.Address, pool)
		}
	}
	tags, err := tagsFor(req.TagSpecifications, "elastic-ip")
	if err != nil {
		return nil, err
	}
	if !pool.IsValid() {
		return nil, apiErr(ErrUnsupportedOperation, "Public addresses are off in this emulator (its public IP pool is off: WithPublicIPPool, EC2EMU_PUBLIC_IP_POOL), so it has no Elastic IP addresses.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	if len(z.net.addresses) >= maxElasticIPs {
		return nil, apiErr(ErrAddressLimitExceeded, "The maximum number of addresses has been reached.")
	}
	if req.DryRun {
		return nil, errDryRun
	}
	var ip netip.Addr
	if want.IsValid() {
		if !claimPublic(want.String()) {
			return nil, apiErr(ErrInvalidAddressNotFound, "Address '%s' not found: it is in use.", req.Address)
		}
		ip = want
	} else if ip = allocPublic(pool, ""); !ip.IsValid() {
		return nil, apiErr(ErrInsufficientAddressCapacity, "There are not enough free addresses in the public address pool %s to satisfy your request.", pool)
	}
	a := &address{allocID: newID("eipalloc-"), publicIP: ip.String(), owner: c.account, tags: tags}
	z.net.addresses = append(z.net.addresses, a)
	s.touchTenant(z, partNetwork)
	return &xmlproto.AllocateAddressResponse{PublicIP: a.publicIP, Domain: "vpc", AllocationID: a.allocID,
		PublicIpv4Pool: "amazon", NetworkBorderGroup: c.region}, nil
}

// assocTarget is what an address is being associated with.
type assocTarget struct {
	inst      *instance
	privateIP string
}

// findTarget resolves AssociateAddress' InstanceId or NetworkInterfaceId
// (with PrivateIpAddress). Only instances' primary interfaces exist here.
// Callers hold s.mu.
func (s *Server) findTarget(z *tenant, req *xmlproto.AssociateAddressRequest) (assocTarget, error) {
	now := s.cfg.now()
	var inst *instance
	if req.InstanceID != "" {
		if !instanceIDRe.MatchString(req.InstanceID) {
			return assocTarget{}, apiErr(ErrInvalidInstanceIDMalformed, "Invalid id: \"%s\"", req.InstanceID)
		}
		inst = s.instances[req.InstanceID]
		if inst == nil || inst.tenant != z || !s.visible(inst, now) {
			return assocTarget{}, apiErr(ErrInvalidInstanceIDNotFound, "The instance ID '%s' does not exist", req.InstanceID)
		}
	} else {
		id := req.NetworkInterfaceID
		if !strings.HasPrefix(id, "eni-") {
			return assocTarget{}, apiErr(ErrInvalidNetworkInterfaceIDMalformed, "Invalid id: \"%s\" (expecting \"eni-...\")", id)
		}
		inst = z.primaryOf(id)
		if inst == nil && z.net.eni(id) != nil {
			// Its traffic would go nowhere: a container has one interface.
			return assocTarget{}, apiErr(ErrUnsupportedOperation, "ec2emu associates Elastic IPs with an instance's primary interface only; '%s' is not one.", id)
		}
		if inst == nil {
			return assocTarget{}, apiErr(ErrInvalidNetworkInterfaceIDNotFound, "The networkInterface ID '%s' does not exist", id)
		}
	}
	switch inst.state {
	case statePending:
		return assocTarget{}, apiErr(ErrInvalidInstanceID, "The pending instance '%s' is not in a valid state for this operation.", inst.id)
	case stateShuttingDown, stateTerminated:
		return assocTarget{}, apiErr(ErrIncorrectInstanceState, "The instance '%s' is not in a valid state for this operation.", inst.id)
	}
	if inst.nic == nil {
		return assocTarget{}, apiErr(ErrIncorrectInstanceState, "The instance '%s' has no network interface.", inst.id)
	}
	if req.PrivateIPAddress != "" {
		if err := checkIPv4("privateIpAddress", req.PrivateIPAddress); err != nil {
			return assocTarget{}, err
		}
		if req.PrivateIPAddress != inst.privateIP {
			return assocTarget{}, apiErr(ErrInvalidParameterValue, "The specified private IP address %s is not assigned to the network interface %s.", req.PrivateIPAddress, inst.nic.eniID)
		}
	}
	if z.net.vpcIGW(inst.nic.vpcID) == nil {
		return assocTarget{}, apiErr(ErrGatewayNotAttached, "Network %s is not attached to any internet gateway", inst.nic.vpcID)
	}
	return assocTarget{inst: inst, privateIP: inst.privateIP}, nil
}

func (s *Server) associateAddress(ctx context.Context, c *call, req *xmlproto.AssociateAddressRequest) (any, error) {
	if req.AllocationID != "" {
		if err := checkAllocID(req.AllocationID); err != nil {
			return nil, err
		}
	}
	switch {
	case req.InstanceID == "" && req.NetworkInterfaceID == "":
		return nil, apiErr(ErrMissingParameter, "Either instance ID or network interface ID must be specified")
	case req.InstanceID != "" && req.NetworkInterfaceID != "":
		return nil, apiErr(ErrInvalidParameterCombination, "You may specify either an instance ID or a network interface ID, not both.")
	case req.PrivateIPAddress != "" && req.NetworkInterfaceID == "":
		return nil, apiErr(ErrInvalidParameterCombination, "A private IP address can only be given with a network interface ID.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	if req.AllocationID == "" {
		if req.PublicIP == "" {
			return nil, apiErr(ErrMissingParameter, "Either public IP or allocation id must be specified")
		}
		return nil, publicIPOnly(z.net, req.PublicIP, "You must specify an allocation id when mapping an address to a VPC instance")
	}
	a, err := z.net.findAddress(req.AllocationID)
	if err != nil {
		return nil, err
	}
	t, err := s.findTarget(z, req)
	if err != nil {
		return nil, err
	}
	// Reassociation is automatic unless AllowReassociation is false, and
	// associating with the resource it already maps to is no error (the
	// API reference calls the action idempotent; it remaps).
	if a.assocID != "" && a.instanceID != t.inst.id && req.AllowReassociation != nil && !*req.AllowReassociation {
		return nil, apiErr(ErrResourceAlreadyAssociated, "resource %s is already associated with associate-id %s", a.allocID, a.assocID)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	if a.assocID != "" {
		s.disassociate(z, a)
	}
	if old := t.inst.access.eip; old != nil {
		// As on EC2: the instance's Elastic IP is replaced, and stays
		// allocated to the account.
		s.disassociate(z, old)
	}
	inst := t.inst
	acc := &inst.access
	if acc.publicIP != "" {
		releasePublic(acc.publicIP) // the auto-assigned address goes back to the pool
		acc.released = true
	}
	a.assocID = newID("eipassoc-")
	a.instanceID, a.eniID, a.privateIP = inst.id, inst.nic.eniID, t.privateIP
	acc.eip, acc.publicIP = a, a.publicIP
	s.syncAccess(inst)
	s.touch(inst)
	s.touchTenant(z, partNetwork)
	return &xmlproto.AssociateAddressResponse{AssociationID: a.assocID}, nil
}

// disassociate ends a's association; the instance it was associated with
// gets an auto-assigned address again if it was launched with one.
// Callers hold s.mu (write).
func (s *Server) disassociate(z *tenant, a *address) {
	inst := s.instances[a.instanceID]
	a.assocID, a.instanceID, a.eniID, a.privateIP = "", "", "", ""
	if inst != nil && inst.access.eip == a {
		inst.access.eip, inst.access.publicIP = nil, ""
		inst.access.released = true
		s.syncAccess(inst)
		s.touch(inst)
	}
	s.touchTenant(z, partNetwork)
}

func (s *Server) disassociateAddress(ctx context.Context, c *call, req *xmlproto.DisassociateAddressRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	if req.AssociationID == "" {
		if req.PublicIP == "" {
			return nil, apiErr(ErrMissingParameter, "Either public IP or association id must be specified")
		}
		return nil, publicIPOnly(z.net, req.PublicIP, "You must specify an association id when unmapping an address from a VPC instance")
	}
	a := z.net.addressByAssoc(req.AssociationID)
	if a == nil {
		return nil, apiErr(ErrInvalidAssociationIDNotFound, "The association ID '%s' does not exist", req.AssociationID)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.disassociate(z, a)
	return &xmlproto.Return{Return: true}, nil
}

func (s *Server) releaseAddress(ctx context.Context, c *call, req *xmlproto.ReleaseAddressRequest) (any, error) {
	if req.AllocationID != "" {
		if err := checkAllocID(req.AllocationID); err != nil {
			return nil, err
		}
	}
	if req.NetworkBorderGroup != "" && req.NetworkBorderGroup != c.region {
		// As the API reference documents for an incorrect network border group.
		return nil, apiErr(ErrInvalidAddressNotFound, "Address not found in network border group '%s': the region's only network border group is %s.", req.NetworkBorderGroup, c.region)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	if req.AllocationID == "" {
		if req.PublicIP == "" {
			return nil, apiErr(ErrMissingParameter, "Either public IP or allocation id must be specified")
		}
		return nil, publicIPOnly(z.net, req.PublicIP, "You must specify an allocation id when releasing a VPC elastic IP address")
	}
	a, err := z.net.findAddress(req.AllocationID)
	if err != nil {
		return nil, err
	}
	if a.assocID != "" && !s.inDefaultVPC(z, a) {
		return nil, apiErr(ErrInvalidIPAddressInUse, "Address %s is in use.", a.publicIP)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	if a.assocID != "" {
		// EC2 documents this for the default VPC: releasing disassociates.
		s.disassociate(z, a)
	}
	z.net.addresses = slices.DeleteFunc(z.net.addresses, func(x *address) bool { return x == a })
	releasePublic(a.publicIP)
	s.touchTenant(z, partNetwork)
	return &xmlproto.Return{Return: true}, nil
}

// inDefaultVPC reports whether a is associated with an interface in the
// default VPC. Callers hold s.mu.
func (s *Server) inDefaultVPC(z *tenant, a *address) bool {
	inst := s.instances[a.instanceID]
	if inst == nil || inst.nic == nil {
		return false
	}
	v := z.net.vpc(inst.nic.vpcID)
	return v != nil && v.isDefault
}

// addressView renders a. Callers hold s.mu (read).
func (s *Server) addressView(z *tenant, a *address) xmlproto.Address {
	v := xmlproto.Address{PublicIP: a.publicIP, AllocationID: a.allocID, Domain: "vpc", Tags: a.tags,
		PublicIpv4Pool: "amazon", NetworkBorderGroup: z.region}
	if a.assocID != "" {
		v.AssociationID, v.NetworkInterfaceID, v.NetworkInterfaceOwnerID = a.assocID, a.eniID, a.owner
		v.InstanceID, v.PrivateIPAddress = a.instanceID, a.privateIP
		if inst := s.instances[a.instanceID]; inst != nil && inst.privateIP != "" {
			v.PrivateIPAddress = inst.privateIP // the backend may give it another after a start
		}
	}
	return v
}

var addressFields = query.Fields[*xmlproto.Address]{
	ByName: map[string]func(*xmlproto.Address) []string{
		"allocation-id":              func(a *xmlproto.Address) []string { return one(a.AllocationID) },
		"association-id":             func(a *xmlproto.Address) []string { return one(a.AssociationID) },
		"domain":                     func(a *xmlproto.Address) []string { return one(a.Domain) },
		"instance-id":                func(a *xmlproto.Address) []string { return one(a.InstanceID) },
		"network-border-group":       func(a *xmlproto.Address) []string { return one(a.NetworkBorderGroup) },
		"network-interface-id":       func(a *xmlproto.Address) []string { return one(a.NetworkInterfaceID) },
		"network-interface-owner-id": func(a *xmlproto.Address) []string { return one(a.NetworkInterfaceOwnerID) },
		"private-ip-address":         func(a *xmlproto.Address) []string { return one(a.PrivateIPAddress) },
		"public-ip":                  func(a *xmlproto.Address) []string { return one(a.PublicIP) },
	},
	Tags: func(a *xmlproto.Address) []xmlproto.Tag { return a.Tags },
}

func (s *Server) describeAddresses(ctx context.Context, c *call, req *xmlproto.DescribeAddressesRequest) (any, error) {
	for _, ip := range req.PublicIPs {
		if err := checkPublicIP(ip); err != nil {
			return nil, err
		}
	}
	ips := req.PublicIPs
	spec := describeSpec[*xmlproto.Address]{
		// No format check: an ID without eipalloc- is one that does not
		// exist (checkAllocID), reported after DryRun like any other.
		// DescribeAddresses does not page: no MaxResults to check.
		checkMax: func(*int) error { return nil },
		fields:   addressFields, tenant: true,
		list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*xmlproto.Address], error) {
			z := s.tenants[c.scope]
			if id, ok := firstMissing(ids, func(id string) bool { return z.net.address(id) != nil }); ok {
				return nil, allocNotFound(id)
			}
			for _, ip := range ips {
				if z.net.addressByIP(ip) == nil {
					return nil, apiErr(ErrInvalidAddressNotFound, "Address '%s' not found.", ip)
				}
			}
			var all []xmlproto.Address
			for _, a := range z.net.addresses {
				if (len(ids) == 0 && len(ips) == 0) || slices.Contains(ids, a.allocID) || slices.Contains(ips, a.publicIP) {
					all = append(all, s.addressView(z, a))
				}
			}
			return pointers(all), nil
		},
		emit: func(s *Server, c *call, page []*xmlproto.Address, next string) any {
			return &xmlproto.DescribeAddressesResponse{Addresses: values(page)}
		},
	}
	return describe(ctx, s, c, describeQuery{req.AllocationIDs, req.Filters, nil, "", req.DryRun}, &spec)
}

func (s *Server) describeAddressesAttribute(ctx context.Context, c *call, req *xmlproto.DescribeAddressesAttributeRequest) (any, error) {
	if req.Attribute == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter Attribute")
	}
	return describe(ctx, s, c, describeQuery{req.AllocationIDs, nil, req.MaxResults, req.NextToken, req.DryRun}, &describeAddressesAttributeSpec)
}

var describeAddressesAttributeSpec = describeSpec[*xmlproto.AddressAttribute]{
	// The model's range for this action is 1..1000, not the usual 5..1000.
	checkMax: func(max *int) error {
		if max != nil && (*max < 1 || *max > 1000) {
			return apiErr(ErrInvalidParameterValue, "Value ( %d ) for parameter maxResults is invalid. Expecting a value between 1 and 1000.", *max)
		}
		return nil
	},
	tenant: true,
	list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*xmlproto.AddressAttribute], error) {
		z := s.tenants[c.scope]
		if id, ok := firstMissing(ids, func(id string) bool { return z.net.address(id) != nil }); ok {
			return nil, allocNotFound(id)
		}
		var all []xmlproto.AddressAttribute
		for _, a := range z.net.addresses {
			if len(ids) == 0 || slices.Contains(ids, a.allocID) {
				// No reverse DNS record is ever set (ModifyAddressAttribute
				// is not offered), so only the address is listed.
				all = append(all, xmlproto.AddressAttribute{PublicIP: a.publicIP, AllocationID: a.allocID})
			}
		}
		return pointers(all), nil
	},
	emit: func(s *Server, c *call, page []*xmlproto.AddressAttribute, next string) any {
		return &xmlproto.DescribeAddressesAttributeResponse{Addresses: values(page), NextToken: next}
	},
}
