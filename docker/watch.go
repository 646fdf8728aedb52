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
	// reported is the last state Watch reported since our last call: Docker
	// sends several events for one change (kill, then die), and each change
	// must be reported once.
	reported backend.State
}

// begin marks a call on instance id in flight; the returned func ends it.
func (o *ownCalls) begin(id string) func() {
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
	for {
		sctx, cancel := context.WithCancel(ctx)
		msgs, errs := b.cli.Events(sctx, events.ListOptions{Filters: f, Since: since})
		err := func() error {
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
					b.handleEvent(m, t, fn)
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

func (b *Backend) handleEvent(m events.Message, t time.Time, fn func(backend.Event)) {
	id, ok := b.ours([]string{m.Actor.Attributes["name"]}, m.Actor.Attributes)
	if !ok {
		return
	}
	st, ok := eventState(m.Action)
	if !ok {
		return
	}
	if st == backend.StateTerminated {
		b.forget(id)
	}
	if b.own.caused(id, t) || !b.own.report(id, st) {
		return
	}
	fn(backend.Event{ID: id, State: st})
}
