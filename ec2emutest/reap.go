package ec2emutest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ec2emu/ec2emu/backend"
)

// Namespace returns a backend namespace unique to this test, and to this
// process among those sharing an engine: ec2emutest-<host>-<pid>-<random>.
// Open reaps namespaces of this form whose process is gone.
func Namespace(t testing.TB) string {
	return fmt.Sprintf("%s%s-%d-%s", nsPrefix, hostLabel(), os.Getpid(), randHex(4))
}

const nsPrefix = "ec2emutest-"

// recordDir holds one empty file per namespace Open created and has not yet
// cleaned up: <backend name>@<namespace>. It is how a later process finds
// what a dead one left, whatever the backend, without asking it to list
// namespaces.
func recordDir() string { return filepath.Join(os.TempDir(), "ec2emutest") }

// record notes that backend name is about to run machines in namespace ns,
// and returns the record's path.
func record(name, ns string) (string, error) {
	if strings.ContainsAny(name, "@/"+string(filepath.Separator)) {
		return "", fmt.Errorf("backend name %q cannot be recorded", name)
	}
	dir := recordDir()
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return "", err
	}
	p := filepath.Join(dir, name+"@"+ns)
	f, err := os.Create(p)
	if err != nil {
		return "", err
	}
	return p, f.Close()
}

// reapDead terminates the machines of every recorded namespace whose process
// on this host no longer runs, and drops its record. A record is claimed by
// renaming it first, so two processes never reap the same namespace; one
// that cannot be reaped now (its backend not imported here, or failing) is
// put back for a later process.
func reapDead(t testing.TB) {
	dir := recordDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return // no record yet
	}
	for _, e := range entries {
		name, ns, ok := strings.Cut(e.Name(), "@")
		if !ok || !slices.Contains(backend.Names(), name) {
			continue
		}
		pid, ok := namespacePID(ns)
		if !ok || processAlive(pid) {
			continue
		}
		rec := filepath.Join(dir, e.Name())
		claimed := rec + ".reaping-" + strconv.Itoa(os.Getpid())
		if os.Rename(rec, claimed) != nil {
			continue // another process got it first
		}
		if err := reap(name, ns); err != nil {
			t.Logf("ec2emutest: reaping %s namespace %s left by dead process %d: %v", name, ns, pid, err)
			os.Rename(claimed, rec)
			continue
		}
		os.Remove(claimed)
	}
}

// reap terminates every machine of backend name in namespace ns, and frees
// the namespace lock the dead process left (taking it over from a holder
// that is gone, then releasing it, removes its marker).
func reap(name, ns string) error {
	ctx, cancel := cleanupContext()
	defer cancel()
	b, err := backend.Open(ctx, name, backend.Config{Namespace: ns})
	if err != nil {
		return err
	}
	defer b.Close()
	ms, err := b.Machines(ctx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := b.Terminate(ctx, m.ID); err != nil {
			return err
		}
	}
	if l, ok := b.(backend.NamespaceLocker); ok {
		lk, err := l.LockNamespace(ctx)
		if err != nil {
			return err
		}
		return lk.Release(ctx)
	}
	return nil
}

// namespacePID returns the process ID in a namespace Namespace made on this
// host.
func namespacePID(ns string) (int, bool) {
	rest, ok := strings.CutPrefix(ns, nsPrefix+hostLabel()+"-")
	if !ok {
		return 0, false
	}
	pid, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(pid)
	return n, err == nil && n > 0
}

// hostLabel is the host name reduced to [a-z0-9], so it fits any backend's
// namespace and cannot hold the separator '-'.
func hostLabel() string {
	h, _ := os.Hostname()
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "host"
	}
	return b.String()
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
