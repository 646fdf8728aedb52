package docker_test

import (
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
)

// BenchmarkLaunch measures Launch (to running, with its address) against
// what `docker run -d` does (create and start) with the same image, side by
// side: go test -run '^$' -bench Launch -benchtime 10x ./docker/
func BenchmarkLaunch(b *testing.B) {
	cli := dockertest.Require(b)
	ns := dockertest.Namespace(b)
	dockertest.RemoveContainersOnCleanup(b, cli, docker.LabelNamespace, ns)
	ami, ref := dockertest.UniqueAMI(b, cli)

	b.Run("backend", func(b *testing.B) {
		be, err := docker.New(b.Context(), docker.WithNamespace(ns))
		if err != nil {
			b.Fatal(err)
		}
		defer be.Close()
		for b.Loop() {
			if _, err := be.Launch(b.Context(), backend.LaunchSpec{InstanceID: "i-" + dockertest.Namespace(b)[5:], ImageID: ami}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("docker-run-d", func(b *testing.B) {
		for b.Loop() {
			c, err := cli.ContainerCreate(b.Context(), &container.Config{Image: ref, Cmd: []string{"sleep", "1000"},
				Labels: map[string]string{docker.LabelNamespace: ns}}, nil, nil, nil, "")
			if err != nil {
				b.Fatal(err)
			}
			if err := cli.ContainerStart(b.Context(), c.ID, container.StartOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
