package ec2emu

import (
	"context"
	"iter"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

const maxTagsPerResource = 50

func validateTags(tags []xmlproto.Tag) error {
	for _, t := range tags {
		if t.Key == "" {
			return apiErr(ErrInvalidParameterValue, "Tag key cannot be empty")
		}
		if utf8.RuneCountInString(t.Key) > 128 {
			return apiErr(ErrInvalidParameterValue, "Tag key exceeds the maximum length of 128 characters")
		}
		if utf8.RuneCountInString(t.Value) > 256 {
			return apiErr(ErrInvalidParameterValue, "Tag value exceeds the maximum length of 256 characters")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return apiErr(ErrInvalidParameterValue, "Tag keys starting with 'aws:' are reserved for internal use")
		}
	}
	if len(tags) > maxTagsPerResource {
		return apiErr(ErrTagLimitExceeded, "The maximum number of Tags for a resource has been reached.")
	}
	return nil
}

// taggable is one resource that carries tags, reached through its tenant.
type taggable struct {
	id, kind string
	get      func() []xmlproto.Tag
	set      func([]xmlproto.Tag)
	inst     *instance // the instance whose record holds the tags, if any
}

// touchTagged marks the records that hold targets' tags dirty. Callers hold
// s.mu (write).
func (s *Server) touchTagged(z *tenant, targets []*taggable) {
	var parts tenantPart
	for _, r := range targets {
		switch {
		case r.inst != nil:
			s.touch(r.inst)
		case r.kind == "image":
			parts |= partImageTags
		case r.kind == "key-pair":
			parts |= partKeyPairs
		case r.kind == "launch-template":
			parts |= partLaunchTemplates
		case r.kind == "fleet":
			parts |= partFleets
		case r.kind == "spot-instances-request":
			parts |= partSpot
		case r.kind == "volume":
			parts |= partVolumes
		case r.kind == "snapshot":
			s.touchSnapshot(r.id)
		case r.kind == "security-group" || r.kind == "security-group-rule":
			parts |= partGroups
		default: // vpc, subnet
			parts |= partNetwork
		}
	}
	if parts != 0 {
		s.touchTenant(z, parts)
	}
}

// resource finds id in z by its prefix. Callers hold s.mu.
func (s *Server) resource(z *tenant, id string, imgs map[string]bool) (*taggable, error) {
	now := s.cfg.now()
	switch {
	case strings.HasPrefix(id, "i-"):
		if !instanceIDRe.MatchString(id) {
			return nil, malformedTagID(id)
		}
		inst := s.instances[id]
		if inst == nil || inst.tenant != z || !s.visible(inst, now) {
			return nil, apiErr(ErrInvalidInstanceIDNotFound, "The instance ID '%s' does not exist", id)
		}
		return &taggable{id: id, kind: "instance", get: func() []xmlproto.Tag { return inst.tags },
			set: func(t []xmlproto.Tag) { inst.tags = t }, inst: inst}, nil
	case strings.HasPrefix(id, "ami-"):
		if !backend.ValidImageID(id) {
			return nil, malformedTagID(id)
		}
		if !imgs[id] {
			return nil, apiErr(ErrInvalidAMIIDNotFound, "The image id '[%s]' does not exist", id)
		}
		return &taggable{id: id, kind: "image", get: func() []xmlproto.Tag { return z.imageTags[id] },
			set: func(t []xmlproto.Tag) {
				if len(t) == 0 {
					delete(z.imageTags, id)
				} else {
					z.imageTags[id] = t
				}
			}}, nil
	case strings.HasPrefix(id, "vol-"):
		if !volumeIDRe.MatchString(id) {
			return nil, malformedTagID(id)
		}
		return s.volumeTaggable(z, id)
	case strings.HasPrefix(id, "snap-"):
		if !snapIDRe.MatchString(id) {
			return nil, malformedTagID(id)
		}
		return s.snapshotTaggable(z, id)
	case strings.HasPrefix(id, "lt-"):
		if !ltIDRe.MatchString(id) {
			return nil, malformedTagID(id)
		}
		return ltTaggable(z, id)
	case strings.HasPrefix(id, "fleet-"):
		if !fleetIDRe.MatchString(id) {
			return nil, malformedTagID(id)
		}
		return fleetTaggable(z, id)
	case strings.HasPrefix(id, "sir-"):
		if !spotIDRe.MatchString(id) {
			return nil, malformedTagID(id)
		}
		return spotTaggable(z, id)
	case strings.HasPrefix(id, "key-"):
		for _, kp := range z.keyPairs {
			if kp.id == id {
				return &taggable{id: id, kind: "key-pair", get: func() []xmlproto.Tag { return kp.tags },
					set: func(t []xmlproto.Tag) { kp.tags = t }}, nil
			}
		}
		return nil, apiErr(ErrInvalidKeyPairNotFound, "The key pair ID '%s' does not exist", id)
	}
	if t, ok, err := netResource(z, id); ok {
		return t, err
	}
	return nil, malformedTagID(id)
}

// malformedTagID is CreateTags' and DeleteTags' answer for an ID they
// cannot read: InvalidID whatever the kind its prefix names, as AWS
// answers (the Describe actions' answer is the kind's .Malformed code).
func malformedTagID(id string) error {
	return apiErr(ErrInvalidID, "The ID '%s' is not valid", id)
}

// resources resolves every id, failing on the first that is not found, so
// callers change nothing unless all exist. Callers hold s.mu.
func (s *Server) resources(z *tenant, ids []string, imgs map[string]bool) ([]*taggable, error) {
	out := make([]*taggable, 0, len(ids))
	for _, id := range ids {
		r, err := s.resource(z, id, imgs)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// imageIDs lists the AMI IDs sc can see, for tagging; it asks the backend
// only when the request names an AMI.
func (s *Server) imageIDs(ctx context.Context, sc scope, ids []string) (map[string]bool, error) {
	if !slices.ContainsFunc(ids, func(id string) bool { return strings.HasPrefix(id, "ami-") }) {
		return nil, nil
	}
	imgs, err := s.b.Images(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]bool{}
	for _, v := range s.visibleImages(sc, imgs) {
		out[v.id] = true
	}
	return out, nil
}

func (s *Server) createTags(ctx context.Context, c *call, req *xmlproto.TagsRequest) (any, error) {
	if len(req.ResourceIDs) == 0 {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter ResourceId")
	}
	if len(req.Tags) == 0 {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter Tag")
	}
	tags := make([]xmlproto.Tag, 0, len(req.Tags))
	for _, t := range req.Tags {
		v := ""
		if t.Value != nil {
			v = *t.Value
		}
		tags = append(tags, xmlproto.Tag{Key: t.Key, Value: v})
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	imgs, err := s.imageIDs(ctx, c.scope, req.ResourceIDs)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	// Resolve and check every resource before changing any.
	targets, err := s.resources(z, req.ResourceIDs, imgs)
	if err != nil {
		return nil, err
	}
	for _, r := range targets {
		if len(setTags(r.get(), tags)) > maxTagsPerResource {
			return nil, apiErr(ErrTagLimitExceeded, "The maximum number of Tags for a resource has been reached.")
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	for _, r := range targets {
		r.set(setTags(r.get(), tags))
	}
	s.touchTagged(z, targets)
	return &xmlproto.Return{Return: true}, nil
}

func (s *Server) deleteTags(ctx context.Context, c *call, req *xmlproto.TagsRequest) (any, error) {
	if len(req.ResourceIDs) == 0 {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter ResourceId")
	}
	imgs, err := s.imageIDs(ctx, c.scope, req.ResourceIDs)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	targets, err := s.resources(z, req.ResourceIDs, imgs)
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	for _, r := range targets {
		r.set(slices.DeleteFunc(slices.Clone(r.get()), func(have xmlproto.Tag) bool {
			if len(req.Tags) == 0 {
				return true // no Tag.N: delete every tag
			}
			for _, t := range req.Tags {
				// A key alone deletes the tag whatever its value; a key with a
				// value (even empty) deletes it only if the value matches.
				if t.Key == have.Key && (t.Value == nil || *t.Value == have.Value) {
					return true
				}
			}
			return false
		}))
	}
	s.touchTagged(z, targets)
	return &xmlproto.Return{Return: true}, nil
}

var tagFields = query.Fields[*xmlproto.TagDescription]{
	ByName: map[string]func(*xmlproto.TagDescription) []string{
		"key":           func(t *xmlproto.TagDescription) []string { return []string{t.Key} },
		"value":         func(t *xmlproto.TagDescription) []string { return []string{t.Value} },
		"resource-id":   func(t *xmlproto.TagDescription) []string { return one(t.ResourceID) },
		"resource-type": func(t *xmlproto.TagDescription) []string { return one(t.ResourceType) },
	},
	Tags: func(t *xmlproto.TagDescription) []xmlproto.Tag { return []xmlproto.Tag{{Key: t.Key, Value: t.Value}} },
}

func (s *Server) describeTags(ctx context.Context, c *call, req *xmlproto.DescribeTagsRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{nil, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &describeTagsSpec)
}

var describeTagsSpec = describeSpec[*xmlproto.TagDescription]{
	fields: tagFields,
	list: func(s *Server, ctx context.Context, c *call, _ []string) (iter.Seq[*xmlproto.TagDescription], error) {
		now := s.cfg.now()
		var all []xmlproto.TagDescription
		if z := s.tenants[c.scope]; z != nil {
			add := func(id, kind string, tags []xmlproto.Tag) {
				for _, t := range tags {
					all = append(all, xmlproto.TagDescription{ResourceID: id, ResourceType: kind, Key: t.Key, Value: t.Value})
				}
			}
			for _, inst := range z.order {
				if s.visible(inst, now) {
					add(inst.id, "instance", inst.tags)
				}
			}
			for id, tags := range z.imageTags {
				add(id, "image", tags)
			}
			for _, kp := range z.keyPairs {
				add(kp.id, "key-pair", kp.tags)
			}
			for _, lt := range z.launchTemplates {
				add(lt.id, "launch-template", lt.tags)
			}
			for _, f := range z.fleets {
				add(f.id, "fleet", f.tags)
			}
			for _, r := range z.spotRequests {
				add(r.id, "spot-instances-request", r.tags)
			}
			for _, v := range s.zoneVolumes(z, now) {
				add(v.id, "volume", v.tags)
			}
			s.eachSnapshotTag(z, add)
			z.net.eachTagged(add)
		}
		slices.SortStableFunc(all, func(a, b xmlproto.TagDescription) int {
			if c := strings.Compare(a.ResourceID, b.ResourceID); c != 0 {
				return c
			}
			return strings.Compare(a.Key, b.Key)
		})
		return pointers(all), nil
	},
	emit: func(s *Server, c *call, page []*xmlproto.TagDescription, next string) any {
		return &xmlproto.DescribeTagsResponse{Tags: values(page), NextToken: next}
	},
}
