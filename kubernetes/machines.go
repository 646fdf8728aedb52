package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/bootscript"
	"github.com/ec2emu/ec2emu/internal/catalog"
)

// record is what an instance keeps while it has no pod (stopped): its
// ConfigMap, made at launch and removed at termination, holds it as JSON.
type record struct {
	ImageID      string            `json:"imageId"`
	ImageRef     string            `json:"imageRef"` // the image's name on the nodes
	InstanceType string            `json:"instanceType"`
	KeyName      string            `json:"keyName,omitempty"`
	PublicKey    string            `json:"publicKey,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	// Node is the node that holds the instance's disk (the first its pod
	// ran on), empty until then or without disks.
	Node string `json:"node,omitempty"`
}

// meta returns the labels and annotations of instance id's objects.
func (b *Backend) meta(id, imageID string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:      objectName(id),
		Namespace: b.kns,
		Labels: map[string]string{
			LabelNamespace: b.nsLbl, LabelInstanceID: id, LabelImageID: imageID, LabelManagedBy: "ec2emu",
		},
		Annotations: map[string]string{AnnotationNamespace: b.ns},
	}
}

// Launch records the instance in a ConfigMap, creates its pod on a node that
// has the image (and is in the instance's zone, when the nodes have zones)
// and returns once the pod runs. A pod the scheduler cannot place is
// backend.ErrCapacity. On any failure both objects are deleted.
func (b *Backend) Launch(ctx context.Context, spec backend.LaunchSpec) (backend.Machine, error) {
	defer b.begin(spec.InstanceID)()
	if err := ctx.Err(); err != nil {
		return backend.Machine{}, err
	}
	img, err := b.findImage(spec.ImageID)
	if err != nil {
		return backend.Machine{}, err
	}
	rec := record{
		ImageID: spec.ImageID, ImageRef: img.ref, InstanceType: spec.InstanceType,
		KeyName: spec.KeyName, PublicKey: spec.PublicKey, Metadata: spec.Metadata,
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return backend.Machine{}, err
	}
	cm := &corev1.ConfigMap{ObjectMeta: b.meta(spec.InstanceID, spec.ImageID), Data: map[string]string{recordKey: string(data)}}
	cm, err = b.cs.CoreV1().ConfigMaps(b.kns).Create(ctx, cm, metav1.CreateOptions{})
	if err != nil {
		return backend.Machine{}, wrap("create record", objectName(spec.InstanceID), err)
	}
	p, err := b.runPod(ctx, spec.InstanceID, &rec, spec.UserData, spec.Metadata[mdZone])
	if err == nil {
		cm, err = b.saveNode(ctx, cm, &rec, p)
	}
	if err != nil {
		b.cleanup(ctx, spec.InstanceID, rec)
		return backend.Machine{}, err
	}
	return b.machine(spec.InstanceID, cm, rec, p), nil
}

// saveNode records in cm the node that holds the instance's disk, if that
// is not already the one there: a launch's first pod, or a start that had
// to move because the disk's node is gone.
func (b *Backend) saveNode(ctx context.Context, cm *corev1.ConfigMap, rec *record, p *corev1.Pod) (*corev1.ConfigMap, error) {
	if b.diskDir == "" || rec.Node == p.Spec.NodeName {
		return cm, nil
	}
	rec.Node = p.Spec.NodeName
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	cm = cm.DeepCopy()
	cm.Data = map[string]string{recordKey: string(data)}
	cm, err = b.cs.CoreV1().ConfigMaps(b.kns).Update(ctx, cm, metav1.UpdateOptions{})
	if err != nil {
		return nil, wrap("record node", objectName(p.Labels[LabelInstanceID]), err)
	}
	return cm, nil
}

// mdZone is the Server's metadata key for the instance's availability zone.
const mdZone = "availability-zone"

// cleanup deletes what a failed launch made, even if ctx is what failed:
// the pod, the disk if the pod reached a node, and the record.
func (b *Backend) cleanup(ctx context.Context, id string, rec record) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	node, err := b.deletePod(ctx, id)
	if err != nil {
		b.log.WarnContext(ctx, "kubernetes: could not delete the pod of a failed launch", "instance", id, "err", err)
	}
	if node == "" {
		node = rec.Node
	}
	if err := b.wipeDisk(ctx, id, rec.ImageRef, node); err != nil {
		b.log.WarnContext(ctx, "kubernetes: could not remove the disk of a failed launch", "instance", id, "node", node, "dir", b.diskPath(id), "err", err)
	}
	err = b.cs.CoreV1().ConfigMaps(b.kns).Delete(ctx, objectName(id), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		b.log.WarnContext(ctx, "kubernetes: could not delete the record of a failed launch", "instance", id, "err", err)
	}
}

// runPod creates instance id's pod from rec and waits until it runs. With
// userData nil the pod boots as after a stop: no user data runs, and the
// key is installed again only if the disk is new. The caller deletes the
// pod if it fails. A disk whose node is gone is given up: rec.Node is
// cleared and the pod goes where it fits, with a new disk.
func (b *Backend) runPod(ctx context.Context, id string, rec *record, userData []byte, zone string) (*corev1.Pod, error) {
	nodes, err := b.placement(rec, zone)
	if err != nil {
		return nil, err
	}
	p := b.podSpec(id, *rec, userData, nodes)
	p, err = b.cs.CoreV1().Pods(b.kns).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		return nil, wrap("create pod", objectName(id), err)
	}
	uid := p.UID
	var running *corev1.Pod
	err = b.await(ctx, func() (bool, error) {
		cur, err := b.pods.Pods(b.kns).Get(objectName(id))
		if err != nil || cur.UID != uid {
			return false, nil // not seen yet
		}
		for _, c := range cur.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				return false, fmt.Errorf("pod %s cannot be scheduled: %s: %w", cur.Name, c.Message, backend.ErrCapacity)
			}
		}
		for _, cs := range append(slices.Clone(cur.Status.InitContainerStatuses), cur.Status.ContainerStatuses...) {
			if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
				return false, fmt.Errorf("pod %s: container %s exited %d: %s %s", cur.Name, cs.Name, t.ExitCode, t.Reason, t.Message)
			}
			if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" && w.Reason != "PodInitializing" {
				return false, fmt.Errorf("pod %s: container %s: %s", cur.Name, w.Reason, w.Message)
			}
		}
		switch cur.Status.Phase {
		case corev1.PodRunning:
			if cur.Status.PodIP != "" {
				running = cur
				return true, nil
			}
		case corev1.PodFailed, corev1.PodSucceeded:
			return false, fmt.Errorf("pod %s ended at boot (%s: %s)", cur.Name, cur.Status.Reason, cur.Status.Message)
		}
		return false, nil
	})
	if err != nil {
		return nil, wrap("run pod", objectName(id), err)
	}
	return running, nil
}

// placement returns the nodes the pod may go to: the node that holds its
// disk if it has one; else those whose image list holds the AMI and, when
// any node has a zone label, those in zone.
func (b *Backend) placement(rec *record, zone string) ([]string, error) {
	if rec.Node != "" {
		if _, err := b.nodes.Get(rec.Node); err == nil {
			return []string{rec.Node}, nil
		}
		b.log.Warn("kubernetes: the node that held the instance's disk is gone; it starts with a new disk elsewhere",
			"node", rec.Node, "image", rec.ImageID)
		rec.Node = ""
	}
	img, err := b.findImage(rec.ImageID)
	if err != nil {
		return nil, err
	}
	zoned := false
	all, err := b.nodes.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	inZone := map[string]bool{}
	for _, n := range all {
		if z := n.Labels[LabelZone]; z != "" {
			zoned = true
			inZone[n.Name] = z == zone
		}
	}
	var out []string
	for _, n := range img.nodes {
		if !zoned || zone == "" || inZone[n] {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("kubernetes: no node in zone %s has image %s: %w", zone, rec.ImageID, backend.ErrCapacity)
	}
	return out, nil
}

// podSpec is instance id's pod.
func (b *Backend) podSpec(id string, rec record, userData []byte, nodes []string) *corev1.Pod {
	zero, grace := int64(0), int64(2)
	no := false
	req := corev1.ResourceList{}
	if cpu, mem, ok := b.requests(rec.InstanceType); ok {
		req[corev1.ResourceCPU] = *resource.NewMilliQuantity(cpu, resource.DecimalSI)
		req[corev1.ResourceMemory] = *resource.NewQuantity(mem, resource.BinarySI)
	}
	p := &corev1.Pod{
		ObjectMeta: b.meta(id, rec.ImageID),
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: &grace,
			AutomountServiceAccountToken:  &no,
			EnableServiceLinks:            &no,
			Hostname:                      id,
			Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
					MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: nodes}},
				}}},
			}},
			Containers: []corev1.Container{{
				Name:            ContainerName,
				Image:           rec.ImageRef,
				ImagePullPolicy: corev1.PullNever,
				// The image's own command is not known from the node's
				// image list; the instance runs only the boot script.
				Command:         bootscript.Wrap(id, userData, rec.PublicKey, nil),
				Env:             b.metadataEnv(),
				SecurityContext: &corev1.SecurityContext{RunAsUser: &zero},
				Resources:       corev1.ResourceRequirements{Requests: req},
			}},
		},
	}
	if b.diskDir != "" {
		b.addDisk(id, p)
	}
	return p
}

// requests is the CPU (millicores) and memory (bytes) a pod of instance
// type typ requests, ok false for none.
func (b *Backend) requests(typ string) (cpu, mem int64, ok bool) {
	info, ok := catalog.Lookup(typ)
	if !ok || b.scale <= 0 {
		return 0, 0, false
	}
	cpu = int64(float64(info.VCPUInfo.DefaultVCPUs) * 1000 * b.scale)
	mem = int64(float64(info.MemoryInfo.SizeInMiB) * (1 << 20) * b.scale)
	return max(cpu, 1), max(mem, 1<<20), true
}

// machine is the backend.Machine of an instance's record and pod (nil: none).
func (b *Backend) machine(id string, cm *corev1.ConfigMap, rec record, p *corev1.Pod) backend.Machine {
	m := backend.Machine{
		ID:         id,
		ImageID:    rec.ImageID,
		State:      podState(p),
		LaunchTime: cm.CreationTimestamp.UTC(),
		Metadata:   maps.Clone(rec.Metadata),
	}
	if p != nil && m.State == backend.StateRunning {
		m.PrivateIP = p.Status.PodIP
	}
	return m
}

func decodeRecord(cm *corev1.ConfigMap) (record, error) {
	var rec record
	if err := json.Unmarshal([]byte(cm.Data[recordKey]), &rec); err != nil {
		return rec, fmt.Errorf("kubernetes: ConfigMap %s holds no instance record: %w", cm.Name, err)
	}
	return rec, nil
}

// Machines lists the namespace's instances, stopped ones included, with two
// API calls (ConfigMaps and pods), so it is exact at the time of the call.
func (b *Backend) Machines(ctx context.Context) ([]backend.Machine, error) {
	sel := metav1.ListOptions{LabelSelector: labels.Set{LabelNamespace: b.nsLbl}.String()}
	cms, err := b.cs.CoreV1().ConfigMaps(b.kns).List(ctx, sel)
	if err != nil {
		return nil, wrap("list records", "", err)
	}
	pods, err := b.cs.CoreV1().Pods(b.kns).List(ctx, sel)
	if err != nil {
		return nil, wrap("list pods", "", err)
	}
	byID := map[string]*corev1.Pod{}
	for i := range pods.Items {
		if id, ok := b.ours(&pods.Items[i]); ok {
			byID[id] = &pods.Items[i]
		}
	}
	var out []backend.Machine
	for i := range cms.Items {
		cm := &cms.Items[i]
		id, ok := b.ours(cm)
		if !ok {
			continue
		}
		rec, err := decodeRecord(cm)
		if err != nil {
			b.log.WarnContext(ctx, "kubernetes: skipping a damaged record", "err", err)
			continue
		}
		out = append(out, b.machine(id, cm, rec, byID[id]))
	}
	slices.SortFunc(out, func(a, b backend.Machine) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// getRecord reads instance id's record from the API, checking it is ours.
func (b *Backend) getRecord(ctx context.Context, id string) (record, error) {
	_, rec, err := b.getRecordMap(ctx, id)
	return rec, err
}

// getRecordMap is getRecord with the ConfigMap that holds the record.
func (b *Backend) getRecordMap(ctx context.Context, id string) (*corev1.ConfigMap, record, error) {
	cm, err := b.cs.CoreV1().ConfigMaps(b.kns).Get(ctx, objectName(id), metav1.GetOptions{})
	if err != nil {
		return nil, record{}, wrap("get record", objectName(id), err)
	}
	if _, ok := b.ours(cm); !ok {
		return nil, record{}, fmt.Errorf("kubernetes: instance %s: %w", id, backend.ErrNotFound)
	}
	rec, err := decodeRecord(cm)
	return cm, rec, err
}

// getPod reads instance id's pod from the API: nil if there is none (or
// one that is not ours).
func (b *Backend) getPod(ctx context.Context, id string) (*corev1.Pod, error) {
	p, err := b.cs.CoreV1().Pods(b.kns).Get(ctx, objectName(id), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("get pod", objectName(id), err)
	}
	if _, ok := b.ours(p); !ok {
		return nil, nil
	}
	return p, nil
}

// deletePod deletes instance id's pod at once (grace period 0: the boot
// script would exit on SIGTERM anyway, and nothing is worth waiting for),
// waits until the watch has seen it go, and returns the node it was on.
func (b *Backend) deletePod(ctx context.Context, id string) (node string, err error) {
	p, err := b.getPod(ctx, id)
	if err != nil || p == nil {
		return "", err
	}
	zero := int64(0)
	err = b.cs.CoreV1().Pods(b.kns).Delete(ctx, p.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &p.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return "", wrap("delete pod", p.Name, err)
	}
	return p.Spec.NodeName, b.await(ctx, func() (bool, error) {
		cur, err := b.pods.Pods(b.kns).Get(p.Name)
		return err != nil || cur.UID != p.UID, nil
	})
}

// Stop deletes the instance's pod; its record and disk stay, so Start can
// make it again. A stopped instance is already stopped.
func (b *Backend) Stop(ctx context.Context, id string) error {
	defer b.begin(id)()
	if _, err := b.getRecord(ctx, id); err != nil {
		return err
	}
	_, err := b.deletePod(ctx, id)
	return err
}

// Start creates the instance's pod again from its record, on the node that
// holds its disk, and waits until it runs. A pod that ended (the machine
// shut itself down) is replaced; a running one is left alone. A pod that
// cannot run (its node is full: backend.ErrCapacity) is deleted, and the
// instance stays stopped.
func (b *Backend) Start(ctx context.Context, id string) error {
	defer b.begin(id)()
	cm, rec, err := b.getRecordMap(ctx, id)
	if err != nil {
		return err
	}
	p, err := b.getPod(ctx, id)
	if err != nil {
		return err
	}
	if p != nil && podState(p) == backend.StateRunning {
		return nil
	}
	if _, err := b.deletePod(ctx, id); err != nil {
		return err
	}
	return b.boot(ctx, id, cm, rec)
}

// boot runs a stopped instance's pod again; see Start.
func (b *Backend) boot(ctx context.Context, id string, cm *corev1.ConfigMap, rec record) error {
	p, err := b.runPod(ctx, id, &rec, nil, rec.Metadata[mdZone])
	if err == nil {
		_, err = b.saveNode(ctx, cm, &rec, p)
	}
	if err != nil {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, derr := b.deletePod(dctx, id); derr != nil {
			b.log.WarnContext(ctx, "kubernetes: could not delete the pod of a failed start", "instance", id, "err", derr)
		}
	}
	return err
}

// Reboot replaces the instance's pod with a new one on the same node:
// Kubernetes cannot restart a container in place on request, so a reboot
// is a stop and a start, and keeps what a stop keeps (the disk).
func (b *Backend) Reboot(ctx context.Context, id string) error {
	defer b.begin(id)()
	cm, rec, err := b.getRecordMap(ctx, id)
	if err != nil {
		return err
	}
	if _, err := b.deletePod(ctx, id); err != nil {
		return err
	}
	return b.boot(ctx, id, cm, rec)
}

// Terminate deletes the instance's pod at once, then its disk, then its
// record. An instance that is gone, or never was, is not an error. A disk
// that cannot be removed is logged with its node and path, and the
// instance is terminated all the same.
func (b *Backend) Terminate(ctx context.Context, id string) error {
	defer b.begin(id)()
	rec, err := b.getRecord(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return err
	}
	node, err := b.deletePod(ctx, id)
	if err != nil {
		return err
	}
	if rec.Node != "" {
		node = rec.Node
	}
	if err := b.wipeDisk(ctx, id, rec.ImageRef, node); err != nil {
		if ctx.Err() != nil {
			return err
		}
		b.log.WarnContext(ctx, "kubernetes: could not remove an instance's disk; remove it by hand", "instance", id, "node", node, "dir", b.diskPath(id), "err", err)
	}
	err = b.cs.CoreV1().ConfigMaps(b.kns).Delete(ctx, objectName(id), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return wrap("delete record", objectName(id), err)
	}
	return nil
}

// CreateImage is not supported: a pod's filesystem cannot be snapshotted
// through the Kubernetes API.
func (b *Backend) CreateImage(ctx context.Context, id string, spec backend.ImageSpec) (backend.Image, error) {
	if _, err := b.getRecord(ctx, id); err != nil {
		return backend.Image{}, err
	}
	return backend.Image{}, fmt.Errorf("kubernetes: CreateImage: a pod cannot be snapshotted through the Kubernetes API: %w", backend.ErrUnsupported)
}

// DeregisterImage is not supported: the Kubernetes API cannot untag an
// image on a node (use `ctr -n k8s.io images rm` on each node).
func (b *Backend) DeregisterImage(ctx context.Context, imageID string) error {
	if _, err := b.findImage(imageID); err != nil {
		return err
	}
	return fmt.Errorf("kubernetes: DeregisterImage: the Kubernetes API cannot untag images on nodes: %w", backend.ErrUnsupported)
}

// ConsoleOutput returns the instance's pod's log, at most the last 64 KiB
// as EC2 does; empty while the instance is stopped.
func (b *Backend) ConsoleOutput(ctx context.Context, id string) ([]byte, error) {
	if _, err := b.getRecord(ctx, id); err != nil {
		return nil, err
	}
	p, err := b.getPod(ctx, id)
	if err != nil || p == nil {
		return nil, err
	}
	rc, err := b.cs.CoreV1().Pods(b.kns).GetLogs(p.Name, &corev1.PodLogOptions{Container: ContainerName}).Stream(ctx)
	if err != nil {
		if apierrors.IsBadRequest(err) {
			return nil, nil // the container has not started yet
		}
		return nil, wrap("logs", p.Name, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, rc); err != nil {
		return nil, wrap("logs", p.Name, err)
	}
	out := buf.Bytes()
	const max = 64 << 10
	if len(out) > max {
		out = out[len(out)-max:]
	}
	return out, nil
}

func isNotFound(err error) bool { return err != nil && errors.Is(err, backend.ErrNotFound) }

// MakesImages reports false: the Server answers CreateImage with
// UnsupportedOperation (backend.ImageMaker).
func (b *Backend) MakesImages() bool { return false }
