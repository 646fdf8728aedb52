package myapp_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

func TestLaunch(t *testing.T) {
	ctx := t.Context()
	// An EC2 endpoint on loopback over the in-memory backend, with an SDK
	// client pointed at it; both go away when the test ends. Point your own
	// code at srv.URL, or hand it srv.Client.
	srv := ec2emutest.NewServer(t, mock.New())

	out, err := srv.Client.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId:      aws.String("ami-df5de72bdb3b"), // preloaded by the mock
		InstanceType: types.InstanceTypeT3Micro,
		MinCount:     aws.Int32(1),
		MaxCount:     aws.Int32(1),
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.Instances[0].InstanceId)

	// The SDK's waiters poll every 15 s by default, which suits AWS, not an
	// emulator whose mock instance is running 50 ms after launch.
	waiter := ec2.NewInstanceRunningWaiter(srv.Client, func(o *ec2.InstanceRunningWaiterOptions) {
		o.MinDelay = 10 * time.Millisecond
		o.MaxDelay = 500 * time.Millisecond
	})
	desc, err := waiter.WaitForOutput(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := desc.Reservations[0].Instances[0].State.Name; got != types.InstanceStateNameRunning {
		t.Errorf("%s is %s, want running", id, got)
	}
}
