package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// world is everything the simulator remembers between invocations. It lives
// in one JSON file guarded by an flock, so concurrent VBoxManage processes
// see each other's changes in a serial order, as VBoxSVC gives real clients.
type world struct {
	NextHost int                 `json:"nextHost"`
	VMs      []*vm               `json:"vms"`
	Global   map[string]string   `json:"global,omitempty"`
	dir      string              // VBOXSIM_HOME
	lock     *os.File            // held while the world is loaded
	cfg      config              // defaults from the environment
	dirty    bool                // whether save must write
	removed  map[string]struct{} // settings folders to delete on save
	renamed  map[string]string   // settings folders to move on save (old → new)
}

// vm is one registered machine.
type vm struct {
	Name        string               `json:"name"`
	UUID        string               `json:"uuid"`
	OSType      string               `json:"ostype"`
	Memory      int                  `json:"memory"`
	CPUs        int                  `json:"cpus"`
	VRAM        int                  `json:"vram"`
	MAC         string               `json:"mac"`
	IP          string               `json:"ip"`
	State       string               `json:"state"`
	StateChange time.Time            `json:"stateChange"`
	ExtraData   map[string]string    `json:"extraData,omitempty"`
	GuestProps  map[string]guestProp `json:"guestProps,omitempty"`
	Snapshots   []snapshot           `json:"snapshots,omitempty"` // a chain, oldest first
	// Parent is set on a linked clone: the machine and snapshot whose disk
	// it shares.
	ParentVM       string `json:"parentVM,omitempty"`
	ParentSnapshot string `json:"parentSnapshot,omitempty"`
	// Timers of the simulated guest, evaluated lazily by advance.
	StartingUntil time.Time `json:"startingUntil,omitzero"`
	BootAt        time.Time `json:"bootAt,omitzero"`
	Booted        bool      `json:"booted,omitempty"`
	ShutdownAt    time.Time `json:"shutdownAt,omitzero"`
}

type guestProp struct {
	Value     string `json:"value"`
	Flags     string `json:"flags,omitempty"`
	Timestamp int64  `json:"timestamp"`
}

type snapshot struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

// config holds the guest simulation defaults read from the environment.
// Per-VM extradata keys under "vboxsim/" override them.
type config struct {
	bootDelay  time.Duration // startvm/reset until the guest reports its IP
	acpiDelay  time.Duration // acpipowerbutton until the guest powers off
	startDelay time.Duration // how long startvm itself takes ("starting")
	ignoreACPI bool
}

func loadConfig(getenv func(string) string) (config, error) {
	var c config
	var err error
	dur := func(key string) time.Duration {
		v := getenv(key)
		if v == "" || err != nil {
			return 0
		}
		d, e := time.ParseDuration(v)
		if e != nil {
			err = fmt.Errorf("%s: %w", key, e)
		}
		return d
	}
	c.bootDelay = dur("VBOXSIM_BOOT_DELAY")
	c.acpiDelay = dur("VBOXSIM_ACPI_DELAY")
	c.startDelay = dur("VBOXSIM_START_DELAY")
	c.ignoreACPI = truthy(getenv("VBOXSIM_IGNORE_ACPI"))
	return c, err
}

func truthy(s string) bool {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// open locks the world in dir and loads it.
func open(dir string, cfg config) (*world, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("flock: %w", err)
	}
	w := &world{dir: dir, lock: f, cfg: cfg}
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		w.close()
		return nil, err
	default:
		if err := json.Unmarshal(b, w); err != nil {
			w.close()
			return nil, fmt.Errorf("state.json: %w", err)
		}
	}
	w.advance(time.Now())
	return w, nil
}

// save writes the world back if it changed; it keeps the lock.
func (w *world) save() error {
	if !w.dirty {
		return nil
	}
	for old, nu := range w.renamed {
		_ = os.MkdirAll(filepath.Dir(nu), 0o755)
		_ = os.Rename(old, nu)
	}
	for d := range w.removed {
		_ = os.RemoveAll(d)
	}
	w.renamed, w.removed = nil, nil
	b, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(w.dir, "state.json.tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	w.dirty = false
	return os.Rename(tmp, filepath.Join(w.dir, "state.json"))
}

// close releases the lock without saving.
func (w *world) close() {
	if w.lock != nil {
		_ = syscall.Flock(int(w.lock.Fd()), syscall.LOCK_UN)
		w.lock.Close()
		w.lock = nil
	}
}

// find looks a machine up by name or UUID, as VBoxManage does.
func (w *world) find(ref string) *vm {
	for _, m := range w.VMs {
		if m.UUID == ref || m.UUID == strings.Trim(ref, "{}") {
			return m
		}
	}
	for _, m := range w.VMs {
		if m.Name == ref {
			return m
		}
	}
	return nil
}

func (w *world) folder(name string) string {
	return filepath.Join(w.dir, "VirtualBox VMs", sanitize(name))
}

func (w *world) cfgFile(name string) string {
	return filepath.Join(w.folder(name), sanitize(name)+".vbox")
}

// sanitize makes a machine name usable as a file name, as VirtualBox does
// for its settings folder.
func sanitize(name string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, name)
}

// register adds m, writing its settings file so tools can stat it.
func (w *world) register(m *vm) error {
	if err := os.MkdirAll(w.folder(m.Name), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(w.cfgFile(m.Name), []byte("<!-- vboxmanagesim settings for "+m.UUID+" -->\n"), 0o644); err != nil {
		return err
	}
	w.VMs = append(w.VMs, m)
	w.dirty = true
	return nil
}

func (w *world) unregister(m *vm, deleteFiles bool) {
	for i, x := range w.VMs {
		if x == m {
			w.VMs = append(w.VMs[:i], w.VMs[i+1:]...)
			break
		}
	}
	if deleteFiles {
		if w.removed == nil {
			w.removed = map[string]struct{}{}
		}
		w.removed[w.folder(m.Name)] = struct{}{}
	}
	w.dirty = true
}

// newVM makes an unregistered powered-off machine with fresh identities.
func (w *world) newVM(name string) *vm {
	w.NextHost++
	n := w.NextHost
	return &vm{
		Name:        name,
		UUID:        newUUID(),
		OSType:      "Other",
		Memory:      128,
		CPUs:        1,
		VRAM:        8,
		MAC:         "080027" + strings.ToUpper(randHex(3)),
		IP:          fmt.Sprintf("10.77.%d.%d", n/250, n%250+2),
		State:       "poweroff",
		StateChange: time.Now().UTC(),
	}
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// setState moves m to state s and runs what the guest does on that edge.
func (w *world) setState(m *vm, s string, now time.Time) {
	if m.State == s {
		return
	}
	m.State = s
	m.StateChange = now.UTC()
	m.ShutdownAt = time.Time{}
	m.StartingUntil = time.Time{}
	switch s {
	case "running":
		m.BootAt = now.Add(w.durFlag(m, "BootDelay", w.cfg.bootDelay))
		m.Booted = false
	case "poweroff", "saved", "aborted":
		clearTransient(m)
		m.Booted = false
	}
	w.dirty = true
}

// clearTransient drops what the Guest Additions report; VirtualBox forgets
// these when the guest stops.
func clearTransient(m *vm) {
	for k := range m.GuestProps {
		if strings.HasPrefix(k, "/VirtualBox/GuestInfo/") {
			delete(m.GuestProps, k)
		}
	}
}

// advance plays the simulated guests forward to now: a start that has
// finished, a guest that has booted (and reports its IP), a guest that has
// obeyed the ACPI power button.
func (w *world) advance(now time.Time) {
	for _, m := range w.VMs {
		if m.State == "starting" && !now.Before(m.StartingUntil) {
			w.setState(m, "running", m.StartingUntil)
		}
		if m.State != "running" {
			continue
		}
		if !m.ShutdownAt.IsZero() && !now.Before(m.ShutdownAt) {
			w.setState(m, "poweroff", m.ShutdownAt)
			continue
		}
		if !m.Booted && !now.Before(m.BootAt) {
			m.Booted = true
			w.dirty = true
			if w.flag(m, "NoGuestAdditions") {
				continue
			}
			ts := m.BootAt.UnixNano()
			setProp(m, "/VirtualBox/GuestAdd/Version", "7.0.99_SIM", "TRANSIENT, RDONLYGUEST", ts)
			setProp(m, "/VirtualBox/GuestInfo/OS/Product", "Linux", "TRANSIENT, TRANSRESET", ts)
			setProp(m, "/VirtualBox/GuestInfo/Net/Count", "1", "TRANSIENT, TRANSRESET", ts)
			setProp(m, "/VirtualBox/GuestInfo/Net/0/V4/IP", m.IP, "TRANSIENT, TRANSRESET", ts)
			setProp(m, "/VirtualBox/GuestInfo/Net/0/MAC", m.MAC, "TRANSIENT, TRANSRESET", ts)
			setProp(m, "/VirtualBox/GuestInfo/Net/0/Status", "Up", "TRANSIENT, TRANSRESET", ts)
		}
	}
}

func setProp(m *vm, name, value, flags string, ts int64) {
	if m.GuestProps == nil {
		m.GuestProps = map[string]guestProp{}
	}
	m.GuestProps[name] = guestProp{Value: value, Flags: flags, Timestamp: ts}
}

// flag reads a per-VM simulation switch from extradata "vboxsim/<name>".
func (w *world) flag(m *vm, name string) bool {
	if name == "IgnoreACPI" && w.cfg.ignoreACPI {
		return true
	}
	return truthy(m.ExtraData["vboxsim/"+name])
}

func (w *world) durFlag(m *vm, name string, def time.Duration) time.Duration {
	if v, ok := m.ExtraData["vboxsim/"+name]; ok {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// linkedClones counts registered machines that share a disk of m.
func (w *world) linkedClones(m *vm, snapUUID string) int {
	n := 0
	for _, x := range w.VMs {
		if x.ParentVM == m.UUID && (snapUUID == "" || x.ParentSnapshot == snapUUID) {
			n++
		}
	}
	return n
}
