package backendtest

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

func init() {
	checks = append(checks, check{"VPCNetwork", checkVPCNetwork})
}

// checkVPCNetwork: a backend.VPCNetworker's machine has exactly the address
// RunInstances answered when the VPC's network takes the Server's
// addresses, a real one otherwise; removing the network of a deleted VPC,
// or of one never seen, is not an error.
func checkVPCNetwork(ctx context.Context, e *env) error {
	nw, ok := e.b.(backend.VPCNetworker)
	if !ok {
		return errSkip
	}
	p := testutil.VPCRange() // a range of its own on a shared engine
	v, err := e.c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(p.String())})
	if err != nil {
		return fmt.Errorf("CreateVpc: %w", err)
	}
	sn, err := e.c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String(p.String())})
	if err != nil {
		return fmt.Errorf("CreateSubnet: %w", err)
	}
	out, err := e.c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(e.h.ImageID), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SubnetId: sn.Subnet.SubnetId})
	if err != nil {
		return fmt.Errorf("RunInstances: %w", err)
	}
	id, answered := aws.ToString(out.Instances[0].InstanceId), aws.ToString(out.Instances[0].PrivateIpAddress)
	if err := e.waitState(ctx, []string{id}, types.InstanceStateNameRunning); err != nil {
		return err
	}
	ms, err := e.b.Machines(ctx)
	if err != nil {
		return err
	}
	var got string
	for _, m := range ms {
		if m.ID == id {
			got = m.PrivateIP
		}
	}
	switch {
	case answered != "" && got != answered:
		return fmt.Errorf("RunInstances answered address %s; the machine has %q", answered, got)
	case answered != "" && !p.Contains(netip.MustParseAddr(answered)):
		return fmt.Errorf("RunInstances answered address %s, outside the subnet %s", answered, p)
	case answered == "" && got == "":
		return fmt.Errorf("the VPC's network takes no Server address, and the machine reports none")
	}
	if _, err := e.c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		return err
	}
	if err := e.waitState(ctx, []string{id}, types.InstanceStateNameTerminated); err != nil {
		return err
	}
	if err := nw.RemoveNetwork(ctx, aws.ToString(v.Vpc.VpcId)); err != nil {
		return fmt.Errorf("RemoveNetwork of a VPC without machines: %w", err)
	}
	if err := nw.RemoveNetwork(ctx, "vpc-0000000000000dead"); err != nil {
		return fmt.Errorf("RemoveNetwork of a VPC never seen: %w", err)
	}
	return nil
}
