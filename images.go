package ec2emu

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Images the backend offers without having made them by CreateImage (the
// docker images tagged by hand, the mock's defaults) are presented as public
// AMIs owned by Amazon, so `--owners amazon` and `--executable-users all`
// find them; AMIs made by CreateImage belong to the account that made them.
const (
	amazonOwnerID = "137112412989"
	amazonAlias   = "amazon"
	// Metadata keys stored with images made by CreateImage.
	mdImageAccount = "account"
	mdImageRegion  = "region"
	mdImageSource  = "source-instance"
)

// amiView is an image as one caller sees it.
type amiView struct {
	id, name, description string
	owner, alias          string
	public                bool
	state                 string
	arch                  string
	created               time.Time
	tags                  []xmlproto.Tag
	users                 []string // accounts it is shared with (imageattrs.go)
	token, copyOf         string   // CopyImage's ClientToken and "<region>/<ami>" source (imagecopy.go)
	listed                bool     // the backend has it
}

// visibleImages merges the backend's images with the Server's in-flight and
// failed ones, as sc sees them: public images and its own. Callers hold s.mu.
func (s *Server) visibleImages(sc scope, imgs []backend.Image) []amiView {
	z := s.tenants[sc]
	out := make([]amiView, 0, len(imgs)+len(s.images))
	listed := make(map[string]bool, len(imgs))
	for _, img := range imgs {
		listed[img.ID] = true
		v := amiView{id: img.ID, name: img.Name, description: img.Description, arch: cmp.Or(img.Architecture, "x86_64"),
			created: img.CreationDate, state: string(cmp.Or(img.State, backend.ImageAvailable)), listed: true}
		if acct := img.Metadata[mdImageAccount]; acct != "" {
			sh := s.shares[img.ID]
			if img.Metadata[mdImageRegion] != sc.region || acct != sc.account && !sh.launchableBy(sc.account) {
				continue
			}
			v.owner = acct
			v.token, v.copyOf = img.Metadata[mdImageToken], img.Metadata[mdImageFrom]
			sh.apply(&v)
		} else {
			v.owner, v.alias, v.public = amazonOwnerID, amazonAlias, true
		}
		if p := s.images[img.ID]; p != nil && p.state == backend.ImagePending {
			v.state = string(backend.ImagePending) // the backend lists it before the Server has recorded it done
		}
		out = append(out, v)
	}
	for _, p := range s.images {
		sh := s.shares[p.id]
		if listed[p.id] || p.region != sc.region || p.owner != sc.account && !sh.launchableBy(sc.account) {
			continue
		}
		v := amiView{id: p.id, name: p.name, description: p.description, owner: p.owner,
			state: string(p.state), arch: "x86_64", created: p.created, token: p.token, copyOf: p.copyOf}
		sh.apply(&v)
		out = append(out, v)
	}
	if z != nil {
		for i := range out {
			out[i].tags = z.imageTags[out[i].id]
		}
	}
	slices.SortFunc(out, func(a, b amiView) int {
		return cmp.Or(a.created.Compare(b.created), strings.Compare(a.id, b.id))
	})
	return out
}

func (v amiView) wire() xmlproto.Image {
	loc := v.owner + "/" + v.name
	if v.alias != "" {
		loc = v.alias + "/" + v.name
	}
	img := xmlproto.Image{
		ImageID: v.id, ImageLocation: loc, State: v.state, OwnerID: v.owner,
		CreationDate: v.created.UTC().Format(xmlproto.TimeFormat), Public: v.public, Architecture: v.arch,
		ImageType: "machine", ImageOwnerAlias: v.alias, Name: v.name, Description: v.description,
		RootDeviceType: "ebs", RootDeviceName: "/dev/xvda",
		BlockDeviceMappings: []xmlproto.ImageBlockDeviceMapping{{DeviceName: "/dev/xvda", Ebs: xmlproto.EbsImageBlockDevice{
			SnapshotID: "snap-" + strings.TrimPrefix(v.id, "ami-"), VolumeSize: 8, DeleteOnTermination: true, VolumeType: "gp3",
		}}},
		VirtualizationType: "hvm", Tags: v.tags, Hypervisor: "xen", EnaSupport: true,
		PlatformDetails: "Linux/UNIX", UsageOperation: "RunInstances",
	}
	if v.state == string(backend.ImageFailed) {
		img.StateReason = &xmlproto.StateReason{Code: "Server.InternalError", Message: "Server.InternalError: the image could not be created"}
	}
	return img
}

// findImage returns the launchable image id as sc sees it.
func (s *Server) findImage(ctx context.Context, sc scope, id string) (amiView, error) {
	imgs, err := s.backendImage(ctx, id)
	if err != nil {
		return amiView{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.visibleImages(sc, imgs) {
		if v.id != id {
			continue
		}
		if v.state != string(backend.ImageAvailable) {
			return amiView{}, apiErr(ErrInvalidAMIIDUnavailable, "Image %s is not available (state: %s).", id, v.state)
		}
		return v, nil
	}
	if s.privateElsewhere(sc, imgs, id) {
		// Another account's AMI, not shared with the caller: AWS refuses
		// the launch as AuthFailure, not as an unknown image.
		return amiView{}, apiErr(ErrAuthFailure, "Not authorized for images: [%s]", id)
	}
	return amiView{}, apiErr(ErrInvalidAMIIDNotFound, "The image id '[%s]' does not exist", id)
}

// backendImage returns what the backend has under AMI id, for visibleImages:
// just that image (or none) from a backend.ImageLooker, else the backend's
// whole listing. visibleImages treats each image on its own, so both give
// the same view of id.
func (s *Server) backendImage(ctx context.Context, id string) ([]backend.Image, error) {
	l, ok := s.b.(backend.ImageLooker)
	if !ok {
		return s.b.Images(ctx)
	}
	img, err := l.LookupImage(ctx, id)
	switch {
	case errors.Is(err, backend.ErrNotFound):
		return nil, nil // the Server may still know it: pending, failed
	case err != nil:
		return nil, err
	}
	return []backend.Image{img}, nil
}

var imageFields = query.Fields[*amiView]{
	ByName: map[string]func(*amiView) []string{
		"image-id":                         func(v *amiView) []string { return one(v.id) },
		"name":                             func(v *amiView) []string { return one(v.name) },
		"description":                      func(v *amiView) []string { return one(v.description) },
		"state":                            func(v *amiView) []string { return one(v.state) },
		"owner-id":                         func(v *amiView) []string { return one(v.owner) },
		"owner-alias":                      func(v *amiView) []string { return one(v.alias) },
		"is-public":                        func(v *amiView) []string { return one(strconv.FormatBool(v.public)) },
		"architecture":                     func(v *amiView) []string { return one(v.arch) },
		"image-type":                       func(v *amiView) []string { return one("machine") },
		"platform":                         func(v *amiView) []string { return nil },
		"platform-details":                 func(v *amiView) []string { return one("Linux/UNIX") },
		"root-device-type":                 func(v *amiView) []string { return one("ebs") },
		"root-device-name":                 func(v *amiView) []string { return one("/dev/xvda") },
		"virtualization-type":              func(v *amiView) []string { return one("hvm") },
		"hypervisor":                       func(v *amiView) []string { return one("xen") },
		"ena-support":                      func(v *amiView) []string { return one("true") },
		"creation-date":                    func(v *amiView) []string { return one(v.created.UTC().Format(xmlproto.TimeFormat)) },
		"block-device-mapping.device-name": func(v *amiView) []string { return one("/dev/xvda") },
		"block-device-mapping.volume-type": func(v *amiView) []string { return one("gp3") },
	},
	Tags: func(v *amiView) []xmlproto.Tag { return v.tags },
}

func checkImageID(id string) error {
	if !backend.ValidImageID(id) {
		return apiErr(ErrInvalidAMIIDMalformed, "Invalid id: \"%s\" (expecting \"ami-...\")", id)
	}
	return nil
}

func (s *Server) describeImages(ctx context.Context, c *call, req *xmlproto.DescribeImagesRequest) (any, error) {
	spec := describeSpec[*amiView]{
		checkIDs: eachID(checkImageID), idsParam: "imageIds", fields: imageFields,
		unlocked: true, // the backend is asked first, then s.mu is read
		list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*amiView], error) {
			imgs, err := s.imagesForDescribe(ctx)
			if err != nil {
				return nil, err
			}
			s.mu.RLock()
			all := s.visibleImages(c.scope, imgs)
			s.mu.RUnlock()
			var missing []string
			for _, id := range ids {
				if !slices.ContainsFunc(all, func(v amiView) bool { return v.id == id }) {
					missing = append(missing, id)
				}
			}
			if len(missing) == 1 {
				return nil, apiErr(ErrInvalidAMIIDNotFound, "The image id '[%s]' does not exist", missing[0])
			} else if len(missing) > 1 {
				return nil, apiErr(ErrInvalidAMIIDNotFound, "The image ids '[%s]' do not exist", strings.Join(missing, ", "))
			}
			return func(yield func(*amiView) bool) {
				for v := range named(pointers(all), ids, func(v *amiView) string { return v.id }) {
					if ownedBy(v, req.Owners, c.account) && executableBy(v, req.ExecutableUsers, c.account) && !yield(v) {
						return
					}
				}
			}, nil
		},
		emit: func(s *Server, c *call, page []*amiView, next string) any {
			out := &xmlproto.DescribeImagesResponse{Images: make([]xmlproto.Image, 0, len(page)), NextToken: next}
			for _, v := range page {
				out.Images = append(out.Images, v.wire())
			}
			return out
		},
	}
	return describe(ctx, s, c, describeQuery{req.ImageIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &spec)
}

// imagesForDescribe lists the backend's images; while its engine does not
// answer, DescribeImages is served from the last listing that succeeded, as
// DescribeInstances is served from state. Nothing that launches or changes an
// image uses this.
func (s *Server) imagesForDescribe(ctx context.Context) ([]backend.Image, error) {
	imgs, err := s.b.Images(ctx)
	s.lastImagesMu.Lock()
	defer s.lastImagesMu.Unlock()
	switch {
	case err == nil:
		s.lastImages = imgs
	case errors.Is(err, backend.ErrUnavailable) && s.lastImages != nil:
		s.log.Warn("backend unavailable; describing images from the last listing", "err", err)
		return s.lastImages, nil
	}
	return imgs, err
}

func ownedBy(v *amiView, owners []string, account string) bool {
	if len(owners) == 0 {
		return true
	}
	for _, o := range owners {
		switch {
		case o == "self" && v.owner == account && v.alias == "":
			return true
		case o == v.owner || (v.alias != "" && o == v.alias):
			return true
		}
	}
	return false
}

func executableBy(v *amiView, users []string, account string) bool {
	if len(users) == 0 {
		return true
	}
	for _, u := range users {
		switch {
		case u == "all" && v.public:
			return true
		case (u == "self" || u == account) && (v.public || v.owner == account || slices.Contains(v.users, account)):
			return true
		case slices.Contains(v.users, u):
			// Another account's ID: only the AMIs shared with it explicitly.
			return true
		}
	}
	return false
}

func (s *Server) createImage(ctx context.Context, c *call, req *xmlproto.CreateImageRequest) (any, error) {
	if req.InstanceID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter InstanceId")
	}
	if req.Name == nil {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter Name")
	}
	name := *req.Name
	if err := checkInstanceID(req.InstanceID); err != nil {
		return nil, err
	}
	if !amiNameRe.MatchString(name) {
		return nil, apiErr(ErrInvalidAMINameMalformed, "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_'")
	}
	if len(req.Description) > 255 {
		return nil, apiErr(ErrInvalidParameterValue, "The description must be at most 255 characters long.")
	}
	var tags []xmlproto.Tag
	for _, ts := range req.TagSpecifications {
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
	imgs, err := s.b.Images(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	insts, err := s.lookup(z, []string{req.InstanceID}, s.cfg.now())
	if err != nil {
		return nil, err
	}
	inst := insts[0]
	if inst.state != stateRunning && inst.state != stateStopped {
		return nil, notInState(inst, "imaged")
	}
	for _, v := range s.visibleImages(c.scope, imgs) {
		if v.name == name && v.alias == "" && v.owner == c.account {
			return nil, apiErr(ErrInvalidAMINameDuplicate, "AMI name %s is already in use by AMI %s", name, v.id)
		}
	}
	if im, ok := s.b.(backend.ImageMaker); ok && !im.MakesImages() {
		return nil, apiErr(ErrUnsupportedOperation, "The CreateImage operation is not supported by this backend.")
	}
	if req.DryRun {
		return nil, errDryRun
	}
	rec := &image{id: newID("ami-"), name: name, description: req.Description, owner: c.account, region: c.region,
		state: backend.ImagePending, created: s.cfg.now().UTC(), sourceInstance: inst.id}
	s.images[rec.id] = rec
	s.touchImage(rec.id)
	if len(tags) > 0 {
		z.imageTags[rec.id] = tags
		s.touchTenant(z, partImageTags)
	}
	spec := backend.ImageSpec{ImageID: rec.id, Name: name, Description: req.Description, NoReboot: req.NoReboot,
		Metadata: map[string]string{mdImageAccount: c.account, mdImageRegion: c.region, mdImageSource: inst.id}}
	// AWS's default (NoReboot=false) reboots a running instance so that
	// the image holds file systems at rest; the Server does it for every
	// backend, through the backend's Reboot, before the snapshot.
	reboot := !req.NoReboot && inst.state == stateRunning
	s.background(inst, "create-image", func(ctx context.Context) error {
		if reboot {
			if err := s.b.Reboot(ctx, inst.id); err != nil {
				return fmt.Errorf("rebooting %s before imaging it: %w", inst.id, err)
			}
		}
		_, err := s.b.CreateImage(ctx, inst.id, spec)
		return err
	}, func(err error) {
		s.touchImage(rec.id)
		if err != nil {
			rec.state = backend.ImageFailed
			return
		}
		delete(s.images, rec.id) // the backend lists it from now on
	})
	return &xmlproto.CreateImageResponse{ImageID: rec.id}, nil
}

func (s *Server) deregisterImage(ctx context.Context, c *call, req *xmlproto.DeregisterImageRequest) (any, error) {
	if req.ImageID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter ImageId")
	}
	if err := checkImageID(req.ImageID); err != nil {
		return nil, err
	}
	imgs, err := s.b.Images(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	var found *amiView
	for _, v := range s.visibleImages(c.scope, imgs) {
		if v.id == req.ImageID {
			found = &v
			break
		}
	}
	s.mu.RUnlock()
	if found == nil {
		return nil, apiErr(ErrInvalidAMIIDNotFound, "The image id '[%s]' does not exist", req.ImageID)
	}
	if found.owner != c.account {
		// Amazon's public AMIs (images made outside the emulator, shared by
		// every account and namespace) and others' are not the caller's to
		// remove: AWS answers AuthFailure (docs/actions.md has the evidence).
		return nil, apiErr(ErrAuthFailure, "Not authorized for image:%s", req.ImageID)
	}
	if found.state == string(backend.ImagePending) {
		return nil, apiErr(ErrInvalidAMIIDUnavailable, "Image %s is still being created and cannot be deregistered yet.", req.ImageID)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	if found.listed { // failed images never reached the backend
		if err := s.b.DeregisterImage(ctx, req.ImageID); err != nil && !errors.Is(err, backend.ErrNotFound) {
			return nil, fmt.Errorf("deregistering %s: %w", req.ImageID, err)
		}
	}
	s.mu.Lock()
	delete(s.images, req.ImageID)
	s.touchImage(req.ImageID)
	if z := s.tenants[c.scope]; z != nil {
		delete(z.imageTags, req.ImageID)
		s.touchTenant(z, partImageTags)
	}
	if s.shares[req.ImageID] != nil {
		delete(s.shares, req.ImageID)
		s.touchShare(req.ImageID)
	}
	s.mu.Unlock()
	return &xmlproto.Return{Return: true}, nil
}
