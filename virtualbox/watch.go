package virtualbox

import (
	"context"
	"errors"
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
	t := time.NewTicker(b.watchInterval)
	defer t.Stop()
	var prev map[string]backend.State
	for {
		cur, err := b.states(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			b.log.Warn("virtualbox: watch: polling machines", "err", err)
		default:
			b.mu.Lock()
			skip := b.touched
			b.touched = map[string]bool{}
			for id := range b.busy {
				skip[id] = true
			}
			b.mu.Unlock()
			if prev != nil {
				for id, st := range cur {
					if old, ok := prev[id]; ok && old != st && !skip[id] {
						fn(backend.Event{ID: id, State: st})
					}
				}
				for id := range prev {
					if _, ok := cur[id]; !ok && !skip[id] {
						fn(backend.Event{ID: id, State: backend.StateTerminated})
					}
				}
			}
			prev = cur
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
