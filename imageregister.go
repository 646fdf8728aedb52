package ec2emu

import (
	"context"
	"errors"
	"strings"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// engineLocation is the prefix of RegisterImage's ImageLocation that names
// an image the engine already has: "docker:busybox:latest".
const engineLocation = "docker:"

// registerImage makes an AMI of the caller's from an image the engine
// already has (ImageLocation=docker:<reference>), or from the root snapshot
// of an AMI the caller may launch (a root BlockDeviceMapping's
// Ebs.SnapshotId; the new AMI is the same engine image), at once: the
// backend tags it before the answer, so a reference the engine lacks is
// refused and nothing is left. A snapshot of a volume cannot be a root
// device: a volume's files are not a bootable image here.
func (s *Server) registerImage(ctx context.Context, c *call, req *xmlproto.RegisterImageRequest) (any, error) {
	if req.Name == nil {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter Name")
	}
	snap, err := rootSnapshotOf(req)
	if err != nil {
		return nil, err
	}
	if len(req.Description) > 255 {
		return nil, apiErr(ErrInvalidParameterValue, "The description must be at most 255 characters long.")
	}
	switch {
	case req.ImageLocation == "" && snap == "":
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter ImageLocation (docker:<image reference>) or a BlockDeviceMapping with Ebs.SnapshotId")
	case req.ImageLocation != "" && snap != "":
		return nil, apiErr(ErrInvalidParameterCombination, "ImageLocation and a root device snapshot cannot be given together.")
	case snap == "" && (!strings.HasPrefix(req.ImageLocation, engineLocation) || len(req.ImageLocation) == len(engineLocation)):
		return nil, apiErr(ErrUnsupportedOperation, "ImageLocation must name an image the engine has, as docker:<image reference>; instance store AMIs from an S3 manifest are not supported.")
	case req.RootDeviceName != "" && req.RootDeviceName != "/dev/xvda":
		return nil, apiErr(ErrUnsupportedOperation, "The root device of an ec2emu AMI is /dev/xvda; %s is not supported.", req.RootDeviceName)
	case req.KernelID != "" || req.RamdiskID != "":
		return nil, apiErr(ErrUnsupportedOperation, "Kernels and RAM disks are not supported: ec2emu AMIs are HVM.")
	case req.VirtualizationType != "" && req.VirtualizationType != "hvm":
		return nil, apiErr(ErrUnsupportedOperation, "Only hvm virtualization is supported.")
	case len(req.BillingProducts) > 0:
		return nil, apiErr(ErrUnsupportedOperation, "Billing products are not supported.")
	}
	ref, from := strings.TrimPrefix(req.ImageLocation, engineLocation), req.ImageLocation
	if snap != "" {
		if ref, err = s.snapshotImage(ctx, c, snap); err != nil {
			return nil, err
		}
		from = snap
	}
	tags, err := imageTags(req.TagSpecifications)
	if err != nil {
		return nil, err
	}
	t, err := s.imageTagger("RegisterImage")
	if err != nil {
		return nil, err
	}
	imgs, err := s.b.Images(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if err := s.checkNewImageName(c, imgs, *req.Name); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if req.DryRun {
		s.mu.Unlock()
		return nil, errDryRun
	}
	// The name is held by a pending record while the backend tags.
	rec := &image{id: newID("ami-"), name: *req.Name, description: req.Description, owner: c.account, region: c.region,
		state: backend.ImagePending, created: s.cfg.now().UTC()}
	s.images[rec.id] = rec
	s.mu.Unlock()

	spec := backend.ImageSpec{ImageID: rec.id, Name: rec.name, Description: rec.description,
		Metadata: map[string]string{mdImageAccount: c.account, mdImageRegion: c.region, mdImageFrom: from}}
	_, err = t.TagImage(ctx, ref, spec)

	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.images, rec.id) // on success the backend lists it
	switch {
	case errors.Is(err, backend.ErrNotFound) && snap != "":
		return nil, snapshotNotFound(snap) // its AMI went meanwhile
	case errors.Is(err, backend.ErrNotFound):
		return nil, apiErr(ErrInvalidParameterValue, "Invalid ImageLocation %s: the engine has no image %s.", req.ImageLocation, ref)
	case err != nil:
		return nil, err
	}
	if len(tags) > 0 {
		z := s.tenant(c.scope)
		z.imageTags[rec.id] = tags
		s.touchTenant(z, partImageTags)
	}
	return &xmlproto.RegisterImageResponse{ImageID: rec.id}, nil
}
