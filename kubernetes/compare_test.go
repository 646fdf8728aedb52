package kubernetes_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/ec2emutest"
)

// requireDocker returns when a Docker engine answers, else skips (fails
// under CI=true, where make test has started one).
func requireDocker(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("docker", "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		skipOrFail(t, "no Docker engine to compare with: %v %s", err, out)
	}
}

// dockerAMI imports the test AMI's content (the host's static busybox)
// into Docker under the same AMI ID the cluster has, and removes it at the
// end of the test.
func dockerAMI(t *testing.T) {
	t.Helper()
	ref := "localstack-ec2/busybox:" + testAMI()
	if exec.Command("docker", "image", "inspect", ref).Run() == nil {
		t.Fatalf("docker already has %s: another test's, not removing it", ref)
	}
	root := t.TempDir()
	script := `set -e; mkdir -p bin tmp root etc var/log; cp /bin/busybox bin/busybox
for a in $(./bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >etc/passwd
tar -c . | docker import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - ` + ref
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker import: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", ref).Run() })
}

// startDockerServer builds the main module's standalone server and runs it
// with the docker backend on a free loopback port, in a fresh namespace.
func startDockerServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ec2emu")
	build := exec.Command("go", "build", "-o", bin, "./examples/ec2emu")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "EC2_VM_MANAGER=docker", fmt.Sprintf("EC2EMU_NAMESPACE=k8scmp-%d", time.Now().UnixNano()))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	exited := make(chan error, 1)
	go func() {
		re := regexp.MustCompile(`addr=(http://\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Error("the docker server did not exit within 30 s of SIGINT")
		}
	})
	select {
	case a := <-addr:
		return a
	case err := <-exited:
		t.Fatalf("the docker server exited at start: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the docker server did not report its address within a minute")
	}
	return ""
}

// normalise blanks what differs between two launches by nature: IDs,
// addresses, MACs and times.
var normalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b(i|r|eni|eni-attach|vol)-[0-9a-f]{8,17}\b`), "$1-ID"},
	{regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`), "UUID"},
	{regexp.MustCompile(`\b(ip|ec2)-\d+-\d+-\d+-\d+`), "$1-ADDR"},
	{regexp.MustCompile(`\b\d+\.\d+\.\d+\.\d+\b`), "ADDR"},
	{regexp.MustCompile(`\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b`), "MAC"},
	{regexp.MustCompile(`"\d{4}-\d\d-\d\dT[^"]*"`), `"TIME"`},
}

func normalise(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, n := range normalisers {
		s = n.re.ReplaceAllString(s, n.with)
	}
	var out any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// The same RunInstances on the docker and the kubernetes backends
// describes the same, apart from IDs, addresses and times: the Server
// shapes the answer, and neither backend leaks through.
func TestDescribeMatchesDocker(t *testing.T) {
	c := requireCluster(t)
	requireDocker(t)
	ctx := ctxT(t)
	dockerAMI(t)
	k8sURL, _ := startK8sServer(t, c)
	dockerURL := startDockerServer(t)
	describe := func(url string) []types.Reservation {
		cl := ec2emutest.Client(url, "us-east-1")
		if _, err := cl.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String("cmp"),
			PublicKeyMaterial: []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE8nqQ5ZrHf0Jw2aS3mS4N2T0mJcXkq1t5r8P8i1lQpZ cmp")}); err != nil {
			t.Fatal(err)
		}
		out, err := cl.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(testAMI()), InstanceType: types.InstanceTypeT3Micro,
			MinCount: aws.Int32(2), MaxCount: aws.Int32(2), KeyName: aws.String("cmp"), UserData: aws.String("ZWNobyBoaQ=="),
			TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("cmp")}}}}})
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		var ids []string
		for _, i := range out.Instances {
			ids = append(ids, *i.InstanceId)
		}
		t.Cleanup(func() {
			cl.TerminateInstances(context.Background(), &ec2.TerminateInstancesInput{InstanceIds: ids})
			ec2.NewInstanceTerminatedWaiter(cl).Wait(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: ids}, time.Minute)
		})
		if err := ec2.NewInstanceRunningWaiter(cl).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids}, time.Minute); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		d, err := cl.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
		if err != nil {
			t.Fatal(err)
		}
		return d.Reservations
	}
	k8s, dock := describe(k8sURL), describe(dockerURL)
	if diff := cmp.Diff(normalise(t, dock), normalise(t, k8s)); diff != "" {
		t.Errorf("DescribeInstances, docker (-) against kubernetes (+), IDs, addresses and times aside:\n%s", diff)
	}
	if s := fmt.Sprint(normalise(t, k8s)); !strings.Contains(s, "running") || !strings.Contains(s, "cmp") {
		t.Errorf("the kubernetes answer lacks what was launched: %s", s)
	}
}
