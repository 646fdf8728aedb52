package xmlproto_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/xmlproto"
)

// Golden cases for the EBS volume actions. goldenCases includes them, so
// TestGolden and TestGoldenScalars pin them and TestBotocore decodes them
// (with volumeBotocoreChecks).

func volumeGoldenCases() []goldenCase {
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	return []goldenCase{
		{"CreateVolume", &xmlproto.Volume{VolumeID: "vol-0a1b2c3d4e5f60718", Size: 8, SnapshotID: "snap-0a1b2c3d4e5f60718",
			AvailabilityZone: "us-west-2a", State: "creating", CreateTime: t0, Attachments: []xmlproto.VolumeAttachment{},
			Tags: []xmlproto.Tag{{Key: "Name", Value: "data"}}, VolumeType: "gp3", Iops: 3000, Throughput: 125, Encrypted: true,
			KmsKeyID: "arn:aws:kms:us-west-2:123456789012:alias/aws/ebs"}},
		{"AttachVolume", &xmlproto.VolumeAttachmentResponse{VolumeID: "vol-0a1b2c3d4e5f60718", InstanceID: "i-1234567890abcdef0",
			Device: "/dev/sdf", State: "attaching", AttachTime: t0}},
		{"ModifyVolume", &xmlproto.ModifyVolumeResponse{VolumeModification: xmlproto.VolumeModification{
			VolumeID: "vol-0a1b2c3d4e5f60718", ModificationState: "completed", TargetSize: 20, TargetIops: 4000, TargetVolumeType: "io2",
			OriginalSize: 8, OriginalIops: 3000, OriginalVolumeType: "gp3", OriginalThroughput: 125, Progress: 100, StartTime: t0, EndTime: &t1}}},
		{"DescribeVolumesModifications", &xmlproto.DescribeVolumesModificationsResponse{VolumesModifications: []xmlproto.VolumeModification{{
			VolumeID: "vol-0a1b2c3d4e5f60718", ModificationState: "completed", TargetSize: 20, TargetVolumeType: "gp2", TargetIops: 100,
			OriginalSize: 8, OriginalVolumeType: "gp2", OriginalIops: 100, Progress: 100, StartTime: t0, EndTime: &t1}}, NextToken: "tok"}},
		{"DescribeVolumeStatus", &xmlproto.DescribeVolumeStatusResponse{VolumeStatuses: []xmlproto.VolumeStatusItem{{
			VolumeID: "vol-0a1b2c3d4e5f60718", AvailabilityZone: "us-west-2a",
			VolumeStatus: xmlproto.VolumeStatusInfo{Status: "ok", Details: []xmlproto.StatusDetail{{Name: "io-enabled", Status: "passed"}, {Name: "io-performance", Status: "not-applicable"}}},
			Actions:      []xmlproto.VolumeStatusAction{}, Events: []xmlproto.VolumeStatusEvent{}}}}},
		{"DescribeVolumeAttribute", &xmlproto.DescribeVolumeAttributeResponse{VolumeID: "vol-0a1b2c3d4e5f60718",
			AutoEnableIO: &xmlproto.AttributeBooleanValue{Value: aws.Bool(true)}}},
	}
}

// volumeBotocoreChecks are TestBotocore's checks for volumeGoldenCases.
func volumeBotocoreChecks() map[string][]botocoreCheck {
	return map[string][]botocoreCheck{
		"CreateVolume": {
			{[]any{"VolumeId"}, "vol-0a1b2c3d4e5f60718"}, {[]any{"State"}, "creating"}, {[]any{"Size"}, float64(8)},
			{[]any{"SnapshotId"}, "snap-0a1b2c3d4e5f60718"}, {[]any{"Iops"}, float64(3000)}, {[]any{"Throughput"}, float64(125)},
			{[]any{"Encrypted"}, true}, {[]any{"KmsKeyId"}, "arn:aws:kms:us-west-2:123456789012:alias/aws/ebs"},
			{[]any{"Tags", 0, "Value"}, "data"},
		},
		"AttachVolume": {{[]any{"State"}, "attaching"}, {[]any{"Device"}, "/dev/sdf"}, {[]any{"InstanceId"}, "i-1234567890abcdef0"}},
		"ModifyVolume": {
			{[]any{"VolumeModification", "ModificationState"}, "completed"}, {[]any{"VolumeModification", "TargetSize"}, float64(20)},
			{[]any{"VolumeModification", "OriginalThroughput"}, float64(125)}, {[]any{"VolumeModification", "Progress"}, float64(100)},
		},
		"DescribeVolumesModifications": {
			{[]any{"VolumesModifications", 0, "TargetVolumeType"}, "gp2"}, {[]any{"NextToken"}, "tok"},
		},
		"DescribeVolumeStatus": {
			{[]any{"VolumeStatuses", 0, "VolumeStatus", "Status"}, "ok"},
			{[]any{"VolumeStatuses", 0, "VolumeStatus", "Details", 1, "Name"}, "io-performance"},
		},
		"DescribeVolumeAttribute": {{[]any{"AutoEnableIO", "Value"}, true}, {[]any{"VolumeId"}, "vol-0a1b2c3d4e5f60718"}},
	}
}

// TestSDKRoundTripVolumes decodes the volume golden files with
// aws-sdk-go-v2.
func TestSDKRoundTripVolumes(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(*ec2.Client) (any, error)
		want any
		view func(any) any
	}{
		{"CreateVolume", func(c *ec2.Client) (any, error) { return c.CreateVolume(ctx, &ec2.CreateVolumeInput{}) },
			"vol-0a1b2c3d4e5f60718 creating 8 gp3 3000 125 true 1", func(o any) any {
				v := o.(*ec2.CreateVolumeOutput)
				return fmt.Sprintf("%s %s %d %s %d %d %t %d", aws.ToString(v.VolumeId), v.State, aws.ToInt32(v.Size), v.VolumeType,
					aws.ToInt32(v.Iops), aws.ToInt32(v.Throughput), aws.ToBool(v.Encrypted), len(v.Tags))
			}},
		{"AttachVolume", func(c *ec2.Client) (any, error) {
			return c.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: aws.String("vol-1"), InstanceId: aws.String("i-1"), Device: aws.String("/dev/sdf")})
		},
			"attaching /dev/sdf i-1234567890abcdef0", func(o any) any {
				v := o.(*ec2.AttachVolumeOutput)
				return fmt.Sprintf("%s %s %s", v.State, aws.ToString(v.Device), aws.ToString(v.InstanceId))
			}},
		{"ModifyVolume", func(c *ec2.Client) (any, error) {
			return c.ModifyVolume(ctx, &ec2.ModifyVolumeInput{VolumeId: aws.String("vol-1")})
		},
			"completed 8→20 gp3→io2 100", func(o any) any {
				m := o.(*ec2.ModifyVolumeOutput).VolumeModification
				return fmt.Sprintf("%s %d→%d %s→%s %d", m.ModificationState, aws.ToInt32(m.OriginalSize), aws.ToInt32(m.TargetSize),
					m.OriginalVolumeType, m.TargetVolumeType, aws.ToInt64(m.Progress))
			}},
		{"DescribeVolumesModifications", func(c *ec2.Client) (any, error) {
			return c.DescribeVolumesModifications(ctx, &ec2.DescribeVolumesModificationsInput{})
		}, "1 tok", func(o any) any {
			out := o.(*ec2.DescribeVolumesModificationsOutput)
			return fmt.Sprintf("%d %s", len(out.VolumesModifications), aws.ToString(out.NextToken))
		}},
		{"DescribeVolumeStatus", func(c *ec2.Client) (any, error) {
			return c.DescribeVolumeStatus(ctx, &ec2.DescribeVolumeStatusInput{})
		}, "vol-0a1b2c3d4e5f60718 ok 2", func(o any) any {
			s := o.(*ec2.DescribeVolumeStatusOutput).VolumeStatuses[0]
			return fmt.Sprintf("%s %s %d", aws.ToString(s.VolumeId), s.VolumeStatus.Status, len(s.VolumeStatus.Details))
		}},
		{"DescribeVolumeAttribute", func(c *ec2.Client) (any, error) {
			return c.DescribeVolumeAttribute(ctx, &ec2.DescribeVolumeAttributeInput{VolumeId: aws.String("vol-1"), Attribute: "autoEnableIO"})
		}, "vol-0a1b2c3d4e5f60718 true", func(o any) any {
			out := o.(*ec2.DescribeVolumeAttributeOutput)
			return fmt.Sprintf("%s %t", aws.ToString(out.VolumeId), aws.ToBool(out.AutoEnableIO.Value))
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
	for _, c := range volumeGoldenCases() {
		if !covered[c.name] {
			t.Errorf("golden %s has no SDK round trip", c.name)
		}
	}
}
