package docker

import (
	"context"
	"sync"
)

// liveness tells whether the daemon is known to answer without asking it.
// A connected event stream (Watch's) shows it: a daemon that stops, or a
// connection that breaks, ends the stream at once. But Events cannot tell a
// connected stream from one whose failure it has not reported yet, so a
// stream counts only once a ping has succeeded while it was connected.
type liveness struct {
	mu        sync.Mutex
	streams   int    // event streams connected now
	gen       uint64 // changes whenever a stream connects or ends
	confirmed bool   // a ping succeeded with the same streams connected throughout
}

func (l *liveness) up() {
	l.mu.Lock()
	l.streams++
	l.gen++
	l.mu.Unlock()
}

func (l *liveness) down() {
	l.mu.Lock()
	l.streams--
	l.gen++
	l.confirmed = false
	l.mu.Unlock()
}

// known reports whether the daemon is known to answer; if not, it returns
// the generation to hand to pinged after asking.
func (l *liveness) known() (bool, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.streams > 0 && l.confirmed, l.gen
}

// pinged records a successful ping that began at generation gen.
func (l *liveness) pinged(gen uint64) {
	l.mu.Lock()
	if l.streams > 0 && l.gen == gen {
		l.confirmed = true
	}
	l.mu.Unlock()
}

// Ping implements backend.Pinger: one call to the daemon's /_ping, or none
// while Watch's event stream shows that the daemon answers.
func (b *Backend) Ping(ctx context.Context) error {
	ok, gen := b.live.known()
	if ok {
		return ctx.Err()
	}
	if _, err := b.cli.Ping(ctx); err != nil {
		return wrap("ping", "daemon", err)
	}
	b.live.pinged(gen)
	return nil
}
