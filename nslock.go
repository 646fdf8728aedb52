package ec2emu

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ec2emu/ec2emu/backend"
)

// One owner per namespace: a Server whose backend can arbitrate its
// namespace (backend.NamespaceLocker) owns it before it adopts a machine
// or answers a request, and keeps it until Close. Two Servers sharing a
// namespace would split their views of the same machines.

// nsHold is the Server's hold on its namespace.
type nsHold struct {
	mu   sync.Mutex
	lock backend.NamespaceLock // nil until taken, or if the backend arbitrates nothing
	err  error                 // why the Server answers no request: not owned (yet), or lost

	readyOnce sync.Once // closes Server.ready: adoption, or a namespace not owned, may
}

// markReady closes s.ready once: after adoption, or when the Server cannot
// adopt (yet) and answers from what it has, here 503, rather than hang.
func (s *Server) markReady() { s.ns.readyOnce.Do(func() { close(s.ready) }) }

// nsRetry bounds the wait between attempts to lock a namespace whose
// engine does not answer yet.
const nsRetry = 5 * time.Second

// errNamespaceHelp tells a user who met a taken namespace what to do.
const errNamespaceHelp = "stop the server that holds it, or give this one another namespace: " +
	"EC2EMU_NAMESPACE for the standalone server, ec2emu.WithNamespace with ec2emu.Open, " +
	"or the backend's own option (e.g. docker.WithNamespace) for a backend given to ec2emu.New"

// takeNamespace locks the backend's namespace, if it can be locked, and
// then calls start (the Server's background work). A namespace another
// live Server holds is final: the Server starts nothing and answers every
// request 503 Unavailable with why. An engine that does not answer yet is
// not: the Server keeps trying in the background, answering 503 until it
// owns the namespace.
func (s *Server) takeNamespace(ctx context.Context, start func()) {
	locker, ok := s.b.(backend.NamespaceLocker)
	if !ok {
		start()
		return
	}
	lctx, cancel := context.WithTimeout(ctx, 2*backend.LeaseTimeout)
	lk, err := locker.LockNamespace(lctx)
	cancel()
	if err == nil {
		s.ownNamespace(lk, start)
		return
	}
	if s.namespaceRefused(err) {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for wait := 100 * time.Millisecond; ; wait = min(wait*2, nsRetry) {
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(wait):
			}
			lctx, cancel := context.WithTimeout(s.ctx, 2*backend.LeaseTimeout)
			lk, err := locker.LockNamespace(lctx)
			cancel()
			if err == nil {
				if s.ctx.Err() != nil { // closed meanwhile
					s.releaseLock(lk)
					return
				}
				s.ownNamespace(lk, start)
				return
			}
			if s.namespaceRefused(err) {
				return
			}
		}
	}()
}

// namespaceRefused records a failed lock. It reports whether the failure is
// final (another Server owns the namespace, or the Server is closing).
func (s *Server) namespaceRefused(err error) bool {
	s.ns.mu.Lock()
	defer s.ns.mu.Unlock()
	// Whoever waits on Ready must not hang: requests are answered (503)
	// until the namespace is owned.
	defer s.markReady()
	if errors.Is(err, backend.ErrNamespaceLocked) {
		s.ns.err = fmt.Errorf("ec2emu: %w; %s", err, errNamespaceHelp)
		s.log.Error("namespace taken: this server answers no request", "err", s.ns.err)
		return true
	}
	if s.ctx.Err() != nil {
		return true
	}
	s.ns.err = fmt.Errorf("ec2emu: the namespace is not locked yet (will retry): %w", err)
	s.log.Warn("cannot lock the namespace yet; retrying", "err", err)
	return false
}

// ownNamespace records lk, watches it for loss, and starts the Server's
// work.
func (s *Server) ownNamespace(lk backend.NamespaceLock, start func()) {
	s.ns.mu.Lock()
	s.ns.lock, s.ns.err = lk, nil
	s.ns.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-s.ctx.Done():
		case <-lk.Lost():
			err := errors.New("ec2emu: the namespace lock was lost (its lease expired or another server took the namespace over); this server answers no more requests")
			s.log.Error("namespace lock lost", "err", err)
			s.ns.mu.Lock()
			s.ns.err = err
			s.ns.mu.Unlock()
		}
	}()
	start()
}

// namespaceErr is the 503 answer while the Server does not own its
// namespace, nil while it does.
func (s *Server) namespaceErr() *Error {
	s.ns.mu.Lock()
	defer s.ns.mu.Unlock()
	if s.ns.err == nil {
		return nil
	}
	return apiErr(ErrUnavailable, "%s", s.ns.err.Error())
}

// releaseNamespace gives the namespace up; Close calls it once background
// work has stopped.
func (s *Server) releaseNamespace() {
	s.ns.mu.Lock()
	lk := s.ns.lock
	s.ns.lock = nil
	s.ns.mu.Unlock()
	if lk != nil {
		s.releaseLock(lk)
	}
}

func (s *Server) releaseLock(lk backend.NamespaceLock) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := lk.Release(ctx); err != nil {
		s.log.Warn("releasing the namespace lock", "err", err)
	}
}

// Err reports why the Server answers no request: its state directory could
// not be read (WithStateDir), its backend's namespace is held by another
// live Server (the error wraps backend.ErrNamespaceLocked
// and says how to pick another namespace), it could not be locked yet
// because the engine does not answer (the Server keeps trying), or the lock
// was lost while the Server ran. It is nil while the Server owns its
// namespace, and for backends that do not arbitrate namespaces. New cannot
// return an error: check Err after it. Open returns the first two kinds
// itself.
func (s *Server) Err() error {
	if s.failed != nil {
		return s.failed
	}
	s.ns.mu.Lock()
	defer s.ns.mu.Unlock()
	return s.ns.err
}
