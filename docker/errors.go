package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"

	"github.com/ec2emu/ec2emu/backend"
)

// wrap turns a Docker client error into one wrapping the backend sentinel the
// Server understands, keeping the original in the chain.
func wrap(op, id string, err error) error {
	if err == nil {
		return nil
	}
	var kind error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// The caller gave up; report that as is, not as a backend fault.
	case unavailable(err):
		kind = backend.ErrUnavailable
	case cerrdefs.IsNotFound(err):
		kind = backend.ErrNotFound
	case cerrdefs.IsConflict(err):
		kind = backend.ErrInvalidState
	}
	if kind == nil || errors.Is(err, kind) {
		return fmt.Errorf("docker: %s %s: %w", op, id, err)
	}
	return fmt.Errorf("docker: %s %s: %w: %w", op, id, kind, err)
}

// unavailable reports whether err says the daemon cannot be reached.
func unavailable(err error) bool {
	if client.IsErrConnectionFailed(err) || cerrdefs.IsUnavailable(err) {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// notFound is an ErrNotFound for what, with detail.
func notFound(what, id string) error {
	return fmt.Errorf("docker: %s %s: %w", what, id, backend.ErrNotFound)
}
