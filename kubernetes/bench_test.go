package kubernetes_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/kubernetes"
)

// TestLaunchVsRawPod compares the median time from RunInstances (the Go
// SDK against a Server over the backend) until DescribeInstances, polled
// every 5 ms, says running, with creating the same pod with client-go and
// polling it every 5 ms until it is Running with an address, interleaved,
// n of each. It runs only with EC2_K8S_BENCH=1 and reports the figures; it
// fails above the bound of 1.2×.
func TestLaunchVsRawPod(t *testing.T) {
	if os.Getenv("EC2_K8S_BENCH") != "1" {
		t.Skip("EC2_K8S_BENCH=1 runs it")
	}
	c := requireCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	kns := c.kns[0]
	b, err := c.open(ctx, kns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	srv := ec2emutest.NewServer(t, b)
	until := func(id string, want types.InstanceStateName) error {
		for {
			out, err := srv.Client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
			if err != nil {
				return err
			}
			if out.Reservations[0].Instances[0].State.Name == want {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s not %s: %w", id, want, ctx.Err())
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	const n = 10
	var viaEC2, raw []time.Duration
	zero := int64(0)
	for range n {
		start := time.Now()
		out, err := srv.Client.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(testAMI()), InstanceType: types.InstanceTypeT3Micro,
			MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		id := *out.Instances[0].InstanceId
		if err := until(id, types.InstanceStateNameRunning); err != nil {
			t.Fatal(err)
		}
		viaEC2 = append(viaEC2, time.Since(start))
		p, err := c.cs.CoreV1().Pods(kns).Get(ctx, kubernetes.NamePrefix+id, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// Stopped, not terminated: the raw pod uses the same disk (which
		// spares it the first boot's copy, so the ratio errs against the
		// emulator), and the termination removes it afterwards.
		if _, err := srv.Client.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
			t.Fatal(err)
		}
		if err := until(id, types.InstanceStateNameStopped); err != nil {
			t.Fatal(err)
		}

		// The same pod, made directly.
		rp := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "raw-" + id, Namespace: kns,
			Labels: map[string]string{kubernetes.LabelManagedBy: "ec2emu", kubernetes.LabelNamespace: c.used[len(c.used)-1], "raw": id}}, Spec: p.Spec}
		rp.Spec.NodeName = ""
		start = time.Now()
		if _, err := c.cs.CoreV1().Pods(kns).Create(ctx, rp, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := untilRunning(ctx, c, kns, rp.Name); err != nil {
			t.Fatal(err)
		}
		raw = append(raw, time.Since(start))
		if err := c.cs.CoreV1().Pods(kns).Delete(ctx, rp.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
			t.Fatal(err)
		}
		if err := untilGone(ctx, c, kns, rp.Name); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Client.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
			t.Fatal(err)
		}
		if err := until(id, types.InstanceStateNameTerminated); err != nil {
			t.Fatal(err)
		}
	}
	me, mr := median(viaEC2), median(raw)
	t.Logf("median of %d: RunInstances → running %v, the same pod with client-go → Running %v, ratio %.2f", n, me, mr, float64(me)/float64(mr))
	if float64(me) > 1.2*float64(mr) {
		t.Errorf("RunInstances median %v is over 1.2× the raw pod's %v", me, mr)
	}
}

// untilRunning polls pod name every 5 ms until it runs with an address
// (a watch would be as good; polling costs the raw figure at most 5 ms).
func untilRunning(ctx context.Context, c *cluster, kns, name string) error {
	for {
		p, err := c.cs.CoreV1().Pods(kns).Get(ctx, name, metav1.GetOptions{})
		if err == nil && p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pod %s did not run: %w", name, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// untilGone polls pod name every 5 ms until it no longer exists.
func untilGone(ctx context.Context, c *cluster, kns, name string) error {
	for {
		if _, err := c.cs.CoreV1().Pods(kns).Get(ctx, name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pod %s was not deleted: %w", name, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestDescribe100VsDocker measures DescribeInstances over 100 running
// instances on the kubernetes backend and, in the same run, on the docker
// backend (both standalone servers, the same launch, rounds of a second
// taking turns), through the Go SDK at concurrency 1 and 4. It runs only
// with EC2_K8S_BENCH=1, reports the figures, and fails when kubernetes is
// more than 10% below docker.
func TestDescribe100VsDocker(t *testing.T) {
	if os.Getenv("EC2_K8S_BENCH") != "1" {
		t.Skip("EC2_K8S_BENCH=1 runs it")
	}
	c := requireCluster(t)
	requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	dockerAMI(t)
	k8sURL, _ := startK8sServer(t, c, "EC2_K8S_REQUEST_SCALE=0.001")
	dockerURL := startDockerServer(t)
	const size = 100
	clients := map[string]*ec2.Client{}
	for name, url := range map[string]string{"kubernetes": k8sURL, "docker": dockerURL} {
		cl := ec2emutest.Client(url, "us-east-1")
		clients[name] = cl
		out, err := cl.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(testAMI()), InstanceType: types.InstanceTypeT3Micro,
			MinCount: aws.Int32(size), MaxCount: aws.Int32(size)})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var ids []string
		for _, i := range out.Instances {
			ids = append(ids, *i.InstanceId)
		}
		t.Cleanup(func() {
			cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer ccancel()
			cl.TerminateInstances(cctx, &ec2.TerminateInstancesInput{InstanceIds: ids})
			if err := ec2.NewInstanceTerminatedWaiter(cl).Wait(cctx, &ec2.DescribeInstancesInput{InstanceIds: ids}, 10*time.Minute); err != nil {
				t.Errorf("%s: terminating the bench's instances: %v", name, err)
			}
		})
	}
	for name, cl := range clients {
		start := time.Now()
		for {
			out, err := cl.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"running"}}}})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range out.Reservations {
				n += len(r.Instances)
			}
			if n == size {
				break
			}
			if time.Since(start) > 10*time.Minute {
				t.Fatalf("%s: %d of %d running after 10 minutes", name, n, size)
			}
			time.Sleep(500 * time.Millisecond)
		}
		t.Logf("%s: %d instances running %v after the launch began", name, size, time.Since(start).Round(time.Second))
	}
	for _, conc := range []int{1, 4} {
		rps := map[string][]float64{}
		p50 := map[string][]time.Duration{}
		for r := -1; r < 9; r++ { // round -1 warms up
			for _, name := range []string{"kubernetes", "docker"} {
				n, lat, err := describeRound(ctx, clients[name], conc, time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if r >= 0 {
					rps[name] = append(rps[name], n)
					p50[name] = append(p50[name], lat)
				}
			}
		}
		k, d := medianF(rps["kubernetes"]), medianF(rps["docker"])
		t.Logf("DescribeInstances over %d running instances, SDK, concurrency %d: kubernetes %.0f req/s (p50 %v), docker %.0f req/s (p50 %v), ratio %.2f",
			size, conc, k, median(p50["kubernetes"]).Round(100*time.Microsecond), d, median(p50["docker"]).Round(100*time.Microsecond), k/d)
		if k < 0.9*d {
			t.Errorf("concurrency %d: kubernetes %.0f req/s is more than 10%% below docker's %.0f", conc, k, d)
		}
	}
}

// describeRound runs DescribeInstances of everything from conc goroutines
// for d and returns requests per second and the median latency.
func describeRound(ctx context.Context, cl *ec2.Client, conc int, d time.Duration) (float64, time.Duration, error) {
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	end := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for time.Now().Before(end) {
				t0 := time.Now()
				_, err := cl.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				lat = append(lat, time.Since(t0))
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return 0, 0, firstErr
	}
	return float64(len(lat)) / time.Since(start).Seconds(), median(lat), nil
}

func medianF(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
