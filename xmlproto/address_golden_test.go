package xmlproto_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/xmlproto"
)

// Golden cases for the Elastic IP address actions. goldenCases includes
// them, so TestGolden and TestGoldenScalars pin them and TestBotocore
// decodes them (with addressBotocoreChecks).

func addressGoldenCases() []goldenCase {
	return []goldenCase{
		{"AllocateAddress", &xmlproto.AllocateAddressResponse{PublicIP: "198.51.100.7", Domain: "vpc",
			AllocationID: "eipalloc-0a1b2c3d4e5f60718", PublicIpv4Pool: "amazon", NetworkBorderGroup: "us-west-2"}},
		{"AssociateAddress", &xmlproto.AssociateAddressResponse{AssociationID: "eipassoc-0a1b2c3d4e5f60718"}},
		{"DescribeAddresses", &xmlproto.DescribeAddressesResponse{Addresses: []xmlproto.Address{
			{PublicIP: "198.51.100.7", AllocationID: "eipalloc-0a1b2c3d4e5f60718", Domain: "vpc", InstanceID: "i-1234567890abcdef0",
				AssociationID: "eipassoc-0a1b2c3d4e5f60718", NetworkInterfaceID: "eni-0a1b2c3d4e5f60718",
				NetworkInterfaceOwnerID: "123456789012", PrivateIPAddress: "10.0.1.12",
				Tags: []xmlproto.Tag{{Key: "Name", Value: "web"}}, PublicIpv4Pool: "amazon", NetworkBorderGroup: "us-west-2"},
			{PublicIP: "198.51.100.8", AllocationID: "eipalloc-0f1e2d3c4b5a69788", Domain: "vpc", PublicIpv4Pool: "amazon", NetworkBorderGroup: "us-west-2"},
		}}},
		{"DescribeAddressesAttribute", &xmlproto.DescribeAddressesAttributeResponse{Addresses: []xmlproto.AddressAttribute{
			{PublicIP: "198.51.100.7", AllocationID: "eipalloc-0a1b2c3d4e5f60718"},
		}, NextToken: "tok"}},
	}
}

// addressBotocoreChecks are TestBotocore's checks for addressGoldenCases.
func addressBotocoreChecks() map[string][]botocoreCheck {
	return map[string][]botocoreCheck{
		"AllocateAddress": {
			{[]any{"PublicIp"}, "198.51.100.7"}, {[]any{"AllocationId"}, "eipalloc-0a1b2c3d4e5f60718"},
			{[]any{"Domain"}, "vpc"}, {[]any{"PublicIpv4Pool"}, "amazon"}, {[]any{"NetworkBorderGroup"}, "us-west-2"},
		},
		"AssociateAddress": {{[]any{"AssociationId"}, "eipassoc-0a1b2c3d4e5f60718"}},
		"DescribeAddresses": {
			{[]any{"Addresses", 0, "InstanceId"}, "i-1234567890abcdef0"},
			{[]any{"Addresses", 0, "AssociationId"}, "eipassoc-0a1b2c3d4e5f60718"},
			{[]any{"Addresses", 0, "NetworkInterfaceId"}, "eni-0a1b2c3d4e5f60718"},
			{[]any{"Addresses", 0, "NetworkInterfaceOwnerId"}, "123456789012"},
			{[]any{"Addresses", 0, "PrivateIpAddress"}, "10.0.1.12"},
			{[]any{"Addresses", 0, "Tags", 0, "Value"}, "web"},
			{[]any{"Addresses", 1, "PublicIp"}, "198.51.100.8"},
			{[]any{"Addresses", 1, "Domain"}, "vpc"},
		},
		"DescribeAddressesAttribute": {
			{[]any{"Addresses", 0, "PublicIp"}, "198.51.100.7"},
			{[]any{"Addresses", 0, "AllocationId"}, "eipalloc-0a1b2c3d4e5f60718"},
			{[]any{"NextToken"}, "tok"},
		},
	}
}

// TestSDKRoundTripAddresses decodes the Elastic IP golden files with
// aws-sdk-go-v2.
func TestSDKRoundTripAddresses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(*ec2.Client) (any, error)
		want any
		view func(any) any
	}{
		{"AllocateAddress", func(c *ec2.Client) (any, error) { return c.AllocateAddress(ctx, &ec2.AllocateAddressInput{}) },
			"198.51.100.7 eipalloc-0a1b2c3d4e5f60718 vpc amazon us-west-2", func(o any) any {
				out := o.(*ec2.AllocateAddressOutput)
				return fmt.Sprintf("%s %s %s %s %s", aws.ToString(out.PublicIp), aws.ToString(out.AllocationId), out.Domain,
					aws.ToString(out.PublicIpv4Pool), aws.ToString(out.NetworkBorderGroup))
			}},
		{"AssociateAddress", func(c *ec2.Client) (any, error) { return c.AssociateAddress(ctx, &ec2.AssociateAddressInput{}) },
			"eipassoc-0a1b2c3d4e5f60718", func(o any) any { return aws.ToString(o.(*ec2.AssociateAddressOutput).AssociationId) }},
		{"DescribeAddresses", func(c *ec2.Client) (any, error) { return c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{}) },
			[]string{"198.51.100.7 eipalloc-0a1b2c3d4e5f60718 vpc i-1234567890abcdef0 eipassoc-0a1b2c3d4e5f60718 eni-0a1b2c3d4e5f60718 123456789012 10.0.1.12 amazon us-west-2 1",
				"198.51.100.8 eipalloc-0f1e2d3c4b5a69788 vpc      amazon us-west-2 0"},
			func(o any) any {
				var vs []string
				for _, a := range o.(*ec2.DescribeAddressesOutput).Addresses {
					vs = append(vs, fmt.Sprintf("%s %s %s %s %s %s %s %s %s %s %d", aws.ToString(a.PublicIp), aws.ToString(a.AllocationId), a.Domain,
						aws.ToString(a.InstanceId), aws.ToString(a.AssociationId), aws.ToString(a.NetworkInterfaceId),
						aws.ToString(a.NetworkInterfaceOwnerId), aws.ToString(a.PrivateIpAddress), aws.ToString(a.PublicIpv4Pool),
						aws.ToString(a.NetworkBorderGroup), len(a.Tags)))
				}
				return vs
			}},
		{"DescribeAddressesAttribute", func(c *ec2.Client) (any, error) {
			return c.DescribeAddressesAttribute(ctx, &ec2.DescribeAddressesAttributeInput{})
		}, "198.51.100.7 eipalloc-0a1b2c3d4e5f60718 tok", func(o any) any {
			out := o.(*ec2.DescribeAddressesAttributeOutput)
			return aws.ToString(out.Addresses[0].PublicIp) + " " + aws.ToString(out.Addresses[0].AllocationId) + " " + aws.ToString(out.NextToken)
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
	for _, c := range addressGoldenCases() {
		if !covered[c.name] {
			t.Errorf("golden %s has no SDK round trip", c.name)
		}
	}
}
