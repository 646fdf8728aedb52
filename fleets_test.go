package ec2emu_test

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

var fleetIDRe = regexp.MustCompile(`^fleet-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// fleetLT makes a launch template of ubuntuAMI, t3.micro, tagged Name=web
// for instances, and returns its ID.
func fleetLT(t *testing.T, c *ec2.Client) string {
	t.Helper()
	out := must(c.CreateLaunchTemplate(ctxT(t), &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("fleet-lt"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(ubuntuAMI), InstanceType: types.InstanceTypeT3Micro,
			TagSpecifications: []types.LaunchTemplateTagSpecificationRequest{{ResourceType: types.ResourceTypeInstance,
				Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("web")}, {Key: aws.String("env"), Value: aws.String("lt")}}}}}}))
	return aws.ToString(out.LaunchTemplate.LaunchTemplateId)
}

// instantFleet is a CreateFleet input of an instant fleet of total
// On-Demand instances from template lt with overrides.
func instantFleet(lt string, total int32, overrides ...types.FleetLaunchTemplateOverridesRequest) *ec2.CreateFleetInput {
	return &ec2.CreateFleetInput{Type: types.FleetTypeInstant,
		LaunchTemplateConfigs: []types.FleetLaunchTemplateConfigRequest{{
			LaunchTemplateSpecification: &types.FleetLaunchTemplateSpecificationRequest{LaunchTemplateId: aws.String(lt), Version: aws.String("$Latest")},
			Overrides:                   overrides}},
		TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(total),
			DefaultTargetCapacityType: types.DefaultTargetCapacityTypeOnDemand}}
}

// fleetSummary is a fleet's launches as "type:override-type:n" and errors
// as "override-type:code".
func fleetSummary(insts []types.CreateFleetInstance, errs []types.CreateFleetError) []string {
	out := []string{}
	for _, i := range insts {
		o := ""
		if ov := i.LaunchTemplateAndOverrides.Overrides; ov != nil {
			o = string(ov.InstanceType) + "/" + aws.ToString(ov.SubnetId)
		}
		out = append(out, fmt.Sprintf("%s:%s:%s:%d:%s", i.InstanceType, o, aws.ToString(i.LaunchTemplateAndOverrides.LaunchTemplateSpecification.Version),
			len(i.InstanceIds), i.Lifecycle))
	}
	for _, e := range errs {
		o := ""
		if ov := e.LaunchTemplateAndOverrides.Overrides; ov != nil {
			o = string(ov.InstanceType) + "/" + aws.ToString(ov.SubnetId)
		}
		out = append(out, fmt.Sprintf("error:%s:%s:%s", o, aws.ToString(e.ErrorCode), e.Lifecycle))
	}
	return out
}

func TestFleetInstantLifecycle(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	lt := fleetLT(t, c)
	in := instantFleet(lt, 3,
		types.FleetLaunchTemplateOverridesRequest{InstanceType: types.InstanceTypeT3Small, Priority: aws.Float64(2)},
		types.FleetLaunchTemplateOverridesRequest{InstanceType: types.InstanceTypeT3Nano, Priority: aws.Float64(1)})
	in.OnDemandOptions = &types.OnDemandOptionsRequest{AllocationStrategy: types.FleetOnDemandAllocationStrategyPrioritized}
	in.TagSpecifications = []types.TagSpecification{
		{ResourceType: types.ResourceTypeFleet, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}},
		{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("fleet")}}},
	}
	out := must(c.CreateFleet(ctx, in))
	id := aws.ToString(out.FleetId)
	if !fleetIDRe.MatchString(id) {
		t.Errorf("fleet ID %q: want fleet- and a UUID", id)
	}
	// Priority 1 (t3.nano) first: it takes the whole target.
	if diff := cmp.Diff([]string{"t3.nano:t3.nano/:1:3:on-demand"}, fleetSummary(out.Instances, out.Errors)); diff != "" {
		t.Errorf("CreateFleet (-want +got):\n%s", diff)
	}
	ids := out.Instances[0].InstanceIds
	di := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids}))
	for _, r := range di.Reservations {
		for _, inst := range r.Instances {
			want := map[string]string{"Name": "web", "env": "fleet", "aws:ec2:fleet-id": id,
				"aws:ec2launchtemplate:id": lt, "aws:ec2launchtemplate:version": "1"}
			if diff := cmp.Diff(want, testutil.TagMap(inst.Tags)); diff != "" {
				t.Errorf("%s tags (-want +got):\n%s", aws.ToString(inst.InstanceId), diff)
			}
			if inst.InstanceType != types.InstanceTypeT3Nano {
				t.Errorf("%s: type %s, want t3.nano", aws.ToString(inst.InstanceId), inst.InstanceType)
			}
		}
	}
	// The fleet tag finds them, as on AWS.
	byTag := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("tag:aws:ec2:fleet-id"), Values: []string{id}}}}))
	if n := countInstances(byTag); n != 3 {
		t.Errorf("tag:aws:ec2:fleet-id finds %d instances, want 3", n)
	}

	df := must(c.DescribeFleets(ctx, &ec2.DescribeFleetsInput{FleetIds: []string{id}}))
	f := df.Fleets[0]
	got := fmt.Sprintf("%s %s %s %s %v %v %d %s %v %d %s %d", aws.ToString(f.FleetId), f.Type, f.FleetState, f.ActivityStatus,
		aws.ToFloat64(f.FulfilledCapacity), aws.ToFloat64(f.FulfilledOnDemandCapacity), aws.ToInt32(f.TargetCapacitySpecification.TotalTargetCapacity),
		f.TargetCapacitySpecification.DefaultTargetCapacityType, testutil.TagMap(f.Tags), len(f.Instances), f.OnDemandOptions.AllocationStrategy,
		len(f.LaunchTemplateConfigs[0].Overrides))
	if diff := cmp.Diff(id+" instant active fulfilled 3 3 3 on-demand map[team:a] 1 prioritized 2", got); diff != "" {
		t.Errorf("DescribeFleets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ids, f.Instances[0].InstanceIds); diff != "" {
		t.Errorf("DescribeFleets instances (-want +got):\n%s", diff)
	}

	// DescribeFleetInstances does not describe instant fleets, as on AWS.
	_, err := c.DescribeFleetInstances(ctx, &ec2.DescribeFleetInstancesInput{FleetId: &id})
	wantAPIError(t, err, "UnsupportedOperation", 400)

	// Deleting an instant fleet without terminating is refused per fleet.
	del := must(c.DeleteFleets(ctx, &ec2.DeleteFleetsInput{FleetIds: []string{id}, TerminateInstances: aws.Bool(false)}))
	if diff := cmp.Diff("0 unexpectedError", fmt.Sprintf("%d %s", len(del.SuccessfulFleetDeletions), deleteErrCodes(del))); diff != "" {
		t.Errorf("DeleteFleets without termination (-want +got):\n%s", diff)
	}
	del = must(c.DeleteFleets(ctx, &ec2.DeleteFleetsInput{FleetIds: []string{id, "fleet-00000000-0000-4000-8000-000000000000", "fleet-1"}, TerminateInstances: aws.Bool(true)}))
	s := del.SuccessfulFleetDeletions[0]
	got = fmt.Sprintf("%s %s %s %s", aws.ToString(s.FleetId), s.PreviousFleetState, s.CurrentFleetState, deleteErrCodes(del))
	if diff := cmp.Diff(id+" active deleted_terminating fleetIdDoesNotExist,fleetIdMalformed", got); diff != "" {
		t.Errorf("DeleteFleets (-want +got):\n%s", diff)
	}
	testutil.WaitStates(t, c, 10*time.Second, types.InstanceStateNameTerminated, ids...)
	df = must(c.DescribeFleets(ctx, &ec2.DescribeFleetsInput{Filters: []types.Filter{{Name: aws.String("fleet-state"), Values: []string{"deleted"}}}}))
	if len(df.Fleets) != 1 || aws.ToString(df.Fleets[0].FleetId) != id {
		t.Errorf("DescribeFleets fleet-state=deleted: %d fleets, want the deleted one", len(df.Fleets))
	}
	del = must(c.DeleteFleets(ctx, &ec2.DeleteFleetsInput{FleetIds: []string{id}, TerminateInstances: aws.Bool(true)}))
	if diff := cmp.Diff("fleetNotInDeletableState", deleteErrCodes(del)); diff != "" {
		t.Errorf("DeleteFleets again (-want +got):\n%s", diff)
	}
}

func deleteErrCodes(out *ec2.DeleteFleetsOutput) string {
	var codes []string
	for _, u := range out.UnsuccessfulFleetDeletions {
		codes = append(codes, string(u.Error.Code))
	}
	slices.Sort(codes)
	return strings.Join(codes, ",")
}

func countInstances(out *ec2.DescribeInstancesOutput) int {
	n := 0
	for _, r := range out.Reservations {
		n += len(r.Instances)
	}
	return n
}

// TestFleetPartial: overrides that cannot launch are the fleet's errorSet,
// and weights count capacity per instance.
func TestFleetPartial(t *testing.T) {
	srv := ec2emutest.NewServer(t, mock.New(mock.WithDelay(0)), ec2emu.WithInstanceLimit(5), ec2emu.WithCapacity(4))
	c, ctx := srv.Client, ctxT(t)
	lt := fleetLT(t, c)
	for _, tt := range []struct {
		name      string
		total     int32
		overrides []types.FleetLaunchTemplateOverridesRequest
		want      []string
		activity  types.FleetActivityStatus
		fulfilled float64
	}{
		{"unknown subnet, then weight 2", 3, []types.FleetLaunchTemplateOverridesRequest{
			{InstanceType: types.InstanceTypeT3Small, SubnetId: aws.String("subnet-0123456789abcdef0")},
			{InstanceType: types.InstanceTypeT3Micro, WeightedCapacity: aws.Float64(2)},
		}, []string{"t3.micro:t3.micro/:1:2:on-demand", "error:t3.small/subnet-0123456789abcdef0:InvalidSubnetID.NotFound:on-demand"}, types.FleetActivityStatusFulfilled, 4},
		{"over the instance limit: RunInstances refuses the pool", 4, []types.FleetLaunchTemplateOverridesRequest{
			{InstanceType: types.InstanceTypeT3Nano},
		}, []string{"error:t3.nano/:InstanceLimitExceeded:on-demand"}, types.FleetActivityStatusError, 0},
		{"capacity for 2 of 3: the rest is the pool's error", 3, []types.FleetLaunchTemplateOverridesRequest{
			{InstanceType: types.InstanceTypeT3Nano},
		}, []string{"t3.nano:t3.nano/:1:2:on-demand", "error:t3.nano/:InsufficientInstanceCapacity:on-demand"}, types.FleetActivityStatusError, 2},
		{"tiny weight: a count the quota refuses", 3, []types.FleetLaunchTemplateOverridesRequest{{InstanceType: types.InstanceTypeT3Nano, WeightedCapacity: aws.Float64(1e-300)}},
			[]string{"error:t3.nano/:InstanceLimitExceeded:on-demand"}, types.FleetActivityStatusError, 0},
		{"none left", 1, []types.FleetLaunchTemplateOverridesRequest{{InstanceType: types.InstanceTypeT3Nano}},
			[]string{"error:t3.nano/:InsufficientInstanceCapacity:on-demand"}, types.FleetActivityStatusError, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := must(c.CreateFleet(ctx, instantFleet(lt, tt.total, tt.overrides...)))
			if diff := cmp.Diff(tt.want, fleetSummary(out.Instances, out.Errors)); diff != "" {
				t.Errorf("CreateFleet (-want +got):\n%s", diff)
			}
			f := must(c.DescribeFleets(ctx, &ec2.DescribeFleetsInput{FleetIds: []string{aws.ToString(out.FleetId)}})).Fleets[0]
			got := fmt.Sprintf("%s %v %d", f.ActivityStatus, aws.ToFloat64(f.FulfilledCapacity), len(f.Errors))
			if diff := cmp.Diff(fmt.Sprintf("%s %v %d", tt.activity, tt.fulfilled, len(out.Errors)), got); diff != "" {
				t.Errorf("DescribeFleets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFleetErrors(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	lt := fleetLT(t, c)
	with := func(f func(in *ec2.CreateFleetInput)) *ec2.CreateFleetInput {
		in := instantFleet(lt, 1)
		f(in)
		return in
	}
	for _, tt := range []struct {
		name string
		in   *ec2.CreateFleetInput
		code string
	}{
		{"excess policy of an instant fleet", with(func(in *ec2.CreateFleetInput) {
			in.ExcessCapacityTerminationPolicy = types.FleetExcessCapacityTerminationPolicyTermination
		}), "InvalidParameterValue"},
		{"excess policy unknown", with(func(in *ec2.CreateFleetInput) {
			in.Type = types.FleetTypeMaintain
			in.ExcessCapacityTerminationPolicy = "some"
		}), "InvalidParameterValue"},
		{"valid until (not modelled)", with(func(in *ec2.CreateFleetInput) {
			in.Type = types.FleetTypeMaintain
			in.ValidUntil = aws.Time(time.Now().Add(time.Hour))
		}), "UnsupportedOperation"},
		{"spot over total", with(func(in *ec2.CreateFleetInput) { in.TargetCapacitySpecification.SpotTargetCapacity = aws.Int32(2) }), "InvalidParameterValue"},
		{"spot and on-demand over total", with(func(in *ec2.CreateFleetInput) {
			in.TargetCapacitySpecification.SpotTargetCapacity = aws.Int32(1)
			in.TargetCapacitySpecification.OnDemandTargetCapacity = aws.Int32(1)
		}), "InvalidParameterValue"},
		{"spot strategy", with(func(in *ec2.CreateFleetInput) {
			in.SpotOptions = &types.SpotOptionsRequest{AllocationStrategy: "cheapest"}
		}), "InvalidParameterValue"},
		{"spot options beyond the strategy", with(func(in *ec2.CreateFleetInput) {
			in.SpotOptions = &types.SpotOptionsRequest{MaxTotalPrice: aws.String("1")}
		}), "UnsupportedOperation"},
		{"instance requirements", with(func(in *ec2.CreateFleetInput) {
			in.LaunchTemplateConfigs[0].Overrides = []types.FleetLaunchTemplateOverridesRequest{{MaxPrice: aws.String("0.1")}}
		}), "UnsupportedOperation"},
		{"no default type", with(func(in *ec2.CreateFleetInput) { in.TargetCapacitySpecification.DefaultTargetCapacityType = "" }), "MissingParameter"},
		{"zero capacity", with(func(in *ec2.CreateFleetInput) { in.TargetCapacitySpecification.TotalTargetCapacity = aws.Int32(0) }), "InvalidParameterValue"},
		{"on-demand over total", with(func(in *ec2.CreateFleetInput) { in.TargetCapacitySpecification.OnDemandTargetCapacity = aws.Int32(2) }), "InvalidParameterValue"},
		{"unknown template", with(func(in *ec2.CreateFleetInput) {
			in.LaunchTemplateConfigs[0].LaunchTemplateSpecification.LaunchTemplateId = aws.String("lt-0123456789abcdef0")
		}), "InvalidLaunchTemplateId.NotFound"},
		{"malformed template", with(func(in *ec2.CreateFleetInput) {
			in.LaunchTemplateConfigs[0].LaunchTemplateSpecification.LaunchTemplateId = aws.String("lt-1")
		}), "InvalidLaunchTemplateId.Malformed"},
		{"unknown version", with(func(in *ec2.CreateFleetInput) {
			in.LaunchTemplateConfigs[0].LaunchTemplateSpecification.Version = aws.String("9")
		}), "InvalidLaunchTemplateId.VersionNotFound"},
		{"weight 0", with(func(in *ec2.CreateFleetInput) {
			in.LaunchTemplateConfigs[0].Overrides = []types.FleetLaunchTemplateOverridesRequest{{WeightedCapacity: aws.Float64(0)}}
		}), "InvalidParameterValue"},
		{"infinite weight", with(func(in *ec2.CreateFleetInput) {
			in.LaunchTemplateConfigs[0].Overrides = []types.FleetLaunchTemplateOverridesRequest{{WeightedCapacity: aws.Float64(math.Inf(1))}}
		}), "InvalidParameterValue"},
		{"malformed subnet", with(func(in *ec2.CreateFleetInput) {
			in.LaunchTemplateConfigs[0].Overrides = []types.FleetLaunchTemplateOverridesRequest{{SubnetId: aws.String("sn-1")}}
		}), "InvalidSubnetID.Malformed"},
		{"volume tags", with(func(in *ec2.CreateFleetInput) { in.TagSpecifications = tagSpec(types.ResourceTypeVolume, "a", "b") }), "InvalidParameterValue"},
		{"reserved tag", with(func(in *ec2.CreateFleetInput) { in.TagSpecifications = tagSpec(types.ResourceTypeFleet, "aws:x", "b") }), "InvalidParameterValue"},
		{"dry run", with(func(in *ec2.CreateFleetInput) { in.DryRun = aws.Bool(true) }), "DryRunOperation"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateFleet(ctx, tt.in)
			if diff := cmp.Diff(tt.code, apiCode(err)); diff != "" {
				t.Errorf("CreateFleet (-want +got):\n%s (%v)", diff, err)
			}
		})
	}
	// Nothing was launched or recorded by any of them.
	if n := countInstances(must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}))); n != 0 {
		t.Errorf("%d instances after refused fleets, want 0", n)
	}
	if n := len(must(c.DescribeFleets(ctx, &ec2.DescribeFleetsInput{})).Fleets); n != 0 {
		t.Errorf("%d fleets after refused requests, want 0", n)
	}

	for _, tt := range []struct {
		name string
		call func(context.Context) error
		code string
	}{
		{"DescribeFleets malformed", func(ctx context.Context) error {
			_, err := c.DescribeFleets(ctx, &ec2.DescribeFleetsInput{FleetIds: []string{"fleet-1"}})
			return err
		}, "InvalidFleetId.Malformed"},
		{"DescribeFleets unknown", func(ctx context.Context) error {
			_, err := c.DescribeFleets(ctx, &ec2.DescribeFleetsInput{FleetIds: []string{"fleet-00000000-0000-4000-8000-000000000000"}})
			return err
		}, "InvalidFleetId.NotFound"},
		{"DescribeFleetInstances malformed", func(ctx context.Context) error {
			_, err := c.DescribeFleetInstances(ctx, &ec2.DescribeFleetInstancesInput{FleetId: aws.String("fleet-1")})
			return err
		}, "InvalidFleetId.Malformed"},
		{"DescribeFleetInstances unknown", func(ctx context.Context) error {
			_, err := c.DescribeFleetInstances(ctx, &ec2.DescribeFleetInstancesInput{FleetId: aws.String("fleet-00000000-0000-4000-8000-000000000000")})
			return err
		}, "InvalidFleetId.NotFound"},
		{"DeleteFleets dry run", func(ctx context.Context) error {
			_, err := c.DeleteFleets(ctx, &ec2.DeleteFleetsInput{FleetIds: []string{"fleet-1"}, TerminateInstances: aws.Bool(true), DryRun: aws.Bool(true)})
			return err
		}, "DryRunOperation"},
		{"DeleteFleets too many", func(ctx context.Context) error {
			ids := make([]string, 126)
			for i := range ids {
				ids[i] = fmt.Sprintf("fleet-00000000-0000-4000-8000-%012d", i)
			}
			_, err := c.DeleteFleets(ctx, &ec2.DeleteFleetsInput{FleetIds: ids, TerminateInstances: aws.Bool(true)})
			return err
		}, "InvalidParameterValue"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.code, apiCode(tt.call(ctx))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFleetClientTokenAndPaging(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	lt := fleetLT(t, c)
	in := instantFleet(lt, 1)
	in.ClientToken = aws.String("tok")
	a := must(c.CreateFleet(ctx, in))
	b := must(c.CreateFleet(ctx, in))
	if aws.ToString(a.FleetId) != aws.ToString(b.FleetId) || len(b.Instances) != 1 {
		t.Errorf("same client token: fleets %s and %s", aws.ToString(a.FleetId), aws.ToString(b.FleetId))
	}
	in.TargetCapacitySpecification.TotalTargetCapacity = aws.Int32(2)
	_, err := c.CreateFleet(ctx, in)
	wantAPIError(t, err, "IdempotentParameterMismatch", 400)

	var want []string
	want = append(want, aws.ToString(a.FleetId))
	for range 5 {
		want = append(want, aws.ToString(must(c.CreateFleet(ctx, instantFleet(lt, 1))).FleetId))
	}
	var got []string
	p := ec2.NewDescribeFleetsPaginator(c, &ec2.DescribeFleetsInput{MaxResults: aws.Int32(5)})
	pages := 0
	for p.HasMorePages() {
		out := must(p.NextPage(ctx))
		pages++
		for _, f := range out.Fleets {
			got = append(got, aws.ToString(f.FleetId))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" || pages != 2 {
		t.Errorf("DescribeFleets pages (%d, want 2) (-want +got):\n%s", pages, diff)
	}
	for _, tt := range []struct {
		filter, value string
		want          int
	}{
		{"type", "instant", 6}, {"type", "maintain", 0}, {"fleet-state", "active", 6}, {"activity-status", "fulfilled", 6},
		{"replace-unhealthy-instances", "false", 6}, {"tag-key", "x", 0},
	} {
		out := must(c.DescribeFleets(ctx, &ec2.DescribeFleetsInput{Filters: []types.Filter{{Name: &tt.filter, Values: []string{tt.value}}}}))
		if len(out.Fleets) != tt.want {
			t.Errorf("filter %s=%s: %d fleets, want %d", tt.filter, tt.value, len(out.Fleets), tt.want)
		}
	}
	// CreateTags and DescribeTags know fleets.
	must(c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{want[1]}, Tags: []types.Tag{{Key: aws.String("x"), Value: aws.String("1")}}}))
	out := must(c.DescribeFleets(ctx, &ec2.DescribeFleetsInput{Filters: []types.Filter{{Name: aws.String("tag:x"), Values: []string{"1"}}}}))
	if len(out.Fleets) != 1 || aws.ToString(out.Fleets[0].FleetId) != want[1] {
		t.Errorf("tag:x=1: %d fleets", len(out.Fleets))
	}
	dt := must(c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []types.Filter{{Name: aws.String("resource-type"), Values: []string{"fleet"}}}}))
	if len(dt.Tags) != 1 || aws.ToString(dt.Tags[0].ResourceId) != want[1] {
		t.Errorf("DescribeTags resource-type=fleet: %d tags", len(dt.Tags))
	}
}

// barrierImages is a backend whose image listing, which RunInstances
// makes before taking the Server's lock, waits until n callers are in it
// or its deadline passes: it holds concurrent launches inside the window
// between a ClientToken check and the fleet's record.
type barrierImages struct {
	*mock.Backend
	n       int
	mu      *sync.Mutex
	arrived *int
	all     chan struct{}
}

func (b barrierImages) Images(ctx context.Context) ([]backend.Image, error) {
	b.mu.Lock()
	*b.arrived++
	if *b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
	case <-time.After(500 * time.Millisecond): // serialized callers arrive one at a time
	case <-ctx.Done():
	}
	return b.Backend.Images(ctx)
}

// TestFleetClientTokenConcurrent: retries racing with the same token make
// one fleet.
func TestFleetClientTokenConcurrent(t *testing.T) {
	b := barrierImages{Backend: mock.New(mock.WithDelay(0)), n: 2, mu: new(sync.Mutex), arrived: new(int), all: make(chan struct{})}
	srv := ec2emutest.NewServer(t, b)
	c, ctx := srv.Client, ctxT(t)
	lt := fleetLT(t, c)
	ids := make([]string, 2)
	errs := make(chan error, len(ids))
	for i := range ids {
		go func() {
			in := instantFleet(lt, 2)
			in.ClientToken = aws.String("same")
			out, err := c.CreateFleet(ctx, in)
			if err == nil {
				ids[i] = aws.ToString(out.FleetId)
			}
			errs <- err
		}()
	}
	for range ids {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if ids[0] != ids[1] {
		t.Errorf("fleet IDs %v, want one", ids)
	}
	if n := countInstances(must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}))); n != 2 {
		t.Errorf("%d instances, want the one fleet's 2", n)
	}
}

// TestFleetInstantSpot: an instant fleet's Spot part launches one-time Spot
// instances, each with its request; the On-Demand part does not.
func TestFleetInstantSpot(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	lt := fleetLT(t, c)
	in := instantFleet(lt, 3,
		types.FleetLaunchTemplateOverridesRequest{InstanceType: types.InstanceTypeT3Small, Priority: aws.Float64(2)},
		types.FleetLaunchTemplateOverridesRequest{InstanceType: types.InstanceTypeT3Nano, Priority: aws.Float64(1)})
	in.TargetCapacitySpecification.DefaultTargetCapacityType = types.DefaultTargetCapacityTypeSpot
	in.TargetCapacitySpecification.OnDemandTargetCapacity = aws.Int32(1)
	in.SpotOptions = &types.SpotOptionsRequest{AllocationStrategy: types.SpotAllocationStrategyCapacityOptimizedPrioritized}
	out := must(c.CreateFleet(ctx, in))
	want := []string{"t3.small:t3.small/:1:1:on-demand", "t3.nano:t3.nano/:1:2:spot"}
	if diff := cmp.Diff(want, fleetSummary(out.Instances, out.Errors)); diff != "" {
		t.Errorf("CreateFleet (-want +got):\n%s", diff)
	}
	var got []string
	for _, fi := range out.Instances {
		res := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: fi.InstanceIds}))
		for _, r := range res.Reservations {
			for _, i := range r.Instances {
				got = append(got, fmt.Sprintf("%s %s %v", i.InstanceType, i.InstanceLifecycle, i.SpotInstanceRequestId != nil))
			}
		}
	}
	if diff := cmp.Diff([]string{"t3.small  false", "t3.nano spot true", "t3.nano spot true"}, got); diff != "" {
		t.Errorf("the fleet's instances (-want +got):\n%s", diff)
	}
	f := must(c.DescribeFleets(ctx, &ec2.DescribeFleetsInput{FleetIds: []string{aws.ToString(out.FleetId)}})).Fleets[0]
	if s := fmt.Sprintf("%s %v %v %s", f.ActivityStatus, aws.ToFloat64(f.FulfilledCapacity), aws.ToFloat64(f.FulfilledOnDemandCapacity),
		f.SpotOptions.AllocationStrategy); s != "fulfilled 3 1 capacity-optimized-prioritized" {
		t.Errorf("DescribeFleets: %s", s)
	}
	if n := len(must(c.DescribeSpotInstanceRequests(ctx, &ec2.DescribeSpotInstanceRequestsInput{})).SpotInstanceRequests); n != 2 {
		t.Errorf("%d Spot requests, want 2", n)
	}
}
