package virtualbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
	"sync"

	"github.com/ec2emu/ec2emu/backend"
	vbox "github.com/terra-farm/go-virtualbox"
)

// errVMNotFound means VBoxManage does not know the machine. It wraps
// backend.ErrNotFound so callers that pass it on report the right code.
var errVMNotFound = fmt.Errorf("virtual machine not registered: %w", backend.ErrNotFound)

// vmRef is one line of `VBoxManage list vms`.
type vmRef struct {
	Name string
	UUID string
}

// manager is the slice of VBoxManage the backend uses, so tests can put a
// fake in its place. Every call takes a context and returns when it is done,
// even if the VBoxManage process it started is still running.
type manager interface {
	// list returns the registered machines (list vms).
	list(ctx context.Context) ([]vmRef, error)
	// state returns a machine's VMState ("running", "poweroff", …).
	state(ctx context.Context, vm string) (string, error)
	// info returns showvminfo --machinereadable as a map.
	info(ctx context.Context, vm string) (map[string]string, error)
	// extraData returns all of a machine's extradata (getextradata enumerate).
	extraData(ctx context.Context, vm string) (map[string]string, error)
	// setExtraData sets key; an empty value deletes it.
	setExtraData(ctx context.Context, vm, key, value string) error
	// guestProperty reads a guest property; ok is false if it is not set.
	guestProperty(ctx context.Context, vm, name string) (value string, ok bool, err error)
	// setGuestProperty sets a guest property; an empty value deletes it.
	setGuestProperty(ctx context.Context, vm, name, value string) error
	// run runs any other VBoxManage command and returns its stdout.
	run(ctx context.Context, args ...string) (string, error)
}

// cli runs VBoxManage itself with exec.CommandContext. It is used for
// everything go-virtualbox lacks, and for everything when the program's path
// is given explicitly (go-virtualbox can only find it on PATH).
type cli struct {
	path string
}

func (c cli) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.path, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), classify(ctx, args, stderr.String(), err)
	}
	return stdout.String(), nil
}

// classify turns a failed VBoxManage run into an error the backend can test.
func classify(ctx context.Context, args []string, stderr string, err error) error {
	verb := "VBoxManage"
	if len(args) > 0 {
		verb += " " + args[0]
	}
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w", verb, ctx.Err())
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: %w: %w", verb, backend.ErrUnavailable, err)
	case strings.Contains(stderr, "Could not find a registered machine"):
		return fmt.Errorf("%s: %w", verb, errVMNotFound)
	}
	if msg := firstError(stderr); msg != "" {
		return fmt.Errorf("%s: %s: %w", verb, msg, err)
	}
	return fmt.Errorf("%s: %w", verb, err)
}

// firstError picks the first "VBoxManage: error:" line, which says what went
// wrong; the ones after it are details.
func firstError(stderr string) string {
	for line := range strings.Lines(stderr) {
		if _, msg, ok := strings.Cut(line, "error: "); ok {
			return strings.TrimSpace(msg)
		}
	}
	return strings.TrimSpace(stderr)
}

func (c cli) list(ctx context.Context) ([]vmRef, error) {
	out, err := c.run(ctx, "list", "vms")
	if err != nil {
		return nil, err
	}
	return parseList(out), nil
}

// parseList reads `"name" {uuid}` lines. The name is everything between the
// first and the last quote before the brace, so names may hold quotes.
func parseList(out string) []vmRef {
	var refs []vmRef
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		brace := strings.LastIndex(line, " {")
		if !strings.HasPrefix(line, `"`) || brace < 2 || line[brace-1] != '"' || !strings.HasSuffix(line, "}") {
			continue
		}
		refs = append(refs, vmRef{Name: line[1 : brace-1], UUID: line[brace+2 : len(line)-1]})
	}
	return refs
}

func (c cli) info(ctx context.Context, vm string) (map[string]string, error) {
	out, err := c.run(ctx, "showvminfo", vm, "--machinereadable")
	if err != nil {
		return nil, err
	}
	return parseMachineReadable(out), nil
}

func (c cli) state(ctx context.Context, vm string) (string, error) {
	info, err := c.info(ctx, vm)
	if err != nil {
		return "", err
	}
	return info["VMState"], nil
}

// parseMachineReadable reads key=value lines; keys and values may be quoted,
// and quoted values escape \ " and newlines with a backslash.
func parseMachineReadable(out string) map[string]string {
	m := map[string]string{}
	s := bufio.NewScanner(strings.NewReader(out))
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		line := s.Text()
		var key, rest string
		if strings.HasPrefix(line, `"`) {
			k, n, ok := unquote(line)
			if !ok || !strings.HasPrefix(line[n:], "=") {
				continue
			}
			key, rest = k, line[n+1:]
		} else {
			var ok bool
			if key, rest, ok = strings.Cut(line, "="); !ok {
				continue
			}
		}
		if strings.HasPrefix(rest, `"`) {
			if v, _, ok := unquote(rest); ok {
				rest = v
			}
		}
		m[key] = rest
	}
	return m
}

// unquote reads a quoted string at the start of s and returns it and the
// number of bytes it took.
func unquote(s string) (string, int, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				if s[i] == 'n' {
					b.WriteByte('\n')
				} else {
					b.WriteByte(s[i])
				}
			}
		case '"':
			return b.String(), i + 1, true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, false
}

func (c cli) extraData(ctx context.Context, vm string) (map[string]string, error) {
	out, err := c.run(ctx, "getextradata", vm, "enumerate")
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\r\n")
		rest, ok := strings.CutPrefix(line, "Key: ")
		if !ok {
			continue
		}
		if k, v, ok := strings.Cut(rest, ", Value: "); ok {
			m[k] = v
		}
	}
	return m, nil
}

func (c cli) setExtraData(ctx context.Context, vm, key, value string) error {
	args := []string{"setextradata", vm, key}
	if value != "" {
		args = append(args, value)
	}
	_, err := c.run(ctx, args...)
	return err
}

func (c cli) guestProperty(ctx context.Context, vm, name string) (string, bool, error) {
	out, err := c.run(ctx, "guestproperty", "get", vm, name)
	if err != nil {
		return "", false, err
	}
	for line := range strings.Lines(out) {
		if v, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "Value: "); ok {
			return v, true, nil
		}
	}
	return "", false, nil // "No value set!"
}

func (c cli) setGuestProperty(ctx context.Context, vm, name, value string) error {
	if value == "" {
		_, err := c.run(ctx, "guestproperty", "delete", vm, name)
		return err
	}
	_, err := c.run(ctx, "guestproperty", "set", vm, name, value)
	return err
}

// lib goes through github.com/terra-farm/go-virtualbox for the calls it
// has — machine state, extradata and guest property writes — and through
// cli for the rest. go-virtualbox takes no context, so each call runs in a
// goroutine the caller stops waiting for when its context ends (the
// VBoxManage process then finishes on its own).
type lib struct {
	cli
}

// primeOnce makes go-virtualbox look VBoxManage up once, before concurrent
// use: its first call writes a package variable without a lock.
var primeOnce sync.Once

func newLib(path string) lib {
	primeOnce.Do(func() { vbox.Manage() })
	return lib{cli{path: path}}
}

func (l lib) state(ctx context.Context, vm string) (string, error) {
	m, err := call(ctx, func() (*vbox.Machine, error) { return vbox.GetMachine(vm) })
	if err != nil {
		return "", libError(ctx, "showvminfo", err)
	}
	return string(m.State), nil
}

func (l lib) setExtraData(ctx context.Context, vm, key, value string) error {
	_, err := call(ctx, func() (struct{}, error) {
		if value == "" {
			return struct{}{}, vbox.DelExtra(vm, key)
		}
		return struct{}{}, vbox.SetExtra(vm, key, value)
	})
	return libError(ctx, "setextradata", err)
}

func (l lib) setGuestProperty(ctx context.Context, vm, name, value string) error {
	_, err := call(ctx, func() (struct{}, error) {
		if value == "" {
			return struct{}{}, vbox.DeleteGuestProperty(vm, name)
		}
		return struct{}{}, vbox.SetGuestProperty(vm, name, value)
	})
	return libError(ctx, "guestproperty", err)
}

// call runs fn but returns early with ctx's error when ctx ends first.
func call[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1) // buffered: the goroutine never blocks
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// libError maps go-virtualbox's errors onto the backend's.
func libError(ctx context.Context, verb string, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return fmt.Errorf("VBoxManage %s: %w", verb, err)
	case errors.Is(err, vbox.ErrMachineNotExist):
		return fmt.Errorf("VBoxManage %s: %w", verb, errVMNotFound)
	case errors.Is(err, vbox.ErrCommandNotFound):
		return fmt.Errorf("VBoxManage %s: %w", verb, backend.ErrUnavailable)
	}
	return fmt.Errorf("VBoxManage %s: %w", verb, err)
}
