package docker_test

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/docker/docker/api/types/image"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// nsServer is a Server over a docker backend in namespace ns (with opts, e.g.
// a wrapped Docker client), with a client that makes one attempt per call, so
// a test sees the first answer.
func nsServer(t *testing.T, ns string, opts ...docker.Option) (*ec2emutest.Server, *ec2.Client) {
	t.Helper()
	b, err := docker.New(t.Context(), append([]docker.Option{docker.WithNamespace(ns), docker.WithDockerSocket(false)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() }) // before NewServer's: it terminates through b
	srv := ec2emutest.NewServer(t, b)
	<-srv.Ready()
	return srv, ec2.New(srv.Client.Options(), func(o *ec2.Options) { o.RetryMaxAttempts = 1 })
}

// describedIDs lists every instance a client sees.
func describedIDs(t *testing.T, c *ec2.Client) []string {
	t.Helper()
	out, err := c.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			ids = append(ids, *i.InstanceId)
		}
	}
	slices.Sort(ids)
	return ids
}

// TestNamespaceIsolation: two Servers in different namespaces on one daemon
// (two test suites on one CI host) never see or change each other's
// instances, drift in one does not reach the other, a restarted Server
// re-adopts only its own namespace's containers, and both share the AMIs.
func TestNamespaceIsolation(t *testing.T) {
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	nsA, nsB := dockertest.Namespace(t), dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, nsA)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, nsB)
	srvA, a := nsServer(t, nsA)
	srvB, b := nsServer(t, nsB)
	ctx := t.Context()

	// Both launch from the same AMI: images are shared.
	idA := launchOne(t, a, ami)
	idB := launchOne(t, b, ami)
	testutil.WaitStates(t, a, 60*time.Second, types.InstanceStateNameRunning, idA)
	testutil.WaitStates(t, b, 60*time.Second, types.InstanceStateNameRunning, idB)
	for name, c := range map[string]*ec2.Client{"A": a, "B": b} {
		if out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{ami}}); err != nil || len(out.Images) != 1 {
			t.Errorf("server %s does not see the shared AMI %s: %v", name, ami, err)
		}
	}

	// Each sees only its own.
	if got := describedIDs(t, a); !slices.Equal(got, []string{idA}) {
		t.Errorf("A describes %v, want only %s", got, idA)
	}
	if got := describedIDs(t, b); !slices.Equal(got, []string{idB}) {
		t.Errorf("B describes %v, want only %s", got, idB)
	}
	// And cannot touch the other's, by ID.
	notFound := map[string]func() error{
		"DescribeInstances": func() error {
			_, err := b.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{idA}})
			return err
		},
		"StopInstances": func() error {
			_, err := b.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{idA}})
			return err
		},
		"RebootInstances": func() error {
			_, err := b.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: []string{idA}})
			return err
		},
		"TerminateInstances": func() error {
			_, err := b.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{idA}})
			return err
		},
		"CreateImage": func() error {
			_, err := b.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(idA), Name: aws.String("not-mine")})
			return err
		},
		"GetConsoleOutput": func() error {
			_, err := b.GetConsoleOutput(ctx, &ec2.GetConsoleOutputInput{InstanceId: aws.String(idA)})
			return err
		},
	}
	for name, call := range notFound {
		wantCode(t, "B "+name+" on A's instance", call(), "InvalidInstanceID.NotFound", http.StatusBadRequest)
	}
	// The backend itself refuses too, even asked directly by ID.
	if err := srvB.Backend().Terminate(ctx, idA); err != nil {
		t.Errorf("B's backend Terminate of A's instance: %v, want nothing done and no error", err)
	}
	if info, err := cli.ContainerInspect(ctx, docker.ContainerPrefix+idA); err != nil || !info.State.Running {
		t.Fatalf("A's container after B's attempts: %v (running %v)", err, err == nil && info.State.Running)
	}

	// Drift of A's container reaches A only; B's instance is untouched.
	if err := cli.ContainerPause(ctx, docker.ContainerPrefix+idA); err != nil {
		t.Fatal(err)
	}
	testutil.WaitStates(t, a, 60*time.Second, types.InstanceStateNameStopped, idA)
	if got, err := testutil.States(ctx, b, idB); err != nil || got[idB] != types.InstanceStateNameRunning {
		t.Errorf("B's instance after drift in A: %v, %v; want running", got, err)
	}
	if got := describedIDs(t, b); !slices.Equal(got, []string{idB}) {
		t.Errorf("after drift in A, B describes %v", got)
	}

	// A restarted Server in namespace A re-adopts A's instance only. The
	// first goes first, as a restarted process does: one Server per
	// namespace.
	srvA.Close()
	_, a2 := nsServer(t, nsA)
	if got := describedIDs(t, a2); !slices.Equal(got, []string{idA}) {
		t.Errorf("restarted A describes %v, want only %s", got, idA)
	}
	if got, err := testutil.States(ctx, a2, idA); err != nil || got[idA] != types.InstanceStateNameStopped {
		t.Errorf("restarted A sees %s as %v (%v), want stopped", idA, got, err)
	}

	// Ownership is told by labels; names stay localstack-ec2.<id>; no
	// instance container is privileged.
	for id, ns := range map[string]string{idA: nsA, idB: nsB} {
		info, err := cli.ContainerInspect(ctx, docker.ContainerPrefix+id)
		if err != nil {
			t.Fatal(err)
		}
		if info.Name != "/"+docker.ContainerPrefix+id {
			t.Errorf("container name %q, want /%s%s", info.Name, docker.ContainerPrefix, id)
		}
		if got := info.Config.Labels[docker.LabelNamespace]; got != ns {
			t.Errorf("%s: namespace label %q, want %q", id, got, ns)
		}
		if info.HostConfig.Privileged {
			t.Errorf("%s: the container is privileged", id)
		}
		if len(info.HostConfig.CapAdd) != 0 {
			t.Errorf("%s: the container has added capabilities %v", id, info.HostConfig.CapAdd)
		}
	}
}

// TestLaunchWithoutShellShowsCause: an image without /bin/sh cannot run
// the boot script; the instance goes terminated with the engine's own
// words in its stateReason and console output, not only in the log.
func TestLaunchWithoutShellShowsCause(t *testing.T) {
	cli := dockertest.Require(t)
	ctx := t.Context()
	// An image holding one file and no shell, made without a pull.
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "hello", Mode: 0o644, Size: 3})
	tw.Write([]byte("hi\n"))
	tw.Close()
	ami := fmt.Sprintf("ami-%012x", time.Now().UnixNano()&(1<<48-1))
	ref := dockertest.AMIRef("ec2emu-test-nosh", ami)
	body, err := cli.ImageImport(ctx, image.ImportSource{Source: &layer, SourceName: "-"}, ref, image.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, body)
	body.Close()
	dockertest.RemoveImageOnCleanup(t, cli, ref)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	_, c := nsServer(t, ns)

	id := launchOne(t, c, ami)
	testutil.WaitStates(t, c, time.Minute, types.InstanceStateNameTerminated, id)
	d, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	reason := aws.ToString(d.Reservations[0].Instances[0].StateReason.Message)
	out, err := c.GetConsoleOutput(ctx, &ec2.GetConsoleOutputInput{InstanceId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	console, _ := base64.StdEncoding.DecodeString(aws.ToString(out.Output))
	t.Logf("stateReason: %s", reason)
	for what, got := range map[string]string{"stateReason": reason, "console output": string(console)} {
		if !strings.Contains(got, "/bin/sh") {
			t.Errorf("%s %q does not name the missing /bin/sh", what, got)
		}
	}
}
