package ec2emu

import (
	"context"
	"regexp"
	"slices"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// imageShare is what ModifyImageAttribute set on an account's own AMI: its
// launch permissions and a description replacing the one it was made with.
// Images are private to the account that made them until shared.
type imageShare struct {
	description *string
	users       []string // account IDs with launch permission, sorted
	public      bool     // Group=all
}

// launchableBy reports whether account may see and launch an image sh
// belongs to (other than its owner). sh may be nil: not shared.
func (sh *imageShare) launchableBy(account string) bool {
	return sh != nil && (sh.public || slices.Contains(sh.users, account))
}

// apply overlays sh on v. sh may be nil.
func (sh *imageShare) apply(v *amiView) {
	if sh == nil {
		return
	}
	v.public, v.users = sh.public, sh.users
	if sh.description != nil {
		v.description = *sh.description
	}
}

// touchShare marks id's share record dirty. Callers hold s.mu (write).
func (s *Server) touchShare(id string) {
	if s.store == nil {
		return
	}
	s.dirty.shares[id] = struct{}{}
	s.changed()
}

var accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)

// oneImage returns image id as c sees it, in any state.
func (s *Server) oneImage(ctx context.Context, c *call, id string) (amiView, error) {
	if id == "" {
		return amiView{}, apiErr(ErrMissingParameter, "The request must contain the parameter ImageId")
	}
	if err := checkImageID(id); err != nil {
		return amiView{}, err
	}
	imgs, err := s.backendImage(ctx, id)
	if err != nil {
		return amiView{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.visibleImages(c.scope, imgs) {
		if v.id == id {
			return v, nil
		}
	}
	return amiView{}, apiErr(ErrInvalidAMIIDNotFound, "The image id '[%s]' does not exist", id)
}

// privateElsewhere reports whether id is an AMI of another account in sc's
// region that sc may not launch: it exists, but is neither shared with sc's
// account nor public. imgs is what backendImage returned for id. Callers
// hold s.mu.
func (s *Server) privateElsewhere(sc scope, imgs []backend.Image, id string) bool {
	for _, img := range imgs {
		if img.ID == id && img.Metadata[mdImageAccount] != "" && img.Metadata[mdImageRegion] == sc.region {
			return true
		}
	}
	p := s.images[id]
	return p != nil && p.region == sc.region
}

// ownImage is oneImage for the actions only the image's owner may take: an
// image the caller sees but does not own (Amazon's public AMIs, another
// account's shared with it) is AuthFailure, as DeregisterImage answers.
func (s *Server) ownImage(ctx context.Context, c *call, id string) (amiView, error) {
	v, err := s.oneImage(ctx, c, id)
	if err != nil {
		return v, err
	}
	if v.owner != c.account || v.alias != "" {
		return v, apiErr(ErrAuthFailure, "Not authorized for image:%s", id)
	}
	return v, nil
}

func launchPermissions(v amiView) []xmlproto.LaunchPermission {
	out := []xmlproto.LaunchPermission{}
	if v.public {
		out = append(out, xmlproto.LaunchPermission{Group: "all"})
	}
	for _, u := range v.users {
		out = append(out, xmlproto.LaunchPermission{UserID: u})
	}
	return out
}

func (s *Server) describeImageAttribute(ctx context.Context, c *call, req *xmlproto.DescribeImageAttributeRequest) (any, error) {
	if req.Attribute == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter Attribute")
	}
	v, err := s.oneImage(ctx, c, req.ImageID)
	if err != nil {
		return nil, err
	}
	out := &xmlproto.ImageAttribute{ImageID: v.id}
	empty := func() *xmlproto.AttributeValue { return &xmlproto.AttributeValue{} }
	switch req.Attribute {
	case "description":
		out.Description = empty()
		if v.description != "" {
			out.Description.Value = &v.description
		}
	case "launchPermission":
		// Who may launch an image is its owner's to know.
		if v.owner != c.account || v.alias != "" {
			return nil, apiErr(ErrAuthFailure, "Not authorized for image:%s", v.id)
		}
		lp := launchPermissions(v)
		out.LaunchPermissions = &lp
	case "productCodes":
		out.ProductCodes = &[]xmlproto.ProductCode{}
	case "blockDeviceMapping":
		// Deprecated: AWS answers AuthFailure and points to DescribeImages.
		return nil, apiErr(ErrAuthFailure, "Not authorized for image:%s. The blockDeviceMapping attribute is deprecated; DescribeImages shows an image's block device mappings.", v.id)
	case "kernel":
		out.Kernel = empty() // HVM images have none
	case "ramdisk":
		out.Ramdisk = empty()
	case "sriovNetSupport":
		out.SriovNetSupport = empty()
	case "bootMode":
		out.BootMode = empty() // not set: the instance type's default
	case "tpmSupport":
		out.TpmSupport = empty()
	case "uefiData":
		out.UefiData = empty()
	case "lastLaunchedTime":
		out.LastLaunchedTime = empty() // not tracked: as an image never launched
	case "imdsSupport":
		out.ImdsSupport = empty()
	case "deregistrationProtection":
		out.DeregistrationProtection = empty()
	default:
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter attribute is invalid. Unknown attribute.", req.Attribute)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	return out, nil
}

// shareChange is one ModifyImageAttribute request reduced to what it
// changes, whichever form the client used.
type shareChange struct {
	description *string
	permissionChange
}

// permissionChange is what a Modify*Attribute request changes in a list of
// accounts allowed to use a resource (launchPermission,
// createVolumePermission), whichever form the client used.
type permissionChange struct {
	addUsers, rmUsers   []string
	addPublic, rmPublic bool
}

// note records that add (or remove) grants user, or everyone when public.
func (ch *permissionChange) note(user string, public, add bool) {
	switch {
	case public && add:
		ch.addPublic = true
	case public:
		ch.rmPublic = true
	case add:
		ch.addUsers = append(ch.addUsers, user)
	default:
		ch.rmUsers = append(ch.rmUsers, user)
	}
}

// apply returns users and public as ch changes them: users sorted, without
// duplicates, removals after additions.
func (ch permissionChange) apply(users []string, public bool) ([]string, bool) {
	users = slices.Clone(users)
	for _, u := range ch.addUsers {
		if !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	users = slices.DeleteFunc(users, func(u string) bool { return slices.Contains(ch.rmUsers, u) })
	slices.Sort(users)
	if ch.addPublic {
		public = true
	}
	if ch.rmPublic {
		public = false
	}
	return users, public
}

func modifyImageChange(req *xmlproto.ModifyImageAttributeRequest) (shareChange, error) {
	var ch shareChange
	if len(req.OrganizationArns) > 0 || len(req.OrganizationalUnitArns) > 0 {
		return ch, apiErr(ErrUnsupportedOperation, "Sharing with AWS Organizations is not supported: ec2emu has no organizations. Share with UserId or Group=all.")
	}
	if len(req.ProductCodes) > 0 {
		return ch, apiErr(ErrUnsupportedOperation, "Product codes are not supported: ec2emu has no AWS Marketplace.")
	}
	if req.ImdsSupport != nil {
		return ch, apiErr(ErrUnsupportedOperation, "ImdsSupport is not supported: ec2emu does not apply it to the instances launched from the image.")
	}
	legacy := req.Attribute != "" || req.OperationType != "" || len(req.UserIDs) > 0 || len(req.UserGroups) > 0 || req.Value != nil
	typed := req.Description != nil || req.LaunchPermission != nil
	if typed && legacy || req.Description != nil && req.LaunchPermission != nil {
		return ch, apiErr(ErrInvalidParameterCombination, "Only one attribute can be modified at a time.")
	}
	addItem := func(lp xmlproto.LaunchPermission, add bool) error {
		if lp.OrganizationArn != "" || lp.OrganizationalUnitArn != "" {
			return apiErr(ErrUnsupportedOperation, "Sharing with AWS Organizations is not supported: ec2emu has no organizations. Share with UserId or Group=all.")
		}
		switch {
		case lp.UserID != "" && lp.Group != "":
			return apiErr(ErrInvalidParameterCombination, "A launch permission names either a UserId or a Group, not both.")
		case lp.Group != "":
			if lp.Group != "all" {
				return apiErr(ErrInvalidAMIAttributeItemValue, "Invalid attribute item value \"%s\" for UserGroup item type.", lp.Group)
			}
			ch.note("", true, add)
		case lp.UserID != "":
			if !accountIDRe.MatchString(lp.UserID) {
				return apiErr(ErrInvalidAMIAttributeItemValue, "Invalid attribute item value \"%s\" for userId item type.", lp.UserID)
			}
			ch.note(lp.UserID, false, add)
		default:
			return apiErr(ErrMissingParameter, "A launch permission must name a UserId or a Group.")
		}
		return nil
	}
	switch {
	case req.Description != nil:
		ch.description = req.Description.Value
		if ch.description == nil {
			ch.description = new(string)
		}
	case req.LaunchPermission != nil:
		if len(req.LaunchPermission.Add) == 0 && len(req.LaunchPermission.Remove) == 0 {
			return ch, apiErr(ErrMissingParameter, "The request must contain the parameter LaunchPermission.Add or LaunchPermission.Remove")
		}
		for _, lp := range req.LaunchPermission.Add {
			if err := addItem(lp, true); err != nil {
				return ch, err
			}
		}
		for _, lp := range req.LaunchPermission.Remove {
			if err := addItem(lp, false); err != nil {
				return ch, err
			}
		}
	case req.Attribute == "description":
		if req.Value == nil {
			return ch, apiErr(ErrMissingParameter, "The request must contain the parameter Value")
		}
		ch.description = req.Value
	case req.Attribute == "launchPermission" || req.Attribute == "" && (req.OperationType != "" || len(req.UserIDs) > 0 || len(req.UserGroups) > 0):
		var add bool
		switch req.OperationType {
		case "add":
			add = true
		case "remove":
		case "":
			return ch, apiErr(ErrMissingParameter, "The request must contain the parameter OperationType")
		default:
			return ch, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter operationType is invalid. Expected: 'add', 'remove'.", req.OperationType)
		}
		if len(req.UserIDs) == 0 && len(req.UserGroups) == 0 {
			return ch, apiErr(ErrMissingParameter, "The request must contain the parameter UserId or UserGroup")
		}
		for _, u := range req.UserIDs {
			if err := addItem(xmlproto.LaunchPermission{UserID: u}, add); err != nil {
				return ch, err
			}
		}
		for _, g := range req.UserGroups {
			if err := addItem(xmlproto.LaunchPermission{Group: g}, add); err != nil {
				return ch, err
			}
		}
	case req.Attribute != "":
		return ch, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter attribute is invalid. Only description and launchPermission can be modified.", req.Attribute)
	default:
		return ch, apiErr(ErrInvalidParameterCombination, "No attributes specified.")
	}
	if ch.description != nil && len(*ch.description) > 255 {
		return ch, apiErr(ErrInvalidParameterValue, "The description must be at most 255 characters long.")
	}
	return ch, nil
}

func (s *Server) modifyImageAttribute(ctx context.Context, c *call, req *xmlproto.ModifyImageAttributeRequest) (any, error) {
	if req.ImageID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter ImageId")
	}
	if err := checkImageID(req.ImageID); err != nil {
		return nil, err
	}
	ch, err := modifyImageChange(req)
	if err != nil {
		return nil, err
	}
	if _, err := s.ownImage(ctx, c, req.ImageID); err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shares[req.ImageID]
	if sh == nil {
		sh = &imageShare{}
		s.shares[req.ImageID] = sh
	}
	if ch.description != nil {
		sh.description = ch.description
	}
	sh.users, sh.public = ch.apply(sh.users, sh.public)
	s.touchShare(req.ImageID)
	return &xmlproto.Return{Return: true}, nil
}

func (s *Server) resetImageAttribute(ctx context.Context, c *call, req *xmlproto.ResetImageAttributeRequest) (any, error) {
	if req.Attribute == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter Attribute")
	}
	if req.Attribute != "launchPermission" {
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter attribute is invalid. Only launchPermission can be reset.", req.Attribute)
	}
	if _, err := s.ownImage(ctx, c, req.ImageID); err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh := s.shares[req.ImageID]; sh != nil {
		sh.users, sh.public = nil, false
		if sh.description == nil {
			delete(s.shares, req.ImageID)
		}
		s.touchShare(req.ImageID)
	}
	return &xmlproto.Return{Return: true}, nil
}
