package ec2emu_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// newSubnet makes a VPC of vpcCIDR with one subnet of cidr.
func newSubnet(t *testing.T, c *ec2.Client, vpcCIDR, cidr string) (vpcID, subnetID string) {
	t.Helper()
	ctx := ctxT(t)
	v := must(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(vpcCIDR)}))
	sn := must(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String(cidr)}))
	return aws.ToString(v.Vpc.VpcId), aws.ToString(sn.Subnet.SubnetId)
}

func availableIPs(t *testing.T, c *ec2.Client, subnet string) int32 {
	t.Helper()
	out := must(c.DescribeSubnets(ctxT(t), &ec2.DescribeSubnetsInput{SubnetIds: []string{subnet}}))
	return aws.ToInt32(out.Subnets[0].AvailableIpAddressCount)
}

func TestPrivateAddressesFromTheSubnet(t *testing.T) {
	srv, b := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	vpcID, subnet := newSubnet(t, c, "10.20.0.0/16", "10.20.1.0/24")

	out := run(t, c, &ec2.RunInstancesInput{SubnetId: &subnet, MinCount: aws.Int32(3), MaxCount: aws.Int32(3)})
	var got []string
	for _, i := range out.Instances {
		got = append(got, aws.ToString(i.PrivateIpAddress))
	}
	// The first four addresses are AWS's; the answer carries the addresses
	// at once, while the instances are still pending.
	want := []string{"10.20.1.4", "10.20.1.5", "10.20.1.6"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RunInstances addresses (-want +got):\n%s", diff)
	}
	if n := availableIPs(t, c, subnet); n != 251-3 {
		t.Errorf("availableIpAddressCount = %d, want %d", n, 251-3)
	}
	for i, inst := range out.Instances {
		id := aws.ToString(inst.InstanceId)
		spec, err := b.WaitSpec(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([3]string{vpcID, "10.20.0.0/16", want[i]}, [3]string{spec.Network.ID, spec.Network.CIDR, spec.PrivateIP}); diff != "" {
			t.Errorf("launch spec of %s (-want +got):\n%s", id, diff)
		}
	}
	waitRunning(t, c, out)
	d := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{aws.ToString(out.Instances[0].InstanceId)}}))
	i := d.Reservations[0].Instances[0]
	if diff := cmp.Diff([3]string{"10.20.1.4", "10.20.1.4", "ip-10-20-1-4.ec2.internal"},
		[3]string{aws.ToString(i.PrivateIpAddress), aws.ToString(i.NetworkInterfaces[0].PrivateIpAddress), aws.ToString(i.PrivateDnsName)}); diff != "" {
		t.Errorf("running instance's address (-want +got):\n%s", diff)
	}

	// An address is free again once its instance is terminated; a live
	// one is not.
	id0 := aws.ToString(out.Instances[0].InstanceId)
	_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SubnetId: &subnet, PrivateIpAddress: aws.String("10.20.1.4")})
	wantAPIError(t, err, "InvalidIPAddress.InUse", 400)
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id0}}))
	testutil.WaitStates(t, c, 30*time.Second, "terminated", id0)
	again := run(t, c, &ec2.RunInstancesInput{SubnetId: &subnet, PrivateIpAddress: aws.String("10.20.1.4")})
	if ip := aws.ToString(again.Instances[0].PrivateIpAddress); ip != "10.20.1.4" {
		t.Errorf("address of a terminated instance asked for again: got %q", ip)
	}
	// The search goes on from the last address handed out.
	next := run(t, c, &ec2.RunInstancesInput{SubnetId: &subnet})
	if ip := aws.ToString(next.Instances[0].PrivateIpAddress); ip != "10.20.1.7" {
		t.Errorf("next address = %q, want 10.20.1.7", ip)
	}
}

// waitRunning waits until every instance RunInstances answered runs.
func waitRunning(t *testing.T, c *ec2.Client, out *ec2.RunInstancesOutput) {
	t.Helper()
	var ids []string
	for _, i := range out.Instances {
		ids = append(ids, aws.ToString(i.InstanceId))
	}
	testutil.WaitStates(t, c, 30*time.Second, "running", ids...)
}

func TestPrivateAddressErrors(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	_, subnet := newSubnet(t, c, "10.30.0.0/16", "10.30.2.0/28")
	run(t, c, &ec2.RunInstancesInput{SubnetId: &subnet, PrivateIpAddress: aws.String("10.30.2.9")})

	one := func(in ec2.RunInstancesInput) *ec2.RunInstancesInput {
		in.ImageId = aws.String(ubuntuAMI)
		if in.MinCount == nil {
			in.MinCount, in.MaxCount = aws.Int32(1), aws.Int32(1)
		}
		if in.NetworkInterfaces == nil {
			in.SubnetId = &subnet
		}
		return &in
	}
	tests := []struct {
		name string
		in   *ec2.RunInstancesInput
		code string
	}{
		{"in use", one(ec2.RunInstancesInput{PrivateIpAddress: aws.String("10.30.2.9")}), "InvalidIPAddress.InUse"},
		{"outside the subnet", one(ec2.RunInstancesInput{PrivateIpAddress: aws.String("10.30.3.9")}), "InvalidParameterValue"},
		{"network address", one(ec2.RunInstancesInput{PrivateIpAddress: aws.String("10.30.2.0")}), "InvalidParameterValue"},
		{"VPC router", one(ec2.RunInstancesInput{PrivateIpAddress: aws.String("10.30.2.1")}), "InvalidParameterValue"},
		{"reserved for future use", one(ec2.RunInstancesInput{PrivateIpAddress: aws.String("10.30.2.3")}), "InvalidParameterValue"},
		{"broadcast", one(ec2.RunInstancesInput{PrivateIpAddress: aws.String("10.30.2.15")}), "InvalidParameterValue"},
		{"not an address", one(ec2.RunInstancesInput{PrivateIpAddress: aws.String("10.30.2.x")}), "InvalidParameterValue"},
		{"more than one instance", one(ec2.RunInstancesInput{PrivateIpAddress: aws.String("10.30.2.10"), MinCount: aws.Int32(1), MaxCount: aws.Int32(2)}), "InvalidParameterCombination"},
		{"both levels", one(ec2.RunInstancesInput{PrivateIpAddress: aws.String("10.30.2.10"), NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{{
			DeviceIndex: aws.Int32(0), SubnetId: &subnet}}}), "InvalidParameterCombination"},
		{"interface address in use", one(ec2.RunInstancesInput{NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{{
			DeviceIndex: aws.Int32(0), SubnetId: &subnet, PrivateIpAddress: aws.String("10.30.2.9")}}}), "InvalidIPAddress.InUse"},
		{"more than the subnet has", one(ec2.RunInstancesInput{MinCount: aws.Int32(11), MaxCount: aws.Int32(11)}), "InsufficientFreeAddressesInSubnet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.RunInstances(ctx, tt.in)
			wantAPIError(t, err, tt.code, 400)
		})
	}
	// Nothing was half-applied: the subnet still has 10 of its 11.
	if n := availableIPs(t, c, subnet); n != 10 {
		t.Errorf("availableIpAddressCount = %d, want 10", n)
	}
	// The interface's own address is honoured, and the rest fill the
	// subnet to the last address.
	ni := run(t, c, one(ec2.RunInstancesInput{NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{{
		DeviceIndex: aws.Int32(0), SubnetId: &subnet, PrivateIpAddress: aws.String("10.30.2.14")}}}))
	if ip := aws.ToString(ni.Instances[0].PrivateIpAddress); ip != "10.30.2.14" {
		t.Errorf("NetworkInterface.1.PrivateIpAddress: got %q", ip)
	}
	rest := run(t, c, one(ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(20)}))
	seen := map[string]bool{"10.30.2.9": true, "10.30.2.14": true}
	for _, i := range rest.Instances {
		ip := aws.ToString(i.PrivateIpAddress)
		a, err := netip.ParseAddr(ip)
		if err != nil || seen[ip] || !netip.MustParsePrefix("10.30.2.0/28").Contains(a) {
			t.Errorf("address %q: not a fresh address of the subnet", ip)
		}
		seen[ip] = true
	}
	if len(rest.Instances) != 9 {
		t.Errorf("MaxCount 20 in a subnet with 9 free launched %d", len(rest.Instances))
	}
	_, err := c.RunInstances(ctx, one(ec2.RunInstancesInput{}))
	wantAPIError(t, err, "InsufficientFreeAddressesInSubnet", 400)
}

// A backend that cannot give a VPC's network its range (here: the mock
// told the range is taken) leaves the address to the machine, reported once
// it runs, and refuses a chosen one rather than give another.
func TestPrivateAddressesWhenTheRangeIsTaken(t *testing.T) {
	b := mock.New(mock.WithDelay(20*time.Millisecond), mock.WithTakenRanges("10.40.0.0/16"))
	srv := ec2emutest.NewServer(t, b)
	c, ctx := srv.Client, ctxT(t)
	vpcID, subnet := newSubnet(t, c, "10.40.0.0/16", "10.40.1.0/24")
	out := run(t, c, &ec2.RunInstancesInput{SubnetId: &subnet})
	if ip := out.Instances[0].PrivateIpAddress; ip != nil {
		t.Errorf("RunInstances answered address %q for a VPC whose network takes none", *ip)
	}
	waitRunning(t, c, out)
	d := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{aws.ToString(out.Instances[0].InstanceId)}}))
	spec := must(b.WaitSpec(ctx, aws.ToString(out.Instances[0].InstanceId)))
	if got := aws.ToString(d.Reservations[0].Instances[0].PrivateIpAddress); got == "" || spec.PrivateIP != "" {
		t.Errorf("running instance's address %q, spec asked for %q: want the machine's own, none asked", got, spec.PrivateIP)
	}
	_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SubnetId: &subnet, PrivateIpAddress: aws.String("10.40.1.10")})
	wantAPIError(t, err, "UnsupportedOperation", 400)
	if diff := cmp.Diff(map[string]bool{vpcID: false}, b.Networks()); diff != "" {
		t.Errorf("mock networks (-want +got):\n%s", diff)
	}
}

// A deleted VPC's network is removed from the backend.
func TestDeletedVPCNetworkIsRemoved(t *testing.T) {
	srv, b := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	vpcID, subnet := newSubnet(t, c, "10.50.0.0/16", "10.50.0.0/24")
	out := run(t, c, &ec2.RunInstancesInput{SubnetId: &subnet})
	if diff := cmp.Diff(true, b.Networks()[vpcID]); diff != "" {
		t.Errorf("network of %s (-want +got):\n%s", vpcID, diff)
	}
	id := aws.ToString(out.Instances[0].InstanceId)
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}))
	testutil.WaitStates(t, c, 30*time.Second, "terminated", id)
	must(c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: &subnet}))
	must(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: &vpcID}))
	testutil.Until(t, 10*time.Second, "the deleted VPC's network to go", func() bool {
		_, held := b.Networks()[vpcID]
		return !held
	})
}

// Addresses are kept through a restart, and the restarted Server does not
// hand them out again.
func TestPrivateAddressesSurviveRestart(t *testing.T) {
	st := newStateful(t, mock.New(mock.WithDelay(0)))
	_, subnet := newSubnet(t, st.c, "10.60.0.0/16", "10.60.1.0/24")
	out := run(t, st.c, &ec2.RunInstancesInput{SubnetId: &subnet, MinCount: aws.Int32(2), MaxCount: aws.Int32(2)})
	st.restart(true)
	d := must(st.c.DescribeInstances(ctxT(t), &ec2.DescribeInstancesInput{InstanceIds: []string{
		aws.ToString(out.Instances[0].InstanceId), aws.ToString(out.Instances[1].InstanceId)}}))
	var got []string
	for _, i := range d.Reservations[0].Instances {
		got = append(got, aws.ToString(i.PrivateIpAddress))
	}
	got = append(got, aws.ToString(run(t, st.c, &ec2.RunInstancesInput{SubnetId: &subnet}).Instances[0].PrivateIpAddress))
	if diff := cmp.Diff([]string{"10.60.1.4", "10.60.1.5", "10.60.1.6"}, got); diff != "" {
		t.Errorf("addresses across a restart (-want +got):\n%s", diff)
	}
}
