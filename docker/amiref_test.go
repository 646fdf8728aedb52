package docker

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseAMIRef: a tag is an AMI only if its ID passes the seam's one
// definition, so DescribeImages never lists what RunInstances would refuse.
func TestParseAMIRef(t *testing.T) {
	for _, tt := range []struct {
		ref, name, id string
		ok            bool
	}{
		{"localstack-ec2/ubuntu:ami-000001", "ubuntu", "ami-000001", true},
		{"localstack-ec2/team/app:ami-0123456789abcdef0", "team/app", "ami-0123456789abcdef0", true},
		{"localstack-ec2/x:ami-ubuntu2404", "", "", false},
		{"localstack-ec2/x:latest", "", "", false},
		{"localstack-ec2/:ami-01", "", "", false},
		{"other/x:ami-01", "", "", false},
	} {
		name, id, ok := parseAMIRef(tt.ref)
		if diff := cmp.Diff([]any{tt.name, tt.id, tt.ok}, []any{name, id, ok}); diff != "" {
			t.Errorf("parseAMIRef(%q) (-want +got)\n%s", tt.ref, diff)
		}
	}
}
