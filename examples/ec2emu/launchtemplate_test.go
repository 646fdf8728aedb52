package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
)

// TestAWSCLILaunchTemplateDocker: with the AWS CLI, a launch template and
// a second version made default, then instances launched from it as real
// containers, and everything taken down.
func TestAWSCLILaunchTemplateDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a Docker engine and the AWS CLI")
	}
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	endpoint := startServer(t, "EC2_VM_MANAGER=docker", "EC2EMU_NAMESPACE="+ns, "EC2_MOUNT_DOCKER_SOCKET=0")
	aws := awsCLI(t, endpoint)
	str := func(v any, keys ...any) string {
		t.Helper()
		s, _ := path(t, v, keys...).(string)
		return s
	}

	lt := aws("create-launch-template", "--launch-template-name", "cli-web", "--version-description", "first",
		"--launch-template-data", `{"ImageId":"`+ami+`","InstanceType":"t3.micro","TagSpecifications":[{"ResourceType":"instance","Tags":[{"Key":"Name","Value":"from-lt"}]}]}`,
		"--tag-specifications", "ResourceType=launch-template,Tags=[{Key=team,Value=a}]")
	id := str(lt, "LaunchTemplate", "LaunchTemplateId")
	if !strings.HasPrefix(id, "lt-") || path(t, lt, "LaunchTemplate", "LatestVersionNumber") != 1.0 {
		t.Fatalf("create-launch-template: %v", lt)
	}
	awsCLIFails(t, endpoint, "InvalidLaunchTemplateName.AlreadyExistsException", "create-launch-template", "--launch-template-name", "cli-web",
		"--launch-template-data", `{"InstanceType":"t3.micro"}`)
	v2 := aws("create-launch-template-version", "--launch-template-id", id, "--source-version", "1",
		"--launch-template-data", `{"InstanceType":"t3.small"}`)
	if got := str(v2, "LaunchTemplateVersion", "LaunchTemplateData", "ImageId"); got != ami {
		t.Errorf("version 2 ImageId %q, want %s from its source", got, ami)
	}
	aws("modify-launch-template", "--launch-template-id", id, "--default-version", "2")
	vs := aws("describe-launch-template-versions", "--launch-template-name", "cli-web", "--versions", "$Default")
	if got := path(t, vs, "LaunchTemplateVersions", 0, "VersionNumber"); got != 2.0 {
		t.Errorf("$Default is version %v, want 2", got)
	}

	run := aws("run-instances", "--count", "2", "--launch-template", "LaunchTemplateName=cli-web")
	i1, i2 := str(run, "Instances", 0, "InstanceId"), str(run, "Instances", 1, "InstanceId")
	aws("wait", "instance-running", "--instance-ids", i1, i2)
	inst := path(t, aws("describe-instances", "--instance-ids", i1), "Reservations", 0, "Instances", 0)
	tags := map[string]string{}
	for _, tg := range path(t, inst, "Tags").([]any) {
		tags[str(tg, "Key")] = str(tg, "Value")
	}
	if str(inst, "InstanceType") != "t3.small" || str(inst, "ImageId") != ami || tags["Name"] != "from-lt" ||
		tags["aws:ec2launchtemplate:id"] != id || tags["aws:ec2launchtemplate:version"] != "2" {
		t.Errorf("instance from the template: type %s, image %s, tags %v", str(inst, "InstanceType"), str(inst, "ImageId"), tags)
	}
	for _, i := range []string{i1, i2} {
		if _, err := cli.ContainerInspect(t.Context(), docker.ContainerPrefix+i); err != nil {
			t.Errorf("no container for %s: %v", i, err)
		}
	}
	data := aws("get-launch-template-data", "--instance-id", i1)
	if got := str(data, "LaunchTemplateData", "ImageId"); got != ami {
		t.Errorf("get-launch-template-data ImageId %q, want %s", got, ami)
	}

	del := aws("delete-launch-template-versions", "--launch-template-id", id, "--versions", "1", "2")
	if got := path(t, del, "SuccessfullyDeletedLaunchTemplateVersions", 0, "VersionNumber"); got != 1.0 {
		t.Errorf("deleted %v, want version 1", got)
	}
	if got := str(del, "UnsuccessfullyDeletedLaunchTemplateVersions", 0, "ResponseError", "Code"); got != "unexpectedError" {
		t.Errorf("deleting the default version: %q, want unexpectedError", got)
	}
	aws("terminate-instances", "--instance-ids", i1, i2)
	aws("wait", "instance-terminated", "--instance-ids", i1, i2)
	aws("delete-launch-template", "--launch-template-id", id)
	awsCLIFails(t, endpoint, "InvalidLaunchTemplateId.NotFound", "describe-launch-templates", "--launch-template-ids", id)
	for _, i := range []string{i1, i2} {
		if _, err := cli.ContainerInspect(t.Context(), docker.ContainerPrefix+i); err == nil {
			t.Errorf("container of terminated %s still exists", i)
		}
	}
}

// TestBoto3LaunchTemplates runs testdata/boto3_lt.py: boto3's parser is
// stricter than the Go SDK's about element names.
func TestBoto3LaunchTemplates(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs boto3")
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 with boto3 is not available: %v (scripts/ensure-clients.sh installs it)", err)
		}
		t.Skipf("python3 with boto3 is not available: %v; run scripts/ensure-clients.sh", err)
	}
	endpoint := startServer(t, "EC2_VM_MANAGER=mock", "EC2_MOCK_DELAY=50ms")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", filepath.Join("testdata", "boto3_lt.py"))
	cmd.Env = append(os.Environ(), "EC2EMU_ENDPOINT="+endpoint, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_DEFAULT_REGION=us-west-2", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3_lt.py: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "boto3_lt ok") {
		t.Fatalf("boto3_lt.py exited 0 without its ok line:\n%s", out)
	}
}
