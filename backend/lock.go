package backend

import (
	"context"
	"errors"
	"time"
)

// NamespaceLocker is an optional capability: a backend whose engine can
// arbitrate who owns a namespace (an object only one client can create,
// such as a named container, VM or Lease). The Server takes the lock before
// it adopts machines, so two Servers never share a namespace on one engine,
// even from different machines.
//
// LockNamespace returns once the caller owns the namespace. When a live
// owner holds it, it fails with an error wrapping ErrNamespaceLocked that
// says who holds it. An owner that is gone does not block: on the same host
// (the holder's process no longer exists) the lock is taken over at once;
// from another host it is taken over once the holder's lease, renewed while
// it lives, has expired (at most LeaseTimeout). Judging a holder on another
// host may take a while either way: LockNamespace waits for its next
// renewal to refuse, or for its lease to end to take over.
//
// Backends whose machines are private to one process (a mock) arbitrate
// within the process.
type NamespaceLocker interface {
	LockNamespace(ctx context.Context) (NamespaceLock, error)
}

// NamespaceLock is a held namespace lock.
type NamespaceLock interface {
	// Lost is closed if the lock is lost while held: the engine shows the
	// marker gone or another owner's. (From another host that can happen
	// only after this holder's lease went unrenewed, e.g. while it was cut
	// off from the engine; an engine that merely does not answer loses the
	// holder nothing.)
	Lost() <-chan struct{}
	// Release gives the namespace up; the marker object is removed, unless
	// the lock was lost and the marker is another owner's now. Releasing
	// twice is not an error.
	Release(ctx context.Context) error
}

// LeaseTimeout bounds how long a lock held by a process on another host
// that has died blocks a new owner. Holders renew well within it.
const LeaseTimeout = 30 * time.Second

// ErrNamespaceLocked: another live Server owns the namespace on this engine.
var ErrNamespaceLocked = errors.New("namespace is in use by another server")
