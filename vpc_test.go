package ec2emu_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/internal/testutil"
)

// vpcEnv is a VPC made through the SDK with what a Terraform module
// usually puts in it: a subnet, an attached internet gateway, a route
// table with a default route, associated with the subnet, and a group.
type vpcEnv struct {
	c                          *ec2.Client
	vpc, subnet, igw, rt, sg   string
	assoc, mainRT, mainAssoc   string
	defaultVPC, defaultSubnet  string
	otherVPC, otherVPCSubnet   string
	freeIGW, defaultVPCMainRTB string
	inst                       string // set by tests that launch into subnet
}

// must returns out, or panics on err: the calls it wraps are the setup of
// a test, whose failure the panic's message and stack show.
func must[T any](out T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return out
}

func tagSpec(kind types.ResourceType, k, v string) []types.TagSpecification {
	return []types.TagSpecification{{ResourceType: kind, Tags: []types.Tag{{Key: aws.String(k), Value: aws.String(v)}}}}
}

func newVPCEnv(t *testing.T, c *ec2.Client) *vpcEnv {
	t.Helper()
	ctx := ctxT(t)
	e := &vpcEnv{c: c}
	v := must(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"),
		TagSpecifications: tagSpec(types.ResourceTypeVpc, "Name", "main")}))
	e.vpc = aws.ToString(v.Vpc.VpcId)
	sn := must(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24"),
		AvailabilityZone: aws.String("us-east-1b"), TagSpecifications: tagSpec(types.ResourceTypeSubnet, "Name", "web")}))
	e.subnet = aws.ToString(sn.Subnet.SubnetId)
	g := must(c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{TagSpecifications: tagSpec(types.ResourceTypeInternetGateway, "Name", "gw")}))
	e.igw = aws.ToString(g.InternetGateway.InternetGatewayId)
	must(c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: &e.igw, VpcId: &e.vpc}))
	rt := must(c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: &e.vpc, TagSpecifications: tagSpec(types.ResourceTypeRouteTable, "Name", "public")}))
	e.rt = aws.ToString(rt.RouteTable.RouteTableId)
	must(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.rt, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: &e.igw}))
	a := must(c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: &e.rt, SubnetId: &e.subnet}))
	e.assoc = aws.ToString(a.AssociationId)
	sg := must(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web"), VpcId: &e.vpc}))
	e.sg = aws.ToString(sg.GroupId)
	main := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{filter("vpc-id", e.vpc), filter("association.main", "true")}}))
	e.mainRT = aws.ToString(main.RouteTables[0].RouteTableId)
	e.mainAssoc = aws.ToString(main.RouteTables[0].Associations[0].RouteTableAssociationId)
	dv := defaultVPC(t, c)
	e.defaultVPC = aws.ToString(dv.VpcId)
	e.defaultSubnet = aws.ToString(subnetsByAZ(t, c)["us-east-1a"].SubnetId)
	o := must(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")}))
	e.otherVPC = aws.ToString(o.Vpc.VpcId)
	os := must(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &e.otherVPC, CidrBlock: aws.String("10.1.0.0/28")}))
	e.otherVPCSubnet = aws.ToString(os.Subnet.SubnetId)
	fg := must(c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{}))
	e.freeIGW = aws.ToString(fg.InternetGateway.InternetGatewayId)
	dm := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{filter("vpc-id", e.defaultVPC), filter("association.main", "true")}}))
	e.defaultVPCMainRTB = aws.ToString(dm.RouteTables[0].RouteTableId)
	return e
}

// TestVPCLifecycle builds a VPC the way a user does and reads back what
// AWS would show at each step.
func TestVPCLifecycle(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	e := newVPCEnv(t, c)

	// What a new VPC comes with.
	vs := must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{e.vpc}}))
	v := vs.Vpcs[0]
	got := fmt.Sprintf("%s %s %t %s %s %s", aws.ToString(v.CidrBlock), v.State, aws.ToBool(v.IsDefault), v.InstanceTenancy,
		testutil.TagMap(v.Tags)["Name"], v.CidrBlockAssociationSet[0].CidrBlockState.State)
	if diff := cmp.Diff("10.0.0.0/16 available false default main associated", got); diff != "" {
		t.Errorf("new VPC (-want +got):\n%s", diff)
	}
	var attrs []bool
	for _, a := range []types.VpcAttributeName{types.VpcAttributeNameEnableDnsSupport, types.VpcAttributeNameEnableDnsHostnames, types.VpcAttributeNameEnableNetworkAddressUsageMetrics} {
		out := must(c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: &e.vpc, Attribute: a}))
		for _, b := range []*types.AttributeBooleanValue{out.EnableDnsSupport, out.EnableDnsHostnames, out.EnableNetworkAddressUsageMetrics} {
			if b != nil {
				attrs = append(attrs, aws.ToBool(b.Value))
			}
		}
	}
	if diff := cmp.Diff([]bool{true, false, false}, attrs); diff != "" {
		t.Errorf("new VPC's attributes dnsSupport, dnsHostnames, NAU metrics (-want +got):\n%s", diff)
	}
	must(c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: &e.vpc, EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}}))
	out := must(c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: &e.vpc, Attribute: types.VpcAttributeNameEnableDnsHostnames}))
	if !aws.ToBool(out.EnableDnsHostnames.Value) || out.EnableDnsSupport != nil {
		t.Errorf("after ModifyVpcAttribute: %+v", out)
	}
	acls := must(c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{filter("default", "true"), filter("vpc-id", e.vpc)}}))
	if len(acls.NetworkAcls) != 1 {
		t.Fatalf("%d default ACLs in the new VPC, want 1", len(acls.NetworkAcls))
	}
	acl := acls.NetworkAcls[0]
	var entries []string
	for _, en := range acl.Entries {
		entries = append(entries, fmt.Sprintf("%d %t %s %s", aws.ToInt32(en.RuleNumber), aws.ToBool(en.Egress), en.RuleAction, aws.ToString(en.CidrBlock)))
	}
	want := []string{"100 true allow 0.0.0.0/0", "32767 true deny 0.0.0.0/0", "100 false allow 0.0.0.0/0", "32767 false deny 0.0.0.0/0"}
	if diff := cmp.Diff(want, entries); diff != "" {
		t.Errorf("default ACL entries (-want +got):\n%s", diff)
	}
	if len(acl.Associations) != 1 || aws.ToString(acl.Associations[0].SubnetId) != e.subnet {
		t.Errorf("default ACL associations %+v, want the subnet %s", acl.Associations, e.subnet)
	}
	groups := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("group-name", "default"), filter("vpc-id", e.vpc)}}))
	if len(groups.SecurityGroups) != 1 || len(groups.SecurityGroups[0].IpPermissions) != 1 {
		t.Errorf("the new VPC's default group: %+v", groups.SecurityGroups)
	}

	// Route tables: the main one with its local route, the public one
	// with its route and association.
	rts := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{filter("vpc-id", e.vpc)}}))
	var tables []string
	for _, rt := range rts.RouteTables {
		s := aws.ToString(rt.RouteTableId) + ":"
		for _, r := range rt.Routes {
			s += fmt.Sprintf(" %s>%s(%s,%s)", aws.ToString(r.DestinationCidrBlock), aws.ToString(r.GatewayId), r.State, r.Origin)
		}
		for _, a := range rt.Associations {
			s += fmt.Sprintf(" [main=%t %s]", aws.ToBool(a.Main), aws.ToString(a.SubnetId))
		}
		tables = append(tables, s)
	}
	want = []string{
		e.mainRT + ": 10.0.0.0/16>local(active,CreateRouteTable) [main=true ]",
		e.rt + ": 10.0.0.0/16>local(active,CreateRouteTable) 0.0.0.0/0>" + e.igw + "(active,CreateRoute) [main=false " + e.subnet + "]",
	}
	if diff := cmp.Diff(want, tables); diff != "" {
		t.Errorf("route tables (-want +got):\n%s", diff)
	}

	// Instances take addresses of their subnet, by SubnetId or by
	// NetworkInterface.1; groups must be of the subnet's VPC.
	count := func() int32 {
		out := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{e.subnet}}))
		return aws.ToInt32(out.Subnets[0].AvailableIpAddressCount)
	}
	if n := count(); n != 251 {
		t.Errorf("a new /24 has %d free addresses, want 251", n)
	}
	r1 := run(t, c, &ec2.RunInstancesInput{SubnetId: &e.subnet, SecurityGroupIds: []string{e.sg}})
	r2 := run(t, c, &ec2.RunInstancesInput{NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{{DeviceIndex: aws.Int32(0), SubnetId: &e.subnet}}})
	i1, i2 := aws.ToString(r1.Instances[0].InstanceId), aws.ToString(r2.Instances[0].InstanceId)
	if n := count(); n != 249 {
		t.Errorf("after two launches: %d free addresses, want 249", n)
	}
	testutil.WaitStates(t, c, time.Minute, "running", i1, i2)
	ins := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{filter("vpc-id", e.vpc)}}))
	var placed []string
	for _, r := range ins.Reservations {
		for _, i := range r.Instances {
			placed = append(placed, fmt.Sprintf("%s %s %s", aws.ToString(i.SubnetId), aws.ToString(i.Placement.AvailabilityZone), aws.ToString(i.SecurityGroups[0].GroupName)))
		}
	}
	if diff := cmp.Diff([]string{e.subnet + " us-east-1b web", e.subnet + " us-east-1b default"}, placed); diff != "" {
		t.Errorf("instances in the VPC (-want +got):\n%s", diff)
	}
	// A route to an instance of the VPC.
	must(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.rt, DestinationCidrBlock: aws.String("192.168.0.0/16"), InstanceId: &i1}))

	// Deleting in the wrong order changes nothing.
	before := describeAll(t, c)
	for name, err := range map[string]error{
		"DeleteVpc":             second(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: &e.vpc})),
		"DeleteSubnet":          second(c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: &e.subnet})),
		"DeleteInternetGateway": second(c.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: &e.igw})),
		"DeleteRouteTable":      second(c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: &e.rt})),
		"DeleteRouteTable/main": second(c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: &e.mainRT})),
		"DeleteSecurityGroup":   second(c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: &e.sg})),
	} {
		t.Run(name, func(t *testing.T) { wantAPIError(t, err, "DependencyViolation", http.StatusBadRequest) })
	}
	if diff := cmp.Diff(before, describeAll(t, c)); diff != "" {
		t.Errorf("refused deletes changed state (-before +after):\n%s", diff)
	}

	// Then in the right order, as terraform destroy does.
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{i1, i2}}))
	testutil.WaitStates(t, c, time.Minute, "terminated", i1, i2)
	rts = must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{e.rt}}))
	if s := rts.RouteTables[0].Routes[2].State; s != types.RouteStateBlackhole {
		t.Errorf("route to a terminated instance is %s, want blackhole", s)
	}
	if n := count(); n != 251 {
		t.Errorf("after terminating both: %d free addresses, want 251", n)
	}
	must(c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: &e.assoc}))
	must(c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: &e.rt}))
	must(c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: &e.igw, VpcId: &e.vpc}))
	must(c.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: &e.igw}))
	must(c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: &e.sg}))
	must(c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: &e.subnet}))
	must(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: &e.vpc}))
	_, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{e.vpc}})
	wantAPIError(t, err, "InvalidVpcID.NotFound", http.StatusBadRequest)
	// Its main table, ACL and default group went with it.
	left := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{filter("vpc-id", e.vpc)}}))
	lacl := must(c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{filter("vpc-id", e.vpc)}}))
	lsg := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("vpc-id", e.vpc)}}))
	if n := len(left.RouteTables) + len(lacl.NetworkAcls) + len(lsg.SecurityGroups); n != 0 {
		t.Errorf("%d route tables, ACLs and groups of the deleted VPC remain", n)
	}
}

func second[T any](_ T, err error) error { return err }

// TestVPCErrors: every error code of the VPC actions, through the SDK.
func TestVPCErrors(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	e := newVPCEnv(t, c)
	// An instance in the other VPC's /28 (11 addresses).
	r := run(t, c, &ec2.RunInstancesInput{SubnetId: &e.otherVPCSubnet})
	inst := aws.ToString(r.Instances[0].InstanceId)
	// And one in the default VPC, which gets a public address.
	pub := aws.ToString(run(t, c, &ec2.RunInstancesInput{}).Instances[0].InstanceId)
	testutil.WaitStates(t, c, time.Minute, "running", inst, pub)
	unknownVPC, unknownSubnet := "vpc-0123456789abcdef0", "subnet-0123456789abcdef0"
	yes := &types.AttributeBooleanValue{Value: aws.Bool(true)}
	for _, tt := range []struct {
		name string
		call func() error
		code string
	}{
		{"CreateVpc /8", func() error {
			return second(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/8")}))
		}, "InvalidVpc.Range"},
		{"CreateVpc /29", func() error {
			return second(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/29")}))
		}, "InvalidVpc.Range"},
		{"CreateVpc bad CIDR", func() error {
			return second(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.300/16")}))
		}, "InvalidParameterValue"},
		{"CreateVpc no CIDR", func() error { return second(c.CreateVpc(ctx, &ec2.CreateVpcInput{})) }, "MissingParameter"},
		{"CreateVpc IPv6", func() error {
			return second(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.2.0.0/16"), AmazonProvidedIpv6CidrBlock: aws.Bool(true)}))
		}, "UnsupportedOperation"},
		{"CreateVpc host tenancy", func() error {
			return second(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.2.0.0/16"), InstanceTenancy: types.TenancyHost}))
		}, "UnsupportedTenancy"},
		{"CreateVpc bad tag type", func() error {
			return second(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.2.0.0/16"), TagSpecifications: tagSpec(types.ResourceTypeSubnet, "a", "b")}))
		}, "InvalidParameterValue"},
		{"CreateVpc dry run", func() error {
			return second(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.2.0.0/16"), DryRun: aws.Bool(true)}))
		}, "DryRunOperation"},
		{"CreateDefaultVpc", func() error { return second(c.CreateDefaultVpc(ctx, &ec2.CreateDefaultVpcInput{})) }, "DefaultVpcAlreadyExists"},
		{"DeleteVpc malformed", func() error { return second(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String("v-1")})) }, "InvalidVpcID.Malformed"},
		{"DeleteVpc unknown", func() error { return second(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: &unknownVPC})) }, "InvalidVpcID.NotFound"},
		{"DeleteVpc in use", func() error { return second(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: &e.vpc})) }, "DependencyViolation"},
		{"DeleteVpc dry run", func() error {
			return second(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: &e.vpc, DryRun: aws.Bool(true)}))
		}, "DependencyViolation"},
		{"DescribeVpcAttribute unknown", func() error {
			return second(c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: &unknownVPC, Attribute: types.VpcAttributeNameEnableDnsSupport}))
		}, "InvalidVpcID.NotFound"},
		{"DescribeVpcAttribute bad name", func() error {
			return second(c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: &e.vpc, Attribute: "enableDns"}))
		}, "InvalidParameterValue"},
		{"ModifyVpcAttribute two", func() error {
			return second(c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: &e.vpc, EnableDnsHostnames: yes, EnableDnsSupport: yes}))
		}, "InvalidParameterCombination"},
		{"ModifyVpcAttribute none", func() error { return second(c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: &e.vpc})) }, "MissingParameter"},
		{"ModifyVpcAttribute unknown", func() error {
			return second(c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: &unknownVPC, EnableDnsSupport: yes}))
		}, "InvalidVpcID.NotFound"},
		{"CreateSubnet outside", func() error {
			return second(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &e.vpc, CidrBlock: aws.String("10.9.0.0/24")}))
		}, "InvalidSubnet.Range"},
		{"CreateSubnet /29", func() error {
			return second(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &e.vpc, CidrBlock: aws.String("10.0.9.0/29")}))
		}, "InvalidSubnet.Range"},
		{"CreateSubnet larger than the VPC", func() error {
			return second(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &e.otherVPC, CidrBlock: aws.String("10.0.0.0/15")}))
		}, "InvalidSubnet.Range"},
		{"CreateSubnet overlap", func() error {
			return second(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &e.vpc, CidrBlock: aws.String("10.0.1.128/25")}))
		}, "InvalidSubnet.Conflict"},
		{"CreateSubnet zone", func() error {
			return second(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &e.vpc, CidrBlock: aws.String("10.0.9.0/24"), AvailabilityZone: aws.String("eu-west-1a")}))
		}, "InvalidParameterValue"},
		{"CreateSubnet unknown VPC", func() error {
			return second(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &unknownVPC, CidrBlock: aws.String("10.0.9.0/24")}))
		}, "InvalidVpcID.NotFound"},
		{"CreateSubnet dry run", func() error {
			return second(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &e.vpc, CidrBlock: aws.String("10.0.9.0/24"), DryRun: aws.Bool(true)}))
		}, "DryRunOperation"},
		{"DeleteSubnet in use", func() error { return second(c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: &e.otherVPCSubnet})) }, "DependencyViolation"},
		{"DeleteSubnet unknown", func() error { return second(c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: &unknownSubnet})) }, "InvalidSubnetID.NotFound"},
		{"DeleteSubnet malformed", func() error { return second(c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String("s-1")})) }, "InvalidSubnetID.Malformed"},
		{"ModifySubnetAttribute two", func() error {
			return second(c.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: &e.subnet, MapPublicIpOnLaunch: yes, EnableDns64: yes}))
		}, "InvalidParameterCombination"},
		{"ModifySubnetAttribute IPv6", func() error {
			return second(c.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: &e.subnet, AssignIpv6AddressOnCreation: yes}))
		}, "InvalidParameterValue"},
		{"AttachInternetGateway attached", func() error {
			return second(c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: &e.igw, VpcId: &e.otherVPC}))
		}, "Resource.AlreadyAssociated"},
		{"AttachInternetGateway VPC has one", func() error {
			return second(c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: &e.freeIGW, VpcId: &e.vpc}))
		}, "Resource.AlreadyAssociated"},
		{"AttachInternetGateway unknown", func() error {
			return second(c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String("igw-0123456789abcdef0"), VpcId: &e.vpc}))
		}, "InvalidInternetGatewayID.NotFound"},
		{"AttachInternetGateway malformed", func() error {
			return second(c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String("gw-1"), VpcId: &e.vpc}))
		}, "InvalidInternetGatewayId.Malformed"},
		{"DetachInternetGateway not attached", func() error {
			return second(c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: &e.freeIGW, VpcId: &e.vpc}))
		}, "Gateway.NotAttached"},
		{"DetachInternetGateway mapped addresses", func() error {
			return second(c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(defaultIGW(t, c, e.defaultVPC)), VpcId: &e.defaultVPC}))
		}, ""},
		{"DeleteInternetGateway attached", func() error {
			return second(c.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: &e.igw}))
		}, "DependencyViolation"},
		{"DescribeInternetGateways unknown", func() error {
			return second(c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{InternetGatewayIds: []string{"igw-0123456789abcdef0"}}))
		}, "InvalidInternetGatewayID.NotFound"},
		{"CreateRouteTable unknown VPC", func() error { return second(c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: &unknownVPC})) }, "InvalidVpcID.NotFound"},
		{"DeleteRouteTable main", func() error {
			return second(c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: &e.mainRT}))
		}, "DependencyViolation"},
		{"DeleteRouteTable unknown", func() error {
			return second(c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String("rtb-0123456789abcdef0")}))
		}, "InvalidRouteTableID.NotFound"},
		{"DeleteRouteTable malformed", func() error {
			return second(c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String("table-1")}))
		}, "InvalidRouteTableId.Malformed"},
		{"CreateRoute exists", func() error {
			return second(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.rt, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: &e.igw}))
		}, "RouteAlreadyExists"},
		{"CreateRoute local", func() error {
			return second(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.rt, DestinationCidrBlock: aws.String("10.0.0.0/16"), GatewayId: &e.igw}))
		}, "RouteAlreadyExists"},
		{"CreateRoute gateway elsewhere", func() error {
			return second(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.mainRT, DestinationCidrBlock: aws.String("1.0.0.0/8"), GatewayId: &e.freeIGW}))
		}, "InvalidParameterValue"},
		{"CreateRoute unknown gateway", func() error {
			return second(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.rt, DestinationCidrBlock: aws.String("1.0.0.0/8"), GatewayId: aws.String("vgw-0123456789abcdef0")}))
		}, "InvalidGatewayID.NotFound"},
		{"CreateRoute NAT gateway", func() error {
			return second(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.rt, DestinationCidrBlock: aws.String("1.0.0.0/8"), NatGatewayId: aws.String("nat-0123456789abcdef0")}))
		}, "InvalidNatGatewayID.NotFound"},
		{"CreateRoute instance elsewhere", func() error {
			return second(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.rt, DestinationCidrBlock: aws.String("1.0.0.0/8"), InstanceId: &inst}))
		}, "InvalidParameterValue"},
		{"CreateRoute two targets", func() error {
			return second(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.rt, DestinationCidrBlock: aws.String("1.0.0.0/8"), GatewayId: &e.igw, InstanceId: &inst}))
		}, "InvalidParameterCombination"},
		{"CreateRoute no target", func() error {
			return second(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.rt, DestinationCidrBlock: aws.String("1.0.0.0/8")}))
		}, "MissingParameter"},
		{"CreateRoute bad destination", func() error {
			return second(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.rt, DestinationCidrBlock: aws.String("nowhere"), GatewayId: &e.igw}))
		}, "InvalidParameterValue"},
		{"CreateRoute dry run", func() error {
			return second(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.rt, DestinationCidrBlock: aws.String("1.0.0.0/8"), GatewayId: &e.igw, DryRun: aws.Bool(true)}))
		}, "DryRunOperation"},
		{"DeleteRoute missing", func() error {
			return second(c.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: &e.rt, DestinationCidrBlock: aws.String("1.0.0.0/8")}))
		}, "InvalidRoute.NotFound"},
		{"DeleteRoute local", func() error {
			return second(c.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: &e.rt, DestinationCidrBlock: aws.String("10.0.0.0/16")}))
		}, "InvalidParameterValue"},
		{"ReplaceRoute missing", func() error {
			return second(c.ReplaceRoute(ctx, &ec2.ReplaceRouteInput{RouteTableId: &e.rt, DestinationCidrBlock: aws.String("1.0.0.0/8"), GatewayId: &e.igw}))
		}, "InvalidParameterValue"},
		{"AssociateRouteTable subnet taken", func() error {
			return second(c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: &e.mainRT, SubnetId: &e.subnet}))
		}, "Resource.AlreadyAssociated"},
		{"AssociateRouteTable other VPC's subnet", func() error {
			return second(c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: &e.rt, SubnetId: &e.otherVPCSubnet}))
		}, "InvalidParameterValue"},
		{"AssociateRouteTable unknown subnet", func() error {
			return second(c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: &e.rt, SubnetId: &unknownSubnet}))
		}, "InvalidSubnetID.NotFound"},
		{"DisassociateRouteTable main", func() error {
			return second(c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: &e.mainAssoc}))
		}, "InvalidParameterValue"},
		{"DisassociateRouteTable unknown", func() error {
			return second(c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: aws.String("rtbassoc-0123456789abcdef0")}))
		}, "InvalidAssociationID.NotFound"},
		{"ReplaceRouteTableAssociation other VPC", func() error {
			return second(c.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{AssociationId: &e.assoc, RouteTableId: &e.defaultVPCMainRTB}))
		}, "InvalidParameterValue"},
		{"DescribeNetworkAcls unknown", func() error {
			return second(c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{"acl-0123456789abcdef0"}}))
		}, "InvalidNetworkAclID.NotFound"},
		{"DescribeAccountAttributes unknown", func() error {
			return second(c.DescribeAccountAttributes(ctx, &ec2.DescribeAccountAttributesInput{AttributeNames: []types.AccountAttributeName{"max-cats"}}))
		}, "InvalidParameterValue"},
		{"RunInstances group of another VPC", func() error {
			return second(c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
				SubnetId: &e.otherVPCSubnet, SecurityGroupIds: []string{e.sg}}))
		}, "InvalidParameter"},
		{"RunInstances subnet full", func() error {
			return second(c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(11), MaxCount: aws.Int32(11),
				SubnetId: &e.otherVPCSubnet}))
		}, "InsufficientFreeAddressesInSubnet"},
		{"CreateSecurityGroup unknown VPC", func() error {
			return second(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("x"), VpcId: &unknownVPC}))
		}, "InvalidVpcID.NotFound"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := describeAll(t, c)
			err := tt.call()
			if tt.code == "" {
				// Instances in the default VPC hold public addresses.
				wantAPIError(t, err, "DependencyViolation", http.StatusBadRequest)
			} else if tt.code == "DryRunOperation" {
				wantAPIError(t, err, tt.code, http.StatusPreconditionFailed)
			} else {
				wantAPIError(t, err, tt.code, http.StatusBadRequest)
			}
			if diff := cmp.Diff(before, describeAll(t, c)); diff != "" {
				t.Errorf("a refused request changed state (-before +after):\n%s", diff)
			}
		})
	}
}

func defaultIGW(t *testing.T, c *ec2.Client, vpc string) string {
	t.Helper()
	out := must(c.DescribeInternetGateways(ctxT(t), &ec2.DescribeInternetGatewaysInput{Filters: []types.Filter{filter("attachment.vpc-id", vpc)}}))
	if len(out.InternetGateways) != 1 {
		t.Fatalf("%d gateways attached to %s", len(out.InternetGateways), vpc)
	}
	return aws.ToString(out.InternetGateways[0].InternetGatewayId)
}

// TestVPCFilters: the filters of the new Describes, and paging.
func TestVPCFilters(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	e := newVPCEnv(t, c)
	must(c.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: &e.subnet, MapPublicIpOnLaunch: &types.AttributeBooleanValue{Value: aws.Bool(true)}}))
	rtIDs := func(fs ...types.Filter) []string {
		out := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: fs}))
		var ids []string
		for _, rt := range out.RouteTables {
			ids = append(ids, aws.ToString(rt.RouteTableId))
		}
		return ids
	}
	igwIDs := func(fs ...types.Filter) []string {
		out := must(c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: fs}))
		var ids []string
		for _, g := range out.InternetGateways {
			ids = append(ids, aws.ToString(g.InternetGatewayId))
		}
		return ids
	}
	subnetIDs := func(fs ...types.Filter) []string {
		out := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: fs}))
		var ids []string
		for _, s := range out.Subnets {
			ids = append(ids, aws.ToString(s.SubnetId))
		}
		return ids
	}
	aclVPCs := func(fs ...types.Filter) []string {
		out := must(c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: fs}))
		var ids []string
		for _, a := range out.NetworkAcls {
			ids = append(ids, aws.ToString(a.VpcId))
		}
		return ids
	}
	for _, tt := range []struct {
		name      string
		got, want []string
	}{
		{"route tables association.main=true in vpc", rtIDs(filter("association.main", "true"), filter("vpc-id", e.vpc)), []string{e.mainRT}},
		{"route tables association.main=false", rtIDs(filter("association.main", "false")), []string{e.rt}},
		{"route tables by association id", rtIDs(filter("association.route-table-association-id", e.assoc)), []string{e.rt}},
		{"route tables by subnet", rtIDs(filter("association.subnet-id", e.subnet)), []string{e.rt}},
		{"route tables by gateway route", rtIDs(filter("route.gateway-id", e.igw)), []string{e.rt}},
		{"route tables by destination", rtIDs(filter("route.destination-cidr-block", "0.0.0.0/0"), filter("vpc-id", e.vpc)), []string{e.rt}},
		{"route tables by tag", rtIDs(filter("tag:Name", "pub*")), []string{e.rt}},
		{"route tables by route state", rtIDs(filter("route.state", "blackhole")), nil},
		{"route tables documented, no data", rtIDs(filter("route.nat-gateway-id", "*")), nil},
		{"gateways by attachment", igwIDs(filter("attachment.vpc-id", e.vpc)), []string{e.igw}},
		{"gateways attached", igwIDs(filter("attachment.state", "available"), filter("tag-key", "Name")), []string{e.igw}},
		{"gateways by id", igwIDs(filter("internet-gateway-id", e.freeIGW)), []string{e.freeIGW}},
		{"subnets map-public-ip-on-launch in vpc", subnetIDs(filter("map-public-ip-on-launch", "true"), filter("vpc-id", e.vpc)), []string{e.subnet}},
		{"subnets by hostname type", subnetIDs(filter("private-dns-name-options-on-launch.hostname-type", "ip-name"), filter("cidr-block", "10.*")), []string{e.subnet, e.otherVPCSubnet}},
		{"subnets by free addresses", subnetIDs(filter("available-ip-address-count", "11")), []string{e.otherVPCSubnet}},
		{"ACLs default in vpc", aclVPCs(filter("default", "true"), filter("vpc-id", e.vpc)), []string{e.vpc}},
		{"ACLs by subnet", aclVPCs(filter("association.subnet-id", e.subnet)), []string{e.vpc}},
		{"ACLs by rule", aclVPCs(filter("entry.rule-number", "32767"), filter("entry.rule-action", "deny"), filter("vpc-id", e.otherVPC)), []string{e.otherVPC}},
	} {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	// Paging: 3 VPCs → 3 main tables + 1 more, two by two... MaxResults is 5
	// at least, so make enough tables for two pages.
	for range 4 {
		must(c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: &e.otherVPC}))
	}
	var all []string
	p := ec2.NewDescribeRouteTablesPaginator(c, &ec2.DescribeRouteTablesInput{MaxResults: aws.Int32(5)})
	pages := 0
	for p.HasMorePages() {
		out := must(p.NextPage(ctx))
		pages++
		for _, rt := range out.RouteTables {
			all = append(all, aws.ToString(rt.RouteTableId))
		}
	}
	if pages != 2 || len(all) != 8 || len(slices.Compact(slices.Sorted(slices.Values(all)))) != 8 {
		t.Errorf("paging: %d pages, %d tables %v; want 2 pages of 8 distinct tables", pages, len(all), all)
	}
}

// deleteDefaultVPC deletes the default VPC with its subnets and gateway;
// it must hold no instances.
func deleteDefaultVPC(t *testing.T, c *ec2.Client) string {
	t.Helper()
	ctx := ctxT(t)
	dv := aws.ToString(defaultVPC(t, c).VpcId)
	sns, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{filter("vpc-id", dv)}})
	for _, sn := range must(sns, err).Subnets {
		must(c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: sn.SubnetId}))
	}
	gw := defaultIGW(t, c, dv)
	must(c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: &gw, VpcId: &dv}))
	must(c.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: &gw}))
	out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("vpc-id", dv)}})
	for _, g := range must(out, err).SecurityGroups {
		if aws.ToString(g.GroupName) != "default" {
			must(c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: g.GroupId}))
		}
	}
	must(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: &dv}))
	return dv
}

// TestDefaultVPCDeleteAndRecreate: the default VPC can be deleted as on
// AWS; launches and groups then need a VPC; CreateDefaultVpc makes a new
// one.
func TestDefaultVPCDeleteAndRecreate(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	dv := deleteDefaultVPC(t, c)
	attr := func() string {
		out := must(c.DescribeAccountAttributes(ctx, &ec2.DescribeAccountAttributesInput{AttributeNames: []types.AccountAttributeName{types.AccountAttributeNameDefaultVpc}}))
		return aws.ToString(out.AccountAttributes[0].AttributeValues[0].AttributeValue)
	}
	if a := attr(); a != "none" {
		t.Errorf("default-vpc after deleting it = %s, want none", a)
	}
	_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	wantAPIError(t, err, "VPCIdNotSpecified", http.StatusBadRequest)
	_, err = c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("x")})
	wantAPIError(t, err, "VPCIdNotSpecified", http.StatusBadRequest)

	out := must(c.CreateDefaultVpc(ctx, &ec2.CreateDefaultVpcInput{}))
	nv := aws.ToString(out.Vpc.VpcId)
	if nv == dv || !aws.ToBool(out.Vpc.IsDefault) || aws.ToString(out.Vpc.CidrBlock) != "172.31.0.0/16" {
		t.Errorf("CreateDefaultVpc made %s (%v, %s); want a new default 172.31.0.0/16", nv, aws.ToBool(out.Vpc.IsDefault), aws.ToString(out.Vpc.CidrBlock))
	}
	if a := attr(); a != nv {
		t.Errorf("default-vpc = %s, want %s", a, nv)
	}
	if n := len(subnetsByAZ(t, c)); n != 6 {
		t.Errorf("the new default VPC has %d subnets, want 6", n)
	}
	defaultIGW(t, c, nv)
	r := run(t, c, &ec2.RunInstancesInput{})
	if got := aws.ToString(r.Instances[0].VpcId); got != nv {
		t.Errorf("a launch without a subnet went to %s, want the new default VPC %s", got, nv)
	}
	all := must(c.DescribeAccountAttributes(ctx, &ec2.DescribeAccountAttributesInput{}))
	var names []string
	for _, a := range all.AccountAttributes {
		names = append(names, aws.ToString(a.AttributeName)+"="+aws.ToString(a.AttributeValues[0].AttributeValue))
	}
	want := []string{"supported-platforms=VPC", "vpc-max-security-groups-per-interface=5", "max-elastic-ips=5",
		"max-instances=20", "vpc-max-elastic-ips=5", "default-vpc=" + nv}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("DescribeAccountAttributes (-want +got):\n%s", diff)
	}
}
