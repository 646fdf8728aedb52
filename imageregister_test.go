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
)

// TestRegisterImage: RegisterImage from an image the engine has
// (ImageLocation=docker:<reference>; the mock's engine images are its
// defaults, by name), and its refusals, over the mock.
func TestRegisterImage(t *testing.T) {
	srv := ec2emutest.NewServer(t, mock.New(mock.WithDelay(time.Millisecond)))
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	a, b := asAccount(srv, acctA), asAccount(srv, acctB)
	out, err := a.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String("from-engine"), Description: aws.String("registered"),
		ImageLocation: aws.String("docker:ubuntu-22.04-jammy-jellyfish"), Architecture: types.ArchitectureValuesX8664, RootDeviceName: aws.String("/dev/xvda"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeImage, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.ImageId)
	if diff := cmp.Diff(imageSummary{Name: "from-engine", Description: "registered", Owner: acctA, State: "available", Tags: map[string]string{"k": "v"}},
		describeImage(ctx, t, a, id)); diff != "" {
		t.Errorf("the registered image (-want +got):\n%s", diff)
	}
	if _, err := b.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}}); err == nil {
		t.Errorf("the registered image is visible to another account")
	}
	launchable(ctx, t, a, id)

	reg := func(mod func(*ec2.RegisterImageInput)) func() error {
		return func() error {
			in := &ec2.RegisterImageInput{Name: aws.String("err-image"), ImageLocation: aws.String("docker:ubuntu-22.04-jammy-jellyfish")}
			mod(in)
			_, err := a.RegisterImage(ctx, in)
			return err
		}
	}
	for _, tt := range []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"from a snapshot", reg(func(in *ec2.RegisterImageInput) {
			in.ImageLocation = nil
			in.RootDeviceName = aws.String("/dev/xvda")
			in.BlockDeviceMappings = []types.BlockDeviceMapping{{DeviceName: aws.String("/dev/xvda"), Ebs: &types.EbsBlockDevice{SnapshotId: aws.String("snap-0123456789abcdef0")}}}
		}), "InvalidSnapshot.NotFound", 400},
		{"no location", reg(func(in *ec2.RegisterImageInput) { in.ImageLocation = nil }), "MissingParameter", 400},
		{"S3 manifest", reg(func(in *ec2.RegisterImageInput) { in.ImageLocation = aws.String("my-bucket/image.manifest.xml") }), "UnsupportedOperation", 400},
		{"engine lacks it", reg(func(in *ec2.RegisterImageInput) { in.ImageLocation = aws.String("docker:no-such-image") }), "InvalidParameterValue", 400},
		{"name taken", reg(func(in *ec2.RegisterImageInput) { in.Name = aws.String("from-engine") }), "InvalidAMIName.Duplicate", 400},
		{"name malformed", reg(func(in *ec2.RegisterImageInput) { in.Name = aws.String("x") }), "InvalidAMIName.Malformed", 400},
		{"root device", reg(func(in *ec2.RegisterImageInput) { in.RootDeviceName = aws.String("/dev/sda1") }), "UnsupportedOperation", 400},
		{"kernel", reg(func(in *ec2.RegisterImageInput) { in.KernelId = aws.String("aki-12345678") }), "UnsupportedOperation", 400},
		{"tag spec for an instance", reg(func(in *ec2.RegisterImageInput) {
			in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}
		}), "InvalidParameterValue", 400},
		{"DryRun", reg(func(in *ec2.RegisterImageInput) { in.DryRun = aws.Bool(true) }), "DryRunOperation", 412},
	} {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code, tt.status) })
	}
	if ids := imageIDs(ctx, t, a, &ec2.DescribeImagesInput{Owners: []string{"self"}}); len(ids) != 1 || ids[0] != id {
		t.Errorf("a's images after the refusals: %v, want only %s", ids, id)
	}
}
