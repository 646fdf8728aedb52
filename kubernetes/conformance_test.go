package kubernetes_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/backendtest"
	"github.com/ec2emu/ec2emu/kubernetes"
)

// TestConformance runs the backend conformance suite against the real
// cluster, each check in its own backend namespace.
func TestConformance(t *testing.T) {
	c := requireCluster(t)
	kns := c.kns[0]
	zero := int64(0)
	read := func(path string) func(ctx context.Context, b backend.Backend, id string) ([]byte, error) {
		return func(ctx context.Context, b backend.Backend, id string) ([]byte, error) {
			out, err := execIn(ctx, b, id, "cat", path)
			return []byte(out), err
		}
	}
	backendtest.Run(t, backendtest.Harness{
		Open:    func(ctx context.Context) (backend.Backend, error) { return c.open(ctx, kns) },
		ImageID: testAMI(),
		// kubectl delete pod stops an instance (its record remains);
		// deleting its record too terminates it.
		Drift: func(ctx context.Context, b backend.Backend, id string, to backend.State) error {
			name := kubernetes.NamePrefix + id
			if err := c.cs.CoreV1().Pods(kns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
				return err
			}
			switch to {
			case backend.StateStopped:
				return nil
			case backend.StateTerminated:
				return c.cs.CoreV1().ConfigMaps(kns).Delete(ctx, name, metav1.DeleteOptions{})
			}
			return fmt.Errorf("no drift to %s", to)
		},
		UserData:       read("/var/log/cloud-init-output.log"),
		UserDataOutput: true,
		AuthorizedKeys: func(ctx context.Context, b backend.Backend, id string) (string, error) {
			out, err := read("/root/.ssh/authorized_keys")(ctx, b, id)
			return string(out), err
		},
		Timeout: 30 * time.Second,
	})
}
