package main

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/crashcheck"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// TestStateSurvivesSIGKILL is the crash-consistency test with a real
// process: the standalone server over Docker with a state directory, eight
// clients writing, killed with SIGKILL at a random moment, three times. After
// each restart every acknowledged write is visible, no failed one is, and
// each container belongs to exactly one live instance. (The in-process
// test in the root package runs 20 rounds of 32 clients.)
func TestStateSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and needs a Docker engine")
	}
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	b, err := docker.New(t.Context(), docker.WithClient(cli), docker.WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	machines := func(ctx context.Context) ([]string, error) {
		ms, err := b.Machines(ctx)
		var ids []string
		for _, m := range ms {
			if m.State != backend.StateTerminated {
				ids = append(ids, m.ID)
			}
		}
		return ids, err
	}
	bin := buildServer(t)
	env := []string{"EC2_VM_MANAGER=docker", "EC2EMU_NAMESPACE=" + ns, "EC2_MOUNT_DOCKER_SOCKET=0",
		"EC2EMU_STATE_DIR=" + t.TempDir(), "EC2EMU_PUBLIC_IP_POOL=off"}
	model := crashcheck.NewModel()
	model.MaxLaunches = 2
	client := func(p *proc) *ec2.Client {
		return ec2.New(ec2emutest.Client(p.endpoint, "us-east-1").Options(), func(o *ec2.Options) { o.RetryMaxAttempts = 1 })
	}
	p := startProc(t, bin, env...)
	for round := range 3 {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			model.Run(ctx, client(p), round, 8, ami)
		}()
		time.Sleep(time.Duration(500+rand.IntN(1500)) * time.Millisecond) // the kill's moment, not a wait for a condition
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
		cancel()
		<-done
		p = startProc(t, bin, env...)
		cctx, ccancel := context.WithTimeout(t.Context(), 2*time.Minute)
		checkStart := time.Now()
		bad := model.Check(cctx, client(p), machines)
		ccancel()
		t.Logf("round %d: checked in %v", round, time.Since(checkStart).Round(time.Millisecond))
		if len(bad) > 0 {
			t.Logf("the restarted server logged:\n%s", strings.Join(p.logged(), "\n"))
			slices.Sort(bad)
			t.Fatalf("round %d: %d discrepancies:\n%s", round, len(bad), strings.Join(bad[:min(len(bad), 30)], "\n"))
		}
		if err := model.Settle(t.Context(), client(p)); err != nil {
			t.Fatal(err)
		}
	}
	acked, failed, cut := model.Counts()
	t.Logf("3 kills: %d writes acknowledged, %d failed as they must, %d cut off", acked, failed, cut)
	if acked == 0 || cut == 0 {
		t.Errorf("the workload did not exercise the kill: %d acknowledged, %d cut off", acked, cut)
	}
	// Leave nothing running: the last server terminates what is left.
	c := client(p)
	out, err := c.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			ids = append(ids, *i.InstanceId)
		}
	}
	if len(ids) > 0 {
		if _, err := c.TerminateInstances(t.Context(), &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
			t.Fatal(err)
		}
		testutil.WaitStates(t, c, 2*time.Minute, "terminated", ids...)
	}
}

// TestDefaultStateDir: with no EC2EMU_STATE_DIR, the server keeps its state
// under $XDG_DATA_HOME/ec2emu/<backend>/<namespace>, so a second run sees
// what the first made; EC2EMU_STATE_DIR=off keeps none.
func TestDefaultStateDir(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server")
	}
	bin := buildServer(t)
	data := t.TempDir()
	env := []string{"EC2_VM_MANAGER=mock", "EC2EMU_STATE_DIR=", "XDG_DATA_HOME=" + data}
	keys := func(p *proc) []string {
		out, err := ec2emutest.Client(p.endpoint, "us-east-1").DescribeKeyPairs(t.Context(), &ec2.DescribeKeyPairsInput{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, k := range out.KeyPairs {
			names = append(names, *k.KeyName)
		}
		return names
	}
	p := startProc(t, bin, env...)
	if _, err := ec2emutest.Client(p.endpoint, "us-east-1").CreateKeyPair(t.Context(), &ec2.CreateKeyPairInput{KeyName: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(data, "ec2emu", "mock", "standalone", "ec2emu.db")); err != nil {
		t.Fatalf("no state in the default place: %v", err)
	}
	p = startProc(t, bin, env...)
	if diff := cmp.Diff([]string{"kept"}, keys(p)); diff != "" {
		t.Errorf("after a restart (-want +got):\n%s", diff)
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	p = startProc(t, bin, append(env, "EC2EMU_STATE_DIR=off")...)
	if got := keys(p); len(got) != 0 {
		t.Errorf("EC2EMU_STATE_DIR=off still shows %v", got)
	}
}
