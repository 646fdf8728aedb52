package virtualbox

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/ec2emu/ec2emu/backend"
)

// Watch reports drift: instances of this namespace that changed state or
// vanished without a call on this Backend (a VM powered off, paused or
// deleted in VirtualBox directly). VBoxManage has no event stream, so Watch
// polls every watch interval; changes made by the Backend's own calls are
// not reported. It returns nil when ctx is done or the Backend is closed.
func (b *Backend) Watch(ctx context.Context, fn func(backend.Event)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // ends with Watch: cancel runs on return
		select {
		case <-b.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	b.mu.Lock()
	b.watching++
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.watching--
		b.mu.Unlock()
	}()
	t := time.NewTicker(b.watchInterval)
	defer t.Stop()
	// prev is each instance's last known state and the own-call generation
	// it is valid for: a reading taken before one of our calls says nothing
	// about the state after it.
	prev := map[string]settledState{}
	first := true
	for {
		b.mu.Lock()
		before := maps.Clone(b.gen)
		b.mu.Unlock()
		cur, err := b.states(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			b.log.Warn("virtualbox: watch: polling machines", "err", err)
		default:
			b.mu.Lock()
			after, busy, settled := maps.Clone(b.gen), maps.Clone(b.busy), maps.Clone(b.settled)
			b.mu.Unlock()
			ids := map[string]bool{}
			for id := range cur {
				ids[id] = true
			}
			for id := range prev {
				ids[id] = true
			}
			for id, st := range settled {
				if st.gen == after[id] {
					ids[id] = true
				}
			}
			var seen, gone []string
			for id := range ids {
				if busy[id] > 0 || before[id] != after[id] {
					delete(prev, id) // read while our call ran: no baseline from it
					continue
				}
				seen = append(seen, id)
				now, ok := cur[id]
				if !ok {
					now = backend.StateTerminated
				}
				base, known := prev[id], false
				if base.gen == after[id] && base.state != "" {
					known = true
				} else if st, ok := settled[id]; ok && st.gen == after[id] {
					base, known = st, true
				}
				if !first && known && base.state != now && base.state != backend.StateTerminated {
					fn(backend.Event{ID: id, State: now})
				}
				if now == backend.StateTerminated {
					delete(prev, id)
					gone = append(gone, id)
					continue
				}
				prev[id] = settledState{state: now, gen: after[id]}
			}
			// A settled state is consumed once a poll has taken a baseline
			// after it (a skipped machine keeps it for the next poll), and a
			// machine seen gone needs no generation any more.
			b.mu.Lock()
			for _, id := range seen {
				if st, ok := b.settled[id]; ok && st.gen == after[id] {
					delete(b.settled, id)
				}
			}
			for _, id := range gone {
				if b.gen[id] == after[id] && b.busy[id] == 0 {
					delete(b.gen, id)
				}
			}
			b.mu.Unlock()
			first = false
			if b.afterPoll != nil {
				b.afterPoll()
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// states maps each instance of this namespace to its state now.
func (b *Backend) states(ctx context.Context) (map[string]backend.State, error) {
	refs, err := b.vb.list(ctx)
	if err != nil {
		return nil, err
	}
	cur := map[string]backend.State{}
	for _, r := range refs {
		m, ok, err := b.machine(ctx, r.Name, false)
		if err != nil && !errors.Is(err, errVMNotFound) {
			return nil, err
		}
		if ok {
			cur[m.ID] = m.State
		}
	}
	return cur, nil
}
