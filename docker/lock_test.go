package docker_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/lockholder"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

func TestLockLabelsAgree(t *testing.T) {
	got := []string{docker.LabelNamespace, docker.LabelLock, docker.LabelVPC, docker.DefaultVolumeRoot}
	if diff := cmp.Diff([]string{dockertest.NamespaceLabel, dockertest.LockLabel, dockertest.VPCLabel, dockertest.VolumeRoot}, got); diff != "" {
		t.Errorf("labels dockertest spells (-dockertest +docker):\n%s", diff)
	}
}

// lockEnv opens backends in one fresh namespace and removes, when the test
// ends, whatever lock container is left.
type lockEnv struct {
	t  *testing.T
	ns string
}

func newLockEnv(t *testing.T) *lockEnv {
	cli := dockertest.Require(t)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelLock, ns)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	return &lockEnv{t: t, ns: ns}
}

func (e *lockEnv) open(opts ...docker.Option) *docker.Backend {
	e.t.Helper()
	b, err := docker.New(e.t.Context(), append([]docker.Option{docker.WithNamespace(e.ns), docker.WithMetadataNetwork("")}, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { b.Close() })
	return b
}

func lock(t *testing.T, b *docker.Backend) backend.NamespaceLock {
	t.Helper()
	l, err := b.LockNamespace(t.Context())
	if err != nil {
		t.Fatalf("LockNamespace: %v", err)
	}
	return l
}

// lockContainers lists the namespace's lock containers: name → state.
func lockContainers(t *testing.T, ns string) map[string]string {
	t.Helper()
	cli := dockertest.Require(t)
	list, err := cli.ContainerList(t.Context(), container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", docker.LabelLock+"="+ns))})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range list {
		out[strings.Join(c.Names, ",")] = c.State
	}
	return out
}

// TestLockSameHost: a second backend in a held namespace is refused with
// the holder named; the lock is a created, never started container that
// no listing of the namespace shows; released, the namespace is free.
func TestLockSameHost(t *testing.T) {
	e := newLockEnv(t)
	b1, b2 := e.open(), e.open()
	l1 := lock(t, b1)
	_, err := b2.LockNamespace(t.Context())
	if !errors.Is(err, backend.ErrNamespaceLocked) {
		t.Fatalf("second LockNamespace: %v; want ErrNamespaceLocked", err)
	}
	host, _ := os.Hostname()
	for _, want := range []string{fmt.Sprintf("%q", e.ns), fmt.Sprintf("process %d on host %s", os.Getpid(), host)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if diff := cmp.Diff(map[string]string{"/" + docker.LockName(e.ns): "created"}, lockContainers(t, e.ns)); diff != "" {
		t.Errorf("lock containers (-want +got):\n%s", diff)
	}
	ms, err := b1.Machines(t.Context())
	if err != nil || len(ms) != 0 {
		t.Errorf("Machines with only the lock container: %v, %v; want none", ms, err)
	}
	if err := l1.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{}, lockContainers(t, e.ns)); diff != "" {
		t.Errorf("lock containers after Release (-want +got):\n%s", diff)
	}
	lock(t, b2).Release(t.Context())
}

// deadHere makes a backend claim to be a process of this host that no
// longer runs (this PID, another start time).
func deadHere(h *lockholder.Holder) { h.Start = "boot-before:1" }

// TestLockTakeoverSameHost: a lock left by a dead process of this host is
// taken over at once, and its former holder, if it was only abandoned,
// learns it lost the lock.
func TestLockTakeoverSameHost(t *testing.T) {
	e := newLockEnv(t)
	ghost := e.open(docker.WithHolder(deadHere), docker.WithLockTiming(30*time.Second, 100*time.Millisecond))
	lg := lock(t, ghost)
	start := time.Now()
	l := lock(t, e.open())
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("taking over from a dead holder took %v; want at once", d)
	}
	select {
	case <-lg.Lost():
	case <-time.After(10 * time.Second):
		t.Error("the former holder's lock did not report itself lost within 10s")
	}
	lg.Release(t.Context()) // must not remove the new holder's container
	if got := len(lockContainers(t, e.ns)); got != 1 {
		t.Errorf("%d lock containers after the old holder released; want the new one", got)
	}
	l.Release(t.Context())
}

// TestLockRaceAfterDeadHolder: newcomers racing to take over a dead
// holder's lock: exactly one wins each time.
func TestLockRaceAfterDeadHolder(t *testing.T) {
	e := newLockEnv(t)
	for round := range 4 {
		docker.Abandon(lock(t, e.open(docker.WithHolder(deadHere))))
		racers := []*docker.Backend{e.open(), e.open(), e.open()}
		type result struct {
			l   backend.NamespaceLock
			err error
		}
		res := make(chan result, len(racers))
		for _, b := range racers {
			go func() {
				l, err := b.LockNamespace(t.Context())
				res <- result{l, err}
			}()
		}
		var won []backend.NamespaceLock
		for range racers {
			r := <-res
			switch {
			case r.err == nil:
				won = append(won, r.l)
			case !errors.Is(r.err, backend.ErrNamespaceLocked):
				t.Errorf("round %d: a racer failed with %v; want ErrNamespaceLocked", round, r.err)
			}
		}
		if len(won) != 1 {
			t.Fatalf("round %d: %d racers won; want exactly 1", round, len(won))
		}
		won[0].Release(t.Context())
	}
}

// TestLockCrossHost: from another host the holder is judged by its lease,
// on the engine's clock: while it renews, a newcomer is refused; once it
// stops, the newcomer takes over when the lease has run out, not before.
func TestLockCrossHost(t *testing.T) {
	const lease, renew = 2 * time.Second, 200 * time.Millisecond
	e := newLockEnv(t)
	onHost := func(id string) docker.Option {
		return docker.WithHolder(func(h *lockholder.Holder) { h.HostID, h.Host = id, id })
	}
	a := e.open(onHost("host-a"), docker.WithLockTiming(lease, renew))
	b := e.open(onHost("host-b"), docker.WithLockTiming(lease, renew))
	la := lock(t, a)
	// Refused for longer than a lease: the renewals, not the creation,
	// keep the lock.
	for start := time.Now(); time.Since(start) < lease+renew; {
		_, err := b.LockNamespace(t.Context())
		if !errors.Is(err, backend.ErrNamespaceLocked) || !strings.Contains(err.Error(), "on host host-a") {
			t.Fatalf("LockNamespace %v after host-a locked, while it renews: %v; want ErrNamespaceLocked naming host-a", time.Since(start), err)
		}
	}
	docker.Abandon(la) // host-a dies
	died := time.Now()
	lb := lock(t, b)
	took := time.Since(died)
	if took < lease-renew-100*time.Millisecond || took > lease+5*time.Second {
		t.Errorf("took over %v after the holder died; want about the lease (%v)", took, lease)
	}
	lb.Release(t.Context())
}

// TestLockLostWhenRemoved: a holder whose lock container is removed behind
// its back (as a takeover does) reports the lock lost.
func TestLockLostWhenRemoved(t *testing.T) {
	e := newLockEnv(t)
	l := lock(t, e.open(docker.WithLockTiming(30*time.Second, 100*time.Millisecond)))
	cli := dockertest.Require(t)
	if err := cli.ContainerRemove(t.Context(), docker.LockName(e.ns), container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("Lost not closed within 10s of the lock container's removal")
	}
	if err := l.Release(t.Context()); err != nil {
		t.Errorf("Release of a lost lock: %v", err)
	}
}

// TestLockCloseReleases: closing the backend releases what it holds.
func TestLockCloseReleases(t *testing.T) {
	e := newLockEnv(t)
	b := e.open()
	lock(t, b)
	b.Close()
	testutil.WaitFor(t, 10*time.Second, "no lock container", func() (bool, string) {
		got := lockContainers(t, e.ns)
		return len(got) == 0, fmt.Sprint(got)
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	l, err := e.open().LockNamespace(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l.Release(ctx)
}

// TestLockSurvivesOutage: a daemon that does not answer for longer than
// the lease loses the holder nothing by itself: back, the lock container
// is still its own, and renewals go on.
func TestLockSurvivesOutage(t *testing.T) {
	const lease, renew = time.Second, 100 * time.Millisecond
	e := newLockEnv(t)
	proxy := dockertest.NewProxy(t)
	b := e.open(docker.WithClient(proxy.Client(t)), docker.WithLockTiming(lease, renew))
	l := lock(t, b)
	proxy.Cut()
	outage := time.Now()
	// Renewals fail for three leases; Lost must stay open all along.
	for time.Since(outage) < 3*lease {
		select {
		case <-l.Lost():
			t.Fatalf("lock reported lost %v into an outage", time.Since(outage))
		case <-time.After(renew):
		}
	}
	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	// Back, it renews again: the engine records update events for it.
	cli := dockertest.Require(t)
	info, err := cli.ContainerInspect(t.Context(), docker.LockName(e.ns))
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	testutil.WaitFor(t, 10*time.Second, "a renewal after the outage", func() (bool, string) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		msgs, errs := cli.Events(ctx, events.ListOptions{Since: fmt.Sprint(since.Unix()),
			Filters: filters.NewArgs(filters.Arg("container", info.ID), filters.Arg("event", "update"))})
		select {
		case <-msgs:
			return true, ""
		case err := <-errs:
			return false, fmt.Sprint(err)
		}
	})
	select {
	case <-l.Lost():
		t.Error("lock reported lost after the daemon came back")
	default:
	}
	if err := l.Release(t.Context()); err != nil {
		t.Errorf("Release after the outage: %v", err)
	}
}
