// Package httptest shows the emulator inside a Go test: a Server in
// net/http/httptest, driven by the AWS SDK, waiting for an instance with the
// SDK's own waiter.
package httptest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
)

func Example() {
	ctx := context.Background()
	srv := ec2emu.New(mock.New())
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()

	client := ec2.New(ec2.Options{
		Region:       "us-west-2",
		BaseEndpoint: aws.String(hs.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	out, err := client.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId:  aws.String("ami-024f768332f0"), // Amazon Linux 2023, preloaded
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		InstanceType: types.InstanceTypeT3Micro,
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance,
			Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("web")}}}},
	})
	if err != nil {
		panic(err)
	}
	id := *out.Instances[0].InstanceId
	waiter := ec2.NewInstanceRunningWaiter(client, func(o *ec2.InstanceRunningWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond // the default 15 s suits AWS, not an emulator
	})
	if err := waiter.Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, time.Minute); err != nil {
		panic(err)
	}
	d, err := client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{
		Filters: []types.Filter{{Name: aws.String("tag:Name"), Values: []string{"w*"}}},
	})
	if err != nil {
		panic(err)
	}
	inst := d.Reservations[0].Instances[0]
	fmt.Println(inst.State.Name, inst.InstanceType, *inst.Placement.AvailabilityZone)
	// Output: running t3.micro us-west-2a
}
