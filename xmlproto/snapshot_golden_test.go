package xmlproto_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/internal/testutil"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Golden cases for the EBS snapshot actions. goldenCases includes them, so
// TestGolden pins them, TestBotocore decodes them (with
// snapshotBotocoreChecks) and TestSDKRoundTripSnapshots reads them through
// the SDK.
func snapshotGoldenCases() []goldenCase {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	done := t0.Add(time.Minute)
	pending := xmlproto.Snapshot{SnapshotID: "snap-0a1b2c3d4e5f60718", VolumeID: "vol-0a1b2c3d4e5f60718", State: "pending",
		StartTime: t0, Progress: "0%", OwnerID: "123456789012", VolumeSize: 8, Description: "nightly",
		Tags: []xmlproto.Tag{{Key: "k", Value: "v"}}, StorageTier: "standard"}
	completed := pending
	completed.State, completed.Progress, completed.CompletionTime, completed.Tags = "completed", "100%", &done, nil
	completed.SnapshotID, completed.Encrypted, completed.KmsKeyID = "snap-0f1e2d3c4b5a69788", true, "arn:aws:kms:us-west-2:123456789012:alias/aws/ebs"
	failed := pending
	failed.SnapshotID, failed.State, failed.StateMessage, failed.Tags = "snap-0123456789abcdef0", "error", "The snapshot could not be made", nil
	return []goldenCase{
		{"CreateSnapshot", &pending},
		{"CreateSnapshots", &xmlproto.CreateSnapshotsResponse{Snapshots: []xmlproto.SnapshotInfo{{SnapshotID: "snap-0a1b2c3d4e5f60718",
			VolumeID: "vol-0a1b2c3d4e5f60718", State: "pending", StartTime: t0, Progress: "0%", OwnerID: "123456789012",
			VolumeSize: 8, Description: "nightly", Tags: []xmlproto.Tag{{Key: "k", Value: "v"}}}}}},
		{"DescribeSnapshots", &xmlproto.DescribeSnapshotsResponse{Snapshots: []xmlproto.Snapshot{completed, failed}, NextToken: "tok"}},
		{"DeleteSnapshot", &xmlproto.Return{Return: true}},
		{"CopySnapshot", &xmlproto.CopySnapshotResponse{SnapshotID: "snap-0a1b2c3d4e5f60718", Tags: []xmlproto.Tag{{Key: "k", Value: "v"}}}},
		// EC2 answers one attribute per call; the golden holds both kinds.
		{"DescribeSnapshotAttribute", &xmlproto.SnapshotAttribute{SnapshotID: "snap-0a1b2c3d4e5f60718",
			CreateVolumePermissions: &[]xmlproto.CreateVolumePermission{{Group: "all"}, {UserID: "111111111111"}},
			ProductCodes:            &[]xmlproto.ProductCode{}}},
		{"ModifySnapshotAttribute", &xmlproto.Return{Return: true}},
		{"ResetSnapshotAttribute", &xmlproto.Return{Return: true}},
	}
}

// snapshotBotocoreChecks are TestBotocore's checks for snapshotGoldenCases.
func snapshotBotocoreChecks() map[string][]botocoreCheck {
	return map[string][]botocoreCheck{
		"CreateSnapshot": {
			{[]any{"SnapshotId"}, "snap-0a1b2c3d4e5f60718"},
			{[]any{"State"}, "pending"},
			{[]any{"VolumeSize"}, 8.0},
			{[]any{"StartTime"}, "2024-05-01 12:00:00+00:00"},
			{[]any{"Tags", 0, "Key"}, "k"},
		},
		"CreateSnapshots": {
			{[]any{"Snapshots", 0, "SnapshotId"}, "snap-0a1b2c3d4e5f60718"},
			{[]any{"Snapshots", 0, "State"}, "pending"},
			{[]any{"Snapshots", 0, "Tags", 0, "Value"}, "v"},
		},
		"DescribeSnapshots": {
			{[]any{"Snapshots", 0, "State"}, "completed"},
			{[]any{"Snapshots", 0, "Progress"}, "100%"},
			{[]any{"Snapshots", 0, "Encrypted"}, true},
			{[]any{"Snapshots", 0, "StorageTier"}, "standard"},
			{[]any{"Snapshots", 1, "StateMessage"}, "The snapshot could not be made"},
			{[]any{"NextToken"}, "tok"},
		},
		"DeleteSnapshot": {{[]any{"ResponseMetadata", "RequestId"}, requestID}},
		"CopySnapshot":   {{[]any{"SnapshotId"}, "snap-0a1b2c3d4e5f60718"}, {[]any{"Tags", 0, "Key"}, "k"}},
		"DescribeSnapshotAttribute": {
			{[]any{"SnapshotId"}, "snap-0a1b2c3d4e5f60718"},
			{[]any{"CreateVolumePermissions", 0, "Group"}, "all"},
			{[]any{"CreateVolumePermissions", 1, "UserId"}, "111111111111"},
		},
		"ModifySnapshotAttribute": {{[]any{"ResponseMetadata", "RequestId"}, requestID}},
		"ResetSnapshotAttribute":  {{[]any{"ResponseMetadata", "RequestId"}, requestID}},
	}
}

// TestSDKRoundTripSnapshots decodes the snapshot golden files with
// aws-sdk-go-v2.
func TestSDKRoundTripSnapshots(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(*ec2.Client) (any, error)
		want any
		view func(any) any
	}{
		{"CreateSnapshot", func(c *ec2.Client) (any, error) {
			return c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String("vol-1")})
		}, "snap-0a1b2c3d4e5f60718 vol-0a1b2c3d4e5f60718 pending 0% 123456789012 8 nightly false standard map[k:v] 2024-05-01T12:00:00Z", func(o any) any {
			out := o.(*ec2.CreateSnapshotOutput)
			return fmt.Sprintf("%s %s %s %s %s %d %s %t %s %v %s", aws.ToString(out.SnapshotId), aws.ToString(out.VolumeId), out.State,
				aws.ToString(out.Progress), aws.ToString(out.OwnerId), aws.ToInt32(out.VolumeSize), aws.ToString(out.Description),
				aws.ToBool(out.Encrypted), out.StorageTier, testutil.TagMap(out.Tags), aws.ToTime(out.StartTime).Format(time.RFC3339))
		}},
		{"CreateSnapshots", func(c *ec2.Client) (any, error) {
			return c.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{InstanceSpecification: &types.InstanceSpecification{InstanceId: aws.String("i-1")}})
		}, "snap-0a1b2c3d4e5f60718 vol-0a1b2c3d4e5f60718 pending 8 map[k:v]", func(o any) any {
			s := o.(*ec2.CreateSnapshotsOutput).Snapshots[0]
			return fmt.Sprintf("%s %s %s %d %v", aws.ToString(s.SnapshotId), aws.ToString(s.VolumeId), s.State, aws.ToInt32(s.VolumeSize), testutil.TagMap(s.Tags))
		}},
		{"DescribeSnapshots", func(c *ec2.Client) (any, error) {
			return c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{})
		}, []string{"snap-0f1e2d3c4b5a69788 completed 100% true arn:aws:kms:us-west-2:123456789012:alias/aws/ebs 2024-05-01T12:01:00Z ",
			"snap-0123456789abcdef0 error 0% false  0001-01-01T00:00:00Z The snapshot could not be made", "tok"}, func(o any) any {
			out := o.(*ec2.DescribeSnapshotsOutput)
			var vs []string
			for _, s := range out.Snapshots {
				vs = append(vs, fmt.Sprintf("%s %s %s %t %s %s %s", aws.ToString(s.SnapshotId), s.State, aws.ToString(s.Progress), aws.ToBool(s.Encrypted),
					aws.ToString(s.KmsKeyId), aws.ToTime(s.CompletionTime).Format(time.RFC3339), aws.ToString(s.StateMessage)))
			}
			return append(vs, aws.ToString(out.NextToken))
		}},
		{"DeleteSnapshot", func(c *ec2.Client) (any, error) {
			return c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String("snap-1")})
		}, nil, func(any) any { return nil }},
		{"CopySnapshot", func(c *ec2.Client) (any, error) {
			return c.CopySnapshot(ctx, &ec2.CopySnapshotInput{SourceRegion: aws.String("us-west-2"), SourceSnapshotId: aws.String("snap-1")})
		}, "snap-0a1b2c3d4e5f60718 map[k:v]", func(o any) any {
			out := o.(*ec2.CopySnapshotOutput)
			return fmt.Sprintf("%s %v", aws.ToString(out.SnapshotId), testutil.TagMap(out.Tags))
		}},
		{"DescribeSnapshotAttribute", func(c *ec2.Client) (any, error) {
			return c.DescribeSnapshotAttribute(ctx, &ec2.DescribeSnapshotAttributeInput{SnapshotId: aws.String("snap-1"), Attribute: "createVolumePermission"})
		}, "snap-0a1b2c3d4e5f60718 [all:] [:111111111111] 0", func(o any) any {
			out := o.(*ec2.DescribeSnapshotAttributeOutput)
			s := aws.ToString(out.SnapshotId)
			for _, p := range out.CreateVolumePermissions {
				s += fmt.Sprintf(" [%s:%s]", p.Group, aws.ToString(p.UserId))
			}
			return fmt.Sprintf("%s %d", s, len(out.ProductCodes))
		}},
		{"ModifySnapshotAttribute", func(c *ec2.Client) (any, error) {
			return c.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: aws.String("snap-1")})
		}, nil, func(any) any { return nil }},
		{"ResetSnapshotAttribute", func(c *ec2.Client) (any, error) {
			return c.ResetSnapshotAttribute(ctx, &ec2.ResetSnapshotAttributeInput{SnapshotId: aws.String("snap-1"), Attribute: "createVolumePermission"})
		}, nil, func(any) any { return nil }},
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
	for _, c := range snapshotGoldenCases() {
		if !covered[c.name] {
			t.Errorf("golden %s has no SDK round trip", c.name)
		}
	}
}
