package virtualbox

import (
	"strings"
	"testing"
	"time"
)

// An option given a value that cannot be right panics, naming itself.
func TestOptionsPanicOnWrongValues(t *testing.T) {
	for name, mk := range map[string]func(){
		"WithLogger":        func() { WithLogger(nil) },
		"WithStopTimeout":   func() { WithStopTimeout(-time.Second) },
		"WithIPWait":        func() { WithIPWait(-time.Second) },
		"WithPollInterval":  func() { WithPollInterval(0) },
		"WithWatchInterval": func() { WithWatchInterval(0) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if msg, _ := recover().(string); !strings.HasPrefix(msg, "virtualbox: "+name+"(") {
					t.Errorf("panic %q, want one naming virtualbox: %s", msg, name)
				}
			}()
			mk()
		})
	}
}
