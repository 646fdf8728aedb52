package main

import (
	"bufio"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// proc is one run of the standalone server.
type proc struct {
	cmd      *exec.Cmd
	endpoint string
	exited   chan struct{} // closed once the process has exited
	err      error         // how it exited, once exited is closed

	logMu    sync.Mutex
	warnings []string // the lines it logged at WARN or ERROR
}

// logged returns the lines p logged at WARN or ERROR so far.
func (p *proc) logged() []string {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	return slices.Clone(p.warnings)
}

// buildServer builds the standalone server once for the test.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ec2emu")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startProc starts bin on a free loopback port; it is killed at the end of
// the test if it still runs.
func startProc(t *testing.T, bin string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	// State stays in memory unless the test says where to keep it: tests
	// run in parallel and must not share the default state directory.
	cmd.Env = append(append(os.Environ(), "EC2EMU_STATE_DIR=off"), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`addr=(http://\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "level=WARN") || strings.Contains(sc.Text(), "level=ERROR") {
				p.logMu.Lock()
				p.warnings = append(p.warnings, sc.Text())
				p.logMu.Unlock()
			}
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.stop() })
	select {
	case p.endpoint = <-addr:
	case <-time.After(60 * time.Second):
		t.Fatal("server did not report its address within 60s")
	}
	return p
}

// stop asks the server to exit (SIGINT), as a user's Ctrl-C does, and
// returns how it exited; it kills it after 20 s.
func (p *proc) stop() error {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
		return p.err
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
		return errors.New("it did not stop within 20s of SIGINT")
	}
}

// TestKillDuringRunInstances kills the standalone server with SIGKILL in the
// middle of a five-instance RunInstances — two containers started, two
// created but not started, one not created — and restarts it in the same
// namespace. The restarted server re-adopts every container (finishing the
// two half-made launches), shows the instance that never got a container as
// terminated, leaves no orphan, and answers a retry with the same ClientToken
// with the same reservation without launching anything.
func TestKillDuringRunInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and needs a Docker engine")
	}
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	proxy := dockertest.NewProxy(t)
	bin := buildServer(t)
	env := []string{"EC2_VM_MANAGER=docker", "EC2EMU_NAMESPACE=" + ns, "EC2_MOUNT_DOCKER_SOCKET=0", "DOCKER_HOST=" + proxy.Host}
	ctx := t.Context()

	var creates, starts atomic.Int32
	proxy.Hold(func(r *http.Request) bool {
		switch {
		case r.Method != http.MethodPost:
			return false
		case strings.HasSuffix(r.URL.Path, "/containers/create") && strings.HasPrefix(r.URL.Query().Get("name"), docker.ContainerPrefix):
			return creates.Add(1) > 4 // instances' creates, not the namespace lock's
		case strings.HasSuffix(r.URL.Path, "/start"):
			return starts.Add(1) > 2
		}
		return false
	})
	first := startProc(t, bin, env...)
	c := ec2.New(ec2emutest.Client(first.endpoint, "us-east-1").Options(), func(o *ec2.Options) { o.RetryMaxAttempts = 1 })
	in := &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(5), ClientToken: aws.String("kill-" + ns)}
	out, err := c.RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, i := range out.Instances {
		ids = append(ids, *i.InstanceId)
	}
	if len(ids) != 5 {
		t.Fatalf("RunInstances answered %d instances, want 5", len(ids))
	}
	testutil.WaitFor(t, 60*time.Second, "two containers started and three launches held", func() (bool, string) {
		held, started := proxy.Held(), proxy.Passed("POST /start")
		return held == 3 && started == 2, "held " + itoa(held) + ", started " + itoa(started)
	})
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.exited
	// The dead process's held calls are dropped with its connections;
	// wait until nothing it sent is still on its way to the daemon.
	testutil.WaitFor(t, 30*time.Second, "the killed server's calls to drain", func() (bool, string) {
		inflight := proxy.InFlight()
		return proxy.Held() == 0 && len(inflight) == 0, "held " + itoa(proxy.Held()) + ", in flight " + strings.Join(inflight, ", ")
	})
	proxy.Hold(nil)
	before := namespaceContainers(t, ns)
	if len(before) != 4 {
		t.Fatalf("after the kill the namespace has %d containers, want 4: %v", len(before), before)
	}

	second := startProc(t, bin, env...)
	c = ec2.New(ec2emutest.Client(second.endpoint, "us-east-1").Options(), func(o *ec2.Options) { o.RetryMaxAttempts = 1 })
	var final map[string]types.Instance
	testutil.WaitFor(t, 60*time.Second, "every instance to settle after the restart", func() (bool, string) {
		d, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
		if err != nil {
			return false, err.Error()
		}
		final = map[string]types.Instance{}
		var saw []string
		for _, r := range d.Reservations {
			for _, i := range r.Instances {
				final[*i.InstanceId] = i
				saw = append(saw, string(i.State.Name))
			}
		}
		return !slices.Contains(saw, "pending") && len(final) == 5, strings.Join(saw, ",")
	})
	var running, terminated []string
	for id, i := range final {
		switch i.State.Name {
		case types.InstanceStateNameRunning:
			running = append(running, id)
		case types.InstanceStateNameTerminated:
			terminated = append(terminated, id)
			if i.StateReason == nil || aws.ToString(i.StateReason.Code) != "Server.InternalError" {
				t.Errorf("%s: terminated with reason %+v, want Server.InternalError", id, i.StateReason)
			}
		default:
			t.Errorf("%s is %s after the restart", id, i.State.Name)
		}
		if i.State.Name == types.InstanceStateNameRunning && aws.ToString(i.PrivateIpAddress) == "" {
			t.Errorf("%s is running without a private IP", id)
		}
	}
	if len(running) != 4 || len(terminated) != 1 {
		t.Errorf("after the restart: running %v, terminated %v; want 4 running (2 launched, 2 finished) and 1 terminated (never created)", running, terminated)
	}
	// No orphan, no duplicate: exactly the running instances' containers.
	got := namespaceContainers(t, ns)
	slices.Sort(running)
	if !slices.Equal(sortedKeys(got), running) {
		t.Errorf("containers %v, want exactly those of the running instances %v", got, running)
	}
	for id, st := range got {
		if st != container.StateRunning {
			t.Errorf("container of %s is %s, want running", id, st)
		}
	}

	// The same ClientToken after the restart: the same reservation, nothing new.
	createsBefore := proxy.Passed("POST /create")
	again, err := c.RunInstances(ctx, in)
	if err != nil {
		t.Fatalf("RunInstances retried with the same ClientToken: %v", err)
	}
	var againIDs []string
	for _, i := range again.Instances {
		againIDs = append(againIDs, *i.InstanceId)
	}
	if *again.ReservationId != *out.ReservationId || !slices.Equal(againIDs, ids) {
		t.Errorf("retry answered reservation %s %v, want %s %v", *again.ReservationId, againIDs, *out.ReservationId, ids)
	}
	if n := proxy.Passed("POST /create"); n != createsBefore {
		t.Errorf("the retry created %d containers", n-createsBefore)
	}
	if n := len(namespaceContainers(t, ns)); n != 4 {
		t.Errorf("after the retry the namespace has %d containers, want 4", n)
	}

	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 60*time.Second, "every container to go", func() (bool, string) {
		got := namespaceContainers(t, ns)
		return len(got) == 0, itoa(len(got)) + " left"
	})
}

// namespaceContainers maps instance ID → container state for every container
// of namespace ns, asking the daemon directly.
func namespaceContainers(t *testing.T, ns string) map[string]container.ContainerState {
	t.Helper()
	cli := dockertest.Require(t)
	list, err := cli.ContainerList(t.Context(), container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", docker.LabelNamespace+"="+ns))})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]container.ContainerState{}
	for _, c := range list {
		id := c.Labels[docker.LabelInstanceID]
		if _, dup := out[id]; dup {
			t.Errorf("two containers for instance %s", id)
		}
		if !slices.Contains(c.Names, "/"+docker.ContainerPrefix+id) {
			t.Errorf("container %v of %s is not named %s%s", c.Names, id, docker.ContainerPrefix, id)
		}
		out[id] = container.ContainerState(c.State)
	}
	return out
}

func sortedKeys(m map[string]container.ContainerState) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }
