package ec2model_test

import (
	"fmt"
	"net/url"

	"github.com/ec2emu/ec2emu/internal/ec2model"
)

func ExampleCheck() {
	// A one-letter typo of InstanceId.1, which AWS refuses.
	q, _ := url.ParseQuery("InstanceIds.1=i-0123456789abcdef0&MaxResults=5")
	fmt.Println(ec2model.Check("DescribeInstances", q))

	q, _ = url.ParseQuery("ImageId=ami-1&MinCount=1&InstanceType=t3.micro")
	fmt.Println(ec2model.Check("RunInstances", q))

	q.Set("MaxCount", "1")
	fmt.Println(ec2model.Check("RunInstances", q) == nil)
	// Output:
	// UnknownParameter: The parameter InstanceIds.1 is not recognized
	// MissingParameter: The request must contain the parameter MaxCount
	// true
}

func ExampleFilterAllowed() {
	fmt.Println(ec2model.FilterAllowed("DescribeInstances", "tag:Name"))
	fmt.Println(ec2model.FilterAllowed("DescribeInstances", "public-ip"))
	fmt.Println(ec2model.FilterAllowed("DescribeIpams", "anything"))
	// Output:
	// true true
	// false true
	// false false
}
