package main

import (
	"strings"
	"testing"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
)

// TestAWSCLIAMIOwnership: through the AWS CLI, deregistering a public AMI
// (the mock's default, or an image tagged by hand on docker) fails with
// AWS's AuthFailure and leaves it in place; tagging it works.
func TestAWSCLIAMIOwnership(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs the AWS CLI")
	}
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T) (ami string, env []string, stillThere func() bool)
	}{
		{"mock", func(t *testing.T) (string, []string, func() bool) {
			return "ami-df5de72bdb3b", []string{"EC2_VM_MANAGER=mock"}, nil
		}},
		{"docker", func(t *testing.T) (string, []string, func() bool) {
			cli := dockertest.Require(t)
			ami, ref := dockertest.UniqueAMI(t, cli)
			ns := dockertest.Namespace(t)
			dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
			return ami, []string{"EC2_VM_MANAGER=docker", "EC2EMU_NAMESPACE=" + ns, "EC2_METADATA_NETWORK=off"}, func() bool {
				_, err := cli.ImageInspect(t.Context(), ref)
				return err == nil
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ami, env, stillThere := tt.setup(t)
			endpoint := startServer(t, env...)
			aws := awsCLI(t, endpoint) // skips where the CLI is missing
			stderr := awsCLIFails(t, endpoint, "AuthFailure", "deregister-image", "--image-id", ami)
			for _, want := range []string{"DeregisterImage", "Not authorized for image:" + ami} {
				if !strings.Contains(stderr, want) {
					t.Errorf("deregister-image of a public AMI: stderr lacks %q:\n%s", want, stderr)
				}
			}
			if got := path(t, aws("describe-images", "--image-ids", ami), "Images", 0, "ImageId"); got != ami {
				t.Errorf("after the refused deregister, describe-images shows %v", got)
			}
			if stillThere != nil && !stillThere() {
				t.Error("the refused deregister removed the engine's image")
			}
			aws("create-tags", "--resources", ami, "--tags", "Key=team,Value=blue")
			if got := path(t, aws("describe-images", "--image-ids", ami), "Images", 0, "Tags", 0, "Value"); got != "blue" {
				t.Errorf("tag on the public AMI: %v, want blue", got)
			}
			aws("delete-tags", "--resources", ami)
		})
	}
}
