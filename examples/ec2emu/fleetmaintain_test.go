package main

import (
	"slices"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/internal/testutil"
)

// TestAWSCLIMaintainFleet: a maintain fleet through the AWS CLI over the
// mock — create-fleet answers with the fleet's ID, describe-fleet-instances
// lists what it launched, and an instance terminated with
// terminate-instances is replaced.
func TestAWSCLIMaintainFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs the AWS CLI")
	}
	endpoint := startServer(t, "EC2_VM_MANAGER=mock", "EC2_MOCK_DELAY=50ms")
	aws := awsCLI(t, endpoint)
	lt := aws("create-launch-template", "--launch-template-name", "cli-maintain",
		"--launch-template-data", `{"ImageId":"ami-df5de72bdb3b","InstanceType":"t3.micro"}`)
	ltID := pathStr(t, lt, "LaunchTemplate", "LaunchTemplateId")

	fl := aws("create-fleet", "--type", "maintain",
		"--launch-template-configs", `[{"LaunchTemplateSpecification":{"LaunchTemplateId":"`+ltID+`","Version":"$Latest"}}]`,
		"--target-capacity-specification", "TotalTargetCapacity=3,DefaultTargetCapacityType=on-demand")
	fleetID := pathStr(t, fl, "FleetId")
	for k, v := range fl {
		if l, ok := v.([]any); k != "FleetId" && (!ok || len(l) != 0) {
			t.Errorf("create-fleet of a maintain fleet: %v, want its FleetId only", fl)
		}
	}
	active := func() []string {
		var ids []string
		for _, a := range path(t, aws("describe-fleet-instances", "--fleet-id", fleetID), "ActiveInstances").([]any) {
			ids = append(ids, pathStr(t, a, "InstanceId"))
		}
		slices.Sort(ids)
		return ids
	}
	var ids []string
	testutil.Until(t, time.Minute, "3 active instances", func() bool { ids = active(); return len(ids) == 3 })
	cliUntil(t, aws, "running", ids...)

	aws("terminate-instances", "--instance-ids", ids[0])
	var after []string
	testutil.Until(t, time.Minute, "a replacement of "+ids[0], func() bool {
		after = active()
		return len(after) == 3 && !slices.Contains(after, ids[0])
	})
	cliUntil(t, aws, "terminated", ids[0])
	cliUntil(t, aws, "running", after...)
	df := aws("describe-fleets", "--fleet-ids", fleetID)
	if got := pathStr(t, df, "Fleets", 0, "FleetState") + " " + pathStr(t, df, "Fleets", 0, "ActivityStatus"); got != "active fulfilled" {
		t.Errorf("describe-fleets: %s, want active fulfilled", got)
	}
	del := aws("delete-fleets", "--fleet-ids", fleetID, "--terminate-instances")
	if got := pathStr(t, del, "SuccessfulFleetDeletions", 0, "CurrentFleetState"); got != "deleted_terminating" {
		t.Errorf("delete-fleets: %v", del)
	}
	cliUntil(t, aws, "terminated", after...)
}
