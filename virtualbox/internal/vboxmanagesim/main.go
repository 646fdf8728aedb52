// Command vboxmanagesim simulates the part of VirtualBox's VBoxManage command
// line that the ec2emu virtualbox backend and github.com/terra-farm/go-virtualbox
// use, so the backend can be tested where VirtualBox cannot run. Tests build
// it as a program named VBoxManage and put it first on PATH.
//
// It prints what VBoxManage 6.1/7.0 print in the same places (machine-readable
// showvminfo, "name" {uuid} lists, "Value: x" / "No value set!", errors on
// stderr as "VBoxManage: error: …" with exit code 1, syntax errors with 2) and
// keeps its machines in $VBOXSIM_HOME/state.json, locked with flock so
// concurrent invocations are serialised as VBoxSVC would.
//
// Implemented: --version; list vms|runningvms; showvminfo [--machinereadable];
// createvm; clonevm [--snapshot S] [--options link] [--name N] [--register];
// snapshot take|list|delete; startvm [--type T]; controlvm
// pause|resume|poweroff|acpipowerbutton|reset|savestate; unregistervm
// [--delete]; modifyvm (--name, --memory, --cpus, --vram, --ostype, others
// accepted and ignored); guestproperty get|set|unset|delete|enumerate;
// setextradata; getextradata (incl. enumerate).
//
// Simulated guests: startvm makes a machine running (after VBOXSIM_START_DELAY
// in state "starting"); VBOXSIM_BOOT_DELAY later the "Guest Additions" report
// /VirtualBox/GuestInfo/Net/0/V4/IP. acpipowerbutton powers the guest off
// after VBOXSIM_ACPI_DELAY unless the guest ignores ACPI
// (VBOXSIM_IGNORE_ACPI=1). Each setting can be overridden per machine with
// extradata vboxsim/BootDelay, vboxsim/ACPIDelay, vboxsim/IgnoreACPI and
// vboxsim/NoGuestAdditions (no IP ever); clonevm copies extradata, so flags set
// on a template reach its clones.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// exit codes of VBoxManage.
const (
	exitOK      = 0
	exitFailure = 1
	exitSyntax  = 2
)

// run executes one VBoxManage command line and returns its exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stdout, "Usage: VBoxManage <command> [options]")
		return exitSyntax
	}
	switch args[0] {
	case "--version", "-v", "-version":
		fmt.Fprintln(stdout, version)
		return exitOK
	}
	home := getenv("VBOXSIM_HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			fmt.Fprintf(stderr, "VBoxManage: error: VBOXSIM_HOME is not set: %v\n", err)
			return exitFailure
		}
		home = filepath.Join(h, ".vboxsim")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "VBoxManage: error: %v\n", err)
		return exitFailure
	}
	c := &cmd{args: args[1:], stdout: stdout, stderr: stderr, home: home, cfg: cfg}
	h, ok := commands[args[0]]
	if !ok {
		return c.syntax("Invalid command '%s'", args[0])
	}
	return h(c)
}

const version = "7.0.99_SIMr1"

// cmd is one invocation in progress.
type cmd struct {
	args           []string
	stdout, stderr io.Writer
	home           string
	cfg            config
}

var commands map[string]func(*cmd) int

func init() {
	commands = map[string]func(*cmd) int{
		"list":          (*cmd).list,
		"showvminfo":    (*cmd).showvminfo,
		"createvm":      (*cmd).createvm,
		"clonevm":       (*cmd).clonevm,
		"snapshot":      (*cmd).snapshot,
		"startvm":       (*cmd).startvm,
		"controlvm":     (*cmd).controlvm,
		"unregistervm":  (*cmd).unregistervm,
		"modifyvm":      (*cmd).modifyvm,
		"guestproperty": (*cmd).guestproperty,
		"setextradata":  (*cmd).setextradata,
		"getextradata":  (*cmd).getextradata,
	}
}

// fail reports a runtime error the way VBoxManage does and returns exit 1.
func (c *cmd) fail(format string, a ...any) int {
	fmt.Fprintf(c.stderr, "VBoxManage: error: "+format+"\n", a...)
	return exitFailure
}

// notFound is VBoxManage's answer for an unknown machine name or UUID.
func (c *cmd) notFound(ref string) int {
	c.fail("Could not find a registered machine named '%s'", ref)
	return c.fail("Details: code VBOX_E_OBJECT_NOT_FOUND (0x80bb0001), component VirtualBoxWrap, interface IVirtualBox, callee nsISupports")
}

// locked is VBoxManage's answer when a machine is busy in another session.
func (c *cmd) locked(m *vm) int {
	c.fail("The machine '%s' is already locked for a session (or being unlocked)", m.Name)
	return c.fail("Details: code VBOX_E_INVALID_OBJECT_STATE (0x80bb0007), component MachineWrap, interface IMachine")
}

// notRunning is VBoxManage's answer to controlvm on a machine that is off.
func (c *cmd) notRunning(m *vm) int {
	return c.fail("Machine '%s' is not currently running", m.Name)
}

func (c *cmd) syntax(format string, a ...any) int {
	fmt.Fprintf(c.stderr, "VBoxManage: error: "+format+"\n", a...)
	return exitSyntax
}

// withWorld runs fn with the locked world and saves it if fn succeeded.
func (c *cmd) withWorld(fn func(w *world) int) int {
	w, err := open(c.home, c.cfg)
	if err != nil {
		return c.fail("%v", err)
	}
	defer w.close()
	code := fn(w)
	if code == exitOK || w.dirty {
		// Even a failing command may have let simulated time advance.
		if err := w.save(); err != nil {
			return c.fail("saving state: %v", err)
		}
	}
	return code
}

// flags splits args into positional arguments and "--opt value" pairs. Names
// in bools take no value. "--opt=value" is accepted too.
func flags(args []string, bools ...string) (pos []string, opts map[string]string, order []string) {
	opts = map[string]string{}
	isBool := map[string]bool{}
	for _, b := range bools {
		isBool[b] = true
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name, val, hasVal := cut(a)
		if !hasVal && !isBool[name] && i+1 < len(args) {
			i++
			val = args[i]
		}
		opts[name] = val
		order = append(order, name)
	}
	return pos, opts, order
}

func cut(a string) (name, val string, ok bool) {
	for i := 0; i < len(a); i++ {
		if a[i] == '=' {
			return normalize(a[:i]), a[i+1:], true
		}
	}
	return normalize(a), "", false
}

// normalize accepts both -opt and --opt, as VBoxManage does.
func normalize(name string) string {
	if len(name) > 1 && name[1] != '-' {
		return "-" + name
	}
	return name
}
