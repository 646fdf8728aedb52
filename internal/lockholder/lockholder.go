// Package lockholder says who holds a namespace lock, in a form a backend
// can store on its marker object (container labels, VM extradata), and
// whether that holder still runs.
//
// A holder is a process on a host. The host is named by an ID that stays
// the same for every process of one machine and one PID namespace
// (/etc/machine-id, else the host name, plus the PID namespace on Linux), so
// a PID is only ever compared with the PIDs of the same namespace. A PID
// alone would be reused: the holder's start time (on Linux, the boot ID and
// the process's start in clock ticks since boot) tells the holder from a
// later process that got the same number.
package lockholder

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Holder identifies one lock holder.
type Holder struct {
	// HostID names the machine and PID namespace; processes with the same
	// HostID can see each other's PIDs.
	HostID string
	// Host is the host name, for people reading an error.
	Host string
	// PID is the holder's process ID.
	PID int
	// Start tells this process from a later one with the same PID; empty
	// where the platform cannot say.
	Start string
	// Nonce is random per lock taken, so one process's two locks (or a
	// lock taken again) are never confused.
	Nonce string
}

// String is how an error names the holder.
func (h Holder) String() string {
	return fmt.Sprintf("process %d on host %s", h.PID, h.Host)
}

// self is this process, computed once.
var self = func() Holder {
	host, _ := os.Hostname()
	if host == "" {
		host = "unknown"
	}
	id := machineID()
	if id == "" {
		id = "host:" + host
	}
	if ns := pidNamespace(); ns != "" {
		id += "/" + ns
	}
	return Holder{HostID: id, Host: host, PID: os.Getpid(), Start: startOf(os.Getpid())}
}()

// Self returns this process as a holder with a fresh nonce.
func Self() Holder {
	h := self
	h.Nonce = randHex(8)
	return h
}

// machineID is systemd's (or D-Bus's) stable machine ID, "" if neither file
// exists.
func machineID() string {
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(p); err == nil {
			if s := strings.TrimSpace(string(b)); s != "" {
				return s
			}
		}
	}
	return ""
}

// Alive reports whether h still runs, as far as this process can tell. It
// can tell only for a holder with this process's HostID; for any other it
// reports true and known false, and the caller must rely on a lease.
func Alive(h Holder) (alive, known bool) {
	if h.HostID != self.HostID || h.PID <= 0 {
		return true, false
	}
	if h.PID == self.PID && h.Start == self.Start {
		return true, true
	}
	if h.Start != "" {
		if s := startOf(h.PID); s != "" || procReadable() {
			return s == h.Start, true
		}
	}
	return processExists(h.PID), true
}

// Labels are the keys Encode and Decode use; a backend prefixes them.
const (
	KeyHostID = "host-id"
	KeyHost   = "host"
	KeyPID    = "pid"
	KeyStart  = "start"
	KeyNonce  = "nonce"
)

// Encode returns h as key/value pairs under prefix.
func (h Holder) Encode(prefix string) map[string]string {
	return map[string]string{
		prefix + KeyHostID: h.HostID,
		prefix + KeyHost:   h.Host,
		prefix + KeyPID:    strconv.Itoa(h.PID),
		prefix + KeyStart:  h.Start,
		prefix + KeyNonce:  h.Nonce,
	}
}

// Decode reads what Encode wrote; ok is false if the holder's identity is
// missing or malformed.
func Decode(m map[string]string, prefix string) (Holder, bool) {
	pid, err := strconv.Atoi(m[prefix+KeyPID])
	h := Holder{HostID: m[prefix+KeyHostID], Host: m[prefix+KeyHost], PID: pid, Start: m[prefix+KeyStart], Nonce: m[prefix+KeyNonce]}
	return h, err == nil && pid > 0 && h.HostID != "" && h.Nonce != ""
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
