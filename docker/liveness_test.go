package docker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/events"

	"github.com/ec2emu/ec2emu/backend"
)

// streamClient hands Watch the event streams a test gives it, and counts
// pings.
type streamClient struct {
	Client  // nil: any other call panics
	streams chan fakeStream

	mu      sync.Mutex
	pings   int
	pingErr error
}

type fakeStream struct {
	msgs chan events.Message
	errs chan error
}

func newStream() fakeStream {
	return fakeStream{msgs: make(chan events.Message), errs: make(chan error, 1)}
}

func (c *streamClient) Events(ctx context.Context, _ events.ListOptions) (<-chan events.Message, <-chan error) {
	select {
	case s := <-c.streams:
		return s.msgs, s.errs
	case <-ctx.Done():
		errs := make(chan error, 1)
		errs <- ctx.Err()
		return nil, errs
	}
}

func (c *streamClient) Ping(ctx context.Context) (types.Ping, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pings++
	return types.Ping{}, c.pingErr
}

func (c *streamClient) set(err error) {
	c.mu.Lock()
	c.pingErr = err
	c.mu.Unlock()
}

func (c *streamClient) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pings
}

// Ping asks the daemon only while no event stream shows that it answers: a
// connected stream counts once a ping has succeeded with it connected, and
// stops counting when it breaks.
func TestPingWhileStreamConnected(t *testing.T) {
	f := &streamClient{streams: make(chan fakeStream)}
	b := &Backend{cli: f, ns: "ns", log: nopLogger(), cids: map[string]ctr{}, toggles: map[string]toggle{},
		amis: map[string]amiRef{}, images: map[string]*imageDetails{}, own: ownCalls{m: map[string]*ownCall{}}}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Watch(ctx, func(backend.Event) {})
	}()
	defer func() { cancel(); <-done }()

	connected := func(want int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			b.live.mu.Lock()
			n := b.live.streams
			b.live.mu.Unlock()
			if n == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d streams connected, want %d", n, want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	ping := func(step string, wantCalls int, wantErr error) {
		t.Helper()
		err := b.Ping(t.Context())
		if got := f.count(); got != wantCalls || !errors.Is(err, wantErr) {
			t.Fatalf("%s: Ping = %v after %d daemon pings; want %v after %d", step, err, got, wantErr, wantCalls)
		}
	}
	down := fmt.Errorf("dial unix /var/run/docker.sock: %w", syscall.ECONNREFUSED)

	ping("no stream", 1, nil)
	s := newStream()
	f.streams <- s
	connected(1)
	ping("stream connected, not yet confirmed", 2, nil)
	ping("stream confirmed", 2, nil)
	ping("stream confirmed, again", 2, nil)

	s.errs <- errors.New("unexpected EOF") // the daemon went away
	connected(0)
	f.set(down)
	ping("stream broken", 3, backend.ErrUnavailable)

	// A stream Events returned may yet fail: unconfirmed, it does not count.
	s = newStream()
	f.streams <- s
	connected(1)
	ping("new stream, daemon down", 4, backend.ErrUnavailable)
	ping("new stream, still unconfirmed", 5, backend.ErrUnavailable)
	f.set(nil)
	ping("daemon back", 6, nil)
	ping("new stream confirmed", 6, nil)
}
