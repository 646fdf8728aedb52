package kubernetes_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/kubernetes"
)

// lockEnv is one backend namespace with a backend to lock it, and the
// Lease that lock uses.
type lockEnv struct {
	c    *cluster
	b    *kubernetes.Backend
	ns   string
	name string
}

func newLockEnv(t *testing.T, ctx context.Context, c *cluster) *lockEnv {
	b, err := c.open(ctx, c.kns[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ns := c.used[len(c.used)-1]
	e := &lockEnv{c: c, b: b, ns: ns, name: kubernetes.LeaseName(ns)}
	t.Cleanup(func() {
		c.cs.CoordinationV1().Leases(c.kns[0]).Delete(context.Background(), e.name, metav1.DeleteOptions{})
	})
	return e
}

// plant writes the Lease as another holder would have left it.
func (e *lockEnv) plant(t *testing.T, ctx context.Context, holderID string, renewed time.Time) {
	t.Helper()
	dur := int32(backend.LeaseTimeout / time.Second)
	rt := metav1.NewMicroTime(renewed)
	_, err := e.c.cs.CoordinationV1().Leases(e.c.kns[0]).Create(ctx, &coordv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: e.name, Annotations: map[string]string{kubernetes.AnnotationNamespace: e.ns}},
		Spec:       coordv1.LeaseSpec{HolderIdentity: &holderID, LeaseDurationSeconds: &dur, AcquireTime: &rt, RenewTime: &rt},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *lockEnv) holder(t *testing.T, ctx context.Context) (string, error) {
	l, err := e.c.cs.CoordinationV1().Leases(e.c.kns[0]).Get(ctx, e.name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	return *l.Spec.HolderIdentity, nil
}

// One owner at a time; Release deletes the Lease and frees the namespace;
// other backend namespaces are not blocked.
func TestNamespaceLock(t *testing.T) {
	c := requireCluster(t)
	ctx := ctxT(t)
	e := newLockEnv(t, ctx, c)
	lk, err := e.b.LockNamespace(ctx)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	if h, err := e.holder(t, ctx); err != nil || !strings.HasPrefix(h, fmt.Sprintf("%s/%d/", host, os.Getpid())) {
		t.Errorf("holder %q (%v), want %s/%d/<start>", h, err, host, os.Getpid())
	}
	// A second Server of a live process: refused, naming the holder.
	if _, err := e.b.LockNamespace(ctx); !errors.Is(err, backend.ErrNamespaceLocked) || !strings.Contains(err.Error(), host) {
		t.Errorf("second lock: %v, want ErrNamespaceLocked naming %s", err, host)
	}
	other := newLockEnv(t, ctx, c)
	lk2, err := other.b.LockNamespace(ctx)
	if err != nil {
		t.Errorf("another namespace's lock: %v", err)
	} else {
		lk2.Release(ctx)
	}
	if err := lk.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.holder(t, ctx); !apierrors.IsNotFound(err) {
		t.Errorf("Lease after Release: %v, want it deleted", err)
	}
	lk, err = e.b.LockNamespace(ctx)
	if err != nil {
		t.Fatalf("lock after Release: %v", err)
	}
	lk.Release(ctx)
}

// A holder on this host whose process has ended is taken over at once,
// even though its Lease has not expired; a live holder on another host
// blocks until its Lease expires.
func TestNamespaceLockTakeover(t *testing.T) {
	c := requireCluster(t)
	ctx := ctxT(t)
	host, _ := os.Hostname()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	for _, tt := range []struct {
		name     string
		holder   string
		renewed  time.Duration // ago
		wantTake bool
	}{
		{"dead process on this host", fmt.Sprintf("%s/%d/12345", host, dead), 0, true},
		{"this process with another start time (a reused PID)", fmt.Sprintf("%s/%d/1", host, os.Getpid()), 0, true},
		{"live holder on another host", "elsewhere.example/1/1", 0, false},
		{"expired holder on another host", "elsewhere.example/1/1", backend.LeaseTimeout + time.Second, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newLockEnv(t, ctx, c)
			e.plant(t, ctx, tt.holder, time.Now().Add(-tt.renewed))
			lk, err := e.b.LockNamespace(ctx)
			if tt.wantTake {
				if err != nil {
					t.Fatalf("LockNamespace: %v, want a takeover", err)
				}
				defer lk.Release(ctx)
				if h, _ := e.holder(t, ctx); h == tt.holder {
					t.Errorf("holder still %q after the takeover", h)
				}
				return
			}
			if !errors.Is(err, backend.ErrNamespaceLocked) || !strings.Contains(err.Error(), tt.holder) {
				t.Errorf("LockNamespace: %v, want ErrNamespaceLocked naming %s", err, tt.holder)
			}
			if err == nil {
				lk.Release(ctx)
			}
		})
	}
}

// The lock renews its Lease, and a Lease taken by someone else closes Lost.
func TestNamespaceLockRenewAndLost(t *testing.T) {
	c := requireCluster(t)
	ctx := ctxT(t)
	defer kubernetes.SetRenewEvery(100 * time.Millisecond)()
	e := newLockEnv(t, ctx, c)
	lk, err := e.b.LockNamespace(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Release(ctx)
	leases := c.cs.CoordinationV1().Leases(c.kns[0])
	first, err := leases.Get(ctx, e.name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		cur, err := leases.Get(ctx, e.name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cur.Spec.RenewTime.After(first.Spec.RenewTime.Time) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the Lease was not renewed within 10 s at a 100 ms period")
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case <-lk.Lost():
		t.Fatal("Lost closed while the lock is held")
	default:
	}
	// Another holder writes the Lease (as a takeover would).
	for {
		cur, err := leases.Get(ctx, e.name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		thief := "elsewhere.example/2/2"
		cur.Spec.HolderIdentity = &thief
		now := metav1.NewMicroTime(time.Now())
		cur.Spec.AcquireTime = &now
		if _, err = leases.Update(ctx, cur, metav1.UpdateOptions{}); err == nil {
			break
		} else if !apierrors.IsConflict(err) {
			t.Fatal(err)
		}
	}
	select {
	case <-lk.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("Lost not closed 10 s after another holder took the Lease")
	}
	// Release after a loss leaves the new holder's Lease alone.
	if err := lk.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if h, err := e.holder(t, ctx); err != nil || h != "elsewhere.example/2/2" {
		t.Errorf("after Release of a lost lock the holder is %q (%v), want the new one", h, err)
	}
}
