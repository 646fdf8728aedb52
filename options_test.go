package ec2emu_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
)

// An option given a value that cannot be right panics when it is made,
// naming itself, instead of being ignored.
func TestOptionsPanicOnWrongValues(t *testing.T) {
	tests := []struct {
		name string
		make func()
	}{
		{"WithLogger", func() { ec2emu.WithLogger(nil) }},
		{"WithClock", func() { ec2emu.WithClock(nil) }},
		{"WithTerminatedRetention", func() { ec2emu.WithTerminatedRetention(-time.Second) }},
		{"WithMaxBodyBytes", func() { ec2emu.WithMaxBodyBytes(0) }},
		{"WithInstanceLimit", func() { ec2emu.WithInstanceLimit(0) }},
		{"WithInstanceLimit", func() { ec2emu.WithInstanceLimit(-1) }},
		{"WithVcpuLimit", func() { ec2emu.WithVcpuLimit(0) }},
		{"WithCapacity", func() { ec2emu.WithCapacity(-1) }},
		{"WithBackendTimeout", func() { ec2emu.WithBackendTimeout(0) }},
		{"WithDescribeCache", func() { ec2emu.WithDescribeCache(-1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if msg, _ := recover().(string); !strings.HasPrefix(msg, "ec2emu: "+tt.name+"(") {
					t.Errorf("panic %q, want one naming ec2emu: %s", msg, tt.name)
				}
			}()
			tt.make()
		})
	}
	// The edges that mean something are accepted.
	ec2emu.WithCapacity(0)
	ec2emu.WithDescribeCache(0)
	ec2emu.WithTerminatedRetention(0)
}

// WithNamespace cannot reach a backend passed to New, so New refuses it
// loudly; Open, which opens the backend in that namespace, takes it.
func TestWithNamespaceOnlyForOpen(t *testing.T) {
	func() {
		defer func() {
			if msg, _ := recover().(string); !strings.Contains(msg, "WithNamespace") {
				t.Errorf("New with WithNamespace: panic %q, want one naming WithNamespace", msg)
			}
		}()
		ec2emu.New(mock.New(), ec2emu.WithNamespace("mine"))
	}()
	srv, err := ec2emu.Open(t.Context(), "mock", ec2emu.WithNamespace("mine"))
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
}
