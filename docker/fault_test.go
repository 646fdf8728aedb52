package docker_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	dockertypes "github.com/docker/docker/api/types"
	"github.com/docker/docker/client"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// wantCode checks err is the EC2 error code with the HTTP status.
func wantCode(t *testing.T, what string, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Errorf("%s: got %v, want %d %s", what, err, status, code)
		return
	}
	if ae.ErrorCode() != code || re.HTTPStatusCode() != status {
		t.Errorf("%s: got %d %s (%s), want %d %s", what, re.HTTPStatusCode(), ae.ErrorCode(), ae.ErrorMessage(), status, code)
	}
}

// launchOne runs one instance of ami and returns its ID.
func launchOne(t *testing.T, c *ec2.Client, ami string) string {
	t.Helper()
	out, err := c.RunInstances(t.Context(), &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	return *out.Instances[0].InstanceId
}

// TestDaemonOutage cuts the Docker daemon away from a running Server (a
// proxy stands in for the daemon, which other tests share) and brings it
// back: while it is gone, what needs it answers 503 Unavailable and what can
// be answered from state is; afterwards launches and drift detection work
// again.
func TestDaemonOutage(t *testing.T) {
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	proxy := dockertest.NewProxy(t)
	_, c := nsServer(t, ns, docker.WithClient(proxy.Client(t)))
	ctx := t.Context()

	id := launchOne(t, c, ami)
	testutil.WaitStates(t, c, 60*time.Second, types.InstanceStateNameRunning, id)
	if _, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{ami}}); err != nil {
		t.Fatal(err)
	}

	proxy.Cut()
	unavailable := []struct {
		name string
		call func() error
	}{
		{"RunInstances", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
			return err
		}},
		{"StopInstances", func() error {
			_, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}})
			return err
		}},
		{"RebootInstances", func() error {
			_, err := c.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: []string{id}})
			return err
		}},
		{"TerminateInstances", func() error {
			_, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
			return err
		}},
		{"CreateImage", func() error {
			_, err := c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(id), Name: aws.String("outage")})
			return err
		}},
		{"GetConsoleOutput", func() error {
			_, err := c.GetConsoleOutput(ctx, &ec2.GetConsoleOutputInput{InstanceId: aws.String(id)})
			return err
		}},
	}
	for _, u := range unavailable {
		wantCode(t, u.name+" while the daemon is down", u.call(), "Unavailable", http.StatusServiceUnavailable)
	}
	// Served from state: the instance is still running as far as anyone
	// knows, and nothing was half-applied by the refused calls.
	if got, err := testutil.States(ctx, c, id); err != nil || got[id] != types.InstanceStateNameRunning {
		t.Errorf("DescribeInstances while the daemon is down: %v, %v; want running", got, err)
	}
	if out, err := c.DescribeInstanceStatus(ctx, &ec2.DescribeInstanceStatusInput{InstanceIds: []string{id}}); err != nil || len(out.InstanceStatuses) != 1 {
		t.Errorf("DescribeInstanceStatus while the daemon is down: %v", err)
	}
	if out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{ami}}); err != nil || len(out.Images) != 1 {
		t.Errorf("DescribeImages while the daemon is down (from the last listing): %v", err)
	}
	if _, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{}); err != nil {
		t.Errorf("DescribeKeyPairs while the daemon is down: %v", err)
	}

	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	// The event stream reconnects by itself: drift is seen again.
	if err := cli.ContainerPause(ctx, docker.ContainerPrefix+id); err != nil {
		t.Fatal(err)
	}
	testutil.WaitStates(t, c, 60*time.Second, types.InstanceStateNameStopped, id)
	// And everything that needs the daemon works again.
	id2 := launchOne(t, c, ami)
	testutil.WaitStates(t, c, 60*time.Second, types.InstanceStateNameRunning, id2)
	if _, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitStates(t, c, 60*time.Second, types.InstanceStateNameRunning, id)
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id, id2}}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitStates(t, c, 60*time.Second, types.InstanceStateNameTerminated, id, id2)
	for _, i := range []string{id, id2} {
		if _, err := cli.ContainerInspect(ctx, docker.ContainerPrefix+i); err == nil {
			t.Errorf("container of terminated %s still exists", i)
		}
	}
}

// pingCounter counts the pings the backend sends the daemon.
type pingCounter struct {
	*client.Client
	pings atomic.Int32
}

func (c *pingCounter) Ping(ctx context.Context) (dockertypes.Ping, error) {
	c.pings.Add(1)
	return c.Client.Ping(ctx)
}

// While the Server's event stream is connected, state changes are accepted
// without pinging the daemon first (the stream would have shown it gone;
// TestDaemonOutage checks the 503 once it is).
func TestStateChangesWithoutPing(t *testing.T) {
	t.Parallel()
	cc := &pingCounter{Client: dockertest.Require(t)}
	ami, _ := dockertest.UniqueAMI(t, cc.Client)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cc.Client, docker.LabelNamespace, ns)
	srv, c := nsServer(t, ns, docker.WithClient(cc))
	p := srv.Backend().(backend.Pinger)
	ctx := t.Context()
	id := launchOne(t, c, ami)
	testutil.WaitStates(t, c, 60*time.Second, types.InstanceStateNameRunning, id)
	testutil.WaitFor(t, 30*time.Second, "the event stream to vouch for the daemon", func() (bool, string) {
		before := cc.pings.Load()
		if err := p.Ping(ctx); err != nil {
			return false, err.Error()
		}
		return cc.pings.Load() == before, "Ping still asks the daemon"
	})
	before := cc.pings.Load()
	if _, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitStates(t, c, 60*time.Second, types.InstanceStateNameStopped, id)
	if _, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitStates(t, c, 60*time.Second, types.InstanceStateNameRunning, id)
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitStates(t, c, 60*time.Second, types.InstanceStateNameTerminated, id)
	if n := cc.pings.Load() - before; n != 0 {
		t.Errorf("stop, start and terminate pinged the daemon %d times, want 0", n)
	}
}
