package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// awsAs runs the AWS CLI as account (its access key ID) in eu-west-1 unless
// args name another --region; it returns the decoded output, or the error
// output when want names the error code the call must fail with.
func awsAs(t *testing.T, endpoint, account string) func(want string, args ...string) (map[string]any, string) {
	t.Helper()
	awsCLI(t, endpoint) // skips where the CLI is missing or under -short
	return func(want string, args ...string) (map[string]any, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", endpoint, "--output", "json", "ec2"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+account, "AWS_SECRET_ACCESS_KEY=test",
			"AWS_DEFAULT_REGION=eu-west-1", "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if want != "" {
			var ee *exec.ExitError
			if !errors.As(err, &ee) || !strings.Contains(stderr.String(), "("+want+")") {
				t.Fatalf("aws ec2 %s as %s: %v, want %s:\n%s", strings.Join(args, " "), account, err, want, stderr.String())
			}
			return nil, stderr.String()
		}
		if err != nil {
			t.Fatalf("aws ec2 %s as %s: %v\n%s", strings.Join(args, " "), account, err, stderr.String())
		}
		var v map[string]any
		if len(bytes.TrimSpace(out)) > 0 {
			if err := json.Unmarshal(out, &v); err != nil {
				t.Fatalf("aws ec2 %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
		return v, ""
	}
}

// TestAWSCLIShareAndCopyImage: through the AWS CLI, account a makes an AMI
// that account b can neither see nor launch until a shares it with
// modify-image-attribute; then b launches it and copies it to another
// region, where it launches too; reset-image-attribute takes the share
// back.
func TestAWSCLIShareAndCopyImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs the AWS CLI")
	}
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T) (ami string, env []string, cleanup func(name, id string))
	}{
		{"mock", func(t *testing.T) (string, []string, func(string, string)) {
			return "ami-df5de72bdb3b", []string{"EC2_VM_MANAGER=mock"}, func(string, string) {}
		}},
		{"docker", func(t *testing.T) (string, []string, func(string, string)) {
			cli := dockertest.Require(t)
			ami, _ := dockertest.UniqueAMI(t, cli)
			ns := dockertest.Namespace(t)
			dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
			return ami, []string{"EC2_VM_MANAGER=docker", "EC2EMU_NAMESPACE=" + ns, "EC2_METADATA_NETWORK=off"}, func(name, id string) {
				dockertest.RemoveImageOnCleanup(t, cli, dockertest.AMIRef(name, id))
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base, env, cleanup := tt.setup(t)
			endpoint := startServer(t, env...)
			a, b := awsAs(t, endpoint, "111111111111"), awsAs(t, endpoint, "222222222222")
			// until polls describe-images as run until image is available.
			until := func(run func(string, ...string) (map[string]any, string), image string, extra ...string) {
				t.Helper()
				testutil.WaitFor(t, 2*time.Minute, image+" to be available", func() (bool, string) {
					out, _ := run("", append([]string{"describe-images", "--image-ids", image}, extra...)...)
					return path(t, out, "Images", 0, "State") == "available", ""
				})
			}
			runOne := func(run func(string, ...string) (map[string]any, string), image string, extra ...string) string {
				t.Helper()
				out, _ := run("", append([]string{"run-instances", "--image-id", image, "--count", "1"}, extra...)...)
				id, _ := path(t, out, "Instances", 0, "InstanceId").(string)
				run("", append([]string{"terminate-instances", "--instance-ids", id}, extra...)...)
				return id
			}

			out, _ := a("", "run-instances", "--image-id", base, "--count", "1")
			inst, _ := path(t, out, "Instances", 0, "InstanceId").(string)
			a("", "wait", "instance-running", "--instance-ids", inst)
			name := "cli-shared-" + strings.ToLower(tt.name)
			out, _ = a("", "create-image", "--instance-id", inst, "--name", name, "--no-reboot")
			ami, _ := out["ImageId"].(string)
			cleanup(name, ami)
			until(a, ami)
			a("", "terminate-instances", "--instance-ids", inst)

			b("AuthFailure", "run-instances", "--image-id", ami, "--count", "1")
			b("InvalidAMIID.NotFound", "describe-images", "--image-ids", ami)
			a("", "modify-image-attribute", "--image-id", ami, "--launch-permission", `Add=[{UserId=222222222222}]`)
			out, _ = a("", "describe-image-attribute", "--image-id", ami, "--attribute", "launchPermission")
			if got := path(t, out, "LaunchPermissions", 0, "UserId"); got != "222222222222" {
				t.Errorf("describe-image-attribute launchPermission: %v", out)
			}
			out, _ = b("", "describe-images", "--executable-users", "self")
			var ids []string
			for _, img := range out["Images"].([]any) {
				ids = append(ids, img.(map[string]any)["ImageId"].(string))
			}
			if !slices.Contains(ids, ami) {
				t.Errorf("b's describe-images --executable-users self lacks the shared %s: %v", ami, ids)
			}
			runOne(b, ami)

			out, _ = b("", "copy-image", "--source-region", "eu-west-1", "--source-image-id", ami, "--name", name+"-copy", "--region", "us-west-2")
			cp, _ := out["ImageId"].(string)
			cleanup(name+"-copy", cp)
			until(b, cp, "--region", "us-west-2")
			if got := path(t, must(b("", "describe-images", "--image-ids", cp, "--region", "us-west-2")), "Images", 0, "OwnerId"); got != "222222222222" {
				t.Errorf("the copy's owner: %v", got)
			}
			runOne(b, cp, "--region", "us-west-2")

			a("", "reset-image-attribute", "--image-id", ami, "--attribute", "launchPermission")
			b("AuthFailure", "run-instances", "--image-id", ami, "--count", "1")
			b("", "deregister-image", "--image-id", cp, "--region", "us-west-2")
			a("", "deregister-image", "--image-id", ami)
		})
	}
}

func must(v map[string]any, _ string) map[string]any { return v }
