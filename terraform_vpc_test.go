package ec2emu_test

// The Terraform replay of a VPC module: the calls terraform-provider-aws
// (internal/service/ec2, aws-sdk-go-v2 version) makes for
//
//	resource "aws_vpc" "main" {
//	  cidr_block           = "10.0.0.0/16"
//	  enable_dns_hostnames = true
//	  tags                 = { Name = "tf-main" }
//	}
//	resource "aws_subnet" "public" {
//	  vpc_id                  = aws_vpc.main.id
//	  cidr_block              = "10.0.1.0/24"
//	  availability_zone       = "us-east-1b"
//	  map_public_ip_on_launch = true
//	}
//	resource "aws_internet_gateway" "gw" { vpc_id = aws_vpc.main.id }
//	resource "aws_route_table" "public" {
//	  vpc_id = aws_vpc.main.id
//	  route { cidr_block = "0.0.0.0/0", gateway_id = aws_internet_gateway.gw.id }
//	}
//	resource "aws_route_table_association" "public" {
//	  subnet_id = aws_subnet.public.id, route_table_id = aws_route_table.public.id
//	}
//	resource "aws_security_group" "ssh" {
//	  name = "tf-ssh", vpc_id = aws_vpc.main.id
//	  ingress { from_port = 22, to_port = 22, protocol = "tcp", cidr_blocks = ["0.0.0.0/0"] }
//	}
//
// create, refresh and destroy, each answer checked, over the mock backend.
// The sequences, resource by resource (vpc_.go, vpc_subnet.go,
// vpc_internet_gateway.go, vpc_route_table.go,
// vpc_route_table_association.go, vpc_security_group.go and their
// find*/wait* helpers):
//
//	aws_vpc       CreateVpc; DescribeVpcs until available; ModifyVpcAttribute
//	              EnableDnsHostnames (the only attribute differing from a new
//	              VPC's) and DescribeVpcAttribute until it shows; Read:
//	              DescribeVpcs, DescribeVpcAttribute enableDnsHostnames,
//	              enableDnsSupport, enableNetworkAddressUsageMetrics,
//	              DescribeNetworkAcls default=true vpc-id, DescribeRouteTables
//	              association.main=true vpc-id, DescribeSecurityGroups
//	              group-name=default vpc-id. Delete: DeleteVpc retried on
//	              DependencyViolation, DescribeVpcs until NotFound.
//	aws_subnet    CreateSubnet; DescribeSubnets until available;
//	              ModifySubnetAttribute MapPublicIpOnLaunch, DescribeSubnets
//	              until it shows; Read: DescribeSubnets. Delete:
//	              DescribeNetworkInterfaces subnet-id (lingering ENIs),
//	              DeleteSubnet, DescribeSubnets until NotFound.
//	aws_internet_gateway  CreateInternetGateway; AttachInternetGateway;
//	              DescribeInternetGateways until attached (available); Read:
//	              DescribeInternetGateways. Delete: DetachInternetGateway,
//	              DescribeInternetGateways until detached,
//	              DeleteInternetGateway, DescribeInternetGateways until
//	              NotFound.
//	aws_route_table  CreateRouteTable; DescribeRouteTables twice (two
//	              consecutive successes); per route CreateRoute and
//	              DescribeRouteTables until the route is there; Read:
//	              DescribeRouteTables (local routes skipped). Delete:
//	              DeleteRouteTable, DescribeRouteTables until NotFound.
//	aws_route_table_association  AssociateRouteTable; DescribeRouteTables
//	              association.route-table-association-id until associated;
//	              Read: the same. Delete: DisassociateRouteTable, the same
//	              Describe until gone.
//	aws_security_group  CreateSecurityGroup; DescribeSecurityGroups GroupId
//	              (three consecutive successes); RevokeSecurityGroupEgress -1
//	              0.0.0.0/0 (must succeed); RevokeSecurityGroupEgress -1 ::/0
//	              (InvalidPermission.NotFound tolerated);
//	              AuthorizeSecurityGroupIngress; Read: DescribeSecurityGroups.
//	              Delete: DescribeNetworkInterfaces group-id, DeleteSecurityGroup,
//	              DescribeSecurityGroups until NotFound.

import (
	"context"
	"errors"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// tfNet replays the module and keeps what Terraform would keep in state,
// per resource.
type tfNet struct {
	t     *testing.T
	c     *ec2.Client
	state map[string]map[string]string
	// vpcCIDR and subnetCIDR replace the configuration's 10.0.0.0/16 and
	// 10.0.1.0/24 (tests over a shared engine need ranges of their own).
	vpcCIDR, subnetCIDR string
}

func (r *tfNet) cidrs() (vpc, subnet string) {
	if r.vpcCIDR != "" {
		return r.vpcCIDR, r.subnetCIDR
	}
	return "10.0.0.0/16", "10.0.1.0/24"
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// until polls get until it reports done, as the provider's StateChangeConf
// does (the mock answers at once, so one poll normally suffices).
func (r *tfNet) until(what string, get func() (bool, error)) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		done, err := get()
		if err != nil {
			r.t.Fatalf("%s: %v", what, err)
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: not done in 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *tfNet) vpcID() string    { return r.state["aws_vpc.main"]["id"] }
func (r *tfNet) subnetID() string { return r.state["aws_subnet.public"]["id"] }
func (r *tfNet) igwID() string    { return r.state["aws_internet_gateway.gw"]["id"] }
func (r *tfNet) rtID() string     { return r.state["aws_route_table.public"]["id"] }
func (r *tfNet) sgID() string     { return r.state["aws_security_group.ssh"]["id"] }

// ---- aws_vpc ----

func (r *tfNet) createVPC() {
	ctx := ctxT(r.t)
	vpcCIDR, _ := r.cidrs()
	out, err := r.c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(vpcCIDR), AmazonProvidedIpv6CidrBlock: aws.Bool(false),
		InstanceTenancy: types.TenancyDefault, TagSpecifications: tagSpec(types.ResourceTypeVpc, "Name", "tf-main")})
	if err != nil {
		r.t.Fatalf("CreateVpc: %v", err)
	}
	id := aws.ToString(out.Vpc.VpcId)
	r.state["aws_vpc.main"] = map[string]string{"id": id}
	r.until("waitVPCCreated", func() (bool, error) {
		v, err := r.c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
		return err == nil && len(v.Vpcs) == 1 && v.Vpcs[0].State == types.VpcStateAvailable, err
	})
	if _, err := r.c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: &id, EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}}); err != nil {
		r.t.Fatalf("ModifyVpcAttribute: %v", err)
	}
	r.until("waitVPCAttributeUpdated", func() (bool, error) {
		a, err := r.c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: &id, Attribute: types.VpcAttributeNameEnableDnsHostnames})
		return err == nil && aws.ToBool(a.EnableDnsHostnames.Value), err
	})
	r.readVPC()
}

func (r *tfNet) readVPC() {
	ctx, id := ctxT(r.t), r.vpcID()
	vs, err := r.c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
	if apiCode(err) == "InvalidVpcID.NotFound" {
		delete(r.state, "aws_vpc.main")
		return
	} else if err != nil {
		r.t.Fatalf("DescribeVpcs: %v", err)
	}
	v := vs.Vpcs[0]
	s := map[string]string{"id": id, "cidr_block": aws.ToString(v.CidrBlock), "instance_tenancy": string(v.InstanceTenancy),
		"dhcp_options_id": aws.ToString(v.DhcpOptionsId), "tags.Name": testutil.TagMap(v.Tags)["Name"], "owner_id": aws.ToString(v.OwnerId)}
	for _, a := range []types.VpcAttributeName{types.VpcAttributeNameEnableDnsHostnames, types.VpcAttributeNameEnableDnsSupport,
		types.VpcAttributeNameEnableNetworkAddressUsageMetrics} {
		out, err := r.c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: &id, Attribute: a})
		if err != nil {
			r.t.Fatalf("DescribeVpcAttribute %s: %v", a, err)
		}
		for _, b := range []*types.AttributeBooleanValue{out.EnableDnsHostnames, out.EnableDnsSupport, out.EnableNetworkAddressUsageMetrics} {
			if b != nil {
				s[string(a)] = strconv.FormatBool(aws.ToBool(b.Value))
			}
		}
	}
	acl, err := r.c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{filter("default", "true"), filter("vpc-id", id)}})
	if err != nil || len(acl.NetworkAcls) != 1 {
		r.t.Fatalf("default network ACL: %v %v", acl, err)
	}
	s["default_network_acl_id"] = aws.ToString(acl.NetworkAcls[0].NetworkAclId)
	rt, err := r.c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{filter("association.main", "true"), filter("vpc-id", id)}})
	if err != nil || len(rt.RouteTables) != 1 {
		r.t.Fatalf("main route table: %v %v", rt, err)
	}
	s["main_route_table_id"] = aws.ToString(rt.RouteTables[0].RouteTableId)
	sg, err := r.c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("group-name", "default"), filter("vpc-id", id)}})
	if err != nil || len(sg.SecurityGroups) != 1 {
		r.t.Fatalf("default security group: %v %v", sg, err)
	}
	s["default_security_group_id"] = aws.ToString(sg.SecurityGroups[0].GroupId)
	r.state["aws_vpc.main"] = s
}

// deleteVPC is resourceVPCDelete: DeleteVpc until it stops answering
// DependencyViolation (here: once, then after dependents are gone), then
// DescribeVpcs until NotFound.
func (r *tfNet) deleteVPC(beforeRetry func()) {
	ctx, id := ctxT(r.t), r.vpcID()
	_, err := r.c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: &id})
	if apiCode(err) != "DependencyViolation" {
		r.t.Fatalf("DeleteVpc with dependents: %v, want DependencyViolation (which the provider retries)", err)
	}
	beforeRetry()
	if _, err := r.c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: &id}); err != nil {
		r.t.Fatalf("DeleteVpc retried: %v", err)
	}
	r.until("RetryUntilNotFound", func() (bool, error) {
		_, err := r.c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
		if apiCode(err) == "InvalidVpcID.NotFound" {
			return true, nil
		}
		return false, err
	})
	delete(r.state, "aws_vpc.main")
}

// ---- aws_subnet ----

func (r *tfNet) createSubnet() {
	ctx, vpc := ctxT(r.t), r.vpcID()
	_, subnetCIDR := r.cidrs()
	out, err := r.c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &vpc, CidrBlock: aws.String(subnetCIDR), AvailabilityZone: aws.String("us-east-1b")})
	if err != nil {
		r.t.Fatalf("CreateSubnet: %v", err)
	}
	id := aws.ToString(out.Subnet.SubnetId)
	r.state["aws_subnet.public"] = map[string]string{"id": id}
	describe := func(ok func(types.Subnet) bool) func() (bool, error) {
		return func() (bool, error) {
			s, err := r.c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{id}})
			return err == nil && ok(s.Subnets[0]), err
		}
	}
	r.until("waitSubnetAvailable", describe(func(s types.Subnet) bool { return s.State == types.SubnetStateAvailable }))
	if _, err := r.c.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: &id, MapPublicIpOnLaunch: &types.AttributeBooleanValue{Value: aws.Bool(true)}}); err != nil {
		r.t.Fatalf("ModifySubnetAttribute: %v", err)
	}
	r.until("waitSubnetMapPublicIPOnLaunchUpdated", describe(func(s types.Subnet) bool { return aws.ToBool(s.MapPublicIpOnLaunch) }))
	r.readSubnet()
}

func (r *tfNet) readSubnet() {
	id := r.subnetID()
	out, err := r.c.DescribeSubnets(ctxT(r.t), &ec2.DescribeSubnetsInput{SubnetIds: []string{id}})
	if err != nil {
		r.t.Fatalf("DescribeSubnets: %v", err)
	}
	s := out.Subnets[0]
	r.state["aws_subnet.public"] = map[string]string{"id": id, "vpc_id": aws.ToString(s.VpcId), "cidr_block": aws.ToString(s.CidrBlock),
		"availability_zone": aws.ToString(s.AvailabilityZone), "availability_zone_id": aws.ToString(s.AvailabilityZoneId),
		"map_public_ip_on_launch": strconv.FormatBool(aws.ToBool(s.MapPublicIpOnLaunch)), "arn": aws.ToString(s.SubnetArn),
		"private_dns_hostname_type_on_launch": string(s.PrivateDnsNameOptionsOnLaunch.HostnameType)}
}

// lingeringENIs is the provider's look for interfaces left in a subnet or
// group before it deletes them: none must be left.
func (r *tfNet) lingeringENIs(name, value string) {
	out, err := r.c.DescribeNetworkInterfaces(ctxT(r.t), &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{filter(name, value)}})
	if err != nil {
		r.t.Fatalf("DescribeNetworkInterfaces: %v", err)
	}
	if len(out.NetworkInterfaces) != 0 {
		r.t.Errorf("interfaces with %s=%s left before the delete: %d", name, value, len(out.NetworkInterfaces))
	}
}

func (r *tfNet) deleteSubnet() {
	ctx, id := ctxT(r.t), r.subnetID()
	r.lingeringENIs("subnet-id", id)
	if _, err := r.c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: &id}); err != nil {
		r.t.Fatalf("DeleteSubnet: %v", err)
	}
	r.until("waitSubnetDeleted", func() (bool, error) {
		_, err := r.c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{id}})
		return apiCode(err) == "InvalidSubnetID.NotFound", nil
	})
	delete(r.state, "aws_subnet.public")
}

// ---- aws_internet_gateway ----

func (r *tfNet) igwAttachment(ctx context.Context, id string) (state, vpc string, err error) {
	out, err := r.c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{InternetGatewayIds: []string{id}})
	if err != nil {
		return "", "", err
	}
	if a := out.InternetGateways[0].Attachments; len(a) > 0 {
		return string(a[0].State), aws.ToString(a[0].VpcId), nil
	}
	return "", "", nil
}

func (r *tfNet) createIGW() {
	ctx, vpc := ctxT(r.t), r.vpcID()
	out, err := r.c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	if err != nil {
		r.t.Fatalf("CreateInternetGateway: %v", err)
	}
	id := aws.ToString(out.InternetGateway.InternetGatewayId)
	r.state["aws_internet_gateway.gw"] = map[string]string{"id": id}
	if _, err := r.c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: &id, VpcId: &vpc}); err != nil {
		r.t.Fatalf("AttachInternetGateway: %v", err)
	}
	r.until("waitInternetGatewayAttached", func() (bool, error) {
		st, _, err := r.igwAttachment(ctx, id)
		return st == "available", err
	})
	r.readIGW()
}

func (r *tfNet) readIGW() {
	id := r.igwID()
	out, err := r.c.DescribeInternetGateways(ctxT(r.t), &ec2.DescribeInternetGatewaysInput{InternetGatewayIds: []string{id}})
	if err != nil {
		r.t.Fatalf("DescribeInternetGateways: %v", err)
	}
	g := out.InternetGateways[0]
	s := map[string]string{"id": id, "owner_id": aws.ToString(g.OwnerId), "vpc_id": ""}
	if len(g.Attachments) == 1 {
		s["vpc_id"] = aws.ToString(g.Attachments[0].VpcId)
	}
	r.state["aws_internet_gateway.gw"] = s
}

func (r *tfNet) deleteIGW() {
	ctx, id, vpc := ctxT(r.t), r.igwID(), r.state["aws_internet_gateway.gw"]["vpc_id"]
	if _, err := r.c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: &id, VpcId: &vpc}); err != nil && apiCode(err) != "Gateway.NotAttached" {
		r.t.Fatalf("DetachInternetGateway: %v", err)
	}
	r.until("waitInternetGatewayDetached", func() (bool, error) {
		st, _, err := r.igwAttachment(ctx, id)
		return st == "", err
	})
	if _, err := r.c.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: &id}); err != nil {
		r.t.Fatalf("DeleteInternetGateway: %v", err)
	}
	r.until("RetryUntilNotFound", func() (bool, error) {
		_, _, err := r.igwAttachment(ctx, id)
		return apiCode(err) == "InvalidInternetGatewayID.NotFound", nil
	})
	delete(r.state, "aws_internet_gateway.gw")
}

// ---- aws_route_table, aws_route_table_association ----

func (r *tfNet) describeRT(ctx context.Context, fs ...types.Filter) ([]types.RouteTable, error) {
	in := &ec2.DescribeRouteTablesInput{Filters: fs}
	if len(fs) == 0 {
		in.RouteTableIds = []string{r.rtID()}
	}
	out, err := r.c.DescribeRouteTables(ctx, in)
	if err != nil {
		return nil, err
	}
	return out.RouteTables, nil
}

func (r *tfNet) createRouteTable() {
	ctx, vpc, igw := ctxT(r.t), r.vpcID(), r.igwID()
	out, err := r.c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: &vpc})
	if err != nil {
		r.t.Fatalf("CreateRouteTable: %v", err)
	}
	id := aws.ToString(out.RouteTable.RouteTableId)
	r.state["aws_route_table.public"] = map[string]string{"id": id}
	for range 2 { // ContinuousTargetOccurence: 2
		if _, err := r.describeRT(ctx); err != nil {
			r.t.Fatalf("waitRouteTableReady: %v", err)
		}
	}
	if _, err := r.c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &id, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: &igw}); err != nil {
		r.t.Fatalf("CreateRoute: %v", err)
	}
	r.until("waitRouteReady", func() (bool, error) {
		rts, err := r.describeRT(ctx)
		if err != nil {
			return false, err
		}
		for _, ro := range rts[0].Routes {
			if aws.ToString(ro.DestinationCidrBlock) == "0.0.0.0/0" && ro.State == types.RouteStateActive {
				return true, nil
			}
		}
		return false, nil
	})
	r.readRouteTable()
}

func (r *tfNet) readRouteTable() {
	rts, err := r.describeRT(ctxT(r.t))
	if err != nil {
		r.t.Fatalf("DescribeRouteTables: %v", err)
	}
	rt := rts[0]
	s := map[string]string{"id": aws.ToString(rt.RouteTableId), "vpc_id": aws.ToString(rt.VpcId), "owner_id": aws.ToString(rt.OwnerId)}
	n := 0
	for _, ro := range rt.Routes {
		if aws.ToString(ro.GatewayId) == "local" {
			continue // the provider skips local routes
		}
		s["route."+strconv.Itoa(n)] = aws.ToString(ro.DestinationCidrBlock) + " " + aws.ToString(ro.GatewayId)
		n++
	}
	r.state["aws_route_table.public"] = s
}

func (r *tfNet) deleteRouteTable() {
	ctx, id := ctxT(r.t), r.rtID()
	if _, err := r.c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: &id}); err != nil {
		r.t.Fatalf("DeleteRouteTable: %v", err)
	}
	r.until("waitRouteTableDeleted", func() (bool, error) {
		_, err := r.describeRT(ctx)
		return apiCode(err) == "InvalidRouteTableID.NotFound", nil
	})
	delete(r.state, "aws_route_table.public")
}

func (r *tfNet) createAssociation() {
	ctx, rt, sn := ctxT(r.t), r.rtID(), r.subnetID()
	out, err := r.c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: &rt, SubnetId: &sn})
	if err != nil {
		r.t.Fatalf("AssociateRouteTable: %v", err)
	}
	r.state["aws_route_table_association.public"] = map[string]string{"id": aws.ToString(out.AssociationId)}
	r.until("waitRouteTableAssociationCreated", func() (bool, error) {
		a, err := r.findAssociation(ctx)
		return a != nil && a.AssociationState.State == types.RouteTableAssociationStateCodeAssociated, err
	})
	r.readAssociation()
}

func (r *tfNet) findAssociation(ctx context.Context) (*types.RouteTableAssociation, error) {
	id := r.state["aws_route_table_association.public"]["id"]
	rts, err := r.describeRT(ctx, filter("association.route-table-association-id", id))
	if err != nil || len(rts) == 0 {
		return nil, err
	}
	for _, a := range rts[0].Associations {
		if aws.ToString(a.RouteTableAssociationId) == id {
			return &a, nil
		}
	}
	return nil, nil
}

func (r *tfNet) readAssociation() {
	a, err := r.findAssociation(ctxT(r.t))
	if err != nil || a == nil {
		r.t.Fatalf("association: %v %v", a, err)
	}
	r.state["aws_route_table_association.public"] = map[string]string{"id": aws.ToString(a.RouteTableAssociationId),
		"route_table_id": aws.ToString(a.RouteTableId), "subnet_id": aws.ToString(a.SubnetId)}
}

func (r *tfNet) deleteAssociation() {
	ctx, id := ctxT(r.t), r.state["aws_route_table_association.public"]["id"]
	if _, err := r.c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: &id}); err != nil {
		r.t.Fatalf("DisassociateRouteTable: %v", err)
	}
	r.until("waitRouteTableAssociationDeleted", func() (bool, error) {
		a, err := r.findAssociation(ctx)
		return a == nil, err
	})
	delete(r.state, "aws_route_table_association.public")
}

// ---- aws_security_group ----

func (r *tfNet) createSG() {
	ctx, vpc := ctxT(r.t), r.vpcID()
	out, err := r.c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("tf-ssh"),
		Description: aws.String("Managed by Terraform"), VpcId: &vpc})
	if err != nil {
		r.t.Fatalf("CreateSecurityGroup: %v", err)
	}
	id := aws.ToString(out.GroupId)
	r.state["aws_security_group.ssh"] = map[string]string{"id": id}
	for range 3 {
		if _, err := r.c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}}); err != nil {
			r.t.Fatalf("waitSecurityGroupCreated: %v", err)
		}
	}
	// Terraform removes the default egress rule at once.
	all := []types.IpPermission{{IpProtocol: aws.String("-1"), FromPort: aws.Int32(0), ToPort: aws.Int32(0),
		IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}
	if _, err := r.c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: &id, IpPermissions: all}); err != nil {
		r.t.Fatalf("RevokeSecurityGroupEgress 0.0.0.0/0: %v", err)
	}
	all6 := []types.IpPermission{{IpProtocol: aws.String("-1"), FromPort: aws.Int32(0), ToPort: aws.Int32(0),
		Ipv6Ranges: []types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}}}
	if _, err := r.c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: &id, IpPermissions: all6}); apiCode(err) != "InvalidPermission.NotFound" {
		r.t.Fatalf("RevokeSecurityGroupEgress ::/0: %v, want InvalidPermission.NotFound (the only error tolerated)", err)
	}
	if _, err := r.c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: &id, IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}); err != nil {
		r.t.Fatalf("AuthorizeSecurityGroupIngress: %v", err)
	}
	r.readSG()
}

func (r *tfNet) readSG() {
	id := r.sgID()
	out, err := r.c.DescribeSecurityGroups(ctxT(r.t), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil {
		r.t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	g := out.SecurityGroups[0]
	s := map[string]string{"id": id, "name": aws.ToString(g.GroupName), "vpc_id": aws.ToString(g.VpcId),
		"egress.#": strconv.Itoa(len(g.IpPermissionsEgress)), "ingress.#": strconv.Itoa(len(g.IpPermissions))}
	if len(g.IpPermissions) == 1 {
		p := g.IpPermissions[0]
		s["ingress.0"] = aws.ToString(p.IpProtocol) + " " + strconv.Itoa(int(aws.ToInt32(p.FromPort))) + " " + aws.ToString(p.IpRanges[0].CidrIp)
	}
	r.state["aws_security_group.ssh"] = s
}

func (r *tfNet) deleteSG() {
	ctx, id := ctxT(r.t), r.sgID()
	r.lingeringENIs("group-id", id)
	if _, err := r.c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: &id}); err != nil {
		r.t.Fatalf("DeleteSecurityGroup: %v", err)
	}
	r.until("RetryUntilNotFound", func() (bool, error) {
		_, err := r.c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
		return apiCode(err) == "InvalidGroup.NotFound", nil
	})
	delete(r.state, "aws_security_group.ssh")
}

// refresh reads every resource, in the order of the configuration.
func (r *tfNet) refresh() {
	r.readVPC()
	r.readSubnet()
	r.readIGW()
	r.readRouteTable()
	r.readAssociation()
	r.readSG()
}

func TestTerraformVPCReplay(t *testing.T) {
	srv := ec2emu.New(mock.New(mock.WithDelay(5 * time.Millisecond)))
	log := &actionLog{}
	hs := httptest.NewServer(log.wrap(srv))
	t.Cleanup(func() { hs.Close(); srv.Close() })
	r := &tfNet{t: t, c: ec2emutest.Client(hs.URL, "us-east-1"), state: map[string]map[string]string{}}

	readVPC := []string{"DescribeVpcs", "DescribeVpcAttribute", "DescribeVpcAttribute", "DescribeVpcAttribute",
		"DescribeNetworkAcls", "DescribeRouteTables", "DescribeSecurityGroups"}
	readAll := append(append([]string{}, readVPC...), "DescribeSubnets", "DescribeInternetGateways", "DescribeRouteTables",
		"DescribeRouteTables", "DescribeSecurityGroups")
	var created map[string]map[string]string
	t.Run("create", func(t *testing.T) {
		r.t = t
		r.createVPC()
		r.createSubnet()
		r.createIGW()
		r.createRouteTable()
		r.createAssociation()
		r.createSG()
		want := append(append([]string{"CreateVpc", "DescribeVpcs", "ModifyVpcAttribute", "DescribeVpcAttribute"}, readVPC...),
			"CreateSubnet", "DescribeSubnets", "ModifySubnetAttribute", "DescribeSubnets", "DescribeSubnets",
			"CreateInternetGateway", "AttachInternetGateway", "DescribeInternetGateways", "DescribeInternetGateways",
			"CreateRouteTable", "DescribeRouteTables", "DescribeRouteTables", "CreateRoute", "DescribeRouteTables", "DescribeRouteTables",
			"AssociateRouteTable", "DescribeRouteTables", "DescribeRouteTables",
			"CreateSecurityGroup", "DescribeSecurityGroups", "DescribeSecurityGroups", "DescribeSecurityGroups",
			"RevokeSecurityGroupEgress", "RevokeSecurityGroupEgress", "AuthorizeSecurityGroupIngress", "DescribeSecurityGroups")
		if diff := cmp.Diff(want, log.sequence()); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
		vpc := r.vpcID()
		s := r.state
		want2 := map[string]map[string]string{
			"aws_vpc.main": {"id": vpc, "cidr_block": "10.0.0.0/16", "instance_tenancy": "default", "dhcp_options_id": s["aws_vpc.main"]["dhcp_options_id"],
				"tags.Name": "tf-main", "owner_id": "000000000000", "enableDnsHostnames": "true", "enableDnsSupport": "true",
				"enableNetworkAddressUsageMetrics": "false", "default_network_acl_id": s["aws_vpc.main"]["default_network_acl_id"],
				"main_route_table_id": s["aws_vpc.main"]["main_route_table_id"], "default_security_group_id": s["aws_vpc.main"]["default_security_group_id"]},
			"aws_subnet.public": {"id": r.subnetID(), "vpc_id": vpc, "cidr_block": "10.0.1.0/24", "availability_zone": "us-east-1b",
				"availability_zone_id": "use1-az2", "map_public_ip_on_launch": "true", "private_dns_hostname_type_on_launch": "ip-name",
				"arn": "arn:aws:ec2:us-east-1:000000000000:subnet/" + r.subnetID()},
			"aws_internet_gateway.gw":            {"id": r.igwID(), "owner_id": "000000000000", "vpc_id": vpc},
			"aws_route_table.public":             {"id": r.rtID(), "vpc_id": vpc, "owner_id": "000000000000", "route.0": "0.0.0.0/0 " + r.igwID()},
			"aws_route_table_association.public": {"id": s["aws_route_table_association.public"]["id"], "route_table_id": r.rtID(), "subnet_id": r.subnetID()},
			"aws_security_group.ssh":             {"id": r.sgID(), "name": "tf-ssh", "vpc_id": vpc, "egress.#": "0", "ingress.#": "1", "ingress.0": "tcp 22 0.0.0.0/0"},
		}
		if diff := cmp.Diff(want2, r.state); diff != "" {
			t.Errorf("state after create (-want +got):\n%s", diff)
		}
		for _, k := range []string{"dhcp_options_id", "default_network_acl_id", "main_route_table_id", "default_security_group_id"} {
			if s["aws_vpc.main"][k] == "" {
				t.Errorf("aws_vpc.main %s is empty", k)
			}
		}
		created = r.state
	})
	if len(r.state) != 6 {
		t.Fatal("create failed")
	}
	t.Run("refresh", func(t *testing.T) {
		r.t = t
		r.state = map[string]map[string]string{}
		for k, v := range created {
			r.state[k] = map[string]string{"id": v["id"]}
		}
		r.refresh()
		if diff := cmp.Diff(created, r.state); diff != "" {
			t.Errorf("refresh changed state: a plan would show a diff (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(readAll, log.sequence()); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})
	t.Run("destroy", func(t *testing.T) {
		r.t = t
		r.deleteAssociation()
		r.deleteSG()
		r.deleteRouteTable()
		// The VPC's delete starts while the subnet and gateway are still
		// there: DependencyViolation, retried until they are gone.
		r.deleteVPC(func() {
			r.deleteSubnet()
			r.deleteIGW()
		})
		want := []string{"DisassociateRouteTable", "DescribeRouteTables", "DescribeNetworkInterfaces", "DeleteSecurityGroup", "DescribeSecurityGroups",
			"DeleteRouteTable", "DescribeRouteTables", "DeleteVpc", "DescribeNetworkInterfaces", "DeleteSubnet", "DescribeSubnets",
			"DetachInternetGateway", "DescribeInternetGateways", "DeleteInternetGateway", "DescribeInternetGateways",
			"DeleteVpc", "DescribeVpcs"}
		if diff := cmp.Diff(want, log.sequence()); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
		if len(r.state) != 0 {
			t.Errorf("state after destroy: %v", r.state)
		}
	})
}
