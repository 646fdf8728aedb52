package docker_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/stress"
)

// TestStressDocker: 32 SDK clients race on a few real containers; EC2's
// settled view matches the containers, no container outlives its
// instance's termination, and no goroutine outlives Close.
func TestStressDocker(t *testing.T) {
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	b, err := docker.New(t.Context(), docker.WithNamespace(ns), docker.WithDockerSocket(false))
	if err != nil {
		t.Fatal(err)
	}
	containers := func(t *testing.T) map[string]container.ContainerState {
		list, err := cli.ContainerList(t.Context(), container.ListOptions{All: true,
			Filters: filters.NewArgs(filters.Arg("label", docker.LabelNamespace+"="+ns))})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]container.ContainerState{}
		for _, c := range list {
			out[c.Labels[docker.LabelInstanceID]] = container.ContainerState(c.State)
		}
		return out
	}
	stress.Run(t, stress.Config{
		Backend:      b,
		ImageID:      ami,
		Clients:      32,
		Rounds:       10,
		MaxInstances: 10,
		MaxImages:    3,
		Settle:       2 * time.Minute,
		AfterSettle: func(t *testing.T, final map[string]types.InstanceStateName) {
			// Checked against the daemon itself, not only the backend's
			// listing: a terminated instance has no container left.
			got := containers(t)
			for id, st := range final {
				cs, ok := got[id]
				switch {
				case st == types.InstanceStateNameTerminated && ok:
					t.Errorf("%s is terminated but its container is still there (%s)", id, cs)
				case st == types.InstanceStateNameRunning && cs != container.StateRunning:
					t.Errorf("%s is running but its container is %q", id, cs)
				case st == types.InstanceStateNameStopped && cs != container.StatePaused:
					t.Errorf("%s is stopped but its container is %q", id, cs)
				}
			}
			if len(got) > len(final) {
				t.Errorf("the namespace has %d containers for %d instances", len(got), len(final))
			}
		},
		AfterCleanup: func(t *testing.T, ids []string) {
			if got := containers(t); len(got) != 0 {
				t.Errorf("after terminating every instance the namespace still has containers: %v", got)
			}
		},
	})
}
