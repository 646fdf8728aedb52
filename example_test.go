package ec2emu_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

// A Server in httptest, driven by the AWS SDK.
func Example() {
	ctx := context.Background()
	srv := ec2emu.New(mock.New(mock.WithDelay(10 * time.Millisecond)))
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()

	client := ec2emutest.Client(hs.URL, "eu-west-1")
	out, err := client.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String("ami-df5de72bdb3b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
	})
	if err != nil {
		panic(err)
	}
	id := *out.Instances[0].InstanceId
	waiter := ec2.NewInstanceRunningWaiter(client, func(o *ec2.InstanceRunningWaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := waiter.Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, time.Minute); err != nil {
		panic(err)
	}
	d, _ := client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	inst := d.Reservations[0].Instances[0]
	fmt.Println(out.Instances[0].State.Name, "→", inst.State.Name, "in", *inst.Placement.AvailabilityZone)
	// Output: pending → running in eu-west-1a
}
