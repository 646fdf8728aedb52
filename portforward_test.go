package ec2emu_test

import (
	"slices"
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

// TestForwardedPorts checks which ports the rules open, on the mock
// backend (whose addresses are not routable, so only the listeners are
// checked; the docker tests carry traffic through them).
func TestForwardedPorts(t *testing.T) {
	seq := func(from, n int) []int {
		var out []int
		for p := from; p < from+n; p++ {
			out = append(out, p)
		}
		return out
	}
	tests := []struct {
		name  string
		perms []types.IpPermission
		want  []int
	}{
		{"one port", []types.IpPermission{tcp(8080, 8080, "0.0.0.0/0")}, []int{8080}},
		{"loopback range", []types.IpPermission{tcp(8080, 8080, "127.0.0.0/8")}, []int{8080}},
		{"range without loopback clients", []types.IpPermission{tcp(8080, 8080, "10.0.0.0/8")}, nil},
		{"range capped", []types.IpPermission{tcp(1000, 2000, "0.0.0.0/0")}, seq(1000, 5)},
		{"all traffic: 22 first", []types.IpPermission{{IpProtocol: aws.String("-1"),
			IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}, append(seq(1, 4), 22)},
		{"udp is not forwarded", []types.IpPermission{{IpProtocol: aws.String("udp"), FromPort: aws.Int32(53), ToPort: aws.Int32(53),
			IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := ec2emutest.NewServer(t, mock.New(), ec2emu.WithPortForwardLimit(5))
			c, ctx := srv.Client, ctxT(t)
			out := run(t, c, &ec2.RunInstancesInput{})
			id := *out.Instances[0].InstanceId
			inst := waitInstance(t, c, id, types.InstanceStateNameRunning)
			if _, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
				GroupId: inst.SecurityGroups[0].GroupId, IpPermissions: tc.perms}); err != nil {
				t.Fatal(err)
			}
			want := slices.Sorted(slices.Values(tc.want))
			var got []int
			deadline := time.Now().Add(time.Second)
			for time.Now().Before(deadline) {
				if got = srv.ForwardedPorts(id); slices.Equal(got, want) && len(want) > 0 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("forwarded ports within 1 s (-want +got):\n%s", diff)
			}
			if _, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
				t.Fatal(err)
			}
			waitInstance(t, c, id, types.InstanceStateNameStopped)
			deadline = time.Now().Add(time.Second)
			for len(srv.ForwardedPorts(id)) > 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if got := srv.ForwardedPorts(id); len(got) > 0 {
				t.Errorf("stopped instance still has ports %v", got)
			}
		})
	}
}

func tcp(from, to int32, cidr string) types.IpPermission {
	return types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(from), ToPort: aws.Int32(to),
		IpRanges: []types.IpRange{{CidrIp: aws.String(cidr)}}}
}
