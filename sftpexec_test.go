package ec2emu

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/sftp"

	"github.com/ec2emu/ec2emu/backend"
)

// hostExecer runs commands on the test's own host: enough to check the
// SFTP handlers without a container.
type hostExecer struct{}

func (hostExecer) Exec(ctx context.Context, id string, spec backend.ExecSpec) (int, error) {
	cmd := exec.CommandContext(ctx, spec.Cmd[0], spec.Cmd[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = spec.Stdin, spec.Stdout, spec.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, err
}

func TestSFTPOverExec(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	a, b := net.Pipe()
	go s.serveSFTP(t.Context(), hostExecer{}, "i-1", "", a)
	c, err := sftp.NewClientPipe(b, b)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	f, err := c.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	payload := strings.Repeat("x", 100000)
	if _, err := f.Write([]byte(payload)); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(int64(len(payload))); err != nil {
		t.Fatalf("truncate: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	got, _ := os.ReadFile(p)
	if string(got) != payload {
		t.Fatalf("wrote %d bytes, want %d", len(got), len(payload))
	}
	r, err := c.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	back, _ := io.ReadAll(r)
	r.Close()
	if string(back) != payload {
		t.Errorf("read %d bytes", len(back))
	}
	if err := c.Mkdir(filepath.Join(dir, "d")); err != nil {
		t.Fatal(err)
	}
	fis, err := c.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fi := range fis {
		names = append(names, fi.Name())
	}
	if strings.Join(names, ",") != "d,f.txt" {
		t.Errorf("ReadDir: %v", names)
	}
	if _, err := c.Stat(filepath.Join(dir, "nope")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat of a missing file: %v, want not exist", err)
	}
}
