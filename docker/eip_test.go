package docker_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// TestElasticIPSurvivesRestart: with a state directory, an Elastic IP
// associated with a running container stays associated when the emulator
// restarts, and the restarted emulator answers SSH at the Elastic IP.
func TestElasticIPSurvivesRestart(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("OpenSSH's ssh is not installed")
	}
	e := &sshEnv{dir: t.TempDir()}
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	state := t.TempDir()
	open := func() *docker.Backend {
		b, err := docker.New(t.Context(), docker.WithNamespace(ns), docker.WithDockerSocket(false))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b1 := open()
	srv1 := ec2emu.New(b1, ec2emu.WithStateDir(state))
	hs1 := httptest.NewServer(srv1)
	c1 := ec2emutest.Client(hs1.URL, "us-east-1")
	ctx := t.Context()
	kp, err := c1.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	e.key = filepath.Join(e.dir, "key.pem")
	if err := os.WriteFile(e.key, []byte(*kp.KeyMaterial), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := c1.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), KeyName: kp.KeyName})
	if err != nil {
		t.Fatal(err)
	}
	id := *out.Instances[0].InstanceId
	testutil.WaitStates(t, c1, 60*time.Second, types.InstanceStateNameRunning, id)
	in := ingress(22, "127.0.0.0/8")
	in.GroupId = describeInstance(t, c1, id).SecurityGroups[0].GroupId
	if _, err := c1.AuthorizeSecurityGroupIngress(ctx, in); err != nil {
		t.Fatal(err)
	}
	a, err := c1.AllocateAddress(ctx, &ec2.AllocateAddressInput{})
	if err != nil {
		t.Fatal(err)
	}
	eip := aws.ToString(a.PublicIp)
	as, err := c1.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: a.AllocationId, InstanceId: &id})
	if err != nil {
		t.Fatal(err)
	}
	e.known = filepath.Join(e.dir, "known_hosts")
	if err := os.WriteFile(e.known, []byte(eip+" "+srv1.HostKey(id)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 5*time.Second, "port 22 on the Elastic IP", func() (bool, string) {
		return slices.Contains(srv1.ForwardedPorts(id), 22), fmt.Sprint(srv1.ForwardedPorts(id))
	})
	if stdout, stderr, code := e.ssh(t, "", "root@"+eip, "echo before"); stdout != "before\n" || code != 0 {
		t.Fatalf("ssh to the Elastic IP: exit %d, %q, %q", code, stdout, stderr)
	}
	hs1.Close()
	if err := srv1.Close(); err != nil {
		t.Fatal(err)
	}
	b1.Close()

	b2 := open()
	t.Cleanup(func() { b2.Close() })
	srv2 := ec2emutest.NewServer(t, b2, ec2emu.WithStateDir(state))
	<-srv2.Ready()
	got := describeInstance(t, srv2.Client, id)
	if ip := aws.ToString(got.PublicIpAddress); ip != eip {
		t.Errorf("after restart: public address %q, want the Elastic IP %s", ip, eip)
	}
	addrs, err := srv2.Client.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{aws.ToString(a.AllocationId)}})
	if err != nil || aws.ToString(addrs.Addresses[0].AssociationId) != aws.ToString(as.AssociationId) {
		t.Fatalf("after restart: DescribeAddresses %v, %v; want association %s", addrs, err, aws.ToString(as.AssociationId))
	}
	testutil.WaitFor(t, 5*time.Second, "port 22 on the Elastic IP again", func() (bool, string) {
		return slices.Contains(srv2.ForwardedPorts(id), 22), fmt.Sprint(srv2.ForwardedPorts(id))
	})
	if stdout, stderr, code := e.ssh(t, "", "root@"+eip, "echo after"); stdout != "after\n" || code != 0 {
		t.Errorf("ssh to the Elastic IP after restart: exit %d, %q, %q", code, stdout, stderr)
	}
}
