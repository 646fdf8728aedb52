package lockholder

import (
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/internal/testutil"
)

func TestEncodeDecode(t *testing.T) {
	h := Self()
	got, ok := Decode(h.Encode("p."), "p.")
	if !ok {
		t.Fatalf("Decode(Encode(%+v)) not ok", h)
	}
	if diff := cmp.Diff(h, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if a, b := Self().Nonce, Self().Nonce; a == b {
		t.Errorf("two Self() share nonce %q", a)
	}
	for _, m := range []map[string]string{
		{},
		{"p.host-id": "h", "p.pid": "x", "p.nonce": "n"},
		{"p.host-id": "h", "p.pid": "0", "p.nonce": "n"},
		{"p.host-id": "", "p.pid": "12", "p.nonce": "n"},
		{"p.host-id": "h", "p.pid": "12", "p.nonce": ""},
	} {
		if _, ok := Decode(m, "p."); ok {
			t.Errorf("Decode(%v) ok; want malformed", m)
		}
	}
}

// TestAlive checks each case a lock taker meets: itself, a live and a dead
// process of this host, a PID reused by another process, another host.
func TestAlive(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skip("cannot start a child process:", err)
	}
	live := self
	live.PID, live.Start = cmd.Process.Pid, startOf(cmd.Process.Pid)
	if runtime.GOOS == "linux" && live.Start == "" {
		t.Fatal("no start time for a running child")
	}
	cmd.Process.Kill()
	cmd.Wait()
	dead := live

	reused := self // this process's PID, but another start
	reused.Start = "other-boot:1"
	if runtime.GOOS != "linux" {
		reused.Start = ""
	}
	other := self
	other.HostID = "elsewhere"

	tests := []struct {
		name         string
		h            Holder
		alive, known bool
	}{
		{"self", Self(), true, true},
		{"dead child", dead, false, true},
		{"another host", other, true, false},
	}
	if runtime.GOOS == "linux" {
		tests = append(tests, struct {
			name         string
			h            Holder
			alive, known bool
		}{"reused pid", reused, false, true})
	}
	for _, tt := range tests {
		alive, known := Alive(tt.h)
		if diff := cmp.Diff([]bool{tt.alive, tt.known}, []bool{alive, known}); diff != "" {
			t.Errorf("%s: Alive(%+v) [alive known] (-want +got):\n%s", tt.name, tt.h, diff)
		}
	}
}

func TestAliveRunningChild(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skip("cannot start a child process:", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	h := self
	h.PID, h.Start = cmd.Process.Pid, startOf(cmd.Process.Pid)
	if alive, known := Alive(h); !alive || !known {
		t.Errorf("Alive(running child) = %v, %v; want true, true", alive, known)
	}
	if runtime.GOOS != "linux" {
		return // only /proc shows a zombie as one
	}
	// Killed but not yet reaped (a zombie), it holds nothing any more.
	cmd.Process.Kill()
	testutil.Until(t, 10*time.Second, "the killed child to count as dead", func() bool {
		alive, _ := Alive(h)
		return !alive
	})
}
