package virtualbox

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ec2emu/ec2emu/backend"
)

func init() { backend.Register("virtualbox", open) }

// Option configures a Backend made by New. An option given a value that
// cannot be right (a nil logger, a negative or zero interval) panics when it
// is made, as database/sql.Register does: ignoring it would hide a bug.
type Option func(*Backend)

// WithNamespace sets the namespace the backend works in: it lists and changes
// only instances it created under the same namespace (stored in extradata
// ec2emu/namespace), so emulators can share one VirtualBox. Images are shared
// by all namespaces. The default (and an empty ns) is backend.DefaultNamespace.
func WithNamespace(ns string) Option { return func(b *Backend) { b.ns = ns } }

// WithLogger sets the logger; the default discards. It panics if l is nil.
func WithLogger(l *slog.Logger) Option {
	if l == nil {
		panic("virtualbox: WithLogger(nil); to log nothing, leave the option out")
	}
	return func(b *Backend) { b.log = l }
}

// WithStopTimeout sets how long Stop (and CreateImage, which stops the
// instance unless NoReboot) waits for the guest to obey the ACPI power
// button before it powers the machine off. The default is 30 seconds. It
// panics if d is negative.
func WithStopTimeout(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("virtualbox: WithStopTimeout(%v): negative", d))
	}
	return func(b *Backend) { b.stopTimeout = d }
}

// WithVBoxManage runs the VBoxManage program at path instead of the one on
// PATH. go-virtualbox can only find VBoxManage on PATH, so with this option
// the backend runs every command itself.
func WithVBoxManage(path string) Option { return func(b *Backend) { b.path = path } }

// WithIPWait sets how long Launch waits for the guest to report its IP
// address (guest property /VirtualBox/GuestInfo/Net/0/V4/IP, set by the Guest
// Additions) before it returns without one; Machines reports it later. The
// default is 3 seconds; 0 does not wait. It panics if d is negative.
func WithIPWait(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("virtualbox: WithIPWait(%v): negative", d))
	}
	return func(b *Backend) { b.ipWait = d }
}

// WithPollInterval sets how often the backend polls a machine's state while
// it waits for it (e.g. for the guest to power off). The default is 250ms.
// It panics if d is not positive.
func WithPollInterval(d time.Duration) Option {
	if d <= 0 {
		panic(fmt.Sprintf("virtualbox: WithPollInterval(%v): want a positive duration", d))
	}
	return func(b *Backend) { b.pollInterval = d }
}

// WithWatchInterval sets how often Watch polls VirtualBox for drift:
// VBoxManage has no event stream, so drift is found by listing machines. The
// default is 2 seconds. It panics if d is not positive.
func WithWatchInterval(d time.Duration) Option {
	if d <= 0 {
		panic(fmt.Sprintf("virtualbox: WithWatchInterval(%v): want a positive duration", d))
	}
	return func(b *Backend) { b.watchInterval = d }
}

// withManager replaces VBoxManage (tests).
func withManager(m manager) Option { return func(b *Backend) { b.vb = m } }

// open is the backend.Opener registered as "virtualbox". It reads the
// namespace and logger from cfg and these settings through cfg.Getenv:
//
//	EC2_VBOX_MANAGE        path of VBoxManage (default: found on PATH)
//	VBOX_INSTALL_PATH      directory holding VBoxManage, if EC2_VBOX_MANAGE is unset
//	EC2_VBOX_STOP_TIMEOUT  ACPI grace period before a forced power-off (e.g. "30s")
func open(ctx context.Context, cfg backend.Config) (backend.Backend, error) {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	opts := []Option{WithNamespace(cfg.Namespace), WithLogger(cfg.Logger)}
	switch {
	case getenv("EC2_VBOX_MANAGE") != "":
		opts = append(opts, WithVBoxManage(getenv("EC2_VBOX_MANAGE")))
	case getenv("VBOX_INSTALL_PATH") != "":
		opts = append(opts, WithVBoxManage(filepath.Join(getenv("VBOX_INSTALL_PATH"), "VBoxManage")))
	}
	if s := getenv("EC2_VBOX_STOP_TIMEOUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("virtualbox: EC2_VBOX_STOP_TIMEOUT=%q: want a duration such as 30s", s)
		}
		opts = append(opts, WithStopTimeout(d))
	}
	b, err := New(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return b, nil
}
