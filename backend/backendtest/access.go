package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ec2emu/ec2emu/backend"
)

// Checks of the optional capabilities behind the SSH gateway and the
// instance metadata service; a backend without one skips its check.
func init() {
	checks = append(checks,
		check{"Exec", checkExec},
		check{"MetadataNetwork", checkMetadataNetwork},
	)
}

// checkExec: a command's exit status, separate stdout and stderr, stdin up
// to EOF; a stopped or unknown machine is an error, not a hang.
func checkExec(ctx context.Context, e *env) error {
	ex, ok := e.b.(backend.Execer)
	if !ok {
		return errSkip
	}
	ids, err := e.run(ctx, 1, nil)
	if err != nil {
		return err
	}
	if err := e.waitState(ctx, ids, types.InstanceStateNameRunning); err != nil {
		return err
	}
	id := ids[0]
	var out, errb bytes.Buffer
	code, err := ex.Exec(ctx, id, backend.ExecSpec{
		Cmd: []string{"/bin/sh", "-c", "cat; echo out; echo err >&2; exit 3"}, Stdin: strings.NewReader("in\n"),
		Stdout: &out, Stderr: &errb,
	})
	if errors.Is(err, backend.ErrUnsupported) {
		return errSkip
	}
	if err != nil {
		return fmt.Errorf("Exec: %w", err)
	}
	if got := fmt.Sprintf("%d %q %q", code, out.String(), errb.String()); got != `3 "in\nout\n" "err\n"` {
		return fmt.Errorf("Exec: got exit, stdout, stderr %s; want 3 \"in\\nout\\n\" \"err\\n\"", got)
	}
	if _, err := ex.Exec(ctx, "i-0000000000000dead", backend.ExecSpec{Cmd: []string{"true"}}); !errors.Is(err, backend.ErrNotFound) {
		return fmt.Errorf("Exec in an unknown machine: %v, want ErrNotFound", err)
	}
	if err := e.b.Stop(ctx, id); err != nil {
		return err
	}
	if _, err := ex.Exec(ctx, id, backend.ExecSpec{Cmd: []string{"true"}}); !errors.Is(err, backend.ErrInvalidState) {
		return fmt.Errorf("Exec in a stopped machine: %v, want ErrInvalidState", err)
	}
	return nil
}

// checkMetadataNetwork: the backend names an address, and lists the
// running machine's source address exactly once.
func checkMetadataNetwork(ctx context.Context, e *env) error {
	mn, ok := e.b.(backend.MetadataNetwork)
	if !ok {
		return errSkip
	}
	addr, err := mn.MetadataAddress(ctx)
	if errors.Is(err, backend.ErrUnsupported) {
		return errSkip
	}
	if err != nil || addr == "" {
		return fmt.Errorf("MetadataAddress: %q, %v", addr, err)
	}
	ids, err := e.run(ctx, 1, nil)
	if err != nil {
		return err
	}
	if err := e.waitState(ctx, ids, types.InstanceStateNameRunning); err != nil {
		return err
	}
	src, err := mn.MetadataSources(ctx)
	if err != nil {
		return fmt.Errorf("MetadataSources: %w", err)
	}
	n := 0
	for ip, id := range src {
		if id == ids[0] {
			n++
			if ip == "" || ip == addr {
				return fmt.Errorf("MetadataSources: machine %s has source address %q", id, ip)
			}
		}
	}
	if n != 1 {
		return fmt.Errorf("MetadataSources lists machine %s %d times, want once: %v", ids[0], n, src)
	}
	return nil
}
