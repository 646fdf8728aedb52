package ec2emu_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

func defaultVPC(t *testing.T, c *ec2.Client) types.Vpc {
	t.Helper()
	out, err := c.DescribeVpcs(ctxT(t), &ec2.DescribeVpcsInput{Filters: []types.Filter{filter("is-default", "true")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Vpcs) != 1 {
		t.Fatalf("%d default VPCs, want 1", len(out.Vpcs))
	}
	return out.Vpcs[0]
}

func subnetsByAZ(t *testing.T, c *ec2.Client) map[string]types.Subnet {
	t.Helper()
	out, err := c.DescribeSubnets(ctxT(t), &ec2.DescribeSubnetsInput{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]types.Subnet{}
	for _, s := range out.Subnets {
		m[aws.ToString(s.AvailabilityZone)] = s
	}
	return m
}

func groupByName(t *testing.T, c *ec2.Client, name string) types.SecurityGroup {
	t.Helper()
	out, err := c.DescribeSecurityGroups(ctxT(t), &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("group-name", name)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.SecurityGroups) != 1 {
		t.Fatalf("%d groups named %s, want 1", len(out.SecurityGroups), name)
	}
	return out.SecurityGroups[0]
}

// A fresh account and region has a default VPC, one default subnet per
// zone and a default security group, with IDs that do not change between
// Servers and differ between regions.
func TestDefaultNetwork(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	v := defaultVPC(t, c)
	gotVPC := []any{aws.ToString(v.CidrBlock), v.State, aws.ToBool(v.IsDefault), v.InstanceTenancy, aws.ToString(v.OwnerId),
		strings.HasPrefix(aws.ToString(v.DhcpOptionsId), "dopt-"), aws.ToString(v.CidrBlockAssociationSet[0].CidrBlock),
		v.CidrBlockAssociationSet[0].CidrBlockState.State}
	wantVPC := []any{"172.31.0.0/16", types.VpcStateAvailable, true, types.TenancyDefault, "000000000000", true, "172.31.0.0/16",
		types.VpcCidrBlockStateCodeAssociated}
	if diff := cmp.Diff(wantVPC, gotVPC); diff != "" {
		t.Errorf("default VPC (-want +got):\n%s", diff)
	}

	subnets := subnetsByAZ(t, c)
	zoneIDs := map[string]string{}
	azs, err := c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range azs.AvailabilityZones {
		zoneIDs[aws.ToString(z.ZoneName)] = aws.ToString(z.ZoneId)
	}
	var got []string
	for _, az := range []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"} {
		s := subnets[az]
		got = append(got, fmt.Sprintf("%s %s %t %t %d %t %s", az, aws.ToString(s.CidrBlock), aws.ToBool(s.DefaultForAz),
			aws.ToBool(s.MapPublicIpOnLaunch), aws.ToInt32(s.AvailableIpAddressCount), aws.ToString(s.AvailabilityZoneId) == zoneIDs[az],
			strings.TrimPrefix(aws.ToString(s.VpcId), aws.ToString(v.VpcId))))
	}
	want := []string{
		"us-east-1a 172.31.0.0/20 true true 4091 true ",
		"us-east-1b 172.31.16.0/20 true true 4091 true ",
		"us-east-1c 172.31.32.0/20 true true 4091 true ",
		"us-east-1d 172.31.48.0/20 true true 4091 true ",
		"us-east-1e 172.31.64.0/20 true true 4091 true ",
		"us-east-1f 172.31.80.0/20 true true 4091 true ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("default subnets (-want +got):\n%s", diff)
	}
	if len(subnets) != 6 {
		t.Errorf("%d subnets, want one per zone (6)", len(subnets))
	}

	g := groupByName(t, c, "default")
	gotSG := []any{aws.ToString(g.Description), aws.ToString(g.VpcId), len(g.IpPermissions), len(g.IpPermissionsEgress)}
	if diff := cmp.Diff([]any{"default VPC security group", aws.ToString(v.VpcId), 1, 1}, gotSG); diff != "" {
		t.Fatalf("default group (-want +got):\n%s", diff)
	}
	in, eg := g.IpPermissions[0], g.IpPermissionsEgress[0]
	gotRules := []any{aws.ToString(in.IpProtocol), aws.ToString(in.UserIdGroupPairs[0].GroupId), in.FromPort,
		aws.ToString(eg.IpProtocol), aws.ToString(eg.IpRanges[0].CidrIp)}
	if diff := cmp.Diff([]any{"-1", aws.ToString(g.GroupId), (*int32)(nil), "-1", "0.0.0.0/0"}, gotRules); diff != "" {
		t.Errorf("default group rules (-want +got):\n%s", diff)
	}

	// Same account and region on another Server: the same IDs.
	other := ec2emutest.NewServer(t, mock.New())
	if a, b := aws.ToString(v.VpcId), aws.ToString(defaultVPC(t, other.Client).VpcId); a != b {
		t.Errorf("default VPC ID differs between Servers: %s vs %s", a, b)
	}
	if a, b := aws.ToString(subnets["us-east-1c"].SubnetId), aws.ToString(subnetsByAZ(t, other.Client)["us-east-1c"].SubnetId); a != b {
		t.Errorf("default subnet ID differs between Servers: %s vs %s", a, b)
	}
	// Another region: its own network, with its own zones.
	west := ec2emutest.Client(srv.URL, "eu-west-1")
	if a, b := aws.ToString(v.VpcId), aws.ToString(defaultVPC(t, west).VpcId); a == b {
		t.Errorf("us-east-1 and eu-west-1 share default VPC %s", a)
	}
	if n := len(subnetsByAZ(t, west)); n != 3 {
		t.Errorf("eu-west-1 has %d subnets, want 3", n)
	}

	// Filters, IDs and tags.
	sub := aws.ToString(subnets["us-east-1b"].SubnetId)
	if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{
		Resources: []string{aws.ToString(v.VpcId), sub, aws.ToString(g.GroupId)},
		Tags:      []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}},
	}); err != nil {
		t.Fatalf("CreateTags on vpc/subnet/sg: %v", err)
	}
	filterTests := []struct {
		name    string
		filters []types.Filter
		ids     []string
		want    []string
	}{
		{"by zone", []types.Filter{filter("availability-zone", "us-east-1b")}, nil, []string{sub}},
		{"by zone wildcard and default-for-az", []types.Filter{filter("availabilityZone", "us-east-1[ab]", "us-east-1b"), filter("default-for-az", "true")}, nil, []string{sub}},
		{"by tag", []types.Filter{filter("tag:env", "dev")}, nil, []string{sub}},
		{"by id", nil, []string{sub}, []string{sub}},
		{"by cidr", []types.Filter{filter("cidr-block", "172.31.16.0/20")}, nil, []string{sub}},
		{"no match", []types.Filter{filter("vpc-id", "vpc-0000000000000dead")}, nil, nil},
	}
	for _, tt := range filterTests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: tt.filters, SubnetIds: tt.ids})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, s := range out.Subnets {
				ids = append(ids, aws.ToString(s.SubnetId))
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("subnets (-want +got):\n%s", diff)
			}
		})
	}
	tagged, err := c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []types.Filter{filter("key", "env")}})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, d := range tagged.Tags {
		kinds = append(kinds, string(d.ResourceType))
	}
	slices.Sort(kinds)
	if diff := cmp.Diff([]string{"security-group", "subnet", "vpc"}, kinds); diff != "" {
		t.Errorf("DescribeTags resource types (-want +got):\n%s", diff)
	}
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{filter("tag:env", "dev")}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Errorf("DescribeVpcs by tag: %d VPCs, %v; want 1", len(vpcs.Vpcs), err)
	}
	if _, err := c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{aws.ToString(v.VpcId)}}); err != nil {
		t.Fatal(err)
	}
	if v := defaultVPC(t, c); len(v.Tags) != 0 {
		t.Errorf("VPC tags after DeleteTags: %v", v.Tags)
	}
}

func TestSecurityGroups(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	vpcID := aws.ToString(defaultVPC(t, c).VpcId)
	created, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("web"), Description: aws.String("web servers"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup,
			Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("web")}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	web := aws.ToString(created.GroupId)
	db, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("db"), Description: aws.String("db"), VpcId: aws.String(vpcID)})
	if err != nil {
		t.Fatal(err)
	}
	dbID := aws.ToString(db.GroupId)
	g := groupByName(t, c, "web")
	got := []any{aws.ToString(g.GroupId), aws.ToString(g.VpcId), aws.ToString(g.Description), testutil.TagMap(g.Tags)["Name"], len(g.IpPermissions),
		aws.ToString(g.IpPermissionsEgress[0].IpRanges[0].CidrIp)}
	if diff := cmp.Diff([]any{web, vpcID, "web servers", "web", 0, "0.0.0.0/0"}, got); diff != "" {
		t.Errorf("new group (-want +got):\n%s", diff)
	}

	// Ingress: IpPermissions with every kind of peer, then the legacy form.
	auth, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			IpRanges:   []types.IpRange{{CidrIp: aws.String("0.0.0.0/0"), Description: aws.String("https")}},
			Ipv6Ranges: []types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}},
		{IpProtocol: aws.String("6"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
			UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(dbID)}},
			PrefixListIds:    []types.PrefixListId{{PrefixListId: aws.String("pl-12345678")}}},
	}, TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroupRule,
		Tags: []types.Tag{{Key: aws.String("rule"), Value: aws.String("yes")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	var ruleIDs []string
	var ruleSummary []string
	for _, r := range auth.SecurityGroupRules {
		ruleIDs = append(ruleIDs, aws.ToString(r.SecurityGroupRuleId))
		ref := ""
		if r.ReferencedGroupInfo != nil {
			ref = aws.ToString(r.ReferencedGroupInfo.GroupId)
		}
		ruleSummary = append(ruleSummary, fmt.Sprintf("%s %d-%d %s%s%s%s %s", aws.ToString(r.IpProtocol), aws.ToInt32(r.FromPort), aws.ToInt32(r.ToPort),
			aws.ToString(r.CidrIpv4), aws.ToString(r.CidrIpv6), aws.ToString(r.PrefixListId), ref, testutil.TagMap(r.Tags)["rule"]))
	}
	wantRules := []string{"tcp 443-443 0.0.0.0/0 yes", "tcp 443-443 ::/0 yes", "tcp 22-22 pl-12345678 yes", "tcp 22-22 " + dbID + " yes"}
	if diff := cmp.Diff(wantRules, ruleSummary); diff != "" || !aws.ToBool(auth.Return) {
		t.Errorf("authorize answer return=%t (-want +got):\n%s", aws.ToBool(auth.Return), diff)
	}
	if _, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupName: aws.String("web"),
		IpProtocol: aws.String("udp"), FromPort: aws.Int32(53), ToPort: aws.Int32(53), CidrIp: aws.String("10.0.0.0/8")}); err != nil {
		t.Fatalf("legacy flat form by group name: %v", err)
	}
	g = groupByName(t, c, "web")
	var perms []string
	for _, p := range g.IpPermissions {
		var peers []string
		for _, r := range p.IpRanges {
			peers = append(peers, aws.ToString(r.CidrIp)+"/"+aws.ToString(r.Description))
		}
		for _, r := range p.Ipv6Ranges {
			peers = append(peers, aws.ToString(r.CidrIpv6))
		}
		for _, r := range p.PrefixListIds {
			peers = append(peers, aws.ToString(r.PrefixListId))
		}
		for _, r := range p.UserIdGroupPairs {
			peers = append(peers, aws.ToString(r.GroupId)+"@"+aws.ToString(r.UserId))
		}
		perms = append(perms, fmt.Sprintf("%s %d-%d %v", aws.ToString(p.IpProtocol), aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort), peers))
	}
	wantPerms := []string{
		"tcp 443-443 [0.0.0.0/0/https ::/0]",
		"tcp 22-22 [pl-12345678 " + dbID + "@000000000000]",
		"udp 53-53 [10.0.0.0/8/]",
	}
	if diff := cmp.Diff(wantPerms, perms); diff != "" {
		t.Errorf("IpPermissions (-want +got):\n%s", diff)
	}

	// Filters over rules, and DescribeSecurityGroupRules.
	for _, tt := range []struct {
		filter types.Filter
		want   []string
	}{
		{filter("ip-permission.from-port", "22"), []string{"web"}},
		{filter("ip-permission.group-id", dbID), []string{"web"}},
		{filter("ip-permission.group-name", "db"), []string{"web"}},
		{filter("ip-permission.cidr", "10.0.0.0/8"), []string{"web"}},
		{filter("egress.ip-permission.cidr", "0.0.0.0/0"), []string{"default", "web", "db"}},
		{filter("tag:Name", "web"), []string{"web"}},
		{filter("vpc-id", vpcID), []string{"default", "web", "db"}},
	} {
		out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{tt.filter}})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, g := range out.SecurityGroups {
			names = append(names, aws.ToString(g.GroupName))
		}
		if diff := cmp.Diff(tt.want, names); diff != "" {
			t.Errorf("filter %s=%v (-want +got):\n%s", aws.ToString(tt.filter.Name), tt.filter.Values, diff)
		}
	}
	rules, err := c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{filter("group-id", web)}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rules.SecurityGroupRules); n != 6 {
		t.Errorf("DescribeSecurityGroupRules: %d rules for web, want 6 (5 ingress, 1 egress)", n)
	}

	// Revoke: by properties (an unknown one is listed, not an error, in the
	// default VPC), then by rule ID.
	rev, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}},
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8080), ToPort: aws.Int32(8080), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	gotRev := []any{len(rev.RevokedSecurityGroupRules), aws.ToString(rev.RevokedSecurityGroupRules[0].SecurityGroupRuleId),
		len(rev.UnknownIpPermissions), aws.ToInt32(rev.UnknownIpPermissions[0].FromPort)}
	if diff := cmp.Diff([]any{1, ruleIDs[0], 1, int32(8080)}, gotRev); diff != "" {
		t.Errorf("revoke by properties (-want +got):\n%s", diff)
	}
	if _, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(web), SecurityGroupRuleIds: ruleIDs[1:2]}); err != nil {
		t.Fatal(err)
	}
	if n := len(groupByName(t, c, "web").IpPermissions[0].Ipv6Ranges); n != 0 {
		t.Errorf("%d IPv6 ranges left after revoking the rule by ID", n)
	}

	// Egress: replace the allow-all rule.
	if _, err := c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("icmp"), FromPort: aws.Int32(-1), ToPort: aws.Int32(-1), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}}}); err != nil {
		t.Fatal(err)
	}
	eg := groupByName(t, c, "web").IpPermissionsEgress
	if len(eg) != 1 || aws.ToString(eg[0].IpProtocol) != "icmp" || aws.ToInt32(eg[0].FromPort) != -1 {
		t.Errorf("egress after revoke+authorize: %+v", eg)
	}

	// A group in use by an instance, or referenced by a rule, stays.
	inst := run(t, c, &ec2.RunInstancesInput{SecurityGroupIds: []string{web}})
	id := aws.ToString(inst.Instances[0].InstanceId)
	errTests := []struct {
		name string
		call func() error
		code code
	}{
		{"duplicate name", func() error {
			_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("WEB"), Description: aws.String("x")})
			return err
		}, "InvalidGroup.Duplicate"},
		{"name default taken", func() error {
			_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("default"), Description: aws.String("x")})
			return err
		}, "InvalidGroup.Duplicate"},
		{"name sg-", func() error {
			_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("sg-web"), Description: aws.String("x")})
			return err
		}, "InvalidParameterValue"},
		{"name with bad characters", func() error {
			_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web|db"), Description: aws.String("x")})
			return err
		}, "InvalidParameterValue"},
		{"no description", func() error {
			_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("")})
			return err
		}, "MissingParameter"},
		{"unknown VPC", func() error {
			_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("x"), VpcId: aws.String("vpc-0000000000000dead")})
			return err
		}, "InvalidVpcID.NotFound"},
		{"bad tag resource type", func() error {
			_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("x"),
				TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}}})
			return err
		}, "InvalidParameterValue"},
		{"duplicate rule", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(web),
				IpProtocol: aws.String("udp"), FromPort: aws.Int32(53), ToPort: aws.Int32(53), CidrIp: aws.String("10.0.0.0/8")})
			return err
		}, "InvalidPermission.Duplicate"},
		{"duplicate within one request", func() error {
			p := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(1), ToPort: aws.Int32(2), IpRanges: []types.IpRange{{CidrIp: aws.String("1.2.3.0/24")}}}
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{p, p}})
			return err
		}, "InvalidPermission.Duplicate"},
		{"tcp without ports", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{
				{IpProtocol: aws.String("tcp"), IpRanges: []types.IpRange{{CidrIp: aws.String("1.2.3.0/24")}}}}})
			return err
		}, "InvalidParameterValue"},
		{"unknown protocol", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{
				{IpProtocol: aws.String("smtp"), IpRanges: []types.IpRange{{CidrIp: aws.String("1.2.3.0/24")}}}}})
			return err
		}, "InvalidParameterValue"},
		{"malformed CIDR", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{
				{IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("1.2.3.4")}}}}})
			return err
		}, "InvalidParameterValue"},
		{"unknown source group", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{
				{IpProtocol: aws.String("-1"), UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String("sg-0000000000000dead")}}}}})
			return err
		}, "InvalidGroup.NotFound"},
		{"authorize on unknown group", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String("sg-0000000000000dead"),
				IpProtocol: aws.String("-1"), CidrIp: aws.String("1.2.3.0/24")})
			return err
		}, "InvalidGroup.NotFound"},
		{"revoke unknown rule ID", func() error {
			_, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(web), SecurityGroupRuleIds: []string{"sgr-0000000000000dead"}})
			return err
		}, "InvalidSecurityGroupRuleId.NotFound"},
		{"revoke nothing", func() error {
			_, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(web)})
			return err
		}, "MissingParameter"},
		{"describe unknown group", func() error {
			_, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0000000000000dead"}})
			return err
		}, "InvalidGroup.NotFound"},
		{"describe malformed group", func() error {
			_, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"web"}})
			return err
		}, "InvalidGroupId.Malformed"},
		{"describe unknown group name", func() error {
			_, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"nope"}})
			return err
		}, "InvalidGroup.NotFound"},
		{"describe unknown VPC", func() error {
			_, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0000000000000dead"}})
			return err
		}, "InvalidVpcID.NotFound"},
		{"describe unknown subnet", func() error {
			_, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0000000000000dead"}})
			return err
		}, "InvalidSubnetID.NotFound"},
		{"unknown filter", func() error {
			_, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("colour", "red")}})
			return err
		}, "InvalidParameterValue"},
		{"describe unknown rule", func() error {
			_, err := c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{"sgr-0000000000000dead"}})
			return err
		}, "InvalidSecurityGroupRuleId.NotFound"},
		{"delete the default group", func() error {
			_, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupName: aws.String("default")})
			return err
		}, "CannotDelete"},
		{"delete a group in use", func() error {
			_, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(web)})
			return err
		}, "DependencyViolation"},
		{"delete a referenced group", func() error {
			_, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(dbID)})
			return err
		}, "DependencyViolation"},
		{"delete unknown group", func() error {
			_, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String("sg-0000000000000dead")})
			return err
		}, "InvalidGroup.NotFound"},
		{"delete unknown group name", func() error {
			_, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupName: aws.String("nope")})
			return err
		}, "InvalidGroup.NotFound"},
		{"DryRun create", func() error {
			_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("dry"), Description: aws.String("x"), DryRun: aws.Bool(true)})
			return err
		}, "DryRunOperation"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), string(tt.code), tt.code.status()) })
	}
	// Nothing above changed anything: web keeps its two permissions.
	if n := len(groupByName(t, c, "web").IpPermissions); n != 2 {
		t.Errorf("web has %d ingress permissions after failed calls, want 2", n)
	}
	out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("group-name", "dry")}})
	if err != nil || len(out.SecurityGroups) != 0 {
		t.Errorf("DryRun made a group: %v %v", out, err)
	}

	// Once the instance is gone and the reference revoked, both delete.
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	if err := ec2.NewInstanceTerminatedWaiter(c, func(o *ec2.InstanceTerminatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	}).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(web), SecurityGroupRuleIds: ruleIDs[3:4]}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupName: aws.String("db")}); err != nil {
		t.Errorf("delete db by name: %v", err)
	}
	del, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(web)})
	if err != nil || aws.ToString(del.GroupId) != web {
		t.Errorf("delete web: %v, %v", del, err)
	}
	left, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	if err != nil || len(left.SecurityGroups) != 1 {
		t.Errorf("groups left: %v (%v), want only default", left, err)
	}
}

type code string

// status is the HTTP status every code here answers with.
func (c code) status() int {
	if c == "DryRunOperation" {
		return 412
	}
	return 400
}

func TestRunInstancesNetworking(t *testing.T) {
	srv, b := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	vpcID := aws.ToString(defaultVPC(t, c).VpcId)
	subnets := subnetsByAZ(t, c)
	subA, subC := aws.ToString(subnets["us-east-1a"].SubnetId), aws.ToString(subnets["us-east-1c"].SubnetId)
	def := aws.ToString(groupByName(t, c, "default").GroupId)
	sg, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("app"), Description: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	app := aws.ToString(sg.GroupId)

	type placed struct {
		AZ, Subnet, VPC string
		Groups          []string
		ENISubnet       string
		ENIGroups       []string
		Device          int32
		Status          string
		SourceDestCheck bool
	}
	view := func(i types.Instance) placed {
		p := placed{AZ: aws.ToString(i.Placement.AvailabilityZone), Subnet: aws.ToString(i.SubnetId), VPC: aws.ToString(i.VpcId),
			SourceDestCheck: aws.ToBool(i.SourceDestCheck)}
		for _, g := range i.SecurityGroups {
			p.Groups = append(p.Groups, aws.ToString(g.GroupId)+"/"+aws.ToString(g.GroupName))
		}
		if len(i.NetworkInterfaces) == 1 {
			n := i.NetworkInterfaces[0]
			p.ENISubnet, p.Device, p.Status = aws.ToString(n.SubnetId), aws.ToInt32(n.Attachment.DeviceIndex), string(n.Status)
			for _, g := range n.Groups {
				p.ENIGroups = append(p.ENIGroups, aws.ToString(g.GroupId))
			}
		}
		return p
	}
	tests := []struct {
		name string
		in   ec2.RunInstancesInput
		want placed
	}{
		{"defaults", ec2.RunInstancesInput{}, placed{"us-east-1a", subA, vpcID, []string{def + "/default"}, subA, []string{def}, 0, "in-use", true}},
		{"placement picks the zone's default subnet", ec2.RunInstancesInput{Placement: &types.Placement{AvailabilityZone: aws.String("us-east-1c")}},
			placed{"us-east-1c", subC, vpcID, []string{def + "/default"}, subC, []string{def}, 0, "in-use", true}},
		{"subnet and group IDs", ec2.RunInstancesInput{SubnetId: aws.String(subC), SecurityGroupIds: []string{app, def}},
			placed{"us-east-1c", subC, vpcID, []string{app + "/app", def + "/default"}, subC, []string{app, def}, 0, "in-use", true}},
		{"subnet agreeing with placement", ec2.RunInstancesInput{SubnetId: aws.String(subC), Placement: &types.Placement{AvailabilityZone: aws.String("us-east-1c")}},
			placed{"us-east-1c", subC, vpcID, []string{def + "/default"}, subC, []string{def}, 0, "in-use", true}},
		{"group names", ec2.RunInstancesInput{SecurityGroups: []string{"app"}},
			placed{"us-east-1a", subA, vpcID, []string{app + "/app"}, subA, []string{app}, 0, "in-use", true}},
		{"network interface", ec2.RunInstancesInput{NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{{
			DeviceIndex: aws.Int32(0), SubnetId: aws.String(subC), Groups: []string{app}, AssociatePublicIpAddress: aws.Bool(true)}}},
			placed{"us-east-1c", subC, vpcID, []string{app + "/app"}, subC, []string{app}, 0, "in-use", true}},
	}
	ids := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			out := run(t, c, &in)
			if diff := cmp.Diff(tt.want, view(out.Instances[0])); diff != "" {
				t.Errorf("RunInstances answer (-want +got):\n%s", diff)
			}
			id := aws.ToString(out.Instances[0].InstanceId)
			ids[tt.name] = id
			d, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, view(d.Reservations[0].Instances[0])); diff != "" {
				t.Errorf("DescribeInstances (-want +got):\n%s", diff)
			}
			// The launch reaches the backend in the background, after
			// RunInstances has answered.
			spec, err := b.WaitSpec(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if spec.Metadata["subnet-id"] != tt.want.Subnet {
				t.Errorf("subnet not stored with the machine: metadata %v", spec.Metadata)
			}
		})
	}

	// The primary interface once running: the backend's address, a MAC, an ENI ID.
	if err := ec2.NewInstanceRunningWaiter(c, func(o *ec2.InstanceRunningWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	}).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{ids["defaults"]}}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{ids["defaults"]}})
	if err != nil {
		t.Fatal(err)
	}
	inst := d.Reservations[0].Instances[0]
	n := inst.NetworkInterfaces[0]
	gotENI := []any{strings.HasPrefix(aws.ToString(n.NetworkInterfaceId), "eni-"), len(aws.ToString(n.MacAddress)), aws.ToString(n.PrivateIpAddress),
		aws.ToString(n.PrivateIpAddresses[0].PrivateIpAddress), aws.ToBool(n.PrivateIpAddresses[0].Primary), aws.ToString(n.OwnerId),
		aws.ToBool(n.Attachment.DeleteOnTermination), n.Attachment.Status}
	wantENI := []any{true, 17, aws.ToString(inst.PrivateIpAddress), aws.ToString(inst.PrivateIpAddress), true, "000000000000", true, types.AttachmentStatusAttached}
	if diff := cmp.Diff(wantENI, gotENI); diff != "" || aws.ToString(inst.PrivateIpAddress) == "" {
		t.Errorf("primary interface, private IP %q (-want +got):\n%s", aws.ToString(inst.PrivateIpAddress), diff)
	}

	// Instance filters on networking.
	for _, tt := range []struct {
		f    types.Filter
		want []string
	}{
		{filter("subnet-id", subC), []string{ids["placement picks the zone's default subnet"], ids["subnet and group IDs"], ids["subnet agreeing with placement"], ids["network interface"]}},
		{filter("instance.group-name", "app"), []string{ids["subnet and group IDs"], ids["group names"], ids["network interface"]}},
		{filter("instance.group-id", app), []string{ids["subnet and group IDs"], ids["group names"], ids["network interface"]}},
		{filter("network-interface.network-interface-id", aws.ToString(n.NetworkInterfaceId)), []string{ids["defaults"]}},
		{filter("network-interface.mac-address", aws.ToString(n.MacAddress)), []string{ids["defaults"]}},
		{filter("vpc-id", "vpc-0000000000000dead"), nil},
	} {
		out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{tt.f}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				got = append(got, aws.ToString(i.InstanceId))
			}
		}
		slices.Sort(got)
		slices.Sort(tt.want)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("filter %s (-want +got):\n%s", aws.ToString(tt.f.Name), diff)
		}
	}
	if n := aws.ToInt32(subnetsByAZ(t, c)["us-east-1c"].AvailableIpAddressCount); n != 4091-4 {
		t.Errorf("us-east-1c has %d free addresses with 4 instances, want %d", n, 4091-4)
	}

	// Unknown or contradicting networking launches nothing. Every earlier
	// launch must have reached the backend before it is counted.
	var all []string
	for _, id := range ids {
		all = append(all, id)
	}
	if err := ec2.NewInstanceRunningWaiter(c, func(o *ec2.InstanceRunningWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	}).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: all}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	before, err := b.Machines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	one := aws.Int32(1)
	errTests := []struct {
		name string
		in   ec2.RunInstancesInput
		code string
	}{
		{"unknown subnet", ec2.RunInstancesInput{SubnetId: aws.String("subnet-0000000000000dead")}, "InvalidSubnetID.NotFound"},
		{"malformed subnet", ec2.RunInstancesInput{SubnetId: aws.String("sn-1")}, "InvalidSubnetID.Malformed"},
		{"unknown group ID", ec2.RunInstancesInput{SecurityGroupIds: []string{app, "sg-0000000000000dead"}}, "InvalidGroup.NotFound"},
		{"unknown group name", ec2.RunInstancesInput{SecurityGroups: []string{"nope"}}, "InvalidGroup.NotFound"},
		{"placement contradicts subnet", ec2.RunInstancesInput{SubnetId: aws.String(subC), Placement: &types.Placement{AvailabilityZone: aws.String("us-east-1a")}}, "InvalidParameterValue"},
		{"interface and subnet", ec2.RunInstancesInput{SubnetId: aws.String(subC), NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{{DeviceIndex: aws.Int32(0)}}}, "InvalidParameterCombination"},
		{"interface at index 1 only", ec2.RunInstancesInput{NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{{DeviceIndex: aws.Int32(1), SubnetId: aws.String(subC)}}}, "InvalidParameterValue"},
		{"interface in unknown subnet", ec2.RunInstancesInput{NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{{DeviceIndex: aws.Int32(0), SubnetId: aws.String("subnet-0000000000000dead")}}}, "InvalidSubnetID.NotFound"},
		{"unknown instance type", ec2.RunInstancesInput{InstanceType: "t9.huge"}, "InvalidParameterValue"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.ImageId, in.MinCount, in.MaxCount = aws.String(ubuntuAMI), one, one
			_, err := c.RunInstances(ctx, &in)
			wantAPIError(t, err, tt.code, 400)
		})
	}
	after, err := b.Machines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("failed launches left machines: %d before, %d after", len(before), len(after))
	}

	// A terminated instance has released its interface.
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{ids["defaults"]}}); err != nil {
		t.Fatal(err)
	}
	if err := ec2.NewInstanceTerminatedWaiter(c, func(o *ec2.InstanceTerminatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	}).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{ids["defaults"]}}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	d, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{ids["defaults"]}})
	if err != nil {
		t.Fatal(err)
	}
	if i := d.Reservations[0].Instances[0]; i.VpcId != nil || i.SubnetId != nil || len(i.NetworkInterfaces) != 0 {
		t.Errorf("terminated instance still has vpc %v subnet %v interfaces %d", aws.ToString(i.VpcId), aws.ToString(i.SubnetId), len(i.NetworkInterfaces))
	}
}

// A restarted Server re-adopts machines in their subnet, with their groups
// and interface ID, even when the groups were made by the earlier process.
func TestNetworkSurvivesRestart(t *testing.T) {
	b := mock.New(mock.WithDelay(10 * time.Millisecond))
	t.Cleanup(func() { b.Close() })
	ctx := ctxT(t)
	start := func() *ec2.Client {
		srv := ec2emu.New(b)
		hs := httptest.NewServer(srv)
		t.Cleanup(func() { hs.Close(); srv.Close() })
		return ec2emutest.Client(hs.URL, "us-east-1")
	}
	c1 := start()
	sub := aws.ToString(subnetsByAZ(t, c1)["us-east-1b"].SubnetId)
	sg, err := c1.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("app"), Description: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, c1, &ec2.RunInstancesInput{SubnetId: aws.String(sub), SecurityGroupIds: []string{aws.ToString(sg.GroupId)}})
	id := aws.ToString(out.Instances[0].InstanceId)
	// The machine must have reached the backend before the restart.
	if err := ec2.NewInstanceRunningWaiter(c1, func(o *ec2.InstanceRunningWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	}).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	describe := func(c *ec2.Client) string {
		d, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		i := d.Reservations[0].Instances[0]
		return fmt.Sprintf("%s %s %s %s/%s %s %s", aws.ToString(i.Placement.AvailabilityZone), aws.ToString(i.VpcId), aws.ToString(i.SubnetId),
			aws.ToString(i.SecurityGroups[0].GroupId), aws.ToString(i.SecurityGroups[0].GroupName),
			aws.ToString(i.NetworkInterfaces[0].NetworkInterfaceId), aws.ToString(i.NetworkInterfaces[0].MacAddress))
	}
	want := describe(c1)
	if !strings.Contains(want, sub) || !strings.Contains(want, "/app") {
		t.Fatalf("before restart: %s", want)
	}
	if got := describe(start()); got != want {
		t.Errorf("after restart:\n got %s\nwant %s", got, want)
	}
}

func TestInstanceTypes(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	out, err := c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []types.InstanceType{"t3.micro", "m7g.large", "m1.small"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range out.InstanceTypes {
		got = append(got, fmt.Sprintf("%s %d/%d/%d %dMiB %v burst=%t current=%t %s %v", it.InstanceType, aws.ToInt32(it.VCpuInfo.DefaultVCpus),
			aws.ToInt32(it.VCpuInfo.DefaultCores), aws.ToInt32(it.VCpuInfo.DefaultThreadsPerCore), aws.ToInt64(it.MemoryInfo.SizeInMiB),
			it.ProcessorInfo.SupportedArchitectures, aws.ToBool(it.BurstablePerformanceSupported), aws.ToBool(it.CurrentGeneration),
			aws.ToString(it.NetworkInfo.NetworkPerformance), it.SupportedVirtualizationTypes))
	}
	want := []string{
		"m1.small 1/1/1 1740MiB [i386 x86_64] burst=false current=false Low [hvm paravirtual]",
		"t3.micro 2/1/2 1024MiB [x86_64] burst=true current=true Up to 5 Gigabit [hvm]",
		"m7g.large 2/2/1 8192MiB [arm64] burst=false current=true Up to 12.5 Gigabit [hvm]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DescribeInstanceTypes (-want +got):\n%s", diff)
	}

	names := func(in *ec2.DescribeInstanceTypesInput) []string {
		t.Helper()
		var all []string
		p := ec2.NewDescribeInstanceTypesPaginator(c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range out.InstanceTypes {
				all = append(all, string(it.InstanceType))
			}
		}
		return all
	}
	filterTests := []struct {
		name    string
		filters []types.Filter
		want    []string
	}{
		{"wildcard", []types.Filter{filter("instance-type", "t3.*l*")}, []string{"t3.small", "t3.large", "t3.xlarge", "t3.2xlarge"}},
		{"arm and burstable", []types.Filter{filter("processor-info.supported-architecture", "arm64"), filter("burstable-performance-supported", "true")},
			[]string{"t4g.nano", "t4g.micro", "t4g.small", "t4g.medium", "t4g.large", "t4g.xlarge", "t4g.2xlarge"}},
		{"vcpus and memory", []types.Filter{filter("vcpu-info.default-vcpus", "2"), filter("memory-info.size-in-mib", "4096")},
			[]string{"t2.medium", "t3.medium", "t3a.medium", "t4g.medium", "c5.large", "c6i.large"}},
		{"previous generation", []types.Filter{filter("current-generation", "false")}, []string{"t1.micro", "m1.small", "m1.medium", "m1.large", "m1.xlarge"}},
	}
	for _, tt := range filterTests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, names(&ec2.DescribeInstanceTypesInput{Filters: tt.filters, MaxResults: aws.Int32(5)})); diff != "" {
				t.Errorf("types (-want +got):\n%s", diff)
			}
		})
	}
	all := names(&ec2.DescribeInstanceTypesInput{})
	for _, f := range []string{"t2", "t3", "t3a", "t4g", "m5", "m6i", "m7g", "c5", "c6i", "r5"} {
		if !slices.ContainsFunc(all, func(n string) bool { return strings.HasPrefix(n, f+".") }) {
			t.Errorf("family %s missing from the catalogue", f)
		}
	}
	if paged := names(&ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(7)}); !slices.Equal(paged, all) {
		t.Errorf("paging by 7 gives %d types, unpaged %d", len(paged), len(all))
	}

	offerings := func(lt types.LocationType, fs ...types.Filter) []string {
		t.Helper()
		out, err := c.DescribeInstanceTypeOfferings(ctx, &ec2.DescribeInstanceTypeOfferingsInput{LocationType: lt, Filters: fs})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range out.InstanceTypeOfferings {
			got = append(got, string(o.LocationType)+" "+aws.ToString(o.Location)+" "+string(o.InstanceType))
		}
		return got
	}
	var zoneIDs []string
	azs, err := c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range azs.AvailabilityZones {
		zoneIDs = append(zoneIDs, aws.ToString(z.ZoneId))
	}
	offTests := []struct {
		name string
		got  []string
		want []string
	}{
		{"region", offerings("", filter("instance-type", "t3.micro")), []string{"region us-east-1 t3.micro"}},
		{"zones", offerings(types.LocationTypeAvailabilityZone, filter("instance-type", "m5.large"), filter("location", "us-east-1[ab]", "us-east-1a", "us-east-1b")),
			[]string{"availability-zone us-east-1a m5.large", "availability-zone us-east-1b m5.large"}},
		{"zone IDs", offerings(types.LocationTypeAvailabilityZoneId, filter("instance-type", "c6i.metal")),
			[]string{"availability-zone-id " + zoneIDs[0] + " c6i.metal", "availability-zone-id " + zoneIDs[1] + " c6i.metal",
				"availability-zone-id " + zoneIDs[2] + " c6i.metal", "availability-zone-id " + zoneIDs[3] + " c6i.metal",
				"availability-zone-id " + zoneIDs[4] + " c6i.metal", "availability-zone-id " + zoneIDs[5] + " c6i.metal"}},
	}
	for _, tt := range offTests {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("offerings %s (-want +got):\n%s", tt.name, diff)
		}
	}

	// RunInstances without a type gets m1.small; unknown types are refused.
	inst := run(t, c, &ec2.RunInstancesInput{})
	if got := inst.Instances[0].InstanceType; got != "m1.small" {
		t.Errorf("default instance type %s, want m1.small", got)
	}
	errTests := []struct {
		name string
		call func() error
		code string
	}{
		{"unknown type described", func() error {
			_, err := c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []types.InstanceType{"t3.micro", "t9.huge"}})
			return err
		}, "InvalidInstanceType"},
		{"MaxResults above 100", func() error {
			_, err := c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(101)})
			return err
		}, "InvalidParameterValue"},
		{"unknown filter", func() error {
			_, err := c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{Filters: []types.Filter{filter("colour", "red")}})
			return err
		}, "InvalidParameterValue"},
		{"unknown location type", func() error {
			_, err := c.DescribeInstanceTypeOfferings(ctx, &ec2.DescribeInstanceTypeOfferingsInput{LocationType: "planet"})
			return err
		}, "InvalidParameterValue"},
		{"unknown type launched", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: "m5.mega"})
			return err
		}, "InvalidParameterValue"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code, 400) })
	}
}

// TestSecurityGroupRuleQuota: 60 inbound and 60 outbound rules per group,
// IPv4 and IPv6 counted apart, a rule naming a group counted in both;
// the request that would go over adds nothing.
func TestSecurityGroupRuleQuota(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	g := must(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("many"), Description: aws.String("d")}))
	cidrs := func(from, n int) []types.IpRange {
		var out []types.IpRange
		for i := from; i < from+n; i++ {
			out = append(out, types.IpRange{CidrIp: aws.String(fmt.Sprintf("10.0.%d.0/24", i))})
		}
		return out
	}
	perm := func(r []types.IpRange, v6 []types.Ipv6Range, groups []types.UserIdGroupPair) []types.IpPermission {
		return []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: r, Ipv6Ranges: v6, UserIdGroupPairs: groups}}
	}
	ingress := func(p []types.IpPermission) error {
		return second(c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: p}))
	}
	count := func() int {
		out := must(c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{*g.GroupId}}}}))
		return len(out.SecurityGroupRules)
	}
	if err := ingress(perm(cidrs(0, 59), nil, nil)); err != nil {
		t.Fatal(err)
	}
	base := count()
	// Two more would make 61: refused whole.
	wantAPIError(t, ingress(perm(cidrs(100, 2), nil, nil)), "RulesPerSecurityGroupLimitExceeded", http.StatusBadRequest)
	if n := count(); n != base {
		t.Errorf("a refused authorize left %d rules, want %d", n, base)
	}
	if err := ingress(perm(cidrs(100, 1), nil, nil)); err != nil {
		t.Fatalf("the 60th IPv4 rule: %v", err)
	}
	// IPv6 rules have a quota of their own.
	if err := ingress(perm(nil, []types.Ipv6Range{{CidrIpv6: aws.String("2001:db8::/32")}}, nil)); err != nil {
		t.Fatalf("an IPv6 rule beside 60 IPv4 ones: %v", err)
	}
	// A rule naming a group counts as IPv4 too.
	wantAPIError(t, ingress(perm(nil, nil, []types.UserIdGroupPair{{GroupId: g.GroupId}})), "RulesPerSecurityGroupLimitExceeded", http.StatusBadRequest)
	// Outbound rules are counted apart.
	egress := []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: cidrs(0, 50)}}
	if err := second(c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: g.GroupId, IpPermissions: egress})); err != nil {
		t.Fatalf("outbound rules beside 60 inbound ones: %v", err)
	}
}
