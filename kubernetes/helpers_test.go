package kubernetes_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/kubernetes"
)

// testAMI is the AMI scripts/ensure-k8s.sh imports; EC2_K8S_TEST_AMI names
// another one on a cluster of your own.
func testAMI() string {
	if a := os.Getenv("EC2_K8S_TEST_AMI"); a != "" {
		return a
	}
	return "ami-0000000000000b0b"
}

// cluster is the cluster the tests run against, and the namespaces they use.
type cluster struct {
	cs   k8s.Interface
	cfg  *rest.Config
	kns  []string // Kubernetes namespaces, each with a default ServiceAccount
	mu   sync.Mutex
	used []string // backend namespaces opened, for cleanup
}

// requireCluster returns the cluster KUBECONFIG names. Without one the test
// skips, or fails under CI=true; under -short it skips.
func requireCluster(t *testing.T) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the kubernetes backend's tests need a cluster")
	}
	fail := t.Skipf
	if ciRun() {
		fail = t.Fatalf
	}
	if os.Getenv("KUBECONFIG") == "" {
		fail("KUBECONFIG is unset: run scripts/ensure-k8s.sh (make test does) or point it at a cluster")
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), nil).ClientConfig()
	if err != nil {
		fail("no cluster: %v", err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	cs, err := k8s.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx); err != nil {
		fail("the cluster in KUBECONFIG does not answer: %v", err)
	}
	c := &cluster{cs: cs, cfg: cfg, kns: []string{"ec2emu-test", "ec2emu-test2"}}
	for _, ns := range c.kns {
		c.ensureNamespace(t, ctx, ns)
	}
	t.Cleanup(c.cleanup(t))
	return c
}

// ensureNamespace makes Kubernetes namespace ns and its default
// ServiceAccount if missing (a cluster without kube-controller-manager makes
// no ServiceAccount), and deletes the namespace after the test if it made it.
func (c *cluster) ensureNamespace(t *testing.T, ctx context.Context, ns string) {
	_, err := c.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = c.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err == nil {
			t.Cleanup(func() {
				c.cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
			})
		}
	}
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("namespace %s: %v", ns, err)
	}
	_, err = c.cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("service account in %s: %v", ns, err)
	}
}

// namespace returns a fresh backend namespace, whose objects the test's
// cleanup removes.
func (c *cluster) namespace() string {
	b := make([]byte, 6)
	rand.Read(b)
	ns := "t-" + hex.EncodeToString(b)
	c.mu.Lock()
	c.used = append(c.used, ns)
	c.mu.Unlock()
	return ns
}

// open opens a backend in a fresh backend namespace of Kubernetes namespace
// kns, with small requests so many instances fit on a small node.
func (c *cluster) open(ctx context.Context, kns string, opts ...kubernetes.Option) (*kubernetes.Backend, error) {
	all := append([]kubernetes.Option{
		kubernetes.WithClient(c.cs, c.cfg), kubernetes.WithNamespace(c.namespace()),
		kubernetes.WithKubernetesNamespace(kns), kubernetes.WithRequestScale(0.01),
	}, opts...)
	return kubernetes.New(ctx, all...)
}

// cleanup terminates every instance of the backend namespaces used (so
// their disks go too), deletes any pod and ConfigMap still labelled with
// them, and then checks that no pod, ConfigMap or disk directory is left.
func (c *cluster) cleanup(t *testing.T) func() {
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		zero := int64(0)
		c.mu.Lock()
		defer c.mu.Unlock()
		host, _ := os.Hostname()
		for _, kns := range c.kns {
			for _, ns := range c.used {
				sel := metav1.ListOptions{LabelSelector: kubernetes.LabelNamespace + "=" + ns}
				if cms, err := c.cs.CoreV1().ConfigMaps(kns).List(ctx, sel); err == nil && len(cms.Items) > 0 {
					b, err := kubernetes.New(ctx, kubernetes.WithClient(c.cs, c.cfg), kubernetes.WithNamespace(ns), kubernetes.WithKubernetesNamespace(kns))
					if err == nil {
						ms, _ := b.Machines(ctx)
						var wg sync.WaitGroup
						for _, m := range ms {
							wg.Go(func() {
								if err := b.Terminate(ctx, m.ID); err != nil {
									t.Errorf("cleanup: terminate %s: %v", m.ID, err)
								}
							})
						}
						wg.Wait()
						b.Close()
					}
				}
				c.cs.CoreV1().Pods(kns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, sel)
				c.cs.CoreV1().ConfigMaps(kns).DeleteCollection(ctx, metav1.DeleteOptions{}, sel)
				nodes, _ := c.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
				if nodes != nil && len(nodes.Items) == 1 && nodes.Items[0].Name == host {
					dir := filepath.Join(kubernetes.DefaultDiskDir, kns, ns)
					if _, err := os.Stat(dir); err == nil {
						t.Errorf("disk directory %s left after the test", dir)
						os.RemoveAll(dir)
					}
				}
			}
			sel := metav1.ListOptions{LabelSelector: kubernetes.LabelManagedBy + "=ec2emu"}
			pods, err := c.cs.CoreV1().Pods(kns).List(ctx, sel)
			if err == nil {
				for _, p := range pods.Items {
					if p.DeletionTimestamp == nil {
						t.Errorf("pod %s/%s left after the test", kns, p.Name)
					}
				}
			}
		}
	}
}

// execIn runs cmd in instance id through the backend and returns its output.
func execIn(ctx context.Context, b backend.Backend, id string, cmd ...string) (string, error) {
	var out bytes.Buffer
	code, err := b.(backend.Execer).Exec(ctx, id, backend.ExecSpec{Cmd: cmd, Stdout: &out, Stderr: &out})
	if err == nil && code != 0 {
		err = fmt.Errorf("%s: exit %d: %s", strings.Join(cmd, " "), code, out.String())
	}
	return out.String(), err
}

// ciRun reports whether the tests run under CI=true, where what would skip
// fails.
func ciRun() bool { return os.Getenv("CI") == "true" }
