package virtualbox

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/testutil"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The suite runs against the VBoxManage simulator unless EC2EMU_VBOX_REAL=1,
// which uses the real VBoxManage on PATH and the template VM named by
// EC2EMU_VBOX_TEMPLATE (in the AMI scheme).
var (
	realVBox   = os.Getenv("EC2EMU_VBOX_REAL") == "1"
	templateVM string // the AMI template all tests launch from
	templateID string
	simPath    string // the simulator binary, when simulating
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		if realVBox {
			templateVM = os.Getenv("EC2EMU_VBOX_TEMPLATE")
			if _, id, ok := parseImageName(templateVM); ok {
				templateID = id
				return m.Run()
			}
			fmt.Fprintf(os.Stderr, "EC2EMU_VBOX_TEMPLATE=%q: want a VM named %s<AmiName>.<AmiId>\n", templateVM, ImagePrefix)
			return 1
		}
		dir, err := os.MkdirTemp("", "ec2emu-vbox")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		simPath = filepath.Join(dir, "bin", "VBoxManage")
		build := exec.Command("go", "build", "-o", simPath, "github.com/ec2emu/ec2emu/virtualbox/internal/vboxmanagesim")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building the VBoxManage simulator:", err)
			return 1
		}
		// Before any go-virtualbox call: it looks VBoxManage up once.
		os.Setenv("PATH", filepath.Dir(simPath)+string(os.PathListSeparator)+os.Getenv("PATH"))
		os.Setenv("VBOXSIM_HOME", filepath.Join(dir, "home"))
		os.Setenv("VBOXSIM_BOOT_DELAY", "50ms")
		templateID = "ami-0123456789abcdef0"
		templateVM = ImagePrefix + "test-image." + templateID
		if out, err := exec.Command("VBoxManage", "createvm", "--name", templateVM, "--ostype", "Ubuntu_64", "--register").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "registering the template: %v: %s\n", err, out)
			return 1
		}
		return m.Run()
	}())
}

// vbm runs VBoxManage directly, as a user would behind the backend's back.
func vbm(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("VBoxManage", args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("VBoxManage %s: %v: %s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

func simOnly(t *testing.T) {
	t.Helper()
	if realVBox {
		t.Skip("needs the VBoxManage simulator")
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// newBackend opens a backend in a namespace of the test's own and removes
// the test's instances afterwards.
func newBackend(t *testing.T, opts ...Option) *Backend {
	t.Helper()
	all := append([]Option{
		WithNamespace("test-" + t.Name()),
		WithStopTimeout(5 * time.Second),
		WithPollInterval(20 * time.Millisecond),
		WithIPWait(2 * time.Second),
		WithWatchInterval(50 * time.Millisecond),
	}, opts...)
	b, err := New(testCtx(t), all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		ms, _ := b.Machines(ctx)
		for _, m := range ms {
			if err := b.Terminate(ctx, m.ID); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
		b.Close()
	})
	return b
}

func newID(prefix string) string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)[:17]
}

func launch(t *testing.T, b *Backend, image string, mod ...func(*backend.LaunchSpec)) backend.Machine {
	t.Helper()
	spec := backend.LaunchSpec{InstanceID: newID("i-"), ImageID: image, InstanceType: "t3.micro"}
	for _, f := range mod {
		f(&spec)
	}
	m, err := b.Launch(testCtx(t), spec)
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	return m
}

// machines returns the backend's machines by ID.
func machines(t *testing.T, b *Backend) map[string]backend.Machine {
	t.Helper()
	ms, err := b.Machines(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]backend.Machine{}
	for _, m := range ms {
		out[m.ID] = m
	}
	return out
}

func stateOf(t *testing.T, b *Backend, id string) backend.State {
	t.Helper()
	m, ok := machines(t, b)[id]
	if !ok {
		return backend.StateTerminated
	}
	return m.State
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ctx := testCtx(t)
	before := time.Now().UTC()
	m := launch(t, b, templateID, func(s *backend.LaunchSpec) {
		s.Metadata = map[string]string{"reservation": "r-1", "tag:Name": "web 1"}
	})
	want := backend.Machine{ID: m.ID, ImageID: templateID, State: backend.StateRunning, Metadata: map[string]string{"reservation": "r-1", "tag:Name": "web 1"}}
	if diff := cmp.Diff(want, m, cmpopts.IgnoreFields(backend.Machine{}, "LaunchTime", "PrivateIP")); diff != "" {
		t.Errorf("Launch (-want +got)\n%s", diff)
	}
	if m.LaunchTime.Before(before.Add(-time.Second)) || time.Since(m.LaunchTime) > time.Minute {
		t.Errorf("LaunchTime = %v", m.LaunchTime)
	}
	if !realVBox && !strings.HasPrefix(m.PrivateIP, "10.77.") {
		t.Errorf("PrivateIP = %q, want the simulated guest's", m.PrivateIP)
	}

	steps := []struct {
		name string
		do   func(context.Context, string) error
		want backend.State
	}{
		{"Stop", b.Stop, backend.StateStopped},
		{"Stop again", b.Stop, backend.StateStopped},
		{"Start", b.Start, backend.StateRunning},
		{"Start again", b.Start, backend.StateRunning},
		{"Reboot", b.Reboot, backend.StateRunning},
		{"Terminate", b.Terminate, backend.StateTerminated},
		{"Terminate again", b.Terminate, backend.StateTerminated},
	}
	for _, st := range steps {
		if err := st.do(ctx, m.ID); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := stateOf(t, b, m.ID); got != st.want {
			t.Fatalf("after %s: state %s, want %s", st.name, got, st.want)
		}
	}
	for name, do := range map[string]func(context.Context, string) error{"Stop": b.Stop, "Start": b.Start, "Reboot": b.Reboot} {
		if err := do(ctx, m.ID); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("%s of a terminated instance: %v, want ErrNotFound", name, err)
		}
	}
	if _, err := b.CreateImage(ctx, m.ID, backend.ImageSpec{ImageID: "ami-00000000000000001", Name: "x"}); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("CreateImage of a terminated instance: %v, want ErrNotFound", err)
	}
	if _, err := b.Launch(ctx, backend.LaunchSpec{InstanceID: newID("i-"), ImageID: "ami-00000000000000404"}); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("Launch of an unknown image: %v, want ErrNotFound", err)
	}
}

func TestGuestData(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	userData := make([]byte, 1000) // several parts
	_, _ = rand.Read(userData)
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq3yNfT0hHk3Z5mCqv5tDO0b2hNSaGm0R7X1w2pU8xA test@ec2emu"
	m := launch(t, b, templateID, func(s *backend.LaunchSpec) {
		s.UserData, s.KeyName, s.PublicKey = userData, "my-key", key
	})
	vm := instanceName(m.ID)
	prop := func(name string) string {
		out := vbm(t, "guestproperty", "get", vm, name)
		v, ok := strings.CutPrefix(strings.TrimSpace(out), "Value: ")
		if !ok {
			t.Fatalf("guest property %s: %q", name, out)
		}
		return v
	}
	blob := func(path string) []byte {
		n, err := strconv.Atoi(prop(path + "/parts"))
		if err != nil {
			t.Fatal(err)
		}
		var enc strings.Builder
		for i := range n {
			enc.WriteString(prop(path + "/" + strconv.Itoa(i)))
		}
		b, err := base64.StdEncoding.DecodeString(enc.String())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if got := blob(PropUserData); !slices.Equal(got, userData) {
		t.Errorf("user data read back differs (%d bytes, want %d)", len(got), len(userData))
	}
	if got := string(blob(PropPublicKey)); got != key {
		t.Errorf("public key = %q", got)
	}
	got := map[string]string{}
	for _, p := range []string{PropInstanceID, PropImageID, PropInstanceType, PropKeyName} {
		got[p] = prop(p)
	}
	want := map[string]string{PropInstanceID: m.ID, PropImageID: templateID, PropInstanceType: "t3.micro", PropKeyName: "my-key"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("guest properties (-want +got)\n%s", diff)
	}
	ed, err := cli{path: "VBoxManage"}.extraData(testCtx(t), vm)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{keyInstanceID: m.ID, keyNamespace: b.ns, keyImageID: templateID, keyInstanceType: "t3.micro"} {
		if ed[k] != v {
			t.Errorf("extradata %s = %q, want %q", k, ed[k], v)
		}
	}
}

func TestConcurrentLaunches(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ctx := testCtx(t)
	tpl, ami := templateVM, templateID
	if !realVBox {
		// A template of its own, to count its snapshots.
		ami = "ami-00000000000c0c0c0"
		tpl = ImagePrefix + "concurrent." + ami
		vbm(t, "createvm", "--name", tpl, "--register")
	}
	const n = 5
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		ids[i] = newID("i-")
		wg.Go(func() {
			if _, err := b.Launch(ctx, backend.LaunchSpec{InstanceID: ids[i], ImageID: ami, InstanceType: "t3.nano"}); err != nil {
				t.Errorf("Launch %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	got := machines(t, b)
	for _, id := range ids {
		if got[id].State != backend.StateRunning {
			t.Errorf("%s: %+v, want running", id, got[id])
		}
	}
	if len(got) != n {
		t.Errorf("Machines has %d, want %d", len(got), n)
	}
	if !realVBox {
		info := parseMachineReadable(vbm(t, "showvminfo", tpl, "--machinereadable"))
		if diff := cmp.Diff([]string{BaseSnapshot}, snapshotNames(info)); diff != "" {
			t.Errorf("template snapshots (-want +got)\n%s", diff)
		}
	}
}

func TestCreateImage(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ctx := testCtx(t)
	src := launch(t, b, templateID)

	amiID := newID("ami-")
	img, err := b.CreateImage(ctx, src.ID, backend.ImageSpec{
		ImageID: amiID, Name: "my.image v1", Description: "made by a test",
		Metadata: map[string]string{"owner": "123456789012"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := backend.Image{ID: amiID, Name: "my.image v1", Description: "made by a test", Architecture: "x86_64",
		State: backend.ImageAvailable, Metadata: map[string]string{"owner": "123456789012"}}
	ignoreDate := cmpopts.IgnoreFields(backend.Image{}, "CreationDate")
	if diff := cmp.Diff(want, img, ignoreDate); diff != "" {
		t.Errorf("CreateImage (-want +got)\n%s", diff)
	}
	if got := stateOf(t, b, src.ID); got != backend.StateRunning {
		t.Errorf("source after CreateImage: %s, want running again", got)
	}
	findImage := func(id string) (backend.Image, bool) {
		imgs, err := b.Images(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range imgs {
			if im.ID == id {
				return im, true
			}
		}
		return backend.Image{}, false
	}
	listed, ok := findImage(amiID)
	if !ok {
		t.Fatalf("Images lacks %s", amiID)
	}
	if diff := cmp.Diff(img, listed, cmpopts.EquateApproxTime(time.Millisecond)); diff != "" {
		t.Errorf("Images entry (-CreateImage +Images)\n%s", diff)
	}

	// Launchable at once, and the template is not an instance.
	child := launch(t, b, amiID)
	if got := machines(t, b); len(got) != 2 || got[child.ID].ImageID != amiID {
		t.Errorf("Machines after launching from the new image: %+v", got)
	}

	// NoReboot copies a running instance without stopping it.
	amiID2 := newID("ami-")
	if _, err := b.CreateImage(ctx, child.ID, backend.ImageSpec{ImageID: amiID2, Name: "live", NoReboot: true}); err != nil {
		t.Fatal(err)
	}
	if _, ok := findImage(amiID2); !ok {
		t.Errorf("Images lacks the NoReboot image")
	}

	// Deregistering an image that backs a running instance hides it; the
	// instance runs on and the template goes with the last instance.
	for _, id := range []string{amiID, amiID2} {
		if err := b.DeregisterImage(ctx, id); err != nil {
			t.Fatalf("DeregisterImage %s: %v", id, err)
		}
		if _, ok := findImage(id); ok {
			t.Errorf("Images still lists %s", id)
		}
	}
	if out := vbm(t, "list", "vms"); !realVBox && !strings.Contains(out, deregisteredPrefix+amiID+`"`) {
		// The simulator, like VirtualBox, refuses to delete the disk of
		// a linked clone's parent, so the template must be hidden.
		t.Errorf("template backing a linked clone is not hidden:\n%s", out)
	}
	if got := stateOf(t, b, child.ID); got != backend.StateRunning {
		t.Errorf("instance of a deregistered image: %s", got)
	}
	if err := b.DeregisterImage(ctx, amiID); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("DeregisterImage twice: %v, want ErrNotFound", err)
	}
	if err := b.Terminate(ctx, child.ID); err != nil {
		t.Fatal(err)
	}
	if out := vbm(t, "list", "vms"); strings.Contains(out, deregisteredPrefix+amiID+`"`) {
		t.Errorf("deregistered template kept after its last instance:\n%s", out)
	}
}

func TestReadoption(t *testing.T) {
	t.Parallel()
	ns := "test-readopt-" + newID("")
	b1 := newBackend(t, WithNamespace(ns))
	ctx := testCtx(t)
	m := launch(t, b1, templateID, func(s *backend.LaunchSpec) {
		s.Metadata = map[string]string{"client-token": "abc"}
	})
	b1.Close()

	b2, err := New(ctx, WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	got := machines(t, b2)
	want := map[string]backend.Machine{m.ID: {
		ID: m.ID, ImageID: templateID, State: backend.StateRunning, LaunchTime: m.LaunchTime,
		Metadata: map[string]string{"client-token": "abc"},
	}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(backend.Machine{}, "PrivateIP")); diff != "" {
		t.Errorf("re-adopted (-want +got)\n%s", diff)
	}
	if err := b2.Stop(ctx, m.ID); err != nil {
		t.Errorf("Stop by the new backend: %v", err)
	}

	other, err := New(ctx, WithNamespace(ns+"-other"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if got := machines(t, other); len(got) != 0 {
		t.Errorf("another namespace sees %v", got)
	}
	if err := other.Start(ctx, m.ID); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("Start from another namespace: %v, want ErrNotFound", err)
	}
}

func TestDrift(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	own, off, gone := launch(t, b, templateID), launch(t, b, templateID), launch(t, b, templateID)

	var mu sync.Mutex
	var events []backend.Event
	polls := make(chan struct{}, 100)
	b.afterPoll = func() { polls <- struct{}{} }
	waitPolls := func(n int) {
		for range n {
			select {
			case <-polls:
			case <-time.After(5 * time.Second):
				t.Fatal("Watch does not poll")
			}
		}
	}
	watchDone := make(chan error, 1)
	go func() {
		watchDone <- b.Watch(ctx, func(e backend.Event) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		})
	}()
	waitPolls(1) // the baseline

	if err := b.Stop(ctx, own.ID); err != nil { // the backend's own change
		t.Fatal(err)
	}
	vbm(t, "controlvm", instanceName(off.ID), "poweroff")
	vbm(t, "controlvm", instanceName(gone.ID), "poweroff")
	vbm(t, "unregistervm", instanceName(gone.ID), "--delete")

	final := func() map[string]backend.State {
		mu.Lock()
		defer mu.Unlock()
		m := map[string]backend.State{}
		for _, e := range events {
			m[e.ID] = e.State
		}
		return m
	}
	want := map[string]backend.State{off.ID: backend.StateStopped, gone.ID: backend.StateTerminated}
	testutil.Until(t, 5*time.Second, "drift events", func() bool { return cmp.Equal(want, final()) })
	waitPolls(3) // nothing else may come
	if diff := cmp.Diff(want, final()); diff != "" {
		t.Errorf("drift events (-want +got)\n%s", diff)
	}
	cancel()
	select {
	case err := <-watchDone:
		if err != nil {
			t.Errorf("Watch returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not return after its context ended")
	}
	if got := stateOf(t, b, gone.ID); got != backend.StateTerminated {
		t.Errorf("deleted VM: %s", got)
	}
	if err := b.Terminate(testCtx(t), gone.ID); err != nil {
		t.Errorf("Terminate of a VM deleted behind our back: %v", err)
	}
}

func TestStopIgnoredACPI(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	b := newBackend(t, WithStopTimeout(timeout))
	m := launch(t, b, templateID)
	if !realVBox {
		vbm(t, "setextradata", instanceName(m.ID), "vboxsim/IgnoreACPI", "1")
	}
	start := time.Now()
	if err := b.Stop(testCtx(t), m.ID); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if got := stateOf(t, b, m.ID); got != backend.StateStopped {
		t.Errorf("state %s, want stopped", got)
	}
	if !realVBox && took < timeout {
		t.Errorf("Stop took %v: powered off before the ACPI deadline %v", took, timeout)
	}
	if took > timeout+5*time.Second {
		t.Errorf("Stop took %v, deadline %v", took, timeout)
	}
}

func TestNoTouch(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ctx := testCtx(t)
	foreignID := newID("i-")
	lookalike := instanceName(foreignID) // right name, not made by ec2emu
	stranger := "someone-elses-vm-" + newID("")
	for _, name := range []string{lookalike, stranger} {
		vbm(t, "createvm", "--name", name, "--register")
		t.Cleanup(func() { exec.Command("VBoxManage", "unregistervm", name, "--delete").Run() })
		vbm(t, "startvm", name, "--type", "headless")
	}
	if got := machines(t, b); len(got) != 0 {
		t.Errorf("Machines shows foreign VMs: %v", got)
	}
	for name, do := range map[string]func(context.Context, string) error{"Stop": b.Stop, "Start": b.Start, "Reboot": b.Reboot} {
		if err := do(ctx, foreignID); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("%s of a foreign VM: %v, want ErrNotFound", name, err)
		}
	}
	if err := b.Terminate(ctx, foreignID); err != nil {
		t.Errorf("Terminate of a foreign VM: %v", err)
	}
	for _, name := range []string{lookalike, stranger} {
		info := parseMachineReadable(vbm(t, "showvminfo", name, "--machinereadable"))
		if info["VMState"] != "running" {
			t.Errorf("%s was touched: state %s", name, info["VMState"])
		}
	}
	imgs, err := b.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs {
		if !strings.HasPrefix(img.ID, "ami-") {
			t.Errorf("Images lists %+v", img)
		}
	}
	vbm(t, "controlvm", lookalike, "poweroff")
	vbm(t, "controlvm", stranger, "poweroff")
}

func TestImagesTemplate(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ctx := testCtx(t)
	first, err := b.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(first, func(img backend.Image) bool { return img.ID == templateID })
	if i < 0 {
		t.Fatalf("Images lacks the template %s: %+v", templateID, first)
	}
	name, _, _ := parseImageName(templateVM)
	if first[i].Name != name || first[i].State != backend.ImageAvailable || first[i].Architecture == "" || first[i].CreationDate.IsZero() {
		t.Errorf("template image = %+v", first[i])
	}
	again, err := b.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	j := slices.IndexFunc(again, func(img backend.Image) bool { return img.ID == templateID })
	if j < 0 || !again[j].CreationDate.Equal(first[i].CreationDate) {
		t.Errorf("CreationDate is not stable: %v then %+v", first[i].CreationDate, again)
	}
}

// TestExplicitPath runs the life cycle through the plain exec runner that
// WithVBoxManage selects instead of go-virtualbox.
func TestExplicitPath(t *testing.T) {
	t.Parallel()
	path, err := exec.LookPath("VBoxManage")
	if err != nil {
		t.Fatal(err)
	}
	b := newBackend(t, WithVBoxManage(path))
	if _, ok := b.vb.(cli); !ok {
		t.Fatalf("manager is %T, want cli", b.vb)
	}
	ctx := testCtx(t)
	m := launch(t, b, templateID)
	if err := b.Stop(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, b, m.ID); got != backend.StateStopped {
		t.Errorf("state %s", got)
	}
	if err := b.Terminate(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
}

func TestUnavailable(t *testing.T) {
	ctx := testCtx(t)
	missing := filepath.Join(t.TempDir(), "VBoxManage")
	if _, err := New(ctx, WithVBoxManage(missing)); !errors.Is(err, backend.ErrUnavailable) {
		t.Errorf("New with a missing VBoxManage: %v, want ErrUnavailable", err)
	}
	env := map[string]string{"EC2_VBOX_MANAGE": missing}
	_, err := backend.Open(ctx, "virtualbox", backend.Config{Getenv: func(k string) string { return env[k] }})
	if !errors.Is(err, backend.ErrUnavailable) {
		t.Errorf("Open with a missing VBoxManage: %v, want ErrUnavailable", err)
	}
	env = map[string]string{"EC2_VBOX_STOP_TIMEOUT": "soon"}
	if _, err := backend.Open(ctx, "virtualbox", backend.Config{Getenv: func(k string) string { return env[k] }}); err == nil {
		t.Error("Open accepted EC2_VBOX_STOP_TIMEOUT=soon")
	}
	b, err := backend.Open(ctx, "virtualbox", backend.Config{Namespace: "x"})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	b.Close()
}

// failing is a manager that fails one VBoxManage command.
type failing struct {
	manager
	verb string
}

func (f failing) run(ctx context.Context, args ...string) (string, error) {
	if len(args) > 0 && args[0] == f.verb {
		return "", errors.New("injected failure")
	}
	return f.manager.run(ctx, args...)
}

func TestLaunchFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	path, err := exec.LookPath("VBoxManage")
	if err != nil {
		t.Fatal(err)
	}
	b := newBackend(t, withManager(failing{cli{path: path}, "startvm"}))
	id := newID("i-")
	if _, err := b.Launch(testCtx(t), backend.LaunchSpec{InstanceID: id, ImageID: templateID}); err == nil {
		t.Fatal("Launch succeeded though startvm failed")
	}
	if out := vbm(t, "list", "vms"); strings.Contains(out, instanceName(id)) {
		t.Errorf("failed launch left %s behind:\n%s", instanceName(id), out)
	}
}

func TestParseImageName(t *testing.T) {
	tests := []struct {
		vm, name, id string
		ok           bool
	}{
		{"localstack-ec2-ami.ubuntu.ami-0123abc", "ubuntu", "ami-0123abc", true},
		{"localstack-ec2-ami.my.dotted v1.2.ami-ff", "my.dotted v1.2", "ami-ff", true},
		{"localstack-ec2-ami.ami-ff", "", "", false},
		{"localstack-ec2-ami.name.notanami", "", "", false},
		{"localstack-ec2-ami.ubuntu.ami-Ubuntu2404", "", "", false}, // not an AMI ID: never launchable, so not listed
		{"localstack-ec2.i-0123", "", "", false},
		{"localstack-ec2-ami-deregistered.ami-ff", "", "", false},
	}
	for _, tt := range tests {
		name, id, ok := parseImageName(tt.vm)
		if diff := cmp.Diff([]any{tt.name, tt.id, tt.ok}, []any{name, id, ok}); diff != "" {
			t.Errorf("parseImageName(%q) (-want +got)\n%s", tt.vm, diff)
		}
	}
}

func TestMapState(t *testing.T) {
	tests := map[string]backend.State{
		"running": backend.StateRunning, "paused": backend.StateStopped, "saved": backend.StateStopped,
		"poweroff": backend.StateStopped, "aborted": backend.StateStopped, "starting": backend.StatePending,
		"restoring": backend.StatePending, "stopping": backend.StateStopping, "saving": backend.StateStopping,
	}
	got := map[string]backend.State{}
	for st := range tests {
		got[st] = mapState(st)
	}
	if diff := cmp.Diff(tests, got); diff != "" {
		t.Errorf("mapState (-want +got)\n%s", diff)
	}
}

func TestParsers(t *testing.T) {
	refs := parseList("\"Ubuntu\" {2e16b1fc-675d-4a7a-a9a1-e89a8bde7874}\n\"a \"quoted\" name\" {def44546-e3da-4902-8d15-b91c99c80cbc}\nnoise\n")
	want := []vmRef{{"Ubuntu", "2e16b1fc-675d-4a7a-a9a1-e89a8bde7874"}, {`a "quoted" name`, "def44546-e3da-4902-8d15-b91c99c80cbc"}}
	if diff := cmp.Diff(want, refs); diff != "" {
		t.Errorf("parseList (-want +got)\n%s", diff)
	}
	info := parseMachineReadable("name=\"vm\"\nmemory=1024\n\"SATA Controller-0-0\"=\"/x/y.vdi\"\nSnapshotName=\"a\"\nSnapshotName-1=\"b \\\"q\\\"\"\nCurrentSnapshotName=\"b\"\n")
	wantInfo := map[string]string{"name": "vm", "memory": "1024", "SATA Controller-0-0": "/x/y.vdi", "SnapshotName": "a", "SnapshotName-1": `b "q"`, "CurrentSnapshotName": "b"}
	if diff := cmp.Diff(wantInfo, info); diff != "" {
		t.Errorf("parseMachineReadable (-want +got)\n%s", diff)
	}
	names := snapshotNames(info)
	slices.Sort(names)
	if diff := cmp.Diff([]string{"a", `b "q"`}, names); diff != "" {
		t.Errorf("snapshotNames (-want +got)\n%s", diff)
	}
}
