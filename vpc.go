package ec2emu

import (
	"context"
	"iter"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ec2emu/ec2emu/internal/catalog"
	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// The VPC control plane: VPCs, their attributes, subnets, internet
// gateways and the account attributes. Route tables and network ACLs are in
// routetables.go. All of it is state of the tenant's network record
// (partNetwork); a VPC's default security group is in partGroups.

// checkID answers EC2's Malformed error for an ID without its prefix.
func checkID(id, prefix string, code ErrorCode) error {
	if !strings.HasPrefix(id, prefix) {
		return apiErr(code, "Invalid id: \"%s\"", id)
	}
	return nil
}

// findVPC resolves a VpcId parameter. Callers hold s.mu.
func (n *network) findVPC(id string) (*vpc, error) {
	if id == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter vpcId")
	}
	if err := checkID(id, "vpc-", ErrInvalidVpcIDMalformed); err != nil {
		return nil, err
	}
	v := n.vpc(id)
	if v == nil {
		return nil, apiErr(ErrInvalidVpcIDNotFound, "The vpc ID '%s' does not exist", id)
	}
	return v, nil
}

// findSubnet resolves a SubnetId parameter. Callers hold s.mu.
func (n *network) findSubnet(id string) (*subnet, error) {
	if id == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter subnetId")
	}
	if err := checkID(id, "subnet-", ErrInvalidSubnetIDMalformed); err != nil {
		return nil, err
	}
	sn := n.subnet(id)
	if sn == nil {
		return nil, apiErr(ErrInvalidSubnetIDNotFound, "The subnet ID '%s' does not exist", id)
	}
	return sn, nil
}

func (n *network) igw(id string) *igw {
	for _, g := range n.igws {
		if g.id == id {
			return g
		}
	}
	return nil
}

// findIGW resolves an InternetGatewayId parameter. Callers hold s.mu.
func (n *network) findIGW(id string) (*igw, error) {
	if err := checkID(id, "igw-", ErrInvalidInternetGatewayIDMalformed); err != nil {
		return nil, err
	}
	g := n.igw(id)
	if g == nil {
		return nil, apiErr(ErrInvalidInternetGatewayIDNotFound, "The internetGateway ID '%s' does not exist", id)
	}
	return g, nil
}

// parseCIDR parses an IPv4 CIDR parameter, normalised to its network
// address.
func parseCIDR(param, s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter %s is invalid. This is not a valid CIDR block.", s, param)
	}
	return p.Masked(), nil
}

// ---- VPCs ----

func (s *Server) createVpc(ctx context.Context, c *call, req *xmlproto.CreateVpcRequest) (any, error) {
	if req.Ipv4IpamPoolID != "" || req.Ipv4NetmaskLength != nil {
		return nil, apiErr(ErrUnsupportedOperation, "IPAM pools are not supported by ec2emu: give CidrBlock.")
	}
	if req.AmazonProvidedIpv6CidrBlock || req.Ipv6CidrBlock != "" || req.Ipv6Pool != "" || req.Ipv6IpamPoolID != "" {
		return nil, apiErr(ErrUnsupportedOperation, "IPv6 CIDR blocks are not supported by ec2emu: its VPCs are IPv4 only.")
	}
	if req.CidrBlock == "" {
		return nil, apiErr(ErrMissingParameter, "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.")
	}
	p, err := parseCIDR("cidrBlock", req.CidrBlock)
	if err != nil {
		return nil, err
	}
	if p.Bits() < 16 || p.Bits() > 28 {
		return nil, apiErr(ErrInvalidVpcRange, "The CIDR '%s' is invalid.", req.CidrBlock)
	}
	tenancy := req.InstanceTenancy
	switch tenancy {
	case "":
		tenancy = "default"
	case "default", "dedicated":
	default:
		return nil, apiErr(ErrUnsupportedTenancy, "The tenancy value %s is not supported.", tenancy)
	}
	tags, err := tagsFor(req.TagSpecifications, "vpc")
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	v := &vpc{id: newID("vpc-"), owner: c.account, cidr: p.String(), tenancy: tenancy,
		dhcpOptionsID: stableID("dopt-", c.account, c.region), assocID: newID("vpc-cidr-assoc-"),
		dnsSupport: true, tags: tags}
	z.net.vpcs = append(z.net.vpcs, v)
	z.net.addVPCDefaults(v)
	z.net.groups = append(z.net.groups, defaultSecurityGroup(c.scope, v))
	s.touchTenant(z, partNetwork|partGroups)
	view := s.vpcView(v)
	view.State = "pending" // as AWS answers CreateVpc; Describe shows it available at once
	return &xmlproto.CreateVpcResponse{Vpc: view}, nil
}

func (s *Server) createDefaultVpc(ctx context.Context, c *call, req *xmlproto.DryRunRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	if z.net.defaultVPC() != nil {
		return nil, apiErr(ErrDefaultVpcAlreadyExists, "A Default VPC already exists for this account in this region.")
	}
	if req.DryRun {
		return nil, errDryRun
	}
	v := z.net.addDefaultVPC(c.scope, false)
	s.touchTenant(z, partNetwork|partGroups)
	view := s.vpcView(v)
	view.State = "pending"
	return &xmlproto.CreateVpcResponse{Vpc: view}, nil
}

func (s *Server) deleteVpc(ctx context.Context, c *call, req *xmlproto.VpcIDRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	v, err := z.net.findVPC(req.VpcID)
	if err != nil {
		return nil, err
	}
	if z.net.vpcInUse(v) {
		return nil, apiErr(ErrDependencyViolation, "The vpc '%s' has dependencies and cannot be deleted.", v.id)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	n := z.net
	n.vpcs = slices.DeleteFunc(n.vpcs, func(x *vpc) bool { return x == v })
	n.routeTables = slices.DeleteFunc(n.routeTables, func(x *routeTable) bool { return x.vpcID == v.id })
	n.acls = slices.DeleteFunc(n.acls, func(x *networkACL) bool { return x.vpcID == v.id })
	n.groups = slices.DeleteFunc(n.groups, func(x *securityGroup) bool { return x.vpcID == v.id })
	s.forgetVPCNetwork(v.id)
	s.touchTenant(z, partNetwork|partGroups)
	return &xmlproto.Return{Return: true}, nil
}

// vpcInUse reports what keeps a VPC from being deleted, as AWS counts it:
// subnets, security groups other than its default, an attached internet
// gateway, route tables other than its main one.
func (n *network) vpcInUse(v *vpc) bool {
	return slices.ContainsFunc(n.subnets, func(x *subnet) bool { return x.vpcID == v.id }) ||
		slices.ContainsFunc(n.groups, func(x *securityGroup) bool { return x.vpcID == v.id && !x.isDefault }) ||
		slices.ContainsFunc(n.igws, func(x *igw) bool { return x.vpcID == v.id }) ||
		slices.ContainsFunc(n.routeTables, func(x *routeTable) bool { return x.vpcID == v.id && x.mainAssoc() == nil })
}

// vpcAttributes names DescribeVpcAttribute's attributes and where each
// lives, in the order EC2 lists them in its errors.
var vpcAttributes = []struct {
	name string
	get  func(*vpc) *bool
}{
	{"enableDnsSupport", func(v *vpc) *bool { return &v.dnsSupport }},
	{"enableDnsHostnames", func(v *vpc) *bool { return &v.dnsHostnames }},
	{"enableNetworkAddressUsageMetrics", func(v *vpc) *bool { return &v.nauMetrics }},
}

func (s *Server) describeVpcAttribute(ctx context.Context, c *call, req *xmlproto.DescribeVpcAttributeRequest) (any, error) {
	if err := checkID(req.VpcID, "vpc-", ErrInvalidVpcIDMalformed); err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.ensureTenant(c.scope)
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, err := s.tenants[c.scope].net.findVPC(req.VpcID)
	if err != nil {
		return nil, err
	}
	out := &xmlproto.DescribeVpcAttributeResponse{VpcID: v.id}
	val := func(b bool) *xmlproto.AttributeBooleanValue { return &xmlproto.AttributeBooleanValue{Value: &b} }
	switch req.Attribute { // the model check has limited it to these
	case "enableDnsSupport":
		out.EnableDNSSupport = val(v.dnsSupport)
	case "enableDnsHostnames":
		out.EnableDNSHostnames = val(v.dnsHostnames)
	case "enableNetworkAddressUsageMetrics":
		out.EnableNetworkAddressUsageMetrics = val(v.nauMetrics)
	}
	return out, nil
}

func (s *Server) modifyVpcAttribute(ctx context.Context, c *call, req *xmlproto.ModifyVpcAttributeRequest) (any, error) {
	given := map[string]*xmlproto.AttributeBooleanValue{
		"enableDnsSupport": req.EnableDNSSupport, "enableDnsHostnames": req.EnableDNSHostnames,
		"enableNetworkAddressUsageMetrics": req.EnableNetworkAddressUsageMetrics,
	}
	var names []string
	for _, a := range vpcAttributes {
		if v := given[a.name]; v != nil && v.Value != nil {
			names = append(names, a.name)
		}
	}
	if err := oneAttribute(names, apiErr(ErrMissingParameter,
		"The request must contain one of the parameters enableDnsSupport, enableDnsHostnames or enableNetworkAddressUsageMetrics")); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	v, err := z.net.findVPC(req.VpcID)
	if err != nil {
		return nil, err
	}
	want := *given[names[0]].Value
	if names[0] == "enableDnsHostnames" && want && !v.dnsSupport {
		return nil, apiErr(ErrInvalidParameterValue, "enableDnsHostnames can only be enabled on a VPC whose enableDnsSupport is enabled.")
	}
	for _, a := range vpcAttributes {
		if a.name == names[0] {
			*a.get(v) = want
		}
	}
	s.touchTenant(z, partNetwork)
	return &xmlproto.Return{Return: true}, nil
}

// ---- subnets ----

func (s *Server) createSubnet(ctx context.Context, c *call, req *xmlproto.CreateSubnetRequest) (any, error) {
	if err := checkID(req.VpcID, "vpc-", ErrInvalidVpcIDMalformed); err != nil {
		return nil, err
	}
	switch {
	case req.Ipv4IpamPoolID != "" || req.Ipv4NetmaskLength != nil || req.Ipv6IpamPoolID != "" || req.Ipv6NetmaskLength != nil:
		return nil, apiErr(ErrUnsupportedOperation, "IPAM pools are not supported by ec2emu: give CidrBlock.")
	case req.Ipv6Native || req.Ipv6CidrBlock != "":
		return nil, apiErr(ErrUnsupportedOperation, "IPv6 subnets are not supported by ec2emu: its VPCs are IPv4 only.")
	case req.OutpostArn != "":
		return nil, apiErr(ErrUnsupportedOperation, "Outposts are not supported by ec2emu.")
	case req.CidrBlock == "":
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter cidrBlock")
	}
	p, err := parseCIDR("cidrBlock", req.CidrBlock)
	if err != nil {
		return nil, err
	}
	if req.AvailabilityZone != "" && req.AvailabilityZoneID != "" {
		return nil, apiErr(ErrInvalidParameterCombination, "Only one of availabilityZone or availabilityZoneId may be specified.")
	}
	zones := catalog.ZoneNames(c.region)
	zi := 0 // AWS picks a zone when none is given; here always the first
	if req.AvailabilityZone != "" || req.AvailabilityZoneID != "" {
		zi = -1
		for i, name := range zones {
			if name == req.AvailabilityZone || catalog.ZoneID(c.region, i) == req.AvailabilityZoneID {
				zi = i
			}
		}
		if zi < 0 {
			param, val := "availabilityZone", req.AvailabilityZone
			if val == "" {
				param, val = "availabilityZoneId", req.AvailabilityZoneID
			}
			return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter %s is invalid. Subnets can currently only be created in the following availability zones: %s.",
				val, param, strings.Join(zones, ", "))
		}
	}
	tags, err := tagsFor(req.TagSpecifications, "subnet")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	v, err := z.net.findVPC(req.VpcID)
	if err != nil {
		return nil, err
	}
	vp := netip.MustParsePrefix(v.cidr)
	if p.Bits() < 16 || p.Bits() > 28 || p.Bits() < vp.Bits() || !vp.Contains(p.Addr()) {
		return nil, apiErr(ErrInvalidSubnetRange, "The CIDR '%s' is invalid.", req.CidrBlock)
	}
	for _, o := range z.net.subnets {
		if o.vpcID == v.id && netip.MustParsePrefix(o.cidr).Overlaps(p) {
			return nil, apiErr(ErrInvalidSubnetConflict, "The CIDR '%s' conflicts with another subnet", req.CidrBlock)
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	sn := &subnet{id: newID("subnet-"), owner: c.account, vpcID: v.id, cidr: p.String(), az: zones[zi],
		azID: catalog.ZoneID(c.region, zi), hostnameType: "ip-name", tags: tags}
	z.net.subnets = append(z.net.subnets, sn)
	s.touchTenant(z, partNetwork)
	view := s.subnetView(z, sn, 0)
	view.State = "pending" // as AWS answers CreateSubnet
	return &xmlproto.CreateSubnetResponse{Subnet: view}, nil
}

func (s *Server) deleteSubnet(ctx context.Context, c *call, req *xmlproto.SubnetIDRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	sn, err := z.net.findSubnet(req.SubnetID)
	if err != nil {
		return nil, err
	}
	if subnetUsed(z, sn) > 0 {
		return nil, apiErr(ErrDependencyViolation, "The subnet '%s' has dependencies and cannot be deleted.", sn.id)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	z.net.subnets = slices.DeleteFunc(z.net.subnets, func(x *subnet) bool { return x == sn })
	delete(z.net.books, sn.id)
	for _, rt := range z.net.routeTables {
		rt.assocs = slices.DeleteFunc(rt.assocs, func(a *rtAssoc) bool { return a.subnetID == sn.id })
	}
	s.touchTenant(z, partNetwork)
	return &xmlproto.Return{Return: true}, nil
}

func (s *Server) modifySubnetAttribute(ctx context.Context, c *call, req *xmlproto.ModifySubnetAttributeRequest) (any, error) {
	type attr struct {
		name string
		set  bool
	}
	b := func(v *xmlproto.AttributeBooleanValue) bool { return v != nil && v.Value != nil }
	attrs := []attr{
		{"mapPublicIpOnLaunch", b(req.MapPublicIPOnLaunch)},
		{"assignIpv6AddressOnCreation", b(req.AssignIpv6AddressOnCreation)},
		{"enableDns64", b(req.EnableDNS64)},
		{"enableResourceNameDnsARecordOnLaunch", b(req.EnableResourceNameDNSARecordOnLaunch)},
		{"enableResourceNameDnsAAAARecordOnLaunch", b(req.EnableResourceNameDNSAAAARecordOnLaunch)},
		{"mapCustomerOwnedIpOnLaunch", b(req.MapCustomerOwnedIPOnLaunch) || req.CustomerOwnedIpv4Pool != ""},
		{"enableLniAtDeviceIndex", req.EnableLniAtDeviceIndex != nil},
		{"disableLniAtDeviceIndex", b(req.DisableLniAtDeviceIndex)},
		{"privateDnsHostnameTypeOnLaunch", req.PrivateDNSHostnameTypeOnLaunch != ""},
	}
	var names []string
	for _, a := range attrs {
		if a.set {
			names = append(names, a.name)
		}
	}
	if err := oneAttribute(names, apiErr(ErrMissingParameter, "The request must contain an attribute to modify")); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	sn, err := z.net.findSubnet(req.SubnetID)
	if err != nil {
		return nil, err
	}
	switch names[0] {
	case "mapPublicIpOnLaunch":
		sn.mapPublicIP = *req.MapPublicIPOnLaunch.Value
	case "enableDns64":
		sn.dns64 = *req.EnableDNS64.Value
	case "enableResourceNameDnsARecordOnLaunch":
		sn.dnsA = *req.EnableResourceNameDNSARecordOnLaunch.Value
	case "enableResourceNameDnsAAAARecordOnLaunch":
		sn.dnsAAAA = *req.EnableResourceNameDNSAAAARecordOnLaunch.Value
	case "privateDnsHostnameTypeOnLaunch": // the model check allows ip-name and resource-name
		sn.hostnameType = req.PrivateDNSHostnameTypeOnLaunch
	case "assignIpv6AddressOnCreation":
		if *req.AssignIpv6AddressOnCreation.Value {
			return nil, apiErr(ErrInvalidParameterValue, "Subnet '%s' has no IPv6 CIDR block: ec2emu's subnets are IPv4 only.", sn.id)
		}
		return &xmlproto.Return{Return: true}, nil // already off
	default: // customer-owned addresses and LNIs exist only on Outposts
		return nil, apiErr(ErrInvalidParameterValue, "The attribute %s is only supported for subnets on an Outpost.", names[0])
	}
	s.touchTenant(z, partNetwork)
	return &xmlproto.Return{Return: true}, nil
}

// ---- internet gateways ----

func igwView(g *igw) xmlproto.InternetGateway {
	v := xmlproto.InternetGateway{InternetGatewayID: g.id, OwnerID: g.owner, Tags: g.tags,
		Attachments: []xmlproto.InternetGatewayAttachment{}}
	if g.vpcID != "" {
		// "available" is how EC2 shows an attached internet gateway.
		v.Attachments = append(v.Attachments, xmlproto.InternetGatewayAttachment{State: "available", VpcID: g.vpcID})
	}
	return v
}

func (s *Server) createInternetGateway(ctx context.Context, c *call, req *xmlproto.CreateInternetGatewayRequest) (any, error) {
	tags, err := tagsFor(req.TagSpecifications, "internet-gateway")
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	g := &igw{id: newID("igw-"), owner: c.account, tags: tags}
	z.net.igws = append(z.net.igws, g)
	s.touchTenant(z, partNetwork)
	return &xmlproto.CreateInternetGatewayResponse{InternetGateway: igwView(g)}, nil
}

func (s *Server) deleteInternetGateway(ctx context.Context, c *call, req *xmlproto.InternetGatewayRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	g, err := z.net.findIGW(req.InternetGatewayID)
	if err != nil {
		return nil, err
	}
	if g.vpcID != "" {
		return nil, apiErr(ErrDependencyViolation, "The internetGateway '%s' has dependencies and cannot be deleted.", g.id)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	z.net.igws = slices.DeleteFunc(z.net.igws, func(x *igw) bool { return x == g })
	s.touchTenant(z, partNetwork)
	return &xmlproto.Return{Return: true}, nil
}

func (s *Server) attachInternetGateway(ctx context.Context, c *call, req *xmlproto.InternetGatewayRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	g, err := z.net.findIGW(req.InternetGatewayID)
	if err != nil {
		return nil, err
	}
	v, err := z.net.findVPC(req.VpcID)
	if err != nil {
		return nil, err
	}
	if g.vpcID != "" {
		return nil, apiErr(ErrResourceAlreadyAssociated, "resource %s is already attached to network %s", g.id, g.vpcID)
	}
	if o := z.net.vpcIGW(v.id); o != nil {
		return nil, apiErr(ErrResourceAlreadyAssociated, "network %s already has an internet gateway attached (%s)", v.id, o.id)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	g.vpcID = v.id
	s.touchTenant(z, partNetwork)
	return &xmlproto.Return{Return: true}, nil
}

func (s *Server) detachInternetGateway(ctx context.Context, c *call, req *xmlproto.InternetGatewayRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	g, err := z.net.findIGW(req.InternetGatewayID)
	if err != nil {
		return nil, err
	}
	v, err := z.net.findVPC(req.VpcID)
	if err != nil {
		return nil, err
	}
	if g.vpcID != v.id {
		return nil, apiErr(ErrGatewayNotAttached, "resource %s is not attached to network %s", g.id, v.id)
	}
	for _, inst := range z.order {
		if n := liveNIC(inst); n != nil && n.vpcID == v.id && inst.access.publicIP != "" {
			return nil, apiErr(ErrDependencyViolation, "Network %s has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.", v.id)
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	g.vpcID = ""
	s.touchTenant(z, partNetwork)
	return &xmlproto.Return{Return: true}, nil
}

// vpcIGW is the internet gateway attached to a VPC, if any.
func (n *network) vpcIGW(vpcID string) *igw {
	for _, g := range n.igws {
		if g.vpcID == vpcID {
			return g
		}
	}
	return nil
}

var igwFields = query.Fields[*xmlproto.InternetGateway]{
	ByName: map[string]func(*xmlproto.InternetGateway) []string{
		"internet-gateway-id": func(g *xmlproto.InternetGateway) []string { return one(g.InternetGatewayID) },
		"owner-id":            func(g *xmlproto.InternetGateway) []string { return one(g.OwnerID) },
		"attachment.vpc-id": func(g *xmlproto.InternetGateway) []string {
			var out []string
			for _, a := range g.Attachments {
				out = append(out, a.VpcID)
			}
			return out
		},
		"attachment.state": func(g *xmlproto.InternetGateway) []string {
			var out []string
			for _, a := range g.Attachments {
				out = append(out, a.State)
			}
			return out
		},
	},
	Tags: func(g *xmlproto.InternetGateway) []xmlproto.Tag { return g.Tags },
}

func (s *Server) describeInternetGateways(ctx context.Context, c *call, req *xmlproto.DescribeInternetGatewaysRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.InternetGatewayIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &describeInternetGatewaysSpec)
}

var describeInternetGatewaysSpec = describeSpec[*xmlproto.InternetGateway]{
	checkIDs: prefixID("igw-", ErrInvalidInternetGatewayIDMalformed, ""),
	fields:   igwFields, tenant: true,
	list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*xmlproto.InternetGateway], error) {
		z := s.tenants[c.scope]
		if id, ok := firstMissing(ids, func(id string) bool { return z.net.igw(id) != nil }); ok {
			return nil, apiErr(ErrInvalidInternetGatewayIDNotFound, "The internetGateway ID '%s' does not exist", id)
		}
		var all []xmlproto.InternetGateway
		for _, g := range z.net.igws {
			if len(ids) == 0 || slices.Contains(ids, g.id) {
				all = append(all, igwView(g))
			}
		}
		return pointers(all), nil
	},
	emit: func(s *Server, c *call, page []*xmlproto.InternetGateway, next string) any {
		return &xmlproto.DescribeInternetGatewaysResponse{InternetGateways: values(page), NextToken: next}
	},
}

// ---- DescribeAccountAttributes ----

// accountAttributeNames are the attributes EC2 reports, in its order.
var accountAttributeNames = []string{"supported-platforms", "vpc-max-security-groups-per-interface", "max-elastic-ips",
	"max-instances", "vpc-max-elastic-ips", "default-vpc"}

func (s *Server) describeAccountAttributes(ctx context.Context, c *call, req *xmlproto.DescribeAccountAttributesRequest) (any, error) {
	for _, name := range req.AttributeNames {
		if !slices.Contains(accountAttributeNames, name) {
			return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter attributeName is invalid. Unknown attribute.", name)
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.ensureTenant(c.scope)
	s.mu.RLock()
	defer s.mu.RUnlock()
	defaultVPC := "none"
	if v := s.tenants[c.scope].net.defaultVPC(); v != nil {
		defaultVPC = v.id
	}
	maxInstances := 20 // what AWS reports for an account without an instance limit
	if s.cfg.maxInstances > 0 {
		maxInstances = s.cfg.maxInstances
	}
	values := map[string][]string{
		"supported-platforms": {"VPC"}, "vpc-max-security-groups-per-interface": {"5"}, "max-elastic-ips": {strconv.Itoa(maxElasticIPs)},
		"max-instances": {strconv.Itoa(maxInstances)}, "vpc-max-elastic-ips": {strconv.Itoa(maxElasticIPs)}, "default-vpc": {defaultVPC},
	}
	out := &xmlproto.DescribeAccountAttributesResponse{AccountAttributes: []xmlproto.AccountAttribute{}}
	for _, name := range accountAttributeNames {
		if len(req.AttributeNames) > 0 && !slices.Contains(req.AttributeNames, name) {
			continue
		}
		a := xmlproto.AccountAttribute{AttributeName: name}
		for _, v := range values[name] {
			a.AttributeValues = append(a.AttributeValues, xmlproto.AccountAttributeValue{AttributeValue: v})
		}
		out.AccountAttributes = append(out.AccountAttributes, a)
	}
	return out, nil
}
