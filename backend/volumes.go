package backend

import (
	"context"
	"path"
	"strings"
)

// Volumer is an optional capability: EBS volumes that hold data. A volume's
// files appear inside each machine it is attached to at VolumePath(device),
// as a directory: a container has no block device to format or mount, so the
// volume arrives already usable, and its data outlives the machine. The
// Server owns the EC2 rules (zones, states, device names, who may attach
// what); a backend only keeps the data and makes it visible.
type Volumer interface {
	// CreateVolume makes volume spec.ID: empty, or holding a copy of the
	// data of snapshot spec.SnapshotID. On error nothing is left behind. A
	// volume that exists already answers ErrInvalidState and is kept.
	CreateVolume(ctx context.Context, spec VolumeSpec) error
	// DeleteVolume removes a volume that no machine has attached, with its
	// data. A volume that does not exist is not an error.
	DeleteVolume(ctx context.Context, id string) error
	// AttachVolume makes the volume's files visible inside machine
	// machineID at VolumePath(a.Device), whether the machine is running or
	// stopped, without restarting it. Attaching again the same way is not
	// an error.
	AttachVolume(ctx context.Context, machineID string, a VolumeAttachment) error
	// DetachVolume undoes AttachVolume. Detaching what is not attached, or
	// from a machine that is gone, is not an error.
	DetachVolume(ctx context.Context, machineID string, a VolumeAttachment) error
	// CreateSnapshot copies the volume's data as it is now into snapshot
	// snapshotID, which CreateVolume can later restore. Snapshots are
	// never changed once made: one that exists already answers
	// ErrInvalidState.
	CreateSnapshot(ctx context.Context, volumeID, snapshotID string) error
	// DeleteSnapshot removes a snapshot's data. A snapshot that does not
	// exist is not an error.
	DeleteSnapshot(ctx context.Context, id string) error
}

// VolumeSpec says what volume to make.
type VolumeSpec struct {
	// ID is the EC2 volume ID, e.g. "vol-0a1b2c3d4e5f67890".
	ID string
	// SizeGiB is the volume's size as EC2 shows it. A backend may use it
	// as a quota; one that cannot bound a directory ignores it.
	SizeGiB int
	// SnapshotID, if set, is a snapshot made by CreateSnapshot whose data
	// the new volume starts with.
	SnapshotID string
}

// VolumeAttachment names a volume and the device it is attached as.
type VolumeAttachment struct {
	// VolumeID is a volume made by CreateVolume.
	VolumeID string
	// Device is the EC2 device name, e.g. "/dev/sdf" or "xvdf".
	Device string
}

// VolumeRoot is the directory inside a machine under which attached volumes
// appear, one directory per device (VolumePath).
const VolumeRoot = "/ebs"

// VolumePath returns where a volume attached as device appears inside a
// machine: VolumeRoot and the device's last element, "/dev/sdf" → "/ebs/sdf",
// "xvdf" → "/ebs/xvdf".
func VolumePath(device string) string {
	return path.Join(VolumeRoot, path.Base(strings.TrimSpace(device)))
}

// VolumeChecker is an optional addition to Volumer, for a backend whose
// volumes depend on how it runs (docker: root on the engine's host). It says
// whether volumes work here: nil if they do, else an error wrapping
// ErrUnsupported that says why. The Server then treats the backend as one
// without volumes: mappings at launch are records only, and the volume
// actions answer UnsupportedOperation with the reason.
type VolumeChecker interface {
	VolumesAvailable() error
}
