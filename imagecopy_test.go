package ec2emu_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

func inRegion(c *ec2.Client, region string) *ec2.Client {
	return ec2.New(c.Options(), func(o *ec2.Options) { o.Region = region })
}

// imageSummary is what a test compares of an image.
type imageSummary struct {
	Name, Description, Owner, State string
	Public                          bool
	Tags                            map[string]string
}

func describeImage(ctx context.Context, t *testing.T, c *ec2.Client, id string) imageSummary {
	t.Helper()
	out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	if err != nil {
		t.Fatalf("DescribeImages %s: %v", id, err)
	}
	img := out.Images[0]
	return imageSummary{aws.ToString(img.Name), aws.ToString(img.Description), aws.ToString(img.OwnerId), string(img.State),
		aws.ToBool(img.Public), testutil.TagMap(img.Tags)}
}

// launchable launches one instance of ami with c, waits until it runs and
// terminates it.
func launchable(ctx context.Context, t *testing.T, c *ec2.Client, ami string) {
	t.Helper()
	run, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: &ami, MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if err != nil {
		t.Fatalf("RunInstances of %s: %v", ami, err)
	}
	id := aws.ToString(run.Instances[0].InstanceId)
	testutil.WaitStates(t, c, 2*time.Minute, types.InstanceStateNameRunning, id)
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitStates(t, c, 2*time.Minute, types.InstanceStateNameTerminated, id)
}

// TestCopyImage: CopyImage across regions of one emulator over the mock,
// with its errors.
func TestCopyImage(t *testing.T) {
	srv := ec2emutest.NewServer(t, mock.New(mock.WithDelay(time.Millisecond)))
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	a, b := inRegion(asAccount(srv, acctA), "us-east-1"), inRegion(asAccount(srv, acctB), "us-east-1")
	aw, bw := inRegion(a, "us-west-2"), inRegion(b, "us-west-2")
	own, _ := ownImage(ctx, t, a, ubuntuAMI, "copy-source")
	if _, err := a.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{own}, Tags: []types.Tag{
		{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}

	in := &ec2.CopyImageInput{SourceRegion: aws.String("us-east-1"), SourceImageId: &own, Name: aws.String("copied"),
		Description: aws.String("a copy"), ClientToken: aws.String("tok-1"), CopyImageTags: aws.Bool(true),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeImage, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}}}
	out, err := aw.CopyImage(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	cp := aws.ToString(out.ImageId)
	if cp == own {
		t.Fatalf("the copy has the source's ID %s", cp)
	}
	waitImageAvailable(ctx, t, aw, cp)
	want := imageSummary{Name: "copied", Description: "a copy", Owner: acctA, State: "available", Tags: map[string]string{"team": "a", "env": "prod"}}
	if diff := cmp.Diff(want, describeImage(ctx, t, aw, cp)); diff != "" {
		t.Errorf("the copy (-want +got):\n%s", diff)
	}
	// The same ClientToken answers the same copy.
	if again, err := aw.CopyImage(ctx, in); err != nil || aws.ToString(again.ImageId) != cp {
		t.Errorf("CopyImage again with the same token: %v, %v; want %s", again, err, cp)
	}
	// The copy lives in the destination region only, and is launched there.
	if _, err := a.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{cp}}); err == nil {
		t.Errorf("the copy is visible in the source region")
	}
	launchable(ctx, t, aw, cp)

	// A copy of Amazon's public AMI is the caller's own, private.
	pub, err := bw.CopyImage(ctx, &ec2.CopyImageInput{SourceRegion: aws.String("us-east-1"), SourceImageId: aws.String(ubuntuAMI), Name: aws.String("my-ubuntu")})
	if err != nil {
		t.Fatal(err)
	}
	waitImageAvailable(ctx, t, bw, aws.ToString(pub.ImageId))
	if diff := cmp.Diff(imageSummary{Name: "my-ubuntu", Owner: acctB, State: "available", Tags: map[string]string{}},
		describeImage(ctx, t, bw, aws.ToString(pub.ImageId))); diff != "" {
		t.Errorf("b's copy of the public AMI (-want +got):\n%s", diff)
	}
	if _, err := aw.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{aws.ToString(pub.ImageId)}}); err == nil {
		t.Errorf("b's copy is visible to a")
	}

	// b copies a's AMI only once it is shared with b.
	copyAs := func(c *ec2.Client, name string) error {
		_, err := c.CopyImage(ctx, &ec2.CopyImageInput{SourceRegion: aws.String("us-east-1"), SourceImageId: &own, Name: aws.String(name)})
		return err
	}
	wantAPIError(t, copyAs(bw, "b-copy"), "InvalidAMIID.NotFound", 400)
	if _, err := a.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: &own,
		LaunchPermission: &types.LaunchPermissionModifications{Add: []types.LaunchPermission{{UserId: aws.String(acctB)}}}}); err != nil {
		t.Fatal(err)
	}
	if err := copyAs(bw, "b-copy"); err != nil {
		t.Errorf("b's copy of the AMI shared with it: %v", err)
	}

	cpIn := func(mod func(*ec2.CopyImageInput)) func() error {
		return func() error {
			in := &ec2.CopyImageInput{SourceRegion: aws.String("us-east-1"), SourceImageId: &own, Name: aws.String("err-copy")}
			mod(in)
			_, err := aw.CopyImage(ctx, in)
			return err
		}
	}
	for _, tt := range []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"token reused for another copy", cpIn(func(in *ec2.CopyImageInput) { in.ClientToken = aws.String("tok-1") }), "IdempotentParameterMismatch", 400},
		{"unknown region", cpIn(func(in *ec2.CopyImageInput) { in.SourceRegion = aws.String("mars-1") }), "InvalidParameterValue", 400},
		{"malformed source", cpIn(func(in *ec2.CopyImageInput) { in.SourceImageId = aws.String("img-1") }), "InvalidAMIID.Malformed", 400},
		{"unknown source", cpIn(func(in *ec2.CopyImageInput) { in.SourceImageId = aws.String("ami-0123456789abcdef0") }), "InvalidAMIID.NotFound", 400},
		{"source in another region", cpIn(func(in *ec2.CopyImageInput) { in.SourceImageId = aws.String(cp) }), "InvalidAMIID.NotFound", 400},
		{"name taken", cpIn(func(in *ec2.CopyImageInput) { in.Name = aws.String("copied") }), "InvalidAMIName.Duplicate", 400},
		{"name malformed", cpIn(func(in *ec2.CopyImageInput) { in.Name = aws.String("x") }), "InvalidAMIName.Malformed", 400},
		{"encrypted", cpIn(func(in *ec2.CopyImageInput) { in.Encrypted = aws.Bool(true) }), "UnsupportedOperation", 400},
		{"tag spec for an instance", cpIn(func(in *ec2.CopyImageInput) {
			in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}
		}), "InvalidParameterValue", 400},
		{"DryRun", cpIn(func(in *ec2.CopyImageInput) { in.DryRun = aws.Bool(true) }), "DryRunOperation", 412},
	} {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code, tt.status) })
	}
	// None of them made an image.
	if ids := imageIDs(ctx, t, aw, &ec2.DescribeImagesInput{Owners: []string{"self"}}); len(ids) != 1 || ids[0] != cp {
		t.Errorf("a's images in us-west-2 after the refusals: %v, want only %s", ids, cp)
	}
	if _, err := aw.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: &cp}); err != nil {
		t.Errorf("DeregisterImage of the copy: %v", err)
	}
}
