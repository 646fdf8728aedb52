package kubernetes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ec2emu/ec2emu/backend"
)

// The namespace lock: a coordination.k8s.io/v1 Lease per backend namespace
// in the Kubernetes namespace, named LeasePrefix + the namespace. Its holder
// identity is host/pid/start (the process's start time in clock ticks since
// boot, so a reused PID is not taken for the holder), it lasts LeaseTimeout
// and is renewed every renewEvery. A Lease whose holder is on this host and
// no longer runs is taken over at once; one from another host once it has
// not been renewed for its duration (measured against its renewTime, so
// clocks must agree to within a few seconds, as the kubelet's node leases
// also assume).

// LeasePrefix starts the name of every namespace lock's Lease.
const LeasePrefix = "ec2emu-ns-"

var _ backend.NamespaceLocker = (*Backend)(nil)

// lease timing; tests shorten renewEvery.
var (
	leaseDuration = backend.LeaseTimeout
	renewEvery    = 10 * time.Second
)

var dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// leaseName is the Lease of backend namespace ns: ns itself when it makes a
// valid name, else a hash of it.
func leaseName(ns string) string {
	if len(LeasePrefix)+len(ns) <= 63 && dnsLabelRE.MatchString(ns) {
		return LeasePrefix + ns
	}
	h := sha256.Sum256([]byte(ns))
	return LeasePrefix + "h-" + hex.EncodeToString(h[:12])
}

// holder is a lock holder's identity: host, PID and process start time.
type holder struct {
	host  string
	pid   int
	start string // clock ticks since boot, /proc/<pid>/stat field 22
}

func (h holder) String() string { return fmt.Sprintf("%s/%d/%s", h.host, h.pid, h.start) }

func parseHolder(s string) (holder, bool) {
	f := strings.Split(s, "/")
	if len(f) != 3 {
		return holder{}, false
	}
	pid, err := strconv.Atoi(f[1])
	if err != nil {
		return holder{}, false
	}
	return holder{f[0], pid, f[2]}, true
}

// procStart returns process pid's start time as /proc shows it, "" when
// it does not run (or /proc cannot tell).
func procStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	// The command (field 2) may hold spaces and parentheses: fields
	// resume after its last ')'.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19] // field 22 overall
}

var self = sync.OnceValue(func() holder {
	host, _ := os.Hostname()
	pid := os.Getpid()
	start := procStart(pid)
	if start == "" {
		start = strconv.FormatInt(time.Now().UnixNano(), 10)
	}
	return holder{host, pid, start}
})

// alive reports whether h may still hold the lock: on another host, yes (its
// lease says); on this one, only if its process runs with the same start.
func (h holder) alive() bool {
	if h.host != self().host {
		return true
	}
	return procStart(h.pid) == h.start
}

// LockNamespace takes the backend namespace's Lease: it creates it, or
// takes it over when its holder is gone (released, expired, or a process of
// this host that no longer runs). A live holder's Lease is an error
// wrapping backend.ErrNamespaceLocked that names it. The lock renews the
// Lease until Release; a renewal that finds another holder, or that cannot
// succeed before the Lease expires, closes Lost.
func (b *Backend) LockNamespace(ctx context.Context) (backend.NamespaceLock, error) {
	leases := b.cs.CoordinationV1().Leases(b.kns)
	name := leaseName(b.ns)
	me := self().String()
	dur := int32(leaseDuration / time.Second)
	for {
		now := metav1.NewMicroTime(time.Now())
		cur, err := leases.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			l := &coordv1.Lease{
				ObjectMeta: metav1.ObjectMeta{
					Name: name, Namespace: b.kns,
					Labels:      map[string]string{LabelNamespace: b.nsLbl, LabelManagedBy: "ec2emu"},
					Annotations: map[string]string{AnnotationNamespace: b.ns},
				},
				Spec: coordv1.LeaseSpec{HolderIdentity: &me, LeaseDurationSeconds: &dur, AcquireTime: &now, RenewTime: &now},
			}
			l, err = leases.Create(ctx, l, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				continue
			}
			if err != nil {
				return nil, wrap("create lease", name, err)
			}
			return b.held(l), nil
		case err != nil:
			return nil, wrap("get lease", name, err)
		}
		if cur.Annotations[AnnotationNamespace] != b.ns {
			return nil, fmt.Errorf("kubernetes: lease %s/%s belongs to another namespace: %w", b.kns, name, backend.ErrNamespaceLocked)
		}
		if why, free := leaseFree(cur, now.Time); !free {
			return nil, fmt.Errorf("kubernetes: lease %s/%s is held by %s (%s): %w", b.kns, name, *cur.Spec.HolderIdentity, why, backend.ErrNamespaceLocked)
		}
		l := cur.DeepCopy()
		n := int32(1)
		if l.Spec.LeaseTransitions != nil {
			n += *l.Spec.LeaseTransitions
		}
		l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds, l.Spec.AcquireTime, l.Spec.RenewTime, l.Spec.LeaseTransitions = &me, &dur, &now, &now, &n
		l, err = leases.Update(ctx, l, metav1.UpdateOptions{}) // resourceVersion: fails if it changed
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return nil, wrap("take over lease", name, err)
		}
		return b.held(l), nil
	}
}

// leaseFree reports whether Lease l may be taken now, and if not why.
func leaseFree(l *coordv1.Lease, now time.Time) (why string, free bool) {
	id := ""
	if l.Spec.HolderIdentity != nil {
		id = *l.Spec.HolderIdentity
	}
	if id == "" {
		return "", true // released
	}
	h, ok := parseHolder(id)
	if ok && !h.alive() {
		return "", true
	}
	if l.Spec.RenewTime == nil || l.Spec.LeaseDurationSeconds == nil {
		return "", true
	}
	left := l.Spec.RenewTime.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second).Sub(now)
	if left <= 0 {
		return "", true
	}
	if ok && h.host == self().host {
		return fmt.Sprintf("process %d on this host runs", h.pid), false
	}
	return fmt.Sprintf("renewed %s ago, expires in %s", now.Sub(l.Spec.RenewTime.Time).Round(time.Second), left.Round(time.Second)), false
}

// nsLock is a held Lease.
type nsLock struct {
	b       *Backend
	name    string
	lost    chan struct{}
	stop    context.CancelFunc
	done    chan struct{}
	every   time.Duration // renewEvery when taken
	mu      sync.Mutex
	l       *coordv1.Lease // as last written
	lostOne sync.Once
}

func (b *Backend) held(l *coordv1.Lease) *nsLock {
	ctx, cancel := context.WithCancel(context.Background())
	k := &nsLock{b: b, name: l.Name, l: l, lost: make(chan struct{}), stop: cancel, done: make(chan struct{}), every: renewEvery}
	go k.renew(ctx)
	return k
}

func (k *nsLock) Lost() <-chan struct{} { return k.lost }

func (k *nsLock) markLost(why string, err error) {
	k.lostOne.Do(func() {
		k.b.log.Error("kubernetes: namespace lock lost", "lease", k.name, "why", why, "err", err)
		close(k.lost)
	})
}

// renew renews the Lease every renewEvery (sooner after a failure) until
// ctx ends, and marks the lock lost when another holder has it or the
// Lease expired before a renewal went through.
func (k *nsLock) renew(ctx context.Context) {
	defer close(k.done)
	leases := k.b.cs.CoordinationV1().Leases(k.b.kns)
	wait := k.every
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		k.mu.Lock()
		l := k.l.DeepCopy()
		k.mu.Unlock()
		now := metav1.NewMicroTime(time.Now())
		l.Spec.RenewTime = &now
		rctx, cancel := context.WithTimeout(ctx, k.every)
		nl, err := leases.Update(rctx, l, metav1.UpdateOptions{})
		cancel()
		switch {
		case err == nil:
			k.mu.Lock()
			k.l = nl
			k.mu.Unlock()
			wait = k.every
			continue
		case ctx.Err() != nil:
			return
		case apierrors.IsConflict(err) || apierrors.IsNotFound(err):
			// Someone else wrote it: ours only if it still names us.
			cur, gerr := leases.Get(ctx, k.name, metav1.GetOptions{})
			if gerr == nil && cur.Spec.HolderIdentity != nil && *cur.Spec.HolderIdentity == *l.Spec.HolderIdentity &&
				cur.Spec.AcquireTime != nil && l.Spec.AcquireTime != nil && cur.Spec.AcquireTime.Equal(l.Spec.AcquireTime) {
				k.mu.Lock()
				k.l = cur
				k.mu.Unlock()
				wait = 0
				continue
			}
			if gerr == nil || apierrors.IsNotFound(gerr) {
				k.markLost("another holder took the lease, or it was deleted", err)
				return
			}
		}
		k.mu.Lock()
		expires := k.l.Spec.RenewTime.Add(time.Duration(*k.l.Spec.LeaseDurationSeconds) * time.Second)
		k.mu.Unlock()
		if time.Now().After(expires) {
			k.markLost("the lease expired before it could be renewed", err)
			return
		}
		wait = time.Second
	}
}

// Release stops renewing and deletes the Lease if it is still ours.
func (k *nsLock) Release(ctx context.Context) error {
	k.stop()
	<-k.done
	select {
	case <-k.lost:
		return nil
	default:
	}
	k.mu.Lock()
	l := k.l
	k.mu.Unlock()
	err := k.b.cs.CoordinationV1().Leases(k.b.kns).Delete(ctx, k.name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &l.UID, ResourceVersion: &l.ResourceVersion},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return wrap("delete lease", k.name, err)
	}
	return nil
}
