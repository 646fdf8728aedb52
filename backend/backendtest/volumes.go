package backendtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ec2emu/ec2emu/backend"
)

// FileAccess reads and writes files inside a backend's machines, as a
// program running there would: what the Volumes check needs to see data
// go through a volume. The mock backend has these methods itself; a real
// backend's harness can implement them with backend.Execer (cat).
type FileAccess interface {
	// WriteFile writes data to file name inside machine machineID.
	WriteFile(machineID, name string, data []byte) error
	// ReadFile reads file name inside machine machineID; an error if it
	// does not exist there.
	ReadFile(machineID, name string) ([]byte, error)
}

func init() {
	checks = append(checks, check{"Volumes", checkVolumes})
}

// files returns the harness's file access to backend b's machines: the
// Files hook's, or b itself if it has the methods; nil if neither.
func (e *env) files() FileAccess {
	if e.h.Files != nil {
		return e.h.Files(e.b)
	}
	if f, ok := e.b.(FileAccess); ok {
		return f
	}
	return nil
}

// checkVolumes: a backend.Volumer's volume carries files from one machine
// to another, through detach and attach, stop and start, snapshot and
// restore, and at launch; attach and detach are idempotent; unknown IDs
// give ErrNotFound, or nothing for deletes.
func checkVolumes(ctx context.Context, e *env) (err error) {
	v, ok := e.b.(backend.Volumer)
	if !ok {
		return errSkip
	}
	fs := e.files()
	if fs == nil {
		return fmt.Errorf("%w (Harness.Files is nil and the backend has no WriteFile/ReadFile)", errSkip)
	}
	uniq := randHex(8)
	vol, other, restored := "vol-"+uniq+"a", "vol-"+uniq+"b", "vol-"+uniq+"c"
	snap := "snap-" + uniq + "a"
	if err := v.CreateVolume(ctx, backend.VolumeSpec{ID: vol, SizeGiB: 1}); errors.Is(err, backend.ErrUnsupported) {
		return fmt.Errorf("%w (CreateVolume: %v)", errSkip, err)
	} else if err != nil {
		return fmt.Errorf("CreateVolume: %w", err)
	}
	defer func() {
		// Machines first: their volumes are then detached and deletable.
		cctx := context.WithoutCancel(ctx)
		e.cleanup(cctx)
		for _, id := range []string{vol, other, restored, "vol-" + uniq + "d"} {
			if derr := v.DeleteVolume(cctx, id); derr != nil && err == nil {
				err = fmt.Errorf("DeleteVolume(%s) once its machines are terminated: %w", id, derr)
			}
		}
		if derr := v.DeleteSnapshot(cctx, snap); derr != nil && err == nil {
			err = fmt.Errorf("DeleteSnapshot: %w", derr)
		}
	}()
	if err := v.CreateVolume(ctx, backend.VolumeSpec{ID: other, SizeGiB: 1}); err != nil {
		return fmt.Errorf("CreateVolume: %w", err)
	}
	a, err := e.launchDirect(ctx)
	if err != nil {
		return err
	}
	b, err := e.launchDirect(ctx)
	if err != nil {
		return err
	}

	data := []byte("backendtest volume data " + uniq + "\n")
	sdf := backend.VolumeAttachment{VolumeID: vol, Device: "/dev/sdf"}
	fileF := backend.VolumePath(sdf.Device) + "/f"
	if err := v.AttachVolume(ctx, a, sdf); err != nil {
		return fmt.Errorf("AttachVolume(%s, %+v): %w", a, sdf, err)
	}
	if err := v.AttachVolume(ctx, a, sdf); err != nil {
		return fmt.Errorf("AttachVolume again, the same way: %v, want nil", err)
	}
	if err := v.AttachVolume(ctx, a, backend.VolumeAttachment{VolumeID: other, Device: sdf.Device}); !errors.Is(err, backend.ErrInvalidState) {
		return fmt.Errorf("AttachVolume of another volume where %s is attached: %v, want ErrInvalidState", vol, err)
	}
	if err := e.waitFile(ctx, fs, a, fileF, nil, func() error { return fs.WriteFile(a, fileF, data) }); err != nil {
		return fmt.Errorf("writing through the attached volume: %w", err)
	}
	if err := v.DeleteVolume(ctx, vol); !errors.Is(err, backend.ErrInvalidState) {
		return fmt.Errorf("DeleteVolume of an attached volume: %v, want ErrInvalidState", err)
	}
	if err := v.DetachVolume(ctx, a, sdf); err != nil {
		return fmt.Errorf("DetachVolume: %w", err)
	}
	if err := v.DetachVolume(ctx, a, sdf); err != nil {
		return fmt.Errorf("DetachVolume again: %v, want nil", err)
	}
	if got, err := fs.ReadFile(a, fileF); err == nil {
		return fmt.Errorf("after DetachVolume machine %s still reads %s: %q", a, fileF, got)
	}

	// The data moves to another machine, under another device name.
	xvdg := backend.VolumeAttachment{VolumeID: vol, Device: "xvdg"}
	fileG := backend.VolumePath(xvdg.Device) + "/f"
	if err := v.AttachVolume(ctx, b, xvdg); err != nil {
		return fmt.Errorf("AttachVolume to a second machine: %w", err)
	}
	if err := e.waitFile(ctx, fs, b, fileG, data, nil); err != nil {
		return fmt.Errorf("the second machine: %w", err)
	}

	// Stopped, a machine keeps its volumes, and takes new ones.
	if err := e.b.Stop(ctx, b); err != nil {
		return fmt.Errorf("Stop: %w", err)
	}
	sdh := backend.VolumeAttachment{VolumeID: other, Device: "/dev/sdh"}
	if err := v.AttachVolume(ctx, b, sdh); err != nil {
		return fmt.Errorf("AttachVolume to a stopped machine: %w", err)
	}
	if err := e.b.Start(ctx, b); err != nil {
		return fmt.Errorf("Start: %w", err)
	}
	if err := e.waitFile(ctx, fs, b, fileG, data, nil); err != nil {
		return fmt.Errorf("after stop and start: %w", err)
	}
	fileH := backend.VolumePath(sdh.Device) + "/h"
	if err := e.waitFile(ctx, fs, b, fileH, nil, func() error { return fs.WriteFile(b, fileH, data) }); err != nil {
		return fmt.Errorf("writing through a volume attached while stopped: %w", err)
	}

	// A snapshot is the data as it was, whatever happens to the volume.
	if err := v.CreateSnapshot(ctx, vol, snap); err != nil {
		return fmt.Errorf("CreateSnapshot: %w", err)
	}
	if err := fs.WriteFile(b, fileG, []byte("changed after the snapshot\n")); err != nil {
		return fmt.Errorf("writing after the snapshot: %w", err)
	}
	if err := v.CreateVolume(ctx, backend.VolumeSpec{ID: restored, SizeGiB: 1, SnapshotID: snap}); err != nil {
		return fmt.Errorf("CreateVolume from the snapshot: %w", err)
	}
	sdi := backend.VolumeAttachment{VolumeID: restored, Device: "/dev/sdi"}
	if err := v.AttachVolume(ctx, a, sdi); err != nil {
		return fmt.Errorf("AttachVolume of the restored volume: %w", err)
	}
	if err := e.waitFile(ctx, fs, a, backend.VolumePath(sdi.Device)+"/f", data, nil); err != nil {
		return fmt.Errorf("the volume restored from the snapshot: %w", err)
	}
	if err := v.DetachVolume(ctx, a, sdi); err != nil {
		return fmt.Errorf("DetachVolume: %w", err)
	}

	// Unknown IDs.
	const missingVol, missingSnap = "vol-0000000000000dead", "snap-0000000000000dead"
	for _, c := range []struct {
		name string
		err  error
		want error // nil: the call must succeed
	}{
		{"AttachVolume of an unknown volume", v.AttachVolume(ctx, a, backend.VolumeAttachment{VolumeID: missingVol, Device: "/dev/sdj"}), backend.ErrNotFound},
		{"AttachVolume to an unknown machine", v.AttachVolume(ctx, missingID, backend.VolumeAttachment{VolumeID: other, Device: "/dev/sdj"}), backend.ErrNotFound},
		{"CreateSnapshot of an unknown volume", v.CreateSnapshot(ctx, missingVol, "snap-"+uniq+"b"), backend.ErrNotFound},
		{"CreateVolume from an unknown snapshot", v.CreateVolume(ctx, backend.VolumeSpec{ID: "vol-" + uniq + "d", SizeGiB: 1, SnapshotID: missingSnap}), backend.ErrNotFound},
		{"DetachVolume from an unknown machine", v.DetachVolume(ctx, missingID, backend.VolumeAttachment{VolumeID: other, Device: "/dev/sdj"}), nil},
		{"DeleteVolume of an unknown volume", v.DeleteVolume(ctx, missingVol), nil},
		{"DeleteSnapshot of an unknown snapshot", v.DeleteSnapshot(ctx, missingSnap), nil},
		// Existing IDs are kept, never overwritten: the Server decides
		// whether data left by a cut-short attempt is to be replaced.
		{"CreateVolume of an existing volume", v.CreateVolume(ctx, backend.VolumeSpec{ID: other, SizeGiB: 1}), backend.ErrInvalidState},
		{"CreateSnapshot of an existing snapshot", v.CreateSnapshot(ctx, other, snap), backend.ErrInvalidState},
	} {
		if c.want == nil && c.err != nil || c.want != nil && !errors.Is(c.err, c.want) {
			return fmt.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}

	// Volumes in the launch spec are there when the machine first runs.
	xvdj := backend.VolumeAttachment{VolumeID: restored, Device: "xvdj"}
	fileJ := backend.VolumePath(xvdj.Device) + "/f"
	spec := backend.LaunchSpec{InstanceID: fmt.Sprintf("i-%017x", time.Now().UnixNano()&(1<<64/2-1)), ImageID: e.h.ImageID,
		InstanceType: "t3.micro", Volumes: []backend.VolumeAttachment{xvdj}}
	if e.h.UserData != nil && e.h.UserDataOutput {
		spec.UserData = []byte("#!/bin/sh\ncat " + fileJ + "\n")
	}
	c, err := e.b.Launch(ctx, spec)
	if err != nil {
		return fmt.Errorf("Launch with volumes: %w", err)
	}
	if err := e.waitFile(ctx, fs, c.ID, fileJ, data, nil); err != nil {
		return fmt.Errorf("a machine launched with the volume: %w", err)
	}
	if spec.UserData != nil {
		if err := e.waitFor(ctx, "user data to print the volume's file", func() (bool, string) {
			out, err := e.h.UserData(ctx, e.b, c.ID)
			return err == nil && bytes.Contains(out, data), fmt.Sprintf("output %q, err %v", out, err)
		}); err != nil {
			return fmt.Errorf("at first boot: %w", err)
		}
	}

	// Deleted, a volume or snapshot is gone.
	if err := e.b.Terminate(ctx, c.ID); err != nil {
		return fmt.Errorf("Terminate: %w", err)
	}
	if err := v.DetachVolume(ctx, a, sdi); err != nil {
		return fmt.Errorf("DetachVolume: %w", err)
	}
	if err := v.DeleteVolume(ctx, restored); err != nil {
		return fmt.Errorf("DeleteVolume of a volume whose machine was terminated: %w", err)
	}
	if err := v.AttachVolume(ctx, a, sdi); !errors.Is(err, backend.ErrNotFound) {
		return fmt.Errorf("AttachVolume of a deleted volume: %v, want ErrNotFound", err)
	}
	if err := v.DeleteSnapshot(ctx, snap); err != nil {
		return fmt.Errorf("DeleteSnapshot: %w", err)
	}
	if err := v.CreateVolume(ctx, backend.VolumeSpec{ID: restored, SizeGiB: 1, SnapshotID: snap}); !errors.Is(err, backend.ErrNotFound) {
		return fmt.Errorf("CreateVolume from a deleted snapshot: %v, want ErrNotFound", err)
	}
	return nil
}

// waitFile waits until machine id reads data from file name, after write
// if set (retried, for a machine that needs a moment after Start); data
// nil means any contents.
func (e *env) waitFile(ctx context.Context, fs FileAccess, id, name string, data []byte, write func() error) error {
	return e.waitFor(ctx, fmt.Sprintf("%s to read %s", id, name), func() (bool, string) {
		if write != nil {
			if err := write(); err != nil {
				return false, fmt.Sprintf("write: %v", err)
			}
		}
		got, err := fs.ReadFile(id, name)
		if err != nil {
			return false, fmt.Sprintf("read: %v", err)
		}
		if data != nil && !bytes.Equal(got, data) {
			return false, fmt.Sprintf("read %q, want %q", got, data)
		}
		return true, ""
	})
}

// waitFor polls cond until it holds or the harness's timeout passes.
func (e *env) waitFor(ctx context.Context, what string, cond func() (bool, string)) error {
	ctx, cancel := context.WithTimeout(ctx, e.h.timeout())
	defer cancel()
	for {
		ok, last := cond()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %s", what, strings.TrimSpace(last))
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
