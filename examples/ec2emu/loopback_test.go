package main

import (
	"net"
	"testing"
)

// The standalone server accepts any credentials and runs containers on
// request, so by default it must be reachable from this machine only.
func TestDefaultAddrIsLoopback(t *testing.T) {
	host, _, err := net.SplitHostPort(defaultAddr)
	if err != nil {
		t.Fatal(err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		t.Errorf("default listen address %q is not a loopback address", defaultAddr)
	}
}
