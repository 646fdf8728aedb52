package ec2emu

import (
	"context"
	"iter"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Route tables and network ACLs. A route table's routes and associations
// are stored as made; its local route and each route's state are worked out
// when it is described. Routes are bookkeeping: nothing forwards packets
// by them.

func (n *network) routeTable(id string) *routeTable {
	for _, rt := range n.routeTables {
		if rt.id == id {
			return rt
		}
	}
	return nil
}

// findRouteTable resolves a RouteTableId parameter. Callers hold s.mu.
func (n *network) findRouteTable(id string) (*routeTable, error) {
	if id == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter routeTableId")
	}
	if err := checkID(id, "rtb-", ErrInvalidRouteTableIDMalformed); err != nil {
		return nil, err
	}
	rt := n.routeTable(id)
	if rt == nil {
		return nil, apiErr(ErrInvalidRouteTableIDNotFound, "The routeTable ID '%s' does not exist", id)
	}
	return rt, nil
}

// mainTable is the VPC's main route table.
func (n *network) mainTable(vpcID string) *routeTable {
	for _, rt := range n.routeTables {
		if rt.vpcID == vpcID && rt.mainAssoc() != nil {
			return rt
		}
	}
	return nil
}

func (rt *routeTable) mainAssoc() *rtAssoc {
	for _, a := range rt.assocs {
		if a.main {
			return a
		}
	}
	return nil
}

// assoc finds a route table association by ID.
func (n *network) assoc(id string) (*routeTable, *rtAssoc) {
	for _, rt := range n.routeTables {
		for _, a := range rt.assocs {
			if a.id == id {
				return rt, a
			}
		}
	}
	return nil, nil
}

func (n *network) acl(id string) *networkACL {
	for _, a := range n.acls {
		if a.id == id {
			return a
		}
	}
	return nil
}

// ---- views ----

// routeState is "active" while the target exists where the route needs it,
// "blackhole" once it does not (a detached gateway, a terminated
// instance). Callers hold s.mu.
func (s *Server) routeState(z *tenant, rt *routeTable, r *route) string {
	switch {
	case r.gateway != "":
		if g := z.net.igw(r.gateway); g != nil && g.vpcID == rt.vpcID {
			return "active"
		}
		return "blackhole"
	case r.instance != "":
		if inst := s.instances[r.instance]; inst != nil && liveNIC(inst) != nil {
			return "active"
		}
		return "blackhole"
	}
	return "blackhole"
}

// routeTableView renders rt. Callers hold s.mu.
func (s *Server) routeTableView(z *tenant, rt *routeTable) xmlproto.RouteTable {
	v := xmlproto.RouteTable{RouteTableID: rt.id, VpcID: rt.vpcID, OwnerID: rt.owner, Tags: rt.tags,
		Associations: []xmlproto.RouteTableAssociation{}, PropagatingVgws: []struct{}{}}
	if vp := z.net.vpc(rt.vpcID); vp != nil {
		v.Routes = append(v.Routes, xmlproto.Route{DestinationCidrBlock: vp.cidr, GatewayID: "local", State: "active", Origin: "CreateRouteTable"})
	}
	for _, r := range rt.routes {
		x := xmlproto.Route{GatewayID: r.gateway, InstanceID: r.instance, NetworkInterfaceID: r.eni,
			EgressOnlyInternetGatewayID: r.eigw, State: s.routeState(z, rt, r), Origin: "CreateRoute"}
		if strings.Contains(r.dest, ":") {
			x.DestinationIpv6CidrBlock = r.dest
		} else {
			x.DestinationCidrBlock = r.dest
		}
		if inst := s.instances[r.instance]; inst != nil {
			x.InstanceOwnerID = inst.res.owner
			if n := liveNIC(inst); n != nil {
				x.NetworkInterfaceID = n.eniID
			}
		}
		v.Routes = append(v.Routes, x)
	}
	for _, a := range rt.assocs {
		v.Associations = append(v.Associations, assocView(rt, a))
	}
	return v
}

func assocView(rt *routeTable, a *rtAssoc) xmlproto.RouteTableAssociation {
	return xmlproto.RouteTableAssociation{RouteTableAssociationID: a.id, RouteTableID: rt.id, SubnetID: a.subnetID,
		GatewayID: a.gatewayID, Main: a.main, AssociationState: xmlproto.RouteTableAssociationState{State: "associated"}}
}

func mapRoutes(f func(r xmlproto.Route) string) func(*xmlproto.RouteTable) []string {
	return func(t *xmlproto.RouteTable) []string {
		var out []string
		for _, r := range t.Routes {
			if v := f(r); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
}

func mapAssocs(f func(a xmlproto.RouteTableAssociation) string) func(*xmlproto.RouteTable) []string {
	return func(t *xmlproto.RouteTable) []string {
		var out []string
		for _, a := range t.Associations {
			if v := f(a); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
}

var routeTableFields = query.Fields[*xmlproto.RouteTable]{
	ByName: map[string]func(*xmlproto.RouteTable) []string{
		"route-table-id": func(t *xmlproto.RouteTable) []string { return one(t.RouteTableID) },
		"vpc-id":         func(t *xmlproto.RouteTable) []string { return one(t.VpcID) },
		"owner-id":       func(t *xmlproto.RouteTable) []string { return one(t.OwnerID) },
		"association.main": func(t *xmlproto.RouteTable) []string {
			// A table with no associations matches association.main=false
			// neither: AWS looks at the associations.
			return mapAssocs(func(a xmlproto.RouteTableAssociation) string { return strconv.FormatBool(a.Main) })(t)
		},
		"association.route-table-association-id": mapAssocs(func(a xmlproto.RouteTableAssociation) string { return a.RouteTableAssociationID }),
		"association.route-table-id":             mapAssocs(func(a xmlproto.RouteTableAssociation) string { return a.RouteTableID }),
		"association.subnet-id":                  mapAssocs(func(a xmlproto.RouteTableAssociation) string { return a.SubnetID }),
		"association.gateway-id":                 mapAssocs(func(a xmlproto.RouteTableAssociation) string { return a.GatewayID }),
		"route.destination-cidr-block":           mapRoutes(func(r xmlproto.Route) string { return r.DestinationCidrBlock }),
		"route.destination-ipv6-cidr-block":      mapRoutes(func(r xmlproto.Route) string { return r.DestinationIpv6CidrBlock }),
		"route.egress-only-internet-gateway-id":  mapRoutes(func(r xmlproto.Route) string { return r.EgressOnlyInternetGatewayID }),
		"route.gateway-id":                       mapRoutes(func(r xmlproto.Route) string { return r.GatewayID }),
		"route.instance-id":                      mapRoutes(func(r xmlproto.Route) string { return r.InstanceID }),
		"route.origin":                           mapRoutes(func(r xmlproto.Route) string { return r.Origin }),
		"route.state":                            mapRoutes(func(r xmlproto.Route) string { return r.State }),
	},
	Tags: func(t *xmlproto.RouteTable) []xmlproto.Tag { return t.Tags },
}

func (s *Server) describeRouteTables(ctx context.Context, c *call, req *xmlproto.DescribeRouteTablesRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.RouteTableIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &describeRouteTablesSpec)
}

var describeRouteTablesSpec = describeSpec[*xmlproto.RouteTable]{
	checkIDs: prefixID("rtb-", ErrInvalidRouteTableIDMalformed, ""),
	fields:   routeTableFields, tenant: true,
	list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*xmlproto.RouteTable], error) {
		z := s.tenants[c.scope]
		if id, ok := firstMissing(ids, func(id string) bool { return z.net.routeTable(id) != nil }); ok {
			return nil, apiErr(ErrInvalidRouteTableIDNotFound, "The routeTable ID '%s' does not exist", id)
		}
		var all []xmlproto.RouteTable
		for _, rt := range z.net.routeTables {
			if len(ids) == 0 || slices.Contains(ids, rt.id) {
				all = append(all, s.routeTableView(z, rt))
			}
		}
		return pointers(all), nil
	},
	emit: func(s *Server, c *call, page []*xmlproto.RouteTable, next string) any {
		return &xmlproto.DescribeRouteTablesResponse{RouteTables: values(page), NextToken: next}
	},
}

// ---- CreateRouteTable, DeleteRouteTable ----

func (s *Server) createRouteTable(ctx context.Context, c *call, req *xmlproto.CreateRouteTableRequest) (any, error) {
	tags, err := tagsFor(req.TagSpecifications, "route-table")
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
	if req.ClientToken != "" {
		for _, rt := range z.net.routeTables {
			if rt.clientToken != req.ClientToken {
				continue
			}
			if rt.vpcID != v.id {
				return nil, apiErr(ErrIdempotentParameterMismatch, "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
			}
			if req.DryRun {
				return nil, errDryRun
			}
			return &xmlproto.CreateRouteTableResponse{RouteTable: s.routeTableView(z, rt), ClientToken: req.ClientToken}, nil
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	rt := &routeTable{id: newID("rtb-"), owner: c.account, vpcID: v.id, clientToken: req.ClientToken, tags: tags}
	z.net.routeTables = append(z.net.routeTables, rt)
	s.touchTenant(z, partNetwork)
	return &xmlproto.CreateRouteTableResponse{RouteTable: s.routeTableView(z, rt), ClientToken: req.ClientToken}, nil
}

func (s *Server) deleteRouteTable(ctx context.Context, c *call, req *xmlproto.RouteTableIDRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	rt, err := z.net.findRouteTable(req.RouteTableID)
	if err != nil {
		return nil, err
	}
	if len(rt.assocs) > 0 {
		// The main table, or one still associated with subnets or gateways.
		return nil, apiErr(ErrDependencyViolation, "The routeTable '%s' has dependencies and cannot be deleted.", rt.id)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	z.net.routeTables = slices.DeleteFunc(z.net.routeTables, func(x *routeTable) bool { return x == rt })
	s.touchTenant(z, partNetwork)
	return &xmlproto.Return{Return: true}, nil
}

// ---- CreateRoute, DeleteRoute, ReplaceRoute ----

// routeDest reads a request's destination: exactly one of an IPv4 CIDR, an
// IPv6 CIDR or a prefix list (which ec2emu does not have).
func routeDest(req *xmlproto.RouteRequest) (string, error) {
	n := 0
	for _, d := range []string{req.DestinationCidrBlock, req.DestinationIpv6CidrBlock, req.DestinationPrefixListID} {
		if d != "" {
			n++
		}
	}
	switch {
	case n == 0:
		return "", apiErr(ErrMissingParameter, "The request must contain the parameter destinationCidrBlock or destinationIpv6CidrBlock")
	case n > 1:
		return "", apiErr(ErrInvalidParameterCombination, "Only one of destinationCidrBlock, destinationIpv6CidrBlock or destinationPrefixListId may be specified.")
	case req.DestinationPrefixListID != "":
		return "", apiErr(ErrInvalidPrefixListIDNotFound, "The prefix list ID '%s' does not exist", req.DestinationPrefixListID)
	case req.DestinationCidrBlock != "":
		p, err := netip.ParsePrefix(req.DestinationCidrBlock)
		if err != nil || !p.Addr().Is4() {
			return "", apiErr(ErrInvalidParameterValue, "Value (%s) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", req.DestinationCidrBlock)
		}
		return p.Masked().String(), nil
	default:
		p, err := netip.ParsePrefix(req.DestinationIpv6CidrBlock)
		if err != nil || !p.Addr().Is6() {
			return "", apiErr(ErrInvalidParameterValue, "Value (%s) for parameter destinationIpv6CidrBlock is invalid. This is not a valid CIDR block.", req.DestinationIpv6CidrBlock)
		}
		return p.Masked().String(), nil
	}
}

// routeTarget resolves a request's one target within rt's VPC. Callers
// hold s.mu.
func (s *Server) routeTarget(z *tenant, rt *routeTable, req *xmlproto.RouteRequest) (*route, error) {
	targets := map[string]string{
		"gatewayId": req.GatewayID, "instanceId": req.InstanceID, "networkInterfaceId": req.NetworkInterfaceID,
		"natGatewayId": req.NatGatewayID, "transitGatewayId": req.TransitGatewayID,
		"vpcPeeringConnectionId": req.VpcPeeringConnectionID, "egressOnlyInternetGatewayId": req.EgressOnlyInternetGatewayID,
		"carrierGatewayId": req.CarrierGatewayID, "localGatewayId": req.LocalGatewayID, "vpcEndpointId": req.VpcEndpointID,
		"coreNetworkArn": req.CoreNetworkArn, "odbNetworkArn": req.OdbNetworkArn,
	}
	var given []string
	for name, v := range targets {
		if v != "" {
			given = append(given, name)
		}
	}
	if req.LocalTarget != nil && *req.LocalTarget {
		given = append(given, "localTarget")
	}
	slices.Sort(given)
	switch len(given) {
	case 0:
		return nil, apiErr(ErrMissingParameter, "The request must contain exactly one of gatewayId, natGatewayId, instanceId, networkInterfaceId, vpcPeeringConnectionId, transitGatewayId, egressOnlyInternetGatewayId, carrierGatewayId, localGatewayId, vpcEndpointId, coreNetworkArn or odbNetworkArn")
	case 1:
	default:
		return nil, apiErr(ErrInvalidParameterCombination, "More than one target specified: %s", strings.Join(given, ", "))
	}
	r := &route{}
	switch given[0] {
	case "gatewayId":
		id := req.GatewayID
		if !strings.HasPrefix(id, "igw-") {
			// Virtual private gateways and the rest do not exist here.
			return nil, apiErr(ErrInvalidGatewayIDNotFound, "The gateway ID '%s' does not exist", id)
		}
		g := z.net.igw(id)
		if g == nil {
			return nil, apiErr(ErrInvalidGatewayIDNotFound, "The gateway ID '%s' does not exist", id)
		}
		if g.vpcID != rt.vpcID {
			return nil, apiErr(ErrInvalidParameterValue, "route table %s and network gateway %s belong to different networks", rt.id, g.id)
		}
		r.gateway = g.id
	case "instanceId":
		inst := s.instances[req.InstanceID]
		if inst == nil || inst.tenant != z || !s.visible(inst, s.cfg.now()) {
			return nil, apiErr(ErrInvalidInstanceIDNotFound, "The instance ID '%s' does not exist", req.InstanceID)
		}
		n := liveNIC(inst)
		if n == nil || n.vpcID != rt.vpcID {
			return nil, apiErr(ErrInvalidParameterValue, "route table %s and instance %s belong to different networks", rt.id, inst.id)
		}
		r.instance = inst.id
	case "natGatewayId":
		return nil, apiErr(ErrInvalidNatGatewayIDNotFound, "The natGateway ID '%s' does not exist", req.NatGatewayID)
	case "transitGatewayId":
		return nil, apiErr(ErrInvalidTransitGatewayIDNotFound, "The transitGateway ID '%s' does not exist", req.TransitGatewayID)
	case "vpcPeeringConnectionId":
		return nil, apiErr(ErrInvalidVpcPeeringConnectionIDNotFound, "The vpcPeeringConnection ID '%s' does not exist", req.VpcPeeringConnectionID)
	case "egressOnlyInternetGatewayId":
		return nil, apiErr(ErrInvalidGatewayIDNotFound, "The eigw ID '%s' does not exist", req.EgressOnlyInternetGatewayID)
	default:
		// Network interfaces other than instances' own (part of the
		// next networking step), carrier and local gateways, endpoints,
		// core networks: ec2emu has none to route to.
		return nil, apiErr(ErrUnsupportedOperation, "Routes to a %s are not supported by ec2emu: use gatewayId (an internet gateway) or instanceId.", given[0])
	}
	return r, nil
}

func (rt *routeTable) routeTo(dest string) int {
	return slices.IndexFunc(rt.routes, func(r *route) bool { return r.dest == dest })
}

// isLocal reports whether dest is the VPC's local route.
func (n *network) isLocal(rt *routeTable, dest string) bool {
	v := n.vpc(rt.vpcID)
	return v != nil && v.cidr == dest
}

func (s *Server) createRoute(ctx context.Context, c *call, req *xmlproto.RouteRequest) (any, error) {
	dest, err := routeDest(req)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	rt, err := z.net.findRouteTable(req.RouteTableID)
	if err != nil {
		return nil, err
	}
	r, err := s.routeTarget(z, rt, req)
	if err != nil {
		return nil, err
	}
	if rt.routeTo(dest) >= 0 || z.net.isLocal(rt, dest) {
		return nil, apiErr(ErrRouteAlreadyExists, "The route identified by %s already exists.", dest)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	r.dest = dest
	rt.routes = append(rt.routes, r)
	s.touchTenant(z, partNetwork)
	return &xmlproto.Return{Return: true}, nil
}

func (s *Server) replaceRoute(ctx context.Context, c *call, req *xmlproto.RouteRequest) (any, error) {
	dest, err := routeDest(req)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	rt, err := z.net.findRouteTable(req.RouteTableID)
	if err != nil {
		return nil, err
	}
	if z.net.isLocal(rt, dest) {
		return nil, apiErr(ErrInvalidParameterValue, "The local route %s of route table %s cannot be replaced by ec2emu.", dest, rt.id)
	}
	i := rt.routeTo(dest)
	if i < 0 {
		return nil, apiErr(ErrInvalidParameterValue, "There is no route defined for '%s' in the route table. Use CreateRoute instead.", dest)
	}
	r, err := s.routeTarget(z, rt, req)
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	r.dest = dest
	rt.routes[i] = r
	s.touchTenant(z, partNetwork)
	return &xmlproto.Return{Return: true}, nil
}

func (s *Server) deleteRoute(ctx context.Context, c *call, req *xmlproto.RouteRequest) (any, error) {
	dest, err := routeDest(req)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	rt, err := z.net.findRouteTable(req.RouteTableID)
	if err != nil {
		return nil, err
	}
	if z.net.isLocal(rt, dest) {
		return nil, apiErr(ErrInvalidParameterValue, "cannot remove local route %s in route table %s", dest, rt.id)
	}
	i := rt.routeTo(dest)
	if i < 0 {
		kind := "destination-cidr-block"
		if strings.Contains(dest, ":") {
			kind = "destination-ipv6-cidr-block"
		}
		return nil, apiErr(ErrInvalidRouteNotFound, "no route with %s %s in route table %s", kind, dest, rt.id)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	rt.routes = slices.Delete(rt.routes, i, i+1)
	s.touchTenant(z, partNetwork)
	return &xmlproto.Return{Return: true}, nil
}

// ---- associations ----

func (s *Server) associateRouteTable(ctx context.Context, c *call, req *xmlproto.AssociateRouteTableRequest) (any, error) {
	switch {
	case req.PublicIpv4Pool != "":
		return nil, apiErr(ErrUnsupportedOperation, "Public IPv4 pools are not supported by ec2emu.")
	case req.SubnetID != "" && req.GatewayID != "":
		return nil, apiErr(ErrInvalidParameterCombination, "Only one of subnetId or gatewayId may be specified.")
	case req.SubnetID == "" && req.GatewayID == "":
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter subnetId or gatewayId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	rt, err := z.net.findRouteTable(req.RouteTableID)
	if err != nil {
		return nil, err
	}
	a := &rtAssoc{id: newID("rtbassoc-")}
	if req.SubnetID != "" {
		sn, err := z.net.findSubnet(req.SubnetID)
		if err != nil {
			return nil, err
		}
		if sn.vpcID != rt.vpcID {
			return nil, apiErr(ErrInvalidParameterValue, "Route table %s and subnet %s belong to different networks", rt.id, sn.id)
		}
		a.subnetID = sn.id
	} else {
		g, err := z.net.findIGW(req.GatewayID)
		if err != nil {
			return nil, err
		}
		if g.vpcID != rt.vpcID {
			return nil, apiErr(ErrInvalidParameterValue, "Route table %s and gateway %s belong to different networks", rt.id, g.id)
		}
		a.gatewayID = g.id
	}
	for _, o := range z.net.routeTables {
		for _, x := range o.assocs {
			if (a.subnetID != "" && x.subnetID == a.subnetID) || (a.gatewayID != "" && x.gatewayID == a.gatewayID) {
				return nil, apiErr(ErrResourceAlreadyAssociated, "the specified association for route table %s conflicts with an existing association", rt.id)
			}
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	rt.assocs = append(rt.assocs, a)
	s.touchTenant(z, partNetwork)
	return &xmlproto.AssociateRouteTableResponse{AssociationID: a.id,
		AssociationState: xmlproto.RouteTableAssociationState{State: "associated"}}, nil
}

// findAssoc resolves an AssociationId parameter. Callers hold s.mu.
func (n *network) findAssoc(id string) (*routeTable, *rtAssoc, error) {
	if err := checkID(id, "rtbassoc-", ErrInvalidAssociationIDNotFound); err != nil {
		return nil, nil, apiErr(ErrInvalidAssociationIDNotFound, "The association ID '%s' does not exist", id)
	}
	rt, a := n.assoc(id)
	if a == nil {
		return nil, nil, apiErr(ErrInvalidAssociationIDNotFound, "The association ID '%s' does not exist", id)
	}
	return rt, a, nil
}

func (s *Server) disassociateRouteTable(ctx context.Context, c *call, req *xmlproto.AssociationIDRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	rt, a, err := z.net.findAssoc(req.AssociationID)
	if err != nil {
		return nil, err
	}
	if a.main {
		return nil, apiErr(ErrInvalidParameterValue, "cannot disassociate the main route table association %s", a.id)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	rt.assocs = slices.DeleteFunc(rt.assocs, func(x *rtAssoc) bool { return x == a })
	s.touchTenant(z, partNetwork)
	return &xmlproto.Return{Return: true}, nil
}

// replaceRouteTableAssociation moves an association (a subnet's, a
// gateway's, or the VPC's main one) to another table of the same VPC,
// under a new association ID.
func (s *Server) replaceRouteTableAssociation(ctx context.Context, c *call, req *xmlproto.AssociationIDRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	from, a, err := z.net.findAssoc(req.AssociationID)
	if err != nil {
		return nil, err
	}
	to, err := z.net.findRouteTable(req.RouteTableID)
	if err != nil {
		return nil, err
	}
	if to.vpcID != from.vpcID {
		return nil, apiErr(ErrInvalidParameterValue, "Route table %s and association %s belong to different networks", to.id, a.id)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	from.assocs = slices.DeleteFunc(from.assocs, func(x *rtAssoc) bool { return x == a })
	moved := &rtAssoc{id: newID("rtbassoc-"), subnetID: a.subnetID, gatewayID: a.gatewayID, main: a.main}
	to.assocs = append(to.assocs, moved)
	s.touchTenant(z, partNetwork)
	return &xmlproto.ReplaceRouteTableAssociationResponse{NewAssociationID: moved.id,
		AssociationState: xmlproto.RouteTableAssociationState{State: "associated"}}, nil
}

// ---- DescribeNetworkAcls ----

// defaultACLEntries are the rules of every default network ACL: allow all
// (rule 100) and the final deny (*, 32767), out and in.
var defaultACLEntries = []xmlproto.NetworkAclEntry{
	{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", Egress: true, CidrBlock: "0.0.0.0/0"},
	{RuleNumber: 32767, Protocol: "-1", RuleAction: "deny", Egress: true, CidrBlock: "0.0.0.0/0"},
	{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", Egress: false, CidrBlock: "0.0.0.0/0"},
	{RuleNumber: 32767, Protocol: "-1", RuleAction: "deny", Egress: false, CidrBlock: "0.0.0.0/0"},
}

// aclView renders a, associated with subnets, those of its VPC.
func aclView(a *networkACL, subnets []*subnet) xmlproto.NetworkAcl {
	v := xmlproto.NetworkAcl{NetworkAclID: a.id, VpcID: a.vpcID, OwnerID: a.owner, IsDefault: true,
		Entries: slices.Clone(defaultACLEntries), Associations: []xmlproto.NetworkAclAssociation{}, Tags: a.tags}
	for _, sn := range subnets {
		v.Associations = append(v.Associations, xmlproto.NetworkAclAssociation{
			NetworkAclAssociationID: stableID("aclassoc-", sn.id), NetworkAclID: a.id, SubnetID: sn.id})
	}
	return v
}

func mapEntries(f func(e xmlproto.NetworkAclEntry) string) func(*xmlproto.NetworkAcl) []string {
	return func(a *xmlproto.NetworkAcl) []string {
		var out []string
		for _, e := range a.Entries {
			out = append(out, f(e))
		}
		return out
	}
}

func mapACLAssocs(f func(e xmlproto.NetworkAclAssociation) string) func(*xmlproto.NetworkAcl) []string {
	return func(a *xmlproto.NetworkAcl) []string {
		var out []string
		for _, x := range a.Associations {
			out = append(out, f(x))
		}
		return out
	}
}

var networkACLFields = query.Fields[*xmlproto.NetworkAcl]{
	ByName: map[string]func(*xmlproto.NetworkAcl) []string{
		"network-acl-id": func(a *xmlproto.NetworkAcl) []string { return one(a.NetworkAclID) },
		"vpc-id":         func(a *xmlproto.NetworkAcl) []string { return one(a.VpcID) },
		"owner-id":       func(a *xmlproto.NetworkAcl) []string { return one(a.OwnerID) },
		"default":        func(a *xmlproto.NetworkAcl) []string { return one(strconv.FormatBool(a.IsDefault)) },
		"association.association-id": mapACLAssocs(func(x xmlproto.NetworkAclAssociation) string {
			return x.NetworkAclAssociationID
		}),
		"association.network-acl-id": mapACLAssocs(func(x xmlproto.NetworkAclAssociation) string { return x.NetworkAclID }),
		"association.subnet-id":      mapACLAssocs(func(x xmlproto.NetworkAclAssociation) string { return x.SubnetID }),
		"entry.cidr":                 mapEntries(func(e xmlproto.NetworkAclEntry) string { return e.CidrBlock }),
		"entry.egress":               mapEntries(func(e xmlproto.NetworkAclEntry) string { return strconv.FormatBool(e.Egress) }),
		"entry.protocol":             mapEntries(func(e xmlproto.NetworkAclEntry) string { return e.Protocol }),
		"entry.rule-action":          mapEntries(func(e xmlproto.NetworkAclEntry) string { return e.RuleAction }),
		"entry.rule-number":          mapEntries(func(e xmlproto.NetworkAclEntry) string { return strconv.Itoa(e.RuleNumber) }),
	},
	Tags: func(a *xmlproto.NetworkAcl) []xmlproto.Tag { return a.Tags },
}

func (s *Server) describeNetworkAcls(ctx context.Context, c *call, req *xmlproto.DescribeNetworkAclsRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.NetworkAclIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &describeNetworkAclsSpec)
}

var describeNetworkAclsSpec = describeSpec[*xmlproto.NetworkAcl]{
	checkIDs: prefixID("acl-", ErrInvalidNetworkACLIDMalformed, ""),
	fields:   networkACLFields, tenant: true,
	list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*xmlproto.NetworkAcl], error) {
		z := s.tenants[c.scope]
		if id, ok := firstMissing(ids, func(id string) bool { return z.net.acl(id) != nil }); ok {
			return nil, apiErr(ErrInvalidNetworkACLIDNotFound, "The networkAcl ID '%s' does not exist", id)
		}
		byVPC := map[string][]*subnet{}
		for _, sn := range z.net.subnets {
			byVPC[sn.vpcID] = append(byVPC[sn.vpcID], sn)
		}
		var all []xmlproto.NetworkAcl
		for _, a := range z.net.acls {
			if len(ids) == 0 || slices.Contains(ids, a.id) {
				all = append(all, aclView(a, byVPC[a.vpcID]))
			}
		}
		return pointers(all), nil
	},
	emit: func(s *Server, c *call, page []*xmlproto.NetworkAcl, next string) any {
		return &xmlproto.DescribeNetworkAclsResponse{NetworkAcls: values(page), NextToken: next}
	},
}
