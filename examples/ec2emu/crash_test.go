package main

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

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
