package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseCredentials(t *testing.T) {
	got, err := parseCredentials("AKID1:s3cr/et+1, 123456789012:two")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"AKID1": "s3cr/et+1", "123456789012": "two"}, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	for _, bad := range []string{"AKID", "AKID:", ":secret", "A:b,,C:d"} {
		if _, err := parseCredentials(bad); err == nil {
			t.Errorf("parseCredentials(%q) accepted", bad)
		}
	}
}

// The AWS CLI (botocore's own SigV4 signer) against a server with
// EC2EMU_CREDENTIALS: the right secret works, a wrong one or an unknown key
// is refused with EC2's codes, and so is an unsigned request.
func TestAWSCLIWithCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs the AWS CLI")
	}
	if _, err := exec.LookPath("aws"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the AWS CLI is not installed (scripts/ensure-clients.sh installs it)")
		}
		t.Skip("the AWS CLI is not installed; run scripts/ensure-clients.sh")
	}
	endpoint := startServer(t, "EC2_VM_MANAGER=mock", "EC2_MOCK_DELAY=0s", "EC2EMU_CREDENTIALS=AKIDCLI:cli/Secret+Key,AKIDOTHER:other")
	run := func(key, secret string, extra ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		args := append([]string{"--endpoint-url", endpoint, "--output", "json"}, extra...)
		cmd := exec.CommandContext(ctx, "aws", append(args, "ec2", "describe-availability-zones")...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+secret,
			"AWS_DEFAULT_REGION=eu-west-1", "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
			"AWS_MAX_ATTEMPTS=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("AKIDCLI", "cli/Secret+Key"); err != nil || !strings.Contains(out, "eu-west-1a") {
		t.Errorf("valid key: %v\n%s", err, out)
	}
	for _, tt := range []struct {
		name, key, secret string
		extra             []string
		code              string
	}{
		{"wrong secret", "AKIDCLI", "wrong", nil, "(SignatureDoesNotMatch)"},
		{"unknown key", "AKIDNOBODY", "cli/Secret+Key", nil, "(AuthFailure)"},
		{"unsigned", "AKIDCLI", "cli/Secret+Key", []string{"--no-sign-request"}, "(MissingAuthenticationToken)"},
	} {
		out, err := run(tt.key, tt.secret, tt.extra...)
		if err == nil || !strings.Contains(out, tt.code) {
			t.Errorf("%s: want an error %s, got %v\n%s", tt.name, tt.code, err, out)
		}
	}
}
