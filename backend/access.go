package backend

import (
	"context"
	"io"
)

// MetadataNetwork is an optional capability: the backend's machines reach a
// host address on which the Server serves the instance metadata service
// (169.254.169.254 for EC2's clients), and the source address of each
// request tells which machine asked.
type MetadataNetwork interface {
	// MetadataAddress makes sure the machines' path to the host exists
	// (e.g. a network whose gateway is the address) and returns the host
	// address to listen on.
	MetadataAddress(ctx context.Context) (string, error)
	// MetadataSources maps the source address of each machine of this
	// namespace, as the metadata service sees it, to the machine's
	// instance ID. Machines of other namespaces must not appear.
	MetadataSources(ctx context.Context) (map[string]string, error)
}

// Execer is an optional capability: running a command in a running
// machine, as the SSH gateway does for every session (docker: the exec
// API). A backend without it gets port 22 forwarded like any other port,
// to the machine's own sshd.
type Execer interface {
	// Exec runs spec.Cmd in machine id and returns its exit status once it
	// has ended and its output has been written. An error means the command
	// could not be run (ErrNotFound, ErrInvalidState for a machine that
	// is not running).
	Exec(ctx context.Context, id string, spec ExecSpec) (exitCode int, err error)
}

// ExecSpec says what Exec runs and where its streams go.
type ExecSpec struct {
	// Cmd is the command and its arguments; empty runs the user's login
	// shell (/bin/sh -l).
	Cmd []string
	// User is the user to run as ("" for root); the caller makes sure the
	// machine has it.
	User string
	// Env holds extra KEY=value settings.
	Env []string
	// TTY gives the command a terminal; its output then arrives on Stdout
	// only. Size is its first window size, and each value received on
	// Resize changes it.
	TTY    bool
	Size   WindowSize
	Resize <-chan WindowSize
	// Stdin is read until EOF, which the command sees as the end of its
	// input; nil for none. Stdout and Stderr receive its output; nil
	// discards it.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// WindowSize is a terminal's size in characters.
type WindowSize struct{ Rows, Cols uint }
