package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/bootscript"
)

// containerName is the name of instance id's container.
func containerName(id string) string { return ContainerPrefix + id }

// Launch creates and starts instance spec.InstanceID's container and returns
// once it runs. It makes three Docker calls (create, start, inspect for the
// address); on failure it removes the container it made.
func (b *Backend) Launch(ctx context.Context, spec backend.LaunchSpec) (backend.Machine, error) {
	defer b.own.begin(spec.InstanceID, backend.StateRunning)()
	img, err := b.lookupAMI(ctx, spec.ImageID)
	if err != nil {
		return backend.Machine{}, err
	}

	labels := map[string]string{
		LabelNamespace:    b.ns,
		LabelInstanceID:   spec.InstanceID,
		LabelImageID:      spec.ImageID,
		LabelInstanceType: spec.InstanceType,
		LabelKeyName:      spec.KeyName,
	}
	setMeta(labels, LabelMetaPrefix, LabelMetaKeys, spec.Metadata)
	cfg := &container.Config{
		Image:      img.ref,
		Entrypoint: bootscript.Wrap(spec.InstanceID, spec.UserData, spec.PublicKey, img.details.command),
		// Cmd stays empty: with an entrypoint set, Docker does not add the
		// image's CMD, which the wrapper already carries.
		User:   "0",
		Labels: labels,
	}
	hc := &container.HostConfig{}
	if b.mountSocket {
		hc.Binds = []string{b.socketPath + ":/var/run/docker.sock"}
	}
	if b.volErr == nil {
		hc.Mounts = []mount.Mount{b.ebsMount(spec.InstanceID)}
	} else if len(spec.Volumes) > 0 {
		return backend.Machine{}, b.volErr
	}
	var nc *network.NetworkingConfig
	if b.network != "" {
		hc.NetworkMode = container.NetworkMode(b.network)
	}
	b.vpcMu.RLock()
	defer b.vpcMu.RUnlock()
	if vpcNet, cfg, err := b.joinVPC(ctx, spec); err != nil {
		return backend.Machine{}, err
	} else if vpcNet != "" {
		hc.NetworkMode, nc = container.NetworkMode(vpcNet), cfg
		labels[LabelVPC] = spec.Network.ID
	}

	if b.volErr == nil {
		// Mounted before the container exists, the volumes are in its
		// /ebs from the first instruction of its boot. A resumed launch
		// finds them mounted already, which is no error.
		if err := b.attachAtLaunch(ctx, spec); err != nil {
			return backend.Machine{}, err
		}
	}
	name := containerName(spec.InstanceID)
	created, err := b.cli.ContainerCreate(ctx, cfg, hc, nc, nil, name)
	if cerrdefs.IsConflict(err) {
		// The same launch by an emulator killed mid-launch reached the
		// engine first (its create landed after the restarted emulator
		// listed the machines): finish that container, do not fail.
		if m, ok, rerr := b.resumeLaunch(ctx, spec, name); ok || rerr != nil {
			return m, rerr
		}
	}
	if err != nil {
		b.releaseInstance(context.WithoutCancel(ctx), spec.InstanceID)
		if cerrdefs.IsNotFound(err) {
			// The tag went away since it was listed.
			b.forgetAMI(spec.ImageID)
		}
		return backend.Machine{}, wrap("create container", name, err)
	}
	fail := func(op string, err error) (backend.Machine, error) {
		// Clean up even if ctx is what failed.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if rerr := b.cli.ContainerRemove(rctx, created.ID, container.RemoveOptions{Force: true}); rerr != nil && !cerrdefs.IsNotFound(rerr) {
			b.log.WarnContext(ctx, "docker: could not remove container of failed launch", "container", name, "err", rerr)
		}
		b.releaseInstance(rctx, spec.InstanceID)
		return backend.Machine{}, wrap(op, name, err)
	}
	if err := b.joinMetadataNetwork(ctx, created.ID); err != nil {
		return fail("join metadata network", err)
	}
	if err := b.startJoined(ctx, created.ID); err != nil {
		return fail("start container", err)
	}
	info, err := b.cli.ContainerInspect(ctx, created.ID)
	if err != nil {
		return fail("inspect container", err)
	}
	b.remember(spec.InstanceID, created.ID, img.imageID)
	m := backend.Machine{
		ID:         spec.InstanceID,
		ImageID:    spec.ImageID,
		State:      stateOf(info.State.Status),
		PrivateIP:  b.ipOf(info.NetworkSettings),
		LaunchTime: parseCreated(info.Created),
		Metadata:   getMeta(info.Config.Labels, LabelMetaPrefix, LabelMetaKeys),
	}
	b.log.DebugContext(ctx, "docker: launched", "instance", spec.InstanceID, "container", created.ID, "ip", m.PrivateIP)
	return m, nil
}

// resumeLaunch finishes the launch of an existing container for spec made
// by an earlier process; ok is false if the container is not that.
func (b *Backend) resumeLaunch(ctx context.Context, spec backend.LaunchSpec, name string) (m backend.Machine, ok bool, err error) {
	info, err := b.cli.ContainerInspect(ctx, name)
	if err != nil || info.Config == nil || info.State == nil ||
		info.Config.Labels[LabelNamespace] != b.ns || info.Config.Labels[LabelInstanceID] != spec.InstanceID {
		return backend.Machine{}, false, nil
	}
	b.log.InfoContext(ctx, "docker: resuming a launch an earlier process began", "instance", spec.InstanceID, "container", info.ID)
	if info.State.Status == container.StateCreated {
		joined := false
		if info.NetworkSettings != nil {
			_, joined = info.NetworkSettings.Networks[b.mdNet]
		}
		if b.mdNet != "" && !joined {
			if err := b.joinMetadataNetwork(ctx, info.ID); err != nil {
				return backend.Machine{}, true, wrap("join metadata network", name, err)
			}
		}
		if err := b.startJoined(ctx, info.ID); err != nil {
			return backend.Machine{}, true, wrap("start container", name, err)
		}
		if info, err = b.cli.ContainerInspect(ctx, info.ID); err != nil {
			return backend.Machine{}, true, wrap("inspect container", name, err)
		}
	}
	b.remember(spec.InstanceID, info.ID, info.Image)
	return backend.Machine{
		ID: spec.InstanceID, ImageID: spec.ImageID, State: stateOf(info.State.Status), PrivateIP: b.ipOf(info.NetworkSettings),
		LaunchTime: parseCreated(info.Created), Metadata: getMeta(info.Config.Labels, LabelMetaPrefix, LabelMetaKeys),
	}, true, nil
}

// Machines lists the namespace's instance containers, stopped ones included,
// with one Docker call.
func (b *Backend) Machines(ctx context.Context) ([]backend.Machine, error) {
	list, err := b.cli.ContainerList(ctx, container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", LabelNamespace+"="+b.ns)),
	})
	if err != nil {
		return nil, wrap("list containers", "", err)
	}
	out := make([]backend.Machine, 0, len(list))
	for _, c := range list {
		id, ok := b.ours(c.Names, c.Labels)
		if !ok {
			continue
		}
		b.remember(id, c.ID, c.ImageID)
		m := backend.Machine{
			ID:         id,
			ImageID:    c.Labels[LabelImageID],
			State:      stateOf(container.ContainerState(c.State)),
			LaunchTime: time.Unix(c.Created, 0).UTC(),
			Metadata:   getMeta(c.Labels, LabelMetaPrefix, LabelMetaKeys),
		}
		if c.NetworkSettings != nil {
			m.PrivateIP = b.ipOfNetworks(c.NetworkSettings.Networks)
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b backend.Machine) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// ours returns the instance ID of a container in this namespace, checking its
// name too, so a container that merely copied our labels stays invisible.
func (b *Backend) ours(names []string, labels map[string]string) (string, bool) {
	id := labels[LabelInstanceID]
	if id == "" || labels[LabelNamespace] != b.ns {
		return "", false
	}
	for _, n := range names {
		if strings.TrimPrefix(n, "/") == containerName(id) {
			return id, true
		}
	}
	return "", false
}

// Stop pauses the instance's container. A container already paused or exited
// is already stopped.
func (b *Backend) Stop(ctx context.Context, id string) error {
	defer b.own.begin(id, backend.StateStopped)()
	return b.withContainer(ctx, id, "pause", func(cid string) error {
		if err := b.settle(ctx, id, true); err != nil {
			return err
		}
		err := b.cli.ContainerPause(ctx, cid)
		if !retryable(err) {
			return err
		}
		st, ierr := b.status(ctx, cid)
		if ierr != nil {
			return errors.Join(err, ierr)
		}
		if stateOf(st) == backend.StateStopped {
			return nil
		}
		return err
	})
}

// Start unpauses the instance's container, or starts it again if it exited
// behind the backend's back. A running container is already started.
func (b *Backend) Start(ctx context.Context, id string) error {
	defer b.own.begin(id, backend.StateRunning)()
	return b.withContainer(ctx, id, "unpause", func(cid string) error {
		if err := b.settle(ctx, id, false); err != nil {
			return err
		}
		err := b.cli.ContainerUnpause(ctx, cid)
		if !retryable(err) {
			return err
		}
		st, ierr := b.status(ctx, cid)
		if ierr != nil {
			return errors.Join(err, ierr)
		}
		switch st {
		case container.StateRunning:
			return nil
		case container.StateExited, container.StateCreated, container.StateDead:
			return b.cli.ContainerStart(ctx, cid, container.StartOptions{})
		}
		return err
	})
}

// rebootTimeout is how long Reboot lets the wrapper exit on SIGTERM; it exits
// at once, so this only bounds a stuck container.
var rebootTimeout = 2

// Reboot restarts the instance's container.
func (b *Backend) Reboot(ctx context.Context, id string) error {
	defer b.own.begin(id, backend.StateRunning)()
	return b.withContainer(ctx, id, "restart", func(cid string) error {
		// Keep away from a pause just made (a commit's): its late echo can
		// make the daemon take the container for paused mid-restart.
		if err := b.settle(ctx, id, false); err != nil {
			return err
		}
		err := b.cli.ContainerRestart(ctx, cid, container.StopOptions{Timeout: &rebootTimeout})
		// Whatever the daemon made of it, a rebooted instance runs: under
		// load a restart can end with the container exited or marked paused.
		st, ierr := b.status(ctx, cid)
		if ierr != nil {
			return errors.Join(err, ierr)
		}
		switch st {
		case container.StateRunning:
			return nil
		case container.StatePaused:
			return b.cli.ContainerUnpause(ctx, cid)
		case container.StateExited, container.StateCreated, container.StateDead:
			return b.cli.ContainerStart(ctx, cid, container.StartOptions{})
		}
		return err
	})
}

// Terminate removes the instance's container with SIGKILL, so a PID 1 that
// ignores SIGTERM cannot delay it, or with container removal off kills it
// and keeps it, renamed localstack-ec2.<id>.terminated. A container that is
// already gone is not an error.
func (b *Backend) Terminate(ctx context.Context, id string) error {
	defer b.own.begin(id, backend.StateTerminated)()
	var imageID string // the container's image, to drop once deregistered and unused
	err := b.withContainer(ctx, id, "remove", func(cid string) error {
		if b.remove {
			imageID = b.imageOf(id)
			return b.cli.ContainerRemove(ctx, cid, container.RemoveOptions{Force: true})
		}
		st, err := b.status(ctx, cid)
		if err != nil {
			return err
		}
		if st == container.StatePaused {
			// A paused process cannot die until thawed.
			if err := b.cli.ContainerUnpause(ctx, cid); err != nil && !cerrdefs.IsConflict(err) {
				return err
			}
		}
		zero := 0
		err = b.cli.ContainerStop(ctx, cid, container.StopOptions{Signal: "SIGKILL", Timeout: &zero})
		if err != nil && !cerrdefs.IsConflict(err) { // conflict: not running
			return err
		}
		// The new name frees the instance's and hides the container from
		// Machines, so it is not re-adopted as merely stopped.
		return b.cli.ContainerRename(ctx, cid, keptName(id))
	})
	if err == nil || errors.Is(err, backend.ErrNotFound) {
		// The container is gone (or killed and kept): its volumes go
		// back to being detached. The Server decides whether to delete
		// them.
		b.releaseInstance(ctx, id)
	}
	if errors.Is(err, backend.ErrNotFound) {
		return nil
	}
	if err == nil {
		b.forget(id)
		if imageID != "" {
			b.dropDeregistered(ctx, imageID)
		}
		b.pruneVPCNetworks(ctx)
	}
	return err
}

// dropDeregistered removes image imageID if CreateImage made it and it has
// been deregistered since: DeregisterImage can only untag an image that
// instances still run from, so without this each such image would stay
// behind, dangling, after its last instance. Removal is refused (and
// ignored) while other containers still use it.
func (b *Backend) dropDeregistered(ctx context.Context, imageID string) {
	b.imgMu.Lock()
	d := b.images[imageID]
	b.imgMu.Unlock()
	if d != nil && d.config.Labels[LabelAMIID] == "" {
		return // not made by CreateImage; an image ID's labels never change
	}
	ii, err := b.cli.ImageInspect(ctx, imageID)
	if err != nil || len(ii.RepoTags) > 0 || ii.Config == nil || ii.Config.Labels[LabelAMIID] == "" {
		return
	}
	if _, err := b.cli.ImageRemove(ctx, imageID, image.RemoveOptions{PruneChildren: true}); err != nil &&
		!cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
		b.log.Warn("removing a deregistered image", "image", imageID, "err", err)
	}
}

// keptName is the name of a terminated instance's container kept with
// WithRemoveContainers(false).
func keptName(id string) string { return containerName(id) + ".terminated" }

// ConsoleOutput returns the instance's container logs, stdout and stderr
// interleaved, at most the last 64 KiB as EC2 does.
func (b *Backend) ConsoleOutput(ctx context.Context, id string) ([]byte, error) {
	var out []byte
	err := b.withContainer(ctx, id, "logs", func(cid string) error {
		rc, err := b.cli.ContainerLogs(ctx, cid, container.LogsOptions{ShowStdout: true, ShowStderr: true})
		if err != nil {
			return err
		}
		defer rc.Close()
		var buf bytes.Buffer
		if _, err := stdcopy.StdCopy(&buf, &buf, rc); err != nil {
			return err
		}
		out = buf.Bytes()
		return nil
	})
	if err == nil {
		out = append(b.userDataOutput(ctx, id), out...)
	}
	const max = 64 << 10
	if len(out) > max {
		out = out[len(out)-max:]
	}
	return out, err
}

// withContainer runs fn on instance id's container, after checking it is
// ours, and maps errors to the backend's. If the remembered container is
// gone, it forgets it and reports ErrNotFound.
func (b *Backend) withContainer(ctx context.Context, id, op string, fn func(cid string) error) error {
	cid, err := b.resolve(ctx, id)
	if err != nil {
		return err
	}
	err = fn(cid)
	if cerrdefs.IsNotFound(err) {
		b.forget(id)
	}
	return wrap(op, containerName(id), err)
}

// resolve returns the container ID of instance id, inspecting it the first
// time to check that it carries this namespace's labels.
func (b *Backend) resolve(ctx context.Context, id string) (string, error) {
	b.mu.Lock()
	c, ok := b.cids[id]
	b.mu.Unlock()
	if ok {
		return c.id, nil
	}
	info, err := b.cli.ContainerInspect(ctx, containerName(id))
	if err != nil {
		return "", wrap("inspect container", containerName(id), err)
	}
	if info.Config == nil {
		return "", notFound("instance", id)
	}
	if _, ok := b.ours([]string{info.Name}, info.Config.Labels); !ok {
		return "", notFound("instance", id)
	}
	b.remember(id, info.ID, info.Image)
	return info.ID, nil
}

// ctr is what the backend keeps of an instance's container.
type ctr struct {
	id    string // container ID, checked to be ours
	image string // Docker image ID it runs from
}

func (b *Backend) remember(id, cid, image string) {
	b.mu.Lock()
	b.cids[id] = ctr{id: cid, image: image}
	b.mu.Unlock()
}

// imageOf returns the Docker image ID instance id's container runs from, as
// last seen ("" if not known).
func (b *Backend) imageOf(id string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cids[id].image
}

func (b *Backend) forget(id string) {
	b.mu.Lock()
	delete(b.cids, id)
	delete(b.toggles, id)
	b.mu.Unlock()
}

// toggleSettle is how long Stop and Start keep apart from the opposite call
// on the same instance. Docker's daemon marks a container paused or unpaused
// when its pause/unpause call returns, and again when containerd's event for
// it arrives later; if the opposite call lands in between, that late event
// flips the daemon's view back, and a running container reads "paused" (or a
// frozen one "running"). Leaving the event time to arrive avoids this.
var toggleSettle = 200 * time.Millisecond

// settle waits, if needed, until toggleSettle has passed since the last
// pause (when pausing is false) or unpause (when pausing) of instance id,
// and records this toggle.
func (b *Backend) settle(ctx context.Context, id string, pausing bool) error {
	b.mu.Lock()
	last := b.toggles[id]
	b.toggles[id] = toggle{at: time.Now(), paused: pausing}
	b.mu.Unlock()
	if last.at.IsZero() || last.paused == pausing {
		return nil
	}
	wait := toggleSettle - time.Since(last.at)
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	b.mu.Lock()
	b.toggles[id] = toggle{at: time.Now(), paused: pausing}
	b.mu.Unlock()
	return nil
}

// toggle is the backend's last pause or unpause of an instance.
type toggle struct {
	at     time.Time
	paused bool
}

// retryable reports whether a pause or unpause error may just mean the
// container is already in, or cannot reach, that state: engines report
// "already paused" as a conflict but "not paused" as a plain server error, so
// only errors that say it is gone or unreachable are final.
func retryable(err error) bool {
	return err != nil && !cerrdefs.IsNotFound(err) && !unavailable(err) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// status returns the container's Docker state.
func (b *Backend) status(ctx context.Context, cid string) (container.ContainerState, error) {
	info, err := b.cli.ContainerInspect(ctx, cid)
	if err != nil {
		return "", err
	}
	if info.State == nil {
		return "", fmt.Errorf("container %s has no state", cid)
	}
	return info.State.Status, nil
}

// stateOf maps a Docker container state to the backend's.
func stateOf(s container.ContainerState) backend.State {
	switch s {
	case container.StateRunning:
		return backend.StateRunning
	case container.StateRestarting, container.StateCreated:
		// Created but never started: a launch cut short (the emulator
		// died between create and start); the Server finishes it.
		return backend.StatePending
	case container.StateRemoving:
		return backend.StateTerminated
	default: // paused, exited, dead
		return backend.StateStopped
	}
}

// ipOf returns the container's address on the backend's network, or on its
// only network.
func (b *Backend) ipOf(ns *container.NetworkSettings) string {
	if ns == nil {
		return ""
	}
	if ip := b.ipOfNetworks(ns.Networks); ip != "" {
		return ip
	}
	return ns.IPAddress //nolint:staticcheck // old engines fill only this
}

func (b *Backend) ipOfNetworks(nets map[string]*network.EndpointSettings) string {
	if b.network != "" {
		if ep := nets[b.network]; ep != nil {
			return ep.IPAddress
		}
	}
	for _, name := range slices.Sorted(maps.Keys(nets)) {
		if ep := nets[name]; ep != nil && ep.IPAddress != "" && name != b.mdNet {
			return ep.IPAddress
		}
	}
	return ""
}

// parseCreated parses a container's creation time, truncated to the second
// so Launch and Machines (whose list reports seconds) agree.
func parseCreated(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.Truncate(time.Second).UTC()
}

// setMeta stores m in labels: each entry under prefix, and the key list
// under keysLabel (always, even when empty, to override inherited labels).
func setMeta(labels map[string]string, prefix, keysLabel string, m map[string]string) {
	keys := slices.Sorted(maps.Keys(m))
	for _, k := range keys {
		labels[prefix+k] = m[k]
	}
	if keys == nil {
		keys = []string{}
	}
	j, _ := json.Marshal(keys)
	labels[keysLabel] = string(j)
}

// getMeta reads what setMeta stored; nil if nothing.
func getMeta(labels map[string]string, prefix, keysLabel string) map[string]string {
	var keys []string
	if err := json.Unmarshal([]byte(labels[keysLabel]), &keys); err != nil || len(keys) == 0 {
		return nil
	}
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k] = labels[prefix+k]
	}
	return m
}
