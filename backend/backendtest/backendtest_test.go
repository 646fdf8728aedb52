package backendtest_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/backendtest"
	"github.com/ec2emu/ec2emu/backend/mock"
)

// The suite must catch backends that are broken in ways the Server cannot
// see for itself, as testing/fstest's own tests check TestFS against broken
// file systems.

// noopStop claims to stop machines but leaves them running.
type noopStop struct{ *mock.Backend }

func (noopStop) Stop(ctx context.Context, id string) error { return nil }

// forgetful does not keep the metadata it is given, so a restarted Server
// cannot re-adopt its machines.
type forgetful struct{ *mock.Backend }

func (f forgetful) Launch(ctx context.Context, spec backend.LaunchSpec) (backend.Machine, error) {
	spec.Metadata = nil
	return f.Backend.Launch(ctx, spec)
}

// leaky never releases terminated machines.
type leaky struct{ *mock.Backend }

func (leaky) Terminate(ctx context.Context, id string) error { return nil }

// noImage makes no image on CreateImage.
type noImage struct{ *mock.Backend }

func (noImage) CreateImage(ctx context.Context, id string, spec backend.ImageSpec) (backend.Image, error) {
	return backend.Image{ID: spec.ImageID, Name: spec.Name, State: backend.ImageAvailable}, nil
}

// staleLooker looks images up, but keeps answering what it found first.
type staleLooker struct {
	*mock.Backend
	mu   *sync.Mutex
	seen map[string]backend.Image
}

func (s staleLooker) LookupImage(ctx context.Context, id string) (backend.Image, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if img, ok := s.seen[id]; ok {
		return img, nil
	}
	imgs, err := s.Images(ctx)
	if err != nil {
		return backend.Image{}, err
	}
	for _, img := range imgs {
		if img.ID == id {
			s.seen[id] = img
			return img, nil
		}
	}
	return backend.Image{}, fmt.Errorf("image %s: %w", id, backend.ErrNotFound)
}

// strictTerminate fails to terminate a machine that is gone.
type strictTerminate struct{ *mock.Backend }

func (s strictTerminate) Terminate(ctx context.Context, id string) error {
	if _, ok := s.Spec(id); !ok {
		return fmt.Errorf("machine %s: %w", id, backend.ErrNotFound)
	}
	return s.Backend.Terminate(ctx, id)
}

// bareErrors reports failures as text, losing the seam's sentinels.
type bareErrors struct{ *mock.Backend }

func bare(err error) error {
	if err != nil {
		return errors.New(err.Error())
	}
	return nil
}

func (b bareErrors) Stop(ctx context.Context, id string) error { return bare(b.Backend.Stop(ctx, id)) }
func (b bareErrors) Start(ctx context.Context, id string) error {
	return bare(b.Backend.Start(ctx, id))
}
func (b bareErrors) Reboot(ctx context.Context, id string) error {
	return bare(b.Backend.Reboot(ctx, id))
}

// leakyLaunch leaves a machine behind when a launch fails.
type leakyLaunch struct{ *mock.Backend }

func (l leakyLaunch) Launch(ctx context.Context, spec backend.LaunchSpec) (backend.Machine, error) {
	m, err := l.Backend.Launch(ctx, spec)
	if err != nil {
		spec.ImageID = mock.DefaultImages[0].ID
		l.Backend.Launch(context.WithoutCancel(ctx), spec)
	}
	return m, err
}

// addressless gives machines an address of its own even on a network that
// takes the Server's.
type addressless struct{ *mock.Backend }

func (a addressless) Launch(ctx context.Context, spec backend.LaunchSpec) (backend.Machine, error) {
	spec.PrivateIP = ""
	return a.Backend.Launch(ctx, spec)
}

// lockless claims every namespace lock, contended or not.
type lockless struct{ *mock.Backend }

func (lockless) LockNamespace(ctx context.Context) (backend.NamespaceLock, error) {
	return mock.New().LockNamespace(ctx) // a private backend's lock: never contended
}

// stickyVolumes claims to detach volumes but leaves them attached.
type stickyVolumes struct{ *mock.Backend }

func (stickyVolumes) DetachVolume(ctx context.Context, machineID string, a backend.VolumeAttachment) error {
	return nil
}

// hollowSnapshots makes snapshots that hold none of the volume's data.
type hollowSnapshots struct{ *mock.Backend }

func (h hollowSnapshots) CreateSnapshot(ctx context.Context, volumeID, snapshotID string) error {
	if err := h.Backend.CreateSnapshot(ctx, volumeID, snapshotID); err != nil {
		return err
	}
	empty := "vol-hollow-" + snapshotID
	if err := h.Backend.CreateVolume(ctx, backend.VolumeSpec{ID: empty}); err != nil {
		return err
	}
	h.Backend.DeleteSnapshot(ctx, snapshotID)
	defer h.Backend.DeleteVolume(ctx, empty)
	return h.Backend.CreateSnapshot(ctx, empty, snapshotID)
}

// launchWithoutVolumes ignores LaunchSpec.Volumes.
type launchWithoutVolumes struct{ *mock.Backend }

func (l launchWithoutVolumes) Launch(ctx context.Context, spec backend.LaunchSpec) (backend.Machine, error) {
	spec.Volumes = nil
	return l.Backend.Launch(ctx, spec)
}

// swappingAttach attaches a volume where another is, detaching that one.
type swappingAttach struct{ *mock.Backend }

func (s swappingAttach) AttachVolume(ctx context.Context, machineID string, a backend.VolumeAttachment) error {
	err := s.Backend.AttachVolume(ctx, machineID, a)
	if errors.Is(err, backend.ErrInvalidState) {
		for _, id := range s.vols() {
			s.Backend.DetachVolume(ctx, machineID, backend.VolumeAttachment{VolumeID: id, Device: a.Device})
		}
		err = s.Backend.AttachVolume(ctx, machineID, a)
	}
	return err
}

func (s swappingAttach) vols() []string {
	vols, _ := s.VolumeIDs()
	return vols
}

func TestSuiteCatchesBrokenBackends(t *testing.T) {
	tests := []struct {
		name string
		wrap func(*mock.Backend) backend.Backend
		want []string // checks that must fail
	}{
		{"correct", func(b *mock.Backend) backend.Backend { return b }, nil},
		{"stop does nothing", func(b *mock.Backend) backend.Backend { return noopStop{b} }, []string{"BackendNotFoundErrors", "Readopt", "StopStartReboot"}},
		{"metadata dropped", func(b *mock.Backend) backend.Backend { return forgetful{b} }, []string{"Readopt"}},
		{"terminate leaks", func(b *mock.Backend) backend.Backend { return leaky{b} }, []string{"BackendTerminateGone", "Terminate", "Volumes"}},
		{"create-image makes nothing", func(b *mock.Backend) backend.Backend { return noImage{b} }, []string{"BackendNotFoundErrors", "CreateImage"}},
		{"terminate of a gone machine fails", func(b *mock.Backend) backend.Backend { return strictTerminate{b} }, []string{"BackendTerminateGone"}},
		{"errors lose their sentinels", func(b *mock.Backend) backend.Backend { return bareErrors{b} }, []string{"BackendNotFoundErrors"}},
		{"failed launch leaves a machine", func(b *mock.Backend) backend.Backend { return leakyLaunch{b} }, []string{"BackendFailedLaunch"}},
		{"image lookup stale", func(b *mock.Backend) backend.Backend {
			return staleLooker{b, &sync.Mutex{}, map[string]backend.Image{}}
		}, []string{"CreateImage", "ImageLookup"}},
		{"namespace lock never contended", func(b *mock.Backend) backend.Backend { return lockless{b} }, []string{"NamespaceLock"}},
		{"allocated address not taken", func(b *mock.Backend) backend.Backend { return addressless{b} }, []string{"VPCNetwork"}},
		{"detach does nothing", func(b *mock.Backend) backend.Backend { return stickyVolumes{b} }, []string{"Volumes"}},
		{"snapshot without the data", func(b *mock.Backend) backend.Backend { return hollowSnapshots{b} }, []string{"Volumes"}},
		{"launch ignores volumes", func(b *mock.Backend) backend.Backend { return launchWithoutVolumes{b} }, []string{"Volumes"}},
		{"attach replaces another volume", func(b *mock.Backend) backend.Backend { return swappingAttach{b} }, []string{"Volumes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var n atomic.Int64
			failed := backendtest.Check(ctx, backendtest.Harness{
				Open: func(ctx context.Context) (backend.Backend, error) {
					ns := fmt.Sprintf("suite-%s-%d", t.Name(), n.Add(1))
					return tt.wrap(mock.New(mock.WithDelay(time.Millisecond), mock.WithNamespace(ns))), nil
				},
				Reopen: func(ctx context.Context, b backend.Backend) (backend.Backend, error) {
					ns := b.(interface{ Namespace() string }).Namespace()
					return tt.wrap(mock.New(mock.WithDelay(time.Millisecond), mock.WithNamespace(ns))), nil
				},
				ImageID: mock.DefaultImages[0].ID,
				Timeout: 2 * time.Second,
			})
			got := slices.Sorted(maps.Keys(failed))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("failing checks (-want +got):\n%s\nerrors: %v", diff, failed)
			}
		})
	}
}
