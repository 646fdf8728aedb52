//go:build linux

package docker_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// newVolumeEnv is newEnv for a test of volumes, skipped where the backend
// cannot have them (not root, or the engine elsewhere).
func newVolumeEnv(t *testing.T, opts ...docker.Option) *env {
	t.Helper()
	e := newEnv(t, opts...)
	if err := e.b.DeleteSnapshot(t.Context(), "snap-0000000000000none"); errors.Is(err, backend.ErrUnsupported) {
		t.Skip(err)
	}
	return e
}

// volume creates volume id (from snapshot snap if set) and returns id.
func (e *env) volume(t *testing.T, id, snap string) string {
	t.Helper()
	if err := e.b.CreateVolume(t.Context(), backend.VolumeSpec{ID: id, SizeGiB: 1, SnapshotID: snap}); err != nil {
		t.Fatalf("CreateVolume %s: %v", id, err)
	}
	return id
}

func (e *env) attach(t *testing.T, id, vol, dev string) {
	t.Helper()
	if err := e.b.AttachVolume(t.Context(), id, backend.VolumeAttachment{VolumeID: vol, Device: dev}); err != nil {
		t.Fatalf("AttachVolume(%s, %s as %s): %v", id, vol, dev, err)
	}
}

func (e *env) detach(t *testing.T, id, vol, dev string) {
	t.Helper()
	if err := e.b.DetachVolume(t.Context(), id, backend.VolumeAttachment{VolumeID: vol, Device: dev}); err != nil {
		t.Fatalf("DetachVolume(%s, %s as %s): %v", id, vol, dev, err)
	}
}

// sh runs script in instance id and fails the test unless it exits 0.
func (e *env) sh(t *testing.T, id, script string) string {
	t.Helper()
	out, code := e.exec(t, id, "sh", "-c", script)
	if code != 0 {
		t.Fatalf("in %s: %q: exit %d: %s", id, script, code, out)
	}
	return out
}

// waitRead waits until instance id reads want from file name.
func (e *env) waitRead(t *testing.T, id, name, want string) {
	t.Helper()
	testutil.WaitFor(t, 10*time.Second, id+" to read "+name, func() (bool, string) {
		out, code := e.exec(t, id, "cat", name)
		return code == 0 && out == want, fmt.Sprintf("exit %d: %q", code, out)
	})
}

// hostMounts lists this host's mount points at or under dir.
func hostMounts(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) > 4 && (fs[4] == dir || strings.HasPrefix(fs[4], dir+"/")) {
			out = append(out, fs[4])
		}
	}
	return out
}

func (e *env) instanceDir(id string) string { return filepath.Join(docker.DefaultVolumeRoot, e.ns, id) }

// volID is a volume ID of this test's namespace.
func (e *env) volID(suffix string) string { return "vol-" + strings.TrimPrefix(e.ns, "test-") + suffix }

// snapID is a snapshot ID of this test's namespace.
func (e *env) snapID(suffix string) string {
	return "snap-" + strings.TrimPrefix(e.ns, "test-") + suffix
}

// Written in one running container, detached, attached to another: the
// file is there, and gone from the first.
func TestVolumeMovesBetweenContainers(t *testing.T) {
	e := newVolumeEnv(t)
	a, b := e.launch(t, backend.LaunchSpec{}).ID, e.launch(t, backend.LaunchSpec{}).ID
	vol := e.volume(t, e.volID("a"), "")

	e.attach(t, a, vol, "/dev/sdf")
	e.sh(t, a, "echo written-in-a > /ebs/sdf/f")
	e.detach(t, a, vol, "/dev/sdf")
	if out, code := e.exec(t, a, "cat", "/ebs/sdf/f"); code == 0 {
		t.Errorf("after detach %s still reads /ebs/sdf/f: %q", a, out)
	}
	if m := hostMounts(t, e.instanceDir(a)); len(m) != 0 {
		t.Errorf("after detach the host still has mounts %v", m)
	}
	e.attach(t, b, vol, "xvdg")
	e.waitRead(t, b, "/ebs/xvdg/f", "written-in-a\n")
	// A reboot (a restart of the container) keeps it.
	if err := e.b.Reboot(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	e.waitRead(t, b, "/ebs/xvdg/f", "written-in-a\n")
	for _, m := range e.inspect(t, b).Mounts {
		if m.Destination == backend.VolumeRoot && m.Propagation != "rslave" {
			t.Errorf("/ebs has propagation %q, want rslave", m.Propagation)
		}
	}
}

// A stopped (paused) instance takes a volume without being restarted or
// unpaused, and sees it when started.
func TestVolumeAttachWhileStopped(t *testing.T) {
	e := newVolumeEnv(t)
	a, b := e.launch(t, backend.LaunchSpec{}).ID, e.launch(t, backend.LaunchSpec{}).ID
	vol := e.volume(t, e.volID("a"), "")
	e.attach(t, b, vol, "xvdf")
	e.sh(t, b, "echo from-b > /ebs/xvdf/f")
	e.detach(t, b, vol, "xvdf")

	started := e.inspect(t, a).State.StartedAt
	if err := e.b.Stop(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	e.attach(t, a, vol, "xvdf")
	if st := e.status(t, a); st != "paused" {
		t.Errorf("after AttachVolume the stopped instance is %s, want paused", st)
	}
	if err := e.b.Start(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	e.waitRead(t, a, "/ebs/xvdf/f", "from-b\n")
	if got := e.inspect(t, a).State.StartedAt; got != started {
		t.Errorf("the instance was restarted: started at %s, then %s", started, got)
	}
	// Attaching again the same way changes nothing; another volume at the
	// same device is refused.
	e.attach(t, a, vol, "/dev/xvdf")
	other := e.volume(t, e.volID("b"), "")
	if err := e.b.AttachVolume(t.Context(), a, backend.VolumeAttachment{VolumeID: other, Device: "xvdf"}); !errors.Is(err, backend.ErrInvalidState) {
		t.Errorf("AttachVolume of another volume at xvdf: %v, want ErrInvalidState", err)
	}
	if err := e.b.DeleteVolume(t.Context(), vol); !errors.Is(err, backend.ErrInvalidState) {
		t.Errorf("DeleteVolume of an attached volume: %v, want ErrInvalidState", err)
	}
}

// A snapshot keeps the files as they were, with their modes, links and
// times, and a volume made from it has them.
func TestVolumeSnapshotRestores(t *testing.T) {
	e := newVolumeEnv(t)
	a := e.launch(t, backend.LaunchSpec{}).ID
	vol := e.volume(t, e.volID("a"), "")
	e.attach(t, a, vol, "sdf")
	const files = "cd /ebs/sdf && stat -c '%n %a %u:%g %h %Y' f hard d && readlink link"
	want := e.sh(t, a, "cd /ebs/sdf && echo v1 > f && chmod 640 f && chown 65534:65534 f && touch -d '2020-01-02 03:04:05' f && "+
		"ln f hard && ln -s f link && mkdir d && chmod 700 d && "+files)
	snap := e.snapID("a")
	if err := e.b.CreateSnapshot(t.Context(), vol, snap); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.b.DeleteSnapshot(context.Background(), snap) })
	e.sh(t, a, "echo v2 > /ebs/sdf/f")

	restored := e.volume(t, e.volID("b"), snap)
	e.attach(t, a, restored, "sdg")
	e.waitRead(t, a, "/ebs/sdg/f", "v1\n")
	if got := e.sh(t, a, strings.Replace(files, "/ebs/sdf", "/ebs/sdg", 1)); got != want {
		t.Errorf("restored files:\n%s\nwant, as snapshotted:\n%s", got, want)
	}

	if err := e.b.CreateSnapshot(t.Context(), vol, snap); !errors.Is(err, backend.ErrInvalidState) {
		t.Errorf("CreateSnapshot over an existing snapshot: %v, want ErrInvalidState", err)
	}
	if err := e.b.DeleteSnapshot(t.Context(), snap); err != nil {
		t.Fatal(err)
	}
	if err := e.b.CreateVolume(t.Context(), backend.VolumeSpec{ID: e.volID("c"), SnapshotID: snap}); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("CreateVolume from a deleted snapshot: %v, want ErrNotFound", err)
	}
	if _, err := e.cli.VolumeInspect(t.Context(), "ec2emu-vol."+e.ns+"."+e.volID("c")); !cerrdefs.IsNotFound(err) {
		t.Errorf("a failed CreateVolume left its Docker volume (inspect: %v)", err)
	}
}

// Volumes in the launch spec are in /ebs when the user data runs; Terminate
// unmounts them and removes the instance's directory, and the volume can
// then be deleted.
func TestVolumeLaunchAndTerminate(t *testing.T) {
	e := newVolumeEnv(t)
	a := e.launch(t, backend.LaunchSpec{}).ID
	vol := e.volume(t, e.volID("a"), "")
	e.attach(t, a, vol, "xvdf")
	e.sh(t, a, "echo seed > /ebs/xvdf/f")
	e.detach(t, a, vol, "xvdf")

	id := newID(t)
	e.launch(t, backend.LaunchSpec{InstanceID: id, UserData: []byte("#!/bin/sh\ncat /ebs/xvdh/f > /root/at-boot\n"),
		Volumes: []backend.VolumeAttachment{{VolumeID: vol, Device: "/dev/xvdh"}}})
	e.waitBoot(t, id)
	e.waitRead(t, id, "/root/at-boot", "seed\n")
	// A process whose working directory is in the volume does not keep
	// it from being detached.
	e.sh(t, id, "cd /ebs/xvdh && nohup sleep 300 >/dev/null 2>&1 &")
	if m := hostMounts(t, e.instanceDir(id)); len(m) != 1 {
		t.Errorf("host mounts under the instance: %v, want one", m)
	}
	if err := e.b.Terminate(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if m := hostMounts(t, e.instanceDir(id)); len(m) != 0 {
		t.Errorf("after Terminate the host still has mounts %v", m)
	}
	if _, err := os.Stat(e.instanceDir(id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Terminate the instance directory is there (stat: %v)", err)
	}
	if err := e.b.DeleteVolume(t.Context(), vol); err != nil {
		t.Fatalf("DeleteVolume after Terminate: %v", err)
	}
	if _, err := e.cli.VolumeInspect(t.Context(), "ec2emu-vol."+e.ns+"."+vol); !cerrdefs.IsNotFound(err) {
		t.Errorf("DeleteVolume left the Docker volume (inspect: %v)", err)
	}
	if err := e.b.DeleteVolume(t.Context(), vol); err != nil {
		t.Errorf("DeleteVolume again: %v, want nil", err)
	}
}

// A launch that fails takes back the mounts it made.
func TestVolumeFailedLaunchLeavesNoMount(t *testing.T) {
	e := newVolumeEnv(t)
	vol := e.volume(t, e.volID("a"), "")
	id := newID(t)
	_, err := e.b.Launch(t.Context(), backend.LaunchSpec{InstanceID: id, ImageID: e.ami, InstanceType: "t3.micro",
		Volumes: []backend.VolumeAttachment{{VolumeID: vol, Device: "sdf"}, {VolumeID: e.volID("missing"), Device: "sdg"}}})
	if !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("Launch with an unknown volume: %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(e.instanceDir(id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a launch refused for an unknown volume made the instance directory (stat: %v)", err)
	}
	// Now one that fails after mounting, at create: the container name is
	// taken by the same instance ID in another namespace.
	otherNS := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, e.cli, docker.LabelNamespace, otherNS)
	other, err := docker.New(t.Context(), docker.WithNamespace(otherNS))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Launch(t.Context(), backend.LaunchSpec{InstanceID: id, ImageID: e.ami, InstanceType: "t3.micro"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.b.Launch(t.Context(), backend.LaunchSpec{InstanceID: id, ImageID: e.ami, InstanceType: "t3.micro",
		Volumes: []backend.VolumeAttachment{{VolumeID: vol, Device: "sdf"}}}); err == nil {
		t.Fatal("Launch of an instance whose container name is taken succeeded")
	}
	if m := hostMounts(t, e.instanceDir(id)); len(m) != 0 {
		t.Errorf("a failed launch left mounts %v", m)
	}
	if _, err := os.Stat(e.instanceDir(id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed launch left the instance directory (stat: %v)", err)
	}
	if err := e.b.DeleteVolume(t.Context(), vol); err != nil {
		t.Errorf("DeleteVolume after the failed launch: %v", err)
	}
}

// remoteEngine is the real client, claiming to reach an engine on another
// host.
type remoteEngine struct{ *client.Client }

func (remoteEngine) DaemonHost() string { return "tcp://engine.example:2376" }

// With the engine elsewhere, volumes are unsupported, said so, and
// containers get no /ebs; a backend that can mount refuses to attach to
// such a container rather than mounting where it cannot see.
func TestVolumesUnsupportedElsewhere(t *testing.T) {
	e := newVolumeEnv(t)
	remote, err := docker.New(t.Context(), docker.WithNamespace(e.ns), docker.WithClient(remoteEngine{e.cli}))
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	err = remote.CreateVolume(t.Context(), backend.VolumeSpec{ID: e.volID("a")})
	if !errors.Is(err, backend.ErrUnsupported) || !strings.Contains(err.Error(), "not on this host") {
		t.Errorf("CreateVolume with a remote engine: %v, want ErrUnsupported saying why", err)
	}
	if _, err := remote.Launch(t.Context(), backend.LaunchSpec{InstanceID: newID(t), ImageID: e.ami,
		Volumes: []backend.VolumeAttachment{{VolumeID: e.volID("a"), Device: "sdf"}}}); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("Launch with volumes on a remote engine: %v, want ErrUnsupported", err)
	}
	m, err := remote.Launch(t.Context(), backend.LaunchSpec{InstanceID: newID(t), ImageID: e.ami})
	if err != nil {
		t.Fatal(err)
	}
	for _, mt := range e.inspect(t, m.ID).Mounts {
		if mt.Destination == backend.VolumeRoot {
			t.Errorf("a container of a backend without volumes has %s from %s", mt.Destination, mt.Source)
		}
	}
	vol := e.volume(t, e.volID("b"), "")
	if err := e.b.AttachVolume(t.Context(), m.ID, backend.VolumeAttachment{VolumeID: vol, Device: "sdf"}); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("AttachVolume to a container without /ebs: %v, want ErrUnsupported", err)
	}
	if err := e.b.AttachVolume(t.Context(), "i-0000000000000dead", backend.VolumeAttachment{VolumeID: vol, Device: "sdf"}); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("AttachVolume to an unknown instance: %v, want ErrNotFound", err)
	}
}

// WithVolumeRoot moves the instances' directories.
func TestVolumeRootOption(t *testing.T) {
	root := filepath.Join("/run", "ec2emu-"+dockertest.Namespace(t))
	t.Cleanup(func() {
		syscall.Unmount(root, syscall.MNT_DETACH) // the shared mount the backend made of it
		os.RemoveAll(root)
	})
	e := newVolumeEnv(t, docker.WithVolumeRoot(root))
	t.Cleanup(func() { dockertest.RemoveVolumeMounts(root, e.ns) }) // before the root goes
	vol := e.volume(t, e.volID("a"), "")
	id := e.launch(t, backend.LaunchSpec{Volumes: []backend.VolumeAttachment{{VolumeID: vol, Device: "sdf"}}}).ID
	e.sh(t, id, "echo x > /ebs/sdf/f")
	if m := hostMounts(t, filepath.Join(root, e.ns, id)); len(m) != 1 {
		t.Errorf("mounts under %s: %v, want one", root, m)
	}
	if err := e.b.Terminate(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if m := hostMounts(t, filepath.Join(root, e.ns)); len(m) != 0 {
		t.Errorf("after Terminate: mounts %v", m)
	}
}

// dockertest.RemoveContainers leaves nothing of a namespace's volumes, even
// when a test ends with volumes attached to running instances.
func TestVolumeCleanupAfterAbandonedTest(t *testing.T) {
	e := newVolumeEnv(t)
	vol := e.volume(t, e.volID("a"), "")
	id := e.launch(t, backend.LaunchSpec{Volumes: []backend.VolumeAttachment{{VolumeID: vol, Device: "sdf"}}}).ID
	e.sh(t, id, "echo x > /ebs/sdf/f")
	snap := e.snapID("a")
	if err := e.b.CreateSnapshot(t.Context(), vol, snap); err != nil {
		t.Fatal(err)
	}
	if err := dockertest.RemoveContainers(t.Context(), e.cli, docker.LabelNamespace, e.ns); err != nil {
		t.Fatal(err)
	}
	if m := hostMounts(t, filepath.Join(docker.DefaultVolumeRoot, e.ns)); len(m) != 0 {
		t.Errorf("mounts left: %v", m)
	}
	if _, err := os.Stat(filepath.Join(docker.DefaultVolumeRoot, e.ns)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the namespace's directory is left (stat: %v)", err)
	}
	vols, err := e.cli.VolumeList(t.Context(), volume.ListOptions{Filters: filters.NewArgs(filters.Arg("label", docker.LabelNamespace+"="+e.ns))})
	if err != nil {
		t.Fatal(err)
	}
	if len(vols.Volumes) != 0 {
		t.Errorf("%d Docker volumes left", len(vols.Volumes))
	}
}

// A launch resumed over the container an earlier process created (after
// mounting the volumes, before starting it) starts it with the volumes.
func TestVolumeResumedLaunch(t *testing.T) {
	e := newVolumeEnv(t)
	vol := e.volume(t, e.volID("a"), "")
	a := e.launch(t, backend.LaunchSpec{}).ID
	e.attach(t, a, vol, "sdf")
	e.sh(t, a, "echo before > /ebs/sdf/f")
	e.detach(t, a, vol, "sdf")

	base, err := dockertest.BaseImage(t.Context(), e.cli)
	if err != nil {
		t.Fatal(err)
	}
	id := newID(t)
	if err := os.MkdirAll(e.instanceDir(id), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = e.cli.ContainerCreate(t.Context(), &container.Config{Image: base, Cmd: []string{"sleep", "3600"},
		Labels: map[string]string{docker.LabelNamespace: e.ns, docker.LabelInstanceID: id}},
		&container.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeBind, Source: e.instanceDir(id), Target: backend.VolumeRoot,
			BindOptions: &mount.BindOptions{Propagation: mount.PropagationRSlave}}}}, nil, nil, docker.ContainerPrefix+id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.b.Launch(t.Context(), backend.LaunchSpec{InstanceID: id, ImageID: e.ami, InstanceType: "t3.micro",
		Volumes: []backend.VolumeAttachment{{VolumeID: vol, Device: "sdg"}}}); err != nil {
		t.Fatalf("resumed Launch: %v", err)
	}
	e.waitRead(t, id, "/ebs/sdg/f", "before\n")
}

// A container removed behind the backend's back leaves its volume's mount;
// DeleteVolume undoes it rather than refuse for ever.
func TestVolumeDeleteAfterDrift(t *testing.T) {
	e := newVolumeEnv(t)
	vol := e.volume(t, e.volID("a"), "")
	id := e.launch(t, backend.LaunchSpec{Volumes: []backend.VolumeAttachment{{VolumeID: vol, Device: "sdf"}}}).ID
	e.sh(t, id, "test -d /ebs/sdf") // the backend has seen the container
	if err := e.cli.ContainerRemove(t.Context(), docker.ContainerPrefix+id, container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.b.DeleteVolume(t.Context(), vol); err != nil {
		t.Fatalf("DeleteVolume of a volume whose container is gone: %v", err)
	}
	if m := hostMounts(t, e.instanceDir(id)); len(m) != 0 {
		t.Errorf("mounts left: %v", m)
	}
}
