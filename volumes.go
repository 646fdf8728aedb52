package ec2emu

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"iter"
	"regexp"
	"slices"
	"strconv"
	"strings"
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

// volumeRef is one volume of one instance, as DescribeVolumes sees it.
type volumeRef struct {
	id   string
	inst *instance
	vol  *volume
}

// volumeGone reports whether inst's volume v no longer exists: EC2 deletes
// a DeleteOnTermination volume with its instance.
func volumeGone(inst *instance, v *volume) bool {
	return inst.state == stateTerminated && v.DeleteOnTermination
}

// zoneVolumes lists the volumes of sc's instances in launch order. Callers
// hold s.mu (read).
func (s *Server) zoneVolumes(z *tenant, now time.Time) []volumeRef {
	if z == nil {
		return nil
	}
	var out []volumeRef
	for _, inst := range z.order {
		if !s.visible(inst, now) {
			continue
		}
		for i := range inst.attrs.Volumes {
			v := &inst.attrs.Volumes[i]
			if !volumeGone(inst, v) {
				out = append(out, volumeRef{id: volumeID(inst.id, *v), inst: inst, vol: v})
			}
		}
	}
	return out
}

func (r volumeRef) view() xmlproto.Volume {
	out := xmlproto.Volume{
		VolumeID: r.id, Size: r.vol.Size, AvailabilityZone: r.inst.az, CreateTime: r.inst.launchTime,
		Tags: r.vol.Tags, VolumeType: r.vol.Type, Iops: r.vol.Iops, Throughput: r.vol.Throughput,
		Encrypted: r.vol.Encrypted, Attachments: []xmlproto.VolumeAttachment{},
	}
	if r.vol.Root {
		out.SnapshotID = "snap-" + strings.TrimPrefix(r.inst.imageID, "ami-")
	}
	if r.inst.state == stateTerminated {
		out.State = "available" // kept: DeleteOnTermination was false
		return out
	}
	out.State = "in-use"
	out.Attachments = append(out.Attachments, xmlproto.VolumeAttachment{
		VolumeID: r.id, InstanceID: r.inst.id, Device: r.vol.Device, State: attachmentState(r.inst),
		AttachTime: r.inst.launchTime, DeleteOnTermination: r.vol.DeleteOnTermination,
	})
	return out
}

func attached(r *volumeRef, f func(xmlproto.VolumeAttachment) string) []string {
	var out []string
	for _, a := range r.view().Attachments {
		out = append(out, f(a))
	}
	return out
}

var volumeFields = query.Fields[*volumeRef]{
	ByName: map[string]func(*volumeRef) []string{
		"volume-id":            func(r *volumeRef) []string { return one(r.id) },
		"size":                 func(r *volumeRef) []string { return one(strconv.Itoa(r.vol.Size)) },
		"volume-type":          func(r *volumeRef) []string { return one(r.vol.Type) },
		"status":               func(r *volumeRef) []string { return one(r.view().State) },
		"availability-zone":    func(r *volumeRef) []string { return one(r.inst.az) },
		"create-time":          func(r *volumeRef) []string { return one(r.inst.launchTime.UTC().Format(xmlproto.TimeFormat)) },
		"encrypted":            func(r *volumeRef) []string { return one(strconv.FormatBool(r.vol.Encrypted)) },
		"snapshot-id":          func(r *volumeRef) []string { return one(r.view().SnapshotID) },
		"fast-restored":        func(r *volumeRef) []string { return one("false") },
		"multi-attach-enabled": func(r *volumeRef) []string { return one("false") },
		"attachment.instance-id": func(r *volumeRef) []string {
			return attached(r, func(a xmlproto.VolumeAttachment) string { return a.InstanceID })
		},
		"attachment.device": func(r *volumeRef) []string {
			return attached(r, func(a xmlproto.VolumeAttachment) string { return a.Device })
		},
		"attachment.status": func(r *volumeRef) []string {
			return attached(r, func(a xmlproto.VolumeAttachment) string { return a.State })
		},
		"attachment.attach-time": func(r *volumeRef) []string {
			return attached(r, func(a xmlproto.VolumeAttachment) string { return a.AttachTime.UTC().Format(xmlproto.TimeFormat) })
		},
		"attachment.delete-on-termination": func(r *volumeRef) []string {
			return attached(r, func(a xmlproto.VolumeAttachment) string { return strconv.FormatBool(a.DeleteOnTermination) })
		},
	},
	Tags: func(r *volumeRef) []xmlproto.Tag { return r.vol.Tags },
}

func (s *Server) describeVolumes(ctx context.Context, c *call, req *xmlproto.DescribeVolumesRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.VolumeIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &describeVolumesSpec)
}

var describeVolumesSpec = describeSpec[*volumeRef]{
	checkIDs: eachID(func(id string) error {
		if !volumeIDRe.MatchString(id) {
			return apiErr(ErrInvalidVolumeIDMalformed, "Invalid id: \"%s\" (expecting \"vol-...\")", id)
		}
		return nil
	}),
	idsParam: "volumeIds", fields: volumeFields,
	list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*volumeRef], error) {
		all := s.zoneVolumes(s.tenants[c.scope], s.cfg.now())
		if id, ok := firstMissing(ids, func(id string) bool {
			return slices.ContainsFunc(all, func(r volumeRef) bool { return r.id == id })
		}); ok {
			return nil, apiErr(ErrInvalidVolumeNotFound, "The volume '%s' does not exist.", id)
		}
		return named(pointers(all), ids, func(r *volumeRef) string { return r.id }), nil
	},
	emit: func(s *Server, c *call, page []*volumeRef, next string) any {
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
	for _, r := range s.zoneVolumes(z, s.cfg.now()) {
		if r.id == id {
			v := r.vol
			return &taggable{id: id, kind: "volume", get: func() []xmlproto.Tag { return v.Tags },
				set: func(t []xmlproto.Tag) { v.Tags = t }, inst: r.inst}, nil
		}
	}
	return nil, apiErr(ErrInvalidVolumeNotFound, "The volume '%s' does not exist.", id)
}
