//go:build !linux

package dockertest

import (
	"os"
	"path/filepath"
)

// RemoveVolumeMounts removes root/namespace; elsewhere than on Linux the
// docker backend mounts nothing in it.
func RemoveVolumeMounts(root, namespace string) error {
	return os.RemoveAll(filepath.Join(root, namespace))
}
