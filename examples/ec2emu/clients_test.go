package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
)

// These tests drive the standalone server with the AWS CLI and boto3 through
// the instance attribute, volume and protection actions, with the waiters
// users rely on, over the mock backend and over Docker.

func uniqueName(prefix string) string {
	var b [4]byte
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	return prefix + hex.EncodeToString(b[:])
}

// awsCLIFails runs `aws … ec2 <args>`, which must fail with EC2 error code,
// and returns its stderr.
func awsCLIFails(t *testing.T, endpoint, code string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", endpoint, "--output", "json", "ec2"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_DEFAULT_REGION=eu-west-1", "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("aws ec2 %s: %v, want it to fail with %s", strings.Join(args, " "), err, code)
	}
	if !strings.Contains(stderr.String(), "("+code+")") {
		t.Fatalf("aws ec2 %s failed without %s:\n%s", strings.Join(args, " "), code, stderr.String())
	}
	return stderr.String()
}

// cliUntil polls describe-instances until every id is in state, so the
// `aws ec2 wait` that follows answers on its first poll instead of after
// the CLI's 15-second delay.
func cliUntil(t *testing.T, aws func(...string) map[string]any, state string, ids ...string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out := aws(append([]string{"describe-instances", "--instance-ids"}, ids...)...)
		all := true
		for _, r := range path(t, out, "Reservations").([]any) {
			for _, i := range path(t, r, "Instances").([]any) {
				all = all && path(t, i, "State", "Name") == state
			}
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v not %s within 2 minutes", ids, state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// cliAttributesScenario is the AWS CLI session both backends run.
func cliAttributesScenario(t *testing.T, endpoint, ami, imageName string) {
	aws := awsCLI(t, endpoint)
	run := aws("run-instances", "--image-id", ami, "--count", "1", "--instance-type", "t3.micro",
		"--user-data", "echo from-cli", "--disable-api-termination",
		"--block-device-mappings", "DeviceName=/dev/xvda,Ebs={VolumeSize=12,DeleteOnTermination=true}")
	id := path(t, run, "Instances", 0, "InstanceId").(string)
	cliUntil(t, aws, "running", id)
	aws("wait", "instance-running", "--instance-ids", id)

	attr := func(name string, keys ...any) any {
		t.Helper()
		return path(t, aws("describe-instance-attribute", "--instance-id", id, "--attribute", name), keys...)
	}
	if got := attr("userData", "UserData", "Value"); got != base64.StdEncoding.EncodeToString([]byte("echo from-cli")) {
		t.Errorf("userData %v", got)
	}
	if got := attr("disableApiTermination", "DisableApiTermination", "Value"); got != true {
		t.Errorf("disableApiTermination %v, want true", got)
	}
	if got := attr("instanceType", "InstanceType", "Value"); got != "t3.micro" {
		t.Errorf("instanceType %v", got)
	}
	vols := aws("describe-volumes", "--filters", "Name=attachment.instance-id,Values="+id)
	wantVol := "vol-" + strings.TrimPrefix(id, "i-")
	if got := []any{path(t, vols, "Volumes", 0, "VolumeId"), path(t, vols, "Volumes", 0, "Size"),
		path(t, vols, "Volumes", 0, "Attachments", 0, "Device"), path(t, vols, "Volumes", 0, "Attachments", 0, "State")}; got[0] != wantVol ||
		got[1] != 12.0 || got[2] != "/dev/xvda" || got[3] != "attached" {
		t.Errorf("describe-volumes [id size device state] = %v, want [%s 12 /dev/xvda attached]", got, wantVol)
	}

	awsCLIFails(t, endpoint, "OperationNotPermitted", "terminate-instances", "--instance-ids", id)
	awsCLIFails(t, endpoint, "IncorrectInstanceState", "modify-instance-attribute", "--instance-id", id, "--instance-type", "Value=t3.small")
	awsCLIFails(t, endpoint, "InvalidParameterValue", "describe-instance-attribute", "--instance-id", id, "--attribute", "colour")

	aws("stop-instances", "--instance-ids", id)
	cliUntil(t, aws, "stopped", id)
	aws("wait", "instance-stopped", "--instance-ids", id)
	aws("modify-instance-attribute", "--instance-id", id, "--instance-type", "Value=t3.small")
	aws("modify-instance-attribute", "--instance-id", id, "--user-data", "Value=echo v2")
	aws("modify-instance-attribute", "--instance-id", id, "--attribute", "disableApiTermination", "--value", "false")
	if got := attr("userData", "UserData", "Value"); got != base64.StdEncoding.EncodeToString([]byte("echo v2")) {
		t.Errorf("userData after modify %v", got)
	}
	aws("start-instances", "--instance-ids", id)
	cliUntil(t, aws, "running", id)
	aws("wait", "instance-running", "--instance-ids", id)
	if got := path(t, aws("describe-instances", "--instance-ids", id), "Reservations", 0, "Instances", 0, "InstanceType"); got != "t3.small" {
		t.Errorf("instance type after modify %v, want t3.small", got)
	}

	img := aws("create-image", "--instance-id", id, "--name", imageName, "--no-reboot")
	ami2 := path(t, img, "ImageId").(string)
	aws("wait", "image-available", "--image-ids", ami2)
	aws("terminate-instances", "--instance-ids", id)
	cliUntil(t, aws, "terminated", id)
	aws("wait", "instance-terminated", "--instance-ids", id)
	if got := path(t, aws("describe-volumes", "--filters", "Name=attachment.instance-id,Values="+id), "Volumes").([]any); len(got) != 0 {
		t.Errorf("volumes of the terminated instance: %v", got)
	}
	aws("deregister-image", "--image-id", ami2)
}

func TestAWSCLIAttributesAgainstMock(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs the AWS CLI")
	}
	endpoint := startServer(t, "EC2_VM_MANAGER=mock", "EC2_MOCK_DELAY=50ms")
	cliAttributesScenario(t, endpoint, "ami-df5de72bdb3b", uniqueName("cli-attr-"))
}

func TestAWSCLIAttributesAgainstDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a Docker engine and the AWS CLI")
	}
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	name := uniqueName("cli-attr-")
	removeAMIsOnCleanup(t, cli, name)
	endpoint := startServer(t, "EC2_VM_MANAGER=docker", "EC2EMU_NAMESPACE="+ns, "EC2_MOUNT_DOCKER_SOCKET=0")
	cliAttributesScenario(t, endpoint, ami, name)
}

// removeAMIsOnCleanup removes, when the test ends, the AMIs named name that
// the test made with CreateImage and left behind (it deregisters them when
// it gets that far).
func removeAMIsOnCleanup(t *testing.T, cli *client.Client, name string) {
	// uniqueName's names ([a-z0-9-]) are repository names as they are.
	prefix := name + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		list, err := cli.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", "localstack-ec2/"+prefix+"*"))})
		if err != nil {
			t.Logf("listing images: %v", err)
			return
		}
		for _, img := range list {
			for _, ref := range img.RepoTags {
				if strings.HasPrefix(ref, "localstack-ec2/"+prefix) {
					if _, err := cli.ImageRemove(ctx, ref, image.RemoveOptions{Force: true}); err != nil {
						t.Logf("removing %s: %v", ref, err)
					}
				}
			}
		}
	})
}

// runBoto3 runs testdata/boto3_e2e.py against endpoint. Without python3 and
// boto3 it skips, or fails under CI=true (scripts/ensure-clients.sh
// installs them).
func runBoto3(t *testing.T, endpoint, ami, imageName string) {
	t.Helper()
	runBoto3Script(t, "boto3_e2e.py", "boto3_e2e ok: i-", "EC2EMU_ENDPOINT="+endpoint, "EC2EMU_AMI="+ami, "EC2EMU_IMAGE_NAME="+imageName)
}

// runBoto3Script runs testdata/<script> with python3 and the environment
// env on top of empty AWS configuration, and fails unless it exits 0 having
// printed okLine (a script that stops early without raising must not pass).
// Without python3 and boto3 it skips, or fails under CI=true.
func runBoto3Script(t *testing.T, script, okLine string, env ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: runs boto3")
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 with boto3 is not available: %v (scripts/ensure-clients.sh installs it)", err)
		}
		t.Skipf("python3 with boto3 is not available: %v; run scripts/ensure-clients.sh", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", filepath.Join("testdata", script))
	cmd.Env = append(append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-west-2",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	if !strings.Contains(string(out), okLine) {
		t.Fatalf("%s exited 0 without its ok line:\n%s", script, out)
	}
}

func TestBoto3AgainstMock(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs boto3")
	}
	endpoint := startServer(t, "EC2_VM_MANAGER=mock", "EC2_MOCK_DELAY=50ms")
	runBoto3(t, endpoint, "ami-df5de72bdb3b", uniqueName("boto3-e2e-"))
}

func TestBoto3AgainstDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a Docker engine and boto3")
	}
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	name := uniqueName("boto3-e2e-")
	removeAMIsOnCleanup(t, cli, name)
	endpoint := startServer(t, "EC2_VM_MANAGER=docker", "EC2EMU_NAMESPACE="+ns, "EC2_MOUNT_DOCKER_SOCKET=0")
	runBoto3(t, endpoint, ami, name)
}
