package docker_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// httpdUserData starts busybox httpd on port 8080 serving a page that names
// the instance.
const httpdUserData = "#!/bin/sh\necho user data ran\nmkdir -p /www\necho hello from $(hostname) > /www/index.html\nbusybox httpd -p 8080 -h /www\n"

// launchWith runs one instance of ami with user data and returns its ID.
func launchWith(t *testing.T, c *ec2.Client, ami, userData string) string {
	t.Helper()
	out, err := c.RunInstances(t.Context(), &ec2.RunInstancesInput{
		ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		UserData: aws.String(base64.StdEncoding.EncodeToString([]byte(userData))),
	})
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	return *out.Instances[0].InstanceId
}

func describeInstance(t *testing.T, c *ec2.Client, id string) types.Instance {
	t.Helper()
	out, err := c.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Reservations[0].Instances[0]
}

// httpGet fetches url once, without keep-alive (each try is a new
// connection through the forwarder).
func httpGet(url string) (string, error) {
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func ingress(port int32, cidr string) *ec2.AuthorizeSecurityGroupIngressInput {
	return &ec2.AuthorizeSecurityGroupIngressInput{
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port),
			IpRanges: []types.IpRange{{CidrIp: aws.String(cidr)}}}},
	}
}

// TestPortForwarding: a rule authorized on a running instance's group opens
// <public ip>:<port> to busybox httpd started by user data within a
// second; a rule from a range that does not hold the client opens nothing;
// revoking closes the port; stop closes it and start reopens it on the new
// address.
func TestPortForwarding(t *testing.T) {
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	srv, c := nsServer(t, ns)
	ctx := t.Context()

	id := launchWith(t, c, ami, httpdUserData)
	testutil.WaitStates(t, c, 60*time.Second, types.InstanceStateNameRunning, id)
	inst := describeInstance(t, c, id)
	pub, priv := aws.ToString(inst.PublicIpAddress), aws.ToString(inst.PrivateIpAddress)
	if pub == "" || priv == "" {
		t.Fatalf("instance has public %q, private %q", pub, priv)
	}
	group := *inst.SecurityGroups[0].GroupId
	url := fmt.Sprintf("http://%s/", net.JoinHostPort(pub, "8080"))
	// httpd answers on the private address once user data has run.
	testutil.WaitFor(t, 30*time.Second, "httpd on the private address", func() (bool, string) {
		body, err := httpGet(fmt.Sprintf("http://%s/", net.JoinHostPort(priv, "8080")))
		return err == nil && strings.HasPrefix(body, "hello from"), fmt.Sprint(err)
	})
	if _, err := httpGet(url); err == nil {
		t.Fatal("port 8080 answers on the public address before any rule allows it")
	}

	// A rule from a range that excludes loopback clients opens nothing.
	in := ingress(8080, "10.0.0.0/8")
	in.GroupId = aws.String(group)
	if _, err := c.AuthorizeSecurityGroupIngress(ctx, in); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * rescan)
	for time.Now().Before(deadline) {
		if _, err := httpGet(url); err == nil {
			t.Fatal("a rule from 10.0.0.0/8 let a loopback client in")
		}
		time.Sleep(50 * time.Millisecond)
	}

	in = ingress(8080, "0.0.0.0/0")
	in.GroupId = aws.String(group)
	start := time.Now()
	if _, err := c.AuthorizeSecurityGroupIngress(ctx, in); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 5*time.Second, "the forwarded port to answer", func() (bool, string) {
		body, err := httpGet(url)
		return err == nil && strings.HasPrefix(body, "hello from"), fmt.Sprint(err)
	})
	if d := time.Since(start); d > time.Second {
		t.Errorf("an authorized rule took %v to reach the running instance, want <= 1s", d)
	}

	rv := &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(group), IpPermissions: in.IpPermissions}
	if _, err := c.RevokeSecurityGroupIngress(ctx, rv); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 5*time.Second, "the revoked port to close", func() (bool, string) {
		_, err := httpGet(url)
		return err != nil, "still answers"
	})

	// Stop closes the listeners; start reopens them on the new address.
	if _, err := c.AuthorizeSecurityGroupIngress(ctx, in); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 5*time.Second, "the forwarded port to answer again", func() (bool, string) {
		_, err := httpGet(url)
		return err == nil, fmt.Sprint(err)
	})
	if _, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitStates(t, c, 60*time.Second, types.InstanceStateNameStopped, id)
	testutil.WaitFor(t, 5*time.Second, "listeners of the stopped instance to close", func() (bool, string) {
		return len(srv.ForwardedPorts(id)) == 0, fmt.Sprint(srv.ForwardedPorts(id))
	})
	if _, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitStates(t, c, 60*time.Second, types.InstanceStateNameRunning, id)
	again := aws.ToString(describeInstance(t, c, id).PublicIpAddress)
	if again == "" || again == pub {
		t.Fatalf("restarted instance has public address %q (had %q), want a new one", again, pub)
	}
	testutil.WaitFor(t, 5*time.Second, "listeners on the new address", func() (bool, string) {
		got := srv.ForwardedPorts(id)
		return len(got) == 1 && got[0] == 8080, fmt.Sprint(got)
	})
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(again, "8080"), 2*time.Second)
	if err != nil {
		t.Fatalf("new address does not accept on 8080: %v", err)
	}
	conn.Close()
}

// rescan is how long the forwarder may take to apply a rule change.
const rescan = time.Second
