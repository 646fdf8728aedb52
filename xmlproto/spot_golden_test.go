package xmlproto_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/internal/testutil"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Golden cases for the Spot request actions. goldenCases includes them, so
// TestGolden pins them and TestBotocore decodes them (with
// spotBotocoreChecks). stoppedInstance, in DescribeInstances, is a Spot
// instance: instanceLifecycle and spotInstanceRequestId.

func spotGoldenCases() []goldenCase {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	until := t0.Add(7 * 24 * time.Hour)
	spec := xmlproto.SpotLaunchSpecification{ImageID: "ami-0abcdef1234567890", KeyName: "my-key", InstanceType: "t3.micro",
		Groups: []xmlproto.GroupIdentifier{{GroupID: "sg-111", GroupName: "web"}}, Placement: &xmlproto.SpotPlacement{AvailabilityZone: "us-west-2a"},
		SubnetID: "subnet-0abc1234"}
	open := xmlproto.SpotInstanceRequest{SpotInstanceRequestID: "sir-wi4yedxg", SpotPrice: "0.030000", Type: "one-time", State: "open",
		Status:     xmlproto.SpotInstanceStatus{Code: "pending-evaluation", UpdateTime: t0, Message: "Your Spot request has been submitted for review, and is pending evaluation."},
		ValidUntil: &until, LaunchSpecification: spec, CreateTime: t0, ProductDescription: "Linux/UNIX",
		Tags: []xmlproto.Tag{{Key: "team", Value: "a"}}, InstanceInterruptionBehavior: "terminate"}
	active := open
	active.SpotInstanceRequestID, active.State, active.InstanceID, active.LaunchedAvailabilityZone = "sir-08b93456", "active", "i-1234567890abcdef0", "us-west-2a"
	active.Status = xmlproto.SpotInstanceStatus{Code: "fulfilled", UpdateTime: t0.Add(time.Second), Message: "Your Spot request is fulfilled."}
	active.SpotPrice, active.Tags, active.LaunchGroup, active.AvailabilityZoneGroup = "", nil, "lg", "azg"
	active.ValidFrom = &t0
	return []goldenCase{
		{"RequestSpotInstances", &xmlproto.RequestSpotInstancesResponse{SpotInstanceRequests: []xmlproto.SpotInstanceRequest{open}}},
		{"DescribeSpotInstanceRequests", &xmlproto.DescribeSpotInstanceRequestsResponse{SpotInstanceRequests: []xmlproto.SpotInstanceRequest{active, open},
			NextToken: "tok"}},
		{"CancelSpotInstanceRequests", &xmlproto.CancelSpotInstanceRequestsResponse{SpotInstanceRequests: []xmlproto.CancelledSpotInstanceRequest{
			{SpotInstanceRequestID: "sir-wi4yedxg", State: "cancelled"}}}},
	}
}

// spotBotocoreChecks are TestBotocore's checks for spotGoldenCases.
func spotBotocoreChecks() map[string][]botocoreCheck {
	return map[string][]botocoreCheck{
		"RequestSpotInstances": {
			{[]any{"SpotInstanceRequests", 0, "SpotInstanceRequestId"}, "sir-wi4yedxg"},
			{[]any{"SpotInstanceRequests", 0, "State"}, "open"},
			{[]any{"SpotInstanceRequests", 0, "Status", "Code"}, "pending-evaluation"},
			{[]any{"SpotInstanceRequests", 0, "SpotPrice"}, "0.030000"},
			{[]any{"SpotInstanceRequests", 0, "LaunchSpecification", "SecurityGroups", 0, "GroupId"}, "sg-111"},
			{[]any{"SpotInstanceRequests", 0, "LaunchSpecification", "Placement", "AvailabilityZone"}, "us-west-2a"},
			{[]any{"SpotInstanceRequests", 0, "Tags", 0, "Value"}, "a"},
			{[]any{"SpotInstanceRequests", 0, "ValidUntil"}, "2024-05-08 12:00:00+00:00"},
		},
		"DescribeSpotInstanceRequests": {
			{[]any{"SpotInstanceRequests", 0, "InstanceId"}, "i-1234567890abcdef0"},
			{[]any{"SpotInstanceRequests", 0, "Status", "Message"}, "Your Spot request is fulfilled."},
			{[]any{"SpotInstanceRequests", 0, "LaunchedAvailabilityZone"}, "us-west-2a"},
			{[]any{"SpotInstanceRequests", 0, "LaunchGroup"}, "lg"},
			{[]any{"SpotInstanceRequests", 0, "AvailabilityZoneGroup"}, "azg"},
			{[]any{"SpotInstanceRequests", 0, "InstanceInterruptionBehavior"}, "terminate"},
			{[]any{"SpotInstanceRequests", 0, "LaunchSpecification", "Monitoring", "Enabled"}, false},
			{[]any{"SpotInstanceRequests", 1, "Type"}, "one-time"},
			{[]any{"NextToken"}, "tok"},
		},
		"CancelSpotInstanceRequests": {
			{[]any{"CancelledSpotInstanceRequests", 0, "SpotInstanceRequestId"}, "sir-wi4yedxg"},
			{[]any{"CancelledSpotInstanceRequests", 0, "State"}, "cancelled"},
		},
		"DescribeInstances": {
			{[]any{"Reservations", 0, "Instances", 1, "InstanceLifecycle"}, "spot"},
			{[]any{"Reservations", 0, "Instances", 1, "SpotInstanceRequestId"}, "sir-08b93456"},
		},
	}
}

// TestSDKRoundTripSpot decodes the Spot golden files with aws-sdk-go-v2.
func TestSDKRoundTripSpot(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(*ec2.Client) (any, error)
		want string
		view func(any) string
	}{
		{"RequestSpotInstances", func(c *ec2.Client) (any, error) {
			return c.RequestSpotInstances(ctx, &ec2.RequestSpotInstancesInput{})
		}, "sir-wi4yedxg 0.030000 one-time open pending-evaluation 2024-05-01T12:00:00Z 2024-05-08T12:00:00Z ami-0abcdef1234567890 my-key t3.micro sg-111/web us-west-2a subnet-0abc1234 Linux/UNIX map[team:a] terminate",
			func(o any) string {
				r := o.(*ec2.RequestSpotInstancesOutput).SpotInstanceRequests[0]
				ls := r.LaunchSpecification
				return fmt.Sprintf("%s %s %s %s %s %s %s %s %s %s %s/%s %s %s %s %v %s", aws.ToString(r.SpotInstanceRequestId), aws.ToString(r.SpotPrice), r.Type,
					r.State, aws.ToString(r.Status.Code), r.CreateTime.Format(time.RFC3339), r.ValidUntil.Format(time.RFC3339), aws.ToString(ls.ImageId),
					aws.ToString(ls.KeyName), ls.InstanceType, aws.ToString(ls.SecurityGroups[0].GroupId), aws.ToString(ls.SecurityGroups[0].GroupName),
					aws.ToString(ls.Placement.AvailabilityZone), aws.ToString(ls.SubnetId), r.ProductDescription, testutil.TagMap(r.Tags), r.InstanceInterruptionBehavior)
			}},
		{"DescribeSpotInstanceRequests", func(c *ec2.Client) (any, error) {
			return c.DescribeSpotInstanceRequests(ctx, &ec2.DescribeSpotInstanceRequestsInput{})
		}, "sir-08b93456 active fulfilled 2024-05-01T12:00:01Z i-1234567890abcdef0 us-west-2a lg azg 2024-05-01T12:00:00Z; sir-wi4yedxg open; tok",
			func(o any) string {
				out := o.(*ec2.DescribeSpotInstanceRequestsOutput)
				r := out.SpotInstanceRequests[0]
				return fmt.Sprintf("%s %s %s %s %s %s %s %s %s; %s %s; %s", aws.ToString(r.SpotInstanceRequestId), r.State, aws.ToString(r.Status.Code),
					r.Status.UpdateTime.Format(time.RFC3339), aws.ToString(r.InstanceId), aws.ToString(r.LaunchedAvailabilityZone),
					aws.ToString(r.LaunchGroup), aws.ToString(r.AvailabilityZoneGroup), r.ValidFrom.Format(time.RFC3339),
					aws.ToString(out.SpotInstanceRequests[1].SpotInstanceRequestId), out.SpotInstanceRequests[1].State, aws.ToString(out.NextToken))
			}},
		{"CancelSpotInstanceRequests", func(c *ec2.Client) (any, error) {
			return c.CancelSpotInstanceRequests(ctx, &ec2.CancelSpotInstanceRequestsInput{SpotInstanceRequestIds: []string{"x"}})
		}, "sir-wi4yedxg cancelled", func(o any) string {
			r := o.(*ec2.CancelSpotInstanceRequestsOutput).CancelledSpotInstanceRequests[0]
			return aws.ToString(r.SpotInstanceRequestId) + " " + string(r.State)
		}},
		{"DescribeInstances", func(c *ec2.Client) (any, error) {
			return c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
		}, " ; spot sir-08b93456", func(o any) string {
			is := o.(*ec2.DescribeInstancesOutput).Reservations[0].Instances
			return fmt.Sprintf("%s %s; %s %s", is[0].InstanceLifecycle, aws.ToString(is[0].SpotInstanceRequestId),
				is[1].InstanceLifecycle, aws.ToString(is[1].SpotInstanceRequestId))
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
	for _, c := range spotGoldenCases() {
		if !covered[c.name] {
			t.Errorf("golden %s has no SDK round trip", c.name)
		}
	}
}
