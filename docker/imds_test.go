package docker_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// removeMetadataNetworkOnCleanup removes the shared metadata network at the
// end of the test if no container (of another test, another namespace)
// still uses it. Register it before the container cleanups: cleanups run
// last-registered first.
func removeMetadataNetworkOnCleanup(t testing.TB, cli *client.Client) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		info, err := cli.NetworkInspect(ctx, docker.MetadataNetworkName, network.InspectOptions{})
		if err == nil && len(info.Containers) == 0 {
			cli.NetworkRemove(ctx, docker.MetadataNetworkName)
		}
	})
}

// mdRequest makes one HTTP/1.0 request to the metadata service from inside
// instance id with busybox nc, and returns the status code and body.
func mdRequest(t *testing.T, cli *client.Client, id, method, path string, headers ...string) (int, string) {
	t.Helper()
	req := method + " " + path + " HTTP/1.0\r\nHost: 169.254.169.254\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	req += "\r\n"
	out, code, err := execIn(t.Context(), cli, id, "/bin/sh", "-c", `printf '%s' "$1" | busybox nc 169.254.169.254 80`, "sh", req)
	if err != nil {
		t.Fatalf("nc in %s: %v", id, err)
	}
	if code != 0 {
		return 0, out // not listening (yet): callers that wait retry
	}
	head, body, _ := strings.Cut(out, "\r\n\r\n")
	var status int
	fmt.Sscanf(head, "HTTP/1.0 %d", &status)
	if status == 0 {
		fmt.Sscanf(head, "HTTP/1.1 %d", &status)
	}
	return status, body
}

// TestMetadataFromInstance: instances of two namespaces on one engine reach
// 169.254.169.254 from inside and each learns only about itself; v2 tokens
// work over the wire and HttpTokens=required is enforced on a running
// instance at once.
func TestMetadataFromInstance(t *testing.T) {
	cli := dockertest.Require(t)
	removeMetadataNetworkOnCleanup(t, cli)
	ami, _ := dockertest.UniqueAMI(t, cli)
	nsA, nsB := dockertest.Namespace(t), dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, nsA)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, nsB)
	mdOpt := docker.WithMetadataNetwork(docker.MetadataNetworkName)
	_, a := nsServer(t, nsA, mdOpt)
	srvB, b := nsServer(t, nsB, mdOpt)
	idA, idB := launchOne(t, a, ami), launchOne(t, b, ami)
	testutil.WaitStates(t, a, 60*time.Second, types.InstanceStateNameRunning, idA)
	testutil.WaitStates(t, b, 60*time.Second, types.InstanceStateNameRunning, idB)

	for _, tc := range []struct{ id, want string }{{idA, idA}, {idB, idB}} {
		var got string
		testutil.WaitFor(t, 10*time.Second, "the metadata service to answer "+tc.id, func() (bool, string) {
			code, body := mdRequest(t, cli, tc.id, "GET", "/latest/meta-data/instance-id")
			got = body
			return code == 200, fmt.Sprintf("%d %q", code, body)
		})
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("instance-id from inside %s (-want +got):\n%s", tc.id, diff)
		}
	}

	// The Go SDK's imds client (IMDSv2, as the SDK does it), built
	// statically and run inside the instance.
	installIMDSGet(t, srvB.Backend().(backend.Execer), idB, t.TempDir())
	var stdout, stderr bytes.Buffer
	exit, err := srvB.Backend().(backend.Execer).Exec(t.Context(), idB, backend.ExecSpec{Cmd: []string{"/tmp/imdsget", "-n", "3"}, Stdout: &stdout, Stderr: &stderr})
	if f := strings.Fields(stdout.String()); err != nil || exit != 0 || len(f) != 2 || f[0] != idB {
		t.Errorf("imdsget in %s: exit %d, %v: printed %q, stderr %q; want the instance ID and a latency", idB, exit, err, stdout.String(), stderr.String())
	}

	code, tok := mdRequest(t, cli, idA, "PUT", "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 60")
	if code != 200 || tok == "" {
		t.Fatalf("PUT token: %d %q", code, tok)
	}
	if _, err := a.ModifyInstanceMetadataOptions(t.Context(), &ec2.ModifyInstanceMetadataOptionsInput{
		InstanceId: aws.String(idA), HttpTokens: types.HttpTokensStateRequired}); err != nil {
		t.Fatal(err)
	}
	type res struct {
		Code int
		Body string
	}
	var got []res
	for _, hdr := range [][]string{nil, {"X-aws-ec2-metadata-token: " + tok}} {
		c, body := mdRequest(t, cli, idA, "GET", "/latest/meta-data/instance-id", hdr...)
		if c != 200 {
			body = ""
		}
		got = append(got, res{c, body})
	}
	if diff := cmp.Diff([]res{{401, ""}, {200, idA}}, got); diff != "" {
		t.Errorf("HttpTokens=required without and with a token (-want +got):\n%s", diff)
	}
}
