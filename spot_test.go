package ec2emu_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

var spotIDRe = regexp.MustCompile(`^sir-[0-9a-z]{8}$`)

// spotTestCapacity is the capacity of the servers of tests that leave a
// Spot request open: openSpotRequest asks for more, all or nothing.
const spotTestCapacity = 50

// openSpotRequest makes a Spot request that stays open for want of
// capacity (a launch group larger than spotTestCapacity), and returns its
// ID.
func openSpotRequest(t *testing.T, c *ec2.Client) string {
	t.Helper()
	out := must(c.RequestSpotInstances(ctxT(t), &ec2.RequestSpotInstancesInput{InstanceCount: aws.Int32(spotTestCapacity + 1),
		LaunchGroup:         aws.String("all"),
		LaunchSpecification: &types.RequestSpotLaunchSpecification{ImageId: aws.String(ubuntuAMI), InstanceType: types.InstanceTypeT3Nano}}))
	id := aws.ToString(out.SpotInstanceRequests[0].SpotInstanceRequestId)
	// Cancel all but the first, so a Describe of everything stays short.
	var rest []string
	for _, r := range out.SpotInstanceRequests[1:] {
		rest = append(rest, aws.ToString(r.SpotInstanceRequestId))
	}
	must(c.CancelSpotInstanceRequests(ctxT(t), &ec2.CancelSpotInstanceRequestsInput{SpotInstanceRequestIds: rest}))
	return id
}

// spotState is a request's "state/status-code/instance?" summary.
func spotState(r types.SpotInstanceRequest) string {
	inst := ""
	if r.InstanceId != nil {
		inst = "/instance"
	}
	return string(r.State) + "/" + aws.ToString(r.Status.Code) + inst
}

func describeSpot(t *testing.T, c *ec2.Client, ids ...string) []types.SpotInstanceRequest {
	t.Helper()
	return must(c.DescribeSpotInstanceRequests(ctxT(t), &ec2.DescribeSpotInstanceRequestsInput{SpotInstanceRequestIds: ids})).SpotInstanceRequests
}

func TestRunInstancesSpot(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	out := run(t, c, &ec2.RunInstancesInput{MinCount: aws.Int32(2), MaxCount: aws.Int32(2),
		InstanceMarketOptions: &types.InstanceMarketOptionsRequest{MarketType: types.MarketTypeSpot,
			SpotOptions: &types.SpotMarketOptions{MaxPrice: aws.String("0.1"), SpotInstanceType: types.SpotInstanceTypeOneTime}},
		TagSpecifications: tagSpec(types.ResourceTypeSpotInstancesRequest, "team", "a")})
	var sirs, ids []string
	for _, inst := range out.Instances {
		if inst.InstanceLifecycle != types.InstanceLifecycleTypeSpot || !spotIDRe.MatchString(aws.ToString(inst.SpotInstanceRequestId)) {
			t.Fatalf("RunInstances: lifecycle %q, request %q; want spot, sir-…", inst.InstanceLifecycle, aws.ToString(inst.SpotInstanceRequestId))
		}
		sirs = append(sirs, aws.ToString(inst.SpotInstanceRequestId))
		ids = append(ids, aws.ToString(inst.InstanceId))
	}
	od := aws.ToString(run(t, c, &ec2.RunInstancesInput{}).Instances[0].InstanceId)
	testutil.WaitStates(t, c, time.Minute, "running", append(ids, od)...)

	reqs := describeSpot(t, c, sirs...)
	var got []string
	for _, r := range reqs {
		got = append(got, spotState(r)+" "+aws.ToString(r.SpotPrice)+" "+aws.ToString(r.LaunchSpecification.ImageId)+" "+aws.ToString(r.Tags[0].Value))
		if !slices.Contains(ids, aws.ToString(r.InstanceId)) {
			t.Errorf("request %s: instance %s, not one RunInstances launched", aws.ToString(r.SpotInstanceRequestId), aws.ToString(r.InstanceId))
		}
	}
	want := []string{"active/fulfilled/instance 0.100000 " + ubuntuAMI + " a", "active/fulfilled/instance 0.100000 " + ubuntuAMI + " a"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DescribeSpotInstanceRequests (-want +got):\n%s", diff)
	}

	// The instance filters.
	for _, tt := range []struct {
		filter types.Filter
		want   []string
	}{
		{types.Filter{Name: aws.String("instance-lifecycle"), Values: []string{"spot"}}, ids},
		{types.Filter{Name: aws.String("spot-instance-request-id"), Values: sirs[1:]}, ids[1:]},
	} {
		res := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{tt.filter}}))
		var got []string
		for _, r := range res.Reservations {
			for _, i := range r.Instances {
				got = append(got, aws.ToString(i.InstanceId))
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("DescribeInstances %s (-want +got):\n%s", aws.ToString(tt.filter.Name), diff)
		}
	}

	// A one-time Spot instance cannot be stopped; terminating it closes
	// its request.
	_, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids[:1]})
	wantAPIError(t, err, "UnsupportedOperation", http.StatusBadRequest)
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids[:1]}))
	testutil.WaitStates(t, c, time.Minute, "terminated", ids[0])
	r := describeSpot(t, c, sirs[0])[0]
	if got, want := spotState(r), "closed/instance-terminated-by-user/instance"; got != want {
		t.Errorf("after TerminateInstances: %s, want %s", got, want)
	}
}

func TestRunInstancesSpotRefused(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	spot := func(o *types.SpotMarketOptions) *types.InstanceMarketOptionsRequest {
		return &types.InstanceMarketOptionsRequest{MarketType: types.MarketTypeSpot, SpotOptions: o}
	}
	for _, tt := range []struct {
		name string
		mo   *types.InstanceMarketOptionsRequest
		code string
	}{
		{"block duration", spot(&types.SpotMarketOptions{BlockDurationMinutes: aws.Int32(60)}), "InvalidParameterValue"},
		{"persistent terminate", spot(&types.SpotMarketOptions{SpotInstanceType: types.SpotInstanceTypePersistent}), "InvalidParameterCombination"},
		{"persistent stop", spot(&types.SpotMarketOptions{SpotInstanceType: types.SpotInstanceTypePersistent,
			InstanceInterruptionBehavior: types.InstanceInterruptionBehaviorStop}), "UnsupportedOperation"},
		{"one-time hibernate", spot(&types.SpotMarketOptions{InstanceInterruptionBehavior: types.InstanceInterruptionBehaviorHibernate}), "InvalidParameterCombination"},
		{"bad price", spot(&types.SpotMarketOptions{MaxPrice: aws.String("cheap")}), "InvalidParameterValue"},
		{"end date of a one-time request", spot(&types.SpotMarketOptions{ValidUntil: aws.Time(time.Now().Add(time.Hour))}), "InvalidParameterCombination"},
		{"capacity block", &types.InstanceMarketOptionsRequest{MarketType: types.MarketTypeCapacityBlock}, "UnsupportedOperation"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
				InstanceMarketOptions: tt.mo})
			wantAPIError(t, err, tt.code, http.StatusBadRequest)
		})
	}
	if n := len(describeSpot(t, c)); n != 0 {
		t.Errorf("refused launches left %d Spot requests", n)
	}
}

func TestRequestSpotInstances(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	in := &ec2.RequestSpotInstancesInput{InstanceCount: aws.Int32(2), SpotPrice: aws.String("0.02"), ClientToken: aws.String("tok"),
		LaunchSpecification: &types.RequestSpotLaunchSpecification{ImageId: aws.String(ubuntuAMI), InstanceType: types.InstanceTypeT3Small},
		TagSpecifications:   tagSpec(types.ResourceTypeSpotInstancesRequest, "Name", "batch")}
	out := must(c.RequestSpotInstances(ctx, in))
	var sirs []string
	for _, r := range out.SpotInstanceRequests {
		if got, want := spotState(r), "open/pending-evaluation"; got != want {
			t.Errorf("RequestSpotInstances answered %s, want %s", got, want)
		}
		sirs = append(sirs, aws.ToString(r.SpotInstanceRequestId))
	}
	if len(sirs) != 2 {
		t.Fatalf("RequestSpotInstances made %d requests, want 2", len(sirs))
	}
	// A retry with the same token makes nothing new.
	again := must(c.RequestSpotInstances(ctx, in))
	if got := []string{aws.ToString(again.SpotInstanceRequests[0].SpotInstanceRequestId), aws.ToString(again.SpotInstanceRequests[1].SpotInstanceRequestId)}; !cmp.Equal(sirs, got) {
		t.Errorf("retry answered %v, want %v", got, sirs)
	}
	in2 := *in
	in2.InstanceCount = aws.Int32(3)
	_, err := c.RequestSpotInstances(ctx, &in2)
	wantAPIError(t, err, "IdempotentParameterMismatch", http.StatusBadRequest)

	reqs := describeSpot(t, c)
	var insts []string
	for _, r := range reqs {
		if got, want := spotState(r), "active/fulfilled/instance"; got != want {
			t.Errorf("%s: %s, want %s", aws.ToString(r.SpotInstanceRequestId), got, want)
		}
		insts = append(insts, aws.ToString(r.InstanceId))
	}
	testutil.WaitStates(t, c, time.Minute, "running", insts...)
	for _, tt := range []struct {
		filters []types.Filter
		want    int
	}{
		{[]types.Filter{{Name: aws.String("state"), Values: []string{"active"}}}, 2},
		{[]types.Filter{{Name: aws.String("status-code"), Values: []string{"fulfilled"}}}, 2},
		{[]types.Filter{{Name: aws.String("instance-id"), Values: insts[:1]}}, 1},
		{[]types.Filter{{Name: aws.String("launch.instance-type"), Values: []string{"t3.small"}}}, 2},
		{[]types.Filter{{Name: aws.String("launch.image-id"), Values: []string{"ami-00000000"}}}, 0},
		{[]types.Filter{{Name: aws.String("spot-price"), Values: []string{"0.020000"}}}, 2},
		{[]types.Filter{{Name: aws.String("type"), Values: []string{"one-time"}}}, 2},
		{[]types.Filter{{Name: aws.String("tag:Name"), Values: []string{"batch"}}}, 2},
		{[]types.Filter{{Name: aws.String("tag-key"), Values: []string{"other"}}}, 0},
		{[]types.Filter{{Name: aws.String("launched-availability-zone"), Values: []string{aws.ToString(reqs[0].LaunchedAvailabilityZone)}}}, 2},
	} {
		got := must(c.DescribeSpotInstanceRequests(ctx, &ec2.DescribeSpotInstanceRequestsInput{Filters: tt.filters}))
		if len(got.SpotInstanceRequests) != tt.want {
			t.Errorf("filter %s: %d requests, want %d", aws.ToString(tt.filters[0].Name), len(got.SpotInstanceRequests), tt.want)
		}
	}
	// Paging.
	page := must(c.DescribeSpotInstanceRequests(ctx, &ec2.DescribeSpotInstanceRequestsInput{MaxResults: aws.Int32(5)}))
	if len(page.SpotInstanceRequests) != 2 || page.NextToken != nil {
		t.Errorf("MaxResults 5: %d requests, next %v", len(page.SpotInstanceRequests), page.NextToken)
	}

	// Cancelling leaves the instance running.
	cancel := must(c.CancelSpotInstanceRequests(ctx, &ec2.CancelSpotInstanceRequestsInput{SpotInstanceRequestIds: sirs[:1]}))
	if got := cancel.CancelledSpotInstanceRequests[0].State; got != types.CancelSpotInstanceRequestStateCancelled {
		t.Errorf("CancelSpotInstanceRequests: state %s", got)
	}
	r := describeSpot(t, c, sirs[0])[0]
	if got, want := spotState(r), "cancelled/request-canceled-and-instance-running/instance"; got != want {
		t.Errorf("after cancel: %s, want %s", got, want)
	}
	testutil.WaitStates(t, c, time.Minute, "running", aws.ToString(r.InstanceId))
	// Its instance terminated later: the request stays cancelled and says so.
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(r.InstanceId)}}))
	if got, want := spotState(describeSpot(t, c, sirs[0])[0]), "cancelled/instance-terminated-by-user/instance"; got != want {
		t.Errorf("after terminating a cancelled request's instance: %s, want %s", got, want)
	}

	// Tags through CreateTags, DeleteTags and DescribeTags.
	must(c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: sirs[1:], Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))
	must(c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: sirs[1:], Tags: []types.Tag{{Key: aws.String("Name")}}}))
	tags := must(c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []types.Filter{{Name: aws.String("resource-type"), Values: []string{"spot-instances-request"}}}}))
	var gotTags []string
	for _, tg := range tags.Tags {
		gotTags = append(gotTags, aws.ToString(tg.ResourceId)+":"+aws.ToString(tg.Key))
	}
	wantTags := []string{sirs[0] + ":Name", sirs[1] + ":k"}
	slices.Sort(wantTags)
	if diff := cmp.Diff(wantTags, gotTags); diff != "" {
		t.Errorf("DescribeTags (-want +got):\n%s", diff)
	}
}

func TestSpotRequestOpenAndErrors(t *testing.T) {
	srv := ec2emutest.NewServer(t, mock.New(mock.WithDelay(0)), ec2emu.WithCapacity(spotTestCapacity))
	c, ctx := srv.Client, ctxT(t)
	id := openSpotRequest(t, c)
	r := describeSpot(t, c, id)[0]
	if got, want := spotState(r), "open/launch-group-constraint"; got != want {
		t.Errorf("open request: %s, want %s", got, want)
	}
	must(c.CancelSpotInstanceRequests(ctx, &ec2.CancelSpotInstanceRequestsInput{SpotInstanceRequestIds: []string{id}}))
	if got, want := spotState(describeSpot(t, c, id)[0]), "cancelled/canceled-before-fulfillment"; got != want {
		t.Errorf("cancelled open request: %s, want %s", got, want)
	}

	for _, tt := range []struct {
		name string
		call func() error
		code string
	}{
		{"describe malformed", func() error {
			_, err := c.DescribeSpotInstanceRequests(ctx, &ec2.DescribeSpotInstanceRequestsInput{SpotInstanceRequestIds: []string{"sr-1"}})
			return err
		}, "InvalidSpotInstanceRequestID.Malformed"},
		{"describe unknown", func() error {
			_, err := c.DescribeSpotInstanceRequests(ctx, &ec2.DescribeSpotInstanceRequestsInput{SpotInstanceRequestIds: []string{"sir-00000000"}})
			return err
		}, "InvalidSpotInstanceRequestID.NotFound"},
		{"cancel unknown", func() error {
			_, err := c.CancelSpotInstanceRequests(ctx, &ec2.CancelSpotInstanceRequestsInput{SpotInstanceRequestIds: []string{"sir-00000000"}})
			return err
		}, "InvalidSpotInstanceRequestID.NotFound"},
		{"tag unknown", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"sir-00000000"}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, "InvalidSpotInstanceRequestID.NotFound"},
		{"persistent", func() error {
			_, err := c.RequestSpotInstances(ctx, &ec2.RequestSpotInstancesInput{Type: types.SpotInstanceTypePersistent,
				LaunchSpecification: &types.RequestSpotLaunchSpecification{ImageId: aws.String(ubuntuAMI)}})
			return err
		}, "UnsupportedOperation"},
		{"valid from later", func() error {
			_, err := c.RequestSpotInstances(ctx, &ec2.RequestSpotInstancesInput{ValidFrom: aws.Time(time.Now().Add(time.Hour)),
				LaunchSpecification: &types.RequestSpotLaunchSpecification{ImageId: aws.String(ubuntuAMI)}})
			return err
		}, "UnsupportedOperation"},
		{"block duration", func() error {
			_, err := c.RequestSpotInstances(ctx, &ec2.RequestSpotInstancesInput{BlockDurationMinutes: aws.Int32(60),
				LaunchSpecification: &types.RequestSpotLaunchSpecification{ImageId: aws.String(ubuntuAMI)}})
			return err
		}, "InvalidParameterValue"},
		{"one-time stop", func() error {
			_, err := c.RequestSpotInstances(ctx, &ec2.RequestSpotInstancesInput{InstanceInterruptionBehavior: types.InstanceInterruptionBehaviorStop,
				LaunchSpecification: &types.RequestSpotLaunchSpecification{ImageId: aws.String(ubuntuAMI)}})
			return err
		}, "InvalidParameterCombination"},
		{"unknown image", func() error {
			_, err := c.RequestSpotInstances(ctx, &ec2.RequestSpotInstancesInput{
				LaunchSpecification: &types.RequestSpotLaunchSpecification{ImageId: aws.String("ami-0123456789abcdef0")}})
			return err
		}, "InvalidAMIID.NotFound"},
		{"dry run", func() error {
			_, err := c.RequestSpotInstances(ctx, &ec2.RequestSpotInstancesInput{DryRun: aws.Bool(true),
				LaunchSpecification: &types.RequestSpotLaunchSpecification{ImageId: aws.String(ubuntuAMI)}})
			return err
		}, "DryRunOperation"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			status := http.StatusBadRequest
			if tt.code == "DryRunOperation" {
				status = http.StatusPreconditionFailed
			}
			wantAPIError(t, err, tt.code, status)
		})
	}
}

// TestSpotSurvivesRestart: an instance's lifecycle and its request.
func TestSpotSurvivesRestart(t *testing.T) {
	st := newStateful(t, mock.New(mock.WithDelay(time.Millisecond)))
	out := run(t, st.c, &ec2.RunInstancesInput{InstanceMarketOptions: &types.InstanceMarketOptionsRequest{MarketType: types.MarketTypeSpot}})
	id := aws.ToString(out.Instances[0].InstanceId)
	testutil.WaitStates(t, st.c, time.Minute, "running", id)
	st.restart(false)
	inst := must(st.c.DescribeInstances(ctxT(t), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})).Reservations[0].Instances[0]
	if inst.InstanceLifecycle != types.InstanceLifecycleTypeSpot || aws.ToString(inst.SpotInstanceRequestId) != aws.ToString(out.Instances[0].SpotInstanceRequestId) {
		t.Errorf("after a restart: lifecycle %q, request %q", inst.InstanceLifecycle, aws.ToString(inst.SpotInstanceRequestId))
	}
	if got, want := spotState(describeSpot(t, st.c)[0]), "active/fulfilled/instance"; got != want {
		t.Errorf("after a restart: %s, want %s", got, want)
	}
}

// TestSpotLifecycleAdopted: without a state directory a restarted Server
// re-adopts a Spot instance from its machine's launch metadata, still Spot.
// Its request is not kept (docs/spot.md).
func TestSpotLifecycleAdopted(t *testing.T) {
	b := mock.New(mock.WithDelay(time.Millisecond))
	t.Cleanup(func() { b.Close() })
	first := ec2emu.New(b)
	hs := httptest.NewServer(first)
	t.Cleanup(hs.Close)
	<-first.Ready()
	c := ec2emutest.Client(hs.URL, "us-east-1")
	out := run(t, c, &ec2.RunInstancesInput{InstanceMarketOptions: &types.InstanceMarketOptionsRequest{MarketType: types.MarketTypeSpot}})
	id, sir := aws.ToString(out.Instances[0].InstanceId), aws.ToString(out.Instances[0].SpotInstanceRequestId)
	testutil.WaitStates(t, c, time.Minute, "running", id)
	first.Close()

	second := ec2emu.New(b)
	t.Cleanup(func() { second.Close() })
	hs2 := httptest.NewServer(second)
	t.Cleanup(hs2.Close)
	select {
	case <-second.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("server not ready")
	}
	c2 := ec2emutest.Client(hs2.URL, "us-east-1")
	inst := must(c2.DescribeInstances(ctxT(t), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})).Reservations[0].Instances[0]
	if got := string(inst.InstanceLifecycle) + " " + aws.ToString(inst.SpotInstanceRequestId); got != "spot "+sir {
		t.Errorf("adopted: %q, want %q", got, "spot "+sir)
	}
}

// TestSpotFromLaunchTemplate: a template's InstanceMarketOptions and its
// spot-instances-request tags make RunInstances from it a Spot launch.
func TestSpotFromLaunchTemplate(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	lt := must(c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("spot"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(ubuntuAMI),
			InstanceMarketOptions: &types.LaunchTemplateInstanceMarketOptionsRequest{MarketType: types.MarketTypeSpot,
				SpotOptions: &types.LaunchTemplateSpotMarketOptionsRequest{MaxPrice: aws.String("0.5")}},
			TagSpecifications: []types.LaunchTemplateTagSpecificationRequest{{ResourceType: types.ResourceTypeSpotInstancesRequest,
				Tags: []types.Tag{{Key: aws.String("from"), Value: aws.String("lt")}}}}}}))
	out := must(c.RunInstances(ctx, &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId}}))
	if got := out.Instances[0].InstanceLifecycle; got != types.InstanceLifecycleTypeSpot {
		t.Fatalf("InstanceLifecycle %q, want spot", got)
	}
	r := describeSpot(t, c)[0]
	if got := aws.ToString(r.SpotPrice) + " " + testutil.TagMap(r.Tags)["from"]; got != "0.500000 lt" {
		t.Errorf("the request: %s, want 0.500000 lt", got)
	}
}
