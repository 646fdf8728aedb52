package ec2emu_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/dockertest"
)

// TestRegisterAndCopyImageDocker: over docker, RegisterImage tags an image
// the engine has (ImageLocation=docker:<reference>) and CopyImage tags an
// AMI again in another region; instances launch from both, each image
// carries its own AMI labels, DeregisterImage removes their tags, and no
// helper container is left.
func TestRegisterAndCopyImageDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("docker")
	}
	cli := dockertest.Require(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	base, err := dockertest.BaseImage(ctx, cli)
	if err != nil {
		t.Fatal(err)
	}
	srv := ec2emutest.Open(t, "docker")
	east := inRegion(asAccount(srv, acctA), "us-east-1")
	west := inRegion(east, "us-west-2")
	suffix := strings.ToLower(dockertest.Namespace(t))

	regName := "ec2emu-reg-" + suffix
	reg, err := east.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String(regName), Description: aws.String("from the engine"),
		ImageLocation: aws.String("docker:" + base)})
	if err != nil {
		t.Fatal(err)
	}
	regID := aws.ToString(reg.ImageId)
	dockertest.RemoveImageOnCleanup(t, cli, dockertest.AMIRef(regName, regID))
	if diff := cmp.Diff(imageSummary{Name: regName, Description: "from the engine", Owner: acctA, State: "available", Tags: map[string]string{}},
		describeImage(ctx, t, east, regID)); diff != "" {
		t.Errorf("the registered image (-want +got):\n%s", diff)
	}

	cpName := "ec2emu-copy-" + suffix
	cp, err := west.CopyImage(ctx, &ec2.CopyImageInput{SourceRegion: aws.String("us-east-1"), SourceImageId: &regID, Name: aws.String(cpName)})
	if err != nil {
		t.Fatal(err)
	}
	cpID := aws.ToString(cp.ImageId)
	dockertest.RemoveImageOnCleanup(t, cli, dockertest.AMIRef(cpName, cpID))
	waitImageAvailable(ctx, t, west, cpID)

	// Each tag is an image of its own AMI: its ID and name in its labels.
	for id, ref := range map[string]string{regID: dockertest.AMIRef(regName, regID), cpID: dockertest.AMIRef(cpName, cpID)} {
		info, err := cli.ImageInspect(ctx, ref)
		if err != nil {
			t.Fatalf("the engine has no %s: %v", ref, err)
		}
		if got := info.Config.Labels[docker.LabelAMIID]; got != id {
			t.Errorf("%s's %s label = %q, want %s", ref, docker.LabelAMIID, got, id)
		}
	}
	launchable(ctx, t, east, regID)
	launchable(ctx, t, west, cpID)

	wantAPIError(t, func() error {
		_, err := east.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String("ec2emu-missing-" + suffix),
			ImageLocation: aws.String("docker:ec2emu-no-such-image:" + suffix)})
		return err
	}(), "InvalidParameterValue", 400)

	left, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", docker.LabelTagImage))})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range left {
		if v := c.Labels[docker.LabelTagImage]; v == regID || v == cpID {
			t.Errorf("TagImage left container %s (%s)", c.ID, v)
		}
	}

	for c, id := range map[*ec2.Client]string{east: regID, west: cpID} {
		if _, err := c.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: &id}); err != nil {
			t.Errorf("DeregisterImage %s: %v", id, err)
		}
	}
	for _, ref := range []string{dockertest.AMIRef(regName, regID), dockertest.AMIRef(cpName, cpID)} {
		if _, err := cli.ImageInspect(ctx, ref); !cerrdefs.IsNotFound(err) {
			t.Errorf("%s after DeregisterImage: %v, want not found", ref, err)
		}
	}
}
