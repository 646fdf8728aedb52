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

// Golden cases for the EC2 Fleet actions. goldenCases includes them, so
// TestGolden pins them and TestBotocore decodes them (with
// fleetBotocoreChecks).

func fleetGoldenCases() []goldenCase {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	one, two, three := 1.0, 2.0, 3
	spec := xmlproto.FleetLaunchTemplateSpecification{LaunchTemplateID: "lt-0a1b2c3d4e5f60718", Version: "1"}
	small := &xmlproto.FleetLaunchTemplateOverrides{InstanceType: "t3.small", Priority: &one}
	bad := &xmlproto.FleetLaunchTemplateOverrides{InstanceType: "t3.micro", SubnetID: "subnet-0a1b2c3d4e5f60718", WeightedCapacity: &two}
	insts := []xmlproto.FleetInstances{{LaunchTemplateAndOverrides: xmlproto.LaunchTemplateAndOverrides{LaunchTemplateSpecification: spec, Overrides: small},
		Lifecycle: "on-demand", InstanceIDs: []string{"i-0a1b2c3d4e5f60718", "i-0a1b2c3d4e5f60719"}, InstanceType: "t3.small"}}
	errs := []xmlproto.FleetError{{LaunchTemplateAndOverrides: xmlproto.LaunchTemplateAndOverrides{LaunchTemplateSpecification: spec, Overrides: bad},
		Lifecycle: "on-demand", ErrorCode: "InvalidSubnetID.NotFound", ErrorMessage: "The subnet ID 'subnet-0a1b2c3d4e5f60718' does not exist"}}
	id := "fleet-0a1b2c3d-4e5f-4071-8a1b-2c3d4e5f6071"
	return []goldenCase{
		{"CreateFleet", &xmlproto.CreateFleetResponse{FleetID: id, Errors: errs, Instances: insts}},
		{"DescribeFleets", &xmlproto.DescribeFleetsResponse{NextToken: "tok", Fleets: []xmlproto.FleetData{{
			ActivityStatus: "fulfilled", CreateTime: t0, FleetID: id, FleetState: "active", ClientToken: "t",
			FulfilledCapacity: 3, FulfilledOnDemandCapacity: 3, Type: "instant",
			LaunchTemplateConfigs: []xmlproto.FleetLaunchTemplateConfig{{LaunchTemplateSpecification: xmlproto.FleetLaunchTemplateSpecification{
				LaunchTemplateID: "lt-0a1b2c3d4e5f60718", Version: "$Latest"}, Overrides: []xmlproto.FleetLaunchTemplateOverrides{*small, *bad}}},
			TargetCapacitySpecification: xmlproto.TargetCapacitySpecification{TotalTargetCapacity: &three, DefaultTargetCapacityType: "on-demand"},
			OnDemandOptions:             &xmlproto.FleetOnDemandOptions{AllocationStrategy: "prioritized"},
			Tags:                        []xmlproto.Tag{{Key: "team", Value: "a"}}, Errors: errs, Instances: insts,
		}}}},
		{"DeleteFleets", &xmlproto.DeleteFleetsResponse{
			Successful:   []xmlproto.DeleteFleetSuccess{{FleetID: id, PreviousFleetState: "active", CurrentFleetState: "deleted_terminating"}},
			Unsuccessful: []xmlproto.DeleteFleetFailure{{FleetID: "fleet-1", Error: xmlproto.ResponseError{Code: "fleetIdMalformed", Message: "malformed"}}},
		}},
		{"DescribeFleetInstances", &xmlproto.DescribeFleetInstancesResponse{FleetID: id, NextToken: "tok", ActiveInstances: []xmlproto.ActiveInstance{
			{InstanceID: "i-0a1b2c3d4e5f60718", InstanceType: "t3.small", InstanceHealth: "healthy"},
			{InstanceID: "i-0a1b2c3d4e5f60719", InstanceType: "t3.micro", InstanceHealth: "healthy", SpotInstanceRequestID: "sir-0a1b2c3d"},
		}}},
		{"ModifyFleet", &xmlproto.Return{Return: true}},
		{"DescribeFleetHistory", &xmlproto.DescribeFleetHistoryResponse{FleetID: id, StartTime: t0, LastEvaluatedTime: t0.Add(time.Hour), NextToken: "tok",
			HistoryRecords: []xmlproto.HistoryRecordEntry{
				{EventType: "fleet-change", Timestamp: t0, EventInformation: xmlproto.EventInformation{EventSubType: "submitted"}},
				{EventType: "instance-change", Timestamp: t0.Add(time.Second), EventInformation: xmlproto.EventInformation{EventSubType: "launched",
					InstanceID: "i-0a1b2c3d4e5f60718", EventDescription: `{"instanceType":"t3.small"}`}},
			}}},
	}
}

// fleetBotocoreChecks are TestBotocore's checks for fleetGoldenCases.
func fleetBotocoreChecks() map[string][]botocoreCheck {
	return map[string][]botocoreCheck{
		"CreateFleet": {
			{[]any{"FleetId"}, "fleet-0a1b2c3d-4e5f-4071-8a1b-2c3d4e5f6071"},
			{[]any{"Instances", 0, "InstanceIds", 1}, "i-0a1b2c3d4e5f60719"},
			{[]any{"Instances", 0, "LaunchTemplateAndOverrides", "Overrides", "Priority"}, 1.0},
			{[]any{"Errors", 0, "LaunchTemplateAndOverrides", "Overrides", "WeightedCapacity"}, 2.0},
			{[]any{"Errors", 0, "ErrorCode"}, "InvalidSubnetID.NotFound"},
			{[]any{"Errors", 0, "Lifecycle"}, "on-demand"},
		},
		"DescribeFleets": {
			{[]any{"Fleets", 0, "TargetCapacitySpecification", "TotalTargetCapacity"}, 3.0},
			{[]any{"Fleets", 0, "LaunchTemplateConfigs", 0, "Overrides", 1, "SubnetId"}, "subnet-0a1b2c3d4e5f60718"},
			{[]any{"Fleets", 0, "FulfilledCapacity"}, 3.0},
			{[]any{"Fleets", 0, "Tags", 0, "Value"}, "a"},
			{[]any{"Fleets", 0, "OnDemandOptions", "AllocationStrategy"}, "prioritized"},
			{[]any{"Fleets", 0, "Instances", 0, "InstanceType"}, "t3.small"},
			{[]any{"NextToken"}, "tok"},
		},
		"DescribeFleetInstances": {
			{[]any{"FleetId"}, "fleet-0a1b2c3d-4e5f-4071-8a1b-2c3d4e5f6071"},
			{[]any{"ActiveInstances", 1, "SpotInstanceRequestId"}, "sir-0a1b2c3d"},
			{[]any{"ActiveInstances", 0, "InstanceHealth"}, "healthy"},
			{[]any{"NextToken"}, "tok"},
		},
		"ModifyFleet": {
			{[]any{"Return"}, true},
		},
		"DescribeFleetHistory": {
			{[]any{"FleetId"}, "fleet-0a1b2c3d-4e5f-4071-8a1b-2c3d4e5f6071"},
			{[]any{"HistoryRecords", 1, "EventType"}, "instance-change"},
			{[]any{"HistoryRecords", 1, "EventInformation", "InstanceId"}, "i-0a1b2c3d4e5f60718"},
			{[]any{"HistoryRecords", 0, "EventInformation", "EventSubType"}, "submitted"},
			{[]any{"NextToken"}, "tok"},
		},
		"DeleteFleets": {
			{[]any{"SuccessfulFleetDeletions", 0, "CurrentFleetState"}, "deleted_terminating"},
			{[]any{"UnsuccessfulFleetDeletions", 0, "Error", "Code"}, "fleetIdMalformed"},
		},
	}
}

// TestSDKRoundTripFleets decodes the fleet golden files with aws-sdk-go-v2.
func TestSDKRoundTripFleets(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(*ec2.Client) (any, error)
		want string
		view func(any) string
	}{
		{"CreateFleet", func(c *ec2.Client) (any, error) {
			return c.CreateFleet(ctx, &ec2.CreateFleetInput{LaunchTemplateConfigs: []types.FleetLaunchTemplateConfigRequest{},
				TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(1)}})
		}, "fleet-0a1b2c3d-4e5f-4071-8a1b-2c3d4e5f6071 [i-0a1b2c3d4e5f60718 i-0a1b2c3d4e5f60719] t3.small 1 on-demand InvalidSubnetID.NotFound subnet-0a1b2c3d4e5f60718 2",
			func(o any) string {
				out := o.(*ec2.CreateFleetOutput)
				i, e := out.Instances[0], out.Errors[0]
				return fmt.Sprintf("%s %v %s %v %s %s %s %v", aws.ToString(out.FleetId), i.InstanceIds, i.InstanceType,
					aws.ToFloat64(i.LaunchTemplateAndOverrides.Overrides.Priority), i.Lifecycle, aws.ToString(e.ErrorCode),
					aws.ToString(e.LaunchTemplateAndOverrides.Overrides.SubnetId), aws.ToFloat64(e.LaunchTemplateAndOverrides.Overrides.WeightedCapacity))
			}},
		{"DescribeFleets", func(c *ec2.Client) (any, error) {
			return c.DescribeFleets(ctx, &ec2.DescribeFleetsInput{})
		}, "instant active fulfilled 2024-05-01T12:00:00Z 3 on-demand $Latest 2 map[team:a] 1 1 prioritized tok",
			func(o any) string {
				out := o.(*ec2.DescribeFleetsOutput)
				f := out.Fleets[0]
				return fmt.Sprintf("%s %s %s %s %d %s %s %d %v %d %d %s %s", f.Type, f.FleetState, f.ActivityStatus, f.CreateTime.Format(time.RFC3339),
					aws.ToInt32(f.TargetCapacitySpecification.TotalTargetCapacity), f.TargetCapacitySpecification.DefaultTargetCapacityType,
					aws.ToString(f.LaunchTemplateConfigs[0].LaunchTemplateSpecification.Version), len(f.LaunchTemplateConfigs[0].Overrides),
					testutil.TagMap(f.Tags), len(f.Instances), len(f.Errors), f.OnDemandOptions.AllocationStrategy, aws.ToString(out.NextToken))
			}},
		{"DescribeFleetInstances", func(c *ec2.Client) (any, error) {
			return c.DescribeFleetInstances(ctx, &ec2.DescribeFleetInstancesInput{FleetId: aws.String("x")})
		}, "fleet-0a1b2c3d-4e5f-4071-8a1b-2c3d4e5f6071 tok i-0a1b2c3d4e5f60718 t3.small healthy  i-0a1b2c3d4e5f60719 t3.micro healthy sir-0a1b2c3d",
			func(o any) string {
				out := o.(*ec2.DescribeFleetInstancesOutput)
				s := aws.ToString(out.FleetId) + " " + aws.ToString(out.NextToken)
				for _, a := range out.ActiveInstances {
					s += fmt.Sprintf(" %s %s %s %s", aws.ToString(a.InstanceId), aws.ToString(a.InstanceType), a.InstanceHealth, aws.ToString(a.SpotInstanceRequestId))
				}
				return s
			}},
		{"DescribeFleetHistory", func(c *ec2.Client) (any, error) {
			return c.DescribeFleetHistory(ctx, &ec2.DescribeFleetHistoryInput{FleetId: aws.String("x"), StartTime: aws.Time(time.Now())})
		}, "fleet-0a1b2c3d-4e5f-4071-8a1b-2c3d4e5f6071 2024-05-01T12:00:00Z 2024-05-01T13:00:00Z tok fleet-change submitted  2024-05-01T12:00:00Z instance-change launched i-0a1b2c3d4e5f60718 2024-05-01T12:00:01Z",
			func(o any) string {
				out := o.(*ec2.DescribeFleetHistoryOutput)
				s := fmt.Sprintf("%s %s %s %s", aws.ToString(out.FleetId), out.StartTime.Format(time.RFC3339), out.LastEvaluatedTime.Format(time.RFC3339), aws.ToString(out.NextToken))
				for _, r := range out.HistoryRecords {
					s += fmt.Sprintf(" %s %s %s %s", r.EventType, aws.ToString(r.EventInformation.EventSubType), aws.ToString(r.EventInformation.InstanceId), r.Timestamp.Format(time.RFC3339))
				}
				return s
			}},
		{"ModifyFleet", func(c *ec2.Client) (any, error) {
			return c.ModifyFleet(ctx, &ec2.ModifyFleetInput{FleetId: aws.String("x")})
		}, "true", func(o any) string { return fmt.Sprint(aws.ToBool(o.(*ec2.ModifyFleetOutput).Return)) }},
		{"DeleteFleets", func(c *ec2.Client) (any, error) {
			return c.DeleteFleets(ctx, &ec2.DeleteFleetsInput{FleetIds: []string{"x"}, TerminateInstances: aws.Bool(true)})
		}, "active deleted_terminating fleet-1 fleetIdMalformed malformed", func(o any) string {
			out := o.(*ec2.DeleteFleetsOutput)
			s, u := out.SuccessfulFleetDeletions[0], out.UnsuccessfulFleetDeletions[0]
			return fmt.Sprintf("%s %s %s %s %s", s.PreviousFleetState, s.CurrentFleetState, aws.ToString(u.FleetId), u.Error.Code, aws.ToString(u.Error.Message))
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
	for _, c := range fleetGoldenCases() {
		if !covered[c.name] {
			t.Errorf("golden %s has no SDK round trip", c.name)
		}
	}
}
