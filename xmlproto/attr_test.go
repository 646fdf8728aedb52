package xmlproto_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/internal/testutil"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// The shapes of the instance attribute, credit specification, volume,
// maintenance and metadata option actions (shapes_attr.go). goldenCases,
// TestSDKRoundTrip and TestBotocore take these in with the others.

func attrGoldenCases() []goldenCase {
	userData := "IyEvYmluL3NoCmVjaG8gaGkK"
	return []goldenCase{
		{"DescribeInstanceAttribute", &xmlproto.InstanceAttribute{
			InstanceID: "i-1234567890abcdef0",
			UserData:   &xmlproto.AttributeValue{Value: &userData},
		}},
		{"ModifyInstanceAttribute", &xmlproto.Return{Return: true}},
		{"DescribeInstanceCreditSpecifications", &xmlproto.DescribeInstanceCreditSpecificationsResponse{
			InstanceCreditSpecifications: []xmlproto.InstanceCreditSpecification{
				{InstanceID: "i-1234567890abcdef0", CPUCredits: "unlimited"},
				{InstanceID: "i-0fedcba9876543210", CPUCredits: "standard"},
			},
		}},
		{"ModifyInstanceCreditSpecification", &xmlproto.ModifyInstanceCreditSpecificationResponse{
			Successful: []xmlproto.SuccessfulInstanceCreditSpecificationItem{{InstanceID: "i-1234567890abcdef0"}},
			Unsuccessful: []xmlproto.UnsuccessfulInstanceCreditSpecificationItem{{
				InstanceID: "i-0fedcba9876543210",
				Error: xmlproto.StateReason{Code: "InstanceCreditSpecification.NotSupported",
					Message: "The m5.large instance type does not support T2 Unlimited."},
			}},
		}},
		{"ModifyInstanceMaintenanceOptions", &xmlproto.ModifyInstanceMaintenanceOptionsResponse{
			InstanceID: "i-1234567890abcdef0", AutoRecovery: "disabled", RebootMigration: "default",
		}},
		{"ModifyInstanceMetadataOptions", &xmlproto.ModifyInstanceMetadataOptionsResponse{
			InstanceID: "i-1234567890abcdef0",
			InstanceMetadataOptions: xmlproto.MetadataOptions{
				State: "pending", HTTPTokens: "required", HTTPPutResponseHopLimit: 2,
				HTTPEndpoint: "enabled", HTTPProtocolIPv6: "disabled", InstanceMetadataTags: "enabled",
			},
		}},
		{"DescribeVolumes", &xmlproto.DescribeVolumesResponse{Volumes: []xmlproto.Volume{
			{
				VolumeID: "vol-1234567890abcdef0", Size: 20, SnapshotID: "snap-0abcdef1234567890",
				AvailabilityZone: "us-west-2a", State: "in-use", CreateTime: t0,
				Attachments: []xmlproto.VolumeAttachment{{
					VolumeID: "vol-1234567890abcdef0", InstanceID: "i-1234567890abcdef0", Device: "/dev/xvda",
					State: "attached", AttachTime: t0, DeleteOnTermination: true,
				}},
				Tags:       []xmlproto.Tag{{Key: "Name", Value: "root"}},
				VolumeType: "gp3", Iops: 3000, Throughput: 125,
			},
			{
				VolumeID: "vol-0fedcba9876543210", Size: 10, AvailabilityZone: "us-west-2a", State: "available",
				CreateTime: t0, Attachments: []xmlproto.VolumeAttachment{}, VolumeType: "gp2", Iops: 100, Encrypted: true,
			},
		}, NextToken: "tok"}},
	}
}

// attrSDKCases are TestSDKRoundTrip's cases for attrGoldenCases.
func attrSDKCases(ctx context.Context) []struct {
	name string
	call func(*ec2.Client) (any, error)
	want any
	view func(any) any
} {
	id := aws.String("i-1234567890abcdef0")
	return []struct {
		name string
		call func(*ec2.Client) (any, error)
		want any
		view func(any) any
	}{
		{
			name: "DescribeInstanceAttribute",
			call: func(c *ec2.Client) (any, error) {
				return c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: id, Attribute: types.InstanceAttributeNameUserData})
			},
			want: []any{"i-1234567890abcdef0", "IyEvYmluL3NoCmVjaG8gaGkK", true},
			view: func(o any) any {
				out := o.(*ec2.DescribeInstanceAttributeOutput)
				return []any{aws.ToString(out.InstanceId), aws.ToString(out.UserData.Value), out.DisableApiTermination == nil}
			},
		},
		{
			name: "ModifyInstanceAttribute",
			call: func(c *ec2.Client) (any, error) {
				return c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: id,
					DisableApiTermination: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
			},
		},
		{
			name: "DescribeInstanceCreditSpecifications",
			call: func(c *ec2.Client) (any, error) {
				return c.DescribeInstanceCreditSpecifications(ctx, &ec2.DescribeInstanceCreditSpecificationsInput{})
			},
			want: []string{"i-1234567890abcdef0", "unlimited", "i-0fedcba9876543210", "standard"},
			view: func(o any) any {
				var out []string
				for _, s := range o.(*ec2.DescribeInstanceCreditSpecificationsOutput).InstanceCreditSpecifications {
					out = append(out, aws.ToString(s.InstanceId), aws.ToString(s.CpuCredits))
				}
				return out
			},
		},
		{
			name: "ModifyInstanceCreditSpecification",
			call: func(c *ec2.Client) (any, error) {
				return c.ModifyInstanceCreditSpecification(ctx, &ec2.ModifyInstanceCreditSpecificationInput{
					InstanceCreditSpecifications: []types.InstanceCreditSpecificationRequest{{InstanceId: id, CpuCredits: aws.String("standard")}}})
			},
			want: []string{"i-1234567890abcdef0", "i-0fedcba9876543210", "InstanceCreditSpecification.NotSupported"},
			view: func(o any) any {
				out := o.(*ec2.ModifyInstanceCreditSpecificationOutput)
				return []string{aws.ToString(out.SuccessfulInstanceCreditSpecifications[0].InstanceId),
					aws.ToString(out.UnsuccessfulInstanceCreditSpecifications[0].InstanceId),
					string(out.UnsuccessfulInstanceCreditSpecifications[0].Error.Code)}
			},
		},
		{
			name: "ModifyInstanceMaintenanceOptions",
			call: func(c *ec2.Client) (any, error) {
				return c.ModifyInstanceMaintenanceOptions(ctx, &ec2.ModifyInstanceMaintenanceOptionsInput{InstanceId: id, AutoRecovery: types.InstanceAutoRecoveryStateDisabled})
			},
			want: []string{"i-1234567890abcdef0", "disabled", "default"},
			view: func(o any) any {
				out := o.(*ec2.ModifyInstanceMaintenanceOptionsOutput)
				return []string{aws.ToString(out.InstanceId), string(out.AutoRecovery), string(out.RebootMigration)}
			},
		},
		{
			name: "ModifyInstanceMetadataOptions",
			call: func(c *ec2.Client) (any, error) {
				return c.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: id, HttpTokens: types.HttpTokensStateRequired})
			},
			want: []any{"pending", "required", int32(2), "enabled"},
			view: func(o any) any {
				m := o.(*ec2.ModifyInstanceMetadataOptionsOutput).InstanceMetadataOptions
				return []any{string(m.State), string(m.HttpTokens), aws.ToInt32(m.HttpPutResponseHopLimit), string(m.InstanceMetadataTags)}
			},
		},
		{
			name: "DescribeVolumes",
			call: func(c *ec2.Client) (any, error) { return c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{}) },
			want: []any{"vol-1234567890abcdef0", int32(20), "in-use", "i-1234567890abcdef0", "/dev/xvda", "attached", true,
				"gp3", int32(3000), int32(125), "root", "available", 0, true, "tok"},
			view: func(o any) any {
				out := o.(*ec2.DescribeVolumesOutput)
				v, w := out.Volumes[0], out.Volumes[1]
				a := v.Attachments[0]
				return []any{aws.ToString(v.VolumeId), aws.ToInt32(v.Size), string(v.State), aws.ToString(a.InstanceId),
					aws.ToString(a.Device), string(a.State), aws.ToBool(a.DeleteOnTermination), string(v.VolumeType),
					aws.ToInt32(v.Iops), aws.ToInt32(v.Throughput), testutil.TagMap(v.Tags)["Name"], string(w.State), len(w.Attachments),
					aws.ToBool(w.Encrypted), aws.ToString(out.NextToken)}
			},
		},
	}
}

type attrBotoCheck struct {
	path []any
	want any
}

// attrBotocoreChecks are TestBotocore's checks for attrGoldenCases, and
// for the elements these actions added to shapes checked elsewhere.
var attrBotocoreChecks = map[string][]attrBotoCheck{
	"DescribeInstanceAttribute": {
		{[]any{"InstanceId"}, "i-1234567890abcdef0"},
		{[]any{"UserData", "Value"}, "IyEvYmluL3NoCmVjaG8gaGkK"},
	},
	"ModifyInstanceAttribute": {{[]any{"ResponseMetadata", "RequestId"}, requestID}},
	"DescribeInstanceCreditSpecifications": {
		{[]any{"InstanceCreditSpecifications", 0, "CpuCredits"}, "unlimited"},
		{[]any{"InstanceCreditSpecifications", 1, "InstanceId"}, "i-0fedcba9876543210"},
	},
	"ModifyInstanceCreditSpecification": {
		{[]any{"SuccessfulInstanceCreditSpecifications", 0, "InstanceId"}, "i-1234567890abcdef0"},
		{[]any{"UnsuccessfulInstanceCreditSpecifications", 0, "Error", "Code"}, "InstanceCreditSpecification.NotSupported"},
	},
	"ModifyInstanceMaintenanceOptions": {{[]any{"AutoRecovery"}, "disabled"}},
	"ModifyInstanceMetadataOptions": {
		{[]any{"InstanceMetadataOptions", "State"}, "pending"},
		{[]any{"InstanceMetadataOptions", "HttpPutResponseHopLimit"}, 2.0},
	},
	"DescribeVolumes": {
		{[]any{"Volumes", 0, "State"}, "in-use"},
		{[]any{"Volumes", 0, "Size"}, 20.0},
		{[]any{"Volumes", 0, "Attachments", 0, "State"}, "attached"},
		{[]any{"Volumes", 0, "Attachments", 0, "AttachTime"}, "2024-05-01 12:00:00+00:00"},
		{[]any{"Volumes", 0, "Tags", 0, "Value"}, "root"},
		{[]any{"Volumes", 1, "Encrypted"}, true},
		{[]any{"NextToken"}, "tok"},
	},
	"DescribeInstances": {
		{[]any{"Reservations", 0, "Instances", 0, "MaintenanceOptions", "AutoRecovery"}, "default"},
	},
}

// TestDecodeModifyInstanceAttribute checks both request forms decode: the
// typed members the SDKs send (`InstanceType.Value`, `UserData.Value`,
// `BlockDeviceMapping.N.Ebs.DeleteOnTermination`) and the generic
// `Attribute` + `Value` the AWS CLI sends for --attribute/--value.
func TestDecodeModifyInstanceAttribute(t *testing.T) {
	q, err := url.ParseQuery("Action=ModifyInstanceAttribute&InstanceId=i-1&InstanceType.Value=t3.small" +
		"&UserData.Value=aGk%3D&DisableApiStop.Value=true&Attribute=kernel&Value=aki-1&GroupId.1=sg-1" +
		"&BlockDeviceMapping.1.DeviceName=%2Fdev%2Fxvda&BlockDeviceMapping.1.Ebs.DeleteOnTermination=false")
	if err != nil {
		t.Fatal(err)
	}
	var got xmlproto.ModifyInstanceAttributeRequest
	if err := xmlproto.Decode(q, &got); err != nil {
		t.Fatal(err)
	}
	want := xmlproto.ModifyInstanceAttributeRequest{
		InstanceID: "i-1", Attribute: "kernel", Value: ptr("aki-1"),
		InstanceType:   &xmlproto.AttributeValue{Value: ptr("t3.small")},
		UserData:       &xmlproto.AttributeValue{Value: ptr("aGk=")},
		DisableAPIStop: &xmlproto.AttributeBooleanValue{Value: ptr(true)},
		Groups:         []string{"sg-1"},
		BlockDeviceMappings: []xmlproto.InstanceBlockDeviceMappingSpecification{{
			DeviceName: "/dev/xvda", Ebs: &xmlproto.EbsInstanceBlockDeviceSpecification{DeleteOnTermination: ptr(false)},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Decode (-want +got):\n%s", diff)
	}
}
