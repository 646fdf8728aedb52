package ec2emu_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// answer is the code and status a raw DescribeInstances gets.
type answer struct {
	Status int
	Code   string
}

// describeRaw sends DescribeInstances over plain HTTP and returns the
// status, the error code (if any) and the message.
func describeRaw(t *testing.T, h http.Handler) (answer, string) {
	t.Helper()
	hs := httptest.NewServer(h)
	defer hs.Close()
	resp, err := http.PostForm(hs.URL, url.Values{"Action": {"DescribeInstances"}, "Version": {"2016-11-15"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e struct {
		Code    string `xml:"Errors>Error>Code"`
		Message string `xml:"Errors>Error>Message"`
	}
	xml.Unmarshal(body, &e)
	return answer{resp.StatusCode, e.Code}, e.Message
}

// TestOpenRefusesTakenNamespace: a second Open in a namespace a live Server
// owns fails, naming the namespace and how to pick another, and the first
// keeps serving; once the first is closed the namespace is free at once.
func TestOpenRefusesTakenNamespace(t *testing.T) {
	ns := "lock-" + t.Name()
	first, err := ec2emu.Open(t.Context(), "mock", ec2emu.WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if err := first.Err(); err != nil {
		t.Fatalf("first Server: Err() = %v", err)
	}
	second, err := ec2emu.Open(t.Context(), "mock", ec2emu.WithNamespace(ns))
	if err == nil {
		second.Close()
		t.Fatal("second Open in a taken namespace succeeded")
	}
	if !errors.Is(err, backend.ErrNamespaceLocked) {
		t.Errorf("second Open: %v; want an error wrapping backend.ErrNamespaceLocked", err)
	}
	for _, want := range []string{fmt.Sprintf("%q", ns), "EC2EMU_NAMESPACE", "WithNamespace"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second Open: %q does not say %s", err, want)
		}
	}
	// The first serves on, through the SDK.
	hs := httptest.NewServer(first)
	defer hs.Close()
	if _, err := ec2emutest.Client(hs.URL, "us-east-1").DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{}); err != nil {
		t.Errorf("first Server after a refused second: %v", err)
	}
	first.Close()
	third, err := ec2emu.Open(t.Context(), "mock", ec2emu.WithNamespace(ns))
	if err != nil {
		t.Fatalf("Open after the owner closed: %v", err)
	}
	third.Close()
}

// TestNewInTakenNamespace: New cannot fail, so a Server over a backend
// whose namespace is taken answers every request 503 Unavailable with the
// reason, which Err returns too.
func TestNewInTakenNamespace(t *testing.T) {
	ns := "lock-" + t.Name()
	first := ec2emu.New(mock.New(mock.WithNamespace(ns)))
	defer first.Close()
	second := ec2emu.New(mock.New(mock.WithNamespace(ns)))
	defer second.Close()
	if err := second.Err(); !errors.Is(err, backend.ErrNamespaceLocked) {
		t.Errorf("second.Err() = %v; want an error wrapping backend.ErrNamespaceLocked", err)
	}
	select {
	case <-second.Ready(): // who waits for it must not hang
	case <-time.After(10 * time.Second):
		t.Error("Ready() of a Server refused its namespace is not closed")
	}
	got, msg := describeRaw(t, second)
	if diff := cmp.Diff(answer{503, "Unavailable"}, got); diff != "" {
		t.Errorf("second Server's answer (-want +got):\n%s", diff)
	}
	if !strings.Contains(msg, ns) || !strings.Contains(msg, "EC2EMU_NAMESPACE") {
		t.Errorf("503 message %q does not name the namespace and how to pick another", msg)
	}
	if got, _ := describeRaw(t, first); got != (answer{Status: 200}) {
		t.Errorf("first Server answers %+v; want 200", got)
	}
	// Private mock backends (no namespace) never contend.
	a, b := ec2emu.New(mock.New()), ec2emu.New(mock.New())
	defer a.Close()
	defer b.Close()
	if a.Err() != nil || b.Err() != nil {
		t.Errorf("two private mock backends: Err() = %v, %v; want nil, nil", a.Err(), b.Err())
	}
}

// TestNamespaceLockLost: once the lock is lost, the Server answers 503.
func TestNamespaceLockLost(t *testing.T) {
	b := mock.New(mock.WithNamespace("lock-" + t.Name()))
	srv := ec2emu.New(b)
	defer srv.Close()
	if got, _ := describeRaw(t, srv); got != (answer{Status: 200}) {
		t.Fatalf("before the loss: %+v; want 200", got)
	}
	b.LoseNamespaceLock()
	testutil.WaitFor(t, 10*time.Second, "a 503 after the lock was lost", func() (bool, string) {
		got, msg := describeRaw(t, srv)
		return got == answer{503, "Unavailable"} && strings.Contains(msg, "namespace lock was lost"), fmt.Sprint(got, msg)
	})
	if err := srv.Err(); err == nil || !strings.Contains(err.Error(), "lost") {
		t.Errorf("Err() = %v; want the loss", err)
	}
}

// flakyLocker's engine does not answer the first few lock attempts.
type flakyLocker struct {
	*mock.Backend
	fails atomic.Int32
}

func (f *flakyLocker) LockNamespace(ctx context.Context) (backend.NamespaceLock, error) {
	if f.fails.Add(-1) >= 0 {
		return nil, fmt.Errorf("engine down: %w", backend.ErrUnavailable)
	}
	return f.Backend.LockNamespace(ctx)
}

// TestNamespaceLockRetried: an engine that does not answer yet delays the
// lock, not forever: the Server answers 503 meanwhile, then serves.
func TestNamespaceLockRetried(t *testing.T) {
	f := &flakyLocker{Backend: mock.New(mock.WithNamespace("lock-" + t.Name()))}
	f.fails.Store(3)
	srv := ec2emu.New(f)
	defer srv.Close()
	if err := srv.Err(); err == nil || errors.Is(err, backend.ErrNamespaceLocked) {
		t.Errorf("Err() right after New = %v; want a not-yet-locked error", err)
	}
	select {
	case <-srv.Ready():
	case <-time.After(10 * time.Second):
		t.Error("Ready() of a Server still locking is not closed")
	}
	if got, _ := describeRaw(t, srv); got != (answer{503, "Unavailable"}) && got != (answer{Status: 200}) {
		t.Errorf("while locking: %+v", got)
	}
	testutil.WaitFor(t, 30*time.Second, "the Server to lock its namespace and serve", func() (bool, string) {
		got, msg := describeRaw(t, srv)
		return got == answer{Status: 200}, fmt.Sprint(got, msg)
	})
	if err := srv.Err(); err != nil {
		t.Errorf("Err() once locked = %v", err)
	}
}
