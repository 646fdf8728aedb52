package kubernetes

import "time"

// SetRenewEvery shortens the lock's renewal period for a test and returns
// the function that restores it.
func SetRenewEvery(d time.Duration) func() {
	old := renewEvery
	renewEvery = d
	return func() { renewEvery = old }
}

// LeaseName is leaseName, for tests.
var LeaseName = leaseName
