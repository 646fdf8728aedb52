//go:build unix

package lockholder

import (
	"errors"
	"syscall"
)

// processSignalable reports whether process pid exists: signal 0 checks
// without sending anything, and EPERM means it runs as another user.
func processSignalable(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
