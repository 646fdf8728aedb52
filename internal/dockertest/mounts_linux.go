//go:build linux

package dockertest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// RemoveVolumeMounts undoes every mount under root/namespace (the docker
// backend's attached volumes, root being its volume root), lazily, deepest
// first, and then removes that directory, but only once nothing is mounted
// in it any more, so no volume's files are deleted through a mount. A
// missing directory is fine.
func RemoveVolumeMounts(root, namespace string) error {
	if namespace == "" || strings.ContainsAny(namespace, "/\x00") || namespace == "." || namespace == ".." {
		return fmt.Errorf("dockertest: namespace %q names no directory", namespace)
	}
	dir := filepath.Join(root, namespace)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	} else if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	for range 16 {
		points, err := mountsUnder(dir)
		if err != nil {
			return err
		}
		if len(points) == 0 {
			if err := os.RemoveAll(dir); err != nil {
				return fmt.Errorf("dockertest: %w", err)
			}
			return nil
		}
		for _, p := range points {
			if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
				return fmt.Errorf("dockertest: unmount %s: %w", p, err)
			}
		}
	}
	return fmt.Errorf("dockertest: mounts under %s keep coming back", dir)
}

// mountsUnder lists the mount points at or below dir, deepest first.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("dockertest: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		p := fields[4] // octal escapes: the backend's paths have no space or tab
		if p == dir || strings.HasPrefix(p, dir+"/") {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	return out, sc.Err()
}
