package ec2emu

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ec2emu/ec2emu/internal/catalog"
	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Networking. Every account and region starts, like a fresh AWS account,
// with a default VPC (172.31.0.0/16), one default /20 subnet per
// availability zone, the VPC's internet gateway, main route table, default
// network ACL and "default" security group. Their IDs are derived from
// account and region, so they are the same after a restart and re-adopted
// machines still point at them. CreateVpc and the rest (vpc.go,
// routetables.go) add to it. Nothing here routes packets: an instance's
// address is whatever its backend gives it.

// network is the VPC state of one tenant (account and region).
type network struct {
	vpcs        []*vpc
	subnets     []*subnet
	groups      []*securityGroup // creation order; the default group first
	igws        []*igw
	routeTables []*routeTable
	acls        []*networkACL
	enis        []*eni               // interfaces made by CreateNetworkInterface (interfaces.go)
	books       map[string]*addrBook // subnet ID → who holds its addresses (privateip.go)
	addresses   []*address           // Elastic IPs, in allocation order (addresses.go)
}

type vpc struct {
	id, owner, cidr, dhcpOptionsID, assocID string
	tenancy                                 string // "default" or "dedicated"
	isDefault                               bool
	dnsSupport, dnsHostnames, nauMetrics    bool
	tags                                    []xmlproto.Tag
}

type subnet struct {
	id, owner, vpcID, cidr, az, azID string
	defaultForAz                     bool
	mapPublicIP                      bool
	dns64                            bool
	hostnameType                     string // ip-name or resource-name
	dnsA, dnsAAAA                    bool   // resource-name DNS records on launch
	tags                             []xmlproto.Tag
}

// igw is an internet gateway, attached to at most one VPC.
type igw struct {
	id, owner, vpcID string // vpcID empty while detached
	tags             []xmlproto.Tag
}

// routeTable is a VPC's route table. Its local route is implied by the
// VPC's CIDR; routes holds the others, in the order they were made.
type routeTable struct {
	id, owner, vpcID string
	routes           []*route
	assocs           []*rtAssoc
	clientToken      string
	tags             []xmlproto.Tag
}

// route is one route: a destination and one target.
type route struct {
	dest     string // IPv4 or IPv6 CIDR
	gateway  string // igw-…
	instance string // i-…
	eni      string // eni-…
	eigw     string // eigw-…
}

// rtAssoc ties a route table to a subnet or a gateway, or makes it the
// VPC's main table.
type rtAssoc struct {
	id, subnetID, gatewayID string
	main                    bool
}

// networkACL is a VPC's default network ACL: allow all, in and out. Every
// subnet of the VPC is associated with it (no CreateNetworkAcl here).
type networkACL struct {
	id, owner, vpcID string
	tags             []xmlproto.Tag
}

// subnetAddresses is the number of addresses of a subnet an instance can
// get: its size less the five AWS reserves in every subnet.
func subnetAddresses(cidr string) int {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return 0
	}
	return 1<<(32-p.Bits()) - 5
}

// stableID derives an EC2-style ID (prefix + 17 hex digits) from parts, so
// default resources keep their IDs across restarts.
func stableID(prefix string, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return prefix + hex.EncodeToString(sum[:])[:17]
}

func newNetwork(sc scope) *network {
	n := &network{}
	n.addDefaultVPC(sc, true)
	return n
}

// addDefaultVPC adds a default VPC as AWS makes one: 172.31.0.0/16, a
// default /20 subnet per zone, an attached internet gateway with the main
// table's route to it, the default ACL and the default security group.
// stable derives the IDs from account and region (the tenant's first
// default VPC); a default VPC made again by CreateDefaultVpc gets new ones.
func (n *network) addDefaultVPC(sc scope, stable bool) *vpc {
	id := func(prefix string, parts ...string) string {
		if stable {
			return stableID(prefix, append([]string{sc.account, sc.region}, parts...)...)
		}
		return newID(prefix)
	}
	v := &vpc{
		id: id("vpc-", "default-vpc"), owner: sc.account, cidr: "172.31.0.0/16", tenancy: "default",
		dhcpOptionsID: stableID("dopt-", sc.account, sc.region), assocID: id("vpc-cidr-assoc-"),
		isDefault: true, dnsSupport: true, dnsHostnames: true,
	}
	n.vpcs = append(n.vpcs, v)
	for i, az := range catalog.ZoneNames(sc.region) {
		n.subnets = append(n.subnets, &subnet{
			id: id("subnet-", az), owner: sc.account, vpcID: v.id,
			cidr: fmt.Sprintf("172.31.%d.0/20", 16*i), az: az, azID: catalog.ZoneID(sc.region, i), defaultForAz: true,
			mapPublicIP: true, hostnameType: "ip-name",
		})
	}
	n.addVPCDefaults(v)
	g := &igw{id: id("igw-", "default-vpc"), owner: sc.account, vpcID: v.id}
	n.igws = append(n.igws, g)
	n.mainTable(v.id).routes = []*route{{dest: "0.0.0.0/0", gateway: g.id}}
	n.groups = append(n.groups, defaultSecurityGroup(sc, v))
	return v
}

// addVPCDefaults adds the main route table and the default network ACL
// every VPC has. Their IDs derive from the VPC's.
func (n *network) addVPCDefaults(v *vpc) {
	rt := &routeTable{id: stableID("rtb-", v.id, "main"), owner: v.owner, vpcID: v.id}
	rt.assocs = []*rtAssoc{{id: stableID("rtbassoc-", v.id, "main"), main: true}}
	n.routeTables = append(n.routeTables, rt)
	n.acls = append(n.acls, &networkACL{id: stableID("acl-", v.id, "default"), owner: v.owner, vpcID: v.id})
}

func (n *network) vpc(id string) *vpc {
	for _, v := range n.vpcs {
		if v.id == id {
			return v
		}
	}
	return nil
}

func (n *network) defaultVPC() *vpc {
	for _, v := range n.vpcs {
		if v.isDefault {
			return v
		}
	}
	return nil
}

func (n *network) subnet(id string) *subnet {
	for _, sn := range n.subnets {
		if sn.id == id {
			return sn
		}
	}
	return nil
}

// defaultSubnet is the default subnet of az, nil if it has none.
func (n *network) defaultSubnet(az string) *subnet {
	for _, sn := range n.subnets {
		if sn.defaultForAz && sn.az == az {
			return sn
		}
	}
	return nil
}

// ensureTenant creates sc's tenant (with its default network) if this is the
// first request for it, so read-only handlers can then work under the read
// lock.
func (s *Server) ensureTenant(sc scope) {
	s.mu.RLock()
	ok := s.tenants[sc] != nil
	s.mu.RUnlock()
	if !ok {
		s.mu.Lock()
		s.tenant(sc)
		s.mu.Unlock()
	}
}

// nic is an instance's primary network interface.
type nic struct {
	vpcID, subnetID, eniID, attachID, mac string
	groups                                []xmlproto.GroupIdentifier
}

// Metadata keys for an instance's network placement, stored with the
// machine so a restarted Server re-adopts it in the same subnet and groups.
const (
	mdVpc    = "vpc-id"
	mdSubnet = "subnet-id"
	mdENI    = "network-interface-id"
	mdGroups = "security-groups" // JSON list of {id,name}
)

func newNIC(sn *subnet, groups []xmlproto.GroupIdentifier, eniID string) *nic {
	if eniID == "" {
		eniID = newID("eni-")
	}
	return &nic{
		vpcID: sn.vpcID, subnetID: sn.id, eniID: eniID, attachID: "eni-attach-" + strings.TrimPrefix(eniID, "eni-"),
		mac: macFor(eniID), groups: slices.Clone(groups),
	}
}

// macFor derives a locally administered MAC address from the ENI ID: the
// backend's real MAC is not part of the seam, and the value only needs to be
// stable and unique.
func macFor(eniID string) string {
	sum := sha256.Sum256([]byte(eniID))
	b := []string{"02"}
	for _, c := range sum[:5] {
		b = append(b, fmt.Sprintf("%02x", c))
	}
	return strings.Join(b, ":")
}

type groupRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (n *nic) store(md map[string]string) {
	md[mdVpc], md[mdSubnet], md[mdENI] = n.vpcID, n.subnetID, n.eniID
	refs := make([]groupRef, 0, len(n.groups))
	for _, g := range n.groups {
		refs = append(refs, groupRef{g.GroupID, g.GroupName})
	}
	b, _ := json.Marshal(refs)
	md[mdGroups] = string(b)
}

// adoptNIC rebuilds a re-adopted machine's interface from its metadata.
// Machines launched before networking existed go into the default subnet of
// their tenant with the default group. Callers hold s.mu.
func adoptNIC(z *tenant, md map[string]string, az string) *nic {
	sn := z.net.subnet(md[mdSubnet])
	if sn == nil {
		sn = z.net.defaultSubnet(az)
	}
	if sn == nil {
		// Its subnet is gone (a default VPC deleted meanwhile): keep what
		// the machine says.
		sn = &subnet{id: md[mdSubnet], vpcID: md[mdVpc]}
	}
	var groups []xmlproto.GroupIdentifier
	var refs []groupRef
	if json.Unmarshal([]byte(md[mdGroups]), &refs) == nil {
		for _, r := range refs {
			groups = append(groups, xmlproto.GroupIdentifier{GroupID: r.ID, GroupName: r.Name})
		}
	}
	if g := z.net.defaultGroup(sn.vpcID); len(groups) == 0 && g != nil {
		groups = []xmlproto.GroupIdentifier{{GroupID: g.id, GroupName: g.name}}
	}
	n := newNIC(sn, groups, md[mdENI])
	if md[mdVpc] != "" {
		n.vpcID = md[mdVpc]
	}
	return n
}

// launchNetwork resolves RunInstances' SubnetId, SecurityGroupId.N,
// SecurityGroup.N and NetworkInterface.N to a subnet and groups. It answers
// the AWS errors for unknown or contradicting ones. Callers hold s.mu.
func launchNetwork(z *tenant, req *xmlproto.RunInstancesRequest, placementAZ string) (*subnet, []xmlproto.GroupIdentifier, error) {
	subnetID, groupIDs := req.SubnetID, req.SecurityGroupIDs
	if len(req.NetworkInterfaces) > 0 {
		if req.SubnetID != "" {
			return nil, nil, apiErr(ErrInvalidParameterCombination, "Network interfaces and an instance-level subnet ID may not be specified on the same request")
		}
		if len(req.SecurityGroupIDs) > 0 || len(req.SecurityGroups) > 0 {
			return nil, nil, apiErr(ErrInvalidParameterCombination, "Network interfaces and an instance-level security groups may not be specified on the same request")
		}
		ni := req.NetworkInterfaces[0]
		if ni.DeviceIndex == nil {
			return nil, nil, apiErr(ErrInvalidParameterValue, "Each network interface requires a device index.")
		}
		if *ni.DeviceIndex != 0 {
			return nil, nil, apiErr(ErrInvalidParameterValue, "When specifying network interfaces, you must include a device at index 0.")
		}
		if len(req.NetworkInterfaces) > 1 {
			return nil, nil, apiErr(ErrUnsupportedOperation, "This emulator supports one network interface per instance (DeviceIndex 0).")
		}
		if ni.NetworkInterfaceID != "" {
			if z.net.eni(ni.NetworkInterfaceID) != nil {
				return nil, nil, apiErr(ErrUnsupportedOperation, "Launching with an existing network interface is not supported by ec2emu; launch into its subnet and attach it at device index 1 (AttachNetworkInterface).")
			}
			return nil, nil, eniNotFound(ni.NetworkInterfaceID)
		}
		subnetID, groupIDs = ni.SubnetID, ni.SecurityGroupIDs
	}
	var sn *subnet
	if subnetID != "" {
		if !strings.HasPrefix(subnetID, "subnet-") {
			return nil, nil, apiErr(ErrInvalidSubnetIDMalformed, "Invalid id: \"%s\"", subnetID)
		}
		if sn = z.net.subnet(subnetID); sn == nil {
			return nil, nil, apiErr(ErrInvalidSubnetIDNotFound, "The subnet ID '%s' does not exist", subnetID)
		}
		if placementAZ != "" && placementAZ != sn.az {
			return nil, nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter availabilityZone is invalid. Subnet '%s' is in the availability zone %s", placementAZ, sn.id, sn.az)
		}
	} else {
		dv := z.net.defaultVPC()
		if dv == nil {
			return nil, nil, apiErr(ErrVPCIDNotSpecified, "No default VPC for this user")
		}
		az := placementAZ
		if az == "" {
			// The first zone with a default subnet, as AWS picks one.
			for _, name := range catalog.ZoneNames(z.region) {
				if z.net.defaultSubnet(name) != nil {
					az = name
					break
				}
			}
		}
		if sn = z.net.defaultSubnet(az); sn == nil {
			return nil, nil, apiErr(ErrMissingInput, "No subnets found for the default VPC '%s'. Please specify a subnet.", dv.id)
		}
	}
	var groups []xmlproto.GroupIdentifier
	add := func(g *securityGroup) error {
		if g.vpcID != sn.vpcID {
			return apiErr(ErrInvalidParameter, "Security group %s and subnet %s belong to different networks.", g.id, sn.id)
		}
		if !slices.ContainsFunc(groups, func(x xmlproto.GroupIdentifier) bool { return x.GroupID == g.id }) {
			groups = append(groups, xmlproto.GroupIdentifier{GroupID: g.id, GroupName: g.name})
		}
		return nil
	}
	for _, id := range groupIDs {
		g, err := z.net.groupByID(id)
		if err != nil {
			return nil, nil, err
		}
		if err := add(g); err != nil {
			return nil, nil, err
		}
	}
	for _, name := range req.SecurityGroups {
		g := z.net.groupByName(sn.vpcID, name)
		if g == nil {
			where := "VPC"
			if v := z.net.vpc(sn.vpcID); v != nil && v.isDefault {
				where = "default VPC"
			}
			return nil, nil, apiErr(ErrInvalidGroupNotFound, "The security group '%s' does not exist in %s '%s'", name, where, sn.vpcID)
		}
		if err := add(g); err != nil {
			return nil, nil, err
		}
	}
	if len(groups) == 0 {
		if g := z.net.defaultGroup(sn.vpcID); g != nil {
			groups = append(groups, xmlproto.GroupIdentifier{GroupID: g.id, GroupName: g.name})
		}
	}
	return sn, groups, nil
}

// viewNetwork adds inst's VPC placement and primary network interface to
// its description. A terminated instance has released its interface.
// Callers hold s.mu (read).
func (s *Server) viewNetwork(inst *instance, v *xmlproto.Instance) {
	n := inst.nic
	if n == nil || inst.state == stateTerminated {
		return
	}
	sdc := !inst.attrs.NoSourceDestCheck // the attribute is the primary interface's
	v.VpcID, v.SubnetID, v.SourceDestCheck = n.vpcID, n.subnetID, &sdc
	v.Groups = slices.Clone(n.groups)
	eni := xmlproto.InstanceNetworkInterface{
		NetworkInterfaceID: n.eniID, SubnetID: n.subnetID, VpcID: n.vpcID, OwnerID: inst.res.owner,
		Status: "in-use", MacAddress: n.mac, PrivateIPAddress: inst.privateIP, SourceDestCheck: sdc,
		Groups: slices.Clone(n.groups), InterfaceType: "interface",
		Attachment: xmlproto.NetworkInterfaceAttachment{
			AttachmentID: n.attachID, DeviceIndex: 0, Status: "attached", AttachTime: inst.launchTime,
			DeleteOnTermination: true, NetworkCardIndex: 0,
		},
	}
	if inst.privateIP != "" {
		eni.PrivateDNSName = privateDNSName(inst.privateIP, inst.tenant.region)
		eni.PrivateIPAddresses = []xmlproto.InstancePrivateIPAddress{{
			PrivateIPAddress: inst.privateIP, PrivateDNSName: eni.PrivateDNSName, Primary: true,
		}}
	}
	v.NetworkInterfaces = []xmlproto.InstanceNetworkInterface{eni}
	for _, e := range inst.tenant.net.enis {
		if a := e.attach; a != nil && a.instanceID == inst.id {
			dns := privateDNSName(e.privateIP, inst.tenant.region)
			v.NetworkInterfaces = append(v.NetworkInterfaces, xmlproto.InstanceNetworkInterface{
				NetworkInterfaceID: e.id, SubnetID: e.subnetID, VpcID: e.vpcID, Description: e.description, OwnerID: e.owner,
				Status: "in-use", MacAddress: e.mac, PrivateIPAddress: e.privateIP, PrivateDNSName: dns,
				SourceDestCheck: !e.noSourceDestCheck, Groups: slices.Clone(e.groups), InterfaceType: "interface",
				Attachment: xmlproto.NetworkInterfaceAttachment{AttachmentID: a.id, DeviceIndex: a.deviceIndex, Status: "attached",
					AttachTime: a.at, DeleteOnTermination: a.deleteOnTermination},
				PrivateIPAddresses: []xmlproto.InstancePrivateIPAddress{{PrivateIPAddress: e.privateIP, PrivateDNSName: dns, Primary: true}},
			})
		}
	}
}

// liveNIC is inst's interface while the instance holds one.
func liveNIC(i *instance) *nic {
	if i.nic == nil || i.state == stateTerminated {
		return nil
	}
	return i.nic
}

func nicField(get func(*nic) []string) func(*instance) []string {
	return func(i *instance) []string {
		if n := liveNIC(i); n != nil {
			return get(n)
		}
		return nil
	}
}

func groupIDsOf(n *nic) []string {
	var out []string
	for _, g := range n.groups {
		out = append(out, g.GroupID)
	}
	return out
}

func sourceDestCheckOf(i *instance) []string {
	if liveNIC(i) == nil {
		return nil
	}
	return one(strconv.FormatBool(!i.attrs.NoSourceDestCheck))
}

func groupNamesOf(n *nic) []string {
	var out []string
	for _, g := range n.groups {
		out = append(out, g.GroupName)
	}
	return out
}

// The DescribeInstances filters on networking join instanceFields here, so
// the table in instances.go stays about the instance itself.
func init() {
	maps.Copy(instanceFields.ByName, map[string]func(*instance) []string{
		"vpc-id":                                     nicField(func(n *nic) []string { return one(n.vpcID) }),
		"subnet-id":                                  nicField(func(n *nic) []string { return one(n.subnetID) }),
		"instance.group-id":                          nicField(groupIDsOf),
		"instance.group-name":                        nicField(groupNamesOf),
		"network-interface.group-id":                 nicField(groupIDsOf),
		"network-interface.group-name":               nicField(groupNamesOf),
		"network-interface.network-interface-id":     nicField(func(n *nic) []string { return one(n.eniID) }),
		"network-interface.subnet-id":                nicField(func(n *nic) []string { return one(n.subnetID) }),
		"network-interface.vpc-id":                   nicField(func(n *nic) []string { return one(n.vpcID) }),
		"network-interface.mac-address":              nicField(func(n *nic) []string { return one(n.mac) }),
		"network-interface.status":                   nicField(func(n *nic) []string { return one("in-use") }),
		"network-interface.source-dest-check":        sourceDestCheckOf,
		"network-interface.attachment.attachment-id": nicField(func(n *nic) []string { return one(n.attachID) }),
		"network-interface.attachment.device-index":  nicField(func(n *nic) []string { return one("0") }),
		"network-interface.attachment.status":        nicField(func(n *nic) []string { return one("attached") }),
		"network-interface.private-dns-name": func(i *instance) []string {
			if liveNIC(i) == nil || i.privateIP == "" {
				return nil
			}
			return one(privateDNSName(i.privateIP, i.tenant.region))
		},
		"network-interface.owner-id": func(i *instance) []string {
			if liveNIC(i) == nil {
				return nil
			}
			return one(i.res.owner)
		},
		"source-dest-check": sourceDestCheckOf,
	})
}

// ---- DescribeVpcs, DescribeSubnets ----

func (s *Server) vpcView(v *vpc) xmlproto.Vpc {
	return xmlproto.Vpc{
		VpcID: v.id, OwnerID: v.owner, State: "available", CidrBlock: v.cidr,
		CidrBlockAssociationSet: []xmlproto.VpcCidrBlockAssociation{{
			AssociationID: v.assocID, CidrBlock: v.cidr, CidrBlockState: xmlproto.CidrBlockState{State: "associated"},
		}},
		DhcpOptionsID: v.dhcpOptionsID, Tags: v.tags, InstanceTenancy: v.tenancy, IsDefault: v.isDefault,
		BlockPublicAccessStates: &xmlproto.BlockPublicAccessStates{InternetGatewayBlockMode: "off"},
	}
}

var vpcFields = query.Fields[*xmlproto.Vpc]{
	ByName: map[string]func(*xmlproto.Vpc) []string{
		"vpc-id":          func(v *xmlproto.Vpc) []string { return one(v.VpcID) },
		"cidr":            func(v *xmlproto.Vpc) []string { return one(v.CidrBlock) },
		"cidr-block":      func(v *xmlproto.Vpc) []string { return one(v.CidrBlock) },
		"dhcp-options-id": func(v *xmlproto.Vpc) []string { return one(v.DhcpOptionsID) },
		"is-default":      func(v *xmlproto.Vpc) []string { return one(strconv.FormatBool(v.IsDefault)) },
		"isDefault":       func(v *xmlproto.Vpc) []string { return one(strconv.FormatBool(v.IsDefault)) },
		"owner-id":        func(v *xmlproto.Vpc) []string { return one(v.OwnerID) },
		"state":           func(v *xmlproto.Vpc) []string { return one(v.State) },
		"cidr-block-association.cidr-block": func(v *xmlproto.Vpc) []string {
			return mapAssoc(v, func(a xmlproto.VpcCidrBlockAssociation) string { return a.CidrBlock })
		},
		"cidr-block-association.association-id": func(v *xmlproto.Vpc) []string {
			return mapAssoc(v, func(a xmlproto.VpcCidrBlockAssociation) string { return a.AssociationID })
		},
		"cidr-block-association.state": func(v *xmlproto.Vpc) []string {
			return mapAssoc(v, func(a xmlproto.VpcCidrBlockAssociation) string { return a.CidrBlockState.State })
		},
	},
	Tags: func(v *xmlproto.Vpc) []xmlproto.Tag { return v.Tags },
}

func mapAssoc(v *xmlproto.Vpc, f func(xmlproto.VpcCidrBlockAssociation) string) []string {
	var out []string
	for _, a := range v.CidrBlockAssociationSet {
		out = append(out, f(a))
	}
	return out
}

func (s *Server) describeVpcs(ctx context.Context, c *call, req *xmlproto.DescribeVpcsRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.VpcIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &describeVpcsSpec)
}

var describeVpcsSpec = describeSpec[*xmlproto.Vpc]{
	checkIDs: prefixID("vpc-", ErrInvalidVpcIDMalformed, ""),
	fields:   vpcFields, tenant: true,
	list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*xmlproto.Vpc], error) {
		z := s.tenants[c.scope]
		if id, ok := firstMissing(ids, func(id string) bool { return z.net.vpc(id) != nil }); ok {
			return nil, apiErr(ErrInvalidVpcIDNotFound, "The vpc ID '%s' does not exist", id)
		}
		var all []xmlproto.Vpc
		for _, v := range z.net.vpcs {
			if len(ids) == 0 || slices.Contains(ids, v.id) {
				all = append(all, s.vpcView(v))
			}
		}
		return pointers(all), nil
	},
	emit: func(s *Server, c *call, page []*xmlproto.Vpc, next string) any {
		return &xmlproto.DescribeVpcsResponse{Vpcs: values(page), NextToken: next}
	},
}

// subnetUsed counts the live instances in sn. Callers hold s.mu.
func subnetUsed(z *tenant, sn *subnet) int {
	used := 0
	for _, inst := range z.order {
		if n := liveNIC(inst); n != nil && n.subnetID == sn.id {
			used++
		}
	}
	for _, e := range z.net.enis {
		if e.subnetID == sn.id {
			used++
		}
	}
	return used
}

// subnetsUsed counts the live instances of every subnet of z at once, for
// DescribeSubnets. Callers hold s.mu.
func subnetsUsed(z *tenant) map[string]int {
	used := map[string]int{}
	for _, inst := range z.order {
		if n := liveNIC(inst); n != nil {
			used[n.subnetID]++
		}
	}
	for _, e := range z.net.enis {
		used[e.subnetID]++
	}
	return used
}

// subnetView renders sn, which holds used instances. Callers hold s.mu
// (read).
func (s *Server) subnetView(z *tenant, sn *subnet, used int) xmlproto.Subnet {
	return xmlproto.Subnet{
		SubnetID: sn.id, SubnetArn: fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", z.region, sn.owner, sn.id),
		State: "available", OwnerID: sn.owner, VpcID: sn.vpcID, CidrBlock: sn.cidr,
		AvailableIPAddressCount: subnetAddresses(sn.cidr) - used, AvailabilityZone: sn.az, AvailabilityZoneID: sn.azID,
		DefaultForAz: sn.defaultForAz, MapPublicIPOnLaunch: sn.mapPublicIP, EnableDNS64: sn.dns64,
		PrivateDNSNameOptionsOnLaunch: &xmlproto.PrivateDNSNameOptions{HostnameType: sn.hostnameType,
			EnableResourceNameDNSARecord: sn.dnsA, EnableResourceNameDNSAAAARecord: sn.dnsAAAA},
		BlockPublicAccessStates: &xmlproto.BlockPublicAccessStates{InternetGatewayBlockMode: "off"},
		Tags:                    sn.tags,
	}
}

var subnetFields = func() query.Fields[*xmlproto.Subnet] {
	az := func(v *xmlproto.Subnet) []string { return one(v.AvailabilityZone) }
	azID := func(v *xmlproto.Subnet) []string { return one(v.AvailabilityZoneID) }
	cidr := func(v *xmlproto.Subnet) []string { return one(v.CidrBlock) }
	dfa := func(v *xmlproto.Subnet) []string { return one(strconv.FormatBool(v.DefaultForAz)) }
	boolean := func(get func(v *xmlproto.Subnet) bool) func(v *xmlproto.Subnet) []string {
		return func(v *xmlproto.Subnet) []string { return one(strconv.FormatBool(get(v))) }
	}
	return query.Fields[*xmlproto.Subnet]{
		ByName: map[string]func(*xmlproto.Subnet) []string{
			"availability-zone": az, "availabilityZone": az,
			"availability-zone-id": azID, "availabilityZoneId": azID,
			"cidr-block": cidr, "cidr": cidr, "cidrBlock": cidr,
			"default-for-az": dfa, "defaultForAz": dfa,
			"available-ip-address-count":      func(v *xmlproto.Subnet) []string { return one(strconv.Itoa(v.AvailableIPAddressCount)) },
			"map-public-ip-on-launch":         boolean(func(v *xmlproto.Subnet) bool { return v.MapPublicIPOnLaunch }),
			"map-customer-owned-ip-on-launch": boolean(func(v *xmlproto.Subnet) bool { return v.MapCustomerOwnedIPOnLaunch }),
			"owner-id":                        func(v *xmlproto.Subnet) []string { return one(v.OwnerID) },
			"state":                           func(v *xmlproto.Subnet) []string { return one(v.State) },
			"subnet-arn":                      func(v *xmlproto.Subnet) []string { return one(v.SubnetArn) },
			"subnet-id":                       func(v *xmlproto.Subnet) []string { return one(v.SubnetID) },
			"vpc-id":                          func(v *xmlproto.Subnet) []string { return one(v.VpcID) },
			"ipv6-native":                     boolean(func(v *xmlproto.Subnet) bool { return v.Ipv6Native }),
			"enable-dns64":                    boolean(func(v *xmlproto.Subnet) bool { return v.EnableDNS64 }),
			"private-dns-name-options-on-launch.hostname-type": func(v *xmlproto.Subnet) []string {
				return one(v.PrivateDNSNameOptionsOnLaunch.HostnameType)
			},
			"private-dns-name-options-on-launch.enable-resource-name-dns-a-record": boolean(func(v *xmlproto.Subnet) bool {
				return v.PrivateDNSNameOptionsOnLaunch.EnableResourceNameDNSARecord
			}),
			"private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record": boolean(func(v *xmlproto.Subnet) bool {
				return v.PrivateDNSNameOptionsOnLaunch.EnableResourceNameDNSAAAARecord
			}),
		},
		Tags: func(v *xmlproto.Subnet) []xmlproto.Tag { return v.Tags },
	}
}()

func (s *Server) describeSubnets(ctx context.Context, c *call, req *xmlproto.DescribeSubnetsRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.SubnetIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &describeSubnetsSpec)
}

var describeSubnetsSpec = describeSpec[*xmlproto.Subnet]{
	checkIDs: prefixID("subnet-", ErrInvalidSubnetIDMalformed, ""),
	fields:   subnetFields, tenant: true,
	list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*xmlproto.Subnet], error) {
		z := s.tenants[c.scope]
		if id, ok := firstMissing(ids, func(id string) bool { return z.net.subnet(id) != nil }); ok {
			return nil, apiErr(ErrInvalidSubnetIDNotFound, "The subnet ID '%s' does not exist", id)
		}
		var all []xmlproto.Subnet
		used := subnetsUsed(z)
		for _, sn := range z.net.subnets {
			if len(ids) == 0 || slices.Contains(ids, sn.id) {
				all = append(all, s.subnetView(z, sn, used[sn.id]))
			}
		}
		return pointers(all), nil
	},
	emit: func(s *Server, c *call, page []*xmlproto.Subnet, next string) any {
		return &xmlproto.DescribeSubnetsResponse{Subnets: values(page), NextToken: next}
	},
}

// ---- tags on networking resources ----

// netResource finds a VPC, subnet, internet gateway, route table, network
// ACL, security group or security group rule for CreateTags/DeleteTags; ok is false when id is none of those kinds.
// Callers hold s.mu.
func netResource(z *tenant, id string) (t *taggable, ok bool, err error) {
	switch {
	case strings.HasPrefix(id, "vpc-"):
		v := z.net.vpc(id)
		if v == nil {
			return nil, true, apiErr(ErrInvalidVpcIDNotFound, "The vpc ID '%s' does not exist", id)
		}
		return &taggable{id: id, kind: "vpc", get: func() []xmlproto.Tag { return v.tags },
			set: func(t []xmlproto.Tag) { v.tags = t }}, true, nil
	case strings.HasPrefix(id, "subnet-"):
		sn := z.net.subnet(id)
		if sn == nil {
			return nil, true, apiErr(ErrInvalidSubnetIDNotFound, "The subnet ID '%s' does not exist", id)
		}
		return &taggable{id: id, kind: "subnet", get: func() []xmlproto.Tag { return sn.tags },
			set: func(t []xmlproto.Tag) { sn.tags = t }}, true, nil
	case strings.HasPrefix(id, "sg-"):
		g, err := z.net.groupByID(id)
		if err != nil {
			return nil, true, err
		}
		return &taggable{id: id, kind: "security-group", get: func() []xmlproto.Tag { return g.tags },
			set: func(t []xmlproto.Tag) { g.tags = t }}, true, nil
	case strings.HasPrefix(id, "igw-"):
		g := z.net.igw(id)
		if g == nil {
			return nil, true, apiErr(ErrInvalidInternetGatewayIDNotFound, "The internetGateway ID '%s' does not exist", id)
		}
		return &taggable{id: id, kind: "internet-gateway", get: func() []xmlproto.Tag { return g.tags },
			set: func(t []xmlproto.Tag) { g.tags = t }}, true, nil
	case strings.HasPrefix(id, "rtb-"):
		rt := z.net.routeTable(id)
		if rt == nil {
			return nil, true, apiErr(ErrInvalidRouteTableIDNotFound, "The routeTable ID '%s' does not exist", id)
		}
		return &taggable{id: id, kind: "route-table", get: func() []xmlproto.Tag { return rt.tags },
			set: func(t []xmlproto.Tag) { rt.tags = t }}, true, nil
	case strings.HasPrefix(id, "acl-"):
		a := z.net.acl(id)
		if a == nil {
			return nil, true, apiErr(ErrInvalidNetworkACLIDNotFound, "The networkAcl ID '%s' does not exist", id)
		}
		return &taggable{id: id, kind: "network-acl", get: func() []xmlproto.Tag { return a.tags },
			set: func(t []xmlproto.Tag) { a.tags = t }}, true, nil
	case strings.HasPrefix(id, "eni-"):
		e := z.net.eni(id)
		if e == nil {
			if z.primaryOf(id) != nil {
				return nil, true, apiErr(ErrUnsupportedOperation, "Tags on an instance's primary network interface ('%s') are not supported by ec2emu.", id)
			}
			return nil, true, eniNotFound(id)
		}
		return &taggable{id: id, kind: "network-interface", get: func() []xmlproto.Tag { return e.tags },
			set: func(t []xmlproto.Tag) { e.tags = t }}, true, nil
	case strings.HasPrefix(id, "eipalloc-"):
		a := z.net.address(id)
		if a == nil {
			return nil, true, allocNotFound(id)
		}
		return &taggable{id: id, kind: "elastic-ip", get: func() []xmlproto.Tag { return a.tags },
			set: func(t []xmlproto.Tag) { a.tags = t }}, true, nil
	case strings.HasPrefix(id, "sgr-"):
		_, r := z.net.rule(id)
		if r == nil {
			return nil, true, apiErr(ErrInvalidSecurityGroupRuleIDNotFound, "The security group rule ID '%s' does not exist", id)
		}
		return &taggable{id: id, kind: "security-group-rule", get: func() []xmlproto.Tag { return r.tags },
			set: func(t []xmlproto.Tag) { r.tags = t }}, true, nil
	}
	return nil, false, nil
}

// eachTagged calls add for every networking resource and its tags, for
// DescribeTags.
func (n *network) eachTagged(add func(id, kind string, tags []xmlproto.Tag)) {
	for _, v := range n.vpcs {
		add(v.id, "vpc", v.tags)
	}
	for _, sn := range n.subnets {
		add(sn.id, "subnet", sn.tags)
	}
	for _, g := range n.igws {
		add(g.id, "internet-gateway", g.tags)
	}
	for _, rt := range n.routeTables {
		add(rt.id, "route-table", rt.tags)
	}
	for _, a := range n.acls {
		add(a.id, "network-acl", a.tags)
	}
	for _, e := range n.enis {
		add(e.id, "network-interface", e.tags)
	}
	for _, a := range n.addresses {
		add(a.allocID, "elastic-ip", a.tags)
	}
	for _, g := range n.groups {
		add(g.id, "security-group", g.tags)
		for _, r := range g.rules {
			add(r.id, "security-group-rule", r.tags)
		}
	}
}
