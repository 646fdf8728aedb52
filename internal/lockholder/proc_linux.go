package lockholder

import (
	"os"
	"strconv"
	"strings"
)

// pidNamespace names this process's PID namespace (e.g. "pid:[4026531836]"),
// so processes in two containers of one machine are not taken for one
// host.
func pidNamespace() string {
	s, _ := os.Readlink("/proc/self/ns/pid")
	return s
}

// bootID changes at every boot: a start time in ticks since boot means
// nothing without it.
var bootID = func() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}()

// startOf returns process pid's start as "<boot ID>:<ticks since boot>", or
// "" if there is no such process or it has exited (a zombie not yet reaped
// holds nothing).
func startOf(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// fields after it are plain. starttime is field 22.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	if f[0] == "Z" || f[0] == "X" {
		return "" // dead, waiting for its parent to reap it
	}
	return bootID + ":" + f[19]
}

// procReadable says /proc answers, so a missing /proc/<pid> means no such
// process.
func procReadable() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}

func processExists(pid int) bool { return startOf(pid) != "" || processSignalable(pid) }
