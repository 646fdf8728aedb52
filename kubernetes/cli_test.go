package kubernetes_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ec2emu/ec2emu/kubernetes"
)

// startK8sServer builds cmd/ec2emu-k8s and runs it on a free loopback port
// with EC2_VM_MANAGER=kubernetes over the test cluster, in a fresh backend
// namespace; it returns the endpoint and the namespace. The server is
// interrupted at the end of the test and must exit cleanly.
func startK8sServer(t *testing.T, c *cluster, env ...string) (endpoint, ns string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ec2emu-k8s")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/ec2emu-k8s").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ns = c.namespace()
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), append([]string{"EC2_VM_MANAGER=kubernetes", "EC2EMU_NAMESPACE=" + ns,
		"EC2_K8S_NAMESPACE=" + c.kns[0], "EC2_K8S_REQUEST_SCALE=0.01"}, env...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	exited := make(chan error, 1)
	var logMu = make(chan []string, 1)
	logMu <- nil
	go func() {
		re := regexp.MustCompile(`msg=listening addr=(http://\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			l := <-logMu
			logMu <- append(l, sc.Text())
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("ec2emu-k8s did not exit cleanly: %v\n%s", err, strings.Join(<-logMu, "\n"))
			}
		case <-time.After(2 * time.Minute):
			// Close waits for the disk wipes of the instances just
			// terminated, a pod each: seconds on a quiet node, tens of
			// seconds when the node is loaded.
			cmd.Process.Kill()
			t.Error("ec2emu-k8s did not exit within 2 minutes of SIGINT")
		}
	})
	select {
	case endpoint = <-addr:
	case err := <-exited:
		t.Fatalf("ec2emu-k8s exited at start: %v\n%s", err, strings.Join(<-logMu, "\n"))
	case <-time.After(time.Minute):
		t.Fatal("ec2emu-k8s did not report its address within a minute")
	}
	return endpoint, ns
}

// awsCLI returns a function that runs `aws --endpoint-url … ec2 <args>` and
// decodes its JSON output.
func awsCLI(t *testing.T, endpoint string) func(args ...string) map[string]any {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		skipOrFail(t, "the AWS CLI is not installed; run scripts/ensure-clients.sh")
	}
	return func(args ...string) map[string]any {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", endpoint, "--output", "json", "ec2"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
			"AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("aws ec2 %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		var v map[string]any
		if len(strings.TrimSpace(string(out))) > 0 {
			if err := json.Unmarshal(out, &v); err != nil {
				t.Fatalf("aws ec2 %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
		return v
	}
}

// at walks decoded JSON: strings index objects, ints index arrays.
func at(t *testing.T, v any, keys ...any) any {
	t.Helper()
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %q: not an object: %v", k, v)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at [%d]: not an array that long: %v", k, v)
			}
			v = a[k]
		}
	}
	return v
}

// instancesOf returns the instances of every reservation of a
// describe-instances answer, by ID.
func instancesOf(t *testing.T, desc map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range at(t, desc, "Reservations").([]any) {
		for _, i := range at(t, r, "Instances").([]any) {
			m := i.(map[string]any)
			out[m["InstanceId"].(string)] = m
		}
	}
	return out
}

// A user's AWS CLI session against the standalone server with the
// kubernetes backend: a key pair, three instances with user data, describe,
// stop, start and terminate, each answer checked, and what the instances
// hold checked inside them.
func TestAWSCLISession(t *testing.T) {
	c := requireCluster(t)
	ctx := ctxT(t)
	endpoint, ns := startK8sServer(t, c)
	aws := awsCLI(t, endpoint)

	kp := aws("create-key-pair", "--key-name", "cli-key")
	if at(t, kp, "KeyName") != "cli-key" || !strings.HasPrefix(at(t, kp, "KeyMaterial").(string), "-----BEGIN") {
		t.Fatalf("create-key-pair: %v", kp)
	}
	pub := at(t, aws("describe-key-pairs", "--key-names", "cli-key", "--include-public-key"), "KeyPairs", 0, "PublicKey").(string)
	ud := filepath.Join(t.TempDir(), "user-data.sh")
	if err := os.WriteFile(ud, []byte("#!/bin/sh\necho \"hello from $(hostname)\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	run := aws("run-instances", "--image-id", testAMI(), "--count", "3", "--instance-type", "t3.micro",
		"--key-name", "cli-key", "--user-data", "file://"+ud)
	var ids []string
	for i := range 3 {
		inst := at(t, run, "Instances", i).(map[string]any)
		ids = append(ids, inst["InstanceId"].(string))
		if s := at(t, inst, "State", "Name"); s != "pending" || inst["KeyName"] != "cli-key" || inst["ImageId"] != testAMI() {
			t.Errorf("run-instances answered %v, %v, %v; want pending, cli-key, %s", s, inst["KeyName"], inst["ImageId"], testAMI())
		}
	}
	aws(append([]string{"wait", "instance-running", "--instance-ids"}, ids...)...)
	desc := instancesOf(t, aws(append([]string{"describe-instances", "--instance-ids"}, ids...)...))
	var ips []string
	for _, id := range ids {
		i := desc[id]
		if i == nil || at(t, i, "State", "Name") != "running" || i["KeyName"] != "cli-key" || i["InstanceType"] != "t3.micro" {
			t.Fatalf("describe-instances %s: %v", id, i)
		}
		ip, _ := i["PrivateIpAddress"].(string)
		if ip == "" || slices.Contains(ips, ip) {
			t.Errorf("instance %s has private address %q (others %v), want its own", id, ip, ips)
		}
		ips = append(ips, ip)
	}

	// Inside: the user data ran once, the key is root's.
	b, err := kubernetes.New(ctx, kubernetes.WithClient(c.cs, c.cfg), kubernetes.WithNamespace(ns), kubernetes.WithKubernetesNamespace(c.kns[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	inside := func(when string) {
		t.Helper()
		for _, id := range ids {
			out, err := execIn(ctx, b, id, "/bin/sh", "-c", "until [ -e /var/lib/cloud/instances/"+id+"/boot-finished ]; do sleep 0.05; done; "+
				"cat /var/log/cloud-init-output.log; echo ---; cat /root/.ssh/authorized_keys")
			if err != nil {
				t.Fatalf("%s: %s: %v", when, id, err)
			}
			if want := "hello from " + id + "\n---\n" + strings.TrimSpace(pub) + "\n"; out != want {
				t.Errorf("%s: in %s:\n%q\nwant\n%q", when, id, out, want)
			}
		}
	}
	inside("after launch")

	stop := aws(append([]string{"stop-instances", "--instance-ids"}, ids...)...)
	for i := range 3 {
		if s := at(t, stop, "StoppingInstances", i, "CurrentState", "Name"); s != "stopping" && s != "stopped" {
			t.Errorf("stop-instances: current state %v, want stopping", s)
		}
	}
	aws(append([]string{"wait", "instance-stopped", "--instance-ids"}, ids...)...)
	for id, i := range instancesOf(t, aws(append([]string{"describe-instances", "--instance-ids"}, ids...)...)) {
		if s := at(t, i, "State", "Name"); s != "stopped" {
			t.Errorf("%s after the stop waiter: %v", id, s)
		}
	}
	pods, err := c.cs.CoreV1().Pods(c.kns[0]).List(ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelNamespace + "=" + ns})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 0 {
		t.Errorf("%d pods while every instance is stopped, want none", len(pods.Items))
	}

	start := aws(append([]string{"start-instances", "--instance-ids"}, ids...)...)
	for i := range 3 {
		if s := at(t, start, "StartingInstances", i, "CurrentState", "Name"); s != "pending" && s != "running" {
			t.Errorf("start-instances: current state %v, want pending", s)
		}
	}
	aws(append([]string{"wait", "instance-running", "--instance-ids"}, ids...)...)
	inside("after stop and start (the disk kept, the user data not run again)")

	term := aws(append([]string{"terminate-instances", "--instance-ids"}, ids...)...)
	for i := range 3 {
		if s := at(t, term, "TerminatingInstances", i, "CurrentState", "Name"); s != "shutting-down" && s != "terminated" {
			t.Errorf("terminate-instances: current state %v, want shutting-down", s)
		}
	}
	aws(append([]string{"wait", "instance-terminated", "--instance-ids"}, ids...)...)
	for id, i := range instancesOf(t, aws(append([]string{"describe-instances", "--instance-ids"}, ids...)...)) {
		if s := at(t, i, "State", "Name"); s != "terminated" {
			t.Errorf("%s after the terminate waiter: %v", id, s)
		}
	}
	sel := metav1.ListOptions{LabelSelector: kubernetes.LabelNamespace + "=" + ns}
	cms, err := c.cs.CoreV1().ConfigMaps(c.kns[0]).List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	if len(cms.Items) != 0 {
		t.Errorf("%d records after terminate, want none", len(cms.Items))
	}
}
