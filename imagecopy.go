package ec2emu

import (
	"context"
	"slices"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/catalog"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Metadata keys of images made by CopyImage and RegisterImage, besides
// mdImageAccount and mdImageRegion.
const (
	mdImageToken = "client-token" // CopyImage's ClientToken
	mdImageFrom  = "source-image" // "<region>/<ami>" of a copy; the engine reference of a registered image
)

// newImage is an AMI to be made from an image the backend has, by
// backend.ImageTagger: CopyImage and RegisterImage.
type newImage struct {
	source            string // what TagImage is given
	name, description string
	tags              []xmlproto.Tag
	md                map[string]string // besides account and region
}

// imageTagger is the backend's ImageTagger, or UnsupportedOperation.
func (s *Server) imageTagger(action string) (backend.ImageTagger, error) {
	t, ok := s.b.(backend.ImageTagger)
	if !ok {
		return nil, apiErr(ErrUnsupportedOperation, "The %s operation is not supported by this backend.", action)
	}
	return t, nil
}

// imageTags checks TagSpecification.N of CopyImage and RegisterImage and
// returns the image's tags.
func imageTags(specs []xmlproto.TagSpecification) ([]xmlproto.Tag, error) {
	var tags []xmlproto.Tag
	for _, ts := range specs {
		switch ts.ResourceType {
		case "image":
			tags = setTags(tags, ts.Tags)
		case "snapshot":
		default:
			return nil, apiErr(ErrInvalidParameterValue, "'%s' is not a valid taggable resource type for this operation.", ts.ResourceType)
		}
		if err := validateTags(ts.Tags); err != nil {
			return nil, err
		}
	}
	return tags, nil
}

// checkNewImageName answers InvalidAMIName.* for name in c's account and
// region, given the images c sees. Callers hold s.mu.
func (s *Server) checkNewImageName(c *call, imgs []backend.Image, name string) error {
	if !amiNameRe.MatchString(name) {
		return apiErr(ErrInvalidAMINameMalformed, "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_'")
	}
	for _, v := range s.visibleImages(c.scope, imgs) {
		if v.name == name && v.alias == "" && v.owner == c.account {
			return apiErr(ErrInvalidAMINameDuplicate, "AMI name %s is already in use by AMI %s", name, v.id)
		}
	}
	return nil
}

// startImage records a pending AMI of c's and has the backend make it in
// the background; it is available once the backend has it. Callers hold
// s.mu (write).
func (s *Server) startImage(c *call, t backend.ImageTagger, n newImage) string {
	rec := &image{id: newID("ami-"), name: n.name, description: n.description, owner: c.account, region: c.region,
		state: backend.ImagePending, created: s.cfg.now().UTC(), token: n.md[mdImageToken], copyOf: n.md[mdImageFrom]}
	s.images[rec.id] = rec
	s.touchImage(rec.id)
	if len(n.tags) > 0 {
		z := s.tenant(c.scope)
		z.imageTags[rec.id] = n.tags
		s.touchTenant(z, partImageTags)
	}
	md := map[string]string{mdImageAccount: c.account, mdImageRegion: c.region}
	for k, v := range n.md {
		md[k] = v
	}
	spec := backend.ImageSpec{ImageID: rec.id, Name: n.name, Description: n.description, Metadata: md}
	if s.closed {
		rec.state = backend.ImageFailed
		return rec.id
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.backendTimeout)
		_, err := t.TagImage(ctx, n.source, spec)
		cancel()
		if err != nil {
			s.log.Warn("backend call failed", "op", "tag-image", "image", rec.id, "source", n.source, "err", err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.touchImage(rec.id)
		if err != nil {
			rec.state = backend.ImageFailed
			return
		}
		delete(s.images, rec.id) // the backend lists it from now on
	}()
	return rec.id
}

func (s *Server) copyImage(ctx context.Context, c *call, req *xmlproto.CopyImageRequest) (any, error) {
	switch {
	case req.SourceImageID == "":
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter SourceImageId")
	case req.SourceRegion == "":
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter SourceRegion")
	case req.Name == nil:
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter Name")
	}
	if err := checkImageID(req.SourceImageID); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(catalog.Regions, func(r catalog.Region) bool { return r.Name == req.SourceRegion }) {
		return nil, apiErr(ErrInvalidParameterValue, "Invalid value '%s' for SourceRegion: not a region of this emulator.", req.SourceRegion)
	}
	if len(req.Description) > 255 {
		return nil, apiErr(ErrInvalidParameterValue, "The description must be at most 255 characters long.")
	}
	switch {
	case req.Encrypted || req.KmsKeyID != "":
		return nil, apiErr(ErrUnsupportedOperation, "Encrypted copies are not supported: ec2emu has no EBS encryption.")
	case req.DestinationOutpostArn != "":
		return nil, apiErr(ErrUnsupportedOperation, "Outposts are not supported.")
	case req.DestinationAvailabilityZone != "" || req.DestinationAvailabilityZoneID != "":
		return nil, apiErr(ErrUnsupportedOperation, "Copies to a Local Zone are not supported.")
	}
	tags, err := imageTags(req.TagSpecifications)
	if err != nil {
		return nil, err
	}
	t, err := s.imageTagger("CopyImage")
	if err != nil {
		return nil, err
	}
	imgs, err := s.b.Images(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	source := req.SourceRegion + "/" + req.SourceImageID
	if req.ClientToken != "" {
		for _, v := range s.visibleImages(c.scope, imgs) {
			if v.owner != c.account || v.alias != "" || v.token != req.ClientToken {
				continue
			}
			if v.copyOf != source || v.name != *req.Name {
				return nil, apiErr(ErrIdempotentParameterMismatch, "The client token %s was already used for a different request.", req.ClientToken)
			}
			if req.DryRun {
				return nil, errDryRun
			}
			return &xmlproto.CopyImageResponse{ImageID: v.id}, nil
		}
	}
	srcScope := scope{account: c.account, region: req.SourceRegion}
	var src *amiView
	for _, v := range s.visibleImages(srcScope, imgs) {
		if v.id == req.SourceImageID {
			src = &v
			break
		}
	}
	switch {
	case src == nil:
		return nil, apiErr(ErrInvalidAMIIDNotFound, "The image id '[%s]' does not exist", req.SourceImageID)
	case src.state != string(backend.ImageAvailable):
		return nil, apiErr(ErrInvalidAMIIDUnavailable, "Image %s is not available (state: %s).", req.SourceImageID, src.state)
	}
	if err := s.checkNewImageName(c, imgs, *req.Name); err != nil {
		return nil, err
	}
	if req.CopyImageTags {
		if z := s.tenants[srcScope]; z != nil {
			tags = setTags(slices.Clone(z.imageTags[src.id]), tags)
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	md := map[string]string{mdImageFrom: source}
	if req.ClientToken != "" {
		md[mdImageToken] = req.ClientToken
	}
	id := s.startImage(c, t, newImage{source: src.id, name: *req.Name, description: req.Description, tags: tags, md: md})
	return &xmlproto.CopyImageResponse{ImageID: id}, nil
}
