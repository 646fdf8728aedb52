package dockertest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/ec2emu/ec2emu/internal/dockertest"
)

// TestBaseImage checks that the base image is idempotent and that busybox
// applets run in it.
func TestBaseImage(t *testing.T) {
	cli := dockertest.Require(t)
	ctx := t.Context()
	ref1, err := dockertest.BaseImage(ctx, cli)
	if err != nil {
		t.Fatal(err)
	}
	ref2, err := dockertest.BaseImage(ctx, cli)
	if err != nil {
		t.Fatal(err)
	}
	if ref1 != ref2 {
		t.Fatalf("BaseImage not idempotent: %q then %q", ref1, ref2)
	}

	label := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, "ec2emu.dockertest", label)
	c, err := cli.ContainerCreate(ctx, &container.Config{
		Image:  ref1,
		Cmd:    []string{"sh", "-c", "id -u; echo hi | cat; ls -d /tmp /root"},
		Labels: map[string]string{"ec2emu.dockertest": label},
	}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	waitC, errC := cli.ContainerWait(wctx, c.ID, container.WaitConditionNotRunning)
	select {
	case w := <-waitC:
		if w.StatusCode != 0 {
			t.Errorf("exit status %d", w.StatusCode)
		}
	case err := <-errC:
		t.Fatal(err)
	}
	logs, err := cli.ContainerLogs(ctx, c.ID, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	var out strings.Builder
	if _, err := stdcopy.StdCopy(&out, &out, logs); err != nil {
		t.Fatal(err)
	}
	if want := "0\nhi\n/root\n/tmp\n"; out.String() != want {
		t.Errorf("output = %q, want %q", out.String(), want)
	}
}
