package ec2emu

import (
	"context"
	"fmt"
	"iter"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Security groups and their rules are stored and described as AWS does;
// nothing enforces them on the backends' networks.

type securityGroup struct {
	id, name, description, vpcID, owner string
	isDefault                           bool
	rules                               []*sgRule // ingress and egress, in the order they were added
	tags                                []xmlproto.Tag
}

// sgRule is one security group rule: one protocol and port range with one
// peer (an IPv4 or IPv6 range, a prefix list or a security group), as
// DescribeSecurityGroupRules lists them. IpPermissions group them.
type sgRule struct {
	id          string
	egress      bool
	proto       string // tcp, udp, icmp, icmpv6, -1 or a protocol number
	from, to    int    // -1 where the protocol has no ports
	cidr4       string
	cidr6       string
	prefixList  string
	refGroup    string // referenced security group ID
	refUser     string // its account
	description string
	tags        []xmlproto.Tag
}

// hasPorts reports whether proto's rules carry a port (or ICMP type/code)
// range in IpPermissions.
func hasPorts(proto string) bool {
	return proto == "tcp" || proto == "udp" || proto == "icmp" || proto == "icmpv6"
}

// peer is the rule's other end; with direction, protocol and ports it is
// what makes two rules the same.
func (r *sgRule) peer() string {
	return r.cidr4 + r.cidr6 + r.prefixList + r.refGroup
}

func (r *sgRule) same(o *sgRule) bool {
	return r.egress == o.egress && r.proto == o.proto && r.from == o.from && r.to == o.to && r.peer() == o.peer()
}

// String is EC2's wording of a rule in InvalidPermission.Duplicate messages.
func (r *sgRule) String() string {
	var mid string
	switch r.proto {
	case "-1":
		mid = "ALL"
	case "tcp", "udp":
		mid = fmt.Sprintf("%s, from port: %d, to port: %d", strings.ToUpper(r.proto), r.from, r.to)
	case "icmp", "icmpv6":
		typ, code := "ALL", "ALL"
		if r.from != -1 {
			typ = strconv.Itoa(r.from)
		}
		if r.to != -1 {
			code = strconv.Itoa(r.to)
		}
		mid = fmt.Sprintf("%s, type: %s, code: %s", strings.ToUpper(r.proto), typ, code)
	default:
		mid = "protocol: " + r.proto
	}
	return fmt.Sprintf("peer: %s, %s, ALLOW", r.peer(), mid)
}

func defaultSecurityGroup(sc scope, v *vpc) *securityGroup {
	g := &securityGroup{
		id: stableID("sg-", sc.account, sc.region, v.id, "default"), name: "default",
		description: "default VPC security group", vpcID: v.id, owner: sc.account, isDefault: true,
	}
	// Ingress from the group itself, egress to anywhere: what AWS puts in
	// every default group.
	g.rules = []*sgRule{
		{id: stableID("sgr-", g.id, "ingress-self"), proto: "-1", from: -1, to: -1, refGroup: g.id, refUser: sc.account},
		{id: stableID("sgr-", g.id, "egress-all"), egress: true, proto: "-1", from: -1, to: -1, cidr4: "0.0.0.0/0"},
	}
	return g
}

func (n *network) groupByID(id string) (*securityGroup, error) {
	if !strings.HasPrefix(id, "sg-") {
		return nil, apiErr(ErrInvalidGroupIDMalformed, "Invalid id: \"%s\" (expecting \"sg-...\")", id)
	}
	for _, g := range n.groups {
		if g.id == id {
			return g, nil
		}
	}
	return nil, apiErr(ErrInvalidGroupNotFound, "The security group '%s' does not exist", id)
}

// groupByName finds a group by name in a VPC; names are case-insensitive.
func (n *network) groupByName(vpcID, name string) *securityGroup {
	for _, g := range n.groups {
		if g.vpcID == vpcID && strings.EqualFold(g.name, name) {
			return g
		}
	}
	return nil
}

func (n *network) defaultGroup(vpcID string) *securityGroup {
	for _, g := range n.groups {
		if g.vpcID == vpcID && g.isDefault {
			return g
		}
	}
	return nil
}

func (n *network) rule(id string) (*securityGroup, *sgRule) {
	for _, g := range n.groups {
		for _, r := range g.rules {
			if r.id == id {
				return g, r
			}
		}
	}
	return nil, nil
}

// findGroup resolves GroupId, or GroupName in the default VPC, as the
// security group actions do. Callers hold s.mu.
func (n *network) findGroup(id, name string) (*securityGroup, error) {
	if id != "" {
		return n.groupByID(id)
	}
	if name == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter groupName or groupId")
	}
	dv := n.defaultVPC()
	if dv == nil {
		return nil, apiErr(ErrVPCIDNotSpecified, "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.")
	}
	if g := n.groupByName(dv.id, name); g != nil {
		return g, nil
	}
	return nil, apiErr(ErrInvalidGroupNotFound, "The security group '%s' does not exist in default VPC '%s'", name, dv.id)
}

const sgChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-:/()#,@[]+=&;{}!$*"

// checkSGText validates a group name or description: up to 255 characters
// of the set AWS allows for VPC security groups.
func checkSGText(param, v string) error {
	if len(v) > 255 {
		return apiErr(ErrInvalidParameterValue, "Value (%s) for parameter %s is invalid. Length exceeds maximum of 255 characters.", v, param)
	}
	for _, r := range v {
		if !strings.ContainsRune(sgChars, r) {
			return apiErr(ErrInvalidParameterValue, "Value (%s) for parameter %s is invalid. Valid characters are a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*", v, param)
		}
	}
	return nil
}

func sgArn(region, account, id string) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", region, account, id)
}

func tagsFor(specs []xmlproto.TagSpecification, resourceType string) ([]xmlproto.Tag, error) {
	var tags []xmlproto.Tag
	for _, ts := range specs {
		if ts.ResourceType != resourceType {
			return nil, apiErr(ErrInvalidParameterValue, "'%s' is not a valid taggable resource type for this operation.", ts.ResourceType)
		}
		if err := validateTags(ts.Tags); err != nil {
			return nil, err
		}
		tags = setTags(tags, ts.Tags)
	}
	return tags, nil
}

func (s *Server) createSecurityGroup(ctx context.Context, c *call, req *xmlproto.CreateSecurityGroupRequest) (any, error) {
	if req.GroupName == nil || *req.GroupName == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter groupName")
	}
	if req.Description == nil || *req.Description == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter groupDescription")
	}
	name, desc := *req.GroupName, *req.Description
	if err := checkSGText("GroupName", name); err != nil {
		return nil, err
	}
	if strings.HasPrefix(strings.ToLower(name), "sg-") {
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter GroupName is invalid. Group names may not be in the format sg-*.", name)
	}
	if err := checkSGText("GroupDescription", desc); err != nil {
		return nil, err
	}
	if req.VpcID != "" && !strings.HasPrefix(req.VpcID, "vpc-") {
		return nil, apiErr(ErrInvalidVpcIDMalformed, "Invalid id: \"%s\"", req.VpcID)
	}
	tags, err := tagsFor(req.TagSpecifications, "security-group")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	v := z.net.defaultVPC()
	if req.VpcID != "" {
		if v = z.net.vpc(req.VpcID); v == nil {
			return nil, apiErr(ErrInvalidVpcIDNotFound, "The vpc ID '%s' does not exist", req.VpcID)
		}
	} else if v == nil {
		return nil, apiErr(ErrVPCIDNotSpecified, "No default VPC for this user")
	}
	if z.net.groupByName(v.id, name) != nil {
		return nil, apiErr(ErrInvalidGroupDuplicate, "The security group '%s' already exists for VPC '%s'", name, v.id)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	g := &securityGroup{id: newID("sg-"), name: name, description: desc, vpcID: v.id, owner: c.account, tags: tags}
	// A new VPC group allows all outbound traffic until told otherwise.
	g.rules = []*sgRule{{id: newID("sgr-"), egress: true, proto: "-1", from: -1, to: -1, cidr4: "0.0.0.0/0"}}
	z.net.groups = append(z.net.groups, g)
	s.touchTenant(z, partGroups)
	return &xmlproto.CreateSecurityGroupResponse{GroupID: g.id, Tags: tags, SecurityGroupArn: sgArn(c.region, c.account, g.id)}, nil
}

func (s *Server) deleteSecurityGroup(ctx context.Context, c *call, req *xmlproto.DeleteSecurityGroupRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	g, err := z.net.findGroup(req.GroupID, req.GroupName)
	if err != nil {
		return nil, err
	}
	if g.isDefault {
		return nil, apiErr(ErrCannotDelete, "the specified group: \"%s\" name: \"%s\" cannot be deleted by a user", g.id, g.name)
	}
	for _, inst := range z.order {
		if n := liveNIC(inst); n != nil && slices.ContainsFunc(n.groups, func(x xmlproto.GroupIdentifier) bool { return x.GroupID == g.id }) {
			return nil, apiErr(ErrDependencyViolation, "resource %s has a dependent object", g.id)
		}
	}
	for _, e := range z.net.enis {
		if slices.ContainsFunc(e.groups, func(x xmlproto.GroupIdentifier) bool { return x.GroupID == g.id }) {
			return nil, apiErr(ErrDependencyViolation, "resource %s has a dependent object", g.id)
		}
	}
	for _, o := range z.net.groups {
		if o != g && slices.ContainsFunc(o.rules, func(r *sgRule) bool { return r.refGroup == g.id }) {
			return nil, apiErr(ErrDependencyViolation, "resource %s has a dependent object", g.id)
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	z.net.groups = slices.DeleteFunc(z.net.groups, func(x *securityGroup) bool { return x == g })
	s.touchTenant(z, partGroups)
	return &xmlproto.DeleteSecurityGroupResponse{Return: true, GroupID: g.id}, nil
}

// normalizeProtocol maps names and numbers to EC2's spelling: tcp, udp,
// icmp and icmpv6 by name (also when given as 6, 17, 1, 58), -1 for all,
// other protocols by number.
func normalizeProtocol(p string) (string, error) {
	switch lp := strings.ToLower(strings.TrimSpace(p)); lp {
	case "tcp", "6":
		return "tcp", nil
	case "udp", "17":
		return "udp", nil
	case "icmp", "1":
		return "icmp", nil
	case "icmpv6", "58":
		return "icmpv6", nil
	case "-1", "all":
		return "-1", nil
	default:
		if n, err := strconv.Atoi(lp); err == nil && n >= 0 && n <= 255 {
			return strconv.Itoa(n), nil
		}
	}
	return "", apiErr(ErrInvalidParameterValue, "Invalid value '%s' for IP protocol. Unknown protocol.", p)
}

// ruleTemplate checks a permission's protocol and ports and returns a rule
// without a peer.
func ruleTemplate(p xmlproto.IPPermissionRequest, egress bool) (sgRule, error) {
	proto, err := normalizeProtocol(p.IPProtocol)
	if err != nil {
		return sgRule{}, err
	}
	r := sgRule{egress: egress, proto: proto, from: -1, to: -1}
	switch proto {
	case "tcp", "udp":
		if p.FromPort == nil || p.ToPort == nil {
			return sgRule{}, apiErr(ErrInvalidParameterValue, "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange")
		}
		from, to := *p.FromPort, *p.ToPort
		if from < 0 || from > 65535 || to < 0 || to > 65535 {
			return sgRule{}, apiErr(ErrInvalidParameterValue, "Invalid value '%d-%d' for portRange. Ports must be between 0 and 65535.", from, to)
		}
		if from > to {
			return sgRule{}, apiErr(ErrInvalidParameterValue, "Invalid TCP/UDP port range (%d-%d): the from port must not exceed the to port.", from, to)
		}
		r.from, r.to = from, to
	case "icmp", "icmpv6":
		if p.FromPort != nil {
			r.from = *p.FromPort
		}
		if p.ToPort != nil {
			r.to = *p.ToPort
		}
		if proto == "icmp" && (p.FromPort == nil || p.ToPort == nil) {
			return sgRule{}, apiErr(ErrInvalidParameterValue, "Invalid value 'Must specify both the ICMP type and code (-1 for all).' for icmp")
		}
		if r.from < -1 || r.from > 255 || r.to < -1 || r.to > 255 {
			return sgRule{}, apiErr(ErrInvalidParameterValue, "Invalid ICMP type (%d) or code (%d): each must be -1 or between 0 and 255.", r.from, r.to)
		}
	}
	return r, nil
}

func checkRuleDescription(d string) error {
	if d == "" {
		return nil
	}
	return checkSGText("Description", d)
}

// expandPermissions turns IpPermissions.N (or the legacy flat form) into
// rules for g, resolving referenced groups. Callers hold s.mu.
func expandPermissions(z *tenant, g *securityGroup, req *xmlproto.SecurityGroupRulesRequest, egress bool) ([]*sgRule, error) {
	perms := req.IPPermissions
	flat := req.IPProtocol != "" || req.CidrIP != "" || req.FromPort != nil || req.ToPort != nil || req.SourceSecurityGroupName != ""
	if flat && len(perms) > 0 {
		return nil, apiErr(ErrInvalidParameterCombination, "The parameter 'ipPermissions' may not be used in combination with 'ipProtocol'")
	}
	switch {
	case req.SourceSecurityGroupName != "":
		if req.IPProtocol != "" || req.CidrIP != "" || req.FromPort != nil || req.ToPort != nil {
			return nil, apiErr(ErrInvalidParameterCombination, "The parameter 'sourceSecurityGroupName' may not be used in combination with 'ipProtocol', 'cidrIp', 'fromPort' or 'toPort'")
		}
		// The legacy source-group form grants all of TCP, UDP and ICMP.
		pair := []xmlproto.UserIDGroupPairRequest{{GroupName: req.SourceSecurityGroupName, UserID: req.SourceSecurityGroupOwnerID}}
		lo, hi, all := 0, 65535, -1
		perms = []xmlproto.IPPermissionRequest{
			{IPProtocol: "icmp", FromPort: &all, ToPort: &all, Groups: pair},
			{IPProtocol: "tcp", FromPort: &lo, ToPort: &hi, Groups: pair},
			{IPProtocol: "udp", FromPort: &lo, ToPort: &hi, Groups: pair},
		}
	case flat:
		if req.IPProtocol == "" {
			return nil, apiErr(ErrMissingParameter, "The request must contain the parameter ipProtocol")
		}
		if req.CidrIP == "" {
			return nil, apiErr(ErrMissingParameter, "The request must contain the parameter cidrIp")
		}
		perms = []xmlproto.IPPermissionRequest{{IPProtocol: req.IPProtocol, FromPort: req.FromPort, ToPort: req.ToPort,
			IPRanges: []xmlproto.IPRangeRequest{{CidrIP: req.CidrIP}}}}
	}
	var out []*sgRule
	for _, p := range perms {
		tmpl, err := ruleTemplate(p, egress)
		if err != nil {
			return nil, err
		}
		n := 0
		add := func(r sgRule, desc string) error {
			if err := checkRuleDescription(desc); err != nil {
				return err
			}
			r.description = desc
			out = append(out, &r)
			n++
			return nil
		}
		for _, rg := range p.IPRanges {
			pfx, err := netip.ParsePrefix(rg.CidrIP)
			if err != nil || !pfx.Addr().Is4() {
				return nil, apiErr(ErrInvalidParameterValue, "CIDR block %s is malformed", rg.CidrIP)
			}
			r := tmpl
			r.cidr4 = rg.CidrIP
			if err := add(r, rg.Description); err != nil {
				return nil, err
			}
		}
		for _, rg := range p.IPv6Ranges {
			pfx, err := netip.ParsePrefix(rg.CidrIPv6)
			if err != nil || !pfx.Addr().Is6() {
				return nil, apiErr(ErrInvalidParameterValue, "CIDR block %s is malformed", rg.CidrIPv6)
			}
			r := tmpl
			r.cidr6 = rg.CidrIPv6
			if err := add(r, rg.Description); err != nil {
				return nil, err
			}
		}
		for _, pl := range p.PrefixListIDs {
			if !strings.HasPrefix(pl.PrefixListID, "pl-") {
				return nil, apiErr(ErrInvalidParameterValue, "Invalid value '%s' for prefixListId. Expecting \"pl-...\".", pl.PrefixListID)
			}
			r := tmpl
			r.prefixList = pl.PrefixListID
			if err := add(r, pl.Description); err != nil {
				return nil, err
			}
		}
		for _, gp := range p.Groups {
			if gp.UserID != "" && gp.UserID != g.owner {
				return nil, apiErr(ErrInvalidGroupNotFound, "The security group '%s' does not exist in account '%s'", gp.GroupID+gp.GroupName, gp.UserID)
			}
			var ref *securityGroup
			if gp.GroupID != "" {
				if ref, err = z.net.groupByID(gp.GroupID); err != nil {
					return nil, err
				}
			} else if gp.GroupName != "" {
				if ref = z.net.groupByName(g.vpcID, gp.GroupName); ref == nil {
					return nil, apiErr(ErrInvalidGroupNotFound, "The security group '%s' does not exist in VPC '%s'", gp.GroupName, g.vpcID)
				}
			} else {
				return nil, apiErr(ErrInvalidParameterValue, "A security group reference must contain a group ID or a group name.")
			}
			r := tmpl
			r.refGroup, r.refUser = ref.id, ref.owner
			if err := add(r, gp.Description); err != nil {
				return nil, err
			}
		}
		if n == 0 {
			return nil, apiErr(ErrInvalidParameterValue, "The permission for protocol %s names no CIDR range, prefix list or security group.", tmpl.proto)
		}
	}
	if len(out) == 0 {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter ipPermissions")
	}
	return out, nil
}

func (s *Server) authorizeIngress(ctx context.Context, c *call) (any, error) {
	return s.authorize(c, false)
}

func (s *Server) authorizeEgress(ctx context.Context, c *call) (any, error) {
	return s.authorize(c, true)
}

func (s *Server) authorize(c *call, egress bool) (any, error) {
	var req xmlproto.SecurityGroupRulesRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if egress && req.GroupID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter groupId")
	}
	tags, err := tagsFor(req.TagSpecifications, "security-group-rule")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	g, err := z.net.findGroup(req.GroupID, req.GroupName)
	if err != nil {
		return nil, err
	}
	rules, err := expandPermissions(z, g, &req, egress)
	if err != nil {
		return nil, err
	}
	for i, r := range rules {
		if slices.ContainsFunc(g.rules, r.same) || slices.ContainsFunc(rules[:i], r.same) {
			return nil, apiErr(ErrInvalidPermissionDuplicate, "the specified rule \"%s\" already exists", r)
		}
	}
	if overRuleQuota(g, rules, egress) {
		return nil, apiErr(ErrRulesPerSecurityGroupLimitExceeded, "The maximum number of rules per security group has been reached.")
	}
	if req.DryRun {
		return nil, errDryRun
	}
	out := &xmlproto.AuthorizeSecurityGroupResponse{Return: true}
	for _, r := range rules {
		r.id, r.tags = newID("sgr-"), slices.Clone(tags)
		g.rules = append(g.rules, r)
		out.SecurityGroupRules = append(out.SecurityGroupRules, ruleView(c.region, g, r))
	}
	s.touchTenant(z, partGroups)
	s.accessChanged() // the rule may open a port on running instances
	return out, nil
}

// maxRulesPerGroup is AWS's default quota of inbound (and, apart, of
// outbound) rules per security group. AWS counts IPv4 and IPv6 rules
// apart, and a rule naming a group or a prefix list as one of each.
const maxRulesPerGroup = 60

// overRuleQuota reports whether adding rules to g's rules of that
// direction goes over the quota.
func overRuleQuota(g *securityGroup, rules []*sgRule, egress bool) bool {
	v4, v6 := 0, 0
	count := func(r *sgRule) {
		if r.egress != egress {
			return
		}
		if r.cidr6 == "" {
			v4++
		}
		if r.cidr4 == "" {
			v6++
		}
	}
	for _, r := range g.rules {
		count(r)
	}
	for _, r := range rules {
		count(r)
	}
	return v4 > maxRulesPerGroup || v6 > maxRulesPerGroup
}

func (s *Server) revokeIngress(ctx context.Context, c *call) (any, error) {
	return s.revoke(c, false)
}

func (s *Server) revokeEgress(ctx context.Context, c *call) (any, error) {
	return s.revoke(c, true)
}

func (s *Server) revoke(c *call, egress bool) (any, error) {
	var req xmlproto.SecurityGroupRulesRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if egress && req.GroupID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter groupId")
	}
	byProps := len(req.IPPermissions) > 0 || req.IPProtocol != "" || req.CidrIP != "" || req.SourceSecurityGroupName != ""
	if !byProps && len(req.SecurityGroupRuleIDs) == 0 {
		return nil, apiErr(ErrMissingParameter, "Either 'ipPermissions' or 'securityGroupRuleIds' should be provided.")
	}
	for _, id := range req.SecurityGroupRuleIDs {
		if !strings.HasPrefix(id, "sgr-") {
			return nil, apiErr(ErrInvalidSecurityGroupRuleIDMalformed, "Invalid id: \"%s\" (expecting \"sgr-...\")", id)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	g, err := z.net.findGroup(req.GroupID, req.GroupName)
	if err != nil {
		return nil, err
	}
	drop := map[*sgRule]bool{}
	for _, id := range req.SecurityGroupRuleIDs {
		i := slices.IndexFunc(g.rules, func(r *sgRule) bool { return r.id == id && r.egress == egress })
		if i < 0 {
			return nil, apiErr(ErrInvalidSecurityGroupRuleIDNotFound, "The security group rule ID '%s' does not exist", id)
		}
		drop[g.rules[i]] = true
	}
	out := &xmlproto.RevokeSecurityGroupResponse{Return: true}
	if byProps {
		asked, err := expandPermissions(z, g, &req, egress)
		if err != nil {
			return nil, err
		}
		var unknown []*sgRule
		for _, a := range asked {
			i := slices.IndexFunc(g.rules, a.same)
			if i < 0 {
				unknown = append(unknown, a)
				continue
			}
			drop[g.rules[i]] = true
		}
		if len(unknown) > 0 {
			// The model documents both answers: in a default VPC the call
			// succeeds and lists what it could not revoke; elsewhere it
			// fails and revokes nothing.
			if v := z.net.vpc(g.vpcID); v == nil || !v.isDefault {
				return nil, apiErr(ErrInvalidPermissionNotFound, "The specified rule does not exist in this security group.")
			}
			out.UnknownIPPermissions = permissions(unknown)
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	for _, r := range g.rules {
		if drop[r] {
			out.RevokedSecurityGroupRules = append(out.RevokedSecurityGroupRules, xmlproto.RevokedSecurityGroupRule{
				SecurityGroupRuleID: r.id, GroupID: g.id, IsEgress: r.egress, IPProtocol: r.proto, FromPort: r.from, ToPort: r.to,
				CidrIPv4: r.cidr4, CidrIPv6: r.cidr6, PrefixListID: r.prefixList, ReferencedGroupID: r.refGroup, Description: r.description,
			})
		}
	}
	g.rules = slices.DeleteFunc(g.rules, func(r *sgRule) bool { return drop[r] })
	s.touchTenant(z, partGroups)
	s.accessChanged()
	return out, nil
}

// permissions groups rules into IpPermissions: one per protocol and port
// range, with their peers, in the order the rules were added.
func permissions(rules []*sgRule) []xmlproto.IPPermission {
	out := []xmlproto.IPPermission{}
	type key struct {
		proto    string
		from, to int
	}
	idx := map[key]int{}
	for _, r := range rules {
		k := key{r.proto, r.from, r.to}
		i, ok := idx[k]
		if !ok {
			p := xmlproto.IPPermission{IPProtocol: r.proto}
			if hasPorts(r.proto) {
				from, to := r.from, r.to
				p.FromPort, p.ToPort = &from, &to
			}
			out = append(out, p)
			i = len(out) - 1
			idx[k] = i
		}
		p := &out[i]
		switch {
		case r.cidr4 != "":
			p.IPRanges = append(p.IPRanges, xmlproto.IPRange{CidrIP: r.cidr4, Description: r.description})
		case r.cidr6 != "":
			p.IPv6Ranges = append(p.IPv6Ranges, xmlproto.IPv6Range{CidrIPv6: r.cidr6, Description: r.description})
		case r.prefixList != "":
			p.PrefixListIDs = append(p.PrefixListIDs, xmlproto.PrefixListID{PrefixListID: r.prefixList, Description: r.description})
		case r.refGroup != "":
			p.Groups = append(p.Groups, xmlproto.UserIDGroupPair{UserID: r.refUser, GroupID: r.refGroup, Description: r.description})
		}
	}
	return out
}

func groupView(region string, g *securityGroup) xmlproto.SecurityGroup {
	var in, eg []*sgRule
	for _, r := range g.rules {
		if r.egress {
			eg = append(eg, r)
		} else {
			in = append(in, r)
		}
	}
	return xmlproto.SecurityGroup{
		OwnerID: g.owner, GroupID: g.id, GroupName: g.name, Description: g.description,
		IPPermissions: permissions(in), IPPermissionsEgress: permissions(eg), VpcID: g.vpcID,
		SecurityGroupArn: sgArn(region, g.owner, g.id), Tags: g.tags,
	}
}

func ruleView(region string, g *securityGroup, r *sgRule) xmlproto.SecurityGroupRule {
	v := xmlproto.SecurityGroupRule{
		SecurityGroupRuleID: r.id, GroupID: g.id, GroupOwnerID: g.owner, IsEgress: r.egress, IPProtocol: r.proto,
		FromPort: r.from, ToPort: r.to, CidrIPv4: r.cidr4, CidrIPv6: r.cidr6, PrefixListID: r.prefixList,
		Description: r.description, Tags: r.tags,
		SecurityGroupRuleArn: fmt.Sprintf("arn:aws:ec2:%s:%s:security-group-rule/%s", region, g.owner, r.id),
	}
	if r.refGroup != "" {
		v.ReferencedGroupInfo = &xmlproto.ReferencedSecurityGroup{GroupID: r.refGroup, UserID: r.refUser}
	}
	return v
}

// groupMatch is what the DescribeSecurityGroups filters look at: the group
// and the names of the groups its rules reference.
type groupMatch struct {
	g     *securityGroup
	names map[string]string // group ID → name, for ip-permission.group-name
}

func ruleValues(egress bool, get func(m *groupMatch, r *sgRule) string) func(*groupMatch) []string {
	return func(m *groupMatch) []string {
		var out []string
		for _, r := range m.g.rules {
			if r.egress == egress {
				if v := get(m, r); v != "" {
					out = append(out, v)
				}
			}
		}
		return out
	}
}

var securityGroupFields = func() query.Fields[*groupMatch] {
	f := query.Fields[*groupMatch]{
		ByName: map[string]func(*groupMatch) []string{
			"group-id":    func(m *groupMatch) []string { return one(m.g.id) },
			"group-name":  func(m *groupMatch) []string { return one(m.g.name) },
			"description": func(m *groupMatch) []string { return one(m.g.description) },
			"vpc-id":      func(m *groupMatch) []string { return one(m.g.vpcID) },
			"owner-id":    func(m *groupMatch) []string { return one(m.g.owner) },
		},
		Tags: func(m *groupMatch) []xmlproto.Tag { return m.g.tags },
	}
	for prefix, egress := range map[string]bool{"ip-permission.": false, "egress.ip-permission.": true} {
		port := func(get func(r *sgRule) int) func(m *groupMatch, r *sgRule) string {
			return func(m *groupMatch, r *sgRule) string {
				if !hasPorts(r.proto) {
					return ""
				}
				return strconv.Itoa(get(r))
			}
		}
		for name, get := range map[string]func(m *groupMatch, r *sgRule) string{
			"protocol":       func(m *groupMatch, r *sgRule) string { return r.proto },
			"from-port":      port(func(r *sgRule) int { return r.from }),
			"to-port":        port(func(r *sgRule) int { return r.to }),
			"cidr":           func(m *groupMatch, r *sgRule) string { return r.cidr4 },
			"ipv6-cidr":      func(m *groupMatch, r *sgRule) string { return r.cidr6 },
			"prefix-list-id": func(m *groupMatch, r *sgRule) string { return r.prefixList },
			"group-id":       func(m *groupMatch, r *sgRule) string { return r.refGroup },
			"group-name":     func(m *groupMatch, r *sgRule) string { return m.names[r.refGroup] },
			"user-id":        func(m *groupMatch, r *sgRule) string { return r.refUser },
		} {
			f.ByName[prefix+name] = ruleValues(egress, get)
		}
	}
	return f
}()

func (s *Server) describeSecurityGroups(ctx context.Context, c *call, req *xmlproto.DescribeSecurityGroupsRequest) (any, error) {
	spec := describeSpec[*groupMatch]{
		checkIDs: prefixID("sg-", ErrInvalidGroupIDMalformed, "sg-..."),
		fields:   securityGroupFields, tenant: true,
		list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*groupMatch], error) {
			z := s.tenants[c.scope]
			want := map[*securityGroup]bool{}
			for _, id := range ids {
				g, err := z.net.groupByID(id)
				if err != nil {
					return nil, err
				}
				want[g] = true
			}
			for _, name := range req.GroupNames {
				g, err := z.net.findGroup("", name)
				if err != nil {
					return nil, err
				}
				want[g] = true
			}
			names := map[string]string{}
			for _, g := range z.net.groups {
				names[g.id] = g.name
			}
			return func(yield func(*groupMatch) bool) {
				for _, g := range z.net.groups {
					if (len(want) == 0 || want[g]) && !yield(&groupMatch{g: g, names: names}) {
						return
					}
				}
			}, nil
		},
		emit: func(s *Server, c *call, page []*groupMatch, next string) any {
			out := &xmlproto.DescribeSecurityGroupsResponse{SecurityGroups: make([]xmlproto.SecurityGroup, 0, len(page)), NextToken: next}
			for _, m := range page {
				out.SecurityGroups = append(out.SecurityGroups, groupView(c.region, m.g))
			}
			return out
		},
	}
	return describe(ctx, s, c, describeQuery{req.GroupIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &spec)
}

var securityGroupRuleFields = query.Fields[*xmlproto.SecurityGroupRule]{
	ByName: map[string]func(*xmlproto.SecurityGroupRule) []string{
		"group-id":               func(r *xmlproto.SecurityGroupRule) []string { return one(r.GroupID) },
		"security-group-rule-id": func(r *xmlproto.SecurityGroupRule) []string { return one(r.SecurityGroupRuleID) },
	},
	Tags: func(r *xmlproto.SecurityGroupRule) []xmlproto.Tag { return r.Tags },
}

func (s *Server) describeSecurityGroupRules(ctx context.Context, c *call, req *xmlproto.DescribeSecurityGroupRulesRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.SecurityGroupRuleIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &describeSecurityGroupRulesSpec)
}

var describeSecurityGroupRulesSpec = describeSpec[*xmlproto.SecurityGroupRule]{
	checkIDs: prefixID("sgr-", ErrInvalidSecurityGroupRuleIDMalformed, "sgr-..."),
	fields:   securityGroupRuleFields, tenant: true,
	list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*xmlproto.SecurityGroupRule], error) {
		z := s.tenants[c.scope]
		if id, ok := firstMissing(ids, func(id string) bool { _, r := z.net.rule(id); return r != nil }); ok {
			return nil, apiErr(ErrInvalidSecurityGroupRuleIDNotFound, "The security group rule ID '%s' does not exist", id)
		}
		var all []xmlproto.SecurityGroupRule
		for _, g := range z.net.groups {
			for _, r := range g.rules {
				if len(ids) == 0 || slices.Contains(ids, r.id) {
					all = append(all, ruleView(c.region, g, r))
				}
			}
		}
		return pointers(all), nil
	},
	emit: func(s *Server, c *call, page []*xmlproto.SecurityGroupRule, next string) any {
		return &xmlproto.DescribeSecurityGroupRulesResponse{SecurityGroupRules: values(page), NextToken: next}
	},
}
