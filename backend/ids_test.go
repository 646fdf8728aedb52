package backend_test

import (
	"strings"
	"testing"

	"github.com/ec2emu/ec2emu/backend"
)

func TestValidImageID(t *testing.T) {
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{"ami-000001", true},
		{"ami-0123456789abcdef0", true},
		{"ami-" + strings.Repeat("f", 32), true},
		{"ami-" + strings.Repeat("f", 33), false},
		{"ami-", false},
		{"ami-ubuntu2404", false}, // a docker tag may say so, but it is no AMI ID
		{"ami-ABCDEF", false},
		{"AMI-0123", false},
		{"i-0123456789abcdef0", false},
		{"", false},
	} {
		if got := backend.ValidImageID(tt.id); got != tt.want {
			t.Errorf("ValidImageID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
