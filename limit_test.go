package ec2emu_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

// The instance limit counts live instances only: MaxCount is trimmed to what
// is left, MinCount beyond it fails, and terminated instances (still in the
// zone, describable) free their place.
func TestInstanceLimit(t *testing.T) {
	srv := ec2emutest.NewServer(t, mock.New(mock.WithDelay(0)), ec2emu.WithInstanceLimit(3))
	c, ctx := srv.Client, ctxT(t)
	launch := func(minN, maxN int32) (int, error) {
		out, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(minN), MaxCount: aws.Int32(maxN)})
		if err != nil {
			return 0, err
		}
		return len(out.Instances), nil
	}
	got, err := launch(1, 2)
	if err != nil {
		t.Fatal(err)
	}
	first := got
	got, err = launch(1, 5) // one place left: MaxCount is trimmed to it
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([2]int{2, 1}, [2]int{first, got}); diff != "" {
		t.Fatalf("instances launched (-want +got):\n%s", diff)
	}
	_, err = launch(1, 1)
	wantAPIError(t, err, "InstanceLimitExceeded", 400)

	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range out.Reservations {
		for _, inst := range r.Instances {
			ids = append(ids, aws.ToString(inst.InstanceId))
		}
	}
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids[:2]}); err != nil {
		t.Fatal(err)
	}
	_, err = launch(3, 3) // two places free, though the zone still holds four instances
	wantAPIError(t, err, "InstanceLimitExceeded", 400)
	got, err = launch(1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got != 2 {
		t.Errorf("after terminating 2 of 3, RunInstances MaxCount=3 launched %d, want 2", got)
	}
}
