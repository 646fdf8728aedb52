package ec2emu_test

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

// waitInstance polls until instance id is in state.
func waitInstance(t *testing.T, c *ec2.Client, id string, state types.InstanceStateName) types.Instance {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		inst := describeOne(t, c, id)
		if inst.State.Name == state {
			return inst
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s is %s, want %s", id, inst.State.Name, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// publicOf is an instance's public address as every place shows it: the
// instance, its interface and its primary private address must agree.
func publicOf(t *testing.T, inst types.Instance) string {
	t.Helper()
	ip := aws.ToString(inst.PublicIpAddress)
	var nicIP, privIP, dns string
	if len(inst.NetworkInterfaces) > 0 {
		n := inst.NetworkInterfaces[0]
		if n.Association != nil {
			nicIP, dns = aws.ToString(n.Association.PublicIp), aws.ToString(n.Association.PublicDnsName)
		}
		privIP = ip // a pending instance has no private address yet
		if len(n.PrivateIpAddresses) > 0 {
			privIP = ""
			if a := n.PrivateIpAddresses[0].Association; a != nil {
				privIP = aws.ToString(a.PublicIp)
			}
		}
	}
	if ip != "" {
		wantDNS := "ec2-" + strings.ReplaceAll(ip, ".", "-") + ".compute-1.amazonaws.com"
		if diff := cmp.Diff([4]string{ip, ip, wantDNS, wantDNS}, [4]string{nicIP, privIP, aws.ToString(inst.PublicDnsName), dns}); diff != "" {
			t.Errorf("public address shown inconsistently (-want +got):\n%s", diff)
		}
	} else if nicIP != "" || aws.ToString(inst.PublicDnsName) != "" {
		t.Errorf("no ipAddress but association %q, dnsName %q", nicIP, aws.ToString(inst.PublicDnsName))
	}
	return ip
}

func TestPublicAddressLifecycle(t *testing.T) {
	srv := ec2emutest.NewServer(t, mock.New(mock.WithDelay(5*time.Millisecond)))
	c, ctx := srv.Client, ctxT(t)
	out := run(t, c, &ec2.RunInstancesInput{})
	id := *out.Instances[0].InstanceId
	first := publicOf(t, out.Instances[0])
	if !ec2emu.DefaultPublicIPPool.Contains(netip.MustParseAddr(first)) {
		t.Fatalf("RunInstances: public address %q, want one in %s", first, ec2emu.DefaultPublicIPPool)
	}
	if got := publicOf(t, waitInstance(t, c, id, types.InstanceStateNameRunning)); got != first {
		t.Errorf("running: public address %q, want %q", got, first)
	}
	for _, name := range []string{"ip-address", "network-interface.association.public-ip", "dns-name"} {
		v := first
		if name == "dns-name" {
			v = "ec2-" + strings.ReplaceAll(first, ".", "-") + ".compute-1.amazonaws.com"
		}
		got, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String(name), Values: []string{v}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Reservations) != 1 || *got.Reservations[0].Instances[0].InstanceId != id {
			t.Errorf("filter %s=%s: got %d reservations, want the instance", name, v, len(got.Reservations))
		}
	}

	if _, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	if got := publicOf(t, waitInstance(t, c, id, types.InstanceStateNameStopped)); got != "" {
		t.Errorf("stopped: public address %q, want none", got)
	}
	if _, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	second := publicOf(t, waitInstance(t, c, id, types.InstanceStateNameRunning))
	if second == "" || second == first {
		t.Errorf("started again: public address %q, want a new one (had %q)", second, first)
	}
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	if got := publicOf(t, waitInstance(t, c, id, types.InstanceStateNameTerminated)); got != "" {
		t.Errorf("terminated: public address %q, want none", got)
	}
}

func TestPublicAddressChoice(t *testing.T) {
	tests := []struct {
		name  string
		opts  []ec2emu.Option
		assoc *bool
		want  func(string) bool
	}{
		{"default subnet maps public IPs", nil, nil, func(ip string) bool { return ip != "" }},
		{"AssociatePublicIpAddress=false", nil, aws.Bool(false), func(ip string) bool { return ip == "" }},
		{"pool option", []ec2emu.Option{ec2emu.WithPublicIPPool(netip.MustParsePrefix("127.201.7.0/24"))}, nil,
			func(ip string) bool { return strings.HasPrefix(ip, "127.201.7.") }},
		{"pool off", []ec2emu.Option{ec2emu.WithPublicIPPool(netip.Prefix{})}, aws.Bool(true), func(ip string) bool { return ip == "" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := ec2emutest.NewServer(t, mock.New(), tc.opts...)
			in := &ec2.RunInstancesInput{}
			if tc.assoc != nil {
				in.NetworkInterfaces = []types.InstanceNetworkInterfaceSpecification{{DeviceIndex: aws.Int32(0), AssociatePublicIpAddress: tc.assoc}}
			}
			out := run(t, srv.Client, in)
			got := publicOf(t, waitInstance(t, srv.Client, *out.Instances[0].InstanceId, types.InstanceStateNameRunning))
			if !tc.want(got) {
				t.Errorf("public address %q", got)
			}
		})
	}
}

// A restarted Server gives a running instance the address it had.
func TestPublicAddressSurvivesRestart(t *testing.T) {
	b := mock.New()
	srv := ec2emu.New(b)
	hs := httptest.NewServer(srv)
	c := ec2emutest.Client(hs.URL, "us-east-1")
	out := run(t, c, &ec2.RunInstancesInput{})
	id := *out.Instances[0].InstanceId
	before := publicOf(t, waitInstance(t, c, id, types.InstanceStateNameRunning))
	hs.Close()
	srv.Close()
	again := ec2emutest.NewServer(t, b)
	if got := publicOf(t, waitInstance(t, again.Client, id, types.InstanceStateNameRunning)); got != before {
		t.Errorf("after restart: public address %q, want %q", got, before)
	}
}
