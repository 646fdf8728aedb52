package ec2emu_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// recordingCalls is a mock that records the Reboot and CreateImage calls
// it gets, in order.
type recordingCalls struct {
	*mock.Backend
	mu    sync.Mutex
	calls []string
}

func (r *recordingCalls) note(call string) {
	r.mu.Lock()
	r.calls = append(r.calls, call)
	r.mu.Unlock()
}

func (r *recordingCalls) Reboot(ctx context.Context, id string) error {
	r.note("Reboot")
	return r.Backend.Reboot(ctx, id)
}

func (r *recordingCalls) CreateImage(ctx context.Context, id string, spec backend.ImageSpec) (backend.Image, error) {
	r.note("CreateImage")
	return r.Backend.CreateImage(ctx, id, spec)
}

// CreateImage reboots a running instance before the snapshot unless
// NoReboot, as AWS does by default; a stopped one has nothing to reboot.
func TestCreateImageReboots(t *testing.T) {
	tests := []struct {
		name     string
		noReboot *bool
		stopped  bool
		want     []string
	}{
		{"default", nil, false, []string{"Reboot", "CreateImage"}},
		{"NoReboot=false", aws.Bool(false), false, []string{"Reboot", "CreateImage"}},
		{"NoReboot=true", aws.Bool(true), false, []string{"CreateImage"}},
		{"stopped", nil, true, []string{"CreateImage"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &recordingCalls{Backend: mock.New(mock.WithDelay(time.Millisecond))}
			srv := ec2emutest.NewServer(t, b)
			c, ctx := srv.Client, ctxT(t)
			id := *run(t, c, &ec2.RunInstancesInput{}).Instances[0].InstanceId
			testutil.WaitStates(t, c, 30*time.Second, types.InstanceStateNameRunning, id)
			if tt.stopped {
				if _, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
					t.Fatal(err)
				}
				testutil.WaitStates(t, c, 30*time.Second, types.InstanceStateNameStopped, id)
			}
			img, err := c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(id), Name: aws.String(fmt.Sprintf("img-%d", i)), NoReboot: tt.noReboot})
			if err != nil {
				t.Fatal(err)
			}
			if err := ec2.NewImageAvailableWaiter(c, func(o *ec2.ImageAvailableWaiterOptions) {
				o.MinDelay, o.MaxDelay = 5*time.Millisecond, 20*time.Millisecond
			}).Wait(ctx, &ec2.DescribeImagesInput{ImageIds: []string{*img.ImageId}}, 30*time.Second); err != nil {
				t.Fatal(err)
			}
			b.mu.Lock()
			defer b.mu.Unlock()
			if diff := cmp.Diff(tt.want, b.calls); diff != "" {
				t.Errorf("backend calls (-want +got):\n%s", diff)
			}
		})
	}
}

// noImages is a mock that cannot make images and says so.
type noImages struct{ *mock.Backend }

func (noImages) MakesImages() bool { return false }

// A backend that reports it makes no images gets UnsupportedOperation at
// once, not an image that fails later; one that makes them is unaffected.
func TestCreateImageUnsupported(t *testing.T) {
	tests := []struct {
		name     string
		b        backend.Backend
		wantCode string
	}{
		{"makes no images", noImages{mock.New(mock.WithDelay(0))}, "UnsupportedOperation"},
		{"makes images", mock.New(mock.WithDelay(0)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ec2emutest.NewServer(t, tt.b)
			c, ctx := srv.Client, ctxT(t)
			id := *run(t, c, &ec2.RunInstancesInput{}).Instances[0].InstanceId
			testutil.WaitStates(t, c, 30*time.Second, types.InstanceStateNameRunning, id)
			_, err := c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(id), Name: aws.String("unsupported-check"), NoReboot: aws.Bool(true)})
			got := ""
			var ae interface{ ErrorCode() string }
			if errors.As(err, &ae) {
				got = ae.ErrorCode()
			} else if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tt.wantCode, got); diff != "" {
				t.Errorf("CreateImage error code (-want +got):\n%s", diff)
			}
		})
	}
}
