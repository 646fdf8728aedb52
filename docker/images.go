package docker

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/go-connections/nat"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/bootscript"
)

// amiRef is where an AMI was found by the last listing.
type amiRef struct {
	ref     string // localstack-ec2/<name>:<ami-id>
	name    string // <name> as tagged
	imageID string // Docker image ID
	created time.Time
	labels  map[string]string
}

// imageDetails is what an image inspect tells; Docker image IDs are content
// addressed, so it never changes for an ID and is cached.
type imageDetails struct {
	arch    string
	config  *container.Config // the image's config, as inspected
	command []string          // its own entrypoint+command, our wrapper undone
}

// resolvedAMI is an AMI ready to launch.
type resolvedAMI struct {
	amiRef
	details *imageDetails
}

// Images lists the images tagged localstack-ec2/<name>:ami-…: one Docker
// call, plus one inspect per image ID it has not seen before.
func (b *Backend) Images(ctx context.Context) ([]backend.Image, error) {
	amis, err := b.listAMIs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]backend.Image, 0, len(amis))
	for _, id := range slices.Sorted(maps.Keys(amis)) {
		a := amis[id]
		d, err := b.details(ctx, a.imageID)
		if err != nil {
			if cerrdefs.IsNotFound(err) {
				continue // removed since the listing
			}
			return nil, wrap("inspect image", a.ref, err)
		}
		out = append(out, a.image(id, d))
	}
	return out, nil
}

// image describes AMI id as the backend reports it.
func (a amiRef) image(id string, d *imageDetails) backend.Image {
	img := backend.Image{
		ID:           id,
		Name:         a.name,
		Architecture: d.arch,
		CreationDate: a.created,
		State:        backend.ImageAvailable,
	}
	// The labels describe the AMI only under the ID they were made for.
	if a.labels[LabelAMIID] == id {
		if n := a.labels[LabelAMIName]; n != "" {
			img.Name = n
		}
		img.Description = a.labels[LabelAMIDescription]
		img.Metadata = getMeta(a.labels, LabelAMIMetaPrefix, LabelAMIMetaKeys)
	}
	return img
}

// listAMIs lists the AMI tags and replaces the AMI cache with them.
func (b *Backend) listAMIs(ctx context.Context) (map[string]amiRef, error) {
	// The reference filter matches the repository name with path.Match, in
	// which * stops at a slash.
	list, err := b.cli.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(
		filters.Arg("reference", ImageRepoPrefix+"*"),
		filters.Arg("reference", ImageRepoPrefix+"*/*"),
	)})
	if err != nil {
		return nil, wrap("list images", ImageRepoPrefix+"*", err)
	}
	amis := map[string]amiRef{}
	for _, s := range list {
		for _, rt := range s.RepoTags {
			name, id, ok := parseAMIRef(rt)
			if !ok {
				continue
			}
			amis[id] = amiRef{ref: rt, name: name, imageID: s.ID, created: time.Unix(s.Created, 0).UTC(), labels: s.Labels}
		}
	}
	b.imgMu.Lock()
	b.amis = amis
	b.imgMu.Unlock()
	return amis, nil
}

// parseAMIRef splits localstack-ec2/<name>:<ami-id>.
func parseAMIRef(ref string) (name, id string, ok bool) {
	rest, ok := strings.CutPrefix(ref, ImageRepoPrefix)
	if !ok {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 || strings.Contains(rest[i:], "/") {
		return "", "", false
	}
	name, id = rest[:i], rest[i+1:]
	if name == "" || !backend.ValidImageID(id) {
		return "", "", false
	}
	return name, id, true
}

// details returns the cached inspect of a Docker image ID.
func (b *Backend) details(ctx context.Context, imageID string) (*imageDetails, error) {
	b.imgMu.Lock()
	d := b.images[imageID]
	b.imgMu.Unlock()
	if d != nil {
		return d, nil
	}
	info, err := b.cli.ImageInspect(ctx, imageID)
	if err != nil {
		return nil, err
	}
	return b.keepDetails(info), nil
}

// keepDetails caches what an image inspect told, under the image's ID.
func (b *Backend) keepDetails(info image.InspectResponse) *imageDetails {
	b.imgMu.Lock()
	defer b.imgMu.Unlock()
	if d := b.images[info.ID]; d != nil {
		return d
	}
	d := &imageDetails{arch: ec2Arch(info.Architecture), config: containerConfig(info.Config)}
	d.command = bootscript.Unwrap(d.config.Entrypoint, d.config.Cmd)
	b.images[info.ID] = d
	return d
}

// containerConfig converts an image's config to the container config that
// ContainerCommit takes.
func containerConfig(ic *dockerspec.DockerOCIImageConfig) *container.Config {
	c := &container.Config{}
	if ic == nil {
		return c
	}
	c.User = ic.User
	c.Env = ic.Env
	c.Entrypoint = ic.Entrypoint
	c.Cmd = ic.Cmd
	c.WorkingDir = ic.WorkingDir
	c.Labels = ic.Labels
	c.StopSignal = ic.StopSignal
	c.Volumes = ic.Volumes
	c.OnBuild = ic.OnBuild
	c.Shell = ic.Shell
	if len(ic.ExposedPorts) > 0 {
		c.ExposedPorts = nat.PortSet{}
		for p := range ic.ExposedPorts {
			c.ExposedPorts[nat.Port(p)] = struct{}{}
		}
	}
	if h := ic.Healthcheck; h != nil {
		c.Healthcheck = &container.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, StartInterval: h.StartInterval, Retries: h.Retries}
	}
	return c
}

// ec2Arch spells a Docker (GOARCH) architecture the EC2 way.
func ec2Arch(a string) string {
	switch a {
	case "amd64", "":
		return "x86_64"
	case "arm64":
		return "arm64"
	case "386":
		return "i386"
	}
	return a
}

// LookupImage implements backend.ImageLooker: AMI id as Images lists it, for
// one image inspect of the tag last seen for it instead of a listing of
// every image the engine holds (which grows with them). The inspect checks
// that the tag is still there and sees where it points now, so a tag
// removed or moved outside the emulator is seen at once; only a tag not
// seen before, or gone, costs a listing. Launch then finds the AMI cached.
func (b *Backend) LookupImage(ctx context.Context, id string) (backend.Image, error) {
	b.imgMu.Lock()
	a, ok := b.amis[id]
	b.imgMu.Unlock()
	if ok {
		info, err := b.cli.ImageInspect(ctx, a.ref)
		switch {
		case err == nil:
			a.imageID, a.created, a.labels = info.ID, parseCreated(info.Created), nil
			if info.Config != nil {
				a.labels = info.Config.Labels
			}
			d := b.keepDetails(info)
			b.imgMu.Lock()
			b.amis[id] = a
			b.imgMu.Unlock()
			return a.image(id, d), nil
		case !cerrdefs.IsNotFound(err):
			return backend.Image{}, wrap("inspect image", a.ref, err)
		}
		// The tag is gone; list again, as the AMI may have been tagged
		// under another name meanwhile.
		b.forgetAMI(id)
	}
	r, err := b.lookupAMI(ctx, id)
	if err != nil {
		return backend.Image{}, err
	}
	return r.image(id, r.details), nil
}

// lookupAMI finds AMI id, listing again if the last listing lacks it (a tag
// made since).
func (b *Backend) lookupAMI(ctx context.Context, id string) (resolvedAMI, error) {
	b.imgMu.Lock()
	a, ok := b.amis[id]
	b.imgMu.Unlock()
	if !ok {
		amis, err := b.listAMIs(ctx)
		if err != nil {
			return resolvedAMI{}, err
		}
		if a, ok = amis[id]; !ok {
			return resolvedAMI{}, notFound("image", id)
		}
	}
	d, err := b.details(ctx, a.imageID)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			b.forgetAMI(id)
		}
		return resolvedAMI{}, wrap("inspect image", a.ref, err)
	}
	return resolvedAMI{amiRef: a, details: d}, nil
}

func (b *Backend) forgetAMI(id string) {
	b.imgMu.Lock()
	delete(b.amis, id)
	b.imgMu.Unlock()
}

// CreateImage commits instance id's container to
// localstack-ec2/<sanitised name>:<spec.ImageID>, pausing it meanwhile
// unless spec.NoReboot. The image keeps the source image's own command (not
// the boot wrapper) and carries the AMI's name, description and metadata in
// labels.
func (b *Backend) CreateImage(ctx context.Context, id string, spec backend.ImageSpec) (backend.Image, error) {
	defer b.own.begin(id, "")() // the source keeps its state
	cid, err := b.resolve(ctx, id)
	if err != nil {
		return backend.Image{}, err
	}
	info, err := b.cli.ContainerInspect(ctx, cid)
	if err != nil {
		return backend.Image{}, wrap("inspect container", containerName(id), err)
	}
	src, err := b.details(ctx, info.Image)
	if err != nil {
		return backend.Image{}, wrap("inspect image", info.Image, err)
	}

	cfg := *src.config
	// An empty but non-nil entrypoint stops the commit from taking the
	// container's (the wrapper); Cmd then holds the whole command.
	cfg.Entrypoint = []string{}
	cfg.Cmd = src.command
	cfg.User = src.config.User
	cfg.Labels = map[string]string{}
	maps.Copy(cfg.Labels, src.config.Labels)
	// Docker merges the container's labels into the image; blank ours so
	// a container started from the image by hand does not pass as an
	// instance, and drop the source's metadata.
	for k := range info.Config.Labels {
		if strings.HasPrefix(k, "ec2emu.") {
			cfg.Labels[k] = ""
		}
	}
	for k := range cfg.Labels {
		if strings.HasPrefix(k, LabelAMIMetaPrefix) {
			cfg.Labels[k] = ""
		}
	}
	cfg.Labels[LabelAMIID] = spec.ImageID
	cfg.Labels[LabelAMIName] = spec.Name
	cfg.Labels[LabelAMIDescription] = spec.Description
	setMeta(cfg.Labels, LabelAMIMetaPrefix, LabelAMIMetaKeys, spec.Metadata)

	ref := ImageRepoPrefix + repoName(spec.Name) + ":" + spec.ImageID
	res, err := b.cli.ContainerCommit(ctx, cid, container.CommitOptions{
		Reference: ref,
		Comment:   "ec2emu CreateImage " + spec.ImageID + " from " + id,
		Pause:     !spec.NoReboot,
		Config:    &cfg,
	})
	if !spec.NoReboot {
		// The commit paused and unpaused it: space a Stop from that.
		b.mu.Lock()
		b.toggles[id] = toggle{at: time.Now()}
		b.mu.Unlock()
	}
	if err != nil {
		return backend.Image{}, wrap("commit container", containerName(id), err)
	}
	d, err := b.details(ctx, res.ID)
	if err != nil {
		return backend.Image{}, wrap("inspect image", ref, err)
	}
	a := amiRef{ref: ref, name: repoName(spec.Name), imageID: res.ID, labels: d.config.Labels}
	if info, err := b.cli.ImageInspect(ctx, res.ID); err == nil {
		a.created = parseCreated(info.Created)
	}
	b.imgMu.Lock()
	b.amis[spec.ImageID] = a
	b.imgMu.Unlock()
	return a.image(spec.ImageID, d), nil
}

// DeregisterImage removes the AMI's tag, and the image with it if no other
// tag or container holds it. Other tags of the same image stay.
func (b *Backend) DeregisterImage(ctx context.Context, imageID string) error {
	amis, err := b.listAMIs(ctx)
	if err != nil {
		return err
	}
	a, ok := amis[imageID]
	if !ok {
		return notFound("image", imageID)
	}
	// Removing by reference only untags; Force lets it untag an image that
	// instances still run from, which keep running.
	_, err = b.cli.ImageRemove(ctx, a.ref, image.RemoveOptions{Force: true, PruneChildren: true})
	b.forgetAMI(imageID)
	if err != nil {
		return wrap("remove image", a.ref, err)
	}
	return nil
}

// repoName turns an AMI name into a Docker repository name component:
// lower case, [a-z0-9] separated by single '.', '_', "__" or dashes, other
// characters replaced by '-'. The real name is kept in a label.
func repoName(name string) string {
	var sb strings.Builder
	var sep strings.Builder // pending separator run
	flush := func() {
		s := sep.String()
		sep.Reset()
		if sb.Len() == 0 || s == "" {
			return // no leading separators
		}
		switch {
		case s == "." || s == "_" || s == "__" || strings.Trim(s, "-") == "": // valid as is
			sb.WriteString(s)
		default:
			sb.WriteByte('-')
		}
	}
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			flush()
			sb.WriteRune(r)
		case r == '.' || r == '_' || r == '-':
			sep.WriteRune(r)
		default:
			sep.WriteByte('!') // marks a run to collapse to one '-'
		}
	}
	out := sb.String() // trailing separators dropped
	if len(out) > 128 {
		out = strings.TrimRight(out[:128], "._-")
	}
	if out == "" {
		return "image"
	}
	return out
}
