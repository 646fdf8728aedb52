package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/dockertest"
)

// vboxSimEnv builds the VBoxManage simulator and returns the environment
// that puts it first on PATH with a home of the test's own.
func vboxSimEnv(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "VBoxManage"), "github.com/ec2emu/ec2emu/virtualbox/internal/vboxmanagesim").CombinedOutput(); err != nil {
		t.Fatalf("building the simulator: %v\n%s", err, out)
	}
	return []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "VBOXSIM_HOME=" + filepath.Join(dir, "home")}
}

// TestOneServerPerNamespace drives the standalone server as users would:
// a second server in a namespace the first owns exits non-zero saying
// which namespace and how to pick another, while the first keeps serving;
// once the first is killed with SIGKILL, a new one on this host starts at
// once, without waiting for a lease.
func TestOneServerPerNamespace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server")
	}
	bin := buildServer(t)
	for _, tt := range []struct {
		name string
		env  func(t *testing.T, ns string) []string
	}{
		{"docker", func(t *testing.T, ns string) []string {
			cli := dockertest.Require(t)
			dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns) // and its lock container
			return []string{"EC2_VM_MANAGER=docker", "EC2_MOUNT_DOCKER_SOCKET=0", "EC2_METADATA_NETWORK=off"}
		}},
		{"virtualbox", func(t *testing.T, ns string) []string {
			return append(vboxSimEnv(t), "EC2_VM_MANAGER=virtualbox")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ns := dockertest.Namespace(t)
			env := append(tt.env(t, ns), "EC2EMU_NAMESPACE="+ns)
			first := startProc(t, bin, env...)

			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0")
			cmd.Env = append(os.Environ(), env...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("second server ended with %v, want exit status 1\n%s", err, out)
			}
			for _, want := range []string{`namespace "` + ns + `"`, "EC2EMU_NAMESPACE", "held by process"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("second server's output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(string(out), "listening") {
				t.Errorf("the second server said it listens:\n%s", out)
			}
			describe := func(p *proc) error {
				c := ec2.New(ec2emutest.Client(p.endpoint, "us-east-1").Options(), func(o *ec2.Options) { o.RetryMaxAttempts = 1 })
				_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
				return err
			}
			if err := describe(first); err != nil {
				t.Errorf("the first server after the second was refused: %v", err)
			}

			if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-first.exited
			start := time.Now()
			third := startProc(t, bin, env...)
			if d := time.Since(start); d > 15*time.Second {
				t.Errorf("a server after the owner was killed took %v to listen; want at once", d)
			}
			if err := describe(third); err != nil {
				t.Errorf("the server that took over: %v", err)
			}
			if err := third.stop(); err != nil {
				t.Errorf("the server that took over did not exit cleanly: %v", err)
			}
		})
	}
}
