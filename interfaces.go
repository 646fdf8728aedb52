package ec2emu

import (
	"context"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Network interfaces. An instance's primary interface (device index 0) is
// its nic (network.go): made with it, shown by DescribeNetworkInterfaces,
// gone when it terminates. CreateNetworkInterface makes the others: an
// address of their subnet, groups of their VPC, attached to an instance at
// device index 1 or above, or available. Attachments are bookkeeping: a
// container keeps one network interface, its primary (docs/networking.md).

// eni is a network interface made by CreateNetworkInterface.
type eni struct {
	id, owner, vpcID, subnetID, az, azID string
	privateIP, mac, description          string
	groups                               []xmlproto.GroupIdentifier
	noSourceDestCheck                    bool
	attach                               *eniAttachment // nil while available
	tags                                 []xmlproto.Tag
}

// eniAttachment ties an interface to an instance at a device index.
type eniAttachment struct {
	id, instanceID      string
	deviceIndex         int
	deleteOnTermination bool
	at                  time.Time
}

// eni returns the interface id, or nil.
func (n *network) eni(id string) *eni {
	for _, e := range n.enis {
		if e.id == id {
			return e
		}
	}
	return nil
}

// primaryOf returns the live instance whose primary interface is id.
// Callers hold s.mu.
func (z *tenant) primaryOf(id string) *instance {
	for _, inst := range z.order {
		if n := liveNIC(inst); n != nil && n.eniID == id {
			return inst
		}
	}
	return nil
}

func checkENIID(id string) error {
	if !strings.HasPrefix(id, "eni-") {
		return apiErr(ErrInvalidNetworkInterfaceIDMalformed, "Invalid id: \"%s\" (expecting \"eni-...\")", id)
	}
	return nil
}

func eniNotFound(id string) error {
	return apiErr(ErrInvalidNetworkInterfaceIDNotFound, "The networkInterface ID '%s' does not exist", id)
}

func (s *Server) createNetworkInterface(ctx context.Context, c *call, req *xmlproto.CreateNetworkInterfaceRequest) (any, error) {
	switch {
	case req.SubnetID == "":
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter subnetId")
	case req.Ipv6AddressCount != nil || len(req.Ipv6Addresses) > 0 || req.Ipv6PrefixCount != nil || req.Ipv4PrefixCount != nil:
		return nil, apiErr(ErrUnsupportedOperation, "IPv6 addresses and prefixes are not supported by ec2emu: its VPCs are IPv4 only.")
	case req.SecondaryPrivateIPAddressCount != nil || len(req.PrivateIPAddresses) > 1:
		return nil, apiErr(ErrUnsupportedOperation, "Secondary private IP addresses are not supported by ec2emu: an interface has one address.")
	case req.InterfaceType != "" && req.InterfaceType != "interface":
		return nil, apiErr(ErrUnsupportedOperation, "Interface type '%s' is not supported by ec2emu: only 'interface'.", req.InterfaceType)
	}
	if !strings.HasPrefix(req.SubnetID, "subnet-") {
		return nil, apiErr(ErrInvalidSubnetIDMalformed, "Invalid id: \"%s\"", req.SubnetID)
	}
	want := req.PrivateIPAddress
	if len(req.PrivateIPAddresses) == 1 {
		p := req.PrivateIPAddresses[0]
		if want != "" && p.PrivateIPAddress != want {
			return nil, apiErr(ErrInvalidParameterCombination, "Only one primary private IP address can be specified.")
		}
		want = p.PrivateIPAddress
	}
	tags, err := tagsFor(req.TagSpecifications, "network-interface")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	sn, err := z.net.findSubnet(req.SubnetID)
	if err != nil {
		return nil, err
	}
	groups, err := z.net.vpcGroups(sn.vpcID, req.Groups)
	if err != nil {
		return nil, err
	}
	if want != "" {
		if _, err := checkPrivate(sn, want); err != nil {
			return nil, err
		}
	} else if s.freeAddresses(z, sn) < 1 {
		return nil, apiErr(ErrInsufficientFreeAddressesInSubnet, "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", sn.id)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	e := &eni{id: newID("eni-"), owner: c.account, vpcID: sn.vpcID, subnetID: sn.id, az: sn.az, azID: sn.azID,
		groups: groups, tags: tags}
	if req.Description != nil {
		e.description = *req.Description
	}
	e.mac = macFor(e.id)
	if want != "" {
		a, err := s.claimPrivate(z, sn, want, e.id)
		if err != nil {
			return nil, err
		}
		e.privateIP = a.String()
	} else {
		a, _ := s.allocPrivate(z, sn, e.id)
		e.privateIP = a.String()
	}
	z.net.enis = append(z.net.enis, e)
	s.touchTenant(z, partNetwork)
	return &xmlproto.CreateNetworkInterfaceResponse{NetworkInterface: s.eniView(z, e), ClientToken: req.ClientToken}, nil
}

// vpcGroups resolves group IDs for an interface in VPC vpcID: each must
// exist and be of that VPC; none means the VPC's default group. Callers
// hold s.mu.
func (n *network) vpcGroups(vpcID string, ids []string) ([]xmlproto.GroupIdentifier, error) {
	var out []xmlproto.GroupIdentifier
	for _, id := range ids {
		g, err := n.groupByID(id)
		if err != nil {
			return nil, err
		}
		if g.vpcID != vpcID {
			return nil, apiErr(ErrInvalidParameter, "Security group %s and subnet belong to different networks.", g.id)
		}
		if !slices.ContainsFunc(out, func(x xmlproto.GroupIdentifier) bool { return x.GroupID == g.id }) {
			out = append(out, xmlproto.GroupIdentifier{GroupID: g.id, GroupName: g.name})
		}
	}
	if len(out) == 0 {
		if g := n.defaultGroup(vpcID); g != nil {
			out = append(out, xmlproto.GroupIdentifier{GroupID: g.id, GroupName: g.name})
		}
	}
	return out, nil
}

func (s *Server) deleteNetworkInterface(ctx context.Context, c *call, req *xmlproto.NetworkInterfaceIDRequest) (any, error) {
	if req.NetworkInterfaceID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter networkInterfaceId")
	}
	if err := checkENIID(req.NetworkInterfaceID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	e := z.net.eni(req.NetworkInterfaceID)
	if e == nil {
		if z.primaryOf(req.NetworkInterfaceID) != nil {
			return nil, apiErr(ErrInvalidNetworkInterfaceInUse, "The networkInterface ID '%s' is in use.", req.NetworkInterfaceID)
		}
		return nil, eniNotFound(req.NetworkInterfaceID)
	}
	if e.attach != nil {
		return nil, apiErr(ErrInvalidNetworkInterfaceInUse, "The networkInterface ID '%s' is in use.", e.id)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	z.net.enis = slices.DeleteFunc(z.net.enis, func(x *eni) bool { return x == e })
	s.touchTenant(z, partNetwork)
	return &xmlproto.Return{Return: true}, nil
}

func (s *Server) attachNetworkInterface(ctx context.Context, c *call, req *xmlproto.AttachNetworkInterfaceRequest) (any, error) {
	switch {
	case req.NetworkInterfaceID == "":
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter networkInterfaceId")
	case req.InstanceID == "":
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter instanceId")
	case req.DeviceIndex == nil:
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter deviceIndex")
	case req.NetworkCardIndex != nil && *req.NetworkCardIndex != 0:
		return nil, apiErr(ErrInvalidParameterValue, "Invalid value '%d' for networkCardIndex: this instance type has one network card, index 0.", *req.NetworkCardIndex)
	}
	if err := checkENIID(req.NetworkInterfaceID); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(req.InstanceID, "i-") {
		return nil, apiErr(ErrInvalidInstanceIDMalformed, "Invalid id: \"%s\"", req.InstanceID)
	}
	idx := *req.DeviceIndex
	if idx < 0 {
		return nil, apiErr(ErrInvalidParameterValue, "Value (%d) for parameter deviceIndex is invalid.", idx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	e := z.net.eni(req.NetworkInterfaceID)
	if e == nil {
		if z.primaryOf(req.NetworkInterfaceID) != nil {
			return nil, apiErr(ErrInvalidNetworkInterfaceInUse, "Interface: [%s] in use.", req.NetworkInterfaceID)
		}
		return nil, eniNotFound(req.NetworkInterfaceID)
	}
	inst := s.instances[req.InstanceID]
	if inst == nil || inst.tenant != z || !s.visible(inst, s.cfg.now()) {
		return nil, apiErr(ErrInvalidInstanceIDNotFound, "The instance ID '%s' does not exist", req.InstanceID)
	}
	if inst.state != stateRunning && inst.state != stateStopped {
		return nil, apiErr(ErrIncorrectInstanceState, "The instance '%s' is not in a state from which an interface can be attached: it is %s.", inst.id, inst.state)
	}
	if e.attach != nil {
		return nil, apiErr(ErrInvalidNetworkInterfaceInUse, "Interface: [%s] in use.", e.id)
	}
	if inst.az != e.az {
		return nil, apiErr(ErrInvalidParameterCombination, "You may not attach a network interface to an instance if they are not in the same availability zone")
	}
	used := map[int]bool{0: true}
	for _, o := range z.net.enis {
		if o.attach != nil && o.attach.instanceID == inst.id {
			used[o.attach.deviceIndex] = true
		}
	}
	if used[idx] {
		return nil, apiErr(ErrInvalidParameterValue, "Instance '%s' already has an interface attached at device index '%d'.", inst.id, idx)
	}
	if limit := maxInterfaces(inst.instanceType); len(used) >= limit {
		return nil, apiErr(ErrAttachmentLimitExceeded, "Interface count %d exceeds the limit for %s", len(used)+1, inst.instanceType)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	e.attach = &eniAttachment{id: "eni-attach-" + strings.TrimPrefix(newID("eni-"), "eni-"), instanceID: inst.id,
		deviceIndex: idx, at: s.cfg.now().UTC().Truncate(time.Second)}
	s.touchTenant(z, partNetwork)
	s.eniChanged(e)
	return &xmlproto.AttachNetworkInterfaceResponse{AttachmentID: e.attach.id}, nil
}

// eniChanged tells the instance e is attached to that its description
// changed. Callers hold s.mu (write).
func (s *Server) eniChanged(e *eni) {
	if e.attach == nil {
		return
	}
	if inst := s.instances[e.attach.instanceID]; inst != nil {
		inst.enis++
	}
}

// findAttachment returns the interface attached by attachment id.
func (n *network) findAttachment(id string) *eni {
	for _, e := range n.enis {
		if e.attach != nil && e.attach.id == id {
			return e
		}
	}
	return nil
}

func (s *Server) detachNetworkInterface(ctx context.Context, c *call, req *xmlproto.DetachNetworkInterfaceRequest) (any, error) {
	if req.AttachmentID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter attachmentId")
	}
	if !strings.HasPrefix(req.AttachmentID, "eni-attach-") {
		return nil, apiErr(ErrInvalidNetworkInterfaceAttachmentID, "Invalid id: \"%s\" (expecting \"eni-attach-...\")", req.AttachmentID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	e := z.net.findAttachment(req.AttachmentID)
	if e == nil {
		for _, inst := range z.order {
			if n := liveNIC(inst); n != nil && n.attachID == req.AttachmentID {
				return nil, apiErr(ErrOperationNotPermitted, "The network interface at device index 0 cannot be detached.")
			}
		}
		return nil, apiErr(ErrInvalidAttachmentIDNotFound, "The attachment ID '%s' does not exist", req.AttachmentID)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.eniChanged(e)
	e.attach = nil
	s.touchTenant(z, partNetwork)
	return &xmlproto.Return{Return: true}, nil
}

// maxInterfaces is how many interfaces an instance of type typ takes: the
// catalogue's figure for the larger types, 2 for the smallest.
func maxInterfaces(typ string) int {
	switch {
	case strings.HasSuffix(typ, ".nano"), strings.HasSuffix(typ, ".micro"):
		return 2
	case strings.HasSuffix(typ, ".small"), strings.HasSuffix(typ, ".medium"):
		return 3
	}
	return 4
}

// detachOnTermination lets go of the interfaces attached to a terminated
// instance: deleted when the attachment says so, available otherwise.
// Callers hold s.mu (write).
func (s *Server) detachOnTermination(inst *instance) {
	z := inst.tenant
	changed := false
	z.net.enis = slices.DeleteFunc(z.net.enis, func(e *eni) bool {
		if e.attach == nil || e.attach.instanceID != inst.id {
			return false
		}
		changed = true
		inst.enis++
		if e.attach.deleteOnTermination {
			return true
		}
		e.attach = nil
		return false
	})
	if changed {
		s.touchTenant(z, partNetwork)
	}
}

func (s *Server) modifyNetworkInterfaceAttribute(ctx context.Context, c *call, req *xmlproto.ModifyNetworkInterfaceAttributeRequest) (any, error) {
	if req.NetworkInterfaceID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter networkInterfaceId")
	}
	if err := checkENIID(req.NetworkInterfaceID); err != nil {
		return nil, err
	}
	var names []string
	if req.Description != nil {
		names = append(names, "description")
	}
	if req.SourceDestCheck != nil {
		names = append(names, "sourceDestCheck")
	}
	if len(req.Groups) > 0 {
		names = append(names, "groupSet")
	}
	if req.Attachment != nil {
		names = append(names, "attachment")
	}
	if err := oneAttribute(names, apiErr(ErrMissingParameter, "The request must contain an attribute to modify")); err != nil {
		return nil, err
	}
	if req.SourceDestCheck != nil && req.SourceDestCheck.Value == nil {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter sourceDestCheck.value")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	e, inst := z.net.eni(req.NetworkInterfaceID), z.primaryOf(req.NetworkInterfaceID)
	if e == nil && inst == nil {
		return nil, eniNotFound(req.NetworkInterfaceID)
	}
	vpcID := ""
	if e != nil {
		vpcID = e.vpcID
	} else {
		vpcID = inst.nic.vpcID
	}
	var groups []xmlproto.GroupIdentifier
	if len(req.Groups) > 0 {
		var err error
		if groups, err = z.net.vpcGroups(vpcID, req.Groups); err != nil {
			return nil, err
		}
	}
	if a := req.Attachment; a != nil {
		switch {
		case a.AttachmentID == "":
			return nil, apiErr(ErrMissingParameter, "The request must contain the parameter attachment.attachmentId")
		case e != nil && (e.attach == nil || e.attach.id != a.AttachmentID),
			inst != nil && inst.nic.attachID != a.AttachmentID:
			return nil, apiErr(ErrInvalidAttachmentIDNotFound, "The attachment ID '%s' does not exist", a.AttachmentID)
		case inst != nil:
			return nil, apiErr(ErrUnsupportedOperation, "The primary interface of an instance is deleted with it in ec2emu; its deleteOnTermination cannot be changed.")
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	switch {
	case req.Description != nil && e != nil:
		e.description = deref(req.Description.Value)
	case req.Description != nil:
		return nil, apiErr(ErrUnsupportedOperation, "The description of an instance's primary interface cannot be changed in ec2emu.")
	case req.SourceDestCheck != nil && e != nil:
		e.noSourceDestCheck = !*req.SourceDestCheck.Value
	case req.SourceDestCheck != nil:
		inst.attrs.NoSourceDestCheck = !*req.SourceDestCheck.Value
		s.touch(inst)
	case len(groups) > 0 && e != nil:
		e.groups = groups
	case len(groups) > 0:
		inst.nic.groups = groups
		s.touch(inst)
		s.accessChanged()
	case req.Attachment != nil:
		e.attach.deleteOnTermination = req.Attachment.DeleteOnTermination != nil && *req.Attachment.DeleteOnTermination
	}
	if e != nil {
		s.eniChanged(e)
	}
	s.touchTenant(z, partNetwork)
	return &xmlproto.Return{Return: true}, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (s *Server) describeNetworkInterfaceAttribute(ctx context.Context, c *call, req *xmlproto.DescribeNetworkInterfaceAttributeRequest) (any, error) {
	if req.NetworkInterfaceID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter networkInterfaceId")
	}
	if err := checkENIID(req.NetworkInterfaceID); err != nil {
		return nil, err
	}
	if req.Attribute == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter attribute")
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.ensureTenant(c.scope)
	s.mu.RLock()
	defer s.mu.RUnlock()
	z := s.tenants[c.scope]
	v, ok := s.findENIView(z, req.NetworkInterfaceID)
	if !ok {
		return nil, eniNotFound(req.NetworkInterfaceID)
	}
	out := &xmlproto.DescribeNetworkInterfaceAttributeResponse{NetworkInterfaceID: v.NetworkInterfaceID}
	switch req.Attribute {
	case "description":
		out.Description = &xmlproto.AttributeValue{Value: &v.Description}
	case "groupSet":
		out.Groups = v.Groups
	case "sourceDestCheck":
		out.SourceDestCheck = &xmlproto.AttributeBooleanValue{Value: &v.SourceDestCheck}
	case "attachment":
		out.Attachment = v.Attachment
	default:
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter attribute is invalid. Unknown network interface attribute", req.Attribute)
	}
	return out, nil
}

func (s *Server) resetNetworkInterfaceAttribute(ctx context.Context, c *call, req *xmlproto.ResetNetworkInterfaceAttributeRequest) (any, error) {
	t := true
	return s.modifyNetworkInterfaceAttribute(ctx, c, &xmlproto.ModifyNetworkInterfaceAttributeRequest{
		DryRun: req.DryRun, NetworkInterfaceID: req.NetworkInterfaceID,
		SourceDestCheck: &xmlproto.AttributeBooleanValue{Value: &t},
	})
}

// findENIView renders interface id, created or primary. Callers hold s.mu.
func (s *Server) findENIView(z *tenant, id string) (xmlproto.NetworkInterface, bool) {
	if e := z.net.eni(id); e != nil {
		return s.eniView(z, e), true
	}
	if inst := z.primaryOf(id); inst != nil {
		return s.primaryENIView(inst), true
	}
	return xmlproto.NetworkInterface{}, false
}

// eniView renders a created interface. Callers hold s.mu.
func (s *Server) eniView(z *tenant, e *eni) xmlproto.NetworkInterface {
	v := xmlproto.NetworkInterface{
		AvailabilityZone: e.az, AvailabilityZoneID: e.azID, Description: e.description, Groups: slices.Clone(e.groups),
		InterfaceType: "interface", Ipv6Addresses: []struct{}{}, MacAddress: e.mac, NetworkInterfaceID: e.id,
		OwnerID: e.owner, PrivateIPAddress: e.privateIP, PrivateDNSName: privateDNSName(e.privateIP, z.region),
		SourceDestCheck: !e.noSourceDestCheck, Status: "available", SubnetID: e.subnetID, Tags: e.tags, VpcID: e.vpcID,
	}
	if v.Groups == nil {
		v.Groups = []xmlproto.GroupIdentifier{}
	}
	if v.Tags == nil {
		v.Tags = []xmlproto.Tag{}
	}
	v.PrivateIPAddresses = []xmlproto.NetworkInterfacePrivateIPAddress{{Primary: true, PrivateDNSName: v.PrivateDNSName, PrivateIPAddress: e.privateIP}}
	if a := e.attach; a != nil {
		v.Status = "in-use"
		v.Attachment = &xmlproto.ENIAttachment{AttachTime: a.at, AttachmentID: a.id, DeleteOnTermination: a.deleteOnTermination,
			DeviceIndex: a.deviceIndex, InstanceID: a.instanceID, InstanceOwnerID: e.owner, Status: "attached"}
	}
	return v
}

// primaryENIView renders an instance's primary interface as
// DescribeNetworkInterfaces shows it. Callers hold s.mu.
func (s *Server) primaryENIView(inst *instance) xmlproto.NetworkInterface {
	var iv xmlproto.Instance
	s.viewNetwork(inst, &iv)
	s.viewPublic(inst, &iv)
	n := iv.NetworkInterfaces[0]
	sn := inst.tenant.net.subnet(n.SubnetID)
	v := xmlproto.NetworkInterface{
		AvailabilityZone: inst.az, Description: n.Description, Groups: n.Groups, InterfaceType: "interface",
		Ipv6Addresses: []struct{}{}, MacAddress: n.MacAddress, NetworkInterfaceID: n.NetworkInterfaceID, OwnerID: n.OwnerID,
		PrivateIPAddress: n.PrivateIPAddress, PrivateDNSName: n.PrivateDNSName, SourceDestCheck: n.SourceDestCheck,
		Status: "in-use", SubnetID: n.SubnetID, Tags: []xmlproto.Tag{}, VpcID: n.VpcID,
		Attachment: &xmlproto.ENIAttachment{AttachTime: n.Attachment.AttachTime, AttachmentID: n.Attachment.AttachmentID,
			DeleteOnTermination: true, InstanceID: inst.id, InstanceOwnerID: inst.res.owner, Status: "attached"},
	}
	if sn != nil {
		v.AvailabilityZoneID = sn.azID
	}
	if v.Groups == nil {
		v.Groups = []xmlproto.GroupIdentifier{}
	}
	var assoc *xmlproto.NetworkInterfaceAssociation
	if a := n.Association; a != nil {
		assoc = &xmlproto.NetworkInterfaceAssociation{IPOwnerID: a.IPOwnerID, PublicDNSName: a.PublicDNSName, PublicIP: a.PublicIP}
		if e := inst.access.eip; e != nil {
			assoc.AllocationID, assoc.AssociationID = e.allocID, e.assocID
		}
		v.Association = assoc
	}
	if n.PrivateIPAddress != "" {
		v.PrivateIPAddresses = []xmlproto.NetworkInterfacePrivateIPAddress{{Association: assoc, Primary: true,
			PrivateDNSName: n.PrivateDNSName, PrivateIPAddress: n.PrivateIPAddress}}
	}
	return v
}

func (s *Server) describeNetworkInterfaces(ctx context.Context, c *call, req *xmlproto.DescribeNetworkInterfacesRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.NetworkInterfaceIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &describeENIsSpec)
}

var describeENIsSpec = describeSpec[*xmlproto.NetworkInterface]{
	checkIDs: prefixID("eni-", ErrInvalidNetworkInterfaceIDMalformed, "eni-..."),
	fields:   eniFields, tenant: true,
	list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*xmlproto.NetworkInterface], error) {
		z := s.tenants[c.scope]
		var all []xmlproto.NetworkInterface
		for _, inst := range z.order {
			if liveNIC(inst) != nil {
				all = append(all, s.primaryENIView(inst))
			}
		}
		for _, e := range z.net.enis {
			all = append(all, s.eniView(z, e))
		}
		if id, ok := firstMissing(ids, func(id string) bool {
			return slices.ContainsFunc(all, func(v xmlproto.NetworkInterface) bool { return v.NetworkInterfaceID == id })
		}); ok {
			return nil, eniNotFound(id)
		}
		return named(pointers(all), ids, func(v *xmlproto.NetworkInterface) string { return v.NetworkInterfaceID }), nil
	},
	emit: func(s *Server, c *call, page []*xmlproto.NetworkInterface, next string) any {
		return &xmlproto.DescribeNetworkInterfacesResponse{NetworkInterfaces: values(page), NextToken: next}
	},
}

var eniFields = func() query.Fields[*xmlproto.NetworkInterface] {
	type ni = xmlproto.NetworkInterface
	str := func(get func(v *ni) string) func(v *ni) []string {
		return func(v *ni) []string { return one(get(v)) }
	}
	attach := func(get func(a *xmlproto.ENIAttachment) string) func(v *ni) []string {
		return func(v *ni) []string {
			if v.Attachment == nil {
				return nil
			}
			return one(get(v.Attachment))
		}
	}
	assoc := func(get func(a *xmlproto.NetworkInterfaceAssociation) string) func(v *ni) []string {
		return func(v *ni) []string {
			if v.Association == nil {
				return nil
			}
			return one(get(v.Association))
		}
	}
	groups := func(get func(g xmlproto.GroupIdentifier) string) func(v *ni) []string {
		return func(v *ni) []string {
			var out []string
			for _, g := range v.Groups {
				out = append(out, get(g))
			}
			return out
		}
	}
	addrs := func(v *ni) []string {
		var out []string
		for _, a := range v.PrivateIPAddresses {
			out = append(out, a.PrivateIPAddress)
		}
		return out
	}
	return query.Fields[*ni]{
		ByName: map[string]func(*ni) []string{
			"network-interface-id":             str(func(v *ni) string { return v.NetworkInterfaceID }),
			"subnet-id":                        str(func(v *ni) string { return v.SubnetID }),
			"vpc-id":                           str(func(v *ni) string { return v.VpcID }),
			"availability-zone":                str(func(v *ni) string { return v.AvailabilityZone }),
			"description":                      str(func(v *ni) string { return v.Description }),
			"mac-address":                      str(func(v *ni) string { return v.MacAddress }),
			"owner-id":                         str(func(v *ni) string { return v.OwnerID }),
			"private-ip-address":               str(func(v *ni) string { return v.PrivateIPAddress }),
			"private-dns-name":                 str(func(v *ni) string { return v.PrivateDNSName }),
			"status":                           str(func(v *ni) string { return v.Status }),
			"interface-type":                   str(func(v *ni) string { return v.InterfaceType }),
			"requester-managed":                str(func(v *ni) string { return strconv.FormatBool(v.RequesterManaged) }),
			"source-dest-check":                str(func(v *ni) string { return strconv.FormatBool(v.SourceDestCheck) }),
			"group-id":                         groups(func(g xmlproto.GroupIdentifier) string { return g.GroupID }),
			"group-name":                       groups(func(g xmlproto.GroupIdentifier) string { return g.GroupName }),
			"addresses.private-ip-address":     addrs,
			"addresses.primary":                func(v *ni) []string { return one("true") },
			"attachment.attachment-id":         attach(func(a *xmlproto.ENIAttachment) string { return a.AttachmentID }),
			"attachment.instance-id":           attach(func(a *xmlproto.ENIAttachment) string { return a.InstanceID }),
			"attachment.instance-owner-id":     attach(func(a *xmlproto.ENIAttachment) string { return a.InstanceOwnerID }),
			"attachment.device-index":          attach(func(a *xmlproto.ENIAttachment) string { return strconv.Itoa(a.DeviceIndex) }),
			"attachment.status":                attach(func(a *xmlproto.ENIAttachment) string { return a.Status }),
			"attachment.delete-on-termination": attach(func(a *xmlproto.ENIAttachment) string { return strconv.FormatBool(a.DeleteOnTermination) }),
			"attachment.attach-time":           attach(func(a *xmlproto.ENIAttachment) string { return a.AttachTime.Format(time.RFC3339) }),
			"association.public-ip":            assoc(func(a *xmlproto.NetworkInterfaceAssociation) string { return a.PublicIP }),
			"association.ip-owner-id":          assoc(func(a *xmlproto.NetworkInterfaceAssociation) string { return a.IPOwnerID }),
			"association.public-dns-name":      assoc(func(a *xmlproto.NetworkInterfaceAssociation) string { return a.PublicDNSName }),
			"association.allocation-id":        assoc(func(a *xmlproto.NetworkInterfaceAssociation) string { return a.AllocationID }),
			"association.association-id":       assoc(func(a *xmlproto.NetworkInterfaceAssociation) string { return a.AssociationID }),
			"addresses.association.owner-id":   assoc(func(a *xmlproto.NetworkInterfaceAssociation) string { return a.IPOwnerID }),
			"addresses.association.public-ip":  assoc(func(a *xmlproto.NetworkInterfaceAssociation) string { return a.PublicIP }),
			"availability-zone-id":             str(func(v *ni) string { return v.AvailabilityZoneID }),
		},
		Tags: func(v *ni) []xmlproto.Tag { return v.Tags },
	}
}()
