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
	p, err := b.runPod(ctx, spec.InstanceID, rec, spec.UserData, spec.Metadata[mdZone])
	if err != nil {
		b.cleanup(ctx, spec.InstanceID)
		return backend.Machine{}, err
	}
	return b.machine(spec.InstanceID, cm, rec, p), nil
}

// mdZone is the Server's metadata key for the instance's availability zone.
const mdZone = "availability-zone"

// cleanup deletes what a failed launch made, even if ctx is what failed.
func (b *Backend) cleanup(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := b.deletePod(ctx, id); err != nil {
		b.log.WarnContext(ctx, "kubernetes: could not delete the pod of a failed launch", "instance", id, "err", err)
	}
	err := b.cs.CoreV1().ConfigMaps(b.kns).Delete(ctx, objectName(id), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		b.log.WarnContext(ctx, "kubernetes: could not delete the record of a failed launch", "instance", id, "err", err)
	}
}

// runPod creates instance id's pod from rec and waits until it runs. With
// userData nil the pod boots as after a stop: the key is installed again
// (the container's disk is new) but no user data runs.
func (b *Backend) runPod(ctx context.Context, id string, rec record, userData []byte, zone string) (*corev1.Pod, error) {
	nodes, err := b.placement(rec, zone)
	if err != nil {
		return nil, err
	}
	p := b.podSpec(id, rec, userData, nodes)
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
		for _, cs := range cur.Status.ContainerStatuses {
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

// placement returns the nodes the pod may go to: those whose image list
// holds the AMI and, when any node has a zone label, those in zone.
func (b *Backend) placement(rec record, zone string) ([]string, error) {
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
	if info, ok := catalog.Lookup(rec.InstanceType); ok && b.scale > 0 {
		milli := int64(float64(info.VCPUInfo.DefaultVCPUs) * 1000 * b.scale)
		bytes := int64(float64(info.MemoryInfo.SizeInMiB) * (1 << 20) * b.scale)
		req[corev1.ResourceCPU] = *resource.NewMilliQuantity(max(milli, 1), resource.DecimalSI)
		req[corev1.ResourceMemory] = *resource.NewQuantity(max(bytes, 1<<20), resource.BinarySI)
	}
	return &corev1.Pod{
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
				SecurityContext: &corev1.SecurityContext{RunAsUser: &zero},
				Resources:       corev1.ResourceRequirements{Requests: req},
			}},
		},
	}
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
	cm, err := b.cs.CoreV1().ConfigMaps(b.kns).Get(ctx, objectName(id), metav1.GetOptions{})
	if err != nil {
		return record{}, wrap("get record", objectName(id), err)
	}
	if _, ok := b.ours(cm); !ok {
		return record{}, fmt.Errorf("kubernetes: instance %s: %w", id, backend.ErrNotFound)
	}
	return decodeRecord(cm)
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
// script would exit on SIGTERM anyway, and nothing is worth waiting for)
// and waits until the watch has seen it go.
func (b *Backend) deletePod(ctx context.Context, id string) error {
	p, err := b.getPod(ctx, id)
	if err != nil || p == nil {
		return err
	}
	zero := int64(0)
	err = b.cs.CoreV1().Pods(b.kns).Delete(ctx, p.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &p.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return wrap("delete pod", p.Name, err)
	}
	return b.await(ctx, func() (bool, error) {
		cur, err := b.pods.Pods(b.kns).Get(p.Name)
		return err != nil || cur.UID != p.UID, nil
	})
}

// Stop deletes the instance's pod; its record stays, so Start can make it
// again. A stopped instance is already stopped.
func (b *Backend) Stop(ctx context.Context, id string) error {
	defer b.begin(id)()
	if _, err := b.getRecord(ctx, id); err != nil {
		return err
	}
	return b.deletePod(ctx, id)
}

// Start creates the instance's pod again from its record and waits until it
// runs. A pod that ended (the machine shut itself down) is replaced; a
// running one is left alone.
func (b *Backend) Start(ctx context.Context, id string) error {
	defer b.begin(id)()
	rec, err := b.getRecord(ctx, id)
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
	if err := b.deletePod(ctx, id); err != nil {
		return err
	}
	_, err = b.runPod(ctx, id, rec, nil, rec.Metadata[mdZone])
	return err
}

// Reboot replaces the instance's pod with a new one: Kubernetes cannot
// restart a container in place on request, so a reboot is a stop and a
// start, and loses the container's disk as a stop does.
func (b *Backend) Reboot(ctx context.Context, id string) error {
	defer b.begin(id)()
	rec, err := b.getRecord(ctx, id)
	if err != nil {
		return err
	}
	if err := b.deletePod(ctx, id); err != nil {
		return err
	}
	_, err = b.runPod(ctx, id, rec, nil, rec.Metadata[mdZone])
	return err
}

// Terminate deletes the instance's pod at once and then its record. An
// instance that is gone, or never was, is not an error.
func (b *Backend) Terminate(ctx context.Context, id string) error {
	defer b.begin(id)()
	if _, err := b.getRecord(ctx, id); err != nil {
		if isNotFound(err) {
			return nil
		}
		return err
	}
	if err := b.deletePod(ctx, id); err != nil {
		return err
	}
	err := b.cs.CoreV1().ConfigMaps(b.kns).Delete(ctx, objectName(id), metav1.DeleteOptions{})
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
