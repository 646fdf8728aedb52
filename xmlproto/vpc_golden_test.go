package xmlproto_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/internal/testutil"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Golden cases for the VPC control plane: VPCs, subnets, internet
// gateways, route tables, network ACLs and account attributes. goldenCases
// includes them, so TestGolden and TestGoldenScalars pin them and
// TestBotocore decodes them (with vpcBotocoreChecks).

func vpcGoldenCases() []goldenCase {
	yes, no := true, false
	tags := []xmlproto.Tag{{Key: "Name", Value: "main"}}
	assocState := xmlproto.RouteTableAssociationState{State: "associated"}
	return []goldenCase{
		{"CreateVpc", &xmlproto.CreateVpcResponse{Vpc: xmlproto.Vpc{
			VpcID: "vpc-0a1b2c3d4e5f60718", OwnerID: "123456789012", State: "pending", CidrBlock: "10.0.0.0/16",
			CidrBlockAssociationSet: []xmlproto.VpcCidrBlockAssociation{{
				AssociationID: "vpc-cidr-assoc-0a1b2c3d4e5f60718", CidrBlock: "10.0.0.0/16",
				CidrBlockState: xmlproto.CidrBlockState{State: "associated"},
			}},
			DhcpOptionsID: "dopt-0a1b2c3d4e5f60718", Tags: tags, InstanceTenancy: "default",
			BlockPublicAccessStates: &xmlproto.BlockPublicAccessStates{InternetGatewayBlockMode: "off"},
		}}},
		{"DescribeVpcAttribute", &xmlproto.DescribeVpcAttributeResponse{VpcID: "vpc-0a1b2c3d4e5f60718",
			EnableDNSHostnames: &xmlproto.AttributeBooleanValue{Value: &no}}},
		{"CreateSubnet", &xmlproto.CreateSubnetResponse{Subnet: xmlproto.Subnet{
			SubnetID: "subnet-0a1b2c3d4e5f60718", SubnetArn: "arn:aws:ec2:us-west-2:123456789012:subnet/subnet-0a1b2c3d4e5f60718",
			State: "pending", OwnerID: "123456789012", VpcID: "vpc-0a1b2c3d4e5f60718", CidrBlock: "10.0.1.0/24",
			AvailableIPAddressCount: 251, AvailabilityZone: "us-west-2a", AvailabilityZoneID: "usw2-az1",
			PrivateDNSNameOptionsOnLaunch: &xmlproto.PrivateDNSNameOptions{HostnameType: "ip-name"},
			BlockPublicAccessStates:       &xmlproto.BlockPublicAccessStates{InternetGatewayBlockMode: "off"},
		}}},
		{"CreateInternetGateway", &xmlproto.CreateInternetGatewayResponse{InternetGateway: xmlproto.InternetGateway{
			InternetGatewayID: "igw-0a1b2c3d4e5f60718", OwnerID: "123456789012", Attachments: []xmlproto.InternetGatewayAttachment{}, Tags: tags,
		}}},
		{"DescribeInternetGateways", &xmlproto.DescribeInternetGatewaysResponse{InternetGateways: []xmlproto.InternetGateway{{
			InternetGatewayID: "igw-0a1b2c3d4e5f60718", OwnerID: "123456789012",
			Attachments: []xmlproto.InternetGatewayAttachment{{State: "available", VpcID: "vpc-0a1b2c3d4e5f60718"}},
		}}, NextToken: "tok"}},
		{"DescribeRouteTables", &xmlproto.DescribeRouteTablesResponse{RouteTables: []xmlproto.RouteTable{{
			RouteTableID: "rtb-0a1b2c3d4e5f60718", VpcID: "vpc-0a1b2c3d4e5f60718", OwnerID: "123456789012",
			Routes: []xmlproto.Route{
				{DestinationCidrBlock: "10.0.0.0/16", GatewayID: "local", State: "active", Origin: "CreateRouteTable"},
				{DestinationCidrBlock: "0.0.0.0/0", GatewayID: "igw-0a1b2c3d4e5f60718", State: "active", Origin: "CreateRoute"},
				{DestinationCidrBlock: "192.168.0.0/24", InstanceID: "i-1234567890abcdef0", InstanceOwnerID: "123456789012",
					NetworkInterfaceID: "eni-0a1b2c3d4e5f60718", State: "blackhole", Origin: "CreateRoute"},
			},
			Associations: []xmlproto.RouteTableAssociation{
				{RouteTableAssociationID: "rtbassoc-0a1b2c3d4e5f60718", RouteTableID: "rtb-0a1b2c3d4e5f60718", Main: true, AssociationState: assocState},
				{RouteTableAssociationID: "rtbassoc-0f1e2d3c4b5a69788", RouteTableID: "rtb-0a1b2c3d4e5f60718",
					SubnetID: "subnet-0a1b2c3d4e5f60718", AssociationState: assocState},
			},
			PropagatingVgws: []struct{}{}, Tags: tags,
		}}, NextToken: "tok"}},
		{"AssociateRouteTable", &xmlproto.AssociateRouteTableResponse{AssociationID: "rtbassoc-0a1b2c3d4e5f60718", AssociationState: assocState}},
		{"ReplaceRouteTableAssociation", &xmlproto.ReplaceRouteTableAssociationResponse{NewAssociationID: "rtbassoc-0f1e2d3c4b5a69788", AssociationState: assocState}},
		{"DescribeNetworkAcls", &xmlproto.DescribeNetworkAclsResponse{NetworkAcls: []xmlproto.NetworkAcl{{
			NetworkAclID: "acl-0a1b2c3d4e5f60718", VpcID: "vpc-0a1b2c3d4e5f60718", OwnerID: "123456789012", IsDefault: yes,
			Entries: []xmlproto.NetworkAclEntry{
				{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", Egress: true, CidrBlock: "0.0.0.0/0"},
				{RuleNumber: 32767, Protocol: "-1", RuleAction: "deny", Egress: true, CidrBlock: "0.0.0.0/0"},
				{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
				{RuleNumber: 32767, Protocol: "-1", RuleAction: "deny", CidrBlock: "0.0.0.0/0"},
			},
			Associations: []xmlproto.NetworkAclAssociation{{NetworkAclAssociationID: "aclassoc-0a1b2c3d4e5f60718",
				NetworkAclID: "acl-0a1b2c3d4e5f60718", SubnetID: "subnet-0a1b2c3d4e5f60718"}},
		}}}},
		{"DescribeAccountAttributes", &xmlproto.DescribeAccountAttributesResponse{AccountAttributes: []xmlproto.AccountAttribute{
			{AttributeName: "supported-platforms", AttributeValues: []xmlproto.AccountAttributeValue{{AttributeValue: "VPC"}}},
			{AttributeName: "default-vpc", AttributeValues: []xmlproto.AccountAttributeValue{{AttributeValue: "vpc-0a1b2c3d4e5f60718"}}},
		}}},
	}
}

// vpcBotocoreChecks are TestBotocore's checks for vpcGoldenCases.
func vpcBotocoreChecks() map[string][]botocoreCheck {
	return map[string][]botocoreCheck{
		"CreateVpc": {
			{[]any{"Vpc", "VpcId"}, "vpc-0a1b2c3d4e5f60718"},
			{[]any{"Vpc", "State"}, "pending"},
			{[]any{"Vpc", "IsDefault"}, false},
			{[]any{"Vpc", "CidrBlockAssociationSet", 0, "CidrBlock"}, "10.0.0.0/16"},
		},
		"DescribeVpcAttribute": {{[]any{"EnableDnsHostnames", "Value"}, false}, {[]any{"VpcId"}, "vpc-0a1b2c3d4e5f60718"}},
		"CreateSubnet":         {{[]any{"Subnet", "AvailableIpAddressCount"}, 251.0}, {[]any{"Subnet", "MapPublicIpOnLaunch"}, false}},
		"CreateInternetGateway": {
			{[]any{"InternetGateway", "InternetGatewayId"}, "igw-0a1b2c3d4e5f60718"},
			{[]any{"InternetGateway", "Tags", 0, "Value"}, "main"},
		},
		"DescribeInternetGateways": {
			{[]any{"InternetGateways", 0, "Attachments", 0, "State"}, "available"},
			{[]any{"InternetGateways", 0, "Attachments", 0, "VpcId"}, "vpc-0a1b2c3d4e5f60718"},
			{[]any{"NextToken"}, "tok"},
		},
		"DescribeRouteTables": {
			{[]any{"RouteTables", 0, "Routes", 0, "GatewayId"}, "local"},
			{[]any{"RouteTables", 0, "Routes", 1, "Origin"}, "CreateRoute"},
			{[]any{"RouteTables", 0, "Routes", 2, "State"}, "blackhole"},
			{[]any{"RouteTables", 0, "Routes", 2, "InstanceId"}, "i-1234567890abcdef0"},
			{[]any{"RouteTables", 0, "Associations", 0, "Main"}, true},
			{[]any{"RouteTables", 0, "Associations", 1, "SubnetId"}, "subnet-0a1b2c3d4e5f60718"},
			{[]any{"RouteTables", 0, "Associations", 1, "AssociationState", "State"}, "associated"},
			{[]any{"RouteTables", 0, "Tags", 0, "Key"}, "Name"},
		},
		"AssociateRouteTable":          {{[]any{"AssociationId"}, "rtbassoc-0a1b2c3d4e5f60718"}, {[]any{"AssociationState", "State"}, "associated"}},
		"ReplaceRouteTableAssociation": {{[]any{"NewAssociationId"}, "rtbassoc-0f1e2d3c4b5a69788"}},
		"DescribeNetworkAcls": {
			{[]any{"NetworkAcls", 0, "IsDefault"}, true},
			{[]any{"NetworkAcls", 0, "Entries", 1, "RuleNumber"}, 32767.0},
			{[]any{"NetworkAcls", 0, "Entries", 2, "Egress"}, false},
			{[]any{"NetworkAcls", 0, "Associations", 0, "SubnetId"}, "subnet-0a1b2c3d4e5f60718"},
		},
		"DescribeAccountAttributes": {
			{[]any{"AccountAttributes", 0, "AttributeValues", 0, "AttributeValue"}, "VPC"},
			{[]any{"AccountAttributes", 1, "AttributeName"}, "default-vpc"},
		},
	}
}

// TestSDKRoundTripVPC decodes the VPC golden files with aws-sdk-go-v2.
func TestSDKRoundTripVPC(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(*ec2.Client) (any, error)
		want any
		view func(any) any
	}{
		{"CreateVpc", func(c *ec2.Client) (any, error) {
			return c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
		},
			"vpc-0a1b2c3d4e5f60718 10.0.0.0/16 pending false main", func(o any) any {
				v := o.(*ec2.CreateVpcOutput).Vpc
				return fmt.Sprintf("%s %s %s %t %s", aws.ToString(v.VpcId), aws.ToString(v.CidrBlock), v.State, aws.ToBool(v.IsDefault), testutil.TagMap(v.Tags)["Name"])
			}},
		{"DescribeVpcAttribute", func(c *ec2.Client) (any, error) {
			return c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String("vpc-1"), Attribute: "enableDnsHostnames"})
		}, "vpc-0a1b2c3d4e5f60718 false true", func(o any) any {
			out := o.(*ec2.DescribeVpcAttributeOutput)
			return fmt.Sprintf("%s %t %t", aws.ToString(out.VpcId), aws.ToBool(out.EnableDnsHostnames.Value), out.EnableDnsSupport == nil)
		}},
		{"CreateSubnet", func(c *ec2.Client) (any, error) {
			return c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String("vpc-1")})
		},
			"subnet-0a1b2c3d4e5f60718 10.0.1.0/24 251 us-west-2a pending", func(o any) any {
				s := o.(*ec2.CreateSubnetOutput).Subnet
				return fmt.Sprintf("%s %s %d %s %s", aws.ToString(s.SubnetId), aws.ToString(s.CidrBlock), aws.ToInt32(s.AvailableIpAddressCount),
					aws.ToString(s.AvailabilityZone), s.State)
			}},
		{"CreateInternetGateway", func(c *ec2.Client) (any, error) {
			return c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
		},
			"igw-0a1b2c3d4e5f60718 123456789012 0 main", func(o any) any {
				g := o.(*ec2.CreateInternetGatewayOutput).InternetGateway
				return fmt.Sprintf("%s %s %d %s", aws.ToString(g.InternetGatewayId), aws.ToString(g.OwnerId), len(g.Attachments), testutil.TagMap(g.Tags)["Name"])
			}},
		{"DescribeInternetGateways", func(c *ec2.Client) (any, error) {
			return c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{})
		}, "igw-0a1b2c3d4e5f60718 available vpc-0a1b2c3d4e5f60718 tok", func(o any) any {
			out := o.(*ec2.DescribeInternetGatewaysOutput)
			g := out.InternetGateways[0]
			return fmt.Sprintf("%s %s %s %s", aws.ToString(g.InternetGatewayId), g.Attachments[0].State, aws.ToString(g.Attachments[0].VpcId), aws.ToString(out.NextToken))
		}},
		{"DescribeRouteTables", func(c *ec2.Client) (any, error) { return c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{}) },
			[]string{"10.0.0.0/16 local  active CreateRouteTable", "0.0.0.0/0 igw-0a1b2c3d4e5f60718  active CreateRoute",
				"192.168.0.0/24  i-1234567890abcdef0 blackhole CreateRoute", "rtbassoc-0a1b2c3d4e5f60718 true  associated",
				"rtbassoc-0f1e2d3c4b5a69788 false subnet-0a1b2c3d4e5f60718 associated", "main tok"},
			func(o any) any {
				out := o.(*ec2.DescribeRouteTablesOutput)
				rt := out.RouteTables[0]
				var vs []string
				for _, r := range rt.Routes {
					vs = append(vs, fmt.Sprintf("%s %s %s %s %s", aws.ToString(r.DestinationCidrBlock), aws.ToString(r.GatewayId),
						aws.ToString(r.InstanceId), r.State, r.Origin))
				}
				for _, a := range rt.Associations {
					vs = append(vs, fmt.Sprintf("%s %t %s %s", aws.ToString(a.RouteTableAssociationId), aws.ToBool(a.Main),
						aws.ToString(a.SubnetId), a.AssociationState.State))
				}
				return append(vs, testutil.TagMap(rt.Tags)["Name"]+" "+aws.ToString(out.NextToken))
			}},
		{"AssociateRouteTable", func(c *ec2.Client) (any, error) {
			return c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: aws.String("rtb-1")})
		}, "rtbassoc-0a1b2c3d4e5f60718 associated", func(o any) any {
			out := o.(*ec2.AssociateRouteTableOutput)
			return aws.ToString(out.AssociationId) + " " + string(out.AssociationState.State)
		}},
		{"ReplaceRouteTableAssociation", func(c *ec2.Client) (any, error) {
			return c.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{AssociationId: aws.String("a"), RouteTableId: aws.String("rtb-1")})
		}, "rtbassoc-0f1e2d3c4b5a69788 associated", func(o any) any {
			out := o.(*ec2.ReplaceRouteTableAssociationOutput)
			return aws.ToString(out.NewAssociationId) + " " + string(out.AssociationState.State)
		}},
		{"DescribeNetworkAcls", func(c *ec2.Client) (any, error) { return c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{}) },
			[]string{"acl-0a1b2c3d4e5f60718 true subnet-0a1b2c3d4e5f60718", "100 -1 allow true 0.0.0.0/0", "32767 -1 deny true 0.0.0.0/0",
				"100 -1 allow false 0.0.0.0/0", "32767 -1 deny false 0.0.0.0/0"},
			func(o any) any {
				a := o.(*ec2.DescribeNetworkAclsOutput).NetworkAcls[0]
				vs := []string{fmt.Sprintf("%s %t %s", aws.ToString(a.NetworkAclId), aws.ToBool(a.IsDefault), aws.ToString(a.Associations[0].SubnetId))}
				for _, e := range a.Entries {
					vs = append(vs, fmt.Sprintf("%d %s %s %t %s", aws.ToInt32(e.RuleNumber), aws.ToString(e.Protocol), e.RuleAction,
						aws.ToBool(e.Egress), aws.ToString(e.CidrBlock)))
				}
				return vs
			}},
		{"DescribeAccountAttributes", func(c *ec2.Client) (any, error) {
			return c.DescribeAccountAttributes(ctx, &ec2.DescribeAccountAttributesInput{})
		}, []string{"supported-platforms=VPC", "default-vpc=vpc-0a1b2c3d4e5f60718"}, func(o any) any {
			var vs []string
			for _, a := range o.(*ec2.DescribeAccountAttributesOutput).AccountAttributes {
				vs = append(vs, aws.ToString(a.AttributeName)+"="+aws.ToString(a.AttributeValues[0].AttributeValue))
			}
			return vs
		}},
	}
	client := goldenServer(t, http.StatusOK, "")
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.call(client)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if diff := cmp.Diff(tt.want, tt.view(out)); diff != "" {
				t.Errorf("%s output (-want +got):\n%s", tt.name, diff)
			}
		})
	}
	for _, c := range vpcGoldenCases() {
		if !covered[c.name] {
			t.Errorf("golden %s has no SDK round trip", c.name)
		}
	}
}
