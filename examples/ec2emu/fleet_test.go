package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
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

	lt := aws("create-launch-template", "--launch-template-name", "cli-fleet",
		"--launch-template-data", `{"ImageId":"`+ami+`","InstanceType":"t3.micro","TagSpecifications":[{"ResourceType":"instance","Tags":[{"Key":"Name","Value":"fleet-web"}]}]}`)
	ltID := pathStr(t, lt, "LaunchTemplate", "LaunchTemplateId")

	fl := aws("create-fleet", "--type", "instant",
		"--launch-template-configs", `[{"LaunchTemplateSpecification":{"LaunchTemplateId":"`+ltID+`","Version":"$Latest"},"Overrides":[{"InstanceType":"t3.small"}]}]`,
		"--target-capacity-specification", "TotalTargetCapacity=3,OnDemandTargetCapacity=3,DefaultTargetCapacityType=on-demand",
		"--tag-specifications", "ResourceType=fleet,Tags=[{Key=team,Value=a}]")
	fleetID := pathStr(t, fl, "FleetId")
	if !strings.HasPrefix(fleetID, "fleet-") || len(path(t, fl, "Errors").([]any)) != 0 {
		t.Fatalf("create-fleet: %v", fl)
	}
	var ids []string
	for _, id := range path(t, fl, "Instances", 0, "InstanceIds").([]any) {
		ids = append(ids, id.(string))
	}
	if len(ids) != 3 || pathStr(t, fl, "Instances", 0, "InstanceType") != "t3.small" {
		t.Fatalf("create-fleet launched %v of type %s, want 3 t3.small", ids, pathStr(t, fl, "Instances", 0, "InstanceType"))
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
			tagged = append(tagged, pathStr(t, i, "InstanceId"))
		}
	}
	slices.Sort(tagged)
	want := slices.Sorted(slices.Values(ids))
	if !slices.Equal(tagged, want) {
		t.Errorf("instances tagged with the fleet: %v, want %v", tagged, want)
	}
	df := aws("describe-fleets", "--fleet-ids", fleetID)
	if got := pathStr(t, df, "Fleets", 0, "FleetState") + " " + pathStr(t, df, "Fleets", 0, "ActivityStatus"); got != "active fulfilled" {
		t.Errorf("describe-fleets: %s, want active fulfilled", got)
	}
	awsCLIFails(t, endpoint, "UnsupportedOperation", "describe-fleet-instances", "--fleet-id", fleetID)

	del := aws("delete-fleets", "--fleet-ids", fleetID, "--terminate-instances")
	if got := pathStr(t, del, "SuccessfulFleetDeletions", 0, "CurrentFleetState"); got != "deleted_terminating" {
		t.Errorf("delete-fleets: %v", del)
	}
	cliUntil(t, aws, "terminated", ids...)
	testutil.Until(t, time.Minute, "the fleet's containers removed", func() bool {
		for _, id := range ids {
			if _, err := cli.ContainerInspect(t.Context(), docker.ContainerPrefix+id); err == nil {
				return false
			}
		}
		return true
	})
	if got := pathStr(t, aws("describe-fleets", "--fleet-ids", fleetID), "Fleets", 0, "FleetState"); got != "deleted" {
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
	endpoint := startServer(t, "EC2_VM_MANAGER=mock", "EC2_MOCK_DELAY=50ms")
	runBoto3Script(t, "boto3_fleet.py", "boto3_fleet ok", "EC2EMU_ENDPOINT="+endpoint)
}
