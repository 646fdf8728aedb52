package kubernetes

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// An instance's disk: a directory on the node its first pod ran on, kept
// across stop, start and reboot (the pod is pinned to that node) and removed
// at termination. Kubernetes has no volume that outlives a pod and follows
// it without a provisioner: an emptyDir dies with the pod, and a
// PersistentVolumeClaim needs a StorageClass the cluster may not have. A
// hostPath works on every cluster whose policy admits it, at the price that
// the instance is bound to its node (as an EC2 instance-store volume is to
// its host).

// DefaultDiskDir is where instances' disks live on the nodes unless
// WithDiskDir (EC2_K8S_DISK_DIR) says otherwise: one directory per instance,
// <dir>/<kubernetes-namespace>/<backend-namespace>/<instance-id>.
const DefaultDiskDir = "/var/lib/ec2emu/disks"

// diskPaths are the paths of an instance that its disk holds: what a stop,
// a start and a reboot keep. Everything else in the container's filesystem
// is the image's, new at each start.
var diskPaths = []string{"/root", "/home", "/srv", "/var/lib/cloud", "/var/log"}

// DiskPaths returns the paths an instance's disk holds.
func DiskPaths() []string { return append([]string(nil), diskPaths...) }

// WithDiskDir sets the directory on the nodes that holds instances' disks
// (DefaultDiskDir); "" gives instances no disk, so a stop loses everything
// (for clusters whose policy forbids hostPath volumes).
func WithDiskDir(dir string) Option {
	if dir != "" && !path.IsAbs(dir) {
		panic(fmt.Sprintf("kubernetes: WithDiskDir(%q): not an absolute path", dir))
	}
	if dir != "" {
		dir = path.Clean(dir)
	}
	return func(b *Backend) { b.diskDir, b.diskSet = dir, true }
}

// diskPath is instance id's disk on its node.
func (b *Backend) diskPath(id string) string { return path.Join(b.diskDir, b.kns, b.nsLbl, id) }

// diskMount is where an instance's container mounts its disk.
const diskMount = "/.ec2emu-disk"

// diskPrologue runs before the boot script, in the instance's container:
// each of the disk's paths that the disk does not have yet gets the
// image's content there first (as Docker fills a new named volume), so the
// disk hides nothing of the image; then the path becomes a symbolic link
// into the disk. One container, no init container: an init container
// costs a launch about a second (the kubelet notices it ended only at its
// next relist). Its arguments are the number of paths, the paths without
// their leading slash, then the boot script's command.
const diskPrologue = `n=$1; shift
while [ "$n" -gt 0 ]; do
	d=$1; shift; n=$((n - 1))
	if [ ! -e "` + diskMount + `/$d" ]; then
		rm -rf "` + diskMount + `/$d.new" && mkdir -p "` + diskMount + `/$d.new" || exit 1
		if [ -d "/$d" ]; then cp -a "/$d/." "` + diskMount + `/$d.new/" || exit 1; fi
		mv "` + diskMount + `/$d.new" "` + diskMount + `/$d" || exit 1
	fi
	case $d in */*) mkdir -p "/${d%/*}" || exit 1 ;; esac
	rm -rf "/$d" && ln -s "` + diskMount + `/$d" "/$d" || exit 1
done
exec "$@"`

// addDisk gives pod p instance id's disk: a hostPath volume mounted at
// diskMount, and diskPrologue before the container's command.
func (b *Backend) addDisk(id string, p *corev1.Pod) {
	dirOrCreate := corev1.HostPathDirectoryOrCreate
	p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "disk", VolumeSource: corev1.VolumeSource{
		HostPath: &corev1.HostPathVolumeSource{Path: b.diskPath(id), Type: &dirOrCreate},
	}})
	c := &p.Spec.Containers[0]
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "disk", MountPath: diskMount})
	cmd := []string{"/bin/sh", "-c", diskPrologue, "ec2emu-disk", strconv.Itoa(len(diskPaths))}
	for _, d := range diskPaths {
		cmd = append(cmd, strings.TrimPrefix(d, "/"))
	}
	c.Command = append(cmd, c.Command...)
}

// wipeDisk removes instance id's disk from node (nothing if node is empty,
// gone, or the backend keeps no disks). The Kubernetes API cannot delete a
// file on a node, so a short pod of an instance image (which the node has)
// does it, and is deleted once it has. Removals for one node that arrive
// while its pod runs wait and share the next one, so terminating a hundred
// instances runs a few pods, not a hundred.
func (b *Backend) wipeDisk(ctx context.Context, id, imageRef, node string) error {
	if b.diskDir == "" || node == "" {
		return nil
	}
	if _, err := b.nodes.Get(node); err != nil {
		return nil // the node, and the disk with it, are gone
	}
	req := wipeReq{id: id, imageRef: imageRef, done: make(chan error, 1)}
	b.wmu.Lock()
	if b.wpending == nil {
		b.wpending, b.wrunning = map[string][]wipeReq{}, map[string]bool{}
	}
	b.wpending[node] = append(b.wpending[node], req)
	start := !b.wrunning[node]
	if start {
		b.wrunning[node] = true
		b.wipes.Add(1)
	}
	b.wmu.Unlock()
	if start {
		go b.wipeLoop(node)
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// wipeReq is one disk to remove.
type wipeReq struct {
	id, imageRef string
	done         chan error
}

// wipeLoop runs node's wipe pods, each for every removal pending when it
// starts, until none is.
func (b *Backend) wipeLoop(node string) {
	defer b.wipes.Done()
	for {
		b.wmu.Lock()
		reqs := b.wpending[node]
		delete(b.wpending, node)
		if len(reqs) == 0 {
			b.wrunning[node] = false
			b.wmu.Unlock()
			return
		}
		b.wmu.Unlock()
		ids := make([]string, len(reqs))
		for i, r := range reqs {
			ids[i] = r.id
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		err := b.runWipe(ctx, node, reqs[0].imageRef, ids)
		cancel()
		for _, r := range reqs {
			r.done <- err
		}
	}
}

// runWipe runs one pod on node that removes the disks of ids.
func (b *Backend) runWipe(ctx context.Context, node, imageRef string, ids []string) error {
	id := ids[0]
	zero := int64(0)
	no := false
	dirOrCreate := corev1.HostPathDirectoryOrCreate
	rel := path.Join(b.kns, b.nsLbl)
	// The namespace directories go too once empty; a concurrent launch
	// that loses its parent to the rmdir has its mount retried.
	dirs := make([]string, len(ids))
	for i, x := range ids {
		dirs[i] = "/disks/" + rel + "/" + x
	}
	script := fmt.Sprintf("rm -rf %s && { rmdir %s %s 2>/dev/null; true; }",
		shellJoin(dirs), shellJoin([]string{"/disks/" + rel}), shellJoin([]string{"/disks/" + b.kns}))
	meta := b.meta(id, "")
	meta.Name = NamePrefix + "wipe-" + id
	delete(meta.Labels, LabelInstanceID)
	delete(meta.Labels, LabelImageID)
	p := &corev1.Pod{
		ObjectMeta: meta,
		Spec: corev1.PodSpec{
			NodeName:                      node, // no scheduling: the disk is there
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: &zero,
			HostNetwork:                   true, // no network to set up: faster
			AutomountServiceAccountToken:  &no,
			EnableServiceLinks:            &no,
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Volumes: []corev1.Volume{{Name: "disks", VolumeSource: corev1.VolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: b.diskDir, Type: &dirOrCreate},
			}}},
			Containers: []corev1.Container{{
				Name: "wipe", Image: imageRef, ImagePullPolicy: corev1.PullNever,
				Command:         []string{"/bin/sh", "-c", script},
				SecurityContext: &corev1.SecurityContext{RunAsUser: &zero},
				VolumeMounts:    []corev1.VolumeMount{{Name: "disks", MountPath: "/disks"}},
			}},
		},
	}
	pods := b.cs.CoreV1().Pods(b.kns)
	// A wipe pod left by an interrupted call is replaced.
	if err := pods.Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil && !apierrors.IsNotFound(err) {
		return wrap("delete wipe pod", p.Name, err)
	}
	if err := b.await(ctx, func() (bool, error) {
		_, err := b.pods.Pods(b.kns).Get(p.Name)
		return apierrors.IsNotFound(err), nil
	}); err != nil {
		return err
	}
	created, err := pods.Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		return wrap("create wipe pod", p.Name, err)
	}
	defer func() {
		if err := pods.Delete(context.WithoutCancel(ctx), p.Name, metav1.DeleteOptions{
			GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &created.UID},
		}); err != nil && !apierrors.IsNotFound(err) {
			b.log.WarnContext(ctx, "kubernetes: could not delete a wipe pod", "pod", p.Name, "err", err)
		}
	}()
	err = b.await(ctx, func() (bool, error) {
		cur, err := b.pods.Pods(b.kns).Get(p.Name)
		if err != nil || cur.UID != created.UID {
			return false, nil
		}
		switch cur.Status.Phase {
		case corev1.PodSucceeded:
			return true, nil
		case corev1.PodFailed:
			return false, fmt.Errorf("pod %s failed: %s %s", p.Name, cur.Status.Reason, cur.Status.Message)
		}
		for _, cs := range cur.Status.ContainerStatuses {
			if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" {
				return false, fmt.Errorf("pod %s: %s: %s", p.Name, w.Reason, w.Message)
			}
		}
		return false, nil
	})
	if err != nil {
		return wrap("wipe disks", strings.Join(ids, " "), err)
	}
	return nil
}

// recordGone handles a record deleted behind the backend's back (kubectl
// delete configmap: the instance is terminated): its disk is removed, as
// Terminate would. Close waits for it, a minute at most.
func (b *Backend) recordGone(o any) {
	if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	cm, ok := o.(*corev1.ConfigMap)
	if !ok {
		return
	}
	id, ok := b.ours(cm)
	if !ok {
		return
	}
	rec, err := decodeRecord(cm)
	if err != nil || rec.Node == "" || b.diskDir == "" {
		return
	}
	b.mu.Lock()
	skip := b.busy[id] > 0 || b.closing
	if !skip {
		b.wipes.Add(1)
	}
	b.mu.Unlock()
	if skip {
		return
	}
	go func() {
		defer b.wipes.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := b.wipeDisk(ctx, id, rec.ImageRef, rec.Node); err != nil {
			b.log.Warn("kubernetes: could not remove the disk of an instance whose record was deleted; remove it by hand",
				"instance", id, "node", rec.Node, "dir", b.diskPath(id), "err", err)
		}
	}()
}
