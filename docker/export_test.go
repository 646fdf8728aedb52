package docker

import (
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/lockholder"
)

// RepoName exposes repoName to the package's external tests: the mapping
// from AMI names to repository names is the backend's own business.
var RepoName = repoName

// WithLockTiming sets the namespace lease and its renewal interval, so
// tests of the cross-host path need not wait out backend.LeaseTimeout.
func WithLockTiming(lease, renew time.Duration) Option {
	return func(b *Backend) { b.lockCfg.lease, b.lockCfg.renew = lease, renew }
}

// WithHolder changes who the backend says it is when it locks its
// namespace: another host, or a process of this host that has died.
func WithHolder(change func(*lockholder.Holder)) Option {
	return func(b *Backend) {
		self := b.lockCfg.self
		b.lockCfg.self = func() lockholder.Holder {
			h := self()
			change(&h)
			return h
		}
	}
}

// Abandon stops renewing l without releasing it, as a holder that dies
// leaves its lock.
func Abandon(l backend.NamespaceLock) {
	n := l.(*nsLock)
	n.stop()
	<-n.done
	n.b.locksMu.Lock()
	delete(n.b.locks, n)
	n.b.locksMu.Unlock()
}

// LockName is the name of namespace ns's lock container.
var LockName = lockName
