package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/lockholder"
)

// The namespace lock (backend.NamespaceLocker) is a container the engine
// arbitrates: created, never started, named LockPrefix+<namespace>. Docker
// refuses to create a second container with a name in use, so of two
// Servers creating it at once exactly one succeeds, on one host or many.
// Its labels say who holds it: host, process, process start time, nonce.
//
// The holder renews a lease while it lives by updating the container
// (ContainerUpdate of its restart policy, which changes nothing but makes
// the engine emit an "update" event with the engine's own timestamp). A
// newcomer that finds the container:
//   - on the same host, asks the OS whether the holder still runs, and if
//     not removes the container (by ID, so a newer lock is never removed)
//     and creates its own, still arbitrated by the name;
//   - from another host, reads the container's events: it takes over once
//     no renewal has happened for the lease (backend.LeaseTimeout), all
//     times on the engine's clock, so no two hosts' clocks are compared.
const (
	// LockPrefix starts the name of a namespace's lock container:
	// ec2emu-lock.<namespace> (a namespace that is not a valid container
	// name is replaced by a hash of it).
	LockPrefix = "ec2emu-lock."
	// LabelLock holds the namespace on its lock container. Lock containers
	// do not carry LabelNamespace: they are no instance, and listings of a
	// namespace's containers must not see them.
	LabelLock = "ec2emu.lock"
	// labelHolder prefixes the holder's identity (lockholder.Encode).
	labelHolder = "ec2emu.lock.holder."
	// LockImage is the image lock containers are made from: an empty
	// image the backend imports itself (`docker import` of an empty tar,
	// zero bytes), since a container needs an image and nothing may be
	// pulled. Lock containers never run. It stays once made; remove it
	// when no lock container is left if you want it gone.
	LockImage = "ec2emu-lock:v1"
)

// lockRenew is how often a holder renews its lease, well within the lease.
const lockRenew = 10 * time.Second

// validName is what Docker accepts as a container name.
var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// lockName is namespace ns's lock container.
func lockName(ns string) string {
	if validName.MatchString(ns) && len(ns) <= 200 {
		return LockPrefix + ns
	}
	sum := sha256.Sum256([]byte(ns))
	return LockPrefix + hex.EncodeToString(sum[:12])
}

var _ backend.NamespaceLocker = (*Backend)(nil)

// lockConfig is the backend's lock timing and identity; tests change them
// (export_test.go).
type lockConfig struct {
	lease, renew time.Duration
	self         func() lockholder.Holder
	alive        func(lockholder.Holder) (alive, known bool)
}

func defaultLockConfig() lockConfig {
	return lockConfig{lease: backend.LeaseTimeout, renew: lockRenew, self: lockholder.Self, alive: lockholder.Alive}
}

// LockNamespace implements backend.NamespaceLocker. It fails with an error
// wrapping backend.ErrNamespaceLocked, naming the holder's host and process,
// while a live holder has the namespace. It takes over from a holder on
// this host whose process is gone at once. A holder on another host is
// judged by its lease: LockNamespace waits for its next renewal (at most
// the renewal interval, 10 s) to fail, or for its lease to run out (at
// most backend.LeaseTimeout) to take over.
func (b *Backend) LockNamespace(ctx context.Context) (backend.NamespaceLock, error) {
	name := lockName(b.ns)
	me := b.lockCfg.self()
	for attempt := range 10 {
		if attempt > 0 {
			// Another newcomer is replacing the same stale lock: give its
			// removal and create time to land.
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
			}
		}
		id, err := b.createLock(ctx, name, me)
		if err == nil {
			return b.hold(id, name, me), nil
		}
		if !cerrdefs.IsConflict(err) {
			return nil, wrap("create lock container", name, err)
		}
		info, err := b.cli.ContainerInspect(ctx, name)
		if cerrdefs.IsNotFound(err) {
			continue // released meanwhile: try again
		}
		if err != nil {
			return nil, wrap("inspect lock container", name, err)
		}
		var labels map[string]string
		if info.Config != nil {
			labels = info.Config.Labels
		}
		holder, ok := lockholder.Decode(labels, labelHolder)
		if !ok || labels[LabelLock] != b.ns {
			return nil, fmt.Errorf("docker: namespace %q: container %s exists and is no ec2emu lock (remove it if it is a leftover): %w",
				b.ns, name, backend.ErrNamespaceLocked)
		}
		free, err := b.lockFree(ctx, info, holder)
		if err != nil {
			return nil, err
		}
		if !free {
			return nil, fmt.Errorf("docker: namespace %q is held by %s (lock container %s): %w",
				b.ns, holder, name, backend.ErrNamespaceLocked)
		}
		// Remove exactly the stale lock: if another newcomer has replaced
		// it already, this finds nothing and the create conflicts again.
		// Conflict: another newcomer is removing it already.
		if err := b.cli.ContainerRemove(ctx, info.ID, container.RemoveOptions{Force: true}); err != nil &&
			!cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
			return nil, wrap("remove stale lock container", name, err)
		}
		b.log.InfoContext(ctx, "docker: taking over the namespace from a holder that is gone", "namespace", b.ns, "holder", holder.String())
	}
	return nil, fmt.Errorf("docker: namespace %q: the lock container %s kept changing hands: %w", b.ns, name, backend.ErrNamespaceLocked)
}

// createLock creates the lock container, importing LockImage first if the
// engine lacks it.
func (b *Backend) createLock(ctx context.Context, name string, me lockholder.Holder) (string, error) {
	labels := me.Encode(labelHolder)
	labels[LabelLock] = b.ns
	cfg := &container.Config{Image: LockImage, Cmd: []string{"/ec2emu-lock-never-runs"}, Labels: labels, NetworkDisabled: true}
	hc := &container.HostConfig{NetworkMode: "none"}
	for attempt := 0; ; attempt++ {
		created, err := b.cli.ContainerCreate(ctx, cfg, hc, nil, nil, name)
		if err == nil {
			return created.ID, nil
		}
		if !cerrdefs.IsNotFound(err) || attempt > 1 {
			return "", err
		}
		if err := b.ensureLockImage(ctx); err != nil {
			return "", err
		}
	}
}

// ensureLockImage imports LockImage from an empty tar. It imports under a
// unique tag and only then tags LockImage, so two processes doing it at
// once leave one image and no half-made one.
func (b *Backend) ensureLockImage(ctx context.Context) error {
	var empty bytes.Buffer
	tar.NewWriter(&empty).Close()
	tmp := LockImage + "-import-" + lockholder.Self().Nonce
	rc, err := b.cli.ImageImport(ctx, image.ImportSource{Source: &empty, SourceName: "-"}, tmp,
		image.ImportOptions{Message: "ec2emu namespace lock: an empty image, never run"})
	if err != nil {
		return fmt.Errorf("docker: import %s: %w", LockImage, err)
	}
	_, err = io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("docker: import %s: %w", LockImage, err)
	}
	defer b.cli.ImageRemove(context.WithoutCancel(ctx), tmp, image.RemoveOptions{})
	if _, err := b.cli.ImageInspect(ctx, LockImage); err == nil {
		return nil // another process made it meanwhile
	}
	if err := b.cli.ImageTag(ctx, tmp, LockImage); err != nil {
		return fmt.Errorf("docker: tag %s: %w", LockImage, err)
	}
	return nil
}

// lockFree decides whether the lock container info, held by holder, may be
// taken over.
func (b *Backend) lockFree(ctx context.Context, info container.InspectResponse, holder lockholder.Holder) (bool, error) {
	if alive, known := b.lockCfg.alive(holder); known {
		return !alive, nil
	}
	return b.leaseExpired(ctx, info)
}

// leaseExpired reports whether the holder of lock container info, on
// another host, has let its lease lapse: no renewal (nor the creation) for
// the lease, on the engine's clock. It waits for the answer: until the
// holder's next renewal (at most the renewal interval) if it lives, until
// its lease ends (at most backend.LeaseTimeout) if not.
//
// The engine keeps its last events (256 on Docker 20.10) and drops the
// oldest first. So the events of the lock container since its creation,
// if any are still kept, end with its last renewal; if none are kept, the
// last renewal is older than everything kept, and a whole lease is waited
// out.
func (b *Backend) leaseExpired(ctx context.Context, info container.InspectResponse) (bool, error) {
	sys, err := b.cli.Info(ctx)
	if err != nil {
		return false, wrap("read the engine's clock", "", err)
	}
	now, err := time.Parse(time.RFC3339Nano, sys.SystemTime)
	if err != nil {
		return false, fmt.Errorf("docker: the engine's clock %q: %w", sys.SystemTime, err)
	}
	created, err := time.Parse(time.RFC3339Nano, info.Created)
	if err != nil {
		return false, fmt.Errorf("docker: lock container created %q: %w", info.Created, err)
	}
	f := filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("container", info.ID),
		filters.Arg("event", string(events.ActionCreate)),
		filters.Arg("event", string(events.ActionUpdate)),
	)
	last, seen, err := b.lastLockEvent(ctx, events.ListOptions{Filters: f, Since: engineTime(created), Until: engineTime(now)})
	if err != nil {
		return false, err
	}
	if created.After(last) {
		last = created
	}
	expires := last.Add(b.lockCfg.lease)
	if !seen && now.After(expires) {
		expires = now.Add(b.lockCfg.lease) // nothing kept: a whole lease from now
	}
	if !now.Before(expires) {
		return true, nil
	}
	// Watch for a renewal until the lease ends; the events since now
	// include one made while this call was on its way.
	wctx, cancel := context.WithTimeout(ctx, expires.Sub(now))
	defer cancel()
	msgs, errs := b.cli.Events(wctx, events.ListOptions{Filters: f, Since: engineTime(now)})
	for {
		select {
		case m := <-msgs:
			if m.Action == events.ActionUpdate {
				return false, nil
			}
		case err := <-errs:
			if wctx.Err() != nil && ctx.Err() == nil {
				return true, nil // the lease ended without a renewal
			}
			return false, wrap("watch the lock container", "", err)
		}
	}
}

// lastLockEvent reads the kept events in o (bounded by o.Until) and returns
// the time of the last.
func (b *Backend) lastLockEvent(ctx context.Context, o events.ListOptions) (time.Time, bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs, errs := b.cli.Events(ctx, o)
	var last time.Time
	seen := false
	for {
		select {
		case m := <-msgs:
			t := time.Unix(0, m.TimeNano)
			if m.TimeNano == 0 {
				t = time.Unix(m.Time, 0)
			}
			if t.After(last) {
				last = t
			}
			seen = true
		case err := <-errs:
			if errors.Is(err, io.EOF) {
				return last, seen, nil
			}
			return time.Time{}, false, wrap("read the lock container's events", "", err)
		}
	}
}

// engineTime formats t as the events API's since/until.
func engineTime(t time.Time) string { return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()) }

// nsLock is a namespace lock this backend holds.
type nsLock struct {
	b      *Backend
	id     string // the lock container's ID
	name   string
	holder lockholder.Holder
	lost   chan struct{}
	stop   context.CancelFunc
	done   chan struct{} // closed when the renewer has returned

	releaseOnce sync.Once
	releaseErr  error
}

// hold starts renewing lock container id.
func (b *Backend) hold(id, name string, me lockholder.Holder) *nsLock {
	ctx, stop := context.WithCancel(context.Background())
	l := &nsLock{b: b, id: id, name: name, holder: me, lost: make(chan struct{}), stop: stop, done: make(chan struct{})}
	b.locksMu.Lock()
	b.locks[l] = true
	b.locksMu.Unlock()
	go l.renew(ctx)
	b.log.Debug("docker: namespace locked", "namespace", b.ns, "container", name)
	return l
}

// renew renews the lease until stopped, and closes lost when the lock
// container is gone (taken over). An engine that does not answer loses
// nothing by itself: once it answers again, the container is still this
// holder's unless another server took it over meanwhile.
func (l *nsLock) renew(ctx context.Context) {
	defer close(l.done)
	r := lockholder.Renewal{
		Every: l.b.lockCfg.renew, Lease: l.b.lockCfg.lease,
		Renew: func(ctx context.Context, _ int) error {
			_, err := l.b.cli.ContainerUpdate(ctx, l.id, container.UpdateConfig{RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyDisabled}})
			return err
		},
		Gone: cerrdefs.IsNotFound,
		Log:  l.b.log, What: "docker: the namespace lock container", Attr: []any{"namespace", l.b.ns, "container", l.name},
	}
	if r.Run(ctx) {
		close(l.lost)
	}
}

func (l *nsLock) Lost() <-chan struct{} { return l.lost }

// Release stops renewing and removes the lock container (by ID: a lock
// since lost and taken over by another server is left to it).
func (l *nsLock) Release(ctx context.Context) error {
	l.releaseOnce.Do(func() {
		l.stop()
		<-l.done
		l.b.locksMu.Lock()
		delete(l.b.locks, l)
		l.b.locksMu.Unlock()
		err := l.b.cli.ContainerRemove(ctx, l.id, container.RemoveOptions{Force: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			l.releaseErr = wrap("remove lock container", l.name, err)
		}
	})
	return l.releaseErr
}

// releaseLocks releases every lock still held; Close calls it.
func (b *Backend) releaseLocks(ctx context.Context) {
	b.locksMu.Lock()
	held := make([]*nsLock, 0, len(b.locks))
	for l := range b.locks {
		held = append(held, l)
	}
	b.locksMu.Unlock()
	for _, l := range held {
		if err := l.Release(ctx); err != nil {
			b.log.Warn("docker: releasing the namespace lock on close", "err", err)
		}
	}
}
