// Package ec2emutest starts ec2emu Servers for tests and points the AWS SDK
// at them, as net/http/httptest does for handlers.
//
//	func TestLaunch(t *testing.T) {
//		srv := ec2emutest.NewServer(t, mock.New())
//		out, err := srv.Client.RunInstances(ctx, &ec2.RunInstancesInput{…})
//	}
//
// Over real compute, Open(t, "docker") gives each test a backend namespace
// of its own, so tests in parallel do not see each other's instances, and
// whether the test passes, fails or panics it leaves no machine behind.
package ec2emutest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend"
)

// Server is an ec2emu.Server listening on a loopback port, with an SDK
// client pointed at it.
type Server struct {
	*ec2emu.Server
	// URL is the endpoint, e.g. http://127.0.0.1:38121.
	URL string
	// Client is an EC2 client for URL in region us-east-1 with static test
	// credentials.
	Client *ec2.Client
	// Namespace is the backend namespace Open made for the test; empty for
	// NewServer, whose backend came with its own.
	Namespace string
}

// NewServer starts a Server over b on loopback. When the test ends, whether
// it passes, fails or panics, it stops the Server and terminates every machine
// b runs that it did not run when NewServer was called, so the test leaves no
// machine behind.
//
// Like ec2emu.New, NewServer does not close b: the caller does, in a cleanup
// registered before NewServer is called (cleanups run last in, first out, so
// b is still open when NewServer's cleanup terminates its machines). Open,
// like ec2emu.Open, opens the backend itself and closes it.
//
// b keeps the namespace it was built with (ec2emu.WithNamespace, which only
// a backend the Server opens can honour, panics here): build it in
// Namespace(t), e.g.
// docker.New(ctx, docker.WithNamespace(ec2emutest.Namespace(t))), so tests
// in parallel do not see each other's machines. Or use Open.
func NewServer(t testing.TB, b backend.Backend, opts ...ec2emu.Option) *Server {
	t.Helper()
	ctx, cancel := cleanupContext()
	before, err := b.Machines(ctx)
	cancel()
	if err != nil {
		t.Fatalf("ec2emutest: list the backend's machines: %v", err)
	}
	keep := map[string]bool{}
	for _, m := range before {
		keep[m.ID] = true
	}
	return start(t, b, opts, func() { terminateMachines(t, b, keep) })
}

// Open opens the backend registered under name (its package must be
// imported, e.g. `import _ "github.com/ec2emu/ec2emu/docker"`) in a
// namespace of its own, Namespace(t), with the backend's settings from the
// environment (backend.Config.Getenv), and starts a Server over it on
// loopback. So tests in parallel, even in several processes, do not see each
// other's machines. When the test ends, whether it passes, fails or panics,
// it stops the Server, terminates every machine in the namespace and closes
// the backend.
//
// A process that dies before its cleanups run (killed, timed out, or
// panicking in another test) leaves its machines behind: each Open first
// terminates those of earlier test processes that are no longer running,
// which it finds through a small record kept in os.TempDir()/ec2emutest
// for every namespace Open creates.
//
// The namespace is the test's own: a WithNamespace among opts panics, as it
// does in ec2emu.New.
func Open(t testing.TB, name string, opts ...ec2emu.Option) *Server {
	t.Helper()
	reapDead(t)
	ns := Namespace(t)
	rec, err := record(name, ns)
	if err != nil {
		t.Fatalf("ec2emutest: %v", err)
	}
	ctx, cancel := cleanupContext()
	b, err := backend.Open(ctx, name, backend.Config{Namespace: ns})
	cancel()
	if err != nil {
		os.Remove(rec)
		t.Fatalf("ec2emutest: open backend %q: %v", name, err)
	}
	srv := start(t, b, opts, func() {
		if terminateMachines(t, b, nil) {
			os.Remove(rec)
		}
		if err := b.Close(); err != nil {
			t.Errorf("ec2emutest: close backend %q: %v", name, err)
		}
	})
	srv.Namespace = ns
	return srv
}

// start serves a Server over b on loopback until the test ends, and then
// runs after.
func start(t testing.TB, b backend.Backend, opts []ec2emu.Option, after func()) *Server {
	srv := ec2emu.New(b, opts...)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		// Close waits for the backend calls in flight (launches among them)
		// to return, so what the backend lists afterwards is all there is.
		srv.Close()
		after()
	})
	return &Server{Server: srv, URL: hs.URL, Client: Client(hs.URL, "us-east-1")}
}

// terminateMachines terminates every machine b lists in its namespace, but
// those in keep, and reports whether all went.
func terminateMachines(t testing.TB, b backend.Backend, keep map[string]bool) bool {
	ctx, cancel := cleanupContext()
	defer cancel()
	ms, err := b.Machines(ctx)
	if err != nil {
		t.Errorf("ec2emutest: list the backend's machines to terminate them: %v", err)
		return false
	}
	// Concurrently, as a backend's Terminate may take a while each.
	var wg sync.WaitGroup
	var failed atomic.Bool
	for _, m := range ms {
		if keep[m.ID] {
			continue
		}
		wg.Go(func() {
			if err := b.Terminate(ctx, m.ID); err != nil {
				t.Errorf("ec2emutest: terminate %s: %v", m.ID, err)
				failed.Store(true)
			}
		})
	}
	wg.Wait()
	return !failed.Load()
}

// cleanupContext bounds the backend calls ec2emutest makes itself. It does
// not derive from t.Context, which is already cancelled when cleanups run.
func cleanupContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*time.Minute)
}

// Client returns an EC2 client for the emulator at url, signing for region
// with static test credentials.
func Client(url, region string) *ec2.Client {
	return ec2.New(ec2.Options{
		Region:       region,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:   HTTPClient(),
	})
}

// HTTPClient returns the HTTP client Client gives its SDK client: use it in
// SDK clients of your own (ec2.Options.HTTPClient) that talk to a Server on
// loopback, especially with retries turned off. It works around
// aws-sdk-go-v2#2737 (see inMemoryBody).
func HTTPClient() *http.Client {
	return &http.Client{Transport: inMemoryBody{http.DefaultTransport.(*http.Transport).Clone()}}
}

// inMemoryBody hands the transport each request body as an in-memory
// reader. smithy-go (v1.28) closes the request body as soon as the response
// headers arrive, and its body's WriteTo then answers io.EOF as an error; a
// server on loopback answers before net/http has finished its last read of
// the body, so the transport tears the connection down under a response
// still being read ("use of closed network connection" on bodies larger
// than its read buffer). With a bytes.Reader the transport sends headers
// and body at once and its last read sees a clean EOF.
type inMemoryBody struct{ next http.RoundTripper }

func (t inMemoryBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return t.next.RoundTrip(r)
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(b))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	r2.ContentLength = int64(len(b))
	return t.next.RoundTrip(r2)
}
