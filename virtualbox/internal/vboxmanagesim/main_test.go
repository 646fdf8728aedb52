package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/internal/testutil"
	"github.com/google/go-cmp/cmp"
	vbox "github.com/terra-farm/go-virtualbox"
)

// binDir holds the simulator built as "VBoxManage"; it is first on PATH so
// go-virtualbox finds it.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "vboxsim-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		build := exec.Command("go", "build", "-o", filepath.Join(dir, "VBoxManage"), ".")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building simulator:", err)
			return 1
		}
		binDir = dir
		os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
		return m.Run()
	}())
}

// sim runs the simulator in-process against home.
type sim struct {
	t    *testing.T
	home string
	env  map[string]string
}

func newSim(t *testing.T) *sim {
	return &sim{t: t, home: t.TempDir(), env: map[string]string{}}
}

type result struct {
	Code           int
	Stdout, Stderr string
}

func (s *sim) run(args ...string) result {
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == "VBOXSIM_HOME" {
			return s.home
		}
		return s.env[k]
	}
	code := run(args, getenv, &out, &errb)
	return result{code, out.String(), errb.String()}
}

// must runs a command that has to succeed and returns its stdout.
func (s *sim) must(args ...string) string {
	s.t.Helper()
	r := s.run(args...)
	if r.Code != 0 {
		s.t.Fatalf("VBoxManage %s: exit %d: %s", strings.Join(args, " "), r.Code, r.Stderr)
	}
	return r.Stdout
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// scrub replaces what varies between runs so outputs compare.
func scrub(s string) string { return uuidRE.ReplaceAllString(s, "UUID") }

func TestOutputFormats(t *testing.T) {
	s := newSim(t)
	s.must("createvm", "--name", "tpl", "--ostype", "Ubuntu_64", "--register")
	s.must("setextradata", "tpl", "b/key", "two words")
	s.must("setextradata", "tpl", "a/key", "1")
	s.must("guestproperty", "set", "tpl", "/ec2emu/x", "v")

	tests := []struct {
		args []string
		want result
	}{
		{[]string{"list", "vms"}, result{0, "\"tpl\" {UUID}\n", ""}},
		{[]string{"list", "runningvms"}, result{0, "", ""}},
		{[]string{"getextradata", "tpl", "a/key"}, result{0, "Value: 1\n", ""}},
		{[]string{"getextradata", "tpl", "nope"}, result{0, "No value set!\n", ""}},
		{[]string{"getextradata", "tpl", "enumerate"}, result{0, "Key: a/key, Value: 1\nKey: b/key, Value: two words\n", ""}},
		{[]string{"guestproperty", "get", "tpl", "/ec2emu/x"}, result{0, "Value: v\n", ""}},
		{[]string{"guestproperty", "get", "tpl", "/ec2emu/y"}, result{0, "No value set!\n", ""}},
		{[]string{"showvminfo", "ghost", "--machinereadable"}, result{1, "",
			"VBoxManage: error: Could not find a registered machine named 'ghost'\n" +
				"VBoxManage: error: Details: code VBOX_E_OBJECT_NOT_FOUND (0x80bb0001), component VirtualBoxWrap, interface IVirtualBox, callee nsISupports\n"}},
		{[]string{"controlvm", "tpl", "poweroff"}, result{1, "", "VBoxManage: error: Machine 'tpl' is not currently running\n"}},
		{[]string{"frobnicate"}, result{2, "", "VBoxManage: error: Invalid command 'frobnicate'\n"}},
		{[]string{"guestproperty", "set", "tpl", "/p", strings.Repeat("x", 200)}, result{1, "", "VBoxManage: error: The value of property '/p' is too long (200, max 127)\n"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got := s.run(tt.args...)
			got.Stdout, got.Stderr = scrub(got.Stdout), scrub(got.Stderr)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestMachineReadableSnapshots(t *testing.T) {
	s := newSim(t)
	s.must("createvm", "--name", "tpl", "--register")
	s.must("snapshot", "tpl", "take", "one")
	s.must("snapshot", "tpl", "take", "two")
	out := scrub(s.must("showvminfo", "tpl", "--machinereadable"))
	for _, want := range []string{
		`SnapshotName="one"`, `SnapshotName-1="two"`,
		`CurrentSnapshotName="two"`, `CurrentSnapshotNode="SnapshotName-1"`,
		`VMState="poweroff"`, `name="tpl"`, `UUID="UUID"`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("showvminfo lacks %s:\n%s", want, out)
		}
	}
}

func TestGuestSimulation(t *testing.T) {
	s := newSim(t)
	s.env["VBOXSIM_BOOT_DELAY"] = "150ms"
	s.must("createvm", "--name", "vm", "--register")
	s.must("startvm", "vm", "--type", "headless")
	if got := s.must("guestproperty", "get", "vm", "/VirtualBox/GuestInfo/Net/0/V4/IP"); got != "No value set!\n" {
		t.Errorf("IP before boot = %q", got)
	}
	testutil.Until(t, 5*time.Second, "the simulator's state", func() bool {
		return strings.HasPrefix(s.must("guestproperty", "get", "vm", "/VirtualBox/GuestInfo/Net/0/V4/IP"), "Value: 10.77.")
	})

	// A guest that ignores ACPI keeps running until powered off.
	s.must("setextradata", "vm", "vboxsim/IgnoreACPI", "1")
	s.must("controlvm", "vm", "acpipowerbutton")
	if got := s.must("showvminfo", "vm", "--machinereadable"); !strings.Contains(got, `VMState="running"`) {
		t.Errorf("after ignored ACPI: %s", got)
	}
	s.must("controlvm", "vm", "poweroff")
	if got := s.must("guestproperty", "enumerate", "vm"); strings.Contains(got, "GuestInfo") {
		t.Errorf("transient properties survived poweroff:\n%s", got)
	}

	// A guest that obeys ACPI powers off after its delay.
	s.must("setextradata", "vm", "vboxsim/IgnoreACPI")
	s.must("setextradata", "vm", "vboxsim/ACPIDelay", "100ms")
	s.must("startvm", "vm")
	s.must("controlvm", "vm", "acpipowerbutton")
	testutil.Until(t, 5*time.Second, "the simulator's state", func() bool {
		return strings.Contains(s.must("showvminfo", "vm", "--machinereadable"), `VMState="poweroff"`)
	})
}

func TestLinkedClonePinsParent(t *testing.T) {
	s := newSim(t)
	s.must("createvm", "--name", "tpl", "--register")
	s.must("setextradata", "tpl", "k", "inherited")
	if r := s.run("clonevm", "tpl", "--name", "c", "--options", "link", "--register"); r.Code != 1 {
		t.Errorf("linked clone without snapshot: %+v", r)
	}
	s.must("snapshot", "tpl", "take", "base")
	s.must("clonevm", "tpl", "--snapshot", "base", "--options", "link", "--name", "c", "--register")
	if got := s.must("getextradata", "c", "k"); got != "Value: inherited\n" {
		t.Errorf("clone extradata = %q", got)
	}
	if r := s.run("unregistervm", "tpl", "--delete"); r.Code != 1 {
		t.Errorf("deleting a parent of a linked clone: %+v", r)
	}
	s.must("unregistervm", "c", "--delete")
	s.must("unregistervm", "tpl", "--delete")
	if got := s.must("list", "vms"); got != "" {
		t.Errorf("list vms after delete = %q", got)
	}
	if _, err := os.Stat(filepath.Join(s.home, "VirtualBox VMs", "tpl")); !os.IsNotExist(err) {
		t.Errorf("settings folder kept after --delete: %v", err)
	}
}

// TestGoVirtualbox drives the simulator through go-virtualbox's own code,
// so its parsers must accept what the simulator prints.
func TestGoVirtualbox(t *testing.T) {
	home := t.TempDir()
	t.Setenv("VBOXSIM_HOME", home)

	m, err := vbox.CreateMachine("gv", "")
	if err != nil {
		t.Fatal(err)
	}
	if m.State != vbox.Poweroff || m.CPUs != 1 || m.Memory != 128 || len(m.NICs) != 1 || m.NICs[0].Network != vbox.NICNetNAT {
		t.Errorf("CreateMachine = %+v", m)
	}
	m.CPUs, m.Memory = 2, 256
	if err := m.Modify(); err != nil {
		t.Fatal(err)
	}
	if m.CPUs != 2 || m.Memory != 256 {
		t.Errorf("after Modify: cpus=%d memory=%d", m.CPUs, m.Memory)
	}
	if v, err := m.GetExtraData("missing"); err != nil || v != nil {
		t.Errorf("GetExtraData(missing) = %v, %v", v, err)
	}
	if err := m.SetExtraData("ec2emu/k", "a value"); err != nil {
		t.Fatal(err)
	}
	if v, err := m.GetExtraData("ec2emu/k"); err != nil || v == nil || *v != "a value" {
		t.Errorf("GetExtraData = %v, %v", v, err)
	}
	if err := vbox.SetGuestProperty("gv", "/ec2emu/p", "val"); err != nil {
		t.Fatal(err)
	}
	if v, err := vbox.GetGuestProperty("gv", "/ec2emu/p"); err != nil || v != "val" {
		t.Errorf("GetGuestProperty = %q, %v", v, err)
	}
	if err := vbox.CloneMachine("gv", "gv2", true); err != nil {
		t.Fatal(err)
	}
	ms, err := vbox.ListMachines()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
	}
	if diff := cmp.Diff([]string{"gv", "gv2"}, names); diff != "" {
		t.Errorf("ListMachines (-want +got)\n%s", diff)
	}

	steps := []struct {
		name string
		do   func() error
		want vbox.MachineState
	}{
		{"Start", m.Start, vbox.Running},
		{"Pause", m.Pause, vbox.Paused},
		{"Start (resume)", m.Start, vbox.Running},
		{"Reset", m.Reset, vbox.Running},
		{"Stop (ACPI)", m.Stop, vbox.Poweroff},
		{"Start again", m.Start, vbox.Running},
		{"Save", m.Save, vbox.Saved},
		{"Start from saved", m.Start, vbox.Running},
		{"Poweroff", m.Poweroff, vbox.Poweroff},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if err := m.Refresh(); err != nil {
			t.Fatalf("%s: Refresh: %v", st.name, err)
		}
		if m.State != st.want {
			t.Fatalf("%s: state %q, want %q", st.name, m.State, st.want)
		}
	}
	if err := m.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := vbox.GetMachine("gv"); err != vbox.ErrMachineNotExist {
		t.Errorf("GetMachine after Delete: %v, want ErrMachineNotExist", err)
	}
}

// TestConcurrentInvocations checks that the flock serialises processes: no
// write is lost when many VBoxManage processes change one machine at once.
func TestConcurrentInvocations(t *testing.T) {
	home := t.TempDir()
	t.Setenv("VBOXSIM_HOME", home)
	bin := filepath.Join(binDir, "VBoxManage")
	if out, err := exec.Command(bin, "createvm", "--name", "c", "--register").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	const n = 12
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if out, err := exec.Command(bin, "setextradata", "c", fmt.Sprintf("k%02d", i), "v").CombinedOutput(); err != nil {
				t.Errorf("%v: %s", err, out)
			}
		})
	}
	wg.Wait()
	out, err := exec.Command(bin, "getextradata", "c", "enumerate").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(out), "Key: k"); got != n {
		t.Errorf("%d keys survived, want %d:\n%s", got, n, out)
	}
}

// TestCreateVMArbitrates: of processes creating one machine name at once,
// exactly one succeeds, as VirtualBox's settings file decides; the others
// fail as VBoxManage does. The winner's UUID addresses it afterwards.
func TestCreateVMArbitrates(t *testing.T) {
	home := t.TempDir()
	bin := filepath.Join(binDir, "VBoxManage")
	const n = 8
	type res struct {
		err         error
		out, stderr string
	}
	results := make(chan res, n)
	for range n {
		go func() {
			cmd := exec.Command(bin, "createvm", "--name", "ec2emu-lock.ns", "--register")
			cmd.Env = append(os.Environ(), "VBOXSIM_HOME="+home)
			var out, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &stderr
			err := cmd.Run()
			results <- res{err, out.String(), stderr.String()}
		}()
	}
	var won []string
	for range n {
		r := <-results
		if r.err == nil {
			won = append(won, r.out)
			continue
		}
		if !strings.Contains(r.stderr, "already exists") || !strings.Contains(r.stderr, "VBOX_E_FILE_ERROR") {
			t.Errorf("a losing createvm: %v: %s", r.err, r.stderr)
		}
	}
	if len(won) != 1 {
		t.Fatalf("%d createvm succeeded, want 1", len(won))
	}
	uuid := uuidRE.FindString(won[0])
	s := &sim{t: t, home: home, env: map[string]string{}}
	s.must("setextradata", uuid, "k", "v")
	if got := s.must("getextradata", "ec2emu-lock.ns", "k"); got != "Value: v\n" {
		t.Errorf("getextradata by name after setextradata by UUID: %q", got)
	}
	s.must("unregistervm", uuid, "--delete")
	s.must("createvm", "--name", "ec2emu-lock.ns", "--register")
}
