package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
)

// TestAWSCLIFleetDocker: issue 19's fleet session with the AWS CLI — a
// launch template, an instant fleet of 3 from it as real containers, and
// the fleet deleted with its instances.
func TestAWSCLIFleetDocker(t *testing.T) {
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

	lt := aws("create-launch-template", "--launch-template-name", "cli-fleet",
		"--launch-template-data", `{"ImageId":"`+ami+`","InstanceType":"t3.micro","TagSpecifications":[{"ResourceType":"instance","Tags":[{"Key":"Name","Value":"fleet-web"}]}]}`)
	ltID := str(lt, "LaunchTemplate", "LaunchTemplateId")

	// Spot capacity is refused, not faked.
	awsCLIFails(t, endpoint, "UnsupportedOperation", "create-fleet", "--type", "instant",
		"--launch-template-configs", `[{"LaunchTemplateSpecification":{"LaunchTemplateId":"`+ltID+`","Version":"$Latest"}}]`,
		"--target-capacity-specification", "TotalTargetCapacity=3,DefaultTargetCapacityType=spot")

	fl := aws("create-fleet", "--type", "instant",
		"--launch-template-configs", `[{"LaunchTemplateSpecification":{"LaunchTemplateId":"`+ltID+`","Version":"$Latest"},"Overrides":[{"InstanceType":"t3.small"}]}]`,
		"--target-capacity-specification", "TotalTargetCapacity=3,OnDemandTargetCapacity=3,DefaultTargetCapacityType=on-demand",
		"--tag-specifications", "ResourceType=fleet,Tags=[{Key=team,Value=a}]")
	fleetID := str(fl, "FleetId")
	if !strings.HasPrefix(fleetID, "fleet-") || len(path(t, fl, "Errors").([]any)) != 0 {
		t.Fatalf("create-fleet: %v", fl)
	}
	var ids []string
	for _, id := range path(t, fl, "Instances", 0, "InstanceIds").([]any) {
		ids = append(ids, id.(string))
	}
	if len(ids) != 3 || str(fl, "Instances", 0, "InstanceType") != "t3.small" {
		t.Fatalf("create-fleet launched %v of type %s, want 3 t3.small", ids, str(fl, "Instances", 0, "InstanceType"))
	}
	cliUntil(t, aws, "running", ids...)
	for _, id := range ids {
		c, err := cli.ContainerInspect(t.Context(), docker.ContainerPrefix+id)
		if err != nil || c.State == nil || !c.State.Running {
			t.Errorf("container of %s not running: %v", id, err)
		}
	}
	byTag := aws("describe-instances", "--filters", "Name=tag:aws:ec2:fleet-id,Values="+fleetID, "Name=tag:Name,Values=fleet-web",
		"Name=instance-type,Values=t3.small")
	var tagged []string
	for _, r := range path(t, byTag, "Reservations").([]any) {
		for _, i := range path(t, r, "Instances").([]any) {
			tagged = append(tagged, str(i, "InstanceId"))
		}
	}
	slices.Sort(tagged)
	want := slices.Sorted(slices.Values(ids))
	if !slices.Equal(tagged, want) {
		t.Errorf("instances tagged with the fleet: %v, want %v", tagged, want)
	}
	df := aws("describe-fleets", "--fleet-ids", fleetID)
	if got := str(df, "Fleets", 0, "FleetState") + " " + str(df, "Fleets", 0, "ActivityStatus"); got != "active fulfilled" {
		t.Errorf("describe-fleets: %s, want active fulfilled", got)
	}
	awsCLIFails(t, endpoint, "UnsupportedOperation", "describe-fleet-instances", "--fleet-id", fleetID)

	del := aws("delete-fleets", "--fleet-ids", fleetID, "--terminate-instances")
	if got := str(del, "SuccessfulFleetDeletions", 0, "CurrentFleetState"); got != "deleted_terminating" {
		t.Errorf("delete-fleets: %v", del)
	}
	cliUntil(t, aws, "terminated", ids...)
	waitUntil(t, time.Minute, "the fleet's containers removed", func() bool {
		for _, id := range ids {
			if _, err := cli.ContainerInspect(t.Context(), docker.ContainerPrefix+id); err == nil {
				return false
			}
		}
		return true
	})
	if got := str(aws("describe-fleets", "--fleet-ids", fleetID), "Fleets", 0, "FleetState"); got != "deleted" {
		t.Errorf("fleet state after its instances terminated: %s, want deleted", got)
	}
	aws("delete-launch-template", "--launch-template-id", ltID)
}

// TestBoto3Fleets runs testdata/boto3_fleet.py over the mock: boto3's
// parser is stricter than the Go SDK's about element names.
func TestBoto3Fleets(t *testing.T) {
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
	cmd := exec.CommandContext(ctx, "python3", filepath.Join("testdata", "boto3_fleet.py"))
	cmd.Env = append(os.Environ(), "EC2EMU_ENDPOINT="+endpoint, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_DEFAULT_REGION=us-west-2", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3_fleet.py: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "boto3_fleet ok") {
		t.Fatalf("boto3_fleet.py exited 0 without its ok line:\n%s", out)
	}
}
