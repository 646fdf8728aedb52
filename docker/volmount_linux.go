//go:build linux

package docker

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Host-side mounts for volumes (volumes.go): the one thing this package does
// outside the engine's API, and only on Linux.

// mountEntry is one line of /proc/self/mountinfo: root is the path, within
// its file system, of what is mounted; point is where.
type mountEntry struct{ root, point string }

// readMounts lists this process's mounts, in mount order (a later entry at
// the same point is stacked on an earlier one).
func readMounts() ([]mountEntry, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mountEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		out = append(out, mountEntry{root: unescapeMount(fields[3]), point: unescapeMount(fields[4])})
	}
	return out, sc.Err()
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space, …).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// topMount returns the mount visible at point p, if p is a mount point.
func topMount(ms []mountEntry, p string) (mountEntry, bool) {
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].point == p {
			return ms[i], true
		}
	}
	return mountEntry{}, false
}

// mountsUnder returns the mount points at or below dir, deepest first, so
// they can be unmounted in that order.
func mountsUnder(ms []mountEntry, dir string) []string {
	var out []string
	for _, m := range ms {
		if m.point == dir || strings.HasPrefix(m.point, dir+"/") {
			out = append(out, m.point)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	return out
}

// bindMount mounts directory src on dst.
func bindMount(src, dst string) error {
	if err := syscall.Mount(src, dst, "", syscall.MS_BIND, ""); err != nil {
		return &os.PathError{Op: "bind mount " + src + " on", Path: dst, Err: err}
	}
	return nil
}

// unmount detaches every mount stacked at p, lazily (MNT_DETACH), so a
// process whose working directory is inside does not make it fail: the
// files stay reachable to it, and to no one else.
func unmount(p string) error {
	for range 16 {
		err := syscall.Unmount(p, syscall.MNT_DETACH)
		if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOENT) {
			return nil // not (or no longer) a mount point
		}
		if err != nil {
			return &os.PathError{Op: "unmount", Path: p, Err: err}
		}
	}
	return fmt.Errorf("unmount %s: still mounted after 16 unmounts", p)
}

// unmountUnder unmounts everything at or below dir, deepest first, and
// reports whether nothing is mounted there any more.
func unmountUnder(dir string) error {
	ms, err := readMounts()
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range mountsUnder(ms, dir) {
		if err := unmount(p); err != nil {
			errs = append(errs, err)
		}
	}
	if ms, err = readMounts(); err != nil {
		return err
	}
	if left := mountsUnder(ms, dir); len(left) > 0 {
		errs = append(errs, fmt.Errorf("still mounted under %s: %v", dir, left))
	}
	return errors.Join(errs...)
}

// removeUnmounted unmounts everything under dir, then removes dir with what
// it holds, but only once nothing is mounted there: removing the tree
// through a mount would delete a volume's files.
func removeUnmounted(dir string) error {
	if err := unmountUnder(dir); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// capSysAdmin is the capability bit mount(2) needs.
const capSysAdmin = 21

// canMount reports whether this process may mount: whether its effective
// capabilities hold CAP_SYS_ADMIN.
func canMount() bool {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<capSysAdmin) != 0
		}
	}
	return false
}

var (
	rootsMu sync.Mutex
	roots   = map[string]error{} // volume roots made shared by this process
)

// prepareRoot makes dir (created if missing) a shared mount, once per
// process: Docker accepts rslave propagation on a bind mount only from a
// shared (or slave) mount, and it is propagation that carries a volume
// mounted later under dir into containers already running. If dir is not a
// mount point it is first bind-mounted on itself. An exclusive flock on dir
// keeps two processes from stacking two such mounts. It returns dir with
// symlinks resolved, as mountinfo names it.
func prepareRoot(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	rootsMu.Lock()
	defer rootsMu.Unlock()
	if err, ok := roots[real]; ok {
		return real, err
	}
	err = shareRoot(real)
	roots[real] = err
	return real, err
}

func shareRoot(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return &os.PathError{Op: "flock", Path: dir, Err: err}
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	ms, err := readMounts()
	if err != nil {
		return err
	}
	if _, ok := topMount(ms, dir); !ok {
		if err := bindMount(dir, dir); err != nil {
			return err
		}
	}
	if err := syscall.Mount("", dir, "", syscall.MS_SHARED|syscall.MS_REC, ""); err != nil {
		return &os.PathError{Op: "make rshared", Path: dir, Err: err}
	}
	return nil
}
