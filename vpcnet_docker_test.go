package ec2emu_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// TestVPCNetworksOverDocker: instances of a VPC get the addresses
// RunInstances answered, inside their subnet, and reach each other there;
// instances of another VPC cannot reach them; the networks go when the
// instances do.
func TestVPCNetworksOverDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs Docker")
	}
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	b, err := docker.New(ctxT(t), docker.WithClient(cli), docker.WithNamespace(ns), docker.WithMetadataNetwork(docker.MetadataNetworkName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	srv := ec2emutest.NewServer(t, b)
	c, ctx := srv.Client, ctxT(t)

	rangeA, rangeB := testutil.VPCRange(), testutil.VPCRange()
	for rangeB.Overlaps(rangeA) {
		rangeB = testutil.VPCRange()
	}
	_, subnetA := newSubnet(t, c, rangeA.String(), netip.PrefixFrom(rangeA.Addr(), 25).String())
	_, subnetB := newSubnet(t, c, rangeB.String(), rangeB.String())

	launch := func(subnet string, n int32) []string {
		out := must(c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: &ami, MinCount: aws.Int32(n), MaxCount: aws.Int32(n), SubnetId: &subnet}))
		var ids []string
		for _, i := range out.Instances {
			ids = append(ids, aws.ToString(i.InstanceId))
		}
		waitRunning(t, c, out)
		return ids
	}
	a, bb := launch(subnetA, 2), launch(subnetB, 1)
	all := append(append([]string{}, a...), bb...)
	t.Cleanup(func() {
		c.TerminateInstances(ctxT(t), &ec2.TerminateInstancesInput{InstanceIds: all})
	})

	// Each container has exactly its EC2 address, on its VPC's network.
	d := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: all}))
	addr, mdAddr := map[string]string{}, map[string]string{}
	for _, r := range d.Reservations {
		for _, i := range r.Instances {
			id, ip := aws.ToString(i.InstanceId), aws.ToString(i.PrivateIpAddress)
			addr[id] = ip
			info, err := cli.ContainerInspect(ctx, "localstack-ec2."+id)
			if err != nil {
				t.Fatal(err)
			}
			var onNet string
			for name, ep := range info.NetworkSettings.Networks {
				if name == docker.MetadataNetworkName {
					mdAddr[id] = ep.IPAddress
				} else if ep.IPAddress != "" {
					onNet = name + " " + ep.IPAddress
				}
			}
			if want := "ec2emu-vpc." + ns + "." + aws.ToString(i.VpcId) + " " + ip; onNet != want {
				t.Errorf("container of %s: on %q, want %q", id, onNet, want)
			}
		}
	}
	if p := netip.PrefixFrom(rangeA.Addr(), 25); !p.Contains(netip.MustParseAddr(addr[a[0]])) || !p.Contains(netip.MustParseAddr(addr[a[1]])) {
		t.Errorf("addresses %v not in subnet %s", addr, p)
	}

	ping := func(from, to string) int {
		var out bytes.Buffer
		code, err := b.Exec(ctx, from, backend.ExecSpec{Cmd: []string{"ping", "-c", "1", "-W", "2", to}, Stdout: &out, Stderr: &out})
		if err != nil {
			t.Fatalf("exec ping in %s: %v", from, err)
		}
		t.Logf("%s → %s: exit %d\n%s", from, to, code, out.String())
		return code
	}
	got := map[string]int{
		"same VPC":                     ping(a[0], addr[a[1]]),
		"same VPC, reverse":            ping(a[1], addr[a[0]]),
		"other VPC":                    ping(a[0], addr[bb[0]]),
		"other VPC, back":              ping(bb[0], addr[a[1]]),
		"other VPC's metadata address": ping(a[0], mdAddr[bb[0]]),
		"metadata service":             ping(bb[0], docker.MetadataAddress),
	}
	want := map[string]int{"same VPC": 0, "same VPC, reverse": 0, "other VPC": 1, "other VPC, back": 1,
		"other VPC's metadata address": 1, "metadata service": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ping exit codes (-want +got):\n%s", diff)
	}

	// The networks go with the last of their instances.
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: all}))
	testutil.WaitStates(t, c, 30*time.Second, "terminated", all...)
	testutil.WaitFor(t, 30*time.Second, "the VPCs' networks to go with their instances", func() (bool, string) {
		nets, err := cli.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("label", docker.LabelNamespace+"="+ns))})
		if err != nil {
			return false, err.Error()
		}
		return len(nets) == 0, fmt.Sprint(nets)
	})
}

// TestVPCNetworkWhoseRangeIsTaken: a VPC whose range the engine already
// has gets a network of the engine's choosing, and its instance shows the
// address it really has, not one it lacks.
func TestVPCNetworkWhoseRangeIsTaken(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs Docker")
	}
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	taken := testutil.VPCRange()
	other, err := cli.NetworkCreate(ctxT(t), "ec2emu-test-taken."+ns, network.CreateOptions{Driver: "bridge",
		IPAM: &network.IPAM{Config: []network.IPAMConfig{{Subnet: taken.String()}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.NetworkRemove(ctxT(t), other.ID) })
	b, err := docker.New(ctxT(t), docker.WithClient(cli), docker.WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	srv := ec2emutest.NewServer(t, b)
	c, ctx := srv.Client, ctxT(t)
	_, subnet := newSubnet(t, c, taken.String(), taken.String())
	out := must(c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: &ami, MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: &subnet}))
	if ip := out.Instances[0].PrivateIpAddress; ip != nil {
		t.Errorf("RunInstances answered %q for a VPC whose range the engine has elsewhere", *ip)
	}
	waitRunning(t, c, out)
	id := aws.ToString(out.Instances[0].InstanceId)
	d := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}))
	info, err := cli.ContainerInspect(ctx, "localstack-ec2."+id)
	if err != nil {
		t.Fatal(err)
	}
	ep := info.NetworkSettings.Networks["ec2emu-vpc."+ns+"."+aws.ToString(d.Reservations[0].Instances[0].VpcId)]
	if ep == nil || ep.IPAddress == "" || ep.IPAddress != aws.ToString(d.Reservations[0].Instances[0].PrivateIpAddress) {
		t.Errorf("instance shows %q; its container's endpoint on the VPC network is %+v", aws.ToString(d.Reservations[0].Instances[0].PrivateIpAddress), ep)
	}
	_, err = c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: &ami, MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: &subnet,
		PrivateIpAddress: aws.String(taken.Addr().Next().Next().Next().Next().String())})
	wantAPIError(t, err, "UnsupportedOperation", 400)
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}))
	testutil.WaitStates(t, c, 30*time.Second, "terminated", id)
}
