package virtualbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/lockholder"
)

// The namespace lock (backend.NamespaceLocker) is a VM VirtualBox
// arbitrates: `createvm --name ec2emu-lock.<namespace> --register` fails
// when the machine's settings file exists already, so of two Servers
// creating it exactly one succeeds. The VM is never started. Its extradata
// says who holds it (keyLockHolder, JSON) and carries a renewal counter
// (keyLockRenewal) the holder bumps while it lives.
//
// A newcomer that finds the VM asks the OS, for a holder on this host,
// whether it still runs, and takes over at once if not. For a holder it
// cannot judge (another host sharing the VirtualBox, or a VM whose holder
// crashed before writing its extradata) it watches the counter on its own
// clock: a change means the holder lives; none for the lease
// (backend.LeaseTimeout) means it is gone. A takeover unregisters and
// deletes the stale VM by UUID, so a newer lock is never removed, and
// creates its own, still arbitrated by createvm.
const (
	// LockPrefix starts the name of a namespace's lock VM:
	// ec2emu-lock.<namespace> (a namespace that is not a plain name is
	// replaced by a hash of it).
	LockPrefix = "ec2emu-lock."

	keyLockHolder  = "ec2emu/lock/holder"  // JSON: the namespace and lockholder.Encode
	keyLockRenewal = "ec2emu/lock/renewal" // a counter the holder bumps
	lockNSKey      = "namespace"
)

var plainName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// lockName is namespace ns's lock VM.
func lockName(ns string) string {
	if plainName.MatchString(ns) && len(ns) <= 200 {
		return LockPrefix + ns
	}
	sum := sha256.Sum256([]byte(ns))
	return LockPrefix + hex.EncodeToString(sum[:12])
}

// lockConfig is the backend's lock timing and identity; tests change them.
type lockConfig struct {
	lease, renew time.Duration
	self         func() lockholder.Holder
	alive        func(lockholder.Holder) (alive, known bool)
}

func defaultLockConfig() lockConfig {
	return lockConfig{lease: backend.LeaseTimeout, renew: 10 * time.Second, self: lockholder.Self, alive: lockholder.Alive}
}

// LockNamespace implements backend.NamespaceLocker. It fails with an error
// wrapping backend.ErrNamespaceLocked, naming the holder, while a live
// holder has the namespace. A holder of this host whose process is gone is
// taken over at once; one it cannot judge, once its renewal counter has
// not moved for the lease (so a refusal then takes up to one renewal
// interval, 10 s, and a takeover up to backend.LeaseTimeout).
func (b *Backend) LockNamespace(ctx context.Context) (backend.NamespaceLock, error) {
	name := lockName(b.ns)
	me := b.lockCfg.self()
	for attempt := range 10 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
			}
		}
		uuid, err := b.createLock(ctx, name, me)
		if err == nil {
			return b.hold(uuid, name, me), nil
		}
		if !strings.Contains(err.Error(), "already exists") {
			return nil, fmt.Errorf("virtualbox: creating lock VM %s: %w", name, err)
		}
		info, err := b.vb.info(ctx, name)
		if errors.Is(err, errVMNotFound) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("virtualbox: lock VM %s: %w", name, err)
		}
		uuid = info["UUID"]
		ed, err := b.vb.extraData(ctx, uuid)
		if errors.Is(err, errVMNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("virtualbox: lock VM %s: %w", name, err)
		}
		holder, ok := decodeHolder(ed[keyLockHolder])
		if ok && holder.ns != b.ns {
			return nil, fmt.Errorf("virtualbox: namespace %q: VM %s is the lock of namespace %q: %w", b.ns, name, holder.ns, backend.ErrNamespaceLocked)
		}
		free := false
		if alive, known := b.lockCfg.alive(holder.Holder); ok && known {
			free = !alive
		} else {
			free, err = b.leaseExpired(ctx, uuid, ed)
			if err != nil {
				return nil, err
			}
		}
		if !free {
			who := holder.String()
			if !ok {
				who = "a server that has not finished taking it"
			}
			return nil, fmt.Errorf("virtualbox: namespace %q is held by %s (lock VM %s): %w", b.ns, who, name, backend.ErrNamespaceLocked)
		}
		if _, err := b.vb.run(ctx, "unregistervm", uuid, "--delete"); err != nil && !errors.Is(err, errVMNotFound) {
			return nil, fmt.Errorf("virtualbox: removing stale lock VM %s: %w", name, err)
		}
		b.log.Info("virtualbox: taking over the namespace from a holder that is gone", "namespace", b.ns, "holder", holder.String())
	}
	return nil, fmt.Errorf("virtualbox: namespace %q: the lock VM %s kept changing hands: %w", b.ns, name, backend.ErrNamespaceLocked)
}

// lockHolder is what keyLockHolder holds.
type lockHolder struct {
	lockholder.Holder
	ns string
}

func encodeHolder(ns string, h lockholder.Holder) string {
	m := h.Encode("")
	m[lockNSKey] = ns
	b, _ := json.Marshal(m)
	return string(b)
}

func decodeHolder(s string) (lockHolder, bool) {
	var m map[string]string
	if json.Unmarshal([]byte(s), &m) != nil {
		return lockHolder{}, false
	}
	h, ok := lockholder.Decode(m, "")
	return lockHolder{h, m[lockNSKey]}, ok
}

// createLock creates and registers the lock VM and writes its holder; it
// returns the VM's UUID.
func (b *Backend) createLock(ctx context.Context, name string, me lockholder.Holder) (string, error) {
	out, err := b.vb.run(ctx, "createvm", "--name", name, "--register")
	if err != nil {
		return "", err
	}
	uuid := ""
	for line := range strings.Lines(out) {
		if u, ok := strings.CutPrefix(strings.TrimSpace(line), "UUID:"); ok {
			uuid = strings.TrimSpace(u)
		}
	}
	if uuid == "" {
		b.vb.run(context.WithoutCancel(ctx), "unregistervm", name, "--delete")
		return "", fmt.Errorf("createvm printed no UUID: %q", out)
	}
	if err := b.vb.setExtraData(ctx, uuid, keyLockHolder, encodeHolder(b.ns, me)); err != nil {
		b.vb.run(context.WithoutCancel(ctx), "unregistervm", uuid, "--delete")
		return "", err
	}
	return uuid, nil
}

// leaseExpired watches the lock VM's extradata for up to the lease: any
// change (a renewal, or the holder written at last) means a live holder.
func (b *Backend) leaseExpired(ctx context.Context, uuid string, first map[string]string) (bool, error) {
	poll := min(b.lockCfg.renew/4, time.Second)
	deadline := time.Now().Add(b.lockCfg.lease)
	t := time.NewTicker(poll)
	defer t.Stop()
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-t.C:
		}
		ed, err := b.vb.extraData(ctx, uuid)
		if errors.Is(err, errVMNotFound) {
			return true, nil // gone: nothing left to take over from
		}
		if err != nil {
			return false, fmt.Errorf("virtualbox: watching the lock VM: %w", err)
		}
		if ed[keyLockRenewal] != first[keyLockRenewal] || ed[keyLockHolder] != first[keyLockHolder] {
			return false, nil
		}
	}
	return true, nil
}

// nsLock is a namespace lock this backend holds.
type nsLock struct {
	b    *Backend
	uuid string
	name string
	me   lockholder.Holder
	lost chan struct{}
	stop context.CancelFunc
	done chan struct{}

	releaseOnce sync.Once
	releaseErr  error
}

func (b *Backend) hold(uuid, name string, me lockholder.Holder) *nsLock {
	ctx, stop := context.WithCancel(context.Background())
	l := &nsLock{b: b, uuid: uuid, name: name, me: me, lost: make(chan struct{}), stop: stop, done: make(chan struct{})}
	b.locksMu.Lock()
	b.locks[l] = true
	b.locksMu.Unlock()
	go l.renew(ctx)
	return l
}

// renew bumps the renewal counter until stopped; it closes lost when the
// VM is gone or names another holder (taken over). VBoxManage failing
// loses nothing by itself.
func (l *nsLock) renew(ctx context.Context) {
	defer close(l.done)
	r := lockholder.Renewal{
		Every: l.b.lockCfg.renew, Lease: l.b.lockCfg.lease,
		Renew: func(ctx context.Context, n int) error {
			ed, err := l.b.vb.extraData(ctx, l.uuid)
			if err != nil {
				return err
			}
			if h, _ := decodeHolder(ed[keyLockHolder]); h.Nonce != l.me.Nonce {
				return fmt.Errorf("the lock VM names another holder: %w", errVMNotFound)
			}
			return l.b.vb.setExtraData(ctx, l.uuid, keyLockRenewal, strconv.Itoa(n))
		},
		Gone: func(err error) bool { return errors.Is(err, errVMNotFound) },
		Log:  l.b.log, What: "virtualbox: the namespace lock VM", Attr: []any{"namespace", l.b.ns, "vm", l.name},
	}
	if r.Run(ctx) {
		close(l.lost)
	}
}

func (l *nsLock) Lost() <-chan struct{} { return l.lost }

// Release stops renewing and deletes the lock VM, if it is still this
// holder's.
func (l *nsLock) Release(ctx context.Context) error {
	l.releaseOnce.Do(func() {
		l.stop()
		<-l.done
		l.b.locksMu.Lock()
		delete(l.b.locks, l)
		l.b.locksMu.Unlock()
		select {
		case <-l.lost:
			return // another holder's now
		default:
		}
		if _, err := l.b.vb.run(ctx, "unregistervm", l.uuid, "--delete"); err != nil && !errors.Is(err, errVMNotFound) {
			l.releaseErr = fmt.Errorf("virtualbox: removing lock VM %s: %w", l.name, err)
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
			b.log.Warn("virtualbox: releasing the namespace lock on close", "err", err)
		}
	}
}
