package ec2emu_test

import (
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/internal/stress"
)

// TestStressMock: 32 SDK clients race run/describe/stop/start/reboot/
// terminate/create-image on overlapping instances; afterwards every
// instance launched is described once, in a settled state that matches the
// backend's machine, and no goroutine outlives Close.
func TestStressMock(t *testing.T) {
	stress.Run(t, stress.Config{
		Backend:      mock.New(mock.WithDelay(2 * time.Millisecond)),
		ImageID:      ubuntuAMI,
		Clients:      32,
		Rounds:       10,
		MaxInstances: 32,
		MaxImages:    8,
		Settle:       30 * time.Second,
	})
}
