package docker_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
)

// TestMain removes the shared metadata network once every test has ended,
// if no container (of another process) still uses it: a backend's Close
// keeps it while containers are attached, and tests remove their
// containers after closing their backends. So too the lock image, which
// backends import for their namespace locks.
func TestMain(m *testing.M) {
	code := m.Run()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	if cli, err := dockertest.Connect(ctx); err == nil {
		if info, err := cli.NetworkInspect(ctx, docker.MetadataNetworkName, network.InspectOptions{}); err == nil && len(info.Containers) == 0 {
			cli.NetworkRemove(ctx, docker.MetadataNetworkName)
		}
		dockertest.RemoveLockImage(ctx, cli)
		cli.Close()
	}
	cancel()
	os.Exit(code)
}
