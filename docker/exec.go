package docker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/ec2emu/ec2emu/backend"
)

// execClient is what Exec needs of the Docker client beyond Client;
// *client.Client has it. A client without it (a fake) makes Exec answer
// ErrUnsupported.
type execClient interface {
	ContainerExecCreate(ctx context.Context, containerID string, options container.ExecOptions) (container.ExecCreateResponse, error)
	ContainerExecAttach(ctx context.Context, execID string, config container.ExecAttachOptions) (types.HijackedResponse, error)
	ContainerExecInspect(ctx context.Context, execID string) (container.ExecInspect, error)
	ContainerExecResize(ctx context.Context, execID string, options container.ResizeOptions) error
}

var _ backend.Execer = (*Backend)(nil)

// Exec implements backend.Execer with the exec API: one create, one attach
// (a hijacked stream), and an inspect for the exit status.
func (b *Backend) Exec(ctx context.Context, id string, spec backend.ExecSpec) (int, error) {
	ec, ok := b.cli.(execClient)
	if !ok {
		return 0, fmt.Errorf("docker: exec: %w", backend.ErrUnsupported)
	}
	cmd := spec.Cmd
	if len(cmd) == 0 {
		cmd = []string{"/bin/sh", "-l"}
	}
	opts := container.ExecOptions{
		User: spec.User, Tty: spec.TTY, Env: spec.Env, Cmd: cmd,
		AttachStdin: spec.Stdin != nil, AttachStdout: true, AttachStderr: true,
	}
	if spec.TTY && spec.Size.Rows > 0 && spec.Size.Cols > 0 {
		opts.ConsoleSize = &[2]uint{spec.Size.Rows, spec.Size.Cols}
	}
	name := containerName(id)
	ex, err := ec.ContainerExecCreate(ctx, name, opts)
	if err != nil {
		return 0, wrap("exec", name, err)
	}
	att, err := ec.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{Tty: spec.TTY, ConsoleSize: opts.ConsoleSize})
	if err != nil {
		return 0, wrap("exec attach", name, err)
	}
	defer att.Close()
	// The hijacked connection does not watch ctx: close it when ctx ends.
	stop := context.AfterFunc(ctx, func() { att.Close() })
	defer stop()

	if spec.Resize != nil {
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			for {
				select {
				case <-rctx.Done():
					return
				case sz, ok := <-spec.Resize:
					if !ok {
						return
					}
					ec.ContainerExecResize(rctx, ex.ID, container.ResizeOptions{Height: sz.Rows, Width: sz.Cols})
				}
			}
		}()
	}
	if spec.Stdin != nil {
		// A terminal's input does not end (sshd does not close a pty on
		// the client's EOF either, and the engine ends a TTY exec's output
		// when its input is closed). Otherwise this ends when the
		// command's input ends (CloseWrite passes the EOF on)
		// or the stream is closed after the command has ended.
		go func() {
			io.Copy(att.Conn, spec.Stdin)
			if !spec.TTY {
				att.CloseWrite()
			}
		}()
	}
	stdout, stderr := orDiscard(spec.Stdout), orDiscard(spec.Stderr)
	if spec.TTY {
		_, err = io.Copy(stdout, att.Reader)
	} else {
		_, err = stdcopy.StdCopy(stdout, stderr, att.Reader)
	}
	if err != nil && ctx.Err() != nil {
		return 0, ctx.Err()
	}
	// The stream ends as the process does; the engine may record the exit
	// a moment later.
	for wait := time.Millisecond; ; wait = min(wait*2, 100*time.Millisecond) {
		st, err := ec.ContainerExecInspect(ctx, ex.ID)
		if err != nil {
			return 0, wrap("exec inspect", name, err)
		}
		if !st.Running {
			return st.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(wait):
		}
	}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// userDataOutput is what the user data printed, which the boot wrapper
// keeps in /var/log/cloud-init-output.log as cloud-init does; on EC2 it
// also reaches the console. Empty when the machine is not running (a
// paused container cannot exec) or has no such log.
func (b *Backend) userDataOutput(ctx context.Context, id string) []byte {
	if _, ok := b.cli.(execClient); !ok {
		return nil
	}
	var out bytes.Buffer
	code, err := b.Exec(ctx, id, backend.ExecSpec{Cmd: []string{"cat", "/var/log/cloud-init-output.log"}, Stdout: &out})
	if err != nil || code != 0 {
		return nil
	}
	return out.Bytes()
}
