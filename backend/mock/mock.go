// Package mock is an in-memory backend.Backend with no compute behind it —
// LocalStack's "mock" VM manager. It is the reference implementation of the
// seam, and what tests use when they need EC2 semantics but not machines.
//
// Importing it registers it as "mock":
//
//	import _ "github.com/ec2emu/ec2emu/backend/mock"
//	srv, err := ec2emu.Open(ctx, "mock")
//
// It ships LocalStack's default AMIs, so a fresh server has images to launch.
// Every transition takes a small delay (WithDelay; EC2_MOCK_DELAY in the
// environment, a Go duration) so clients see pending and stopping states.
//
// Opened by name it has a namespace, and one Server per namespace owns it
// within the process (backend.NamespaceLocker; see WithNamespace).
package mock

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ec2emu/ec2emu/backend"
)

func init() {
	backend.Register("mock", func(ctx context.Context, cfg backend.Config) (backend.Backend, error) {
		var opts []Option
		if d := cfg.Getenv("EC2_MOCK_DELAY"); d != "" {
			dur, err := time.ParseDuration(d)
			if err != nil {
				return nil, fmt.Errorf("mock: EC2_MOCK_DELAY=%q: %w", d, err)
			}
			opts = append(opts, WithDelay(dur))
		}
		return New(append(opts, WithNamespace(cmp.Or(cfg.Namespace, backend.DefaultNamespace)))...), nil
	})
}

// DefaultImages are LocalStack's default AMIs, which New preloads.
var DefaultImages = []backend.Image{
	{ID: "ami-df5de72bdb3b", Name: "ubuntu-22.04-jammy-jellyfish", Description: "Ubuntu 22.04 LTS (Jammy Jellyfish)", Architecture: "x86_64",
		CreationDate: time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC), State: backend.ImageAvailable},
	{ID: "ami-024f768332f0", Name: "amazonlinux-2023", Description: "Amazon Linux 2023", Architecture: "x86_64",
		CreationDate: time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC), State: backend.ImageAvailable},
}

// Option configures a Backend.
type Option func(*Backend)

// WithDelay sets how long each transition (launch, stop, start, reboot,
// terminate, create-image) takes. Default 50ms; 0 makes them instant.
func WithDelay(d time.Duration) Option { return func(b *Backend) { b.delay = d } }

// WithCapacity bounds how many machines the backend runs at once: Launch
// fails with backend.ErrCapacity beyond it, and Capacity reports what is
// left. Default: no bound.
func WithCapacity(n int) Option { return func(b *Backend) { b.capacity = n } }

// WithImages replaces the preloaded images.
func WithImages(imgs ...backend.Image) Option {
	return func(b *Backend) {
		b.images = map[string]backend.Image{}
		for _, img := range imgs {
			b.images[img.ID] = img
		}
	}
}

// WithNamespace puts the backend in namespace ns. The mock's machines are
// its own whatever the namespace; the namespace matters only to
// LockNamespace, which lets one backend per namespace and process hold it,
// as an engine does for its clients. Without WithNamespace (as New alone
// makes it) the backend is private to its caller, and its lock is never
// contended. Opened by name (backend.Open), it always has one.
func WithNamespace(ns string) Option { return func(b *Backend) { b.ns = ns } }

// WithClock sets the time source for launch and creation times.
func WithClock(now func() time.Time) Option { return func(b *Backend) { b.now = now } }

// Backend is the in-memory backend. Its zero value is not usable; call New.
type Backend struct {
	delay    time.Duration
	now      func() time.Time
	capacity int    // 0: no bound
	ns       string // "" for a private backend (lock.go)

	mu        sync.Mutex
	machines  map[string]*machine
	images    map[string]backend.Image
	watchers  map[int]func(backend.Event)
	nextW     int
	nextIP    int
	taken     []netip.Prefix          // WithTakenRanges
	networks  map[string]bool         // VPC ID → takes the Server's addresses
	netRanges map[string]netip.Prefix // VPC ID → its range
	held      map[string]string       // "vpc-id/address" → the machine given it, while it lives
	launched  chan struct{}           // closed and replaced whenever Launch adds a machine
	volumes   volumes                 // volumes.go
}

type machine struct {
	backend.Machine
	spec    backend.LaunchSpec
	console strings.Builder
}

// New returns an empty mock backend holding DefaultImages.
func New(opts ...Option) *Backend {
	b := &Backend{delay: 50 * time.Millisecond, now: time.Now, machines: map[string]*machine{}, watchers: map[int]func(backend.Event){},
		launched: make(chan struct{}), networks: map[string]bool{}, netRanges: map[string]netip.Prefix{}, held: map[string]string{}}
	WithImages(DefaultImages...)(b)
	for _, o := range opts {
		o(b)
	}
	return b
}

func (b *Backend) wait(ctx context.Context) error {
	if b.delay <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(b.delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Images implements backend.Backend.
func (b *Backend) Images(ctx context.Context) ([]backend.Image, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := slices.Collect(maps.Values(b.images))
	slices.SortFunc(out, func(x, y backend.Image) int { return strings.Compare(x.ID, y.ID) })
	return out, nil
}

// Launch implements backend.Backend.
func (b *Backend) Launch(ctx context.Context, spec backend.LaunchSpec) (backend.Machine, error) {
	b.mu.Lock()
	if _, ok := b.images[spec.ImageID]; !ok {
		b.mu.Unlock()
		return backend.Machine{}, fmt.Errorf("image %s: %w", spec.ImageID, backend.ErrNotFound)
	}
	if b.capacity > 0 && len(b.machines) >= b.capacity {
		b.mu.Unlock()
		return backend.Machine{}, fmt.Errorf("all %d machines in use: %w", b.capacity, backend.ErrCapacity)
	}
	if spec.Network.ID != "" {
		if _, ok := b.networks[spec.Network.ID]; !ok {
			// A launch resumed by a restarted Server: the network comes back
			// as an engine's would still be there.
			b.mu.Unlock()
			if _, err := b.PrepareNetwork(ctx, spec.Network); err != nil {
				return backend.Machine{}, err
			}
			b.mu.Lock()
		}
	}
	ip, err := b.addressFor(spec)
	if err != nil {
		b.mu.Unlock()
		return backend.Machine{}, err
	}
	m := &machine{spec: spec, Machine: backend.Machine{
		ID: spec.InstanceID, ImageID: spec.ImageID, State: backend.StatePending,
		PrivateIP: ip, LaunchTime: b.now(), Metadata: maps.Clone(spec.Metadata),
	}}
	for _, a := range spec.Volumes {
		if err := b.attachLocked(spec.InstanceID, a); err != nil {
			delete(b.vols().attached, spec.InstanceID)
			b.mu.Unlock()
			return backend.Machine{}, err
		}
	}
	b.machines[spec.InstanceID] = m
	close(b.launched)
	b.launched = make(chan struct{})
	b.mu.Unlock()
	if err := b.wait(ctx); err != nil {
		b.mu.Lock()
		delete(b.machines, spec.InstanceID)
		delete(b.vols().attached, spec.InstanceID)
		b.mu.Unlock()
		return backend.Machine{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	m.State = backend.StateRunning
	fmt.Fprintf(&m.console, "ec2emu mock: %s booted from %s\n", spec.InstanceID, spec.ImageID)
	if len(spec.UserData) > 0 {
		fmt.Fprintf(&m.console, "ec2emu mock: user data of %d bytes received (not run: the mock has no compute)\n", len(spec.UserData))
	}
	return m.Machine, nil
}

// Capacity implements backend.CapacityReporter.
func (b *Backend) Capacity(ctx context.Context) (int, error) {
	if b.capacity <= 0 {
		return -1, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return max(b.capacity-len(b.machines), 0), nil
}

// transition moves machine id from one of the states in from to to after the
// delay.
func (b *Backend) transition(ctx context.Context, id string, to backend.State, from ...backend.State) error {
	b.mu.Lock()
	m := b.machines[id]
	if m == nil {
		b.mu.Unlock()
		return fmt.Errorf("machine %s: %w", id, backend.ErrNotFound)
	}
	if !slices.Contains(from, m.State) {
		st := m.State
		b.mu.Unlock()
		return fmt.Errorf("machine %s is %s: %w", id, st, backend.ErrInvalidState)
	}
	b.mu.Unlock()
	if err := b.wait(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if m := b.machines[id]; m != nil {
		m.State = to
	}
	return nil
}

// Stop implements backend.Backend.
func (b *Backend) Stop(ctx context.Context, id string) error {
	return b.transition(ctx, id, backend.StateStopped, backend.StateRunning, backend.StateStopped)
}

// Start implements backend.Backend.
func (b *Backend) Start(ctx context.Context, id string) error {
	return b.transition(ctx, id, backend.StateRunning, backend.StateStopped, backend.StateRunning)
}

// Reboot implements backend.Backend.
func (b *Backend) Reboot(ctx context.Context, id string) error {
	return b.transition(ctx, id, backend.StateRunning, backend.StateRunning)
}

// Terminate implements backend.Backend.
func (b *Backend) Terminate(ctx context.Context, id string) error {
	if err := b.wait(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.machines, id)
	delete(b.vols().attached, id)
	return nil
}

// CreateImage implements backend.Backend.
func (b *Backend) CreateImage(ctx context.Context, id string, spec backend.ImageSpec) (backend.Image, error) {
	b.mu.Lock()
	m := b.machines[id]
	b.mu.Unlock()
	if m == nil {
		return backend.Image{}, fmt.Errorf("machine %s: %w", id, backend.ErrNotFound)
	}
	if err := b.wait(ctx); err != nil {
		return backend.Image{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	arch := "x86_64"
	if src, ok := b.images[m.ImageID]; ok && src.Architecture != "" {
		arch = src.Architecture
	}
	img := backend.Image{ID: spec.ImageID, Name: spec.Name, Description: spec.Description, Architecture: arch,
		CreationDate: b.now(), State: backend.ImageAvailable, Metadata: maps.Clone(spec.Metadata)}
	b.images[img.ID] = img
	return img, nil
}

// DeregisterImage implements backend.Backend.
func (b *Backend) DeregisterImage(ctx context.Context, imageID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.images[imageID]; !ok {
		return fmt.Errorf("image %s: %w", imageID, backend.ErrNotFound)
	}
	delete(b.images, imageID)
	return nil
}

// Machines implements backend.Backend.
func (b *Backend) Machines(ctx context.Context) ([]backend.Machine, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]backend.Machine, 0, len(b.machines))
	for _, m := range b.machines {
		mm := m.Machine
		mm.Metadata = maps.Clone(m.Metadata)
		out = append(out, mm)
	}
	return out, nil
}

// ConsoleOutput implements backend.ConsoleOutputer.
func (b *Backend) ConsoleOutput(ctx context.Context, id string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.machines[id]
	if m == nil {
		return nil, fmt.Errorf("machine %s: %w", id, backend.ErrNotFound)
	}
	return []byte(m.console.String()), nil
}

// Watch implements backend.Watcher: it reports the changes made with Drift.
func (b *Backend) Watch(ctx context.Context, fn func(backend.Event)) error {
	b.mu.Lock()
	b.nextW++
	id := b.nextW
	b.watchers[id] = fn
	b.mu.Unlock()
	<-ctx.Done()
	b.mu.Lock()
	delete(b.watchers, id)
	b.mu.Unlock()
	return nil
}

// Drift changes machine id's state behind the Server's back, as a user
// pausing or removing a container by hand would, and reports it to watchers.
// StateTerminated removes the machine.
func (b *Backend) Drift(id string, to backend.State) error {
	b.mu.Lock()
	m := b.machines[id]
	if m == nil {
		b.mu.Unlock()
		return fmt.Errorf("machine %s: %w", id, backend.ErrNotFound)
	}
	if to == backend.StateTerminated {
		delete(b.machines, id)
	} else {
		m.State = to
	}
	fns := slices.Collect(maps.Values(b.watchers))
	b.mu.Unlock()
	for _, fn := range fns {
		fn(backend.Event{ID: id, State: to})
	}
	return nil
}

// Spec returns what machine id was launched with, so tests can check that
// user data and the key pair reached the backend.
func (b *Backend) Spec(id string) (backend.LaunchSpec, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.machines[id]
	if m == nil {
		return backend.LaunchSpec{}, false
	}
	return m.spec, true
}

// WaitSpec is Spec for a machine whose launch may not have reached the
// backend yet: the Server answers RunInstances before its background launch
// calls Launch. It waits until machine id exists, or ctx ends.
func (b *Backend) WaitSpec(ctx context.Context, id string) (backend.LaunchSpec, error) {
	for {
		b.mu.Lock()
		m, launched := b.machines[id], b.launched
		b.mu.Unlock()
		if m != nil {
			return m.spec, nil
		}
		select {
		case <-launched:
		case <-ctx.Done():
			return backend.LaunchSpec{}, fmt.Errorf("mock: machine %s never launched: %w", id, ctx.Err())
		}
	}
}

// Close implements backend.Backend; the mock holds nothing to release.
func (b *Backend) Close() error { return nil }

// TagImage implements backend.ImageTagger. The mock's engine images are its
// AMIs: source is one of them, by AMI ID or, for those it was made with
// (not by CreateImage), by name.
func (b *Backend) TagImage(ctx context.Context, source string, spec backend.ImageSpec) (backend.Image, error) {
	if err := b.wait(ctx); err != nil {
		return backend.Image{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	src, ok := b.images[source]
	for _, img := range b.images {
		if !ok && img.Name == source && img.Metadata == nil {
			src, ok = img, true // an engine image by its name
		}
	}
	if !ok {
		return backend.Image{}, fmt.Errorf("image %s: %w", source, backend.ErrNotFound)
	}
	img := backend.Image{ID: spec.ImageID, Name: spec.Name, Description: spec.Description, Architecture: src.Architecture,
		CreationDate: b.now(), State: backend.ImageAvailable, Metadata: maps.Clone(spec.Metadata)}
	b.images[img.ID] = img
	return img, nil
}
