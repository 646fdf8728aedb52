package ec2emu_test

import (
	"testing"

	"github.com/docker/docker/client"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
)

// dockerBackend opens a docker backend in a namespace of the test's own,
// with an AMI of its own, and removes what the namespace holds (containers,
// volumes, networks, mounts) when the test ends. It skips the test when no
// engine answers (dockertest.Require).
func dockerBackend(t *testing.T, opts ...docker.Option) (b *docker.Backend, cli *client.Client, ami string) {
	t.Helper()
	cli = dockertest.Require(t)
	ami, _ = dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	b, err := docker.New(ctxT(t), append([]docker.Option{docker.WithClient(cli), docker.WithNamespace(ns)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, cli, ami
}
