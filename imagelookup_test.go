package ec2emu_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

// countingImages is the mock with a CreateImage that waits for release, and
// counts its image listings.
type countingImages struct {
	*mock.Backend
	lists   *atomic.Int32
	release chan struct{}
}

func (b countingImages) Images(ctx context.Context) ([]backend.Image, error) {
	b.lists.Add(1)
	return b.Backend.Images(ctx)
}

func (b countingImages) CreateImage(ctx context.Context, id string, spec backend.ImageSpec) (backend.Image, error) {
	select {
	case <-b.release:
	case <-ctx.Done():
		return backend.Image{}, ctx.Err()
	}
	return b.Backend.CreateImage(ctx, id, spec)
}

// lookingImages adds a backend.ImageLooker to countingImages.
type lookingImages struct {
	countingImages
	lookups *atomic.Int32
}

func (b lookingImages) LookupImage(ctx context.Context, id string) (backend.Image, error) {
	b.lookups.Add(1)
	imgs, err := b.Backend.Images(ctx)
	if err != nil {
		return backend.Image{}, err
	}
	i := slices.IndexFunc(imgs, func(img backend.Image) bool { return img.ID == id })
	if i < 0 {
		return backend.Image{}, fmt.Errorf("image %s: %w", id, backend.ErrNotFound)
	}
	return imgs[i], nil
}

// RunInstances resolves its image the same way whether the backend looks
// images up one by one (backend.ImageLooker) or only lists them: the
// Server's own images (pending, other accounts') are merged in either way,
// another account's private AMI is AuthFailure, and an image the looker
// lacks is InvalidAMIID.NotFound, not an internal error. With a looker, no launch lists the backend's images.
func TestRunInstancesImageLookup(t *testing.T) {
	for _, looker := range []bool{false, true} {
		t.Run(map[bool]string{false: "Images", true: "ImageLooker"}[looker], func(t *testing.T) {
			var lists, lookups atomic.Int32
			ci := countingImages{mock.New(mock.WithDelay(time.Millisecond)), &lists, make(chan struct{})}
			var b backend.Backend = ci
			if looker {
				b = lookingImages{ci, &lookups}
			}
			srv := ec2emutest.NewServer(t, b)
			ctx := ctxT(t)
			as := func(account string) *ec2.Client {
				return ec2.New(srv.Client.Options(), func(o *ec2.Options) {
					o.Credentials = credentials.NewStaticCredentialsProvider(account, "test", "")
					o.RetryMaxAttempts = 1
				})
			}
			owner, other := as("111111111111"), as("222222222222")
			launch := func(c *ec2.Client, ami string) error {
				_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
				return err
			}

			src := run(t, owner, &ec2.RunInstancesInput{})
			srcID := *src.Instances[0].InstanceId
			if err := ec2.NewInstanceRunningWaiter(owner, func(o *ec2.InstanceRunningWaiterOptions) {
				o.MinDelay, o.MaxDelay = 5*time.Millisecond, 20*time.Millisecond
			}).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{srcID}}, 30*time.Second); err != nil {
				t.Fatal(err)
			}
			img, err := owner.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(srcID), Name: aws.String("lookup test")})
			if err != nil {
				t.Fatal(err)
			}
			// Pending: the Server knows the image, the backend not yet.
			wantAPIError(t, launch(owner, *img.ImageId), "InvalidAMIID.Unavailable", 400)
			// Another account's AMI, not shared: AuthFailure, as AWS answers.
			wantAPIError(t, launch(other, *img.ImageId), "AuthFailure", 401)
			wantAPIError(t, launch(owner, "ami-0000000000000dead"), "InvalidAMIID.NotFound", 400)

			close(ci.release)
			if err := ec2.NewImageAvailableWaiter(owner, func(o *ec2.ImageAvailableWaiterOptions) {
				o.MinDelay, o.MaxDelay = 5*time.Millisecond, 20*time.Millisecond
			}).Wait(ctx, &ec2.DescribeImagesInput{ImageIds: []string{*img.ImageId}}, 30*time.Second); err != nil {
				t.Fatal(err)
			}
			if err := launch(owner, *img.ImageId); err != nil {
				t.Errorf("launch from the available image: %v", err)
			}
			// Another account's image stays refused once the backend has it.
			wantAPIError(t, launch(other, *img.ImageId), "AuthFailure", 401)
			if err := launch(other, ubuntuAMI); err != nil {
				t.Errorf("launch of a public image by another account: %v", err)
			}

			if _, err := owner.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: img.ImageId}); err != nil {
				t.Fatal(err)
			}
			wantAPIError(t, launch(owner, *img.ImageId), "InvalidAMIID.NotFound", 400)

			// Launching lists the backend's images only without a looker.
			lists.Store(0)
			for range 3 {
				if err := launch(owner, ubuntuAMI); err != nil {
					t.Fatal(err)
				}
			}
			if got, want := lists.Load(), map[bool]int32{false: 3, true: 0}[looker]; got != want {
				t.Errorf("3 launches listed the backend's images %d times, want %d", got, want)
			}
			if looker && lookups.Load() == 0 {
				t.Error("the looker was never asked")
			}
		})
	}
}
