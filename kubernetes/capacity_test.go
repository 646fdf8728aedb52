package kubernetes_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/kubernetes"
)

// LaunchCapacity counts what the nodes have left: a launched instance
// takes exactly one slot of its size, a type larger than any node fits
// nowhere, and a RunInstances whose MinCount does not fit launches
// nothing (InsufficientInstanceCapacity before acceptance).
func TestLaunchCapacity(t *testing.T) {
	c := requireCluster(t)
	ctx := ctxT(t)
	// A quarter of EC2's size: t3.micro asks 500m CPU and 256 MiB, so the
	// CPU of a small node binds first.
	b, err := c.open(ctx, c.kns[0], kubernetes.WithRequestScale(0.25))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	spec := backend.CapacitySpec{InstanceType: "t3.micro", ImageID: testAMI()}
	before, err := b.LaunchCapacity(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if before < 1 {
		t.Skipf("the cluster has no room for one t3.micro at a quarter size (%d)", before)
	}
	launch(t, ctx, b, nil)
	after, err := b.LaunchCapacity(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if after != before-1 {
		t.Errorf("LaunchCapacity %d before a launch, %d after, want one less", before, after)
	}
	if n, err := b.LaunchCapacity(ctx, backend.CapacitySpec{InstanceType: "m5.24xlarge", ImageID: testAMI()}); err != nil || n != 0 {
		t.Errorf("LaunchCapacity of a type no node holds: %d, %v; want 0", n, err)
	}
	if _, err := b.LaunchCapacity(ctx, backend.CapacitySpec{InstanceType: "t3.micro", ImageID: "ami-00000000000dead0"}); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("LaunchCapacity of an image no node has: %v, want ErrNotFound", err)
	}
	if n, err := b.Capacity(ctx); err != nil || n < after {
		t.Errorf("Capacity %d, %v; want at least LaunchCapacity's %d", n, err, after)
	}

	// Through the Server: MinCount one more than fits launches nothing.
	srv := ec2emutest.NewServer(t, b)
	_, err = srv.Client.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(testAMI()), InstanceType: types.InstanceTypeT3Micro,
		MinCount: aws.Int32(int32(after + 1)), MaxCount: aws.Int32(int32(after + 1))})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InsufficientInstanceCapacity" {
		t.Errorf("RunInstances of %d where %d fit: %v, want InsufficientInstanceCapacity", after+1, after, err)
	}
	d, err := srv.Client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(d.Reservations); n != 0 {
		t.Errorf("%d reservations after a refused launch, want none", n)
	}
	ns := c.used[len(c.used)-1]
	pods, err := c.cs.CoreV1().Pods(c.kns[0]).List(ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelNamespace + "=" + ns})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(1, len(pods.Items)); diff != "" {
		t.Errorf("pods after a refused launch (-want +got):\n%s", diff)
	}
}
