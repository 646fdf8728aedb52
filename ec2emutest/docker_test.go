package ec2emutest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// The child process's settings: what TestDockerChild does at the end, the
// AMI it launches, and the file it reports its namespace in.
const (
	envChild = "EC2EMUTEST_CHILD"
	envAMI   = "EC2EMUTEST_AMI"
	envOut   = "EC2EMUTEST_OUT"
)

// TestDockerChild is the test a child process runs for
// TestDockerLeavesNothing: it opens a docker Server, launches an instance,
// waits until it runs, reports its namespace, and then ends as told.
func TestDockerChild(t *testing.T) {
	mode := os.Getenv(envChild)
	if mode == "" {
		t.Skip("run by TestDockerLeavesNothing in a child process")
	}
	srv := ec2emutest.Open(t, "docker")
	launchRunning(t, srv.Client, os.Getenv(envAMI))
	tmp := os.Getenv(envOut) + ".tmp"
	if err := os.WriteFile(tmp, []byte(srv.Namespace), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, os.Getenv(envOut)); err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "fail":
		t.Error("failing on purpose")
	case "panic":
		panic("panicking on purpose")
	case "hang":
		<-make(chan struct{}) // until the parent kills the process
	}
}

// TestDockerLeavesNothing: a test using Open over the docker backend leaves
// no container behind whether it passes, fails or panics, and one whose
// process is killed before its cleanups run has its containers removed by
// the next Open.
func TestDockerLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker")
	}
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	for _, tt := range []struct {
		mode     string
		wantExit bool   // the child exits non-zero
		wantOut  string // in its output
	}{
		{"pass", false, "--- PASS: TestDockerChild"},
		{"fail", true, "failing on purpose"},
		{"panic", true, "panic: panicking on purpose"},
		{"hang", true, ""},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "namespace")
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestDockerChild$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), envChild+"="+tt.mode, envAMI+"="+ami, envOut+"="+out)
			var output strings.Builder
			cmd.Stdout, cmd.Stderr = &output, &output
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var ns string
			if tt.mode == "hang" {
				testutil.WaitFor(t, 2*time.Minute, "the child to report its namespace", func() (bool, string) {
					b, err := os.ReadFile(out)
					ns = string(b)
					return err == nil, fmt.Sprint(err)
				})
				dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
				// Killed, the child runs no cleanup: its instance stays.
				cmd.Process.Kill()
				cmd.Wait()
				if n, l := containers(t, cli, ns), lockContainers(t, cli, ns); n != 1 || l != 1 {
					t.Fatalf("a killed test left %d containers and %d lock containers, want its 1 and 1 (the test cannot show reaping)", n, l)
				}
				ec2emutest.Open(t, "docker") // reaps what dead processes left
			} else {
				err := cmd.Wait()
				var exit *exec.ExitError
				if exited := errors.As(err, &exit); exited != tt.wantExit || (err != nil && !exited) {
					t.Fatalf("child exited with %v, want non-zero exit %v\n%s", err, tt.wantExit, output.String())
				}
				if !strings.Contains(output.String(), tt.wantOut) {
					t.Fatalf("child output lacks %q:\n%s", tt.wantOut, output.String())
				}
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatalf("child reported no namespace: %v\n%s", err, output.String())
				}
				ns = string(b)
				dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
			}
			if n := containers(t, cli, ns); n != 0 {
				t.Errorf("%d containers left in namespace %s\n%s", n, ns, output.String())
			}
			if n := lockContainers(t, cli, ns); n != 0 {
				t.Errorf("%d lock containers left for namespace %s\n%s", n, ns, output.String())
			}
		})
	}
}

// TestDockerParallelIsolation: two tests running at once, each with its own
// Open, see only their own instances.
func TestDockerParallelIsolation(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker")
	}
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	var launched sync.WaitGroup
	launched.Add(2)
	both := make(chan struct{})
	go func() { launched.Wait(); close(both) }()
	for _, name := range []string{"a", "b"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := ec2emutest.Open(t, "docker")
			id := launchRunning(t, srv.Client, ami)
			launched.Done()
			select {
			case <-both:
			case <-time.After(3 * time.Minute):
				t.Fatal("the other test never launched (it needs -parallel 2 or more)")
			}
			out, err := srv.Client.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range out.Reservations {
				for _, i := range r.Instances {
					got = append(got, *i.InstanceId)
				}
			}
			if diff := cmp.Diff([]string{id}, got); diff != "" {
				t.Errorf("instances described (-want +got):\n%s", diff)
			}
		})
	}
}

// launchRunning launches one instance of ami and waits until it runs.
func launchRunning(t *testing.T, c *ec2.Client, ami string) string {
	t.Helper()
	ctx := t.Context()
	out, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	id := *out.Instances[0].InstanceId
	testutil.WaitStates(t, c, 2*time.Minute, types.InstanceStateNameRunning, id)
	return id
}

// lockContainers counts namespace ns's lock containers.
func lockContainers(t *testing.T, cli *client.Client, ns string) int {
	t.Helper()
	list, err := cli.ContainerList(t.Context(), container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", docker.LabelLock+"="+ns))})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// containers counts the containers, running or not, in namespace ns.
func containers(t *testing.T, cli *client.Client, ns string) int {
	t.Helper()
	list, err := cli.ContainerList(t.Context(), container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", docker.LabelNamespace+"="+ns))})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}
