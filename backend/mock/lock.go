package mock

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/ec2emu/ec2emu/backend"
)

var _ backend.NamespaceLocker = (*Backend)(nil)

// locks is the process's registry of held namespaces: what an engine is to
// the backends that share it, this process is to mock backends, since their
// machines live in it.
var locks = struct {
	sync.Mutex
	held map[string]*nsLock
}{held: map[string]*nsLock{}}

// nsLock is a mock namespace lock.
type nsLock struct {
	b        *Backend
	ns       string
	lost     chan struct{}
	loseOnce sync.Once
}

// LockNamespace implements backend.NamespaceLocker: at most one backend of
// this process holds a namespace. A backend made without WithNamespace is
// private, and its lock always succeeds.
func (b *Backend) LockNamespace(ctx context.Context) (backend.NamespaceLock, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := &nsLock{b: b, ns: b.ns, lost: make(chan struct{})}
	if b.ns == "" {
		return l, nil
	}
	locks.Lock()
	defer locks.Unlock()
	if locks.held[b.ns] != nil {
		return nil, fmt.Errorf("mock: namespace %q is held by another mock backend of this process (pid %d): %w",
			b.ns, os.Getpid(), backend.ErrNamespaceLocked)
	}
	locks.held[b.ns] = l
	return l, nil
}

// LoseNamespaceLock takes the backend's namespace lock away from it, as an
// engine does when another host takes over an expired lease: Lost is
// closed and the namespace is free. It is for tests of what a Server does
// then; it does nothing if the backend holds no lock.
func (b *Backend) LoseNamespaceLock() {
	locks.Lock()
	l := locks.held[b.ns]
	if l != nil && l.b == b {
		delete(locks.held, b.ns)
	} else {
		l = nil
	}
	locks.Unlock()
	if l != nil {
		l.loseOnce.Do(func() { close(l.lost) })
	}
}

func (l *nsLock) Lost() <-chan struct{} { return l.lost }

// Release frees the namespace; releasing twice, or a lock since lost, is
// not an error.
func (l *nsLock) Release(ctx context.Context) error {
	if l.ns == "" {
		return nil
	}
	locks.Lock()
	if locks.held[l.ns] == l {
		delete(locks.held, l.ns)
	}
	locks.Unlock()
	return nil
}

// Namespace returns the backend's namespace ("" for a private backend).
func (b *Backend) Namespace() string { return b.ns }
