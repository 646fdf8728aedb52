package ec2emutest_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

// TestLargeResponsesWithoutRetries reads a response several times larger
// than the transport's read buffer (20 instance types, about 40 KiB) many
// times over, with retries off. Without the
// in-memory request body the SDK's own close of the request body races the
// transport and some reads fail with "use of closed network connection".
func TestLargeResponsesWithoutRetries(t *testing.T) {
	srv := ec2emutest.NewServer(t, mock.New())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for i := range 60 {
		out, err := srv.Client.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(20)},
			func(o *ec2.Options) { o.RetryMaxAttempts = 1 })
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if len(out.InstanceTypes) != 20 {
			t.Fatalf("call %d: %d instance types, want 20", i, len(out.InstanceTypes))
		}
	}
}

// TestNewServerTerminatesWhatTheTestLaunched: when a test ends, the machines
// launched through its Server are gone, those the backend ran before stay,
// and the backend is left open for its owner to close.
func TestNewServerTerminatesWhatTheTestLaunched(t *testing.T) {
	b := mock.New(mock.WithDelay(0))
	ctx := t.Context()
	before, err := b.Launch(ctx, backend.LaunchSpec{InstanceID: "i-0123456789abcdef0", ImageID: "ami-df5de72bdb3b"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("test", func(t *testing.T) {
		srv := ec2emutest.NewServer(t, b)
		if _, err := srv.Client.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-df5de72bdb3b"),
			MinCount: aws.Int32(2), MaxCount: aws.Int32(2)}); err != nil {
			t.Fatal(err)
		}
	})
	ms, err := b.Machines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.ID)
	}
	if diff := cmp.Diff([]string{before.ID}, got); diff != "" {
		t.Errorf("machines after the test (-want +got):\n%s", diff)
	}
}
