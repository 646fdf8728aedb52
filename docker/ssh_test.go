package docker_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	gossh "golang.org/x/crypto/ssh"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// sshEnv is a running busybox instance reachable over SSH through the
// gateway, and what OpenSSH's clients need to reach it.
type sshEnv struct {
	srv        *ec2emutest.Server
	c          *ec2.Client
	id, pub    string
	key, known string // private key and known_hosts files
	dir        string
}

func newSSHEnv(t *testing.T) *sshEnv {
	t.Helper()
	for _, tool := range []string{"ssh", "scp", "sftp", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("OpenSSH's %s is not installed", tool)
		}
	}
	cli := dockertest.Require(t)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	srv, c := nsServer(t, ns)
	ctx := t.Context()
	e := &sshEnv{srv: srv, c: c, dir: t.TempDir()}
	kp, err := c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("ssh-" + ns)})
	if err != nil {
		t.Fatal(err)
	}
	e.key = filepath.Join(e.dir, "key.pem")
	if err := os.WriteFile(e.key, []byte(*kp.KeyMaterial), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := c.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), KeyName: kp.KeyName,
		UserData: aws.String(base64.StdEncoding.EncodeToString([]byte(httpdUserData))),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.id = *out.Instances[0].InstanceId
	testutil.WaitStates(t, c, 60*time.Second, types.InstanceStateNameRunning, e.id)
	inst := describeInstance(t, c, e.id)
	e.pub = aws.ToString(inst.PublicIpAddress)
	in := ingress(22, "0.0.0.0/0")
	in.GroupId = inst.SecurityGroups[0].GroupId
	if _, err := c.AuthorizeSecurityGroupIngress(ctx, in); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 5*time.Second, "port 22 to be forwarded", func() (bool, string) {
		return slices.Contains(srv.ForwardedPorts(e.id), 22), fmt.Sprint(srv.ForwardedPorts(e.id))
	})
	// known_hosts from the API, so host key checking is strict and honest.
	e.known = filepath.Join(e.dir, "known_hosts")
	if err := os.WriteFile(e.known, []byte(e.pub+" "+srv.HostKey(e.id)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// opts are the client options every test call uses: no user config, the
// instance's key only, strict host key checking against known_hosts.
func (e *sshEnv) opts(key string) []string {
	return []string{"-F", "/dev/null", "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + e.known, "-o", "ConnectTimeout=10",
		"-o", "LogLevel=ERROR"}
}

// ssh runs the ssh client with args and stdin; it returns stdout, stderr
// and the exit status.
func (e *sshEnv) run(t *testing.T, stdin string, tool string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	return out.String(), errb.String(), code
}

func (e *sshEnv) ssh(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return e.run(t, stdin, "ssh", append(e.opts(e.key), args...)...)
}

// TestSSHGateway drives OpenSSH's ssh, scp and sftp against a busybox
// instance that has no sshd: commands with exit status and separate
// stderr, stdin, a PTY, a refused wrong key, file copies both ways, -L to
// the instance's own port, and the host key in the console output.
func TestSSHGateway(t *testing.T) {
	e := newSSHEnv(t)
	host := "ec2-user@" + e.pub

	type result struct {
		Stdout, Stderr string
		Code           int
	}
	stdout, stderr, code := e.ssh(t, "", host, "echo out; echo err >&2; exit 3")
	if diff := cmp.Diff(result{"out\n", "err\n", 3}, result{stdout, stderr, code}); diff != "" {
		t.Errorf("ssh host cmd (-want +got):\n%s", diff)
	}
	stdout, _, code = e.ssh(t, "hello\nworld\n", host, "cat; echo done")
	if diff := cmp.Diff(result{"hello\nworld\ndone\n", "", 0}, result{stdout, "", code}); diff != "" {
		t.Errorf("stdin to cat, then EOF (-want +got):\n%s", diff)
	}
	stdout, _, code = e.ssh(t, "", "-tt", host, "tty")
	if code != 0 || !strings.HasPrefix(stdout, "/dev/pts/") {
		t.Errorf("ssh -tt host tty: exit %d, %q; want a pty", code, stdout)
	}
	stdout, _, _ = e.ssh(t, "", "-o", "SetEnv=EC2EMU_GREETING=hi", host, "echo $EC2EMU_GREETING")
	if stdout != "hi\n" {
		t.Errorf("environment request: got %q, want hi", stdout)
	}

	// A key that is not the instance's key pair's is refused.
	other := filepath.Join(e.dir, "other")
	if _, _, code := e.run(t, "", "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other); code != 0 {
		t.Fatal("ssh-keygen failed")
	}
	_, stderr, code = e.run(t, "", "ssh", append(e.opts(other), host, "true")...)
	if code != 255 || !strings.Contains(stderr, "Permission denied") {
		t.Errorf("wrong key: exit %d, %q; want 255 Permission denied", code, stderr)
	}

	// scp (SFTP underneath) both ways, and sftp.
	local := filepath.Join(e.dir, "local.txt")
	payload := strings.Repeat("ec2emu scp payload\n", 5000)
	if err := os.WriteFile(local, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := e.run(t, "", "scp", append(e.opts(e.key), local, host+":/tmp/up.txt")...); code != 0 {
		t.Fatalf("scp up: exit %d: %s", code, stderr)
	}
	if stdout, _, _ := e.ssh(t, "", host, "wc -c < /tmp/up.txt"); strings.TrimSpace(stdout) != fmt.Sprint(len(payload)) {
		t.Errorf("uploaded file has %s bytes, want %d", strings.TrimSpace(stdout), len(payload))
	}
	back := filepath.Join(e.dir, "back.txt")
	if _, stderr, code := e.run(t, "", "scp", append(e.opts(e.key), host+":/tmp/up.txt", back)...); code != 0 {
		t.Fatalf("scp down: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(back); string(got) != payload {
		t.Errorf("scp down: got %d bytes, want the %d uploaded", len(got), len(payload))
	}
	batch := "mkdir /tmp/d\ncd /tmp/d\nput " + local + " s.txt\nls -l\nrename s.txt t.txt\nget t.txt " + filepath.Join(e.dir, "t.txt") + "\nrm t.txt\nrmdir /tmp/d\n"
	stdout, stderr, code = e.run(t, batch, "sftp", append(e.opts(e.key), "-b", "-", host)...)
	if code != 0 || !strings.Contains(stdout, "s.txt") {
		t.Errorf("sftp batch: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(e.dir, "t.txt")); string(got) != payload {
		t.Errorf("sftp get: got %d bytes, want %d", len(got), len(payload))
	}

	// ssh -L to the instance's own port 8080 (busybox httpd from user data).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lport := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	fwd := exec.CommandContext(ctx, "ssh", append(e.opts(e.key), "-N", "-o", "ExitOnForwardFailure=yes",
		"-L", fmt.Sprintf("127.0.0.1:%d:localhost:8080", lport), host)...)
	if err := fwd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); fwd.Wait() })
	testutil.WaitFor(t, 20*time.Second, "httpd through ssh -L", func() (bool, string) {
		body, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/", lport))
		return err == nil && strings.HasPrefix(body, "hello from"), fmt.Sprint(err)
	})

	// The host key's fingerprint is on the console, as cloud-init prints it.
	co, err := e.c.GetConsoleOutput(t.Context(), &ec2.GetConsoleOutputInput{InstanceId: aws.String(e.id)})
	if err != nil {
		t.Fatal(err)
	}
	console, _ := base64.StdEncoding.DecodeString(aws.ToString(co.Output))
	fp, _, _ := e.run(t, "", "ssh-keygen", "-l", "-f", e.known)
	fields := strings.Fields(fp)
	if len(fields) < 2 || !strings.Contains(string(console), fields[1]) || !strings.Contains(string(console), "BEGIN SSH HOST KEY FINGERPRINTS") ||
		!strings.Contains(string(console), "user data ran") {
		t.Errorf("console output lacks the user data's output or the host key fingerprint %v:\n%s", fields, console)
	}
}

// TestAccessSurvivesRestart: after the emulator restarts, a running
// instance keeps its public address and its SSH host key (ssh with strict
// host key checking still gets in once port 22 is allowed), and its
// metadata service still answers.
func TestAccessSurvivesRestart(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("OpenSSH's ssh is not installed")
	}
	cli := dockertest.Require(t)
	removeMetadataNetworkOnCleanup(t, cli)
	ami, _ := dockertest.UniqueAMI(t, cli)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	open := func() *docker.Backend {
		b, err := docker.New(t.Context(), docker.WithNamespace(ns), docker.WithDockerSocket(false),
			docker.WithMetadataNetwork(docker.MetadataNetworkName))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b1 := open()
	srv1 := ec2emu.New(b1)
	hs1 := httptest.NewServer(srv1)
	c1 := ec2emutest.Client(hs1.URL, "us-east-1")
	ctx := t.Context()
	e := &sshEnv{dir: t.TempDir()}
	kp, err := c1.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	e.key = filepath.Join(e.dir, "key.pem")
	os.WriteFile(e.key, []byte(*kp.KeyMaterial), 0o600)
	out, err := c1.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), KeyName: kp.KeyName})
	if err != nil {
		t.Fatal(err)
	}
	id := *out.Instances[0].InstanceId
	testutil.WaitStates(t, c1, 60*time.Second, types.InstanceStateNameRunning, id)
	inst := describeInstance(t, c1, id)
	pub := aws.ToString(inst.PublicIpAddress)
	in := ingress(22, "127.0.0.0/8")
	in.GroupId = inst.SecurityGroups[0].GroupId
	if _, err := c1.AuthorizeSecurityGroupIngress(ctx, in); err != nil {
		t.Fatal(err)
	}
	hostKey := srv1.HostKey(id)
	e.known = filepath.Join(e.dir, "known_hosts")
	os.WriteFile(e.known, []byte(pub+" "+hostKey+"\n"), 0o600)
	hs1.Close()
	srv1.Close()

	srv2 := ec2emutest.NewServer(t, open())
	<-srv2.Ready()
	if got := aws.ToString(describeInstance(t, srv2.Client, id).PublicIpAddress); got != pub {
		t.Errorf("after restart: public address %q, want %q", got, pub)
	}
	if got := srv2.HostKey(id); got != hostKey {
		t.Errorf("after restart: host key %q, want %q", got, hostKey)
	}
	// Security group rules are not kept across restarts yet (the Server
	// keeps API state in memory; only what the backend stores with each
	// machine survives), so the rule is authorized again.
	if _, err := srv2.Client.AuthorizeSecurityGroupIngress(ctx, in); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 5*time.Second, "port 22 forwarded again", func() (bool, string) {
		return slices.Contains(srv2.ForwardedPorts(id), 22), fmt.Sprint(srv2.ForwardedPorts(id))
	})
	stdout, stderr, code := e.ssh(t, "", "root@"+pub, "echo ok")
	if stdout != "ok\n" || code != 0 {
		t.Errorf("ssh after restart: exit %d, %q, %q", code, stdout, stderr)
	}
	testutil.WaitFor(t, 10*time.Second, "the metadata service after restart", func() (bool, string) {
		code, body := mdRequest(t, cli, id, "GET", "/latest/meta-data/instance-id")
		return code == 200 && body == id, fmt.Sprintf("%d %q", code, body)
	})
}

// TestSSHWindowChange: a PTY session follows the client's window size.
func TestSSHWindowChange(t *testing.T) {
	e := newSSHEnv(t)
	pem, err := os.ReadFile(e.key)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	hostKey, _, _, _, err := gossh.ParseAuthorizedKey([]byte(e.srv.HostKey(e.id)))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := gossh.Dial("tcp", net.JoinHostPort(e.pub, "22"), &gossh.ClientConfig{
		User: "ec2-user", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.FixedHostKey(hostKey), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	stdin, _ := sess.StdinPipe()
	var out lockedBuffer
	sess.Stdout = &out
	// Each line in prints the terminal's size; the resize is applied
	// asynchronously, so lines go in until the new size comes out.
	if err := sess.Start("while read x; do stty size; done"); err != nil {
		t.Fatal(err)
	}
	if err := sess.WindowChange(40, 100); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(out.String(), "40 100") && time.Now().Before(deadline) {
		fmt.Fprintln(stdin, "go")
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "40 100") {
		t.Errorf("stty size after a window change: %q, want 40 100", out.String())
	}
}

// lockedBuffer is a bytes.Buffer written by a session while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
