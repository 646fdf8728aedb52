// Package dockertest builds the local images Docker tests need, since nothing
// may pull.
//
// Tests call Require to get a client to a daemon that answers (or to skip, or
// under CI=true to fail, when there is none: run scripts/ensure-docker.sh),
// then BaseImage for a tiny busybox image made by `docker import` of a root
// filesystem holding the host's static /bin/busybox (Debian's busybox-static),
// and TagAMI to make it an AMI of the docker backend.
package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
)

// BusyboxPath is the host's static busybox copied into BaseImage.
const BusyboxPath = "/bin/busybox"

// BaseRepo is the repository BaseImage tags its image in.
const BaseRepo = "ec2emu-test/busybox"

// layoutVersion changes whenever the root filesystem layout below changes, so
// a stale image from an older test run is not reused.
const layoutVersion = "1"

// Require returns a client to a Docker daemon that answers a ping, closed when
// the test ends. It skips the test under -short (make test-short needs no
// engine). When no daemon answers it skips the test, or fails it when the CI
// environment variable is "true", since CI must not silently skip.
func Require(t testing.TB) *client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: needs a Docker engine")
	}
	cli, err := Connect(t.Context())
	if err != nil {
		msg := fmt.Sprintf("no Docker daemon answers (%v); run scripts/ensure-docker.sh", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// Connect returns a client configured from the environment (DOCKER_HOST and
// friends) with API version negotiation, once it has answered a ping.
func Connect(ctx context.Context) (*client.Client, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		cli.Close()
		return nil, err
	}
	return cli, nil
}

// BaseImage returns the reference of the test base image, building it first if
// the daemon lacks it. The image holds /bin/busybox with a symlink per applet,
// /etc/passwd and /etc/group for root, /tmp and /root; its CMD is /bin/sh.
//
// It is idempotent and safe when several test processes call it at once: the
// reference is derived from the busybox binary's content, and the image is
// imported under a unique temporary tag and only then tagged with it.
func BaseImage(ctx context.Context, cli *client.Client) (string, error) {
	bb, err := os.ReadFile(BusyboxPath)
	if err != nil {
		return "", fmt.Errorf("dockertest: %w (install busybox-static, or run scripts/ensure-docker.sh)", err)
	}
	sum := sha256.Sum256(append([]byte(layoutVersion), bb...))
	ref := BaseRepo + ":" + hex.EncodeToString(sum[:6])
	if _, err := cli.ImageInspect(ctx, ref); err == nil {
		return ref, nil
	} else if !cerrdefs.IsNotFound(err) {
		return "", fmt.Errorf("dockertest: inspect %s: %w", ref, err)
	}

	rootfs, err := rootFS(bb)
	if err != nil {
		return "", err
	}
	tmp := BaseRepo + ":tmp-" + randHex(6)
	body, err := cli.ImageImport(ctx, image.ImportSource{Source: bytes.NewReader(rootfs), SourceName: "-"}, tmp,
		image.ImportOptions{Message: "ec2emu test base image", Changes: []string{`CMD ["/bin/sh"]`}})
	if err != nil {
		return "", fmt.Errorf("dockertest: import: %w", err)
	}
	err = jsonmessage.DisplayJSONMessagesStream(body, io.Discard, 0, false, nil)
	body.Close()
	if err != nil {
		return "", fmt.Errorf("dockertest: import: %w", err)
	}
	defer cli.ImageRemove(context.WithoutCancel(ctx), tmp, image.RemoveOptions{})
	if err := cli.ImageTag(ctx, tmp, ref); err != nil {
		return "", fmt.Errorf("dockertest: tag %s: %w", ref, err)
	}
	return ref, nil
}

// rootFS returns a tar of the base image's root filesystem.
func rootFS(bb []byte) ([]byte, error) {
	out, err := exec.Command(BusyboxPath, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("dockertest: %s --list: %w", BusyboxPath, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mod := time.Unix(0, 0)
	dir := func(name string, mode int64) {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: mod})
	}
	file := func(name string, mode int64, data []byte) {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: mod})
		tw.Write(data)
	}
	for _, d := range []string{"bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "var", "var/log", "var/lib", "proc", "sys", "dev", "run"} {
		dir(d, 0o755)
	}
	dir("root", 0o700)
	dir("tmp", 0o1777)
	file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"))
	file("etc/group", 0o644, []byte("root:x:0:\nnogroup:x:65534:\n"))
	file("bin/busybox", 0o755, bb)
	for _, applet := range strings.Fields(string(out)) {
		if applet == "busybox" || strings.Contains(applet, "/") {
			continue
		}
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + applet, Linkname: "busybox", Mode: 0o777, ModTime: mod})
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("dockertest: tar: %w", err)
	}
	return buf.Bytes(), nil
}

// AMIRef is the reference under which the docker backend sees an AMI.
func AMIRef(name, amiID string) string { return "localstack-ec2/" + name + ":" + amiID }

// TagAMI tags the base image (building it if needed) as AMI amiID named name,
// i.e. localstack-ec2/<name>:<amiID>, and returns the reference. name must be
// a valid Docker repository component (lower case).
func TagAMI(ctx context.Context, cli *client.Client, name, amiID string) (string, error) {
	base, err := BaseImage(ctx, cli)
	if err != nil {
		return "", err
	}
	ref := AMIRef(name, amiID)
	if err := cli.ImageTag(ctx, base, ref); err != nil {
		return "", fmt.Errorf("dockertest: tag %s: %w", ref, err)
	}
	return ref, nil
}

// UniqueAMI tags the base image as a fresh AMI for test t, removes the tag
// when the test ends, and returns the AMI ID and the reference.
func UniqueAMI(t testing.TB, cli *client.Client) (amiID, ref string) {
	t.Helper()
	amiID = "ami-" + randHex(6)
	ref, err := TagAMI(t.Context(), cli, "ec2emu-test", amiID)
	if err != nil {
		t.Fatal(err)
	}
	RemoveImageOnCleanup(t, cli, ref)
	return amiID, ref
}

// Namespace returns a namespace unique to this test, so tests running in
// parallel (or in several packages) never see each other's containers.
func Namespace(t testing.TB) string {
	return "test-" + randHex(6)
}

// RemoveImageOnCleanup removes reference ref (only that tag, not the image's
// other tags) when the test ends; a missing reference is fine.
func RemoveImageOnCleanup(t testing.TB, cli *client.Client, ref string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := cli.ImageRemove(ctx, ref, image.RemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			t.Logf("dockertest: remove image %s: %v", ref, err)
		}
	})
}

// RemoveContainersOnCleanup force-removes, when the test ends, every container
// (running or not) whose label key has value.
func RemoveContainersOnCleanup(t testing.TB, cli *client.Client, key, value string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := RemoveContainers(ctx, cli, key, value); err != nil {
			t.Logf("dockertest: %v", err)
		}
	})
}

// Labels of the docker backend (docker.LabelNamespace, docker.LabelLock;
// docker's tests check they agree), spelled here since the docker
// package's own tests import this one.
const (
	NamespaceLabel = "ec2emu.namespace"
	LockLabel      = "ec2emu.lock"
	VPCLabel       = "ec2emu.vpc-id"
	// VolumeRoot is docker.DefaultVolumeRoot, under which a namespace's
	// instances have their /ebs directories, <VolumeRoot>/<namespace>/….
	VolumeRoot = "/run/ec2emu"
)

// RemoveContainers force-removes every container whose label key has value.
// Removing a namespace's containers (key NamespaceLabel) removes its lock
// container too, which a server killed in a test leaves behind, and its
// EBS volumes: the mounts under VolumeRoot/<namespace> are undone, the
// directory removed, and the Docker volumes with the label (volumes and
// snapshots) removed.
func RemoveContainers(ctx context.Context, cli *client.Client, key, value string) error {
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", key+"="+value))})
	if err != nil {
		return fmt.Errorf("list containers %s=%s: %w", key, value, err)
	}
	if key == NamespaceLabel {
		locks, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", LockLabel+"="+value))})
		if err != nil {
			return fmt.Errorf("list lock containers %s=%s: %w", LockLabel, value, err)
		}
		list = append(list, locks...)
	}
	for _, c := range list {
		if err := removeContainer(ctx, cli, c.ID); err != nil {
			return err
		}
	}
	if key == NamespaceLabel {
		if err := RemoveVolumeMounts(VolumeRoot, value); err != nil {
			return err
		}
	}
	vols, err := cli.VolumeList(ctx, volume.ListOptions{Filters: filters.NewArgs(filters.Arg("label", key+"="+value))})
	if err != nil {
		return fmt.Errorf("list volumes %s=%s: %w", key, value, err)
	}
	for _, v := range vols.Volumes {
		if err := cli.VolumeRemove(ctx, v.Name, true); err != nil && !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("remove volume %s: %w", v.Name, err)
		}
	}
	// The networks the backend made for the namespace's VPCs go with
	// their containers.
	nets, err := cli.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("label", key+"="+value), filters.Arg("label", VPCLabel))})
	if err != nil {
		return fmt.Errorf("list networks %s=%s: %w", key, value, err)
	}
	for _, n := range nets {
		if err := cli.NetworkRemove(ctx, n.ID); err != nil && !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("remove network %s: %w", n.Name, err)
		}
	}
	return nil
}

// removeContainer removes container id, waiting for a removal already in
// progress (a terminate the test's server started as it closed) to end:
// until then its volumes are still mounted and its network in use.
func removeContainer(ctx context.Context, cli *client.Client, id string) error {
	for {
		err := cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true})
		if err == nil || cerrdefs.IsNotFound(err) {
			return nil
		}
		if !cerrdefs.IsConflict(err) && !strings.Contains(err.Error(), "already in progress") {
			return fmt.Errorf("remove container %s: %w", id, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("remove container %s: %w", id, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// RemoveLockImage removes the docker backend's lock image if no container
// uses it any more (the engine refuses otherwise, and that is fine): call it
// from TestMain once every test has ended.
func RemoveLockImage(ctx context.Context, cli *client.Client) {
	cli.ImageRemove(ctx, "ec2emu-lock:v1", image.RemoveOptions{})
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
