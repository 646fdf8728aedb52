package ec2emu_test

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

const ubuntuAMI = "ami-df5de72bdb3b"

func newServer(t *testing.T) (*ec2emutest.Server, *mock.Backend) {
	t.Helper()
	b := mock.New(mock.WithDelay(20 * time.Millisecond))
	return ec2emutest.NewServer(t, b), b
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantAPIError checks err is the EC2 error code with the HTTP status.
func wantAPIError(t *testing.T, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want API error %s", err, code)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	if diff := cmp.Diff([2]any{code, status}, [2]any{ae.ErrorCode(), re.HTTPStatusCode()}); diff != "" {
		t.Errorf("error (-want +got):\n%s\nmessage: %s", diff, ae.ErrorMessage())
	}
	if ae.ErrorMessage() == "" {
		t.Errorf("%s has an empty message", code)
	}
}

func waitOpts[T any](f func(*T)) func(*T) { return f }

func run(t *testing.T, c *ec2.Client, in *ec2.RunInstancesInput) *ec2.RunInstancesOutput {
	t.Helper()
	if in.ImageId == nil {
		in.ImageId = aws.String(ubuntuAMI)
	}
	if in.MinCount == nil {
		in.MinCount, in.MaxCount = aws.Int32(1), aws.Int32(1)
	}
	out, err := c.RunInstances(ctxT(t), in)
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	return out
}

func TestLifecycleWithWaiters(t *testing.T) {
	srv, b := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	key, err := c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("k1")})
	if err != nil {
		t.Fatal(err)
	}
	userData := "#!/bin/sh\necho hello\n"
	out := run(t, c, &ec2.RunInstancesInput{
		MinCount: aws.Int32(2), MaxCount: aws.Int32(3), KeyName: key.KeyName, InstanceType: types.InstanceTypeT3Micro,
		UserData: aws.String(base64.StdEncoding.EncodeToString([]byte(userData))),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance,
			Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("web 1")}}}},
	})
	if len(out.Instances) != 3 {
		t.Fatalf("launched %d instances, want MaxCount=3", len(out.Instances))
	}
	var ids []string
	for i, inst := range out.Instances {
		ids = append(ids, *inst.InstanceId)
		// pending, or running if an SDK retry replayed the ClientToken.
		st := inst.State.Name == types.InstanceStateNamePending || inst.State.Name == types.InstanceStateNameRunning
		got := [4]any{st, *inst.AmiLaunchIndex, inst.InstanceType, *inst.Tags[0].Value}
		want := [4]any{true, int32(i), types.InstanceTypeT3Micro, "web 1"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("instance %d (-want +got):\n%s", i, diff)
		}
	}
	fast := func(o *ec2.InstanceRunningWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	}
	if err := ec2.NewInstanceRunningWaiter(c, fast).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids}, 30*time.Second); err != nil {
		t.Fatalf("instance-running waiter: %v", err)
	}
	spec, ok := b.Spec(ids[0])
	if !ok {
		t.Fatal("backend has no machine for", ids[0])
	}
	if diff := cmp.Diff([2]string{userData, "k1"}, [2]string{string(spec.UserData), spec.KeyName}); diff != "" {
		t.Errorf("launch spec (-want +got):\n%s", diff)
	}
	if spec.PublicKey == "" {
		t.Error("public key of the key pair did not reach the backend")
	}
	if err := ec2.NewInstanceStatusOkWaiter(c, func(o *ec2.InstanceStatusOkWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	}).
		Wait(ctx, &ec2.DescribeInstanceStatusInput{InstanceIds: ids}, 30*time.Second); err != nil {
		t.Fatalf("instance-status-ok waiter: %v", err)
	}

	stop, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids[:1]})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([2]types.InstanceStateName{types.InstanceStateNameRunning, types.InstanceStateNameStopping},
		[2]types.InstanceStateName{stop.StoppingInstances[0].PreviousState.Name, stop.StoppingInstances[0].CurrentState.Name}); diff != "" {
		t.Errorf("stop state change (-want +got):\n%s", diff)
	}
	if err := ec2.NewInstanceStoppedWaiter(c, func(o *ec2.InstanceStoppedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	}).
		Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids[:1]}, 30*time.Second); err != nil {
		t.Fatalf("instance-stopped waiter: %v", err)
	}
	if _, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: ids[:1]}); err != nil {
		t.Fatal(err)
	}
	if err := ec2.NewInstanceRunningWaiter(c, fast).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids[:1]}, 30*time.Second); err != nil {
		t.Fatalf("instance-running after start: %v", err)
	}
	if _, err := c.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: ids[:1]}); err != nil {
		t.Fatal(err)
	}

	img, err := c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(ids[0]), Name: aws.String("my image (v1)")})
	if err != nil {
		t.Fatal(err)
	}
	if err := ec2.NewImageAvailableWaiter(c, func(o *ec2.ImageAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	}).
		Wait(ctx, &ec2.DescribeImagesInput{ImageIds: []string{*img.ImageId}}, 30*time.Second); err != nil {
		t.Fatalf("image-available waiter: %v", err)
	}
	self, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(self.Images) != 1 || *self.Images[0].ImageId != *img.ImageId || *self.Images[0].Name != "my image (v1)" {
		t.Fatalf("DescribeImages(Owner=self) = %+v, want only %s", self.Images, *img.ImageId)
	}
	from := run(t, c, &ec2.RunInstancesInput{ImageId: img.ImageId})
	if *from.Instances[0].ImageId != *img.ImageId {
		t.Errorf("launched from %s, want %s", *from.Instances[0].ImageId, *img.ImageId)
	}
	ids = append(ids, *from.Instances[0].InstanceId)

	term, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range term.TerminatingInstances {
		if ch.CurrentState.Name != types.InstanceStateNameShuttingDown {
			t.Errorf("%s: current state %s, want shutting-down", *ch.InstanceId, ch.CurrentState.Name)
		}
	}
	if err := ec2.NewInstanceTerminatedWaiter(c, func(o *ec2.InstanceTerminatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	}).
		Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids}, 30*time.Second); err != nil {
		t.Fatalf("instance-terminated waiter: %v", err)
	}
	// Terminate is idempotent, and terminated instances stay describable.
	again, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids[:1]})
	if err != nil {
		t.Fatal(err)
	}
	if got := again.TerminatingInstances[0].CurrentState.Name; got != types.InstanceStateNameTerminated {
		t.Errorf("second terminate: current state %s, want terminated", got)
	}
	if _, err := c.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: img.ImageId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{*img.ImageId}})
	wantAPIError(t, err, "InvalidAMIID.NotFound", 400)
}

func TestDrift(t *testing.T) {
	srv, b := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	out := run(t, c, &ec2.RunInstancesInput{MinCount: aws.Int32(2), MaxCount: aws.Int32(2)})
	ids := []string{*out.Instances[0].InstanceId, *out.Instances[1].InstanceId}
	fast := func(o *ec2.InstanceRunningWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	}
	if err := ec2.NewInstanceRunningWaiter(c, fast).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := b.Drift(ids[0], backend.StateStopped); err != nil {
		t.Fatal(err)
	}
	if err := b.Drift(ids[1], backend.StateTerminated); err != nil {
		t.Fatal(err)
	}
	got := map[string]types.InstanceStateName{}
	d, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Reservations {
		for _, i := range r.Instances {
			got[*i.InstanceId] = i.State.Name
		}
	}
	want := map[string]types.InstanceStateName{ids[0]: types.InstanceStateNameStopped, ids[1]: types.InstanceStateNameTerminated}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("states after drift (-want +got):\n%s", diff)
	}
}
