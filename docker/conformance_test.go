package docker_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/backendtest"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
)

// TestConformance runs the backend conformance suite against the real
// engine, each check in its own namespace.
func TestConformance(t *testing.T) {
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	var mu sync.Mutex
	var namespaces []string
	nsOf := map[backend.Backend]string{}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		mu.Lock()
		defer mu.Unlock()
		for _, ns := range namespaces {
			if err := dockertest.RemoveContainers(ctx, cli, docker.LabelNamespace, ns); err != nil {
				t.Log(err)
			}
		}
	})
	read := func(path string) func(ctx context.Context, b backend.Backend, id string) ([]byte, error) {
		return func(ctx context.Context, b backend.Backend, id string) ([]byte, error) {
			out, code, err := execIn(ctx, cli, id, "cat", path)
			if err == nil && code != 0 {
				err = fmt.Errorf("cat %s: exit %d: %s", path, code, out)
			}
			return []byte(out), err
		}
	}
	backendtest.Run(t, backendtest.Harness{
		Open: func(ctx context.Context) (backend.Backend, error) {
			ns := dockertest.Namespace(t)
			b, err := docker.New(ctx, docker.WithNamespace(ns), docker.WithMetadataNetwork(docker.MetadataNetworkName))
			mu.Lock()
			namespaces = append(namespaces, ns)
			nsOf[b] = ns
			mu.Unlock()
			return b, err
		},
		Reopen: func(ctx context.Context, b backend.Backend) (backend.Backend, error) {
			mu.Lock()
			ns := nsOf[b]
			mu.Unlock()
			return docker.New(ctx, docker.WithNamespace(ns), docker.WithMetadataNetwork(""))
		},
		ImageID: ami,
		Drift: func(ctx context.Context, b backend.Backend, id string, to backend.State) error {
			name := docker.ContainerPrefix + id
			switch to {
			case backend.StateStopped:
				return cli.ContainerPause(ctx, name)
			case backend.StateTerminated:
				return cli.ContainerRemove(ctx, name, container.RemoveOptions{Force: true})
			}
			return fmt.Errorf("no drift to %s", to)
		},
		UserData:       read("/var/log/cloud-init-output.log"),
		UserDataOutput: true,
		AuthorizedKeys: func(ctx context.Context, b backend.Backend, id string) (string, error) {
			out, err := read("/root/.ssh/authorized_keys")(ctx, b, id)
			return string(out), err
		},
		Files:   func(b backend.Backend) backendtest.FileAccess { return execFiles{b.(backend.Execer)} },
		Timeout: 30 * time.Second,
	})
}

// execFiles reads and writes files in a machine through the backend's
// Exec, with busybox's sh and cat.
type execFiles struct{ ex backend.Execer }

func (f execFiles) run(id string, stdin []byte, cmd ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code, err := f.ex.Exec(ctx, id, backend.ExecSpec{Cmd: cmd, Stdin: bytes.NewReader(stdin), Stdout: &out, Stderr: &errb})
	if err == nil && code != 0 {
		err = fmt.Errorf("%v in %s: exit %d: %s", cmd, id, code, errb.String())
	}
	return out.Bytes(), err
}

func (f execFiles) WriteFile(id, name string, data []byte) error {
	_, err := f.run(id, data, "/bin/sh", "-c", `cat > "$1"`, "sh", name)
	return err
}

func (f execFiles) ReadFile(id, name string) ([]byte, error) {
	return f.run(id, nil, "cat", name)
}
