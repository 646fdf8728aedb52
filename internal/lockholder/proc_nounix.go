//go:build !unix

package lockholder

// processSignalable cannot tell a dead process here: the holder is taken
// to run, and only its lease (or Release) frees the lock.
func processSignalable(pid int) bool { return true }
