package kubernetes_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/kubernetes"
)

// TestLaunchVsRawPod compares the median time of a backend Launch (record,
// pod, wait for Running with an address) with creating the same pod with
// client-go and watching it until Running, interleaved, n of each. It runs
// only with EC2_K8S_BENCH=1 and reports the figures; it fails above the
// issue's bound of 1.2×.
func TestLaunchVsRawPod(t *testing.T) {
	if os.Getenv("EC2_K8S_BENCH") != "1" {
		t.Skip("EC2_K8S_BENCH=1 runs it")
	}
	c := requireCluster(t)
	ctx := ctxT(t)
	kns := c.kns[0]
	b, err := c.open(ctx, kns)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const n = 10
	var viaBackend, raw []time.Duration
	zero := int64(0)
	for range n {
		id := newID()
		start := time.Now()
		if _, err := b.Launch(ctx, backend.LaunchSpec{InstanceID: id, ImageID: testAMI(), InstanceType: "t3.micro"}); err != nil {
			t.Fatal(err)
		}
		viaBackend = append(viaBackend, time.Since(start))
		p, err := c.cs.CoreV1().Pods(kns).Get(ctx, kubernetes.NamePrefix+id, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Terminate(ctx, id); err != nil {
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
		c.cs.CoreV1().Pods(kns).Delete(ctx, rp.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	}
	mb, mr := median(viaBackend), median(raw)
	t.Logf("median of %d: backend Launch %v, raw pod %v, ratio %.2f", n, mb, mr, float64(mb)/float64(mr))
	if float64(mb) > 1.2*float64(mr) {
		t.Errorf("Launch median %v is over 1.2× the raw pod's %v", mb, mr)
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

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
