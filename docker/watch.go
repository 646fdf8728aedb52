package docker

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/ec2emu/ec2emu/backend"
)

// ownSlack widens the window in which an event counts as caused by one of
// the backend's own calls. The daemon stamps an event before it answers the
// call that caused it, so on one host (one clock) no slack is needed; a
// little covers clock granularity. It must stay small: drift right after one
// of our calls must still be reported. A remote daemon whose clock is skewed
// by more than this may have some of our own events reported as drift.
const ownSlack = 5 * time.Millisecond

// ownCalls records the backend's calls per instance, so Watch can tell the
// events they cause from drift.
type ownCalls struct {
	mu sync.Mutex
	m  map[string]*ownCall
}

type ownCall struct {
	inflight   int
	start, end time.Time
	// reported is the state the instance is known to be in: the one our
	// last call left it in, or the last one Watch reported since. Docker
	// sends several events for one change (kill, then die), and each change
	// must be reported once.
	reported backend.State
}

// begin marks a call on instance id in flight; the returned func ends it.
// leaves is the state the call leaves the instance in ("" if it keeps
// whatever it was), so that echoes of it that Docker sends late are not
// taken for drift.
func (o *ownCalls) begin(id string, leaves backend.State) func() {
	o.mu.Lock()
	c := o.m[id]
	if c == nil {
		if len(o.m) > 4096 {
			o.prune()
		}
		c = &ownCall{}
		o.m[id] = c
	}
	if c.inflight == 0 {
		c.start = time.Now()
	}
	c.inflight++
	c.reported = ""
	o.mu.Unlock()
	return func() {
		o.mu.Lock()
		c.inflight--
		c.end = time.Now()
		if leaves != "" {
			c.reported = leaves
		}
		o.mu.Unlock()
	}
}

// prune drops records long finished; o.mu is held.
func (o *ownCalls) prune() {
	old := time.Now().Add(-time.Minute)
	for id, c := range o.m {
		if c.inflight == 0 && c.end.Before(old) {
			delete(o.m, id)
		}
	}
}

// report records that Watch reports st for id, and says whether it is news.
func (o *ownCalls) report(id string, st backend.State) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := o.m[id]
	if c == nil {
		c = &ownCall{}
		o.m[id] = c
	}
	if c.reported == st {
		return false
	}
	c.reported = st
	return true
}

// caused reports whether an event on id at t came from one of our calls.
func (o *ownCalls) caused(id string, t time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := o.m[id]
	if c == nil {
		return false
	}
	if c.inflight > 0 {
		return true
	}
	return !t.Before(c.start.Add(-ownSlack)) && !t.After(c.end.Add(ownSlack))
}

// settleDrift is how long a state from the event stream must hold before
// Watch reports it. Under load Docker 20.10 may report a pause or unpause of
// ours a second time, long after the call (its containerd event arrives
// after the next call on the container has run), briefly flipping the state
// back; such a flap ends in the state our last call left, so it is not
// drift. Real drift holds, and is reported this much later.
const settleDrift = time.Second

// eventState maps a container event action to the state it leaves the
// machine in; ok is false for actions that change nothing (kill and stop are
// followed by die, exec and attach change nothing).
func eventState(a events.Action) (backend.State, bool) {
	switch a {
	case events.ActionPause:
		return backend.StateStopped, true
	case events.ActionUnPause, events.ActionStart:
		return backend.StateRunning, true
	case events.ActionDie:
		return backend.StateStopped, true
	case events.ActionDestroy:
		return backend.StateTerminated, true
	}
	return "", false
}

// Watch reports, until ctx is done, the changes to the namespace's instances
// that the backend's own calls did not cause: a container paused, stopped,
// killed or removed behind its back. It follows Docker's event stream,
// reconnecting with backoff (and without missing events) when it breaks.
func (b *Backend) Watch(ctx context.Context, fn func(backend.Event)) error {
	f := filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("label", LabelNamespace+"="+b.ns),
	)
	var since string
	backoff := 100 * time.Millisecond
	// Drift waiting to settle, by instance; flushed by one timer.
	pending := map[string]pendingDrift{}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	flush := func(now time.Time) {
		next := time.Time{}
		for id, p := range pending {
			if !now.Before(p.due) {
				delete(pending, id)
				if b.own.report(id, p.state) {
					fn(backend.Event{ID: id, State: p.state})
				}
			} else if next.IsZero() || p.due.Before(next) {
				next = p.due
			}
		}
		if !next.IsZero() {
			timer.Reset(next.Sub(now))
		}
	}
	for {
		sctx, cancel := context.WithCancel(ctx)
		msgs, errs := b.cli.Events(sctx, events.ListOptions{Filters: f, Since: since})
		err := func() error {
			b.live.up()
			defer b.live.down()
			for {
				select {
				case m := <-msgs:
					backoff = 100 * time.Millisecond
					t := time.Unix(0, m.TimeNano)
					if m.TimeNano == 0 {
						t = time.Unix(m.Time, 0)
					}
					// Resume after this event if the stream breaks.
					next := t.Add(time.Nanosecond)
					since = fmt.Sprintf("%d.%09d", next.Unix(), next.Nanosecond())
					if b.handleEvent(m, t, pending, fn) {
						flush(time.Now())
					}
				case <-timer.C:
					flush(time.Now())
				case err := <-errs:
					return err
				case <-ctx.Done():
					return nil
				}
			}
		}()
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		b.log.WarnContext(ctx, "docker: event stream broke; reconnecting", "err", err, "after", backoff)
		if since == "" {
			// Do not miss what happens while reconnecting.
			since = strconv.FormatInt(time.Now().Unix(), 10)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// pendingDrift is a state seen on the event stream, reported once it has
// held until due.
type pendingDrift struct {
	state backend.State
	due   time.Time
}

// handleEvent sorts one event: our own calls' are dropped, a removal is
// reported at once (it is final), other drift waits in pending to settle.
// It says whether pending changed.
func (b *Backend) handleEvent(m events.Message, t time.Time, pending map[string]pendingDrift, fn func(backend.Event)) bool {
	id, ok := b.ours([]string{m.Actor.Attributes["name"]}, m.Actor.Attributes)
	if !ok {
		return false
	}
	st, ok := eventState(m.Action)
	if !ok {
		return false
	}
	if st == backend.StateTerminated {
		b.forget(id)
	}
	if b.own.caused(id, t) {
		return false
	}
	if st == backend.StateTerminated {
		delete(pending, id)
		if b.own.report(id, st) {
			fn(backend.Event{ID: id, State: st})
		}
		return false
	}
	pending[id] = pendingDrift{state: st, due: time.Now().Add(settleDrift)}
	return true
}
