package docker_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// env is one test's Docker backend in its own namespace, with a fresh AMI.
type env struct {
	cli *client.Client
	b   *docker.Backend
	ns  string
	ami string // an AMI of the busybox base image

	refs []string // image references to remove at the end
}

// newEnv makes a backend in a unique namespace and removes, when the test
// ends, every container of that namespace.
func newEnv(t *testing.T, opts ...docker.Option) *env {
	t.Helper()
	cli := dockertest.Require(t)
	ns := dockertest.Namespace(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	e := &env{cli: cli, ns: ns, ami: ami}
	// Cleanups run last-registered first: remove the images only after
	// the containers that use them, or they would be left dangling.
	t.Cleanup(func() {
		for _, ref := range e.refs {
			e.cli.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true})
		}
	})
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	b, err := docker.New(t.Context(), append([]docker.Option{docker.WithNamespace(ns)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	e.b = b
	return e
}

// removeImageLater removes image reference ref when the test ends, after
// the namespace's containers.
func (e *env) removeImageLater(ref string) { e.refs = append(e.refs, ref) }

// newID returns a fresh instance ID.
func newID(t *testing.T) string {
	return fmt.Sprintf("i-%s", dockertest.Namespace(t)[len("test-"):])
}

// launch launches one instance of ami with spec's other fields.
func (e *env) launch(t *testing.T, spec backend.LaunchSpec) backend.Machine {
	t.Helper()
	if spec.InstanceID == "" {
		spec.InstanceID = newID(t)
	}
	if spec.ImageID == "" {
		spec.ImageID = e.ami
	}
	if spec.InstanceType == "" {
		spec.InstanceType = "t3.micro"
	}
	m, err := e.b.Launch(t.Context(), spec)
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	return m
}

// inspect returns instance id's container.
func (e *env) inspect(t *testing.T, id string) container.InspectResponse {
	t.Helper()
	info, err := e.cli.ContainerInspect(t.Context(), docker.ContainerPrefix+id)
	if err != nil {
		t.Fatalf("inspect %s: %v", id, err)
	}
	return info
}

// exec runs cmd in instance id and returns its stdout and stderr together,
// and its exit code.
func (e *env) exec(t *testing.T, id string, cmd ...string) (string, int) {
	t.Helper()
	out, code, err := execIn(t.Context(), e.cli, id, cmd...)
	if err != nil {
		t.Fatalf("exec %v in %s: %v", cmd, id, err)
	}
	return out, code
}

// execIn runs cmd in instance id's container.
func execIn(ctx context.Context, cli *client.Client, id string, cmd ...string) (string, int, error) {
	ex, err := cli.ContainerExecCreate(ctx, docker.ContainerPrefix+id, container.ExecOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return "", 0, err
	}
	att, err := cli.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		return "", 0, err
	}
	defer att.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, att.Reader); err != nil {
		return "", 0, err
	}
	st, err := cli.ContainerExecInspect(ctx, ex.ID)
	if err != nil {
		return "", 0, err
	}
	return out.String(), st.ExitCode, nil
}

// waitBoot waits until instance id's first boot (user data) has finished.
func (e *env) waitBoot(t *testing.T, id string) {
	t.Helper()
	testutil.WaitFor(t, 30*time.Second, "boot-finished of "+id, func() (bool, string) {
		out, code := e.exec(t, id, "cat", "/var/lib/cloud/instances/"+id+"/boot-finished")
		return code == 0, out
	})
}

// status is the Docker state of instance id's container.
func (e *env) status(t *testing.T, id string) container.ContainerState {
	t.Helper()
	return e.inspect(t, id).State.Status
}

// ctxTimeout is a context for one call that must not hang.
func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// commitImage makes an AMI from the base image with the given config
// changes (Dockerfile instructions), for images whose own command matters.
func (e *env) commitImage(t *testing.T, changes ...string) string {
	t.Helper()
	ctx := t.Context()
	base, err := dockertest.BaseImage(ctx, e.cli)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.cli.ContainerCreate(ctx, &container.Config{Image: base}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer e.cli.ContainerRemove(context.WithoutCancel(ctx), c.ID, container.RemoveOptions{Force: true})
	ami := "ami-" + strings.TrimPrefix(dockertest.Namespace(t), "test-")
	ref := dockertest.AMIRef("ec2emu-test-cmd", ami)
	if _, err := e.cli.ContainerCommit(ctx, c.ID, container.CommitOptions{Reference: ref, Changes: changes}); err != nil {
		t.Fatal(err)
	}
	e.removeImageLater(ref)
	return ami
}
