package main

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (c *cmd) list() int {
	if len(c.args) < 1 {
		return c.syntax("Missing argument for 'list'")
	}
	what := c.args[0]
	if what != "vms" && what != "runningvms" {
		return c.syntax("Unknown subcommand '%s' for 'list' (simulated: vms, runningvms)", what)
	}
	return c.withWorld(func(w *world) int {
		for _, m := range w.VMs {
			if what == "runningvms" && m.State != "running" && m.State != "paused" && m.State != "starting" {
				continue
			}
			fmt.Fprintf(c.stdout, "\"%s\" {%s}\n", m.Name, m.UUID)
		}
		return exitOK
	})
}

func (c *cmd) showvminfo() int {
	pos, opts, _ := flags(c.args, "--machinereadable", "--details")
	if len(pos) != 1 {
		return c.syntax("Incorrect number of parameters")
	}
	_, mr := opts["--machinereadable"]
	return c.withWorld(func(w *world) int {
		m := w.find(pos[0])
		if m == nil {
			return c.notFound(pos[0])
		}
		if mr {
			c.machineReadable(w, m)
		} else {
			c.human(w, m)
		}
		return exitOK
	})
}

func (c *cmd) machineReadable(w *world, m *vm) {
	p := func(k, v string) { fmt.Fprintf(c.stdout, "%s=%s\n", k, mrQuote(v)) }
	n := func(k string, v int) { fmt.Fprintf(c.stdout, "%s=%d\n", k, v) }
	p("name", m.Name)
	p("groups", "/")
	p("ostype", m.OSType)
	p("UUID", m.UUID)
	p("CfgFile", w.cfgFile(m.Name))
	p("SnapFldr", path.Join(w.folder(m.Name), "Snapshots"))
	p("LogFldr", path.Join(w.folder(m.Name), "Logs"))
	p("hardwareuuid", m.UUID)
	n("memory", m.Memory)
	n("vram", m.VRAM)
	n("cpus", m.CPUs)
	p("firmware", "BIOS")
	p("acpi", "on")
	p("ioapic", "on")
	p("VMState", m.State)
	p("VMStateChangeTime", m.StateChange.UTC().Format("2006-01-02T15:04:05.000000000"))
	p("storagecontrollername0", "SATA Controller")
	p("storagecontrollertype0", "IntelAhci")
	p(`"SATA Controller-0-0"`, path.Join(w.folder(m.Name), sanitize(m.Name)+".vdi"))
	p("natnet1", "nat")
	p("macaddress1", m.MAC)
	p("cableconnected1", "on")
	p("nic1", "nat")
	p("nictype1", "82540EM")
	p("nicspeed1", "0")
	for i := 2; i <= 8; i++ {
		p(fmt.Sprintf("nic%d", i), "none")
	}
	p("uart1", "off")
	// Snapshots form a chain: each is the child of the one before, which
	// VBoxManage spells SnapshotName, SnapshotName-1, SnapshotName-1-1, ….
	suffix := ""
	for i, s := range m.Snapshots {
		p("SnapshotName"+suffix, s.Name)
		p("SnapshotUUID"+suffix, s.UUID)
		if i == len(m.Snapshots)-1 {
			p("CurrentSnapshotName", s.Name)
			p("CurrentSnapshotUUID", s.UUID)
			p("CurrentSnapshotNode", "SnapshotName"+suffix)
		}
		suffix += "-1"
	}
	if m.State == "running" && m.Booted && !w.flag(m, "NoGuestAdditions") {
		n("GuestAdditionsRunLevel", 2)
		p("GuestAdditionsVersion", "7.0.99_SIM r1")
	} else {
		n("GuestAdditionsRunLevel", 0)
	}
}

// mrQuote quotes a value for --machinereadable output, escaping only what
// VBoxManage escapes.
func mrQuote(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(v) + `"`
}

func (c *cmd) human(w *world, m *vm) {
	fmt.Fprintf(c.stdout, "Name:                        %s\n", m.Name)
	fmt.Fprintf(c.stdout, "Groups:                      /\n")
	fmt.Fprintf(c.stdout, "Guest OS:                    %s\n", m.OSType)
	fmt.Fprintf(c.stdout, "UUID:                        %s\n", m.UUID)
	fmt.Fprintf(c.stdout, "Config file:                 %s\n", w.cfgFile(m.Name))
	fmt.Fprintf(c.stdout, "Memory size:                 %dMB\n", m.Memory)
	fmt.Fprintf(c.stdout, "Number of CPUs:              %d\n", m.CPUs)
	fmt.Fprintf(c.stdout, "State:                       %s (since %s)\n", humanState(m.State), m.StateChange.UTC().Format("2006-01-02T15:04:05.000000000"))
}

func humanState(s string) string {
	switch s {
	case "poweroff":
		return "powered off"
	case "saved":
		return "saved"
	}
	return s
}

func (c *cmd) createvm() int {
	_, opts, _ := flags(c.args, "--register", "--default")
	name := opts["--name"]
	if name == "" {
		return c.syntax("Parameter --name is required")
	}
	_, register := opts["--register"]
	return c.withWorld(func(w *world) int {
		if w.find(name) != nil {
			// The settings file's path follows from the name, so creating
			// a machine with a name in use fails: ec2emu's namespace lock
			// relies on it, as on VirtualBox.
			c.fail("Machine settings file '%s' already exists", w.cfgFile(name))
			return c.fail("Details: code VBOX_E_FILE_ERROR (0x80bb0004), component MachineWrap, interface IMachine, callee nsISupports")
		}
		m := w.newVM(name)
		if u := opts["--uuid"]; u != "" {
			m.UUID = strings.Trim(u, "{}")
		}
		if t := opts["--ostype"]; t != "" {
			m.OSType = t
		}
		if register {
			if err := w.register(m); err != nil {
				return c.fail("%v", err)
			}
		}
		fmt.Fprintf(c.stdout, "Virtual machine '%s' is created", name)
		if register {
			fmt.Fprint(c.stdout, " and registered")
		}
		fmt.Fprintf(c.stdout, ".\nUUID: %s\nSettings file: '%s'\n", m.UUID, w.cfgFile(name))
		return exitOK
	})
}

func (c *cmd) clonevm() int {
	pos, opts, _ := flags(c.args, "--register")
	if len(pos) != 1 {
		return c.syntax("Incorrect number of parameters")
	}
	_, register := opts["--register"]
	linked := slices.Contains(strings.Split(strings.ToLower(opts["--options"]), ","), "link")
	return c.withWorld(func(w *world) int {
		src := w.find(pos[0])
		if src == nil {
			return c.notFound(pos[0])
		}
		name := opts["--name"]
		if name == "" {
			name = src.Name + " Clone"
		}
		if w.find(name) != nil {
			return c.fail("Machine settings file '%s' already exists", w.cfgFile(name))
		}
		var snap *snapshot
		if ref := opts["--snapshot"]; ref != "" {
			for i := range src.Snapshots {
				if s := &src.Snapshots[i]; s.Name == ref || s.UUID == ref {
					snap = s
				}
			}
			if snap == nil {
				return c.fail("Could not find a snapshot named '%s'", ref)
			}
		}
		if linked && snap == nil {
			return c.fail("Linked clone can only be created from a snapshot")
		}
		m := w.newVM(name)
		m.OSType, m.Memory, m.CPUs, m.VRAM = src.OSType, src.Memory, src.CPUs, src.VRAM
		// A clone carries the settings, extradata and (persistent) guest
		// properties of its source, but not its snapshots.
		m.ExtraData = maps.Clone(src.ExtraData)
		m.GuestProps = maps.Clone(src.GuestProps)
		clearTransient(m)
		if linked {
			m.ParentVM, m.ParentSnapshot = src.UUID, snap.UUID
		}
		if u := opts["--uuid"]; u != "" {
			m.UUID = strings.Trim(u, "{}")
		}
		fmt.Fprintln(c.stdout, "0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%")
		if register {
			if err := w.register(m); err != nil {
				return c.fail("%v", err)
			}
		}
		fmt.Fprintf(c.stdout, "Machine has been successfully cloned as %q\n", name)
		return exitOK
	})
}

func (c *cmd) snapshot() int {
	if len(c.args) < 2 {
		return c.syntax("Incorrect number of parameters")
	}
	ref, sub := c.args[0], c.args[1]
	pos, opts, _ := flags(c.args[2:], "--machinereadable", "--live", "--pause", "--details")
	return c.withWorld(func(w *world) int {
		m := w.find(ref)
		if m == nil {
			return c.notFound(ref)
		}
		switch sub {
		case "take":
			if len(pos) != 1 {
				return c.syntax("Missing snapshot name")
			}
			s := snapshot{Name: pos[0], UUID: newUUID()}
			m.Snapshots = append(m.Snapshots, s)
			w.dirty = true
			fmt.Fprintln(c.stdout, "0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%")
			fmt.Fprintf(c.stdout, "Snapshot taken. UUID: %s\n", s.UUID)
			return exitOK
		case "list":
			if len(m.Snapshots) == 0 {
				fmt.Fprintln(c.stdout, "This machine does not have any snapshots")
				return exitFailure
			}
			suffix := ""
			for _, s := range m.Snapshots {
				if _, mr := opts["--machinereadable"]; mr {
					fmt.Fprintf(c.stdout, "SnapshotName%s=%q\nSnapshotUUID%s=%q\n", suffix, s.Name, suffix, s.UUID)
				} else {
					fmt.Fprintf(c.stdout, "   Name: %s (UUID: %s)\n", s.Name, s.UUID)
				}
				suffix += "-1"
			}
			return exitOK
		case "delete":
			if len(pos) != 1 {
				return c.syntax("Missing snapshot name")
			}
			for i, s := range m.Snapshots {
				if s.Name != pos[0] && s.UUID != pos[0] {
					continue
				}
				if n := w.linkedClones(m, s.UUID); n > 0 {
					return c.fail("Hard disk '%s' has more than one child hard disk (%d)", path.Join(w.folder(m.Name), "Snapshots", "{"+s.UUID+"}.vdi"), n+1)
				}
				m.Snapshots = append(m.Snapshots[:i], m.Snapshots[i+1:]...)
				w.dirty = true
				fmt.Fprintln(c.stdout, "0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%")
				return exitOK
			}
			return c.fail("Could not find a snapshot named '%s'", pos[0])
		}
		return c.syntax("Invalid parameter '%s'", sub)
	})
}

func (c *cmd) startvm() int {
	pos, opts, _ := flags(c.args)
	if len(pos) < 1 {
		return c.syntax("Incorrect number of parameters")
	}
	switch t := opts["--type"]; t {
	case "", "gui", "headless", "sdl", "separate":
	default:
		return c.syntax("Invalid session type '%s'", t)
	}
	for _, ref := range pos {
		var wait time.Duration
		code := c.withWorld(func(w *world) int {
			m := w.find(ref)
			if m == nil {
				return c.notFound(ref)
			}
			switch m.State {
			case "poweroff", "saved", "aborted":
			default:
				return c.locked(m)
			}
			fmt.Fprintf(c.stdout, "Waiting for VM %q to power on...\n", m.Name)
			now := time.Now()
			if wait = c.cfg.startDelay; wait > 0 {
				w.setState(m, "starting", now)
				m.StartingUntil = now.Add(wait)
			} else {
				w.setState(m, "running", now)
			}
			return exitOK
		})
		if code != exitOK {
			return code
		}
		// Like the real startvm, return only once the machine runs; the
		// lock is not held meanwhile, so others see it "starting".
		time.Sleep(wait)
		code = c.withWorld(func(w *world) int {
			m := w.find(ref)
			if m == nil || m.State != "running" {
				return c.fail("The VM session was closed before any attempt to power it on")
			}
			fmt.Fprintf(c.stdout, "VM %q has been successfully started.\n", m.Name)
			return exitOK
		})
		if code != exitOK {
			return code
		}
	}
	return exitOK
}

func (c *cmd) controlvm() int {
	if len(c.args) < 2 {
		return c.syntax("Incorrect number of parameters")
	}
	ref, action := c.args[0], c.args[1]
	return c.withWorld(func(w *world) int {
		m := w.find(ref)
		if m == nil {
			return c.notFound(ref)
		}
		now := time.Now()
		active := m.State == "running" || m.State == "paused" || m.State == "starting"
		if !active {
			return c.notRunning(m)
		}
		switch action {
		case "pause":
			if m.State == "running" {
				w.setState(m, "paused", now)
			}
		case "resume":
			if m.State != "paused" {
				return c.fail("VM is not paused (state %s)", m.State)
			}
			// Resuming continues the same boot; keep the guest's timers.
			m.State, m.StateChange, w.dirty = "running", now.UTC(), true
		case "poweroff":
			fmt.Fprintln(c.stderr, "0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%")
			w.setState(m, "poweroff", now)
		case "savestate":
			fmt.Fprintln(c.stdout, "0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%")
			w.setState(m, "saved", now)
		case "reset":
			clearTransient(m)
			m.Booted = false
			m.ShutdownAt = time.Time{}
			m.BootAt = now.Add(w.durFlag(m, "BootDelay", c.cfg.bootDelay))
			w.dirty = true
		case "acpipowerbutton":
			if m.State != "running" || w.flag(m, "IgnoreACPI") {
				// The button is pressed; nobody in the guest listens.
				return exitOK
			}
			if m.ShutdownAt.IsZero() {
				m.ShutdownAt = now.Add(w.durFlag(m, "ACPIDelay", c.cfg.acpiDelay))
				w.dirty = true
			}
			w.advance(now)
		default:
			return c.syntax("Invalid parameter '%s'", action)
		}
		return exitOK
	})
}

func (c *cmd) unregistervm() int {
	pos, opts, _ := flags(c.args, "--delete", "--delete-all")
	if len(pos) != 1 {
		return c.syntax("Incorrect number of parameters")
	}
	_, del := opts["--delete"]
	if _, all := opts["--delete-all"]; all {
		del = true
	}
	return c.withWorld(func(w *world) int {
		m := w.find(pos[0])
		if m == nil {
			return c.notFound(pos[0])
		}
		switch m.State {
		case "poweroff", "saved", "aborted":
		default:
			return c.fail("Cannot unregister the machine '%s' while it is locked", m.Name)
		}
		if n := w.linkedClones(m, ""); del && n > 0 {
			return c.fail("Cannot delete the medium '%s' because it has %d child media", path.Join(w.folder(m.Name), sanitize(m.Name)+".vdi"), n)
		}
		w.unregister(m, del)
		if del {
			fmt.Fprintln(c.stdout, "0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%")
		}
		return exitOK
	})
}

func (c *cmd) modifyvm() int {
	if len(c.args) < 1 {
		return c.syntax("Incorrect number of parameters")
	}
	ref := c.args[0]
	_, opts, _ := flags(c.args[1:])
	return c.withWorld(func(w *world) int {
		m := w.find(ref)
		if m == nil {
			return c.notFound(ref)
		}
		if m.State != "poweroff" && m.State != "aborted" {
			return c.locked(m)
		}
		num := func(name string, dst *int) error {
			v, ok := opts[name]
			if !ok {
				return nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("invalid value '%s' for %s", v, name)
			}
			*dst = n
			return nil
		}
		for _, f := range []struct {
			name string
			dst  *int
		}{{"--memory", &m.Memory}, {"--cpus", &m.CPUs}, {"--vram", &m.VRAM}} {
			if err := num(f.name, f.dst); err != nil {
				return c.syntax("%v", err)
			}
		}
		if t := opts["--ostype"]; t != "" {
			m.OSType = t
		}
		if mac := opts["--macaddress1"]; mac != "" && mac != "auto" {
			m.MAC = strings.ToUpper(mac)
		}
		if nu, ok := opts["--name"]; ok && nu != m.Name {
			if nu == "" {
				return c.syntax("Invalid machine name")
			}
			if w.find(nu) != nil {
				return c.fail("Machine settings file '%s' already exists", w.cfgFile(nu))
			}
			if w.renamed == nil {
				w.renamed = map[string]string{}
			}
			w.renamed[w.folder(m.Name)] = w.folder(nu)
			m.Name = nu
		}
		// Every other setting (firmware, nic, acpi, boot order …) is
		// accepted and has no simulated effect.
		w.dirty = true
		return exitOK
	})
}

// Limits of VirtualBox's guest property service (GuestPropertySvc.h).
const (
	maxPropName  = 64
	maxPropValue = 128
	maxProps     = 256
)

func (c *cmd) guestproperty() int {
	if len(c.args) < 2 {
		return c.syntax("Incorrect number of parameters")
	}
	sub, ref := c.args[0], c.args[1]
	pos, opts, _ := flags(c.args[2:], "--verbose", "--old-format")
	return c.withWorld(func(w *world) int {
		m := w.find(ref)
		if m == nil {
			return c.notFound(ref)
		}
		switch sub {
		case "get":
			if len(pos) != 1 {
				return c.syntax("Incorrect number of parameters")
			}
			p, ok := m.GuestProps[pos[0]]
			if !ok {
				fmt.Fprintln(c.stdout, "No value set!")
				return exitOK
			}
			fmt.Fprintf(c.stdout, "Value: %s\n", p.Value)
			if _, v := opts["--verbose"]; v {
				fmt.Fprintf(c.stdout, "Timestamp: %d\nFlags: %s\n", p.Timestamp, p.Flags)
			}
			return exitOK
		case "set", "unset", "delete":
			if len(pos) < 1 || len(pos) > 2 {
				return c.syntax("Incorrect number of parameters")
			}
			name := pos[0]
			if len(name) >= maxPropName {
				return c.fail("The property name '%s' is too long (max %d)", name, maxPropName-1)
			}
			if sub != "set" || len(pos) == 1 {
				delete(m.GuestProps, name)
				w.dirty = true
				return exitOK
			}
			if len(pos[1]) >= maxPropValue {
				return c.fail("The value of property '%s' is too long (%d, max %d)", name, len(pos[1]), maxPropValue-1)
			}
			if _, exists := m.GuestProps[name]; !exists && len(m.GuestProps) >= maxProps {
				return c.fail("Too many guest properties (max %d)", maxProps)
			}
			setProp(m, name, pos[1], opts["--flags"], time.Now().UnixNano())
			w.dirty = true
			return exitOK
		case "enumerate":
			var patterns []string
			if p := opts["--patterns"]; p != "" {
				patterns = strings.Split(p, "|")
			}
			patterns = append(patterns, pos...)
			for _, name := range slices.Sorted(maps.Keys(m.GuestProps)) {
				if !matchAny(patterns, name) {
					continue
				}
				p := m.GuestProps[name]
				fmt.Fprintf(c.stdout, "Name: %s, value: %s, timestamp: %d, flags: %s\n", name, p.Value, p.Timestamp, p.Flags)
			}
			return exitOK
		}
		return c.syntax("Invalid parameter '%s'", sub)
	})
}

func matchAny(patterns []string, name string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
		// VirtualBox's "*" also crosses "/", which path.Match's does not.
		if strings.HasSuffix(p, "*") && strings.HasPrefix(name, strings.TrimRight(p, "*")) {
			return true
		}
	}
	return false
}

func (c *cmd) setextradata() int {
	if len(c.args) < 2 || len(c.args) > 3 {
		return c.syntax("Incorrect number of parameters")
	}
	ref, key := c.args[0], c.args[1]
	return c.withWorld(func(w *world) int {
		var data *map[string]string
		if ref == "global" {
			data = &w.Global
		} else {
			m := w.find(ref)
			if m == nil {
				return c.notFound(ref)
			}
			data = &m.ExtraData
		}
		if len(c.args) == 2 || c.args[2] == "" {
			delete(*data, key)
		} else {
			if *data == nil {
				*data = map[string]string{}
			}
			(*data)[key] = c.args[2]
		}
		w.dirty = true
		return exitOK
	})
}

func (c *cmd) getextradata() int {
	if len(c.args) != 2 {
		return c.syntax("Incorrect number of parameters")
	}
	ref, key := c.args[0], c.args[1]
	return c.withWorld(func(w *world) int {
		data := w.Global
		if ref != "global" {
			m := w.find(ref)
			if m == nil {
				return c.notFound(ref)
			}
			data = m.ExtraData
		}
		if key == "enumerate" {
			for _, k := range slices.Sorted(maps.Keys(data)) {
				fmt.Fprintf(c.stdout, "Key: %s, Value: %s\n", k, data[k])
			}
			return exitOK
		}
		v, ok := data[key]
		if !ok {
			fmt.Fprintln(c.stdout, "No value set!")
			return exitOK
		}
		fmt.Fprintf(c.stdout, "Value: %s\n", v)
		return exitOK
	})
}
