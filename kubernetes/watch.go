package kubernetes

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/ec2emu/ec2emu/backend"
)

// Watch reports drift until ctx is done: an instance whose pod was deleted,
// evicted or ended behind the backend's back is stopped (its record
// remains, so Start brings it back); one whose record was deleted is
// terminated. It reads the informers the backend runs anyway, so it costs
// no API call.
func (b *Backend) Watch(ctx context.Context, fn func(backend.Event)) error {
	b.mu.Lock()
	n := b.nextSub
	b.nextSub++
	b.subs[n] = fn
	b.mu.Unlock()
	<-ctx.Done()
	b.mu.Lock()
	delete(b.subs, n)
	b.mu.Unlock()
	return nil
}

// observe handles one informer event: it wakes the waiters, then works out
// the instance's state now from the caches and reports a change to stopped
// or terminated that no call of ours is making.
func (b *Backend) observe(o any) {
	b.notify()
	if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	m, ok := o.(metav1.Object)
	if !ok {
		return
	}
	id, ok := b.ours(m)
	if !ok {
		return
	}
	st := b.cachedState(id)
	b.mu.Lock()
	prev, seen := b.last[id]
	b.last[id] = st
	if st == backend.StateTerminated {
		delete(b.last, id)
	}
	report := seen && prev != st && b.busy[id] == 0 && (st == backend.StateStopped || st == backend.StateTerminated)
	var subs []func(backend.Event)
	if report {
		for _, fn := range b.subs {
			subs = append(subs, fn)
		}
	}
	b.mu.Unlock()
	for _, fn := range subs {
		fn(backend.Event{ID: id, State: st})
	}
}

// cachedState is instance id's state as the informers' caches show it.
func (b *Backend) cachedState(id string) backend.State {
	cm, err := b.records.ConfigMaps(b.kns).Get(objectName(id))
	if err != nil {
		return backend.StateTerminated
	}
	if _, ok := b.ours(cm); !ok {
		return backend.StateTerminated
	}
	var p *corev1.Pod
	if cur, err := b.pods.Pods(b.kns).Get(objectName(id)); err == nil {
		if _, ok := b.ours(cur); ok {
			p = cur
		}
	}
	return podState(p)
}
