package mock

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/ec2emu/ec2emu/backend"
)

// Volumes are maps of file name to contents: enough for a test to write
// through one machine and read through another (WriteFile, ReadFile).

type volumes struct {
	data     map[string]map[string][]byte // volume ID → file → contents
	snaps    map[string]map[string][]byte // snapshot ID → file → contents
	attached map[string]map[string]string // machine ID → device path (VolumePath) → volume ID
}

func (b *Backend) vols() *volumes {
	if b.volumes.data == nil {
		b.volumes = volumes{data: map[string]map[string][]byte{}, snaps: map[string]map[string][]byte{}, attached: map[string]map[string]string{}}
	}
	return &b.volumes
}

// CreateVolume implements backend.Volumer.
func (b *Backend) CreateVolume(ctx context.Context, spec backend.VolumeSpec) error {
	if err := b.wait(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.vols()
	if _, ok := v.data[spec.ID]; ok {
		return fmt.Errorf("volume %s exists: %w", spec.ID, backend.ErrInvalidState)
	}
	files := map[string][]byte{}
	if spec.SnapshotID != "" {
		snap, ok := v.snaps[spec.SnapshotID]
		if !ok {
			return fmt.Errorf("snapshot %s: %w", spec.SnapshotID, backend.ErrNotFound)
		}
		files = maps.Clone(snap)
	}
	v.data[spec.ID] = files
	return nil
}

// DeleteVolume implements backend.Volumer.
func (b *Backend) DeleteVolume(ctx context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.vols()
	for m, devs := range v.attached {
		for _, vol := range devs {
			if vol == id {
				return fmt.Errorf("volume %s is attached to %s: %w", id, m, backend.ErrInvalidState)
			}
		}
	}
	delete(v.data, id)
	return nil
}

// AttachVolume implements backend.Volumer.
func (b *Backend) AttachVolume(ctx context.Context, machineID string, a backend.VolumeAttachment) error {
	if err := b.wait(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.machines[machineID] == nil {
		return fmt.Errorf("machine %s: %w", machineID, backend.ErrNotFound)
	}
	return b.attachLocked(machineID, a)
}

func (b *Backend) attachLocked(machineID string, a backend.VolumeAttachment) error {
	v := b.vols()
	if _, ok := v.data[a.VolumeID]; !ok {
		return fmt.Errorf("volume %s: %w", a.VolumeID, backend.ErrNotFound)
	}
	p := backend.VolumePath(a.Device)
	if cur, ok := v.attached[machineID][p]; ok && cur != a.VolumeID {
		return fmt.Errorf("%s of machine %s holds volume %s: %w", p, machineID, cur, backend.ErrInvalidState)
	}
	if v.attached[machineID] == nil {
		v.attached[machineID] = map[string]string{}
	}
	v.attached[machineID][p] = a.VolumeID
	return nil
}

// DetachVolume implements backend.Volumer.
func (b *Backend) DetachVolume(ctx context.Context, machineID string, a backend.VolumeAttachment) error {
	if err := b.wait(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.vols()
	p := backend.VolumePath(a.Device)
	if v.attached[machineID][p] == a.VolumeID {
		delete(v.attached[machineID], p)
	}
	return nil
}

// CreateSnapshot implements backend.Volumer.
func (b *Backend) CreateSnapshot(ctx context.Context, volumeID, snapshotID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.vols()
	files, ok := v.data[volumeID]
	if !ok {
		return fmt.Errorf("volume %s: %w", volumeID, backend.ErrNotFound)
	}
	if _, ok := v.snaps[snapshotID]; ok {
		return fmt.Errorf("snapshot %s exists: %w", snapshotID, backend.ErrInvalidState)
	}
	v.snaps[snapshotID] = maps.Clone(files)
	return nil
}

// DeleteSnapshot implements backend.Volumer.
func (b *Backend) DeleteSnapshot(ctx context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.vols().snaps, id)
	return nil
}

// resolve finds the volume and file a path inside machine machineID names.
// Callers hold b.mu.
func (b *Backend) resolve(machineID, name string) (map[string][]byte, string, error) {
	v := b.vols()
	if b.machines[machineID] == nil {
		return nil, "", fmt.Errorf("machine %s: %w", machineID, backend.ErrNotFound)
	}
	name = path.Clean(name)
	for p, vol := range v.attached[machineID] {
		if rest, ok := strings.CutPrefix(name, p+"/"); ok {
			return v.data[vol], rest, nil
		}
	}
	return nil, "", fmt.Errorf("%s: no volume is attached there in %s: %w", name, machineID, backend.ErrNotFound)
}

// WriteFile writes a file inside machine machineID, on the volume attached
// under VolumeRoot that name falls in, as a program in the machine would.
func (b *Backend) WriteFile(machineID, name string, data []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	files, rest, err := b.resolve(machineID, name)
	if err != nil {
		return err
	}
	files[rest] = append([]byte(nil), data...)
	return nil
}

// ReadFile reads a file inside machine machineID from the volume attached
// where name falls.
func (b *Backend) ReadFile(machineID, name string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	files, rest, err := b.resolve(machineID, name)
	if err != nil {
		return nil, err
	}
	data, ok := files[rest]
	if !ok {
		return nil, fmt.Errorf("%s in %s: %w", name, machineID, backend.ErrNotFound)
	}
	return append([]byte(nil), data...), nil
}

// VolumeIDs lists the volumes and snapshots the backend holds data for, so
// a test can check that deleting them released it.
func (b *Backend) VolumeIDs() (vols, snaps []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.vols()
	return sortedKeys(v.data), sortedKeys(v.snaps)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
