package docker_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

func TestMachinesReadoption(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	a := e.launch(t, backend.LaunchSpec{Metadata: map[string]string{"reservation-id": "r-1", "launch-index": "0"}})
	b := e.launch(t, backend.LaunchSpec{Metadata: map[string]string{"reservation-id": "r-1", "launch-index": "1"}})
	if err := e.b.Stop(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	b.State = backend.StateStopped
	want := []backend.Machine{a, b}
	if a.ID > b.ID {
		want = []backend.Machine{b, a}
	}

	// A fresh backend in the same namespace, as after a restart.
	fresh, err := docker.New(ctx, docker.WithNamespace(e.ns))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	got, err := fresh.Machines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Machines after restart (-want +got):\n%s", diff)
	}
	// And it can act on them.
	if err := fresh.Start(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if st := e.status(t, b.ID); st != container.StateRunning {
		t.Errorf("after Start by the fresh backend: %q", st)
	}

	// Another namespace sees none of them.
	other, err := docker.New(ctx, docker.WithNamespace(e.ns+"-other"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if got, err := other.Machines(ctx); err != nil || len(got) != 0 {
		t.Errorf("other namespace Machines = %+v, %v; want none", got, err)
	}
}

// recorder collects Watch events.
type recorder struct {
	mu sync.Mutex
	ev []backend.Event
}

func (r *recorder) add(e backend.Event) {
	r.mu.Lock()
	r.ev = append(r.ev, e)
	r.mu.Unlock()
}

func (r *recorder) events() []backend.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]backend.Event(nil), r.ev...)
}

func TestWatchDrift(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(t.Context())
	var rec recorder
	done := make(chan error, 1)
	go func() { done <- e.b.Watch(ctx, rec.add) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Watch: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Watch did not return after its context ended")
		}
	}()
	// Wait until the event stream is attached, so that the own calls below
	// are really seen and ignored: drift a probe instance and wait for it.
	ctxB := t.Context()
	probe := e.launch(t, backend.LaunchSpec{}).ID
	if err := e.cli.ContainerPause(ctxB, docker.ContainerPrefix+probe); err != nil {
		t.Fatal(err)
	}
	want := []backend.Event{{ID: probe, State: backend.StateStopped}}
	testutil.WaitFor(t, 10*time.Second, "the probe's drift event", func() (bool, string) {
		got := rec.events()
		return len(got) >= 1, cmp.Diff(want, got)
	})

	// Our own calls: none of these may be reported.
	id := e.launch(t, backend.LaunchSpec{}).ID
	for _, step := range []func(context.Context, string) error{e.b.Stop, e.b.Start, e.b.Reboot} {
		if err := step(ctxB, id); err != nil {
			t.Fatal(err)
		}
	}
	own := e.launch(t, backend.LaunchSpec{}).ID
	if err := e.b.Terminate(ctxB, own); err != nil {
		t.Fatal(err)
	}

	// Drift, behind the backend's back.
	name := docker.ContainerPrefix + id
	drift := []struct {
		do   func() error
		want backend.Event
	}{
		{func() error { return e.cli.ContainerPause(ctxB, name) }, backend.Event{ID: id, State: backend.StateStopped}},
		{func() error { return e.cli.ContainerUnpause(ctxB, name) }, backend.Event{ID: id, State: backend.StateRunning}},
		{func() error { return e.cli.ContainerKill(ctxB, name, "KILL") }, backend.Event{ID: id, State: backend.StateStopped}},
		{func() error { return e.cli.ContainerRemove(ctxB, name, container.RemoveOptions{Force: true}) }, backend.Event{ID: id, State: backend.StateTerminated}},
	}
	for _, d := range drift {
		// Drift right after our own calls must still be seen; wait for
		// each event so their order is certain.
		if err := d.do(); err != nil {
			t.Fatal(err)
		}
		want = append(want, d.want)
		testutil.WaitFor(t, 10*time.Second, "event "+string(d.want.State), func() (bool, string) {
			got := rec.events()
			return len(got) >= len(want), cmp.Diff(want, got)
		})
	}
	if diff := cmp.Diff(want, rec.events()); diff != "" {
		t.Errorf("Watch events (-want +got):\n%s", diff)
	}
}

// TestNoTouch checks that containers and images the backend did not make
// are invisible to it and left alone.
func TestNoTouch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	base, err := dockertest.BaseImage(ctx, e.cli)
	if err != nil {
		t.Fatal(err)
	}
	mark := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, e.cli, "ec2emu.test-foreign", mark)

	foreignID := newID(t)
	foreign := []struct {
		name   string
		labels map[string]string
	}{
		// Our name but no namespace label.
		{docker.ContainerPrefix + foreignID, map[string]string{"ec2emu.test-foreign": mark}},
		// Our labels but another name.
		{"foreign-" + mark, map[string]string{"ec2emu.test-foreign": mark, docker.LabelNamespace: e.ns, docker.LabelInstanceID: "i-copycat"}},
	}
	var cids []string
	for _, f := range foreign {
		c, err := e.cli.ContainerCreate(ctx, &container.Config{Image: base, Cmd: []string{"sleep", "1000"}, Labels: f.labels}, nil, nil, nil, f.name)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.cli.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
			t.Fatal(err)
		}
		cids = append(cids, c.ID)
	}
	// An image tagged outside our repository prefix, with an AMI-like tag.
	otherRef := "ec2emu-test-other/" + mark + ":ami-" + mark[len("test-"):]
	if err := e.cli.ImageTag(ctx, base, otherRef); err != nil {
		t.Fatal(err)
	}
	dockertest.RemoveImageOnCleanup(t, e.cli, otherRef)

	mine := e.launch(t, backend.LaunchSpec{}).ID
	ms, err := e.b.Machines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	if diff := cmp.Diff([]string{mine}, ids); diff != "" {
		t.Errorf("Machines (-want +got):\n%s", diff)
	}
	for _, id := range []string{foreignID, "i-copycat"} {
		for name, call := range map[string]func(context.Context, string) error{"Stop": e.b.Stop, "Start": e.b.Start, "Reboot": e.b.Reboot} {
			if err := call(ctx, id); !errors.Is(err, backend.ErrNotFound) {
				t.Errorf("%s(%s) = %v, want ErrNotFound", name, id, err)
			}
		}
		if err := e.b.Terminate(ctx, id); err != nil {
			t.Errorf("Terminate(%s) = %v, want nil (not ours is gone)", id, err)
		}
	}
	for _, cid := range cids {
		info, err := e.cli.ContainerInspect(ctx, cid)
		if err != nil {
			t.Fatalf("foreign container: %v", err)
		}
		if info.State.Status != container.StateRunning {
			t.Errorf("foreign container %s is %q, want running", info.Name, info.State.Status)
		}
	}
	imgs, err := e.b.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := findImage(imgs, "ami-"+mark[len("test-"):]); ok {
		t.Errorf("Images lists a foreign image")
	}
	if err := e.b.DeregisterImage(ctx, "ami-"+mark[len("test-"):]); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("DeregisterImage(foreign) = %v, want ErrNotFound", err)
	}
	if _, err := e.cli.ImageInspect(ctx, otherRef); err != nil {
		t.Errorf("foreign image gone: %v", err)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	unknown := newID(t)
	calls := map[string]func() error{
		"Stop":          func() error { return e.b.Stop(ctx, unknown) },
		"Start":         func() error { return e.b.Start(ctx, unknown) },
		"Reboot":        func() error { return e.b.Reboot(ctx, unknown) },
		"ConsoleOutput": func() error { _, err := e.b.ConsoleOutput(ctx, unknown); return err },
		"CreateImage": func() error {
			_, err := e.b.CreateImage(ctx, unknown, backend.ImageSpec{ImageID: "ami-x1", Name: "x"})
			return err
		},
		"DeregisterImage": func() error { return e.b.DeregisterImage(ctx, "ami-nosuchimage") },
		"Launch": func() error {
			_, err := e.b.Launch(ctx, backend.LaunchSpec{InstanceID: unknown, ImageID: "ami-nosuchimage"})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("%s on unknown = %v, want ErrNotFound", name, err)
		}
	}
	if err := e.b.Terminate(ctx, unknown); err != nil {
		t.Errorf("Terminate(unknown) = %v, want nil", err)
	}

	// A daemon that does not answer.
	dead, err := client.NewClientWithOpts(client.WithHost("unix://"+t.TempDir()+"/no.sock"), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	b, err := docker.New(ctx, docker.WithClient(dead), docker.WithNamespace(e.ns))
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	deadCalls := map[string]func() error{
		"Images":   func() error { _, err := b.Images(ctx); return err },
		"Machines": func() error { _, err := b.Machines(ctx); return err },
		"Stop":     func() error { return b.Stop(ctx, "i-1") },
		"Launch": func() error {
			_, err := b.Launch(ctx, backend.LaunchSpec{InstanceID: "i-1", ImageID: e.ami})
			return err
		},
		"Terminate": func() error { return b.Terminate(ctx, "i-1") },
	}
	for name, call := range deadCalls {
		if err := call(); !errors.Is(err, backend.ErrUnavailable) {
			t.Errorf("%s with a dead daemon = %v, want ErrUnavailable", name, err)
		}
	}
}

func TestRegistered(t *testing.T) {
	t.Parallel()
	cli := dockertest.Require(t)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	ami, _ := dockertest.UniqueAMI(t, cli)
	env := map[string]string{"EC2_REMOVE_CONTAINERS": "0", "EC2_MOUNT_DOCKER_SOCKET": "false"}
	b, err := backend.Open(t.Context(), "docker", backend.Config{Namespace: ns, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	id := newID(t)
	if _, err := b.Launch(t.Context(), backend.LaunchSpec{InstanceID: id, ImageID: ami}); err != nil {
		t.Fatal(err)
	}
	info, err := cli.ContainerInspect(t.Context(), docker.ContainerPrefix+id)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range info.Mounts {
		if m.Destination != backend.VolumeRoot { // volumes.go
			t.Errorf("EC2_MOUNT_DOCKER_SOCKET=false: mount %+v", m)
		}
	}
	if err := b.Terminate(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ContainerInspect(t.Context(), docker.ContainerPrefix+id+".terminated"); err != nil {
		t.Errorf("EC2_REMOVE_CONTAINERS=0: kept container: %v", err)
	}
}
