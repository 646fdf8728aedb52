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

// Golden cases for the AMI attribute actions and CopyImage. goldenCases
// includes them, so TestGolden pins them and TestSDKRoundTripImages reads
// them through the SDK.
func imageGoldenCases() []goldenCase {
	desc := "web server"
	return []goldenCase{
		// EC2 answers one attribute per call; the golden holds each kind
		// (lists, a value, an empty value) so the SDK reads each.
		{"DescribeImageAttribute", &xmlproto.ImageAttribute{ImageID: "ami-0abcdef1234567890",
			Description: &xmlproto.AttributeValue{Value: &desc}, Kernel: &xmlproto.AttributeValue{},
			LaunchPermissions: &[]xmlproto.LaunchPermission{{Group: "all"}, {UserID: "123456789012"}},
			BlockDeviceMappings: &[]xmlproto.ImageBlockDeviceMapping{{DeviceName: "/dev/xvda", Ebs: xmlproto.EbsImageBlockDevice{
				SnapshotID: "snap-0abcdef1234567890", VolumeSize: 8, DeleteOnTermination: true, VolumeType: "gp3"}}}}},
		{"ModifyImageAttribute", &xmlproto.Return{Return: true}},
		{"ResetImageAttribute", &xmlproto.Return{Return: true}},
		{"CopyImage", &xmlproto.CopyImageResponse{ImageID: "ami-0abcdef1234567890"}},
		{"RegisterImage", &xmlproto.RegisterImageResponse{ImageID: "ami-0abcdef1234567890"}},
	}
}

// imageBotocoreChecks are TestBotocore's checks for imageGoldenCases.
func imageBotocoreChecks() map[string][]botocoreCheck {
	return map[string][]botocoreCheck{
		"DescribeImageAttribute": {
			{[]any{"ImageId"}, "ami-0abcdef1234567890"},
			{[]any{"Description", "Value"}, "web server"},
			{[]any{"LaunchPermissions", 0, "Group"}, "all"},
			{[]any{"LaunchPermissions", 1, "UserId"}, "123456789012"},
			{[]any{"BlockDeviceMappings", 0, "Ebs", "VolumeSize"}, 8.0},
			{[]any{"BlockDeviceMappings", 0, "Ebs", "DeleteOnTermination"}, true},
		},
		"ModifyImageAttribute": {{[]any{"ResponseMetadata", "RequestId"}, requestID}},
		"ResetImageAttribute":  {{[]any{"ResponseMetadata", "RequestId"}, requestID}},
		"CopyImage":            {{[]any{"ImageId"}, "ami-0abcdef1234567890"}},
		"RegisterImage":        {{[]any{"ImageId"}, "ami-0abcdef1234567890"}},
	}
}

func TestSDKRoundTripImages(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(*ec2.Client) (any, error)
		want any
		view func(any) any
	}{
		{"DescribeImageAttribute", func(c *ec2.Client) (any, error) {
			return c.DescribeImageAttribute(ctx, &ec2.DescribeImageAttributeInput{ImageId: aws.String("ami-1"), Attribute: "launchPermission"})
		}, "ami-0abcdef1234567890 [web server] kernel=true:<nil> /dev/xvda:8:true [all:] [:123456789012]", func(o any) any {
			out := o.(*ec2.DescribeImageAttributeOutput)
			s := fmt.Sprintf("%s [%s] kernel=%t:%v", aws.ToString(out.ImageId), aws.ToString(out.Description.Value), out.KernelId != nil, out.KernelId.Value)
			for _, m := range out.BlockDeviceMappings {
				s += fmt.Sprintf(" %s:%d:%t", aws.ToString(m.DeviceName), aws.ToInt32(m.Ebs.VolumeSize), aws.ToBool(m.Ebs.DeleteOnTermination))
			}
			for _, lp := range out.LaunchPermissions {
				s += fmt.Sprintf(" [%s:%s]", lp.Group, aws.ToString(lp.UserId))
			}
			return s
		}},
		{"ModifyImageAttribute", func(c *ec2.Client) (any, error) {
			return c.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: aws.String("ami-1")})
		}, nil, func(any) any { return nil }},
		{"ResetImageAttribute", func(c *ec2.Client) (any, error) {
			return c.ResetImageAttribute(ctx, &ec2.ResetImageAttributeInput{ImageId: aws.String("ami-1"), Attribute: "launchPermission"})
		}, nil, func(any) any { return nil }},
		{"CopyImage", func(c *ec2.Client) (any, error) {
			return c.CopyImage(ctx, &ec2.CopyImageInput{SourceImageId: aws.String("ami-1"), SourceRegion: aws.String("us-east-1"), Name: aws.String("n")})
		}, "ami-0abcdef1234567890", func(o any) any { return aws.ToString(o.(*ec2.CopyImageOutput).ImageId) }},
		{"RegisterImage", func(c *ec2.Client) (any, error) {
			return c.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String("n")})
		}, "ami-0abcdef1234567890", func(o any) any { return aws.ToString(o.(*ec2.RegisterImageOutput).ImageId) }},
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
	for _, c := range imageGoldenCases() {
		if !covered[c.name] {
			t.Errorf("golden %s has no SDK round trip", c.name)
		}
	}
}
