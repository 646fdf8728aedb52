package xmlproto_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/internal/testutil"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Golden cases for the launch-template actions. goldenCases includes them,
// so TestGolden pins them and TestBotocore decodes them (with
// ltBotocoreChecks).

func ltGoldenCases() []goldenCase {
	yes, no, zero, two, eight := true, false, 0, 2, 8
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	lt := xmlproto.LaunchTemplate{LaunchTemplateID: "lt-0a1b2c3d4e5f60718", LaunchTemplateName: "web", CreateTime: t0,
		CreatedBy: "arn:aws:iam::123456789012:root", DefaultVersionNumber: 1, LatestVersionNumber: 2,
		Tags: []xmlproto.Tag{{Key: "team", Value: "a"}}}
	data := &xmlproto.LaunchTemplateData{
		ImageID: "ami-0abcdef1234567890", InstanceType: "t3.micro", KeyName: "k1", EbsOptimized: &no,
		SecurityGroupIDs: []string{"sg-0a1b2c3d4e5f60718"},
		BlockDeviceMappings: []xmlproto.LaunchTemplateBlockDeviceMapping{{DeviceName: "/dev/xvda",
			Ebs: &xmlproto.LaunchTemplateEbsDevice{VolumeSize: &eight, VolumeType: "gp3", DeleteOnTermination: &yes}}},
		NetworkInterfaces: []xmlproto.LaunchTemplateNetworkInterface{{DeviceIndex: &zero, SubnetID: "subnet-0a1b2c3d4e5f60718",
			Groups: []string{"sg-0a1b2c3d4e5f60718"}, AssociatePublicIPAddress: &yes}},
		TagSpecifications: []xmlproto.LaunchTemplateTagSpecification{{ResourceType: "instance",
			Tags: []xmlproto.Tag{{Key: "Name", Value: "web"}}}},
		Monitoring:         &xmlproto.LaunchTemplateEnabled{Enabled: &yes},
		Placement:          &xmlproto.LaunchTemplatePlacement{AvailabilityZone: "us-west-2a", HostID: "h-0a1b2c3d4e5f60718"},
		HibernationOptions: &xmlproto.LaunchTemplateHibernationOptions{Configured: &no},
		MetadataOptions:    &xmlproto.LaunchTemplateMetadataOptions{HTTPTokens: "required", HTTPPutResponseHopLimit: &two},
		UserData:           "IyEvYmluL3NoCg==",
	}
	return []goldenCase{
		{"CreateLaunchTemplate", &xmlproto.CreateLaunchTemplateResponse{LaunchTemplate: lt}},
		{"DescribeLaunchTemplates", &xmlproto.DescribeLaunchTemplatesResponse{LaunchTemplates: []xmlproto.LaunchTemplate{lt}, NextToken: "tok"}},
		{"DescribeLaunchTemplateVersions", &xmlproto.DescribeLaunchTemplateVersionsResponse{LaunchTemplateVersions: []xmlproto.LaunchTemplateVersion{{
			LaunchTemplateID: lt.LaunchTemplateID, LaunchTemplateName: "web", VersionNumber: 1, VersionDescription: "first",
			CreateTime: t0, CreatedBy: lt.CreatedBy, DefaultVersion: true, LaunchTemplateData: data,
		}}}},
		{"DeleteLaunchTemplateVersions", &xmlproto.DeleteLaunchTemplateVersionsResponse{
			Deleted: []xmlproto.LaunchTemplateVersionDeleted{{LaunchTemplateID: lt.LaunchTemplateID, LaunchTemplateName: "web", VersionNumber: 2}},
			NotDeleted: []xmlproto.LaunchTemplateVersionNotDeleted{{LaunchTemplateID: lt.LaunchTemplateID, LaunchTemplateName: "web",
				VersionNumber: new(int64(1)), ResponseError: xmlproto.ResponseError{Code: "unexpectedError", Message: "default"}}},
		}},
		{"GetLaunchTemplateData", &xmlproto.GetLaunchTemplateDataResponse{LaunchTemplateData: *data}},
	}
}

// ltBotocoreChecks are TestBotocore's checks for ltGoldenCases.
func ltBotocoreChecks() map[string][]botocoreCheck {
	d := []any{"LaunchTemplateVersions", 0, "LaunchTemplateData"}
	at := func(p ...any) []any { return append(append([]any{}, d...), p...) }
	return map[string][]botocoreCheck{
		"CreateLaunchTemplate": {
			{[]any{"LaunchTemplate", "LaunchTemplateId"}, "lt-0a1b2c3d4e5f60718"},
			{[]any{"LaunchTemplate", "LatestVersionNumber"}, 2.0},
			{[]any{"LaunchTemplate", "Tags", 0, "Key"}, "team"},
		},
		"DescribeLaunchTemplates": {{[]any{"LaunchTemplates", 0, "DefaultVersionNumber"}, 1.0}, {[]any{"NextToken"}, "tok"}},
		"DescribeLaunchTemplateVersions": {
			{[]any{"LaunchTemplateVersions", 0, "DefaultVersion"}, true},
			{at("SecurityGroupIds", 0), "sg-0a1b2c3d4e5f60718"},
			{at("BlockDeviceMappings", 0, "Ebs", "VolumeSize"), 8.0},
			{at("NetworkInterfaces", 0, "Groups", 0), "sg-0a1b2c3d4e5f60718"},
			{at("NetworkInterfaces", 0, "DeviceIndex"), 0.0},
			{at("TagSpecifications", 0, "Tags", 0, "Value"), "web"},
			{at("Placement", "HostId"), "h-0a1b2c3d4e5f60718"},
			{at("HibernationOptions", "Configured"), false},
			{at("MetadataOptions", "HttpPutResponseHopLimit"), 2.0},
		},
		"DeleteLaunchTemplateVersions": {
			{[]any{"SuccessfullyDeletedLaunchTemplateVersions", 0, "VersionNumber"}, 2.0},
			{[]any{"UnsuccessfullyDeletedLaunchTemplateVersions", 0, "ResponseError", "Code"}, "unexpectedError"},
		},
		"GetLaunchTemplateData": {{[]any{"LaunchTemplateData", "UserData"}, "IyEvYmluL3NoCg=="}, {[]any{"LaunchTemplateData", "Monitoring", "Enabled"}, true}},
	}
}

// TestSDKRoundTripLaunchTemplates decodes the launch-template golden files
// with aws-sdk-go-v2.
func TestSDKRoundTripLaunchTemplates(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(*ec2.Client) (any, error)
		want string
		view func(any) string
	}{
		{"CreateLaunchTemplate", func(c *ec2.Client) (any, error) {
			return c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("web"), LaunchTemplateData: &types.RequestLaunchTemplateData{}})
		}, "lt-0a1b2c3d4e5f60718 web 1 2 2024-05-01T12:00:00Z map[team:a]", func(o any) string {
			lt := o.(*ec2.CreateLaunchTemplateOutput).LaunchTemplate
			return fmt.Sprintf("%s %s %d %d %s %v", aws.ToString(lt.LaunchTemplateId), aws.ToString(lt.LaunchTemplateName),
				aws.ToInt64(lt.DefaultVersionNumber), aws.ToInt64(lt.LatestVersionNumber), lt.CreateTime.Format(time.RFC3339), testutil.TagMap(lt.Tags))
		}},
		{"DescribeLaunchTemplates", func(c *ec2.Client) (any, error) {
			return c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{})
		}, "1 web tok", func(o any) string {
			out := o.(*ec2.DescribeLaunchTemplatesOutput)
			return fmt.Sprintf("%d %s %s", len(out.LaunchTemplates), aws.ToString(out.LaunchTemplates[0].LaunchTemplateName), aws.ToString(out.NextToken))
		}},
		{"DescribeLaunchTemplateVersions", func(c *ec2.Client) (any, error) {
			return c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{})
		}, "1 true first ami-0abcdef1234567890 t3.micro [sg-0a1b2c3d4e5f60718] /dev/xvda 8 gp3 0 subnet-0a1b2c3d4e5f60718 [sg-0a1b2c3d4e5f60718] true instance web true us-west-2a h-0a1b2c3d4e5f60718 false required 2",
			func(o any) string {
				v := o.(*ec2.DescribeLaunchTemplateVersionsOutput).LaunchTemplateVersions[0]
				d := v.LaunchTemplateData
				b, n := d.BlockDeviceMappings[0], d.NetworkInterfaces[0]
				return fmt.Sprintf("%d %t %s %s %s %v %s %d %s %d %s %v %t %s %s %t %s %s %t %s %d", aws.ToInt64(v.VersionNumber), aws.ToBool(v.DefaultVersion),
					aws.ToString(v.VersionDescription), aws.ToString(d.ImageId), d.InstanceType, d.SecurityGroupIds, aws.ToString(b.DeviceName),
					aws.ToInt32(b.Ebs.VolumeSize), b.Ebs.VolumeType, aws.ToInt32(n.DeviceIndex), aws.ToString(n.SubnetId), n.Groups,
					aws.ToBool(n.AssociatePublicIpAddress), d.TagSpecifications[0].ResourceType, testutil.TagMap(d.TagSpecifications[0].Tags)["Name"],
					aws.ToBool(d.Monitoring.Enabled), aws.ToString(d.Placement.AvailabilityZone), aws.ToString(d.Placement.HostId),
					aws.ToBool(d.HibernationOptions.Configured), d.MetadataOptions.HttpTokens, aws.ToInt32(d.MetadataOptions.HttpPutResponseHopLimit))
			}},
		{"DeleteLaunchTemplateVersions", func(c *ec2.Client) (any, error) {
			return c.DeleteLaunchTemplateVersions(ctx, &ec2.DeleteLaunchTemplateVersionsInput{Versions: []string{"1", "2"}})
		}, "2 1 unexpectedError default", func(o any) string {
			out := o.(*ec2.DeleteLaunchTemplateVersionsOutput)
			f := out.UnsuccessfullyDeletedLaunchTemplateVersions[0]
			return fmt.Sprintf("%d %d %s %s", aws.ToInt64(out.SuccessfullyDeletedLaunchTemplateVersions[0].VersionNumber),
				aws.ToInt64(f.VersionNumber), f.ResponseError.Code, aws.ToString(f.ResponseError.Message))
		}},
		{"GetLaunchTemplateData", func(c *ec2.Client) (any, error) {
			return c.GetLaunchTemplateData(ctx, &ec2.GetLaunchTemplateDataInput{InstanceId: aws.String("i-1")})
		}, "ami-0abcdef1234567890 IyEvYmluL3NoCg==", func(o any) string {
			d := o.(*ec2.GetLaunchTemplateDataOutput).LaunchTemplateData
			return fmt.Sprintf("%s %s", aws.ToString(d.ImageId), aws.ToString(d.UserData))
		}},
	}
	client := goldenServer(t, 200, "")
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
	for _, c := range ltGoldenCases() {
		if !covered[c.name] {
			t.Errorf("golden %s has no SDK round trip", c.name)
		}
	}
}
