package docker_test

import (
	"strings"
	"testing"

	"github.com/ec2emu/ec2emu/docker"
)

// An option given a value that cannot be right panics, naming itself.
func TestOptionsPanicOnWrongValues(t *testing.T) {
	for name, mk := range map[string]func(){
		"WithLogger":     func() { docker.WithLogger(nil) },
		"WithNamespace":  func() { docker.WithNamespace("") },
		"WithClient":     func() { docker.WithClient(nil) },
		"WithVolumeRoot": func() { docker.WithVolumeRoot("run/ec2emu") },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if msg, _ := recover().(string); !strings.HasPrefix(msg, "docker: "+name+"(") {
					t.Errorf("panic %q, want one naming docker: %s", msg, name)
				}
			}()
			mk()
		})
	}
}
