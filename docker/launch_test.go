package docker_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"

	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

func TestLaunchContainer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := newID(t)
	meta := map[string]string{"reservation-id": "r-1234", "tag:Name": "web server", "empty": ""}
	m := e.launch(t, backend.LaunchSpec{InstanceID: id, KeyName: "k", Metadata: meta})

	info := e.inspect(t, id)
	if got, want := info.Name, "/"+docker.ContainerPrefix+id; got != want {
		t.Errorf("container name = %q, want %q", got, want)
	}
	wantLabels := map[string]string{
		docker.LabelNamespace:                     e.ns,
		docker.LabelInstanceID:                    id,
		docker.LabelImageID:                       e.ami,
		docker.LabelInstanceType:                  "t3.micro",
		docker.LabelKeyName:                       "k",
		docker.LabelMetaPrefix + "reservation-id": "r-1234",
		docker.LabelMetaPrefix + "tag:Name":       "web server",
		docker.LabelMetaPrefix + "empty":          "",
	}
	for k, want := range wantLabels {
		if got, ok := info.Config.Labels[k]; !ok || got != want {
			t.Errorf("label %s = %q (present %v), want %q", k, got, ok, want)
		}
	}
	if info.State.Status != "running" {
		t.Errorf("state = %q, want running", info.State.Status)
	}
	if info.HostConfig.Privileged {
		t.Error("container is privileged")
	}
	ip := info.NetworkSettings.Networks["bridge"].IPAddress
	want := backend.Machine{ID: id, ImageID: e.ami, State: backend.StateRunning, PrivateIP: ip, LaunchTime: m.LaunchTime, Metadata: meta}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("Launch machine (-want +got):\n%s", diff)
	}
	if ip == "" || m.LaunchTime.IsZero() {
		t.Errorf("PrivateIP %q, LaunchTime %v: want both set", ip, m.LaunchTime)
	}
}

func TestStopStartReboot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.launch(t, backend.LaunchSpec{UserData: []byte("echo booted\n")}).ID
	e.waitBoot(t, id)
	ctx := t.Context()

	steps := []struct {
		name string
		do   func() error
		want container.ContainerState
	}{
		{"stop", func() error { return e.b.Stop(ctx, id) }, container.StatePaused},
		{"stop again", func() error { return e.b.Stop(ctx, id) }, container.StatePaused},
		{"start", func() error { return e.b.Start(ctx, id) }, container.StateRunning},
		{"start again", func() error { return e.b.Start(ctx, id) }, container.StateRunning},
		{"reboot", func() error { return e.b.Reboot(ctx, id) }, container.StateRunning},
		{"killed behind our back", func() error { return e.cli.ContainerKill(ctx, docker.ContainerPrefix+id, "KILL") }, container.StateExited},
		{"stop exited", func() error { return e.b.Stop(ctx, id) }, container.StateExited},
		{"start exited", func() error { return e.b.Start(ctx, id) }, container.StateRunning},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.name == "killed behind our back" {
			testutil.WaitFor(t, 10*time.Second, "exit", func() (bool, string) {
				st := e.status(t, id)
				return st == container.StateExited, string(st)
			})
		}
		if got := e.status(t, id); got != s.want {
			t.Fatalf("after %s: state %q, want %q", s.name, got, s.want)
		}
	}
	// User data ran once, not again at reboot or restart.
	out, _ := e.exec(t, id, "cat", "/var/log/cloud-init-output.log")
	if diff := cmp.Diff("booted\n", out); diff != "" {
		t.Errorf("cloud-init-output.log after restarts (-want +got):\n%s", diff)
	}
}

func TestFirstBoot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMP test@example"
	tests := []struct {
		name     string
		userData string
		wantLog  string
		key      string
		wantKeys string // "" means no authorized_keys
	}{
		{name: "shell script", userData: "echo hello\necho oops >&2\nid -u\n", wantLog: "hello\noops\n0\n", key: key, wantKeys: key + "\n"},
		{name: "shebang", userData: "#!/bin/sh -e\necho \"shebang $1\"\n", wantLog: "shebang \n"},
		{name: "quotes and dollars", userData: "x='a b'; echo \"$x\" '$HOME' `echo c`\n", wantLog: "a b $HOME c\n"},
		{name: "binary bytes", userData: "echo bin # \x01\x00\xff\n", wantLog: "bin\n"},
		{name: "none", key: key, wantKeys: key + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id := e.launch(t, backend.LaunchSpec{UserData: []byte(tt.userData), PublicKey: tt.key}).ID
			e.waitBoot(t, id)
			if tt.userData != "" {
				got, _ := e.exec(t, id, "cat", "/var/log/cloud-init-output.log")
				if diff := cmp.Diff(tt.wantLog, got); diff != "" {
					t.Errorf("cloud-init-output.log (-want +got):\n%s", diff)
				}
				stored, _ := e.exec(t, id, "cat", "/var/lib/cloud/instances/"+id+"/user-data.txt")
				if diff := cmp.Diff(tt.userData, stored); diff != "" {
					t.Errorf("stored user data (-want +got):\n%s", diff)
				}
			} else if _, code := e.exec(t, id, "test", "-e", "/var/log/cloud-init-output.log"); code == 0 {
				t.Error("cloud-init-output.log exists without user data")
			}
			keys, code := e.exec(t, id, "cat", "/root/.ssh/authorized_keys")
			if code != 0 {
				keys = ""
			}
			if diff := cmp.Diff(tt.wantKeys, keys); diff != "" {
				t.Errorf("authorized_keys (-want +got):\n%s", diff)
			}
			if tt.wantKeys != "" {
				modes, _ := e.exec(t, id, "stat", "-c", "%a %n", "/root/.ssh", "/root/.ssh/authorized_keys")
				if diff := cmp.Diff("700 /root/.ssh\n600 /root/.ssh/authorized_keys\n", modes); diff != "" {
					t.Errorf("modes (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestDockerSocket(t *testing.T) {
	t.Parallel()
	for _, mount := range []bool{true, false} {
		t.Run(fmt.Sprint(mount), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, docker.WithDockerSocket(mount))
			id := e.launch(t, backend.LaunchSpec{}).ID
			var got []string
			for _, m := range e.inspect(t, id).Mounts {
				if m.Destination != backend.VolumeRoot { // volumes.go
					got = append(got, m.Destination)
				}
			}
			var want []string
			if mount {
				want = []string{"/var/run/docker.sock"}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mounts (-want +got):\n%s", diff)
			}
			_, code := e.exec(t, id, "test", "-S", "/var/run/docker.sock")
			if (code == 0) != mount {
				t.Errorf("socket present = %v, want %v", code == 0, mount)
			}
		})
	}
}

// TestImageCommand checks that the image's own command runs, and that the
// instance stays up when it exits at once.
func TestImageCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name    string
		changes []string
		want    string
	}{
		{"cmd exits at once", []string{`CMD ["sh", "-c", "echo started; exit 3"]`}, "started\n"},
		{"entrypoint and cmd", []string{`ENTRYPOINT ["echo", "from"]`, `CMD ["entrypoint"]`}, "from entrypoint\n"},
		{"shell cmd with workdir", []string{`WORKDIR /tmp`, `CMD pwd`}, "/tmp\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ami := e.commitImage(t, tt.changes...)
			id := e.launch(t, backend.LaunchSpec{ImageID: ami}).ID
			var out []byte
			testutil.WaitFor(t, 20*time.Second, "console output", func() (bool, string) {
				var err error
				out, err = e.b.ConsoleOutput(t.Context(), id)
				return err == nil && len(out) > 0, fmt.Sprint(string(out), err)
			})
			if diff := cmp.Diff(tt.want, string(out)); diff != "" {
				t.Errorf("console output (-want +got):\n%s", diff)
			}
			// The command has finished (it printed); the instance runs on.
			if st := e.status(t, id); st != container.StateRunning {
				t.Errorf("state after the image's command exited = %q, want running", st)
			}
		})
	}
}

func TestTerminate(t *testing.T) {
	t.Parallel()
	for _, remove := range []bool{true, false} {
		t.Run(fmt.Sprintf("remove=%v", remove), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, docker.WithRemoveContainers(remove))
			// The image's command ignores SIGTERM.
			ami := e.commitImage(t, `CMD ["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"]`)
			for _, paused := range []bool{false, true} {
				id := e.launch(t, backend.LaunchSpec{ImageID: ami}).ID
				testutil.WaitFor(t, 20*time.Second, "ready", func() (bool, string) {
					out, err := e.b.ConsoleOutput(t.Context(), id)
					return err == nil && string(out) == "ready\n", string(out)
				})
				if paused {
					if err := e.b.Stop(t.Context(), id); err != nil {
						t.Fatal(err)
					}
				}
				// Generous: only a hang must fail, not a slow machine.
				if err := e.b.Terminate(ctxTimeout(t, 8*time.Second), id); err != nil {
					t.Fatalf("Terminate (paused %v): %v", paused, err)
				}
				_, err := e.cli.ContainerInspect(t.Context(), docker.ContainerPrefix+id)
				if !cerrdefs.IsNotFound(err) {
					t.Errorf("container %s still there after Terminate (paused %v): %v", id, paused, err)
				}
				if !remove {
					kept, err := e.cli.ContainerInspect(t.Context(), docker.ContainerPrefix+id+".terminated")
					if err != nil {
						t.Fatalf("kept container: %v", err)
					}
					if kept.State.Running {
						t.Errorf("kept container still running")
					}
				}
				// Gone is not an error.
				if err := e.b.Terminate(t.Context(), id); err != nil {
					t.Errorf("second Terminate: %v", err)
				}
				ms, err := e.b.Machines(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					if m.ID == id {
						t.Errorf("Machines lists terminated %s: %+v", id, m)
					}
				}
			}
		})
	}
}

// TestLaunchConcurrent launches several instances at once, as MaxCount does.
func TestLaunchConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 5
	var wg sync.WaitGroup
	ms := make([]backend.Machine, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			ms[i], errs[i] = e.b.Launch(t.Context(), backend.LaunchSpec{InstanceID: newID(t), ImageID: e.ami})
		})
	}
	wg.Wait()
	ips := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("launch %d: %v", i, errs[i])
		}
		if ms[i].State != backend.StateRunning || ms[i].PrivateIP == "" || ips[ms[i].PrivateIP] {
			t.Errorf("launch %d: %+v (state running and a distinct IP wanted)", i, ms[i])
		}
		ips[ms[i].PrivateIP] = true
	}
}
