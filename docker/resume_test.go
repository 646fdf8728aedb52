package docker_test

import (
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
)

// TestLaunchFinishesAnEarlierCreate: the create of a launch by an emulator
// killed mid-launch can land in the engine after the restarted emulator
// resumed the launch. Launch then finishes that container rather than fail
// on its name; a container of the same name that is not this namespace's
// instance is never taken.
func TestLaunchFinishesAnEarlierCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base, err := dockertest.BaseImage(t.Context(), e.cli)
	if err != nil {
		t.Fatal(err)
	}
	create := func(id, ns string) string {
		t.Helper()
		c, err := e.cli.ContainerCreate(t.Context(), &container.Config{Image: base, Cmd: []string{"sleep", "3600"},
			Labels: map[string]string{docker.LabelNamespace: ns, docker.LabelInstanceID: id}}, nil, nil, nil, docker.ContainerPrefix+id)
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	id := newID(t)
	earlier := create(id, e.ns)
	m, err := e.b.Launch(t.Context(), backend.LaunchSpec{InstanceID: id, ImageID: e.ami, InstanceType: "t3.micro"})
	if err != nil {
		t.Fatalf("Launch over an earlier create: %v", err)
	}
	info := e.inspect(t, id)
	if info.ID != earlier || info.State.Status != "running" || m.State != backend.StateRunning || m.PrivateIP == "" {
		t.Errorf("got container %.12s %s, machine %+v; want the earlier container %.12s running", info.ID, info.State.Status, m, earlier)
	}

	other := newID(t) + "f"
	otherNS := dockertest.Namespace(t)
	foreign := create(other, otherNS)
	dockertest.RemoveContainersOnCleanup(t, e.cli, docker.LabelNamespace, otherNS)
	if _, err := e.b.Launch(t.Context(), backend.LaunchSpec{InstanceID: other, ImageID: e.ami, InstanceType: "t3.micro"}); err == nil {
		t.Error("Launch took over another namespace's container")
	}
	if st, err := e.cli.ContainerInspect(t.Context(), foreign); err != nil || st.State.Status != "created" {
		t.Errorf("the other namespace's container was touched: %v %v", st.State, err)
	}
}
