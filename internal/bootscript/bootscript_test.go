package bootscript

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnwrap(t *testing.T) {
	orig := []string{"/entry", "arg"}
	tests := []struct {
		name            string
		entrypoint, cmd []string
		want            []string
	}{
		{"wrapped, user data with NUL", Wrap("i-1", []byte("echo\x00"), "key", orig), []string{"ignored"}, orig},
		{"wrapped, nothing to install", Wrap("i-1", nil, "", orig), nil, orig},
		{"plain", []string{"a"}, []string{"b"}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Unwrap(tt.entrypoint, tt.cmd)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
