package main

import (
	"strings"
	"testing"

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

	lt := aws("create-launch-template", "--launch-template-name", "cli-web", "--version-description", "first",
		"--launch-template-data", `{"ImageId":"`+ami+`","InstanceType":"t3.micro","TagSpecifications":[{"ResourceType":"instance","Tags":[{"Key":"Name","Value":"from-lt"}]}]}`,
		"--tag-specifications", "ResourceType=launch-template,Tags=[{Key=team,Value=a}]")
	id := pathStr(t, lt, "LaunchTemplate", "LaunchTemplateId")
	if !strings.HasPrefix(id, "lt-") || path(t, lt, "LaunchTemplate", "LatestVersionNumber") != 1.0 {
		t.Fatalf("create-launch-template: %v", lt)
	}
	awsCLIFails(t, endpoint, "InvalidLaunchTemplateName.AlreadyExistsException", "create-launch-template", "--launch-template-name", "cli-web",
		"--launch-template-data", `{"InstanceType":"t3.micro"}`)
	v2 := aws("create-launch-template-version", "--launch-template-id", id, "--source-version", "1",
		"--launch-template-data", `{"InstanceType":"t3.small"}`)
	if got := pathStr(t, v2, "LaunchTemplateVersion", "LaunchTemplateData", "ImageId"); got != ami {
		t.Errorf("version 2 ImageId %q, want %s from its source", got, ami)
	}
	aws("modify-launch-template", "--launch-template-id", id, "--default-version", "2")
	vs := aws("describe-launch-template-versions", "--launch-template-name", "cli-web", "--versions", "$Default")
	if got := path(t, vs, "LaunchTemplateVersions", 0, "VersionNumber"); got != 2.0 {
		t.Errorf("$Default is version %v, want 2", got)
	}

	run := aws("run-instances", "--count", "2", "--launch-template", "LaunchTemplateName=cli-web")
	i1, i2 := pathStr(t, run, "Instances", 0, "InstanceId"), pathStr(t, run, "Instances", 1, "InstanceId")
	aws("wait", "instance-running", "--instance-ids", i1, i2)
	inst := path(t, aws("describe-instances", "--instance-ids", i1), "Reservations", 0, "Instances", 0)
	tags := map[string]string{}
	for _, tg := range path(t, inst, "Tags").([]any) {
		tags[pathStr(t, tg, "Key")] = pathStr(t, tg, "Value")
	}
	if pathStr(t, inst, "InstanceType") != "t3.small" || pathStr(t, inst, "ImageId") != ami || tags["Name"] != "from-lt" ||
		tags["aws:ec2launchtemplate:id"] != id || tags["aws:ec2launchtemplate:version"] != "2" {
		t.Errorf("instance from the template: type %s, image %s, tags %v", pathStr(t, inst, "InstanceType"), pathStr(t, inst, "ImageId"), tags)
	}
	for _, i := range []string{i1, i2} {
		if _, err := cli.ContainerInspect(t.Context(), docker.ContainerPrefix+i); err != nil {
			t.Errorf("no container for %s: %v", i, err)
		}
	}
	data := aws("get-launch-template-data", "--instance-id", i1)
	if got := pathStr(t, data, "LaunchTemplateData", "ImageId"); got != ami {
		t.Errorf("get-launch-template-data ImageId %q, want %s", got, ami)
	}

	del := aws("delete-launch-template-versions", "--launch-template-id", id, "--versions", "1", "2")
	if got := path(t, del, "SuccessfullyDeletedLaunchTemplateVersions", 0, "VersionNumber"); got != 1.0 {
		t.Errorf("deleted %v, want version 1", got)
	}
	if got := pathStr(t, del, "UnsuccessfullyDeletedLaunchTemplateVersions", 0, "ResponseError", "Code"); got != "unexpectedError" {
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
	endpoint := startServer(t, "EC2_VM_MANAGER=mock", "EC2_MOCK_DELAY=50ms")
	runBoto3Script(t, "boto3_lt.py", "boto3_lt ok", "EC2EMU_ENDPOINT="+endpoint)
}
