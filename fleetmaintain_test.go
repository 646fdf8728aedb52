package ec2emu_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// asyncFleet is a CreateFleet input of a fleet of type typ of total
// On-Demand instances from template lt.
func asyncFleet(lt string, typ types.FleetType, total int32) *ec2.CreateFleetInput {
	in := instantFleet(lt, total)
	in.Type = typ
	return in
}

// fleetOf describes fleet id.
func fleetOf(t *testing.T, c *ec2.Client, id string) types.FleetData {
	t.Helper()
	return must(c.DescribeFleets(ctxT(t), &ec2.DescribeFleetsInput{FleetIds: []string{id}})).Fleets[0]
}

// fleetActive is the sorted IDs DescribeFleetInstances lists for id.
func fleetActive(t *testing.T, c *ec2.Client, id string) []string {
	t.Helper()
	var ids []string
	in := &ec2.DescribeFleetInstancesInput{FleetId: &id, MaxResults: aws.Int32(5)}
	for {
		out := must(c.DescribeFleetInstances(ctxT(t), in))
		for _, a := range out.ActiveInstances {
			ids = append(ids, aws.ToString(a.InstanceId))
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	slices.Sort(ids)
	return ids
}

// waitFleet waits until fleet id is fulfilled with n active instances, all
// running, and returns them.
func waitFleet(t *testing.T, c *ec2.Client, id string, n int) []string {
	t.Helper()
	var ids []string
	testutil.WaitFor(t, 30*time.Second, fmt.Sprintf("fleet %s fulfilled with %d instances", id, n), func() (bool, string) {
		f := fleetOf(t, c, id)
		ids = fleetActive(t, c, id)
		saw := fmt.Sprintf("%s %s %v %v", f.FleetState, f.ActivityStatus, aws.ToFloat64(f.FulfilledCapacity), ids)
		if f.ActivityStatus != types.FleetActivityStatusFulfilled || len(ids) != n {
			return false, saw
		}
		st, err := testutil.States(t.Context(), c, ids...)
		if err != nil {
			return false, err.Error()
		}
		for _, s := range st {
			if s != types.InstanceStateNameRunning {
				return false, saw + fmt.Sprint(st)
			}
		}
		return true, saw
	})
	return ids
}

func TestFleetMaintainReplaces(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	lt := fleetLT(t, c)
	in := asyncFleet(lt, types.FleetTypeMaintain, 3)
	in.TagSpecifications = tagSpec(types.ResourceTypeInstance, "env", "m")
	out := must(c.CreateFleet(ctx, in))
	id := aws.ToString(out.FleetId)
	if len(out.Instances) != 0 || len(out.Errors) != 0 {
		t.Errorf("CreateFleet of a maintain fleet answered %d instances and %d errors, want its ID only", len(out.Instances), len(out.Errors))
	}
	ids := waitFleet(t, c, id, 3)
	f := fleetOf(t, c, id)
	if got := fmt.Sprintf("%s %s %s %v %v %d", f.Type, f.FleetState, f.ActivityStatus, aws.ToFloat64(f.FulfilledCapacity),
		aws.ToFloat64(f.FulfilledOnDemandCapacity), len(f.Instances)); got != "maintain active fulfilled 3 3 0" {
		t.Errorf("DescribeFleets: %s", got)
	}
	di := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids[:1]}))
	if tags := testutil.TagMap(di.Reservations[0].Instances[0].Tags); tags["env"] != "m" || tags["aws:ec2:fleet-id"] != id {
		t.Errorf("instance tags %v", tags)
	}
	dfi := must(c.DescribeFleetInstances(ctx, &ec2.DescribeFleetInstancesInput{FleetId: &id}))
	a := dfi.ActiveInstances[0]
	if got := fmt.Sprintf("%s %s %s", aws.ToString(dfi.FleetId), aws.ToString(a.InstanceType), a.InstanceHealth); got != id+" t3.micro healthy" {
		t.Errorf("DescribeFleetInstances: %s", got)
	}

	// A burst of terminations: both are replaced, the rest kept.
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids[:2]}))
	after := waitFleet(t, c, id, 3)
	if !slices.Contains(after, ids[2]) || slices.Contains(after, ids[0]) || slices.Contains(after, ids[1]) {
		t.Errorf("after terminating %v: %v", ids[:2], after)
	}
	n := countInstances(must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{
		{Name: aws.String("tag:aws:ec2:fleet-id"), Values: []string{id}}}})))
	if n != 5 {
		t.Errorf("%d instances of the fleet in all, want 3 and the 2 terminated", n)
	}

	// ModifyFleet up, then down with the default policy (termination).
	mod := must(c.ModifyFleet(ctx, &ec2.ModifyFleetInput{FleetId: &id, TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(5)}}))
	if !aws.ToBool(mod.Return) {
		t.Error("ModifyFleet: return false")
	}
	waitFleet(t, c, id, 5)
	must(c.ModifyFleet(ctx, &ec2.ModifyFleetInput{FleetId: &id, TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(2)}}))
	waitFleet(t, c, id, 2)
	// Down with no-termination: the instances stay.
	must(c.ModifyFleet(ctx, &ec2.ModifyFleetInput{FleetId: &id, ExcessCapacityTerminationPolicy: types.FleetExcessCapacityTerminationPolicyNoTermination,
		TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(1)}}))
	kept := waitFleet(t, c, id, 2)
	if f := fleetOf(t, c, id); f.ExcessCapacityTerminationPolicy != types.FleetExcessCapacityTerminationPolicyNoTermination || aws.ToInt32(f.TargetCapacitySpecification.TotalTargetCapacity) != 1 {
		t.Errorf("after ModifyFleet: policy %q, target %d", f.ExcessCapacityTerminationPolicy, aws.ToInt32(f.TargetCapacitySpecification.TotalTargetCapacity))
	}

	// Deleted without termination: its instances run on, not replaced.
	del := must(c.DeleteFleets(ctx, &ec2.DeleteFleetsInput{FleetIds: []string{id}, TerminateInstances: aws.Bool(false)}))
	if got := fmt.Sprintf("%s %s", del.SuccessfulFleetDeletions[0].PreviousFleetState, del.SuccessfulFleetDeletions[0].CurrentFleetState); got != "active deleted_running" {
		t.Errorf("DeleteFleets: %s", got)
	}
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: kept[:1]}))
	testutil.WaitStates(t, c, 10*time.Second, types.InstanceStateNameTerminated, kept[0])
	testutil.WaitStates(t, c, 10*time.Second, types.InstanceStateNameRunning, kept[1])
	if got := fleetActive(t, c, id); !cmp.Equal(got, kept[1:]) {
		t.Errorf("a deleted_running fleet replaced an instance: %v", got)
	}
	_, err := c.ModifyFleet(ctx, &ec2.ModifyFleetInput{FleetId: &id, TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(3)}})
	wantAPIError(t, err, "IncorrectState", 400)
}

func TestFleetRequestNotReplaced(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	lt := fleetLT(t, c)
	id := aws.ToString(must(c.CreateFleet(ctx, asyncFleet(lt, types.FleetTypeRequest, 2))).FleetId)
	ids := waitFleet(t, c, id, 2)
	_, err := c.ModifyFleet(ctx, &ec2.ModifyFleetInput{FleetId: &id, TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(3)}})
	wantAPIError(t, err, "UnsupportedOperation", 400)
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids[:1]}))
	testutil.WaitStates(t, c, 10*time.Second, types.InstanceStateNameTerminated, ids[0])
	// A round would have run within fleetSettle; a later Describe still
	// shows one.
	if got := fleetActive(t, c, id); !cmp.Equal(got, ids[1:]) {
		t.Errorf("a request fleet replaced its instance: %v", got)
	}
	// Deleted with termination: deleted_terminating, then deleted.
	del := must(c.DeleteFleets(ctx, &ec2.DeleteFleetsInput{FleetIds: []string{id}, TerminateInstances: aws.Bool(true)}))
	if got := del.SuccessfulFleetDeletions[0].CurrentFleetState; got != types.FleetStateCodeDeletedTerminatingInstances {
		t.Errorf("DeleteFleets: %s", got)
	}
	testutil.WaitStates(t, c, 10*time.Second, types.InstanceStateNameTerminated, ids[1])
	testutil.Until(t, 10*time.Second, "the fleet deleted", func() bool { return fleetOf(t, c, id).FleetState == types.FleetStateCodeDeleted })
}

func TestFleetModifyErrors(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	lt := fleetLT(t, c)
	instant := aws.ToString(must(c.CreateFleet(ctx, instantFleet(lt, 1))).FleetId)
	maintain := aws.ToString(must(c.CreateFleet(ctx, asyncFleet(lt, types.FleetTypeMaintain, 1))).FleetId)
	total := func(n int32) *types.TargetCapacitySpecificationRequest {
		return &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(n)}
	}
	for _, tt := range []struct {
		name string
		in   *ec2.ModifyFleetInput
		code string
	}{
		{"malformed", &ec2.ModifyFleetInput{FleetId: aws.String("fleet-1"), TargetCapacitySpecification: total(1)}, "InvalidFleetId.Malformed"},
		{"unknown", &ec2.ModifyFleetInput{FleetId: aws.String("fleet-00000000-0000-4000-8000-000000000000"), TargetCapacitySpecification: total(1)}, "InvalidFleetId.NotFound"},
		{"instant", &ec2.ModifyFleetInput{FleetId: &instant, TargetCapacitySpecification: total(2)}, "UnsupportedOperation"},
		{"nothing to change", &ec2.ModifyFleetInput{FleetId: &maintain}, "MissingParameter"},
		{"negative", &ec2.ModifyFleetInput{FleetId: &maintain, TargetCapacitySpecification: total(-1)}, "InvalidParameterValue"},
		{"policy", &ec2.ModifyFleetInput{FleetId: &maintain, ExcessCapacityTerminationPolicy: "some"}, "InvalidParameterValue"},
		{"dry run", &ec2.ModifyFleetInput{FleetId: &maintain, TargetCapacitySpecification: total(2), DryRun: aws.Bool(true)}, "DryRunOperation"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.ModifyFleet(ctx, tt.in)
			if diff := cmp.Diff(tt.code, apiCode(err)); diff != "" {
				t.Errorf("ModifyFleet (-want +got):\n%s (%v)", diff, err)
			}
		})
	}
	waitFleet(t, c, maintain, 1)
}

// TestFleetMaintainRestart: a maintain fleet whose instance ended while
// the server was down is topped up after the restart, and one cut short
// right after CreateFleet's answer launches its target.
func TestFleetMaintainRestart(t *testing.T) {
	b := mock.New(mock.WithDelay(time.Millisecond))
	st := newStateful(t, b)
	ctx := ctxT(t)
	lt := fleetLT(t, st.c)
	id := aws.ToString(must(st.c.CreateFleet(ctx, asyncFleet(lt, types.FleetTypeMaintain, 2))).FleetId)
	ids := waitFleet(t, st.c, id, 2)
	// Stopped, not killed: a kill may leave a launch's last state
	// (running) unstored, and the next start then resumes that launch,
	// which would bring the machine back.
	st.stop(false)
	// Its machine goes while no server runs.
	if err := b.Terminate(context.Background(), ids[0]); err != nil {
		t.Fatal(err)
	}
	st.start()
	after := waitFleet(t, st.c, id, 2)
	if slices.Contains(after, ids[0]) || !slices.Contains(after, ids[1]) {
		t.Errorf("after the restart: %v, want %s and a replacement of %s", after, ids[1], ids[0])
	}

	// Killed right after answering CreateFleet: the next process launches.
	other := aws.ToString(must(st.c.CreateFleet(ctx, asyncFleet(lt, types.FleetTypeRequest, 1))).FleetId)
	st.restart(true)
	waitFleet(t, st.c, other, 1)
	waitFleet(t, st.c, id, 2)
}

func TestFleetHistory(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	lt := fleetLT(t, c)
	start := time.Now().Add(-time.Minute)
	id := aws.ToString(must(c.CreateFleet(ctx, asyncFleet(lt, types.FleetTypeMaintain, 2))).FleetId)
	ids := waitFleet(t, c, id, 2)
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids[:1]}))
	testutil.WaitStates(t, c, 10*time.Second, types.InstanceStateNameTerminated, ids[0])
	waitFleet(t, c, id, 2)
	must(c.ModifyFleet(ctx, &ec2.ModifyFleetInput{FleetId: &id, TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(3)}}))
	waitFleet(t, c, id, 3)
	must(c.DeleteFleets(ctx, &ec2.DeleteFleetsInput{FleetIds: []string{id}, TerminateInstances: aws.Bool(false)}))

	history := func(typ types.FleetEventType, max int32) []string {
		var got []string
		in := &ec2.DescribeFleetHistoryInput{FleetId: &id, StartTime: &start, EventType: typ, MaxResults: aws.Int32(max)}
		for {
			out := must(c.DescribeFleetHistory(ctx, in))
			if aws.ToString(out.FleetId) != id || out.StartTime == nil || out.LastEvaluatedTime == nil {
				t.Errorf("DescribeFleetHistory: fleet %s, start %v, last evaluated %v", aws.ToString(out.FleetId), out.StartTime, out.LastEvaluatedTime)
			}
			for _, r := range out.HistoryRecords {
				e := fmt.Sprintf("%s %s", r.EventType, aws.ToString(r.EventInformation.EventSubType))
				if r.EventInformation.InstanceId != nil {
					e += " i"
				}
				got = append(got, e)
			}
			if out.NextToken == nil {
				return got
			}
			in.NextToken = out.NextToken
		}
	}
	want := []string{"fleet-change submitted", "fleet-change active", "instance-change launched i", "instance-change launched i",
		"instance-change terminated i", "instance-change launched i", "fleet-change modify_in_progress", "fleet-change modify_succeeded",
		"instance-change launched i", "fleet-change deleted_running"}
	if diff := cmp.Diff(want, history("", 5)); diff != "" {
		t.Errorf("DescribeFleetHistory (-want +got):\n%s", diff)
	}
	if got := history(types.FleetEventTypeFleetChange, 100); len(got) != 5 {
		t.Errorf("EventType fleet-change: %v", got)
	}
	_, err := c.DescribeFleetHistory(ctx, &ec2.DescribeFleetHistoryInput{FleetId: aws.String("fleet-00000000-0000-4000-8000-000000000000"), StartTime: &start})
	wantAPIError(t, err, "InvalidFleetId.NotFound", 400)
	if got := must(c.DescribeFleetHistory(ctx, &ec2.DescribeFleetHistoryInput{FleetId: &id, StartTime: aws.Time(time.Now().Add(time.Hour))})); len(got.HistoryRecords) != 0 {
		t.Errorf("events after StartTime in the future: %d", len(got.HistoryRecords))
	}
}
