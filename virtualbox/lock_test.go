package virtualbox

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/lockholder"
)

// lockBackend opens a backend in namespace ns with lock settings changed
// by change; it is closed when the test ends.
func lockBackend(t *testing.T, ns string, change func(*lockConfig)) *Backend {
	t.Helper()
	b, err := New(t.Context(), WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(&b.lockCfg)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// as makes the backend claim another identity when it locks.
func as(change func(*lockholder.Holder)) func(*lockConfig) {
	return func(c *lockConfig) {
		self := c.self
		c.self = func() lockholder.Holder { h := self(); change(&h); return h }
	}
}

func timing(lease, renew time.Duration) func(*lockConfig) {
	return func(c *lockConfig) { c.lease, c.renew = lease, renew }
}

func both(fs ...func(*lockConfig)) func(*lockConfig) {
	return func(c *lockConfig) {
		for _, f := range fs {
			f(c)
		}
	}
}

// deadHere: this PID with another start time, a process gone.
func deadHere(h *lockholder.Holder) { h.Start = "boot-before:1" }

func lockNS(t *testing.T) string {
	return fmt.Sprintf("lock-%d-%d", time.Now().UnixNano(), conformanceNS.Add(1))
}

func mustLock(t *testing.T, b *Backend) backend.NamespaceLock {
	t.Helper()
	l, err := b.LockNamespace(t.Context())
	if err != nil {
		t.Fatalf("LockNamespace: %v", err)
	}
	return l
}

// abandon stops renewing l without releasing it, as a dying holder does.
func abandon(l backend.NamespaceLock) {
	n := l.(*nsLock)
	n.stop()
	<-n.done
	n.b.locksMu.Lock()
	delete(n.b.locks, n)
	n.b.locksMu.Unlock()
}

func TestLockSameHost(t *testing.T) {
	ns := lockNS(t)
	b1, b2 := lockBackend(t, ns, nil), lockBackend(t, ns, nil)
	l1 := mustLock(t, b1)
	_, err := b2.LockNamespace(t.Context())
	host, _ := os.Hostname()
	if !errors.Is(err, backend.ErrNamespaceLocked) || !strings.Contains(err.Error(), fmt.Sprintf("process %d on host %s", os.Getpid(), host)) {
		t.Fatalf("second LockNamespace: %v; want ErrNamespaceLocked naming this process", err)
	}
	if out := vbm(t, "list", "vms"); !strings.Contains(out, `"`+lockName(ns)+`"`) {
		t.Errorf("no lock VM %s in\n%s", lockName(ns), out)
	}
	if ms, err := b1.Machines(t.Context()); err != nil || len(ms) != 0 {
		t.Errorf("Machines with only the lock VM: %v, %v; want none", ms, err)
	}
	if err := l1.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	if out := vbm(t, "list", "vms"); strings.Contains(out, lockName(ns)) {
		t.Errorf("lock VM still registered after Release:\n%s", out)
	}
	mustLock(t, b2).Release(t.Context())
}

func TestLockTakeoverSameHost(t *testing.T) {
	ns := lockNS(t)
	ghost := lockBackend(t, ns, both(as(deadHere), timing(30*time.Second, 100*time.Millisecond)))
	lg := mustLock(t, ghost)
	start := time.Now()
	l := mustLock(t, lockBackend(t, ns, nil))
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("taking over from a dead holder took %v; want at once", d)
	}
	select {
	case <-lg.Lost():
	case <-time.After(10 * time.Second):
		t.Error("the former holder's lock did not report itself lost within 10s")
	}
	lg.Release(t.Context()) // must leave the new holder's VM alone
	if out := vbm(t, "list", "vms"); !strings.Contains(out, lockName(ns)) {
		t.Errorf("the former holder's Release removed the new lock:\n%s", out)
	}
	l.Release(t.Context())
}

func TestLockRaceAfterDeadHolder(t *testing.T) {
	ns := lockNS(t)
	for round := range 3 {
		abandon(mustLock(t, lockBackend(t, ns, as(deadHere))))
		racers := []*Backend{lockBackend(t, ns, nil), lockBackend(t, ns, nil), lockBackend(t, ns, nil)}
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

// TestLockCrossHost: a holder on another host is judged by its renewals:
// refused while it renews, taken over once it has not for the lease.
func TestLockCrossHost(t *testing.T) {
	const lease, renew = 2 * time.Second, 200 * time.Millisecond
	ns := lockNS(t)
	onHost := func(id string) func(*lockConfig) {
		return both(as(func(h *lockholder.Holder) { h.HostID, h.Host = id, id }), timing(lease, renew))
	}
	a, b := lockBackend(t, ns, onHost("host-a")), lockBackend(t, ns, onHost("host-b"))
	la := mustLock(t, a)
	for start := time.Now(); time.Since(start) < lease+renew; {
		_, err := b.LockNamespace(t.Context())
		if !errors.Is(err, backend.ErrNamespaceLocked) || !strings.Contains(err.Error(), "on host host-a") {
			t.Fatalf("LockNamespace while host-a renews: %v; want ErrNamespaceLocked naming host-a", err)
		}
	}
	abandon(la)
	died := time.Now()
	lb := mustLock(t, b)
	if took := time.Since(died); took < lease-renew || took > lease+5*time.Second {
		t.Errorf("took over %v after the holder died; want about the lease (%v)", took, lease)
	}
	lb.Release(t.Context())
}
