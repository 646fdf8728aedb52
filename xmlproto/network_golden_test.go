package xmlproto_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/internal/testutil"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Golden cases for the VPC, subnet, security group and instance type
// shapes. goldenCases includes them, so TestGolden and TestGoldenScalars
// pin and lint them; TestSDKRoundTripNetwork and TestBotocore decode them.

func networkGoldenCases() []goldenCase {
	all := -1
	p22 := 22
	tags := []xmlproto.Tag{{Key: "Name", Value: "main"}}
	return []goldenCase{
		{"DescribeVpcs", &xmlproto.DescribeVpcsResponse{Vpcs: []xmlproto.Vpc{{
			VpcID: "vpc-0a1b2c3d4e5f60718", OwnerID: "123456789012", State: "available", CidrBlock: "172.31.0.0/16",
			CidrBlockAssociationSet: []xmlproto.VpcCidrBlockAssociation{{
				AssociationID: "vpc-cidr-assoc-0a1b2c3d4e5f60718", CidrBlock: "172.31.0.0/16",
				CidrBlockState: xmlproto.CidrBlockState{State: "associated"},
			}},
			DhcpOptionsID: "dopt-0a1b2c3d4e5f60718", Tags: tags, InstanceTenancy: "default", IsDefault: true,
			BlockPublicAccessStates: &xmlproto.BlockPublicAccessStates{InternetGatewayBlockMode: "off"},
		}}, NextToken: "tok"}},
		{"DescribeSubnets", &xmlproto.DescribeSubnetsResponse{Subnets: []xmlproto.Subnet{{
			SubnetID: "subnet-0a1b2c3d4e5f60718", SubnetArn: "arn:aws:ec2:us-west-2:123456789012:subnet/subnet-0a1b2c3d4e5f60718",
			State: "available", OwnerID: "123456789012", VpcID: "vpc-0a1b2c3d4e5f60718", CidrBlock: "172.31.16.0/20",
			AvailableIPAddressCount: 4090, AvailabilityZone: "us-west-2b", AvailabilityZoneID: "usw2-az2",
			DefaultForAz: true, MapPublicIPOnLaunch: true,
			PrivateDNSNameOptionsOnLaunch: &xmlproto.PrivateDNSNameOptions{HostnameType: "ip-name"},
			BlockPublicAccessStates:       &xmlproto.BlockPublicAccessStates{InternetGatewayBlockMode: "off"},
			Tags:                          tags,
		}}}},
		{"DescribeSecurityGroups", &xmlproto.DescribeSecurityGroupsResponse{SecurityGroups: []xmlproto.SecurityGroup{{
			OwnerID: "123456789012", GroupID: "sg-0a1b2c3d4e5f60718", GroupName: "web", Description: "web servers",
			IPPermissions: []xmlproto.IPPermission{
				{
					IPProtocol: "tcp", FromPort: &p22, ToPort: &p22,
					IPRanges:      []xmlproto.IPRange{{CidrIP: "10.0.0.0/8", Description: "ssh"}},
					IPv6Ranges:    []xmlproto.IPv6Range{{CidrIPv6: "2001:db8::/32"}},
					PrefixListIDs: []xmlproto.PrefixListID{{PrefixListID: "pl-0a1b2c3d"}},
				},
				{IPProtocol: "-1", Groups: []xmlproto.UserIDGroupPair{{UserID: "123456789012", GroupID: "sg-0a1b2c3d4e5f60718"}}},
			},
			IPPermissionsEgress: []xmlproto.IPPermission{{IPProtocol: "-1", IPRanges: []xmlproto.IPRange{{CidrIP: "0.0.0.0/0"}}}},
			VpcID:               "vpc-0a1b2c3d4e5f60718",
			SecurityGroupArn:    "arn:aws:ec2:us-west-2:123456789012:security-group/sg-0a1b2c3d4e5f60718",
			Tags:                tags,
		}}}},
		{"CreateSecurityGroup", &xmlproto.CreateSecurityGroupResponse{
			GroupID: "sg-0a1b2c3d4e5f60718", Tags: tags,
			SecurityGroupArn: "arn:aws:ec2:us-west-2:123456789012:security-group/sg-0a1b2c3d4e5f60718",
		}},
		{"DeleteSecurityGroup", &xmlproto.DeleteSecurityGroupResponse{Return: true, GroupID: "sg-0a1b2c3d4e5f60718"}},
		{"AuthorizeSecurityGroupIngress", &xmlproto.AuthorizeSecurityGroupResponse{Return: true, SecurityGroupRules: []xmlproto.SecurityGroupRule{
			{
				SecurityGroupRuleID: "sgr-0a1b2c3d4e5f60718", GroupID: "sg-0a1b2c3d4e5f60718", GroupOwnerID: "123456789012",
				IPProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIPv4: "10.0.0.0/8", Description: "ssh", Tags: tags,
				SecurityGroupRuleArn: "arn:aws:ec2:us-west-2:123456789012:security-group-rule/sgr-0a1b2c3d4e5f60718",
			},
			{
				SecurityGroupRuleID: "sgr-0f1e2d3c4b5a69788", GroupID: "sg-0a1b2c3d4e5f60718", GroupOwnerID: "123456789012",
				IPProtocol: "-1", FromPort: all, ToPort: all,
				ReferencedGroupInfo:  &xmlproto.ReferencedSecurityGroup{GroupID: "sg-0a1b2c3d4e5f60718", UserID: "123456789012"},
				SecurityGroupRuleArn: "arn:aws:ec2:us-west-2:123456789012:security-group-rule/sgr-0f1e2d3c4b5a69788",
			},
		}}},
		{"RevokeSecurityGroupIngress", &xmlproto.RevokeSecurityGroupResponse{
			Return: true,
			UnknownIPPermissions: []xmlproto.IPPermission{{
				IPProtocol: "udp", FromPort: &p22, ToPort: &p22, IPRanges: []xmlproto.IPRange{{CidrIP: "192.0.2.0/24"}},
			}},
			RevokedSecurityGroupRules: []xmlproto.RevokedSecurityGroupRule{{
				SecurityGroupRuleID: "sgr-0a1b2c3d4e5f60718", GroupID: "sg-0a1b2c3d4e5f60718", IPProtocol: "tcp",
				FromPort: 22, ToPort: 22, CidrIPv4: "10.0.0.0/8", Description: "ssh",
			}},
		}},
		{"DescribeSecurityGroupRules", &xmlproto.DescribeSecurityGroupRulesResponse{SecurityGroupRules: []xmlproto.SecurityGroupRule{{
			SecurityGroupRuleID: "sgr-0a1b2c3d4e5f60718", GroupID: "sg-0a1b2c3d4e5f60718", GroupOwnerID: "123456789012",
			IsEgress: true, IPProtocol: "-1", FromPort: all, ToPort: all, CidrIPv4: "0.0.0.0/0",
			SecurityGroupRuleArn: "arn:aws:ec2:us-west-2:123456789012:security-group-rule/sgr-0a1b2c3d4e5f60718",
		}}, NextToken: "tok"}},
		{"DescribeInstanceTypes", &xmlproto.DescribeInstanceTypesResponse{InstanceTypes: []xmlproto.InstanceTypeInfo{{
			InstanceType: "t3.micro", CurrentGeneration: true, FreeTierEligible: true,
			SupportedUsageClasses: []string{"on-demand", "spot"}, SupportedRootDeviceTypes: []string{"ebs"},
			SupportedVirtualizationTypes: []string{"hvm"}, Hypervisor: "nitro",
			ProcessorInfo: xmlproto.ProcessorInfo{SupportedArchitectures: []string{"x86_64"}, SustainedClockSpeedInGhz: 2.5, Manufacturer: "Intel"},
			VCPUInfo:      xmlproto.VCPUInfo{DefaultVCPUs: 2, DefaultCores: 1, DefaultThreadsPerCore: 2},
			MemoryInfo:    xmlproto.MemoryInfo{SizeInMiB: 1024},
			EbsInfo:       xmlproto.EbsInfo{EbsOptimizedSupport: "default", EncryptionSupport: "supported", NvmeSupport: "required"},
			NetworkInfo: xmlproto.NetworkInfo{
				NetworkPerformance: "Up to 5 Gigabit", MaximumNetworkInterfaces: 2, MaximumNetworkCards: 1,
				Ipv4AddressesPerInterface: 2, Ipv6AddressesPerInterface: 2, Ipv6Supported: true, EnaSupport: "required",
			},
			PlacementGroupInfo:            xmlproto.PlacementGroupInfo{SupportedStrategies: []string{"partition", "spread"}},
			BurstablePerformanceSupported: true, AutoRecoverySupported: true,
			SupportedBootModes: []string{"legacy-bios", "uefi"},
		}}, NextToken: "tok"}},
		{"DescribeInstanceTypeOfferings", &xmlproto.DescribeInstanceTypeOfferingsResponse{InstanceTypeOfferings: []xmlproto.InstanceTypeOffering{
			{InstanceType: "t3.micro", LocationType: "availability-zone", Location: "us-west-2a"},
			{InstanceType: "m7g.large", LocationType: "availability-zone", Location: "us-west-2b"},
		}}},
	}
}

type botocoreCheck = struct {
	path []any
	want any
}

// networkBotocoreChecks are TestBotocore's checks for networkGoldenCases.
func networkBotocoreChecks() map[string][]botocoreCheck {
	return map[string][]botocoreCheck{
		"DescribeVpcs": {
			{[]any{"Vpcs", 0, "IsDefault"}, true},
			{[]any{"Vpcs", 0, "CidrBlockAssociationSet", 0, "CidrBlockState", "State"}, "associated"},
			{[]any{"Vpcs", 0, "DhcpOptionsId"}, "dopt-0a1b2c3d4e5f60718"},
			{[]any{"Vpcs", 0, "Tags", 0, "Value"}, "main"},
			{[]any{"NextToken"}, "tok"},
		},
		"DescribeSubnets": {
			{[]any{"Subnets", 0, "AvailableIpAddressCount"}, 4090.0},
			{[]any{"Subnets", 0, "AvailabilityZoneId"}, "usw2-az2"},
			{[]any{"Subnets", 0, "DefaultForAz"}, true},
			{[]any{"Subnets", 0, "MapPublicIpOnLaunch"}, true},
			{[]any{"Subnets", 0, "PrivateDnsNameOptionsOnLaunch", "HostnameType"}, "ip-name"},
		},
		"DescribeSecurityGroups": {
			{[]any{"SecurityGroups", 0, "Description"}, "web servers"},
			{[]any{"SecurityGroups", 0, "IpPermissions", 0, "FromPort"}, 22.0},
			{[]any{"SecurityGroups", 0, "IpPermissions", 0, "IpRanges", 0, "Description"}, "ssh"},
			{[]any{"SecurityGroups", 0, "IpPermissions", 0, "Ipv6Ranges", 0, "CidrIpv6"}, "2001:db8::/32"},
			{[]any{"SecurityGroups", 0, "IpPermissions", 0, "PrefixListIds", 0, "PrefixListId"}, "pl-0a1b2c3d"},
			{[]any{"SecurityGroups", 0, "IpPermissions", 1, "UserIdGroupPairs", 0, "GroupId"}, "sg-0a1b2c3d4e5f60718"},
			{[]any{"SecurityGroups", 0, "IpPermissions", 1, "FromPort"}, nil},
			{[]any{"SecurityGroups", 0, "IpPermissionsEgress", 0, "IpRanges", 0, "CidrIp"}, "0.0.0.0/0"},
		},
		"CreateSecurityGroup": {{[]any{"GroupId"}, "sg-0a1b2c3d4e5f60718"}, {[]any{"Tags", 0, "Key"}, "Name"}},
		"DeleteSecurityGroup": {{[]any{"Return"}, true}, {[]any{"GroupId"}, "sg-0a1b2c3d4e5f60718"}},
		"AuthorizeSecurityGroupIngress": {
			{[]any{"Return"}, true},
			{[]any{"SecurityGroupRules", 0, "CidrIpv4"}, "10.0.0.0/8"},
			{[]any{"SecurityGroupRules", 0, "IsEgress"}, false},
			{[]any{"SecurityGroupRules", 1, "FromPort"}, -1.0},
			{[]any{"SecurityGroupRules", 1, "ReferencedGroupInfo", "GroupId"}, "sg-0a1b2c3d4e5f60718"},
		},
		"RevokeSecurityGroupIngress": {
			{[]any{"UnknownIpPermissions", 0, "IpProtocol"}, "udp"},
			{[]any{"RevokedSecurityGroupRules", 0, "SecurityGroupRuleId"}, "sgr-0a1b2c3d4e5f60718"},
		},
		"DescribeSecurityGroupRules": {
			{[]any{"SecurityGroupRules", 0, "IsEgress"}, true},
			{[]any{"SecurityGroupRules", 0, "ToPort"}, -1.0},
			{[]any{"NextToken"}, "tok"},
		},
		"DescribeInstanceTypes": {
			{[]any{"InstanceTypes", 0, "VCpuInfo", "DefaultVCpus"}, 2.0},
			{[]any{"InstanceTypes", 0, "MemoryInfo", "SizeInMiB"}, 1024.0},
			{[]any{"InstanceTypes", 0, "ProcessorInfo", "SupportedArchitectures", 0}, "x86_64"},
			{[]any{"InstanceTypes", 0, "ProcessorInfo", "SustainedClockSpeedInGhz"}, 2.5},
			{[]any{"InstanceTypes", 0, "BurstablePerformanceSupported"}, true},
			{[]any{"InstanceTypes", 0, "NetworkInfo", "NetworkPerformance"}, "Up to 5 Gigabit"},
			{[]any{"InstanceTypes", 0, "SupportedUsageClasses", 1}, "spot"},
		},
		"DescribeInstanceTypeOfferings": {
			{[]any{"InstanceTypeOfferings", 1, "InstanceType"}, "m7g.large"},
			{[]any{"InstanceTypeOfferings", 0, "LocationType"}, "availability-zone"},
		},
	}
}

// TestSDKRoundTripNetwork decodes the network golden files with
// aws-sdk-go-v2 and checks the fields whose element names differ from the
// SDK's field names.
func TestSDKRoundTripNetwork(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(*ec2.Client) (any, error)
		want any
		view func(any) any
	}{
		{"DescribeVpcs", func(c *ec2.Client) (any, error) { return c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}) },
			"vpc-0a1b2c3d4e5f60718 true available associated default main tok",
			func(o any) any {
				out := o.(*ec2.DescribeVpcsOutput)
				v := out.Vpcs[0]
				return fmt.Sprintf("%s %t %s %s %s %s %s", aws.ToString(v.VpcId), aws.ToBool(v.IsDefault), v.State,
					v.CidrBlockAssociationSet[0].CidrBlockState.State, v.InstanceTenancy, testutil.TagMap(v.Tags)["Name"], aws.ToString(out.NextToken))
			}},
		{"DescribeSubnets", func(c *ec2.Client) (any, error) { return c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{}) },
			"subnet-0a1b2c3d4e5f60718 172.31.16.0/20 4090 us-west-2b usw2-az2 true true",
			func(o any) any {
				s := o.(*ec2.DescribeSubnetsOutput).Subnets[0]
				return fmt.Sprintf("%s %s %d %s %s %t %t", aws.ToString(s.SubnetId), aws.ToString(s.CidrBlock), aws.ToInt32(s.AvailableIpAddressCount),
					aws.ToString(s.AvailabilityZone), aws.ToString(s.AvailabilityZoneId), aws.ToBool(s.DefaultForAz), aws.ToBool(s.MapPublicIpOnLaunch))
			}},
		{"DescribeSecurityGroups", func(c *ec2.Client) (any, error) {
			return c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
		}, "web web servers tcp 22-22 10.0.0.0/8(ssh) 2001:db8::/32 pl-0a1b2c3d | -1 <nil> sg-0a1b2c3d4e5f60718 | egress -1 0.0.0.0/0",
			func(o any) any {
				g := o.(*ec2.DescribeSecurityGroupsOutput).SecurityGroups[0]
				p, q, e := g.IpPermissions[0], g.IpPermissions[1], g.IpPermissionsEgress[0]
				return fmt.Sprintf("%s %s %s %d-%d %s(%s) %s %s | %s %v %s | egress %s %s", aws.ToString(g.GroupName), aws.ToString(g.Description),
					aws.ToString(p.IpProtocol), aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort), aws.ToString(p.IpRanges[0].CidrIp),
					aws.ToString(p.IpRanges[0].Description), aws.ToString(p.Ipv6Ranges[0].CidrIpv6), aws.ToString(p.PrefixListIds[0].PrefixListId),
					aws.ToString(q.IpProtocol), q.FromPort, aws.ToString(q.UserIdGroupPairs[0].GroupId),
					aws.ToString(e.IpProtocol), aws.ToString(e.IpRanges[0].CidrIp))
			}},
		{"CreateSecurityGroup", func(c *ec2.Client) (any, error) {
			return c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("d")})
		}, "sg-0a1b2c3d4e5f60718 main", func(o any) any {
			out := o.(*ec2.CreateSecurityGroupOutput)
			return aws.ToString(out.GroupId) + " " + testutil.TagMap(out.Tags)["Name"]
		}},
		{"DeleteSecurityGroup", func(c *ec2.Client) (any, error) {
			return c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String("sg-0a1b2c3d4e5f60718")})
		}, "true sg-0a1b2c3d4e5f60718", func(o any) any {
			out := o.(*ec2.DeleteSecurityGroupOutput)
			return fmt.Sprintf("%t %s", aws.ToBool(out.Return), aws.ToString(out.GroupId))
		}},
		{"AuthorizeSecurityGroupIngress", func(c *ec2.Client) (any, error) {
			return c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String("sg-0a1b2c3d4e5f60718")})
		}, []string{"sgr-0a1b2c3d4e5f60718 tcp 22 22 10.0.0.0/8  ssh main", "sgr-0f1e2d3c4b5a69788 -1 -1 -1  sg-0a1b2c3d4e5f60718  "},
			func(o any) any { return ruleStrings(o.(*ec2.AuthorizeSecurityGroupIngressOutput).SecurityGroupRules) }},
		{"RevokeSecurityGroupIngress", func(c *ec2.Client) (any, error) {
			return c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String("sg-0a1b2c3d4e5f60718")})
		}, "true udp 192.0.2.0/24 sgr-0a1b2c3d4e5f60718 10.0.0.0/8", func(o any) any {
			out := o.(*ec2.RevokeSecurityGroupIngressOutput)
			return fmt.Sprintf("%t %s %s %s %s", aws.ToBool(out.Return), aws.ToString(out.UnknownIpPermissions[0].IpProtocol),
				aws.ToString(out.UnknownIpPermissions[0].IpRanges[0].CidrIp), aws.ToString(out.RevokedSecurityGroupRules[0].SecurityGroupRuleId),
				aws.ToString(out.RevokedSecurityGroupRules[0].CidrIpv4))
		}},
		{"DescribeSecurityGroupRules", func(c *ec2.Client) (any, error) {
			return c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{})
		}, []string{"sgr-0a1b2c3d4e5f60718 -1 -1 -1 0.0.0.0/0   ", "egress", "next tok"}, func(o any) any {
			out := o.(*ec2.DescribeSecurityGroupRulesOutput)
			eg := ""
			if aws.ToBool(out.SecurityGroupRules[0].IsEgress) {
				eg = "egress"
			}
			return append(ruleStrings(out.SecurityGroupRules), eg, "next "+aws.ToString(out.NextToken))
		}},
		{"DescribeInstanceTypes", func(c *ec2.Client) (any, error) {
			return c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{})
		}, "t3.micro true 2/1/2 1024 x86_64 2.5 true Up to 5 Gigabit required [on-demand spot] [legacy-bios uefi] tok", func(o any) any {
			out := o.(*ec2.DescribeInstanceTypesOutput)
			it := out.InstanceTypes[0]
			return fmt.Sprintf("%s %t %d/%d/%d %d %s %v %t %s %s %v %v %s", it.InstanceType, aws.ToBool(it.CurrentGeneration),
				aws.ToInt32(it.VCpuInfo.DefaultVCpus), aws.ToInt32(it.VCpuInfo.DefaultCores), aws.ToInt32(it.VCpuInfo.DefaultThreadsPerCore),
				aws.ToInt64(it.MemoryInfo.SizeInMiB), it.ProcessorInfo.SupportedArchitectures[0], aws.ToFloat64(it.ProcessorInfo.SustainedClockSpeedInGhz),
				aws.ToBool(it.BurstablePerformanceSupported), aws.ToString(it.NetworkInfo.NetworkPerformance), it.NetworkInfo.EnaSupport,
				it.SupportedUsageClasses, it.SupportedBootModes, aws.ToString(out.NextToken))
		}},
		{"DescribeInstanceTypeOfferings", func(c *ec2.Client) (any, error) {
			return c.DescribeInstanceTypeOfferings(ctx, &ec2.DescribeInstanceTypeOfferingsInput{})
		}, []string{"t3.micro availability-zone us-west-2a", "m7g.large availability-zone us-west-2b"}, func(o any) any {
			var vs []string
			for _, off := range o.(*ec2.DescribeInstanceTypeOfferingsOutput).InstanceTypeOfferings {
				vs = append(vs, fmt.Sprintf("%s %s %s", off.InstanceType, off.LocationType, aws.ToString(off.Location)))
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
	for _, c := range networkGoldenCases() {
		if !covered[c.name] {
			t.Errorf("golden %s has no SDK round trip", c.name)
		}
	}
}

func ruleStrings(rules []types.SecurityGroupRule) []string {
	var vs []string
	for _, r := range rules {
		ref := ""
		if r.ReferencedGroupInfo != nil {
			ref = aws.ToString(r.ReferencedGroupInfo.GroupId)
		}
		vs = append(vs, fmt.Sprintf("%s %s %d %d %s %s %s %s", aws.ToString(r.SecurityGroupRuleId), aws.ToString(r.IpProtocol),
			aws.ToInt32(r.FromPort), aws.ToInt32(r.ToPort), aws.ToString(r.CidrIpv4), ref, aws.ToString(r.Description), testutil.TagMap(r.Tags)["Name"]))
	}
	return vs
}
