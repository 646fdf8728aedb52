package ec2emu

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"iter"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// volumeIDRe: vol- and 8 (legacy) or 17 hex digits, like instance IDs.
var volumeIDRe = regexp.MustCompile(`^vol-(?:[0-9a-f]{8}|[0-9a-f]{17})$`)

// hashHex returns the first n hex digits of s's SHA-256.
func hashHex(s string, n int) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:n]
}

// zoneVolumes lists z's volumes: the root volumes of its instances in
// launch order, then the others in creation order. Callers hold s.mu (read).
func (s *Server) zoneVolumes(z *tenant, now time.Time) []*ebsVolume {
	if z == nil {
		return nil
	}
	var out []*ebsVolume
	for _, inst := range z.order {
		if !s.visible(inst, now) {
			continue
		}
		if r := rootVolume(inst); r != nil {
			out = append(out, r)
		}
	}
	return append(out, z.volumes...)
}

func attached(v *ebsVolume, f func(*volAttachment) string) []string {
	if v.att == nil {
		return nil
	}
	return one(f(v.att))
}

var volumeFields = query.Fields[*ebsVolume]{
	ByName: map[string]func(*ebsVolume) []string{
		"volume-id":            func(v *ebsVolume) []string { return one(v.id) },
		"size":                 func(v *ebsVolume) []string { return one(strconv.Itoa(v.size)) },
		"volume-type":          func(v *ebsVolume) []string { return one(v.typ) },
		"status":               func(v *ebsVolume) []string { return one(v.shownState()) },
		"availability-zone":    func(v *ebsVolume) []string { return one(v.az) },
		"create-time":          func(v *ebsVolume) []string { return one(v.created.UTC().Format(xmlproto.TimeFormat)) },
		"encrypted":            func(v *ebsVolume) []string { return one(strconv.FormatBool(v.encrypted)) },
		"snapshot-id":          func(v *ebsVolume) []string { return one(v.snapshotID) },
		"fast-restored":        func(v *ebsVolume) []string { return one("false") },
		"multi-attach-enabled": func(v *ebsVolume) []string { return one("false") },
		"attachment.instance-id": func(v *ebsVolume) []string {
			return attached(v, func(a *volAttachment) string { return a.instanceID })
		},
		"attachment.device": func(v *ebsVolume) []string {
			return attached(v, func(a *volAttachment) string { return a.device })
		},
		"attachment.status": func(v *ebsVolume) []string {
			return attached(v, func(a *volAttachment) string { return a.state })
		},
		"attachment.attach-time": func(v *ebsVolume) []string {
			return attached(v, func(a *volAttachment) string { return a.at.UTC().Format(xmlproto.TimeFormat) })
		},
		"attachment.delete-on-termination": func(v *ebsVolume) []string {
			return attached(v, func(a *volAttachment) string { return strconv.FormatBool(a.deleteOnTerm) })
		},
	},
	Tags: func(v *ebsVolume) []xmlproto.Tag { return v.tags },
}

func (s *Server) describeVolumes(ctx context.Context, c *call, req *xmlproto.DescribeVolumesRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.VolumeIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &describeVolumesSpec)
}

var describeVolumesSpec = describeSpec[*ebsVolume]{
	checkIDs: eachID(func(id string) error {
		if !volumeIDRe.MatchString(id) {
			return apiErr(ErrInvalidVolumeIDMalformed, "Invalid id: \"%s\" (expecting \"vol-...\")", id)
		}
		return nil
	}),
	idsParam: "volumeIds", fields: volumeFields,
	list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*ebsVolume], error) {
		all := s.zoneVolumes(s.tenants[c.scope], s.cfg.now())
		if id, ok := firstMissing(ids, func(id string) bool {
			return slices.ContainsFunc(all, func(v *ebsVolume) bool { return v.id == id })
		}); ok {
			return nil, apiErr(ErrInvalidVolumeNotFound, "The volume '%s' does not exist.", id)
		}
		return named(slices.Values(all), ids, func(v *ebsVolume) string { return v.id }), nil
	},
	emit: func(s *Server, c *call, page []*ebsVolume, next string) any {
		out := &xmlproto.DescribeVolumesResponse{Volumes: make([]xmlproto.Volume, 0, len(page)), NextToken: next}
		for _, r := range page {
			out.Volumes = append(out.Volumes, r.view())
		}
		return out
	},
}

// volumeTaggable finds volume id in z for CreateTags/DeleteTags. Callers
// hold s.mu.
func (s *Server) volumeTaggable(z *tenant, id string) (*taggable, error) {
	if !volumeIDRe.MatchString(id) {
		return nil, apiErr(ErrInvalidVolumeIDMalformed, "Invalid id: \"%s\" (expecting \"vol-...\")", id)
	}
	if v := z.volume(id); v != nil {
		return &taggable{id: id, kind: "volume", get: func() []xmlproto.Tag { return v.tags },
			set: func(t []xmlproto.Tag) { v.tags = t }}, nil
	}
	for _, inst := range z.order {
		if r := rootVolume(inst); r != nil && r.id == id && s.visible(inst, s.cfg.now()) {
			root := &inst.attrs.Volumes[0]
			return &taggable{id: id, kind: "volume", get: func() []xmlproto.Tag { return root.Tags },
				set: func(t []xmlproto.Tag) { root.Tags = t }, inst: inst}, nil
		}
	}
	return nil, apiErr(ErrInvalidVolumeNotFound, "The volume '%s' does not exist.", id)
}
