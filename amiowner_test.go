package ec2emu_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend/mock"
	_ "github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// TestAMIOwnership: an account deregisters only its own AMIs, as on AWS.
// Amazon's public AMIs (the mock's defaults, images tagged by hand on
// docker), shared by every account and namespace, are refused with
// AuthFailure and nothing is removed; another account's AMI does not exist
// for the caller. Tags on a public AMI are allowed, and each account sees
// only its own.
func TestAMIOwnership(t *testing.T) {
	t.Run("mock", func(t *testing.T) {
		srv := ec2emutest.NewServer(t, mock.New(mock.WithDelay(time.Millisecond)))
		checkAMIOwnership(t, srv, ubuntuAMI, nil)
	})
	t.Run("docker", func(t *testing.T) {
		cli := dockertest.Require(t)
		ami, ref := dockertest.UniqueAMI(t, cli)
		srv := ec2emutest.Open(t, "docker")
		checkAMIOwnership(t, srv, ami, func(ctx context.Context) bool {
			_, err := cli.ImageInspect(ctx, ref)
			return !cerrdefs.IsNotFound(err)
		})
	})
}

func checkAMIOwnership(t *testing.T, srv *ec2emutest.Server, public string, stillThere func(context.Context) bool) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	as := func(account string) *ec2.Client {
		return ec2.New(srv.Client.Options(), func(o *ec2.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider(account, "test", "")
			o.RetryMaxAttempts = 1
		})
	}
	a, b := as("111111111111"), as("222222222222")

	// An AMI of a's own, made by CreateImage.
	run, err := a.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(public), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	id := *run.Instances[0].InstanceId
	testutil.WaitStates(t, a, 2*time.Minute, types.InstanceStateNameRunning, id)
	img, err := a.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(id), Name: aws.String("owned-" + id), NoReboot: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	own := *img.ImageId
	if err := ec2.NewImageAvailableWaiter(a, func(o *ec2.ImageAvailableWaiterOptions) { o.MinDelay = 100 * time.Millisecond }).
		Wait(ctx, &ec2.DescribeImagesInput{ImageIds: []string{own}}, 2*time.Minute); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"deregister a public AMI", func() error {
			_, err := a.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(public)})
			return err
		}, "AuthFailure", 401},
		{"DryRun deregister of a public AMI", func() error {
			_, err := a.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(public), DryRun: aws.Bool(true)})
			return err
		}, "AuthFailure", 401},
		{"deregister another account's AMI", func() error {
			_, err := b.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(own)})
			return err
		}, "InvalidAMIID.NotFound", 400},
		{"tag another account's AMI", func() error {
			_, err := b.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{own}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("b")}}})
			return err
		}, "InvalidAMIID.NotFound", 400},
		{"untag another account's AMI", func() error {
			_, err := b.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{own}})
			return err
		}, "InvalidAMIID.NotFound", 400},
	} {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code, tt.status) })
	}
	if _, err := a.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(public)}); err == nil ||
		!containsAll(err.Error(), "Not authorized for image:"+public) {
		t.Errorf("refusal %v does not say AWS's %q", err, "Not authorized for image:"+public)
	}

	// Nothing was removed: the public AMI is still there for both accounts
	// (and in the engine), a's own still for a.
	for _, c := range []*ec2.Client{a, b} {
		if out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{public}}); err != nil || len(out.Images) != 1 {
			t.Errorf("DescribeImages %s after the refusals: %v, %v", public, out, err)
		}
	}
	if stillThere != nil && !stillThere(ctx) {
		t.Errorf("the engine's image of %s is gone", public)
	}
	if out, err := a.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{own}}); err != nil || len(out.Images) != 1 {
		t.Errorf("DescribeImages %s (own) after b's refusals: %v, %v", own, out, err)
	}

	// Tags on a public AMI: allowed, each account's own.
	tag := func(c *ec2.Client, v string) {
		if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{public}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String(v)}}}); err != nil {
			t.Errorf("CreateTags on a public AMI: %v", err)
		}
	}
	tag(a, "a")
	tag(b, "b")
	tags := func(c *ec2.Client) map[string]string {
		out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{public}})
		if err != nil || len(out.Images) != 1 {
			t.Fatalf("DescribeImages %s: %v, %v", public, out, err)
		}
		return testutil.TagMap(out.Images[0].Tags)
	}
	if diff := cmp.Diff([]map[string]string{{"k": "a"}, {"k": "b"}}, []map[string]string{tags(a), tags(b)}); diff != "" {
		t.Errorf("tags on the public AMI as a and b see them (-want +got):\n%s", diff)
	}
	if _, err := a.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{public}}); err != nil {
		t.Errorf("DeleteTags on a public AMI: %v", err)
	}
	if diff := cmp.Diff([]map[string]string{{}, {"k": "b"}}, []map[string]string{tags(a), tags(b)}); diff != "" {
		t.Errorf("after a deleted its tags (-want +got):\n%s", diff)
	}

	// The owner deregisters its own.
	if _, err := a.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(own)}); err != nil {
		t.Errorf("the owner's DeregisterImage: %v", err)
	}
	testutil.WaitStates(t, a, 2*time.Minute, types.InstanceStateNameTerminated, id)
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
