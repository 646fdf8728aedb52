package kubernetes_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/kubernetes"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var idSeq = time.Now().UnixNano()

// newID returns a fresh instance ID.
func newID() string {
	idSeq++
	return fmt.Sprintf("i-%017x", idSeq&(1<<60-1))
}

func launch(t *testing.T, ctx context.Context, b *kubernetes.Backend, md map[string]string) string {
	t.Helper()
	id := newID()
	if _, err := b.Launch(ctx, backend.LaunchSpec{InstanceID: id, ImageID: testAMI(), InstanceType: "t3.micro", Metadata: md}); err != nil {
		t.Fatalf("Launch: %v", err)
	}
	return id
}

func states(t *testing.T, ctx context.Context, b backend.Backend) map[string]backend.State {
	t.Helper()
	ms, err := b.Machines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]backend.State{}
	for _, m := range ms {
		out[m.ID] = m.State
	}
	return out
}

// A pod no node can hold: refused before acceptance when the Server can
// ask the backend's capacity, and, when the scheduler is the first to
// say so (here: the capacity check hidden), the launch ends as
// InsufficientInstanceCapacity, with neither pod nor record left behind.
func TestUnschedulableIsInsufficientCapacity(t *testing.T) {
	c := requireCluster(t)
	ctx := ctxT(t)
	b, err := c.open(ctx, c.kns[0], kubernetes.WithRequestScale(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	in := &ec2.RunInstancesInput{ImageId: aws.String(testAMI()), InstanceType: types.InstanceTypeM524xlarge,
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}

	srv := ec2emutest.NewServer(t, b)
	_, err = srv.Client.RunInstances(ctx, in)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InsufficientInstanceCapacity" {
		t.Errorf("RunInstances with the capacity check: %v, want InsufficientInstanceCapacity", err)
	}

	hidden := ec2emutest.NewServer(t, struct{ backend.Backend }{b}) // the Server sees no optional capability
	out, err := hidden.Client.RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	id := *out.Instances[0].InstanceId
	var got string
	deadline := time.Now().Add(time.Minute)
	for got == "" && time.Now().Before(deadline) {
		d, err := hidden.Client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		if i := d.Reservations[0].Instances[0]; i.State.Name == types.InstanceStateNameTerminated {
			got = aws.ToString(i.StateReason.Code)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if diff := cmp.Diff("Server.InsufficientInstanceCapacity", got); diff != "" {
		t.Errorf("state reason (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]backend.State{}, states(t, ctx, b)); diff != "" {
		t.Errorf("machines left (-want +got):\n%s", diff)
	}
	sel := metav1.ListOptions{LabelSelector: kubernetes.LabelInstanceID + "=" + id}
	pods, _ := c.cs.CoreV1().Pods(c.kns[0]).List(ctx, sel)
	cms, _ := c.cs.CoreV1().ConfigMaps(c.kns[0]).List(ctx, sel)
	if len(pods.Items)+len(cms.Items) != 0 {
		t.Errorf("%d pods and %d ConfigMaps left behind", len(pods.Items), len(cms.Items))
	}
}

// A new backend over the same namespace re-adopts running and stopped
// instances with their metadata; backends of another backend namespace or
// another Kubernetes namespace see none of them.
func TestReadoptAndIsolation(t *testing.T) {
	c := requireCluster(t)
	ctx := ctxT(t)
	b1, err := c.open(ctx, c.kns[0])
	if err != nil {
		t.Fatal(err)
	}
	md := map[string]string{"reservation-id": "r-1", "tags": `[{"k":"v"}]`}
	running, stopped := launch(t, ctx, b1, md), launch(t, ctx, b1, md)
	if err := b1.Stop(ctx, stopped); err != nil {
		t.Fatal(err)
	}
	ns := c.used[len(c.used)-1]
	b1.Close()

	b2, err := kubernetes.New(ctx, kubernetes.WithClient(c.cs, c.cfg), kubernetes.WithNamespace(ns), kubernetes.WithKubernetesNamespace(c.kns[0]), kubernetes.WithRequestScale(0.01))
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	ms, err := b2.Machines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type seen struct {
		State backend.State
		Image string
		HasIP bool
		Meta  map[string]string
	}
	got := map[string]seen{}
	for _, m := range ms {
		got[m.ID] = seen{m.State, m.ImageID, m.PrivateIP != "", m.Metadata}
	}
	want := map[string]seen{
		running: {backend.StateRunning, testAMI(), true, md},
		stopped: {backend.StateStopped, testAMI(), false, md},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("re-adopted machines (-want +got):\n%s", diff)
	}
	if err := b2.Start(ctx, stopped); err != nil {
		t.Fatalf("Start after re-adoption: %v", err)
	}

	// Same backend namespace name in the other Kubernetes namespace, and
	// another backend namespace in the same one: neither sees them.
	other, err := kubernetes.New(ctx, kubernetes.WithClient(c.cs, c.cfg), kubernetes.WithNamespace(ns), kubernetes.WithKubernetesNamespace(c.kns[1]))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	b3, err := c.open(ctx, c.kns[0])
	if err != nil {
		t.Fatal(err)
	}
	defer b3.Close()
	for name, b := range map[string]*kubernetes.Backend{"other Kubernetes namespace": other, "other backend namespace": b3} {
		if diff := cmp.Diff(map[string]backend.State{}, states(t, ctx, b)); diff != "" {
			t.Errorf("%s lists (-want +got):\n%s", name, diff)
		}
		for _, call := range []func(context.Context, string) error{b.Stop, b.Start, b.Reboot} {
			if err := call(ctx, running); !errors.Is(err, backend.ErrNotFound) {
				t.Errorf("%s: a call on another namespace's instance: %v, want ErrNotFound", name, err)
			}
		}
		if err := b.Terminate(ctx, running); err != nil {
			t.Errorf("%s: Terminate of another namespace's instance: %v, want nil (not ours: gone)", name, err)
		}
	}
	if diff := cmp.Diff(map[string]backend.State{running: backend.StateRunning, stopped: backend.StateRunning}, states(t, ctx, b2)); diff != "" {
		t.Errorf("after the other namespaces' calls (-want +got):\n%s", diff)
	}
}

// Evicting an instance's pod (as a node drain does) shows as drift to
// stopped, and Start brings it back.
func TestEvictionDrift(t *testing.T) {
	c := requireCluster(t)
	ctx := ctxT(t)
	b, err := c.open(ctx, c.kns[0])
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	id := launch(t, ctx, b, nil)
	events := make(chan backend.Event, 16)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); b.Watch(wctx, func(e backend.Event) { events <- e }) }()
	defer func() { cancel(); <-done }()
	zero := int64(0)
	err = c.cs.CoreV1().Pods(c.kns[0]).EvictV1(ctx, &policyv1.Eviction{
		ObjectMeta:    metav1.ObjectMeta{Name: kubernetes.NamePrefix + id, Namespace: c.kns[0]},
		DeleteOptions: &metav1.DeleteOptions{GracePeriodSeconds: &zero},
	})
	if err != nil {
		t.Fatalf("evict: %v", err)
	}
	select {
	case e := <-events:
		if diff := cmp.Diff(backend.Event{ID: id, State: backend.StateStopped}, e); diff != "" {
			t.Errorf("event (-want +got):\n%s", diff)
		}
	case <-ctx.Done():
		t.Fatal("no drift event after the eviction")
	}
	if err := b.Start(ctx, id); err != nil {
		t.Fatalf("Start after eviction: %v", err)
	}
	if diff := cmp.Diff(map[string]backend.State{id: backend.StateRunning}, states(t, ctx, b)); diff != "" {
		t.Errorf("after Start (-want +got):\n%s", diff)
	}
}

// With a zone label on the node, only that zone is offered
// (DescribeAvailabilityZones, RunInstances), an instance goes to the node
// of its zone, and a zone without nodes has no capacity.
func TestZonePlacement(t *testing.T) {
	c := requireCluster(t)
	ctx := ctxT(t)
	nodes, err := c.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) != 1 {
		t.Skipf("needs a single-node cluster (%d nodes, %v)", len(nodes.Items), err)
	}
	node := nodes.Items[0]
	if _, ok := node.Labels[kubernetes.LabelZone]; ok {
		t.Skip("the node already has a zone")
	}
	b, err := c.open(ctx, c.kns[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if z, err := b.Zones(ctx); err != nil || z != nil {
		t.Errorf("Zones of a cluster without zone labels: %q, %v; want nil (every zone)", z, err)
	}
	label := func(v string) {
		patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%s}}}`, kubernetes.LabelZone, v)
		if _, err := c.cs.CoreV1().Nodes().Patch(context.Background(), node.Name, k8stypes.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	label(`"us-east-1b"`)
	t.Cleanup(func() { label("null") })
	// The label reaches the backend's node cache through its watch.
	deadline := time.Now().Add(30 * time.Second)
	for {
		z, err := b.Zones(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(z, []string{"us-east-1b"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Zones 30 s after labelling the node: %q, want [us-east-1b]", z)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, err = b.Launch(ctx, backend.LaunchSpec{InstanceID: newID(), ImageID: testAMI(), InstanceType: "t3.micro", Metadata: map[string]string{"availability-zone": "us-east-1a"}})
	if !errors.Is(err, backend.ErrCapacity) {
		t.Errorf("backend launch in a zone without nodes: %v, want ErrCapacity", err)
	}

	srv := ec2emutest.NewServer(t, b)
	az, err := srv.Client.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var offered []string
	for _, z := range az.AvailabilityZones {
		offered = append(offered, *z.ZoneName)
	}
	if diff := cmp.Diff([]string{"us-east-1b"}, offered); diff != "" {
		t.Errorf("zones offered (-want +got):\n%s", diff)
	}
	_, err = srv.Client.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(testAMI()), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		Placement: &types.Placement{AvailabilityZone: aws.String("us-east-1a")}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterValue" {
		t.Errorf("RunInstances in us-east-1a, which has no node: %v, want InvalidParameterValue", err)
	}
	out, err := srv.Client.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(testAMI()), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	id := *out.Instances[0].InstanceId
	if got := aws.ToString(out.Instances[0].Placement.AvailabilityZone); got != "us-east-1b" {
		t.Errorf("an instance with no zone named went to %s, want us-east-1b, the only one with a node", got)
	}
	if err := ec2.NewInstanceRunningWaiter(srv.Client).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, time.Minute); err != nil {
		t.Fatal(err)
	}
	p, err := c.cs.CoreV1().Pods(c.kns[0]).Get(ctx, kubernetes.NamePrefix+id, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.NodeName != node.Name {
		t.Errorf("pod on node %q, want %q", p.Spec.NodeName, node.Name)
	}
}
