package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// eipUserData serves HTTP on port 8080 from a busybox instance.
const eipUserData = "#!/bin/sh\nmkdir -p /www\necho hello from $(hostname) > /www/index.html\nbusybox httpd -p 8080 -h /www\n"

// TestAWSCLIElasticIPDocker drives Elastic IPs with the AWS CLI against
// the standalone server over docker: allocate an address, associate it with
// a running instance, reach the instance's forwarded port and SSH at the
// Elastic IP (and no longer at its old address), disassociate (the
// instance gets a new address and the Elastic IP stops answering), release.
func TestAWSCLIElasticIPDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a Docker engine, OpenSSH and the AWS CLI")
	}
	for _, tool := range []string{"ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("OpenSSH's %s is not installed", tool)
		}
	}
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	endpoint := startServer(t, "EC2_VM_MANAGER=docker", "EC2EMU_NAMESPACE="+ns, "EC2_MOUNT_DOCKER_SOCKET=0")
	aws := awsCLI(t, endpoint)
	dir := t.TempDir()

	key := filepath.Join(dir, "eip.pem")
	if err := os.WriteFile(key, []byte(pathStr(t, aws("create-key-pair", "--key-name", "eip"), "KeyMaterial")), 0o600); err != nil {
		t.Fatal(err)
	}
	id := pathStr(t, aws("run-instances", "--image-id", ami, "--count", "1", "--key-name", "eip", "--user-data", eipUserData), "Instances", 0, "InstanceId")
	cliUntil(t, aws, "running", id)
	inst := func() any {
		return path(t, aws("describe-instances", "--instance-ids", id), "Reservations", 0, "Instances", 0)
	}
	sg := pathStr(t, inst(), "SecurityGroups", 0, "GroupId")
	aws("authorize-security-group-ingress", "--group-id", sg, "--ip-permissions",
		"IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=0.0.0.0/0}]",
		"IpProtocol=tcp,FromPort=8080,ToPort=8080,IpRanges=[{CidrIp=0.0.0.0/0}]")
	auto := pathStr(t, inst(), "PublicIpAddress")
	if auto == "" {
		t.Fatal("the instance has no public address in the default subnet")
	}
	testutil.Until(t, 30*time.Second, "HTTP at the auto-assigned address", func() bool { return httpGet(auto) != "" })

	alloc := aws("allocate-address", "--domain", "vpc", "--tag-specifications", "ResourceType=elastic-ip,Tags=[{Key=Name,Value=cli}]")
	eip, allocID := pathStr(t, alloc, "PublicIp"), pathStr(t, alloc, "AllocationId")
	if !strings.HasPrefix(allocID, "eipalloc-") || eip == "" || eip == auto {
		t.Fatalf("allocate-address: %v", alloc)
	}
	start := time.Now()
	assoc := pathStr(t, aws("associate-address", "--allocation-id", allocID, "--instance-id", id), "AssociationId")
	testutil.Until(t, 10*time.Second, "HTTP at the Elastic IP", func() bool { return strings.Contains(httpGet(eip), "hello from") })
	t.Logf("associate-address → HTTP through the Elastic IP: %v", time.Since(start))
	if got := httpGet(auto); got != "" {
		t.Errorf("the old address still serves %q", got)
	}
	desc := inst()
	owner := pathStr(t, desc, "NetworkInterfaces", 0, "OwnerId")
	got := []string{pathStr(t, desc, "PublicIpAddress"), pathStr(t, desc, "NetworkInterfaces", 0, "Association", "PublicIp"),
		pathStr(t, desc, "NetworkInterfaces", 0, "Association", "IpOwnerId")}
	if want := []string{eip, eip, owner}; strings.Join(got, " ") != strings.Join(want, " ") || owner == "" {
		t.Errorf("describe-instances [PublicIpAddress Association.PublicIp Association.IpOwnerId] = %v, want %v", got, want)
	}
	a := path(t, aws("describe-addresses", "--allocation-ids", allocID), "Addresses", 0)
	if got := []string{pathStr(t, a, "InstanceId"), pathStr(t, a, "AssociationId"), pathStr(t, a, "Tags", 0, "Value")}; strings.Join(got, " ") != id+" "+assoc+" cli" {
		t.Errorf("describe-addresses [InstanceId AssociationId Name] = %v", got)
	}

	// SSH through the Elastic IP, with the instance's key.
	known := filepath.Join(dir, "known_hosts")
	sshOut := func(host string) (string, error) {
		out, code := sshRun(t, key, known, host, "echo via-eip; hostname")
		if code != 0 {
			return out, fmt.Errorf("ssh to %s: exit %d", host, code)
		}
		return out, nil
	}
	var out string
	testutil.Until(t, 30*time.Second, "ssh to the Elastic IP", func() bool {
		var err error
		out, err = sshOut(eip)
		return err == nil
	})
	if !strings.HasPrefix(out, "via-eip\n") {
		t.Errorf("ssh output %q", out)
	}

	// Stop and start: the Elastic IP stays, and serves again.
	aws("stop-instances", "--instance-ids", id)
	cliUntil(t, aws, "stopped", id)
	if got := pathStr(t, inst(), "PublicIpAddress"); got != eip {
		t.Errorf("stopped instance's public address %q, want the Elastic IP %s", got, eip)
	}
	aws("start-instances", "--instance-ids", id)
	cliUntil(t, aws, "running", id)
	testutil.Until(t, 30*time.Second, "ssh to the Elastic IP after a start", func() bool {
		_, err := sshOut(eip)
		return err == nil
	})

	// Disassociate: the instance gets a new address; the Elastic IP is dark.
	aws("disassociate-address", "--association-id", assoc)
	next := pathStr(t, inst(), "PublicIpAddress")
	if next == "" || next == eip {
		t.Fatalf("public address after disassociation %q", next)
	}
	testutil.Until(t, 10*time.Second, "the Elastic IP to stop listening", func() bool { return !reachable(eip, "22") && !reachable(eip, "8080") })
	testutil.Until(t, 30*time.Second, "HTTP at the new address", func() bool { return strings.Contains(httpGet(next), "hello from") })
	awsCLIFails(t, endpoint, "InvalidAssociationID.NotFound", "disassociate-address", "--association-id", assoc)

	aws("release-address", "--allocation-id", allocID)
	awsCLIFails(t, endpoint, "InvalidAllocationID.NotFound", "describe-addresses", "--allocation-ids", allocID)
	aws("terminate-instances", "--instance-ids", id)
	cliUntil(t, aws, "terminated", id)
}

// httpGet fetches http://ip:8080/ and returns the body, "" on any failure.
func httpGet(ip string) string {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + net.JoinHostPort(ip, "8080") + "/")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	return string(b)
}

func reachable(ip, port string) bool {
	c, err := net.DialTimeout("tcp4", net.JoinHostPort(ip, port), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
