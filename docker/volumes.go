package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/volume"

	"github.com/ec2emu/ec2emu/backend"
)

// EBS volumes (backend.Volumer). A volume is a Docker volume of the local
// driver, ec2emu-vol.<namespace>.<vol-id>; a snapshot is another,
// ec2emu-snap.<namespace>.<snap-id>, holding a copy of the data (cp -a of
// one volume's directory into the other's). Each container gets, at
// create, a bind mount of the host directory <root>/<namespace>/<instance-id>
// on /ebs with rslave propagation, <root> being a shared mount; attaching
// bind-mounts the volume's directory on <that directory>/<device>, and
// propagation carries the mount into the container at once, running or
// paused, with no restart. See the package doc.

// DefaultVolumeRoot is the host directory under which the backend makes
// each instance's /ebs directory unless WithVolumeRoot names another.
const DefaultVolumeRoot = "/run/ec2emu"

// Labels on the Docker volumes that hold EBS volumes and snapshots, besides
// LabelNamespace.
const (
	LabelVolumeID   = "ec2emu.volume-id"
	LabelSnapshotID = "ec2emu.snapshot-id"
)

// WithVolumeRoot sets the host directory under which each instance's /ebs
// lives, as <dir>/<namespace>/<instance-id>, with attached volumes mounted
// in it. Default DefaultVolumeRoot, on tmpfs on most hosts, so its mounts
// and directories vanish with a reboot as the containers' state does. The
// backend makes dir a shared mount (bind-mounting it on itself if it is not
// a mount point) once per process. It panics if dir is not absolute.
func WithVolumeRoot(dir string) Option {
	if !filepath.IsAbs(dir) {
		panic(fmt.Sprintf("docker: WithVolumeRoot(%q); the volume root must be an absolute path", dir))
	}
	return func(b *Backend) { b.volRoot = filepath.Clean(dir) }
}

// volumeClient is what volumes need of the Docker client beyond Client;
// *client.Client has it.
type volumeClient interface {
	VolumeCreate(ctx context.Context, options volume.CreateOptions) (volume.Volume, error)
	VolumeInspect(ctx context.Context, volumeID string) (volume.Volume, error)
	VolumeRemove(ctx context.Context, volumeID string, force bool) error
}

var _ backend.Volumer = (*Backend)(nil)

func (b *Backend) volumeName(id string) string   { return "ec2emu-vol." + b.ns + "." + id }
func (b *Backend) snapshotName(id string) string { return "ec2emu-snap." + b.ns + "." + id }

// instanceDir is the host directory bound on instance id's /ebs.
func (b *Backend) instanceDir(id string) string { return filepath.Join(b.volRoot, b.ns, id) }

// setupVolumes decides, once, whether volumes work here: the engine must be
// on this host (a unix socket that exists here) and this process must be
// able to mount. It returns nil if so, else an error wrapping
// backend.ErrUnsupported that says why.
func (b *Backend) setupVolumes() error {
	unsupported := func(why string, args ...any) error {
		return fmt.Errorf("docker: EBS volumes are unavailable: %s: %w", fmt.Sprintf(why, args...), backend.ErrUnsupported)
	}
	if _, ok := b.cli.(volumeClient); !ok {
		return unsupported("the Docker client has no volume calls")
	}
	dh, ok := b.cli.(interface{ DaemonHost() string })
	if !ok {
		return unsupported("the Docker client does not say where the engine is")
	}
	sock, ok := strings.CutPrefix(dh.DaemonHost(), "unix://")
	if !ok {
		return unsupported("the engine (%s) is not on this host; volumes are bind mounts made on the engine's host", dh.DaemonHost())
	}
	if _, err := os.Stat(sock); err != nil {
		return unsupported("the engine's socket %s is not on this host (%v); volumes are bind mounts made on the engine's host", sock, err)
	}
	if !canMount() {
		return unsupported("this process cannot mount (it is not root, or lacks CAP_SYS_ADMIN); run it as root on the engine's host")
	}
	root, err := prepareRoot(b.volRoot)
	if err != nil {
		return unsupported("making the volume root %s a shared mount: %v", b.volRoot, err)
	}
	b.volRoot = root
	return nil
}

// deviceDir is the directory name of device under an instance's /ebs.
func deviceDir(device string) (string, error) {
	d := path.Base(backend.VolumePath(device))
	if d == "" || d == "/" || d == "." || d == ".." {
		return "", fmt.Errorf("docker: device name %q: %w", device, backend.ErrInvalidState)
	}
	return d, nil
}

// ebsMount is the bind mount Launch gives a container: its instance
// directory on /ebs, rslave so that later mounts under the directory reach
// the running container.
func (b *Backend) ebsMount(id string) mount.Mount {
	return mount.Mount{
		Type: mount.TypeBind, Source: b.instanceDir(id), Target: backend.VolumeRoot,
		BindOptions: &mount.BindOptions{Propagation: mount.PropagationRSlave},
	}
}

// hasEBS reports whether a container has the /ebs mount from dir.
func hasEBS(info container.InspectResponse, dir string) bool {
	for _, m := range info.Mounts {
		if m.Destination == backend.VolumeRoot && filepath.Clean(m.Source) == dir {
			return true
		}
	}
	return false
}

// isVolume reports whether mount m shows the data of Docker volume name.
func isVolume(m mountEntry, name string) bool {
	return strings.HasSuffix(m.root, "/"+name+"/_data")
}

// volumeIn names the EC2 volume mount m shows, as far as its path tells.
func (b *Backend) volumeIn(m mountEntry) string {
	v := path.Base(path.Dir(m.root))
	if id, ok := strings.CutPrefix(v, "ec2emu-vol."+b.ns+"."); ok {
		return id
	}
	return m.root
}

// CreateVolume implements backend.Volumer: a Docker volume, filled with a
// copy of the snapshot's data if spec.SnapshotID is set. SizeGiB is not
// enforced: the local driver cannot bound a directory. A volume that
// already exists is an ErrInvalidState error, never overwritten.
func (b *Backend) CreateVolume(ctx context.Context, spec backend.VolumeSpec) error {
	if b.volErr != nil {
		return b.volErr
	}
	from := ""
	if spec.SnapshotID != "" {
		from = b.snapshotName(spec.SnapshotID)
	}
	labels := map[string]string{LabelNamespace: b.ns, LabelVolumeID: spec.ID}
	if spec.SnapshotID != "" {
		labels[LabelSnapshotID] = spec.SnapshotID
	}
	return b.makeVolume(ctx, b.volumeName(spec.ID), labels, from)
}

// CreateSnapshot implements backend.Volumer: a copy of the volume's files
// as they are, file by file, into a new Docker volume. The machines using
// the volume are not paused (the drift watcher would see a stop), so a
// snapshot of a volume being written is no crash-consistent image.
func (b *Backend) CreateSnapshot(ctx context.Context, volumeID, snapshotID string) error {
	if b.volErr != nil {
		return b.volErr
	}
	labels := map[string]string{LabelNamespace: b.ns, LabelSnapshotID: snapshotID, LabelVolumeID: volumeID}
	return b.makeVolume(ctx, b.snapshotName(snapshotID), labels, b.volumeName(volumeID))
}

// makeVolume creates Docker volume name, with a copy of volume from's data
// if from is set. On error it removes what it made.
func (b *Backend) makeVolume(ctx context.Context, name string, labels map[string]string, from string) error {
	vc := b.cli.(volumeClient)
	if _, err := vc.VolumeInspect(ctx, name); err == nil {
		return fmt.Errorf("docker: volume %s already exists: %w", name, backend.ErrInvalidState)
	} else if !cerrdefs.IsNotFound(err) {
		return wrap("inspect volume", name, err)
	}
	var src string
	if from != "" {
		v, err := vc.VolumeInspect(ctx, from)
		if err != nil {
			return wrap("inspect volume", from, err)
		}
		if src = v.Mountpoint; src == "" {
			return fmt.Errorf("docker: volume %s has no host directory to copy", from)
		}
	}
	v, err := vc.VolumeCreate(ctx, volume.CreateOptions{Name: name, Driver: "local", Labels: labels})
	if err != nil {
		return wrap("create volume", name, err)
	}
	if src == "" {
		return nil
	}
	if err := copyTree(ctx, src, v.Mountpoint); err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if rerr := vc.VolumeRemove(rctx, name, true); rerr != nil && !cerrdefs.IsNotFound(rerr) {
			b.log.WarnContext(ctx, "docker: could not remove the volume of a failed copy", "volume", name, "err", rerr)
		}
		return fmt.Errorf("docker: copy %s into %s: %w", from, name, err)
	}
	return nil
}

// copyTree copies directory src's contents into dst as cp -a does: modes,
// owners, times, symlinks, hard links within the tree. cp -a is the fastest
// way there is (it uses copy_file_range and reflinks where the file system
// has them) and its semantics are the reference.
func copyTree(ctx context.Context, src, dst string) error {
	if dst == "" {
		return errors.New("no destination directory")
	}
	out, err := exec.CommandContext(ctx, "cp", "-a", "--", src+"/.", dst+"/").CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("cp -a: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// DeleteVolume implements backend.Volumer. A volume still mounted in a
// machine of the namespace is an ErrInvalidState error; a mount left by a
// machine that is gone (removed behind the backend's back) is undone first.
func (b *Backend) DeleteVolume(ctx context.Context, id string) error {
	if b.volErr != nil {
		return b.volErr
	}
	name := b.volumeName(id)
	b.volMu.Lock()
	defer b.volMu.Unlock()
	ms, err := readMounts()
	if err != nil {
		return fmt.Errorf("docker: delete volume %s: %w", id, err)
	}
	nsDir := filepath.Join(b.volRoot, b.ns)
	for _, p := range mountsUnder(ms, nsDir) {
		m, _ := topMount(ms, p)
		if !isVolume(m, name) {
			continue
		}
		rel, _ := filepath.Rel(nsDir, p)
		machine, _, _ := strings.Cut(rel, string(filepath.Separator))
		// Asked of the engine, not of what b remembers: the container
		// may have been removed behind the backend's back.
		if _, err := b.cli.ContainerInspect(ctx, containerName(machine)); err == nil {
			return fmt.Errorf("docker: volume %s is attached to %s at %s: %w", id, machine, p, backend.ErrInvalidState)
		} else if !cerrdefs.IsNotFound(err) {
			return wrap("inspect container", containerName(machine), err)
		}
		if err := unmount(p); err != nil {
			return fmt.Errorf("docker: volume %s: stale mount of gone machine %s: %w", id, machine, err)
		}
		os.Remove(p)
	}
	return b.removeVolume(ctx, name)
}

// DeleteSnapshot implements backend.Volumer.
func (b *Backend) DeleteSnapshot(ctx context.Context, id string) error {
	if b.volErr != nil {
		return b.volErr
	}
	return b.removeVolume(ctx, b.snapshotName(id))
}

func (b *Backend) removeVolume(ctx context.Context, name string) error {
	err := b.cli.(volumeClient).VolumeRemove(ctx, name, false)
	if cerrdefs.IsNotFound(err) {
		return nil
	}
	return wrap("remove volume", name, err)
}

// AttachVolume implements backend.Volumer: a bind mount of the volume's
// directory on <instance directory>/<device>, which mount propagation
// shows at once inside the container at /ebs/<device>, running or paused.
func (b *Backend) AttachVolume(ctx context.Context, machineID string, a backend.VolumeAttachment) error {
	if b.volErr != nil {
		return b.volErr
	}
	dev, err := deviceDir(a.Device)
	if err != nil {
		return err
	}
	name := containerName(machineID)
	info, err := b.cli.ContainerInspect(ctx, name)
	if err != nil {
		return wrap("inspect container", name, err)
	}
	if info.Config == nil {
		return notFound("instance", machineID)
	}
	if _, ok := b.ours([]string{info.Name}, info.Config.Labels); !ok {
		return notFound("instance", machineID)
	}
	dir := b.instanceDir(machineID)
	if !hasEBS(info, dir) {
		return fmt.Errorf("docker: instance %s was launched without %s from %s (by a backend that could not mount volumes, or with another volume root), so no volume can reach it: %w",
			machineID, backend.VolumeRoot, dir, backend.ErrUnsupported)
	}
	vname := b.volumeName(a.VolumeID)
	v, err := b.cli.(volumeClient).VolumeInspect(ctx, vname)
	if err != nil {
		return wrap("inspect volume", vname, err)
	}
	b.volMu.Lock()
	defer b.volMu.Unlock()
	_, err = b.mountVolume(dir, dev, vname, v.Mountpoint)
	return err
}

// mountVolume mounts Docker volume name (whose host directory is src) on
// dir/dev and reports whether it made a mount (false: it was there
// already). Callers hold b.volMu.
func (b *Backend) mountVolume(dir, dev, name, src string) (bool, error) {
	target := filepath.Join(dir, dev)
	ms, err := readMounts()
	if err != nil {
		return false, fmt.Errorf("docker: attach %s: %w", name, err)
	}
	if m, ok := topMount(ms, target); ok {
		if isVolume(m, name) {
			return false, nil
		}
		return false, fmt.Errorf("docker: %s/%s holds volume %s: %w", backend.VolumeRoot, dev, b.volumeIn(m), backend.ErrInvalidState)
	}
	if src == "" {
		return false, fmt.Errorf("docker: volume %s has no host directory to mount", name)
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return false, fmt.Errorf("docker: attach %s: %w", name, err)
	}
	if err := bindMount(src, target); err != nil {
		os.Remove(target)
		return false, fmt.Errorf("docker: attach %s: %w", name, err)
	}
	return true, nil
}

// DetachVolume implements backend.Volumer: a lazy unmount (MNT_DETACH), so
// a process with its working directory inside does not make it fail.
func (b *Backend) DetachVolume(ctx context.Context, machineID string, a backend.VolumeAttachment) error {
	if b.volErr != nil {
		return b.volErr
	}
	dev, err := deviceDir(a.Device)
	if err != nil {
		return err
	}
	target := filepath.Join(b.instanceDir(machineID), dev)
	b.volMu.Lock()
	defer b.volMu.Unlock()
	ms, err := readMounts()
	if err != nil {
		return fmt.Errorf("docker: detach %s: %w", a.VolumeID, err)
	}
	m, ok := topMount(ms, target)
	if !ok {
		return nil
	}
	if !isVolume(m, b.volumeName(a.VolumeID)) {
		return nil // another volume is attached there: not this one
	}
	if err := unmount(target); err != nil {
		return fmt.Errorf("docker: detach %s: %w", a.VolumeID, err)
	}
	os.Remove(target) // the container sees the directory go too
	return nil
}

// attachAtLaunch makes instance spec.InstanceID's directory and mounts
// spec.Volumes in it, before its container is created, so the container's
// /ebs holds them from the start. On error it undoes what it did.
func (b *Backend) attachAtLaunch(ctx context.Context, spec backend.LaunchSpec) error {
	dir := b.instanceDir(spec.InstanceID)
	type att struct{ dev, name, src string }
	var atts []att
	for _, a := range spec.Volumes {
		dev, err := deviceDir(a.Device)
		if err != nil {
			return err
		}
		name := b.volumeName(a.VolumeID)
		v, err := b.cli.(volumeClient).VolumeInspect(ctx, name)
		if err != nil {
			return wrap("inspect volume", name, err)
		}
		atts = append(atts, att{dev, name, v.Mountpoint})
	}
	b.volMu.Lock()
	defer b.volMu.Unlock()
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("docker: instance directory: %w", err)
	}
	var made []string
	for _, a := range atts {
		ok, err := b.mountVolume(dir, a.dev, a.name, a.src)
		if err != nil {
			for _, p := range made {
				unmount(p)
				os.Remove(p)
			}
			if statErr != nil {
				os.Remove(dir) // made here, and empty again
			}
			return err
		}
		if ok {
			made = append(made, filepath.Join(dir, a.dev))
		}
	}
	return nil
}

// releaseInstance unmounts the volumes of instance id, gone, and removes
// its directory.
func (b *Backend) releaseInstance(ctx context.Context, id string) {
	if b.volErr != nil {
		return
	}
	b.volMu.Lock()
	defer b.volMu.Unlock()
	if err := removeUnmounted(b.instanceDir(id)); err != nil {
		b.log.WarnContext(ctx, "docker: releasing the volumes of a gone instance", "instance", id, "err", err)
	}
}

// VolumesAvailable implements backend.VolumeChecker: nil when volumes work
// here, else why not (decided once, in New).
func (b *Backend) VolumesAvailable() error { return b.volErr }
