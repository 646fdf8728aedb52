package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
)

// The AWS CLI (botocore) matches XML element names case-sensitively, so it
// catches wire mistakes the Go SDK forgives. These tests drive the standalone
// server as a user would.

// startServer builds and starts the standalone server on a free loopback
// port and returns its endpoint; the process is stopped with SIGTERM at the
// end of the test and must exit cleanly.
func startServer(t *testing.T, env ...string) string {
	t.Helper()
	p := startProc(t, buildServer(t), env...)
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Errorf("server did not exit cleanly: %v", err)
		}
	})
	return p.endpoint
}

// TestUnreachableEngineFailsAtStart: with no Docker engine, the server
// exits at once, non-zero, saying so, instead of listening and answering
// every call Unavailable after retries.
func TestUnreachableEngineFailsAtStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server")
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, buildServer(t), "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "EC2_VM_MANAGER=docker", "DOCKER_HOST=unix://"+filepath.Join(t.TempDir(), "no-such.sock"))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("server ended with %v, want exit status 1\n%s", err, out)
	}
	for _, want := range []string{`the "docker" backend's engine does not answer`, "no-such.sock"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "listening") {
		t.Errorf("the server said it listens:\n%s", out)
	}
}

// awsCLI returns a function that runs `aws --endpoint-url … ec2 <args>` and
// decodes its JSON output.
func awsCLI(t *testing.T, endpoint string) func(args ...string) map[string]any {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: runs the AWS CLI")
	}
	if _, err := exec.LookPath("aws"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the AWS CLI is not installed (scripts/ensure-clients.sh installs it)")
		}
		t.Skip("the AWS CLI is not installed; run scripts/ensure-clients.sh")
	}
	return func(args ...string) map[string]any {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", endpoint, "--output", "json", "ec2"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
			"AWS_DEFAULT_REGION=eu-west-1", "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("aws ec2 %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		var v map[string]any
		if len(strings.TrimSpace(string(out))) > 0 {
			if err := json.Unmarshal(out, &v); err != nil {
				t.Fatalf("aws ec2 %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
		return v
	}
}

// pathStr is path's string, "" where the value is absent or not a string.
func pathStr(t *testing.T, v any, keys ...any) string {
	t.Helper()
	s, _ := path(t, v, keys...).(string)
	return s
}

// path walks decoded JSON: strings index objects, ints index arrays.
func path(t *testing.T, v any, keys ...any) any {
	t.Helper()
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %q: not an object: %v", k, v)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at [%d]: not an array that long: %v", k, v)
			}
			v = a[k]
		}
	}
	return v
}

func TestAWSCLIAgainstMock(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs the AWS CLI")
	}
	endpoint := startServer(t, "EC2_VM_MANAGER=mock", "EC2_MOCK_DELAY=50ms", "EC2EMU_LOG_LEVEL=debug")
	aws := awsCLI(t, endpoint)

	run := aws("run-instances", "--image-id", "ami-df5de72bdb3b", "--count", "2", "--instance-type", "t3.micro",
		"--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=cli test}]")
	id := path(t, run, "Instances", 0, "InstanceId").(string)
	id2 := path(t, run, "Instances", 1, "InstanceId").(string)
	if got := path(t, run, "Instances", 0, "State", "Name"); got != "pending" {
		t.Errorf("run-instances state %v, want pending", got)
	}
	aws("wait", "instance-running", "--instance-ids", id, id2)
	desc := aws("describe-instances", "--filters", "Name=tag:Name,Values=cli*", "Name=instance-state-name,Values=running")
	if n := len(path(t, desc, "Reservations", 0, "Instances").([]any)); n != 2 {
		t.Fatalf("describe-instances by tag found %d instances, want 2", n)
	}
	inst := path(t, desc, "Reservations", 0, "Instances", 0).(map[string]any)
	for _, k := range []string{"PrivateIpAddress", "PrivateDnsName", "LaunchTime", "Placement", "AmiLaunchIndex", "Architecture"} {
		if _, ok := inst[k]; !ok {
			t.Errorf("describe-instances output lacks %s: botocore did not find its element", k)
		}
	}
	if got := path(t, inst, "Placement", "AvailabilityZone"); got != "eu-west-1a" {
		t.Errorf("availability zone %v, want eu-west-1a (region from the credential scope)", got)
	}

	stop := aws("stop-instances", "--instance-ids", id)
	if got := path(t, stop, "StoppingInstances", 0, "CurrentState", "Name"); got != "stopping" {
		t.Errorf("stop-instances current state %v, want stopping", got)
	}
	aws("wait", "instance-stopped", "--instance-ids", id)
	aws("start-instances", "--instance-ids", id)
	aws("wait", "instance-running", "--instance-ids", id)

	img := aws("create-image", "--instance-id", id, "--name", "cli-image")
	ami := path(t, img, "ImageId").(string)
	aws("wait", "image-available", "--image-ids", ami)
	imgs := aws("describe-images", "--owners", "self")
	if got := path(t, imgs, "Images", 0, "Name"); got != "cli-image" {
		t.Errorf("describe-images --owners self: name %v, want cli-image", got)
	}
	if got := path(t, aws("describe-images", "--image-ids", "ami-df5de72bdb3b"), "Images", 0, "Public"); got != true {
		t.Errorf("default AMI Public = %v, want true", got)
	}

	term := aws("terminate-instances", "--instance-ids", id, id2)
	if got := path(t, term, "TerminatingInstances", 0, "CurrentState", "Name"); got != "shutting-down" {
		t.Errorf("terminate-instances current state %v, want shutting-down", got)
	}
	aws("wait", "instance-terminated", "--instance-ids", id, id2)
	aws("deregister-image", "--image-id", ami)
}

// The default backend, end to end: a locally built image tagged as an AMI,
// real containers behind the AWS CLI.
func TestAWSCLIAgainstDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a Docker engine and the AWS CLI")
	}
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	endpoint := startServer(t, "EC2_VM_MANAGER=docker", "EC2EMU_NAMESPACE="+ns, "EC2_MOUNT_DOCKER_SOCKET=0")
	aws := awsCLI(t, endpoint)

	run := aws("run-instances", "--image-id", ami, "--count", "2", "--user-data", "echo from-user-data")
	id := path(t, run, "Instances", 0, "InstanceId").(string)
	id2 := path(t, run, "Instances", 1, "InstanceId").(string)
	aws("wait", "instance-running", "--instance-ids", id, id2)
	ctx := t.Context()
	info, err := cli.ContainerInspect(ctx, docker.ContainerPrefix+id)
	if err != nil {
		t.Fatalf("no container for %s: %v", id, err)
	}
	desc := aws("describe-instances", "--instance-ids", id)
	vpcNet := "ec2emu-vpc." + ns + "." + path(t, desc, "Reservations", 0, "Instances", 0, "VpcId").(string)
	if ep := info.NetworkSettings.Networks[vpcNet]; ep == nil {
		t.Errorf("container not on its VPC's network %s: %v", vpcNet, info.NetworkSettings.Networks)
	} else if got := path(t, desc, "Reservations", 0, "Instances", 0, "PrivateIpAddress"); got != ep.IPAddress {
		t.Errorf("PrivateIpAddress %v, want the container's %s", got, ep.IPAddress)
	}
	aws("stop-instances", "--instance-ids", id)
	aws("wait", "instance-stopped", "--instance-ids", id)
	if info, err := cli.ContainerInspect(ctx, docker.ContainerPrefix+id); err != nil || !info.State.Paused {
		t.Errorf("stopped instance's container: paused=%v err=%v, want paused", info.State != nil && info.State.Paused, err)
	}
	aws("start-instances", "--instance-ids", id)
	aws("wait", "instance-running", "--instance-ids", id)
	aws("terminate-instances", "--instance-ids", id, id2)
	aws("wait", "instance-terminated", "--instance-ids", id, id2)
	if _, err := cli.ContainerInspect(ctx, docker.ContainerPrefix+id); err == nil {
		t.Errorf("container of terminated %s still exists", id)
	}
}

// The VirtualBox backend end to end, with the VBoxManage simulator on PATH
// (VirtualBox itself cannot be installed on these machines).
func TestAWSCLIAgainstVirtualBoxSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the VBoxManage simulator and runs the AWS CLI")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "VBoxManage"), "github.com/ec2emu/ec2emu/virtualbox/internal/vboxmanagesim").CombinedOutput(); err != nil {
		t.Fatalf("building the simulator: %v\n%s", err, out)
	}
	pathEnv := "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")
	home := "VBOXSIM_HOME=" + filepath.Join(dir, "home")
	const ami = "ami-0123456789abcdef0"
	reg := exec.Command(filepath.Join(bin, "VBoxManage"), "createvm", "--name", "localstack-ec2-ami.ubuntu-24.04."+ami, "--register")
	reg.Env = append(os.Environ(), pathEnv, home)
	if out, err := reg.CombinedOutput(); err != nil {
		t.Fatalf("registering the template: %v\n%s", err, out)
	}
	endpoint := startServer(t, "EC2_VM_MANAGER=virtualbox", pathEnv, home, "VBOXSIM_BOOT_DELAY=50ms", "EC2_VBOX_STOP_TIMEOUT=5s")
	aws := awsCLI(t, endpoint)

	images := aws("describe-images", "--image-ids", ami)
	if got := path(t, images, "Images", 0, "Name"); got != "ubuntu-24.04" {
		t.Errorf("template AMI name %v, want ubuntu-24.04", got)
	}
	run := aws("run-instances", "--image-id", ami, "--count", "1")
	id := path(t, run, "Instances", 0, "InstanceId").(string)
	aws("wait", "instance-running", "--instance-ids", id)
	desc := aws("describe-instances", "--instance-ids", id)
	if ip, _ := path(t, desc, "Reservations", 0, "Instances", 0).(map[string]any)["PrivateIpAddress"].(string); ip == "" {
		t.Error("running VM reports no private IP")
	}
	aws("stop-instances", "--instance-ids", id)
	aws("wait", "instance-stopped", "--instance-ids", id)
	aws("start-instances", "--instance-ids", id)
	aws("wait", "instance-running", "--instance-ids", id)
	img := aws("create-image", "--instance-id", id, "--name", "from-vbox")
	newAMI := path(t, img, "ImageId").(string)
	aws("wait", "image-available", "--image-ids", newAMI)
	from := aws("run-instances", "--image-id", newAMI, "--count", "1")
	id2 := path(t, from, "Instances", 0, "InstanceId").(string)
	aws("wait", "instance-running", "--instance-ids", id2)
	aws("terminate-instances", "--instance-ids", id, id2)
	aws("wait", "instance-terminated", "--instance-ids", id, id2)
	list := exec.Command(filepath.Join(bin, "VBoxManage"), "list", "vms")
	list.Env = append(os.Environ(), pathEnv, home)
	out, err := list.Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "localstack-ec2."+id) || strings.Contains(string(out), "localstack-ec2."+id2) {
		t.Errorf("terminated instances' VMs are still registered:\n%s", out)
	}
}
