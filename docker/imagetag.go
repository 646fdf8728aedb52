package docker

import (
	"context"
	"maps"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"

	"github.com/ec2emu/ec2emu/backend"
)

var _ backend.ImageTagger = (*Backend)(nil)

// LabelTagImage marks the container TagImage creates (never started) to
// commit an image with new labels, with the AMI being made: a container
// left by a killed process can be found and removed.
const LabelTagImage = "ec2emu.tag-image"

// TagImage implements backend.ImageTagger: source (an AMI, or any image
// reference or ID the engine has) is committed again, through a container
// created and never started, as localstack-ec2/<sanitised name>:<spec.ImageID>
// with the AMI's labels, so that it carries its own name, description and
// metadata as an image made by CreateImage does. The layers are shared with
// the source; nothing is pulled.
func (b *Backend) TagImage(ctx context.Context, source string, spec backend.ImageSpec) (backend.Image, error) {
	var (
		imageID string
		d       *imageDetails
	)
	if backend.ValidImageID(source) {
		r, err := b.lookupAMI(ctx, source)
		if err != nil {
			return backend.Image{}, err
		}
		imageID, d = r.imageID, r.details
	} else {
		info, err := b.cli.ImageInspect(ctx, source)
		switch {
		case cerrdefs.IsNotFound(err):
			return backend.Image{}, notFound("image", source)
		case err != nil:
			return backend.Image{}, wrap("inspect image", source, err)
		}
		imageID, d = info.ID, b.keepDetails(info)
	}
	cfg := *d.config
	cfg.Entrypoint = []string{}
	cfg.Cmd = d.command
	cfg.Labels = map[string]string{}
	maps.Copy(cfg.Labels, d.config.Labels)
	for k := range cfg.Labels {
		if strings.HasPrefix(k, LabelAMIMetaPrefix) {
			cfg.Labels[k] = ""
		}
	}
	cfg.Labels[LabelAMIID] = spec.ImageID
	cfg.Labels[LabelAMIName] = spec.Name
	cfg.Labels[LabelAMIDescription] = spec.Description
	setMeta(cfg.Labels, LabelAMIMetaPrefix, LabelAMIMetaKeys, spec.Metadata)
	cfg.Labels[LabelTagImage] = "" // Docker merges the container's labels into the image

	c, err := b.cli.ContainerCreate(ctx, &container.Config{Image: imageID, Entrypoint: []string{}, Cmd: []string{"true"},
		Labels: map[string]string{LabelTagImage: spec.ImageID}}, nil, nil, nil, "")
	if err != nil {
		return backend.Image{}, wrap("create container from image", source, err)
	}
	defer func() {
		// The container was never started; remove it whatever the commit did.
		_ = b.cli.ContainerRemove(context.WithoutCancel(ctx), c.ID, container.RemoveOptions{Force: true})
	}()
	ref := ImageRepoPrefix + repoName(spec.Name) + ":" + spec.ImageID
	res, err := b.cli.ContainerCommit(ctx, c.ID, container.CommitOptions{Reference: ref,
		Comment: "ec2emu image " + spec.ImageID + " from " + source, Config: &cfg})
	if err != nil {
		return backend.Image{}, wrap("commit image", source, err)
	}
	nd, err := b.details(ctx, res.ID)
	if err != nil {
		return backend.Image{}, wrap("inspect image", ref, err)
	}
	a := amiRef{ref: ref, name: repoName(spec.Name), imageID: res.ID, labels: nd.config.Labels}
	if info, err := b.cli.ImageInspect(ctx, res.ID); err == nil {
		a.created = parseCreated(info.Created)
	}
	b.imgMu.Lock()
	b.amis[spec.ImageID] = a
	b.imgMu.Unlock()
	return a.image(spec.ImageID, nd), nil
}
