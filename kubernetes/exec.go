package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"

	"github.com/ec2emu/ec2emu/backend"
)

// Exec runs spec.Cmd in the instance's container through the pods/exec
// subresource. Kubernetes exec has no user or environment of its own, so a
// User other than root runs the command through su, and Env through env.
func (b *Backend) Exec(ctx context.Context, id string, spec backend.ExecSpec) (int, error) {
	if _, err := b.getRecord(ctx, id); err != nil {
		return 0, err
	}
	p, err := b.getPod(ctx, id)
	if err != nil {
		return 0, err
	}
	if p == nil || podState(p) != backend.StateRunning {
		return 0, fmt.Errorf("kubernetes: exec in instance %s: not running: %w", id, backend.ErrInvalidState)
	}
	cmd := spec.Cmd
	if len(cmd) == 0 {
		cmd = []string{"/bin/sh", "-l"}
	}
	if len(spec.Env) > 0 {
		cmd = append(append([]string{"env"}, spec.Env...), cmd...)
	}
	if u := spec.User; u != "" && u != "root" && u != "0" {
		cmd = []string{"su", "-s", "/bin/sh", u, "-c", "exec " + shellJoin(cmd)}
	}
	req := b.cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(b.kns).Name(p.Name).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: ContainerName, Command: cmd,
			Stdin: spec.Stdin != nil, Stdout: true, Stderr: !spec.TTY, TTY: spec.TTY,
		}, scheme.ParameterCodec)
	ex, err := remotecommand.NewSPDYExecutor(b.cfg, "POST", req.URL())
	if err != nil {
		return 0, fmt.Errorf("kubernetes: exec: %w", err)
	}
	stdout, stderr := discardIfNil(spec.Stdout), discardIfNil(spec.Stderr)
	if spec.Stdout != nil && any(spec.Stdout) == any(spec.Stderr) {
		// The two streams are copied by two goroutines.
		w := &lockedWriter{w: spec.Stdout}
		stdout, stderr = w, w
	}
	opts := remotecommand.StreamOptions{Stdin: spec.Stdin, Stdout: stdout, Tty: spec.TTY}
	if !spec.TTY {
		opts.Stderr = stderr
	} else {
		opts.TerminalSizeQueue = &sizeQueue{first: spec.Size, ch: spec.Resize, ctx: ctx}
	}
	err = ex.StreamWithContext(ctx, opts)
	var ee utilexec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitStatus(), nil
	}
	if err != nil {
		return 0, wrap("exec", p.Name, err)
	}
	return 0, nil
}

// lockedWriter serialises writes from the stdout and stderr copiers when
// both go to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func discardIfNil(w io.Writer) io.Writer {
	if w == nil {
		return discard{}
	}
	return w
}

// sizeQueue feeds a TTY's window sizes to the executor: the first size,
// then each resize until the channel closes or ctx ends.
type sizeQueue struct {
	first backend.WindowSize
	sent  bool
	ch    <-chan backend.WindowSize
	ctx   context.Context
}

func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	if !q.sent {
		q.sent = true
		if q.first.Rows > 0 || q.first.Cols > 0 {
			return &remotecommand.TerminalSize{Width: uint16(q.first.Cols), Height: uint16(q.first.Rows)}
		}
	}
	select {
	case s, ok := <-q.ch:
		if !ok {
			return nil
		}
		return &remotecommand.TerminalSize{Width: uint16(s.Cols), Height: uint16(s.Rows)}
	case <-q.ctx.Done():
		return nil
	}
}

// shellJoin quotes args for /bin/sh.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
