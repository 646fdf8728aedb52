package main

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// sshRun runs command on host as ec2-user with key, through OpenSSH, and
// returns its output and exit status (-1 when ssh itself failed to run it).
func sshRun(t *testing.T, key, knownHosts, host, command string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", "-F", "/dev/null", "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=accept-new", "-o", "UserKnownHostsFile="+knownHosts, "-o", "ConnectTimeout=5",
		"-o", "LogLevel=ERROR", "ec2-user@"+host, command)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() != 255 { // 255: ssh's own failure
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		return out.String(), -1
	}
	return out.String(), 0
}

// TestAWSCLIVPCSession is issue 17's session through the AWS CLI against
// the standalone server over docker: a VPC with a public subnet, an
// internet gateway and its route, a group allowing SSH, two instances in
// the subnet at the addresses run-instances answered, an Elastic IP and
// SSH to it; from there the other instance of the VPC answers and an
// instance of another VPC does not. Deleting in the wrong order answers
// DependencyViolation and changes nothing; in the right order everything
// goes, Docker networks included.
func TestAWSCLIVPCSession(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a Docker engine, OpenSSH and the AWS CLI")
	}
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("OpenSSH's ssh is not installed")
	}
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	endpoint := startServer(t, "EC2_VM_MANAGER=docker", "EC2EMU_NAMESPACE="+ns, "EC2_MOUNT_DOCKER_SOCKET=0")
	aws := awsCLI(t, endpoint)
	rangeA, rangeB := testutil.VPCRange(), testutil.VPCRange()
	for rangeA.Overlaps(rangeB) {
		rangeB = testutil.VPCRange()
	}
	subnetRange := netip.PrefixFrom(rangeA.Addr(), 26)

	// The network, as a Terraform module or a tutorial builds it.
	vpc := pathStr(t, aws("create-vpc", "--cidr-block", rangeA.String()), "Vpc", "VpcId")
	subnet := pathStr(t, aws("create-subnet", "--vpc-id", vpc, "--cidr-block", subnetRange.String()), "Subnet", "SubnetId")
	aws("modify-subnet-attribute", "--subnet-id", subnet, "--map-public-ip-on-launch")
	igw := pathStr(t, aws("create-internet-gateway"), "InternetGateway", "InternetGatewayId")
	aws("attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
	rtb := pathStr(t, aws("create-route-table", "--vpc-id", vpc), "RouteTable", "RouteTableId")
	aws("create-route", "--route-table-id", rtb, "--destination-cidr-block", "0.0.0.0/0", "--gateway-id", igw)
	rtbAssoc := pathStr(t, aws("associate-route-table", "--route-table-id", rtb, "--subnet-id", subnet), "AssociationId")
	sg := pathStr(t, aws("create-security-group", "--group-name", "ssh", "--description", "ssh in", "--vpc-id", vpc), "GroupId")
	aws("authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0")
	dir := t.TempDir()
	key, known := filepath.Join(dir, "session.pem"), filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(key, []byte(pathStr(t, aws("create-key-pair", "--key-name", "session"), "KeyMaterial")), 0o600); err != nil {
		t.Fatal(err)
	}

	run := aws("run-instances", "--image-id", ami, "--count", "2", "--subnet-id", subnet, "--security-group-ids", sg, "--key-name", "session")
	ids := []string{pathStr(t, run, "Instances", 0, "InstanceId"), pathStr(t, run, "Instances", 1, "InstanceId")}
	answered := []string{pathStr(t, run, "Instances", 0, "PrivateIpAddress"), pathStr(t, run, "Instances", 1, "PrivateIpAddress")}
	for _, ip := range answered {
		if a, err := netip.ParseAddr(ip); err != nil || !subnetRange.Contains(a) {
			t.Fatalf("run-instances answered private addresses %v, want addresses of %s at once", answered, subnetRange)
		}
	}
	// An instance of another VPC, which the first VPC must not reach.
	vpcB := pathStr(t, aws("create-vpc", "--cidr-block", rangeB.String()), "Vpc", "VpcId")
	subnetB := pathStr(t, aws("create-subnet", "--vpc-id", vpcB, "--cidr-block", rangeB.String()), "Subnet", "SubnetId")
	runB := aws("run-instances", "--image-id", ami, "--count", "1", "--subnet-id", subnetB)
	idB, ipB := pathStr(t, runB, "Instances", 0, "InstanceId"), pathStr(t, runB, "Instances", 0, "PrivateIpAddress")
	cliUntil(t, aws, "running", append(ids, idB)...)

	// Each container has exactly the address run-instances answered.
	for i, id := range ids {
		info, err := cli.ContainerInspect(t.Context(), docker.ContainerPrefix+id)
		if err != nil {
			t.Fatal(err)
		}
		ep := info.NetworkSettings.Networks["ec2emu-vpc."+ns+"."+vpc]
		if ep == nil || ep.IPAddress != answered[i] {
			t.Errorf("container of %s: endpoint on its VPC's network %+v, want address %s", id, ep, answered[i])
		}
	}

	alloc := aws("allocate-address", "--domain", "vpc")
	eip, allocID := pathStr(t, alloc, "PublicIp"), pathStr(t, alloc, "AllocationId")
	assoc := pathStr(t, aws("associate-address", "--allocation-id", allocID, "--instance-id", ids[0]), "AssociationId")
	if got := pathStr(t, aws("describe-instances", "--instance-ids", ids[0]), "Reservations", 0, "Instances", 0, "PublicIpAddress"); got != eip {
		t.Errorf("public address after associate-address %q, want the Elastic IP %s", got, eip)
	}
	var out string
	testutil.Until(t, 30*time.Second, "ssh to the Elastic IP", func() bool {
		var code int
		out, code = sshRun(t, key, known, eip, "ip -4 -o addr show eth0")
		return code == 0
	})
	if !strings.Contains(out, " "+answered[0]+"/") {
		t.Errorf("inside the instance, eth0 is %q; want %s", out, answered[0])
	}
	reach := map[string]int{}
	_, reach["same VPC"] = sshRun(t, key, known, eip, "ping -c 1 -W 2 "+answered[1])
	_, reach["other VPC"] = sshRun(t, key, known, eip, "ping -c 1 -W 2 "+ipB)
	if reach["same VPC"] != 0 || reach["other VPC"] != 1 {
		t.Errorf("ping exit status from %s: %v; want 0 to %s of its VPC and 1 to %s of another", ids[0], reach, answered[1], ipB)
	}

	// The wrong order is refused and changes nothing.
	awsCLIFails(t, endpoint, "DependencyViolation", "delete-vpc", "--vpc-id", vpc)
	awsCLIFails(t, endpoint, "DependencyViolation", "delete-subnet", "--subnet-id", subnet)
	awsCLIFails(t, endpoint, "DependencyViolation", "delete-security-group", "--group-id", sg)
	awsCLIFails(t, endpoint, "DependencyViolation", "detach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
	if n := len(path(t, aws("describe-instances", "--filters", "Name=vpc-id,Values="+vpc, "Name=instance-state-name,Values=running"), "Reservations", 0, "Instances").([]any)); n != 2 {
		t.Errorf("running instances in the VPC after refused deletes: %d, want 2", n)
	}
	if pathStr(t, aws("describe-subnets", "--subnet-ids", subnet), "Subnets", 0, "SubnetId") != subnet {
		t.Error("the subnet is gone after a refused delete")
	}

	// The right order takes everything, the engine's networks too.
	aws("disassociate-address", "--association-id", assoc)
	aws("release-address", "--allocation-id", allocID)
	aws("terminate-instances", "--instance-ids", ids[0], ids[1], idB)
	cliUntil(t, aws, "terminated", append(ids, idB)...)
	aws("delete-security-group", "--group-id", sg)
	aws("disassociate-route-table", "--association-id", rtbAssoc)
	aws("delete-route-table", "--route-table-id", rtb)
	aws("detach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
	aws("delete-internet-gateway", "--internet-gateway-id", igw)
	aws("delete-subnet", "--subnet-id", subnet)
	aws("delete-vpc", "--vpc-id", vpc)
	aws("delete-subnet", "--subnet-id", subnetB)
	aws("delete-vpc", "--vpc-id", vpcB)
	testutil.Until(t, 30*time.Second, "the VPCs' Docker networks to go", func() bool {
		nets, err := cli.NetworkList(t.Context(), network.ListOptions{Filters: filters.NewArgs(filters.Arg("label", docker.LabelNamespace+"="+ns))})
		return err == nil && len(nets) == 0
	})
}
