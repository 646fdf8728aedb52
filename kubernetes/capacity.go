package kubernetes

import (
	"context"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/ec2emu/ec2emu/backend"
)

// Where instances can go, and how many more fit: the nodes' allocatable
// CPU, memory and pod count less what the pods on them request, counted
// per node as the scheduler does (an instance does not fit in the spare
// room of two nodes).

var (
	_ backend.CapacityReporter       = (*Backend)(nil)
	_ backend.LaunchCapacityReporter = (*Backend)(nil)
	_ backend.ZoneLister             = (*Backend)(nil)
)

// usable reports whether the scheduler may put an instance's pod on n: it
// is Ready, not cordoned, and has no NoSchedule or NoExecute taint (the
// pods tolerate none).
func usable(n *corev1.Node) bool {
	if n.Spec.Unschedulable {
		return false
	}
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute {
			return false
		}
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Zones lists the topology.kubernetes.io/zone values of the usable nodes,
// sorted; nil when no node has the label (the cluster has no zones, so
// every zone maps to any node).
func (b *Backend) Zones(ctx context.Context) ([]string, error) {
	nodes, err := b.nodes.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	var out []string
	zoned := false
	for _, n := range nodes {
		z, ok := n.Labels[LabelZone]
		if !ok {
			continue
		}
		zoned = true
		if usable(n) && z != "" && !slices.Contains(out, z) {
			out = append(out, z)
		}
	}
	if !zoned {
		return nil, nil
	}
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// room is what one node has left: CPU in millicores, memory in bytes, pods.
type room struct{ cpu, mem, pods int64 }

// free returns the room left on each usable node, from the nodes' cache
// and one list of the cluster's pods that hold resources. ok is false when
// the backend may not list pods outside its namespace: then it cannot
// tell.
func (b *Backend) free(ctx context.Context) (map[string]room, bool, error) {
	nodes, err := b.nodes.List(labels.Everything())
	if err != nil {
		return nil, false, err
	}
	out := map[string]room{}
	for _, n := range nodes {
		if !usable(n) {
			continue
		}
		a := n.Status.Allocatable
		out[n.Name] = room{cpu: a.Cpu().MilliValue(), mem: a.Memory().Value(), pods: a.Pods().Value()}
	}
	pods, err := b.cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{
		FieldSelector: "status.phase!=Succeeded,status.phase!=Failed",
	})
	if apierrors.IsForbidden(err) {
		b.log.WarnContext(ctx, "kubernetes: may not list the cluster's pods, so capacity is not checked before a launch (the scheduler still is)", "err", err)
		return nil, false, nil
	}
	if err != nil {
		return nil, false, wrap("list pods", "", err)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		r, ok := out[p.Spec.NodeName]
		if !ok {
			continue
		}
		cpu, mem := podRequests(p)
		r.cpu, r.mem, r.pods = r.cpu-cpu, r.mem-mem, r.pods-1
		out[p.Spec.NodeName] = r
	}
	return out, true, nil
}

// podRequests is what a pod requests as the scheduler counts it: the sum
// of its containers, or its largest init container if more, plus its
// overhead.
func podRequests(p *corev1.Pod) (cpu, mem int64) {
	for _, c := range p.Spec.Containers {
		cpu += c.Resources.Requests.Cpu().MilliValue()
		mem += c.Resources.Requests.Memory().Value()
	}
	for _, c := range p.Spec.InitContainers {
		cpu = max(cpu, c.Resources.Requests.Cpu().MilliValue())
		mem = max(mem, c.Resources.Requests.Memory().Value())
	}
	cpu += p.Spec.Overhead.Cpu().MilliValue()
	mem += p.Spec.Overhead.Memory().Value()
	return cpu, mem
}

// Capacity is how many more pods the usable nodes take, whatever their
// size: a bound for any launch. LaunchCapacity is the count for one
// launch, which the Server asks instead.
func (b *Backend) Capacity(ctx context.Context) (int, error) {
	free, ok, err := b.free(ctx)
	if err != nil || !ok {
		return -1, err
	}
	n := int64(0)
	for _, r := range free {
		n += max(r.pods, 0)
	}
	return int(n), nil
}

// LaunchCapacity is how many instances of spec fit now: on each usable
// node that has the image (and is in spec.Zone, when nodes have zones),
// as many as its CPU, memory and pod count allow, summed.
func (b *Backend) LaunchCapacity(ctx context.Context, spec backend.CapacitySpec) (int, error) {
	img, err := b.findImage(spec.ImageID)
	if err != nil {
		return 0, err
	}
	free, ok, err := b.free(ctx)
	if err != nil || !ok {
		return -1, err
	}
	zones, err := b.Zones(ctx)
	if err != nil {
		return -1, err
	}
	cpu, mem, sized := b.requests(spec.InstanceType)
	total := int64(0)
	for _, name := range img.nodes {
		r, ok := free[name]
		if !ok {
			continue
		}
		if zones != nil && spec.Zone != "" {
			n, err := b.nodes.Get(name)
			if err != nil || n.Labels[LabelZone] != spec.Zone {
				continue
			}
		}
		fit := max(r.pods, 0)
		if sized {
			fit = min(fit, max(r.cpu, 0)/cpu, max(r.mem, 0)/mem)
		}
		total += fit
	}
	return int(total), nil
}
