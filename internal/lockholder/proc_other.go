//go:build !linux

package lockholder

// Outside Linux there is no portable process start time; a holder is
// identified by host and PID only.
func pidNamespace() string       { return "" }
func startOf(pid int) string     { return "" }
func procReadable() bool         { return false }
func processExists(pid int) bool { return processSignalable(pid) }
