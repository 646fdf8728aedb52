package kubernetes

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/ec2emu/ec2emu/backend"
)

// ami is one AMI as the nodes' image lists show it.
type ami struct {
	img   backend.Image
	ref   string   // the image name a pod asks for
	nodes []string // nodes that have it, sorted
}

// parseRef returns the AMI name and ID of an image name as a node lists it
// (containerd writes docker.io/localstack-ec2/<name>:<ami-id>), ok false
// for any other image.
func parseRef(ref string) (name, id string, ok bool) {
	r := strings.TrimPrefix(ref, "docker.io/")
	r, ok = strings.CutPrefix(r, ImageRepoPrefix)
	if !ok || strings.Contains(r, "@") {
		return "", "", false
	}
	i := strings.LastIndexByte(r, ':')
	if i <= 0 || !backend.ValidImageID(r[i+1:]) {
		return "", "", false
	}
	return r[:i], r[i+1:], true
}

// amis reads every AMI from the nodes' image lists (the watch's cache). An
// AMI ID tagged on several nodes takes the name the first node (by name)
// gives it; its creation date is the oldest of those nodes' creation, as
// the nodes do not report when an image was made.
func (b *Backend) amis() (map[string]*ami, error) {
	nodes, err := b.nodes.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("kubernetes: list nodes: %w", err)
	}
	slices.SortFunc(nodes, func(x, y *corev1.Node) int { return strings.Compare(x.Name, y.Name) })
	out := map[string]*ami{}
	for _, n := range nodes {
		for _, ci := range n.Status.Images {
			for _, ref := range ci.Names {
				name, id, ok := parseRef(ref)
				if !ok {
					continue
				}
				a := out[id]
				if a == nil {
					a = &ami{ref: ref, img: backend.Image{
						ID: id, Name: name, Architecture: arch(n.Status.NodeInfo.Architecture),
						CreationDate: n.CreationTimestamp.UTC(), State: backend.ImageAvailable,
					}}
					out[id] = a
				}
				if !slices.Contains(a.nodes, n.Name) {
					a.nodes = append(a.nodes, n.Name)
				}
				if t := n.CreationTimestamp.UTC(); t.Before(a.img.CreationDate) {
					a.img.CreationDate = t
				}
			}
		}
	}
	return out, nil
}

// arch is EC2's spelling of a node's architecture.
func arch(goarch string) string {
	if goarch == "arm64" {
		return "arm64"
	}
	return "x86_64"
}

// Images lists the AMIs some node has: every image tagged
// localstack-ec2/<name>:<ami-id> in a node's image list. It reads the watch's
// cache, so it makes no API call; a newly tagged image appears when its
// node next reports its status.
func (b *Backend) Images(ctx context.Context) ([]backend.Image, error) {
	m, err := b.amis()
	if err != nil {
		return nil, err
	}
	out := make([]backend.Image, 0, len(m))
	for _, a := range m {
		out = append(out, a.img)
	}
	slices.SortFunc(out, func(x, y backend.Image) int { return strings.Compare(x.ID, y.ID) })
	return out, nil
}

// findImage returns AMI id, or an error wrapping backend.ErrNotFound.
func (b *Backend) findImage(id string) (*ami, error) {
	m, err := b.amis()
	if err != nil {
		return nil, err
	}
	a := m[id]
	if a == nil {
		return nil, fmt.Errorf("kubernetes: image %s is on no node: %w", id, backend.ErrNotFound)
	}
	return a, nil
}

var _ backend.ImageLooker = (*Backend)(nil)

// LookupImage returns AMI id as Images would list it, from the same cache
// (no API call), or an error wrapping backend.ErrNotFound.
func (b *Backend) LookupImage(ctx context.Context, id string) (backend.Image, error) {
	a, err := b.findImage(id)
	if err != nil {
		return backend.Image{}, err
	}
	return a.img, nil
}
