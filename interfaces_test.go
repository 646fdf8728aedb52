package ec2emu_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ec2emu/ec2emu/internal/testutil"
	"github.com/google/go-cmp/cmp"
)

func TestNetworkInterfaces(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	vpcID, subnet := newSubnet(t, c, "10.70.0.0/16", "10.70.1.0/24")
	web := aws.ToString(must(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"),
		Description: aws.String("web"), VpcId: &vpcID})).GroupId)
	out := run(t, c, &ec2.RunInstancesInput{SubnetId: &subnet})
	inst := aws.ToString(out.Instances[0].InstanceId)
	waitRunning(t, c, out)
	primary := aws.ToString(out.Instances[0].NetworkInterfaces[0].NetworkInterfaceId)

	made := must(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: &subnet, Description: aws.String("db"),
		Groups: []string{web}, TagSpecifications: tagSpec(types.ResourceTypeNetworkInterface, "Name", "db")})).NetworkInterface
	eni := aws.ToString(made.NetworkInterfaceId)
	fixed := must(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: &subnet, PrivateIpAddress: aws.String("10.70.1.100")})).NetworkInterface

	type view struct {
		ID, Subnet, VPC, Status, IP, Desc, Instance string
		Device                                      int32
		Groups                                      []string
		SourceDestCheck                             bool
	}
	see := func(n types.NetworkInterface) view {
		v := view{ID: aws.ToString(n.NetworkInterfaceId), Subnet: aws.ToString(n.SubnetId), VPC: aws.ToString(n.VpcId),
			Status: string(n.Status), IP: aws.ToString(n.PrivateIpAddress), Desc: aws.ToString(n.Description),
			SourceDestCheck: aws.ToBool(n.SourceDestCheck)}
		if n.Attachment != nil {
			v.Instance, v.Device = aws.ToString(n.Attachment.InstanceId), aws.ToInt32(n.Attachment.DeviceIndex)
		}
		for _, g := range n.Groups {
			v.Groups = append(v.Groups, aws.ToString(g.GroupId))
		}
		return v
	}
	defGroup := aws.ToString(out.Instances[0].SecurityGroups[0].GroupId)
	// The instance's address came first, then the interface's; the second
	// interface has the address it asked for.
	wantMade := view{ID: eni, Subnet: subnet, VPC: vpcID, Status: "available", IP: "10.70.1.5", Desc: "db", Groups: []string{web}, SourceDestCheck: true}
	if diff := cmp.Diff(wantMade, see(*made)); diff != "" {
		t.Errorf("CreateNetworkInterface (-want +got):\n%s", diff)
	}
	if ip := aws.ToString(fixed.PrivateIpAddress); ip != "10.70.1.100" {
		t.Errorf("PrivateIpAddress asked 10.70.1.100, got %q", ip)
	}
	describe := func(filters ...types.Filter) []view {
		t.Helper()
		d := must(c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: filters}))
		var got []view
		for _, n := range d.NetworkInterfaces {
			got = append(got, see(n))
		}
		return got
	}
	wantPrimary := view{ID: primary, Subnet: subnet, VPC: vpcID, Status: "in-use", IP: "10.70.1.4", Instance: inst, Groups: []string{defGroup}, SourceDestCheck: true}
	if diff := cmp.Diff([]view{wantPrimary, wantMade}, describe(filter("subnet-id", subnet), filter("private-ip-address", "10.70.1.4", "10.70.1.5"))); diff != "" {
		t.Errorf("DescribeNetworkInterfaces (-want +got):\n%s", diff)
	}

	// Attached at device index 1, it is in use, and the instance lists it.
	must(c.AttachNetworkInterface(ctx, &ec2.AttachNetworkInterfaceInput{NetworkInterfaceId: &eni, InstanceId: &inst, DeviceIndex: aws.Int32(1)}))
	wantMade.Status, wantMade.Instance, wantMade.Device = "in-use", inst, 1
	if diff := cmp.Diff([]view{wantMade}, describe(filter("attachment.instance-id", inst), filter("attachment.device-index", "1"))); diff != "" {
		t.Errorf("attached (-want +got):\n%s", diff)
	}
	d := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{inst}}))
	var devices []int32
	for _, n := range d.Reservations[0].Instances[0].NetworkInterfaces {
		devices = append(devices, aws.ToInt32(n.Attachment.DeviceIndex))
	}
	if diff := cmp.Diff([]int32{0, 1}, devices); diff != "" {
		t.Errorf("instance's interfaces by device index (-want +got):\n%s", diff)
	}

	fixedID := aws.ToString(fixed.NetworkInterfaceId)
	errs := []struct {
		name string
		err  error
		code string
	}{
		{"attach at a used index", second(c.AttachNetworkInterface(ctx, &ec2.AttachNetworkInterfaceInput{NetworkInterfaceId: &fixedID, InstanceId: &inst, DeviceIndex: aws.Int32(1)})), "InvalidParameterValue"},
		{"attach an attached one", second(c.AttachNetworkInterface(ctx, &ec2.AttachNetworkInterfaceInput{NetworkInterfaceId: &eni, InstanceId: &inst, DeviceIndex: aws.Int32(2)})), "InvalidNetworkInterface.InUse"},
		{"attach to no instance", second(c.AttachNetworkInterface(ctx, &ec2.AttachNetworkInterfaceInput{NetworkInterfaceId: &fixedID, InstanceId: aws.String("i-0123456789abcdef0"), DeviceIndex: aws.Int32(2)})), "InvalidInstanceID.NotFound"},
		{"delete while attached", second(c.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: &eni})), "InvalidNetworkInterface.InUse"},
		{"delete a primary", second(c.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: &primary})), "InvalidNetworkInterface.InUse"},
		{"delete an unknown one", second(c.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String("eni-0123456789abcdef0")})), "InvalidNetworkInterfaceID.NotFound"},
		{"malformed ID", second(c.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String("nic-1")})), "InvalidNetworkInterfaceID.Malformed"},
		{"detach a primary", second(c.DetachNetworkInterface(ctx, &ec2.DetachNetworkInterfaceInput{AttachmentId: d.Reservations[0].Instances[0].NetworkInterfaces[0].Attachment.AttachmentId})), "OperationNotPermitted"},
		{"detach an unknown attachment", second(c.DetachNetworkInterface(ctx, &ec2.DetachNetworkInterfaceInput{AttachmentId: aws.String("eni-attach-0123456789abcdef0")})), "InvalidAttachmentID.NotFound"},
		{"address in use", second(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: &subnet, PrivateIpAddress: aws.String("10.70.1.4")})), "InvalidIPAddress.InUse"},
		{"address outside", second(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: &subnet, PrivateIpAddress: aws.String("10.70.2.4")})), "InvalidParameterValue"},
		{"group of another VPC", second(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: &subnet, Groups: []string{defaultGroupOf(t, c)}})), "InvalidParameter"},
		{"two attributes", second(c.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{NetworkInterfaceId: &eni,
			Description: &types.AttributeValue{Value: aws.String("x")}, SourceDestCheck: &types.AttributeBooleanValue{Value: aws.Bool(false)}})), "InvalidParameterCombination"},
		{"subnet with an interface", second(c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: &subnet})), "DependencyViolation"},
		{"group of an interface", second(c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: &web})), "DependencyViolation"},
	}
	for _, e := range errs {
		t.Run(e.name, func(t *testing.T) { wantAPIError(t, e.err, e.code, 400) })
	}

	// Attributes, of a made interface and of an instance's primary one.
	must(c.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{NetworkInterfaceId: &eni,
		SourceDestCheck: &types.AttributeBooleanValue{Value: aws.Bool(false)}}))
	must(c.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{NetworkInterfaceId: &primary, Groups: []string{web}}))
	a := must(c.DescribeNetworkInterfaceAttribute(ctx, &ec2.DescribeNetworkInterfaceAttributeInput{NetworkInterfaceId: &eni,
		Attribute: types.NetworkInterfaceAttributeSourceDestCheck}))
	if aws.ToBool(a.SourceDestCheck.Value) {
		t.Error("sourceDestCheck still true after ModifyNetworkInterfaceAttribute")
	}
	d = must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{inst}}))
	if g := d.Reservations[0].Instances[0].SecurityGroups; len(g) != 1 || aws.ToString(g[0].GroupId) != web {
		t.Errorf("instance groups after modifying its primary interface: %+v", g)
	}

	// Terminating the instance lets the interface go, available again.
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{inst}}))
	testutil.WaitStates(t, c, 30*time.Second, "terminated", inst)
	got := describe(filter("network-interface-id", eni))
	if len(got) != 1 || got[0].Status != "available" || got[0].Instance != "" {
		t.Errorf("interface after its instance terminated: %+v", got)
	}
	for _, id := range []string{eni, fixedID} {
		must(c.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(id)}))
	}
	if left := describe(filter("subnet-id", subnet)); len(left) != 0 {
		t.Errorf("interfaces left: %+v", left)
	}
	must(c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: &subnet}))
}

// defaultGroupOf returns the default VPC's default group.
func defaultGroupOf(t *testing.T, c *ec2.Client) string {
	t.Helper()
	dv := aws.ToString(defaultVPC(t, c).VpcId)
	g := must(c.DescribeSecurityGroups(ctxT(t), &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("vpc-id", dv), filter("group-name", "default")}}))
	return aws.ToString(g.SecurityGroups[0].GroupId)
}

// An Elastic IP on an instance shows on its primary interface, with the
// allocation and association, and the interface filters find it.
func TestNetworkInterfaceShowsElasticIP(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	out := run(t, c, &ec2.RunInstancesInput{})
	waitRunning(t, c, out)
	inst := aws.ToString(out.Instances[0].InstanceId)
	alloc := must(c.AllocateAddress(ctx, &ec2.AllocateAddressInput{}))
	assoc := must(c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: alloc.AllocationId, InstanceId: &inst}))
	d := must(c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{
		filter("association.allocation-id", aws.ToString(alloc.AllocationId))}}))
	if len(d.NetworkInterfaces) != 1 || d.NetworkInterfaces[0].Association == nil {
		t.Fatalf("interfaces with the allocation: %+v", d.NetworkInterfaces)
	}
	a := d.NetworkInterfaces[0].Association
	got := []string{aws.ToString(a.PublicIp), aws.ToString(a.AllocationId), aws.ToString(a.AssociationId), aws.ToString(d.NetworkInterfaces[0].Attachment.InstanceId)}
	want := []string{aws.ToString(alloc.PublicIp), aws.ToString(alloc.AllocationId), aws.ToString(assoc.AssociationId), inst}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("association (-want +got):\n%s", diff)
	}
	eni := must(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: out.Instances[0].SubnetId})).NetworkInterface
	_, err := c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: alloc.AllocationId, NetworkInterfaceId: eni.NetworkInterfaceId})
	wantAPIError(t, err, "UnsupportedOperation", 400)
}
