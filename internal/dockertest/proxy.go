package dockertest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"
)

// Proxy is a Docker API proxy on a unix socket of its own, in front of the
// real daemon. Tests point a backend at it to make the daemon "stop" (Cut)
// and "come back" (Restore) without touching the daemon other tests share,
// and to hold chosen requests (Hold) so a test can act at a precise moment.
type Proxy struct {
	// Path is the proxy's socket; Host is "unix://"+Path, for DOCKER_HOST
	// or client.WithHost.
	Path, Host string

	rp *httputil.ReverseProxy

	mu       sync.Mutex
	srv      *http.Server
	hold     func(*http.Request) bool
	release  chan struct{}
	held     int
	inflight map[*http.Request]string // requests being forwarded, event streams excepted
	passed   map[string]int
}

// NewProxy starts a proxy to the daemon DOCKER_HOST names (a unix socket;
// /var/run/docker.sock by default) on a socket in t.TempDir(), and stops it
// when the test ends.
func NewProxy(t testing.TB) *Proxy {
	t.Helper()
	c, err := client.NewClientWithOpts(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	target, ok := strings.CutPrefix(c.DaemonHost(), "unix://")
	c.Close()
	if !ok {
		t.Fatalf("dockertest: the proxy needs a unix socket daemon, DOCKER_HOST is %s", c.DaemonHost())
	}
	// A short directory: unix socket paths are limited to ~100 bytes.
	dir, err := os.MkdirTemp("", "ec2emu-proxy")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &Proxy{Path: filepath.Join(dir, "docker.sock"), release: make(chan struct{}), passed: map[string]int{}, inflight: map[*http.Request]string{}}
	p.Host = "unix://" + p.Path
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", target)
	}}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "http", Host: "docker"})
			r.Out.Host = "docker"
		},
		Transport:     tr,
		FlushInterval: -1, // the event stream must not be buffered
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	if err := p.Restore(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Release()
		p.Cut()
		tr.CloseIdleConnections()
	})
	return p
}

// Client returns a Docker client that talks through the proxy, closed when
// the test ends.
func (p *Proxy) Client(t testing.TB) *client.Client {
	t.Helper()
	c, err := client.NewClientWithOpts(client.WithHost(p.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Cut makes the daemon unreachable through the proxy, as if it had
// stopped: the socket goes away (new connections fail to dial) and every
// open connection, event streams included, is closed.
func (p *Proxy) Cut() {
	p.mu.Lock()
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Restore makes the daemon reachable again after Cut.
func (p *Proxy) Restore() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv != nil {
		return nil
	}
	os.Remove(p.Path)
	ln, err := net.Listen("unix", p.Path)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	p.srv = srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return nil
}

// Hold makes requests for which match returns true wait until Release (or
// until their client goes away, in which case they are never forwarded).
// nil holds nothing.
func (p *Proxy) Hold(match func(*http.Request) bool) {
	p.mu.Lock()
	p.hold = match
	p.mu.Unlock()
}

// Release lets every held request through and stops holding.
func (p *Proxy) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold = nil
	close(p.release)
	p.release = make(chan struct{})
}

// Held returns how many requests are waiting.
func (p *Proxy) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held
}

// InFlight returns the requests being forwarded now ("METHOD path"), not
// counting event streams, which never end.
func (p *Proxy) InFlight() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.inflight))
	for _, s := range p.inflight {
		out = append(out, s)
	}
	return out
}

// Passed returns how many requests matching "METHOD /path-suffix" (e.g.
// "POST /start") were forwarded and answered.
func (p *Proxy) Passed(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.passed[key]
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if p.hold != nil && p.hold(r) {
		p.held++
		release := p.release
		p.mu.Unlock()
		// Read the body now: the server notices a client that goes away
		// (and cancels r's context) only once the body has been read.
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		select {
		case <-release:
		case <-r.Context().Done():
			p.mu.Lock()
			p.held--
			p.mu.Unlock()
			return
		}
		p.mu.Lock()
		p.held--
	}
	stream := strings.HasSuffix(r.URL.Path, "/events")
	if !stream {
		p.inflight[r] = r.Method + " " + r.URL.Path
	}
	p.mu.Unlock()
	p.rp.ServeHTTP(w, r)
	p.mu.Lock()
	if !stream {
		delete(p.inflight, r)
		p.passed[r.Method+" /"+r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]]++
	}
	p.mu.Unlock()
}
