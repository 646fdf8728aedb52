package kubernetes_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/kubernetes"
)

// Without a metadata address an instance is told so in its environment
// (AWS_EC2_METADATA_DISABLED), not left to time out.
func TestMetadataDisabledIsSaid(t *testing.T) {
	c := requireCluster(t)
	ctx := ctxT(t)
	b, err := c.open(ctx, c.kns[0])
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.MetadataAddress(ctx); err == nil {
		t.Error("MetadataAddress without an address: no error, want ErrUnsupported")
	}
	id := launch(t, ctx, b, nil)
	got, err := execIn(ctx, b, id, "/bin/sh", "-c", "echo $AWS_EC2_METADATA_DISABLED")
	if err != nil {
		t.Fatal(err)
	}
	if got != "true\n" {
		t.Errorf("AWS_EC2_METADATA_DISABLED in the pod: %q, want true", got)
	}
}

// With a metadata address the pods reach (here the pod bridge's gateway,
// an address of this host), the Server serves the metadata service there,
// each pod's AWS_EC2_METADATA_SERVICE_ENDPOINT points at it, and a pod
// asking gets its own instance's data, told by its source address.
func TestMetadataService(t *testing.T) {
	c := requireCluster(t)
	ctx := ctxT(t)
	// Find the pods' gateway from inside one pod.
	probe, err := c.open(ctx, c.kns[0])
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	pid := launch(t, ctx, probe, nil)
	route, err := execIn(ctx, probe, pid, "/bin/sh", "-c", "ip route show default")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(route)
	if len(f) < 3 || f[0] != "default" || f[1] != "via" {
		t.Fatalf("no default route in the pod: %q", route)
	}
	gw := f[2]
	if !localAddr(gw) {
		skipOrFail(t, "the pods' gateway %s is not an address of this host: the emulator cannot serve the pods from here", gw)
	}
	probe.Terminate(ctx, pid)

	b, err := c.open(ctx, c.kns[0], kubernetes.WithMetadataAddress(gw))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() }) // after the Server's cleanup, which terminates through b
	srv := ec2emutest.NewServer(t, b)
	out, err := srv.Client.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(testAMI()), InstanceType: types.InstanceTypeT3Micro,
		MinCount: aws.Int32(2), MaxCount: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, i := range out.Instances {
		ids = append(ids, *i.InstanceId)
	}
	if err := ec2.NewInstanceRunningWaiter(srv.Client).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids}, time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		// busybox's nc: an HTTP/1.0 GET to the endpoint the pod was given.
		// The listener may still be starting: retry within the deadline.
		script := `hp=${AWS_EC2_METADATA_SERVICE_ENDPOINT#http://}; hp=${hp%/}
printf 'GET /latest/meta-data/instance-id HTTP/1.0\r\nHost: x\r\n\r\n' | nc ${hp%:*} ${hp##*:} | tail -n 1`
		var got string
		deadline := time.Now().Add(30 * time.Second)
		for {
			ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
			got, err = execIn(ectx, b, id, "/bin/sh", "-c", script)
			cancel()
			if (err == nil && got == id) || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if diff := cmp.Diff(id, got); diff != "" || err != nil {
			t.Errorf("instance-id from inside %s (-want +got):\n%s (err %v)", id, diff, err)
		}
	}
	env, err := execIn(ctx, b, ids[0], "/bin/sh", "-c", "echo $AWS_EC2_METADATA_SERVICE_ENDPOINT $AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://" + gw + ":80/ IPv4\n"; env != want {
		t.Errorf("the pod's endpoint settings: %q, want %q", env, want)
	}
	src, err := b.MetadataSources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, id := range src {
		n[id]++
	}
	if diff := cmp.Diff(map[string]int{ids[0]: 1, ids[1]: 1}, n); diff != "" {
		t.Errorf("MetadataSources by instance (-want +got):\n%s", diff)
	}
	var _ backend.MetadataNetwork = b
}

func localAddr(ip string) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.String() == ip {
			return true
		}
	}
	return false
}

// skipOrFail skips, or fails under CI=true, as requireCluster does.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if ciRun() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
