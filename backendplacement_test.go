package ec2emu_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

// placed is a mock backend that has only some zones and room for a number
// of machines that depends on the instance type.
type placed struct {
	*mock.Backend
	zones []string
	room  map[string]int // instance type → machines that fit
	asked []backend.CapacitySpec
}

func (p *placed) Zones(ctx context.Context) ([]string, error) { return p.zones, nil }

func (p *placed) LaunchCapacity(ctx context.Context, spec backend.CapacitySpec) (int, error) {
	p.asked = append(p.asked, spec)
	return p.room[spec.InstanceType], nil
}

// A ZoneLister's zones are the only ones offered, the first is the default,
// and a LaunchCapacityReporter's count for the launch's type, image and
// zone bounds MinCount.
func TestBackendZonesAndLaunchCapacity(t *testing.T) {
	ctx := context.Background()
	b := &placed{Backend: mock.New(mock.WithDelay(0)), zones: []string{"us-east-1c", "not-a-zone"},
		room: map[string]int{"t3.micro": 2}}
	srv := ec2emutest.NewServer(t, b)
	az, err := srv.Client.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, z := range az.AvailabilityZones {
		names = append(names, *z.ZoneName+" "+*z.ZoneId)
	}
	if diff := cmp.Diff([]string{"us-east-1c use1-az3"}, names); diff != "" {
		t.Errorf("zones offered (-want +got):\n%s", diff)
	}
	ami := mock.DefaultImages[0].ID
	run := func(typ types.InstanceType, n int32, zone string) (*ec2.RunInstancesOutput, error) {
		in := &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: typ, MinCount: aws.Int32(n), MaxCount: aws.Int32(n)}
		if zone != "" {
			in.Placement = &types.Placement{AvailabilityZone: aws.String(zone)}
		}
		return srv.Client.RunInstances(ctx, in)
	}
	code := func(err error) string {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		return ""
	}
	if _, err := run(types.InstanceTypeT3Micro, 1, "us-east-1a"); code(err) != "InvalidParameterValue" {
		t.Errorf("a zone the backend lacks: %v, want InvalidParameterValue", err)
	}
	if _, err := run(types.InstanceTypeT3Micro, 3, ""); code(err) != "InsufficientInstanceCapacity" {
		t.Errorf("MinCount 3 where 2 fit: %v, want InsufficientInstanceCapacity", err)
	}
	if _, err := run(types.InstanceTypeM524xlarge, 1, ""); code(err) != "InsufficientInstanceCapacity" {
		t.Errorf("a type none of fits: %v, want InsufficientInstanceCapacity", err)
	}
	out, err := run(types.InstanceTypeT3Micro, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range out.Instances {
		if got := aws.ToString(i.Placement.AvailabilityZone); got != "us-east-1c" {
			t.Errorf("instance %s in %s, want the only zone offered, us-east-1c", *i.InstanceId, got)
		}
	}
	want := backend.CapacitySpec{InstanceType: "t3.micro", ImageID: ami, Zone: "us-east-1c"}
	if diff := cmp.Diff(want, b.asked[len(b.asked)-1]); diff != "" {
		t.Errorf("capacity asked for (-want +got):\n%s", diff)
	}
}
