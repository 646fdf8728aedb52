package ec2emu_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

// hanging is a backend whose Images (when hangImages is set) and Stop never
// return by themselves: only their context ends them, which they report.
type hanging struct {
	*mock.Backend
	hangImages chan struct{} // closed: Images hangs from now on
	imagesDone chan error    // the context error a hung Images returned with
	stopDone   chan error    // the same for Stop
}

func newHanging() *hanging {
	return &hanging{Backend: mock.New(mock.WithDelay(time.Millisecond)), hangImages: make(chan struct{}),
		imagesDone: make(chan error, 16), stopDone: make(chan error, 16)}
}

func (h *hanging) Images(ctx context.Context) ([]backend.Image, error) {
	select {
	case <-h.hangImages:
		<-ctx.Done()
		h.imagesDone <- ctx.Err()
		return nil, ctx.Err()
	default:
		return h.Backend.Images(ctx)
	}
}

func (h *hanging) Stop(ctx context.Context, id string) error {
	<-ctx.Done()
	h.stopDone <- ctx.Err()
	return ctx.Err()
}

func recv(t *testing.T, ch chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("%s never returned", what)
		return nil
	}
}

// A backend call made while answering a request ends with the request: a
// client that gives up frees the Server's side too.
func TestHungBackendBoundedByRequest(t *testing.T) {
	h := newHanging()
	srv := ec2emutest.NewServer(t, h)
	close(h.hangImages)
	c := ec2.New(srv.Client.Options(), func(o *ec2.Options) { o.RetryMaxAttempts = 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("DescribeImages over a hung backend: %v, want the client's deadline", err)
	}
	if err := recv(t, h.imagesDone, "the hung Images call"); !errors.Is(err, context.Canceled) {
		t.Errorf("the hung Images call ended with %v, want its request's cancellation", err)
	}
}

// A background backend call is bounded by WithBackendTimeout: a stop that
// hangs gives up, and the instance goes back to running.
func TestHungBackgroundCallBoundedByTimeout(t *testing.T) {
	h := newHanging()
	srv := ec2emutest.NewServer(t, h, ec2emu.WithBackendTimeout(300*time.Millisecond))
	c, ctx := srv.Client, ctxT(t)
	id := *run(t, c, &ec2.RunInstancesInput{}).Instances[0].InstanceId
	fast := func(o *ec2.InstanceRunningWaiterOptions) {
		o.MinDelay, o.MaxDelay = 5*time.Millisecond, 20*time.Millisecond
	}
	if err := ec2.NewInstanceRunningWaiter(c, fast).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, h.stopDone, "the hung Stop call"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the hung Stop ended with %v, want the backend timeout", err)
	}
	if err := ec2.NewInstanceRunningWaiter(c, fast).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, 30*time.Second); err != nil {
		t.Errorf("after the stop timed out the instance did not go back to running: %v", err)
	}
	// And the instance is usable: the next call on it is not stuck behind the hung one.
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	term := func(o *ec2.InstanceTerminatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 5*time.Millisecond, 20*time.Millisecond
	}
	if err := ec2.NewInstanceTerminatedWaiter(c, term).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, 30*time.Second); err != nil {
		t.Error(err)
	}
}
