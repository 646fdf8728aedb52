package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// TestAWSCLIVolumeSession is issue 19's session through the AWS CLI against
// the standalone server over docker: a volume attached to a running
// instance, a file written to it over SSH, a snapshot, a second volume from
// the snapshot attached to another instance, which reads the file; a launch
// template and a fleet of 3 from it; a restart of the server, after which
// everything is as it was and the file still reads; and nothing left in the
// engine once the instances, volumes and snapshot are deleted.
func TestAWSCLIVolumeSession(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a Docker engine, OpenSSH and the AWS CLI")
	}
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("OpenSSH's ssh is not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("volumes on docker need root on the engine's host")
	}
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	bin := buildServer(t)
	env := []string{"EC2_VM_MANAGER=docker", "EC2EMU_NAMESPACE=" + ns, "EC2_MOUNT_DOCKER_SOCKET=0", "EC2EMU_STATE_DIR=" + t.TempDir()}
	p := startProc(t, bin, env...)
	aws := awsCLI(t, p.endpoint)
	const az = "eu-west-1a"

	sg := pathStr(t, aws("create-security-group", "--group-name", "ssh", "--description", "ssh in"), "GroupId")
	aws("authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0")
	dir := t.TempDir()
	key, known := filepath.Join(dir, "session.pem"), filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(key, []byte(pathStr(t, aws("create-key-pair", "--key-name", "session"), "KeyMaterial")), 0o600); err != nil {
		t.Fatal(err)
	}
	run := aws("run-instances", "--image-id", ami, "--count", "2", "--security-group-ids", sg, "--key-name", "session",
		"--placement", "AvailabilityZone="+az)
	ids := []string{pathStr(t, run, "Instances", 0, "InstanceId"), pathStr(t, run, "Instances", 1, "InstanceId")}
	cliUntil(t, aws, "running", ids...)
	public := func(id string) string {
		return pathStr(t, aws("describe-instances", "--instance-ids", id), "Reservations", 0, "Instances", 0, "PublicIpAddress")
	}
	ssh := func(id, command string) string {
		t.Helper()
		var out string
		var code int
		testutil.Until(t, time.Minute, "ssh to "+id, func() bool {
			out, code = sshRun(t, key, known, public(id), command)
			return code != -1
		})
		if code != 0 {
			t.Fatalf("ssh %s %q: exit %d\n%s", id, command, code, out)
		}
		return out
	}

	// A volume, attached to the first instance while it runs.
	vol := pathStr(t, aws("create-volume", "--availability-zone", az, "--size", "1", "--volume-type", "gp3",
		"--tag-specifications", "ResourceType=volume,Tags=[{Key=Name,Value=session}]"), "VolumeId")
	aws("wait", "volume-available", "--volume-ids", vol)
	if got := pathStr(t, aws("attach-volume", "--volume-id", vol, "--instance-id", ids[0], "--device", "/dev/sdf"), "State"); got != "attaching" {
		t.Errorf("attach-volume answered %q, want attaching", got)
	}
	aws("wait", "volume-in-use", "--volume-ids", vol)
	volUntil(t, aws, vol, "attached")
	ssh(ids[0], "echo written-through-ssh > /ebs/sdf/hello.txt && sync")

	// Its snapshot, a second volume from it, attached to the other
	// instance, which reads the file.
	snap := pathStr(t, aws("create-snapshot", "--volume-id", vol, "--description", "session"), "SnapshotId")
	aws("wait", "snapshot-completed", "--snapshot-ids", snap)
	vol2 := pathStr(t, aws("create-volume", "--availability-zone", az, "--snapshot-id", snap), "VolumeId")
	aws("wait", "volume-available", "--volume-ids", vol2)
	aws("attach-volume", "--volume-id", vol2, "--instance-id", ids[1], "--device", "/dev/sdg")
	volUntil(t, aws, vol2, "attached")
	if got := ssh(ids[1], "cat /ebs/sdg/hello.txt"); strings.TrimSpace(got) != "written-through-ssh" {
		t.Errorf("the second instance reads %q from the restored volume", got)
	}

	// A launch template, and a fleet of 3 from it.
	lt := pathStr(t, aws("create-launch-template", "--launch-template-name", "session",
		"--launch-template-data", `{"ImageId":"`+ami+`","InstanceType":"t3.micro"}`), "LaunchTemplate", "LaunchTemplateId")
	fl := aws("create-fleet", "--type", "instant",
		"--launch-template-configs", `[{"LaunchTemplateSpecification":{"LaunchTemplateId":"`+lt+`","Version":"$Latest"}}]`,
		"--target-capacity-specification", "TotalTargetCapacity=3,DefaultTargetCapacityType=on-demand")
	fleet := pathStr(t, fl, "FleetId")
	var fleetIDs []string
	for _, id := range path(t, fl, "Instances", 0, "InstanceIds").([]any) {
		fleetIDs = append(fleetIDs, id.(string))
	}
	if len(fleetIDs) != 3 {
		t.Fatalf("create-fleet launched %v, want 3 instances", fleetIDs)
	}
	cliUntil(t, aws, "running", fleetIDs...)

	// A restart: the server stops, and another starts on the same state.
	snapshot := func() string {
		var parts []string
		for _, args := range [][]string{
			{"describe-instances"}, {"describe-volumes"}, {"describe-snapshots", "--owner-ids", "self"},
			{"describe-launch-templates"}, {"describe-fleets"}, {"describe-key-pairs"}, {"describe-security-groups"},
		} {
			b, _ := json.Marshal(aws(args...))
			parts = append(parts, string(b))
		}
		return strings.Join(parts, "\n")
	}
	before := snapshot()
	if err := p.stop(); err != nil {
		t.Fatalf("the server did not stop cleanly: %v", err)
	}
	p = startProc(t, bin, env...)
	aws = awsCLI(t, p.endpoint)
	if after := snapshot(); after != before {
		t.Errorf("after the restart the describes differ:\nbefore: %s\nafter:  %s", before, after)
	}
	if got := ssh(ids[1], "cat /ebs/sdg/hello.txt"); strings.TrimSpace(got) != "written-through-ssh" {
		t.Errorf("after the restart the second instance reads %q", got)
	}

	// Teardown, in the order a user would: nothing is left in the engine.
	aws("delete-fleets", "--fleet-ids", fleet, "--terminate-instances")
	aws(append([]string{"terminate-instances", "--instance-ids"}, ids...)...)
	cliUntil(t, aws, "terminated", append(slices.Clone(ids), fleetIDs...)...)
	for _, v := range []string{vol, vol2} {
		aws("wait", "volume-available", "--volume-ids", v)
		aws("delete-volume", "--volume-id", v)
	}
	aws("delete-snapshot", "--snapshot-id", snap)
	aws("delete-launch-template", "--launch-template-id", lt)
	aws("wait", "volume-deleted", "--volume-ids", vol, vol2)
	ours := filters.NewArgs(filters.Arg("label", docker.LabelNamespace+"="+ns))
	testutil.Until(t, time.Minute, "the namespace's containers and Docker volumes to be gone", func() bool {
		vs, err := cli.VolumeList(t.Context(), volume.ListOptions{Filters: ours})
		cs, cerr := cli.ContainerList(t.Context(), container.ListOptions{All: true, Filters: ours})
		return err == nil && cerr == nil && len(vs.Volumes) == 0 && len(cs) == 0
	})
	if mounts, err := os.ReadFile("/proc/self/mountinfo"); err == nil && strings.Contains(string(mounts), ns) {
		t.Errorf("mounts of namespace %s are left:\n%s", ns, grepLines(string(mounts), ns))
	}
}

// volUntil polls describe-volumes until vol's attachment is in state.
func volUntil(t *testing.T, aws func(...string) map[string]any, vol, state string) {
	t.Helper()
	testutil.Until(t, time.Minute, vol+" to be "+state, func() bool {
		return pathStr(t, aws("describe-volumes", "--volume-ids", vol), "Volumes", 0, "Attachments", 0, "State") == state
	})
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
