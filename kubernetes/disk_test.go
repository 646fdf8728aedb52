package kubernetes_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/kubernetes"
)

// What the disk holds survives a stop and start and a reboot, on the same
// node; the rest of the filesystem is the image's again, and the user data
// does not run again. Terminate removes the disk from the node.
func TestDiskSurvivesStop(t *testing.T) {
	c := requireCluster(t)
	ctx := ctxT(t)
	b, err := c.open(ctx, c.kns[0])
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ns := c.used[len(c.used)-1]
	id := newID()
	ud := "echo ran >>/root/ud-runs; echo kept >/home/kept; echo lost >/etc/lost"
	if _, err := b.Launch(ctx, backend.LaunchSpec{InstanceID: id, ImageID: testAMI(), InstanceType: "t3.micro",
		UserData: []byte(ud), PublicKey: "ssh-ed25519 AAAA test"}); err != nil {
		t.Fatal(err)
	}
	pod := func() (node string) {
		p, err := c.cs.CoreV1().Pods(c.kns[0]).Get(ctx, kubernetes.NamePrefix+id, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return p.Spec.NodeName
	}
	node := pod()
	// The user data runs in the background: wait for its marker.
	if _, err := execIn(ctx, b, id, "/bin/sh", "-c", "until [ -e /var/lib/cloud/instances/"+id+"/boot-finished ]; do sleep 0.05; done"); err != nil {
		t.Fatal(err)
	}
	look := "cat /root/ud-runs /home/kept /root/.ssh/authorized_keys; cat /etc/lost 2>/dev/null || echo no-etc; ls /bin/sh"
	want := "ran\nkept\nssh-ed25519 AAAA test\nno-etc\n/bin/sh\n"
	for _, step := range []struct {
		name string
		do   func() error
	}{
		{"stop and start", func() error {
			if err := b.Stop(ctx, id); err != nil {
				return err
			}
			if got := states(t, ctx, b)[id]; got != backend.StateStopped {
				t.Errorf("after Stop: %s, want stopped", got)
			}
			return b.Start(ctx, id)
		}},
		{"reboot", func() error { return b.Reboot(ctx, id) }},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if n := pod(); n != node {
			t.Errorf("after %s the pod is on node %q, want %q (its disk's)", step.name, n, node)
		}
		got, err := execIn(ctx, b, id, "/bin/sh", "-c", look)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after %s (-want +got):\n%s", step.name, diff)
		}
	}

	// The disk is on this host when the cluster is the one ensure-k8s.sh
	// runs here: it must be there now and gone after Terminate.
	host, _ := os.Hostname()
	dir := filepath.Join(kubernetes.DefaultDiskDir, c.kns[0], ns, id)
	local := node == host
	if local {
		if _, err := os.Stat(filepath.Join(dir, "home", "kept")); err != nil {
			t.Errorf("disk on the node: %v", err)
		}
	}
	if err := b.Terminate(ctx, id); err != nil {
		t.Fatal(err)
	}
	if local {
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("disk %s after Terminate: %v, want it gone", dir, err)
		}
		if _, err := os.Stat(filepath.Dir(dir)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("namespace directory %s after its last instance: %v, want it gone", filepath.Dir(dir), err)
		}
	} else {
		t.Logf("node %s is not this host: the disk's removal is not checked", node)
	}
	pods, err := c.cs.CoreV1().Pods(c.kns[0]).List(ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelNamespace + "=" + ns})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil || !strings.Contains(p.Name, "wipe") {
			t.Errorf("pod %s left after Terminate", p.Name)
		}
	}
}

// Without a disk directory, a stop loses everything but the record.
func TestNoDisk(t *testing.T) {
	c := requireCluster(t)
	ctx := ctxT(t)
	b, err := c.open(ctx, c.kns[0], kubernetes.WithDiskDir(""))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	id := launch(t, ctx, b, nil)
	if _, err := execIn(ctx, b, id, "/bin/sh", "-c", "echo x >/root/f"); err != nil {
		t.Fatal(err)
	}
	if err := b.Stop(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	got, err := execIn(ctx, b, id, "/bin/sh", "-c", "cat /root/f 2>/dev/null || echo gone")
	if err != nil {
		t.Fatal(err)
	}
	if got != "gone\n" {
		t.Errorf("/root/f after stop and start without a disk: %q, want it gone", got)
	}
	if err := b.Terminate(ctx, id); err != nil {
		t.Fatal(err)
	}
}
