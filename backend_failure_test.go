package ec2emu_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

// failingImages is a backend whose image listing fails with err.
type failingImages struct {
	*mock.Backend
	err error
}

func (f failingImages) Images(ctx context.Context) ([]backend.Image, error) { return nil, f.err }

// blockingStop is a backend whose Stop hangs until released.
type blockingStop struct {
	*mock.Backend
	release chan struct{}
}

func (b blockingStop) Stop(ctx context.Context, id string) error {
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.Backend.Stop(ctx, id)
}

func TestBackendErrorsMapToEC2Codes(t *testing.T) {
	tests := []struct {
		err    error
		code   string
		status int
	}{
		{errors.New("boom"), "InternalError", 500},
		{fmt.Errorf("dial unix /var/run/docker.sock: %w", backend.ErrUnavailable), "Unavailable", 503},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			srv := ec2emutest.NewServer(t, failingImages{mock.New(), tt.err})
			// No retries, so the test sees the first answer.
			c := ec2.New(srv.Client.Options(), func(o *ec2.Options) { o.RetryMaxAttempts = 1 })
			_, err := c.DescribeImages(ctxT(t), &ec2.DescribeImagesInput{})
			wantAPIError(t, err, tt.code, tt.status)
		})
	}
}

// A backend call in flight on one instance must not block requests about
// anything else: no lock is held across backend calls.
func TestSlowBackendDoesNotBlockDescribe(t *testing.T) {
	b := blockingStop{mock.New(mock.WithDelay(time.Millisecond)), make(chan struct{})}
	srv := ec2emutest.NewServer(t, b)
	c, ctx := srv.Client, ctxT(t)
	out := run(t, c, &ec2.RunInstancesInput{})
	id := *out.Instances[0].InstanceId
	fast := func(o *ec2.InstanceRunningWaiterOptions) {
		o.MinDelay, o.MaxDelay = 5*time.Millisecond, 20*time.Millisecond
	}
	if err := ec2.NewInstanceRunningWaiter(c, fast).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	// The stop hangs in the backend; describe and launch still answer.
	d, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if st := d.Reservations[0].Instances[0].State.Name; st != types.InstanceStateNameStopping {
		t.Errorf("state while the backend stops it: %s, want stopping", st)
	}
	run(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI)})
	close(b.release)
	stopped := func(o *ec2.InstanceStoppedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 5*time.Millisecond, 20*time.Millisecond
	}
	if err := ec2.NewInstanceStoppedWaiter(c, stopped).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestGetConsoleOutput(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	id := *run(t, c, &ec2.RunInstancesInput{}).Instances[0].InstanceId
	fast := func(o *ec2.InstanceRunningWaiterOptions) {
		o.MinDelay, o.MaxDelay = 5*time.Millisecond, 20*time.Millisecond
	}
	if err := ec2.NewInstanceRunningWaiter(c, fast).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetConsoleOutput(ctx, &ec2.GetConsoleOutputInput{InstanceId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Output) == "" || *out.InstanceId != id {
		t.Errorf("console output %+v: want base64 output for %s", out, id)
	}
}

// failingLaunch is a backend whose Launch fails with err.
type failingLaunch struct {
	*mock.Backend
	err error
}

func (f failingLaunch) Launch(ctx context.Context, spec backend.LaunchSpec) (backend.Machine, error) {
	return backend.Machine{}, f.err
}

// A launch that fails terminates the instance with the cause in its
// stateReason and as its console output, where the user looks, not only in
// the Server's log.
func TestLaunchFailureCauseIsShown(t *testing.T) {
	cause := `docker: launch: exec: "/bin/sh": stat /bin/sh: no such file or directory`
	srv := ec2emutest.NewServer(t, failingLaunch{mock.New(), errors.New(cause)})
	c, ctx := srv.Client, ctxT(t)
	id := *run(t, c, &ec2.RunInstancesInput{}).Instances[0].InstanceId
	fast := func(o *ec2.InstanceTerminatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 5*time.Millisecond, 20*time.Millisecond
	}
	if err := ec2.NewInstanceTerminatedWaiter(c, fast).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	want := &types.StateReason{Code: aws.String("Server.InternalError"), Message: aws.String("Server.InternalError: Internal error on launch: " + cause)}
	if diff := cmp.Diff(want, d.Reservations[0].Instances[0].StateReason, cmpopts.IgnoreUnexported(types.StateReason{})); diff != "" {
		t.Errorf("stateReason (-want +got):\n%s", diff)
	}
	out, err := c.GetConsoleOutput(ctx, &ec2.GetConsoleOutputInput{InstanceId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := base64.StdEncoding.DecodeString(aws.ToString(out.Output))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("ec2emu: launch failed: "+cause+"\n", string(got)); diff != "" {
		t.Errorf("console output (-want +got):\n%s", diff)
	}
}
