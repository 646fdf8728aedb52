//go:build !linux

package docker

import "errors"

// Volumes are bind mounts made on the engine's host with Linux's mount
// propagation; elsewhere the backend has none (volumes.go reports it).

var errNoMounts = errors.New("volumes need Linux mount propagation")

type mountEntry struct{ root, point string }

func readMounts() ([]mountEntry, error)                     { return nil, errNoMounts }
func topMount(ms []mountEntry, p string) (mountEntry, bool) { return mountEntry{}, false }
func mountsUnder(ms []mountEntry, dir string) []string      { return nil }
func bindMount(src, dst string) error                       { return errNoMounts }
func unmount(p string) error                                { return errNoMounts }
func removeUnmounted(dir string) error                      { return errNoMounts }
func canMount() bool                                        { return false }
func prepareRoot(dir string) (string, error)                { return "", errNoMounts }
