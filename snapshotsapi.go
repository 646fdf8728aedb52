package ec2emu

import (
	"cmp"
	"context"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/catalog"
	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// The EBS snapshot actions. snapshots.go holds the model.

func checkSnapshotDescription(d string) error {
	if len(d) > 255 {
		return apiErr(ErrInvalidParameterValue, "The description must be at most 255 characters long.")
	}
	return nil
}

// checkLocal refuses what needs AWS Outposts.
func checkLocal(outpost, location string) error {
	if outpost != "" || location == "local" {
		return apiErr(ErrUnsupportedOperation, "Outposts are not supported by ec2emu: snapshots are regional.")
	}
	return nil
}

// snapshotOf returns volume v's snapshot, pending, as CreateSnapshot and
// CreateSnapshots make it, or why v cannot have one. Callers hold s.mu.
func (s *Server) snapshotOf(c *call, v *ebsVolume, description string, tags []xmlproto.Tag) (*snapshot, error) {
	switch {
	case v.state == volCreating || v.state == volError || v.state == volDeleting:
		return nil, apiErr(ErrIncorrectState, "The volume '%s' is '%s'.", v.id, v.state)
	case v.noData:
		return nil, apiErr(ErrUnsupportedOperation, "Volume '%s' holds no data ec2emu can snapshot: %s (docs/snapshots.md).", v.id, whyDataless(v))
	}
	id := newID("snap-")
	return &snapshot{id: id, owner: c.scope, volumeID: v.id, size: v.size, description: description,
		started: s.cfg.now().UTC().Truncate(time.Millisecond), state: snapPending, data: id, encrypted: v.encrypted,
		kmsKey: v.kmsKey, tags: tags}, nil
}

// rootSnapshotRefused is the answer for a snapshot of a live instance's
// root volume.
func rootSnapshotRefused(volumeID, instanceID string) error {
	return apiErr(ErrUnsupportedOperation, "Volume '%s' is the root volume of %s, which is the machine's own disk: ec2emu cannot snapshot it. CreateImage captures it as an AMI (docs/snapshots.md).", volumeID, instanceID)
}

func (s *Server) createSnapshot(ctx context.Context, c *call, req *xmlproto.CreateSnapshotRequest) (any, error) {
	if err := checkVolumeID(req.VolumeID); err != nil {
		return nil, err
	}
	if err := checkLocal(req.OutpostArn, req.Location); err != nil {
		return nil, err
	}
	if err := checkSnapshotDescription(req.Description); err != nil {
		return nil, err
	}
	tags, err := tagsFor(req.TagSpecifications, "snapshot")
	if err != nil {
		return nil, err
	}
	if s.volumer() == nil {
		return nil, s.noVolumes()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	v := z.volume(req.VolumeID)
	if v == nil {
		if _, err := s.findVolume(z, req.VolumeID, func(inst *instance) error { return rootSnapshotRefused(req.VolumeID, inst.id) }); err != nil {
			return nil, err
		}
		return nil, volumeNotFound(req.VolumeID)
	}
	sn, err := s.snapshotOf(c, v, req.Description, tags)
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.addSnapshot(sn)
	out := sn.view()
	return &out, nil
}

func (s *Server) createSnapshots(ctx context.Context, c *call, req *xmlproto.CreateSnapshotsRequest) (any, error) {
	spec := req.InstanceSpecification
	if spec == nil || spec.InstanceID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter InstanceSpecification.InstanceId")
	}
	if err := checkInstanceID(spec.InstanceID); err != nil {
		return nil, err
	}
	for _, id := range spec.ExcludeDataVolumeIDs {
		if err := checkVolumeID(id); err != nil {
			return nil, err
		}
	}
	if err := checkLocal(req.OutpostArn, req.Location); err != nil {
		return nil, err
	}
	if err := checkSnapshotDescription(req.Description); err != nil {
		return nil, err
	}
	tags, err := tagsFor(req.TagSpecifications, "snapshot")
	if err != nil {
		return nil, err
	}
	if s.volumer() == nil {
		return nil, s.noVolumes()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	insts, err := s.lookup(z, []string{spec.InstanceID}, s.cfg.now())
	if err != nil {
		return nil, err
	}
	inst := insts[0]
	if spec.ExcludeBootVolume == nil || !*spec.ExcludeBootVolume {
		if r := rootVolume(inst); r != nil {
			return nil, apiErr(ErrUnsupportedOperation, "The root volume %s of %s is the machine's own disk, which ec2emu cannot snapshot: set InstanceSpecification.ExcludeBootVolume=true to snapshot its data volumes only (docs/snapshots.md).", r.id, inst.id)
		}
	}
	var snaps []*snapshot
	for _, v := range inst.vols {
		if slices.Contains(spec.ExcludeDataVolumeIDs, v.id) {
			continue
		}
		t := tags
		if req.CopyTagsFromSource == "volume" {
			t = setTags(v.tags, tags)
		}
		sn, err := s.snapshotOf(c, v, req.Description, slices.Clone(t))
		if err != nil {
			return nil, err
		}
		snaps = append(snaps, sn)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	out := &xmlproto.CreateSnapshotsResponse{Snapshots: []xmlproto.SnapshotInfo{}}
	for _, sn := range snaps {
		s.addSnapshot(sn)
		out.Snapshots = append(out.Snapshots, xmlproto.SnapshotInfo{SnapshotID: sn.id, VolumeID: sn.volumeID,
			State: sn.state, StartTime: sn.started, Progress: sn.progress(), OwnerID: sn.owner.account,
			VolumeSize: sn.size, Description: sn.description, Encrypted: sn.encrypted, Tags: sn.tags})
	}
	return out, nil
}

var snapshotFields = query.Fields[*snapshot]{
	ByName: map[string]func(*snapshot) []string{
		"description":   func(sn *snapshot) []string { return one(sn.description) },
		"encrypted":     func(sn *snapshot) []string { return one(strconv.FormatBool(sn.encrypted)) },
		"owner-alias":   func(sn *snapshot) []string { return nil },
		"owner-id":      func(sn *snapshot) []string { return one(sn.owner.account) },
		"progress":      func(sn *snapshot) []string { return one(sn.progress()) },
		"snapshot-id":   func(sn *snapshot) []string { return one(sn.id) },
		"start-time":    func(sn *snapshot) []string { return one(sn.started.UTC().Format(xmlproto.TimeFormat)) },
		"status":        func(sn *snapshot) []string { return one(sn.state) },
		"storage-tier":  func(sn *snapshot) []string { return one("standard") },
		"transfer-type": func(sn *snapshot) []string { return one("standard") },
		"volume-id":     func(sn *snapshot) []string { return one(sn.volumeID) },
		"volume-size":   func(sn *snapshot) []string { return one(strconv.Itoa(sn.size)) },
	},
	Tags: func(sn *snapshot) []xmlproto.Tag { return sn.tags },
}

// visibleSnapshots lists copies of the snapshots sc sees, oldest first:
// its own, those shared with it or public, and the root snapshots of its
// AMIs. The tags of another account's snapshot are its owner's, so they are
// left out. Callers hold s.mu.
func (s *Server) visibleSnapshots(sc scope, imgs []backend.Image) []*snapshot {
	out := s.amiSnapshots(sc, imgs)
	for _, sn := range s.snapshots {
		if !sn.visibleTo(sc) {
			continue
		}
		// A copy: DescribeSnapshots reads it after s.mu is released. Its
		// slices are replaced, never written in place.
		cp := *sn
		if sn.owner != sc {
			cp.tags = nil
		}
		out = append(out, &cp)
	}
	slices.SortFunc(out, func(a, b *snapshot) int {
		return cmp.Or(a.started.Compare(b.started), strings.Compare(a.id, b.id))
	})
	return out
}

// snapshotOwnedBy is DescribeSnapshots' Owner.N.
func snapshotOwnedBy(sn *snapshot, owners []string, account string) bool {
	if len(owners) == 0 {
		return true
	}
	for _, o := range owners {
		if o == sn.owner.account || o == "self" && sn.owner.account == account {
			return true
		}
	}
	return false // "amazon" owns no snapshot here
}

// snapshotRestorableBy is DescribeSnapshots' RestorableBy.N.
func snapshotRestorableBy(sn *snapshot, users []string, account string) bool {
	if len(users) == 0 {
		return true
	}
	for _, u := range users {
		switch {
		case u == "all" && sn.public:
			return true
		case u == "self" && (sn.owner.account == account || sn.public || slices.Contains(sn.users, account)):
			return true
		case u != "all" && u != "self" && (sn.public || slices.Contains(sn.users, u)):
			return true
		}
	}
	return false
}

func (s *Server) describeSnapshots(ctx context.Context, c *call, req *xmlproto.DescribeSnapshotsRequest) (any, error) {
	spec := describeSpec[*snapshot]{
		checkIDs: eachID(func(id string) error {
			if !snapIDRe.MatchString(id) {
				return apiErr(ErrInvalidSnapshotIDMalformed, "Invalid id: \"%s\" (expecting \"snap-...\")", id)
			}
			return nil
		}),
		// The model does not forbid MaxResults with SnapshotId.N, as it
		// does for DescribeVolumes: idsParam stays empty.
		fields:   snapshotFields,
		unlocked: true, // the backend's images are listed first, then s.mu is read
		list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*snapshot], error) {
			imgs, err := s.imagesForDescribe(ctx)
			if err != nil {
				return nil, err
			}
			s.mu.RLock()
			defer s.mu.RUnlock()
			all := s.visibleSnapshots(c.scope, imgs)
			for _, id := range ids {
				if slices.ContainsFunc(all, func(sn *snapshot) bool { return sn.id == id }) {
					continue
				}
				// "If you specify a snapshot ID for which you do not have
				// access, it is not included in the returned results" (the
				// API reference); one that does not exist is an error.
				if sn := s.snapshots[id]; sn == nil || sn.owner.region != c.region {
					return nil, snapshotNotFound(id)
				}
			}
			return func(yield func(*snapshot) bool) {
				for sn := range named(slices.Values(all), ids, func(sn *snapshot) string { return sn.id }) {
					if snapshotOwnedBy(sn, req.Owners, c.account) && snapshotRestorableBy(sn, req.RestorableBy, c.account) && !yield(sn) {
						return
					}
				}
			}, nil
		},
		emit: func(s *Server, c *call, page []*snapshot, next string) any {
			out := &xmlproto.DescribeSnapshotsResponse{Snapshots: make([]xmlproto.Snapshot, 0, len(page)), NextToken: next}
			for _, sn := range page {
				out.Snapshots = append(out.Snapshots, sn.view())
			}
			return out
		},
	}
	return describe(ctx, s, c, describeQuery{req.SnapshotIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &spec)
}

// amiForSnapshot returns the AMI the caller owns whose root snapshot id
// is, asking the backend. It takes s.mu (read).
func (s *Server) amiForSnapshot(ctx context.Context, c *call, id string) (string, error) {
	ami := "ami-" + strings.TrimPrefix(id, "snap-")
	if !backend.ValidImageID(ami) {
		return "", nil
	}
	imgs, err := s.backendImage(ctx, ami)
	if err != nil {
		return "", err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, sn := range s.amiSnapshots(c.scope, imgs) {
		if sn.id == id {
			return sn.ami, nil
		}
	}
	return "", nil
}

// ownSnapshot returns c's snapshot id for the actions only its owner may
// take. Callers hold s.mu.
func (s *Server) ownSnapshot(c *call, id string) (*snapshot, error) {
	sn := s.snapshots[id]
	if sn == nil || !sn.visibleTo(c.scope) {
		return nil, snapshotNotFound(id)
	}
	if sn.owner != c.scope {
		// Shared with the caller, but not the caller's (wording not
		// verified against AWS).
		return nil, apiErr(ErrAuthFailure, "Not authorized for snapshot:%s", id)
	}
	return sn, nil
}

func (s *Server) deleteSnapshot(ctx context.Context, c *call, req *xmlproto.SnapshotIDRequest) (any, error) {
	if err := checkSnapshotID(req.SnapshotID); err != nil {
		return nil, err
	}
	s.mu.RLock()
	_, recorded := s.snapshots[req.SnapshotID]
	s.mu.RUnlock()
	if !recorded {
		ami, err := s.amiForSnapshot(ctx, c, req.SnapshotID)
		if err != nil {
			return nil, err
		}
		if ami != "" {
			// AWS's text (Answers4AWS/backup-monkey#10 and others quote it).
			return nil, apiErr(ErrInvalidSnapshotInUse, "The snapshot %s is currently in use by %s", req.SnapshotID, ami)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sn, err := s.ownSnapshot(c, req.SnapshotID)
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.dropSnapshot(sn)
	return &xmlproto.Return{Return: true}, nil
}

func (s *Server) copySnapshot(ctx context.Context, c *call, req *xmlproto.CopySnapshotRequest) (any, error) {
	switch {
	case req.SourceSnapshotID == "":
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter SourceSnapshotId")
	case req.SourceRegion == "":
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter SourceRegion")
	}
	if err := checkSnapshotID(req.SourceSnapshotID); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(catalog.Regions, func(r catalog.Region) bool { return r.Name == req.SourceRegion }) {
		return nil, apiErr(ErrInvalidParameterValue, "Invalid value '%s' for SourceRegion: not a region of this emulator.", req.SourceRegion)
	}
	switch {
	case req.DestinationRegion != "" && req.DestinationRegion != c.region:
		// The copy is made in the region the request is sent to; the SDKs
		// set DestinationRegion to it when they presign.
		return nil, apiErr(ErrInvalidParameterValue, "Invalid value '%s' for DestinationRegion: the copy is made in %s, where the request was sent.", req.DestinationRegion, c.region)
	case req.DestinationOutpostArn != "":
		return nil, apiErr(ErrUnsupportedOperation, "Outposts are not supported by ec2emu: snapshots are regional.")
	case req.DestinationAvailabilityZone != "":
		return nil, apiErr(ErrUnsupportedOperation, "Copies to a Local Zone are not supported by ec2emu: snapshots are regional.")
	}
	if err := checkSnapshotDescription(req.Description); err != nil {
		return nil, err
	}
	tags, err := tagsFor(req.TagSpecifications, "snapshot")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.snapshots[req.SourceSnapshotID]
	srcScope := scope{account: c.account, region: req.SourceRegion}
	if src == nil || !src.visibleTo(srcScope) {
		if ami, ok := s.amiOfSnapshot(srcScope, req.SourceSnapshotID); ok && src == nil {
			return nil, apiErr(ErrUnsupportedOperation, "Snapshot %s is the root snapshot of %s: it holds no data in ec2emu. CopyImage copies the AMI (docs/snapshots.md).", req.SourceSnapshotID, ami)
		}
		return nil, snapshotNotFound(req.SourceSnapshotID)
	}
	if src.state != snapCompleted {
		return nil, apiErr(ErrIncorrectState, "Snapshot is in invalid state - %s", src.state)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	desc := req.Description
	if desc == "" {
		// What AWS writes when the request has none (from memory, not
		// verified against a source).
		desc = strings.TrimSpace("[Copied " + src.id + " from " + req.SourceRegion + "] " + src.description)
	}
	sn := &snapshot{id: newID("snap-"), owner: c.scope, volumeID: "vol-ffffffff", size: src.size, description: desc,
		started: s.cfg.now().UTC().Truncate(time.Millisecond), state: snapPending, data: src.data, copy: true,
		encrypted: src.encrypted || req.Encrypted != nil && *req.Encrypted, kmsKey: cmpOr(req.KmsKeyID, src.kmsKey), tags: tags}
	if sn.encrypted && sn.kmsKey == "" {
		sn.kmsKey = "arn:aws:kms:" + c.region + ":" + c.account + ":alias/aws/ebs"
	}
	s.addSnapshot(sn)
	return &xmlproto.CopySnapshotResponse{SnapshotID: sn.id, Tags: tags}, nil
}

func createVolumePermissions(sn *snapshot) []xmlproto.CreateVolumePermission {
	out := []xmlproto.CreateVolumePermission{}
	if sn.public {
		out = append(out, xmlproto.CreateVolumePermission{Group: "all"})
	}
	for _, u := range sn.users {
		out = append(out, xmlproto.CreateVolumePermission{UserID: u})
	}
	return out
}

// attributeSnapshot returns the snapshot c names for the attribute actions:
// a record, or the root snapshot of an AMI c owns. Only its owner may see
// or change who may restore it.
func (s *Server) attributeSnapshot(ctx context.Context, c *call, id string) (*snapshot, error) {
	if err := checkSnapshotID(id); err != nil {
		return nil, err
	}
	s.mu.RLock()
	sn, err := s.ownSnapshot(c, id)
	s.mu.RUnlock()
	if err == nil {
		return sn, nil
	}
	ami, aerr := s.amiForSnapshot(ctx, c, id)
	if aerr != nil {
		return nil, aerr
	}
	if ami != "" {
		return &snapshot{id: id, owner: c.scope, ami: ami}, nil
	}
	return nil, err
}

func (s *Server) describeSnapshotAttribute(ctx context.Context, c *call, req *xmlproto.SnapshotAttributeRequest) (any, error) {
	if req.Attribute == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter Attribute")
	}
	sn, err := s.attributeSnapshot(ctx, c, req.SnapshotID)
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	out := &xmlproto.SnapshotAttribute{SnapshotID: sn.id}
	switch req.Attribute {
	case "createVolumePermission":
		s.mu.RLock()
		perms := createVolumePermissions(sn)
		s.mu.RUnlock()
		out.CreateVolumePermissions = &perms
	case "productCodes":
		out.ProductCodes = &[]xmlproto.ProductCode{}
	default:
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter attribute is invalid. Expected: 'productCodes', 'createVolumePermission'.", req.Attribute)
	}
	return out, nil
}

func snapshotPermissionChange(req *xmlproto.ModifySnapshotAttributeRequest) (permissionChange, error) {
	var ch permissionChange
	if req.Attribute == "productCodes" {
		return ch, apiErr(ErrInvalidParameterValue, "Value (productCodes) for parameter attribute is invalid. Only createVolumePermission can be modified.")
	}
	flat := req.OperationType != "" || len(req.UserIDs) > 0 || len(req.GroupNames) > 0
	if flat && req.CreateVolumePermission != nil {
		return ch, apiErr(ErrInvalidParameterCombination, "CreateVolumePermission cannot be combined with OperationType, UserId or UserGroup.")
	}
	item := func(p xmlproto.CreateVolumePermission, add bool) error {
		switch {
		case p.UserID != "" && p.Group != "":
			return apiErr(ErrInvalidParameterCombination, "A create volume permission names either a UserId or a Group, not both.")
		case p.Group != "":
			if p.Group != "all" {
				return apiErr(ErrInvalidParameterValue, "Value (%s) for parameter group is invalid. Expected: 'all'.", p.Group)
			}
			ch.note("", true, add)
		case p.UserID != "":
			if !accountIDRe.MatchString(p.UserID) {
				return apiErr(ErrInvalidParameterValue, "Value (%s) for parameter userId is invalid. An account ID has 12 digits.", p.UserID)
			}
			ch.note(p.UserID, false, add)
		default:
			return apiErr(ErrMissingParameter, "A create volume permission must name a UserId or a Group.")
		}
		return nil
	}
	if m := req.CreateVolumePermission; m != nil {
		if len(m.Add) == 0 && len(m.Remove) == 0 {
			return ch, apiErr(ErrMissingParameter, "The request must contain the parameter CreateVolumePermission.Add or CreateVolumePermission.Remove")
		}
		for _, p := range m.Add {
			if err := item(p, true); err != nil {
				return ch, err
			}
		}
		for _, p := range m.Remove {
			if err := item(p, false); err != nil {
				return ch, err
			}
		}
		return ch, nil
	}
	var add bool
	switch req.OperationType {
	case "add":
		add = true
	case "remove":
	case "":
		return ch, apiErr(ErrMissingParameter, "The request must contain the parameter CreateVolumePermission or OperationType")
	}
	if len(req.UserIDs) == 0 && len(req.GroupNames) == 0 {
		return ch, apiErr(ErrMissingParameter, "The request must contain the parameter UserId or UserGroup")
	}
	for _, u := range req.UserIDs {
		if err := item(xmlproto.CreateVolumePermission{UserID: u}, add); err != nil {
			return ch, err
		}
	}
	for _, g := range req.GroupNames {
		if err := item(xmlproto.CreateVolumePermission{Group: g}, add); err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// refuseAMISnapshot is the answer for sharing an AMI's root snapshot.
func refuseAMISnapshot(sn *snapshot) error {
	return apiErr(ErrUnsupportedOperation, "Snapshot %s is the root snapshot of %s and holds no data in ec2emu: share the AMI with ModifyImageAttribute instead (docs/snapshots.md).", sn.id, sn.ami)
}

func (s *Server) modifySnapshotAttribute(ctx context.Context, c *call, req *xmlproto.ModifySnapshotAttributeRequest) (any, error) {
	if err := checkSnapshotID(req.SnapshotID); err != nil {
		return nil, err
	}
	ch, err := snapshotPermissionChange(req)
	if err != nil {
		return nil, err
	}
	sn, err := s.attributeSnapshot(ctx, c, req.SnapshotID)
	if err != nil {
		return nil, err
	}
	if sn.ami != "" {
		return nil, refuseAMISnapshot(sn)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.snapshots[sn.id] != sn {
		return nil, snapshotNotFound(sn.id) // deleted meanwhile
	}
	sn.users, sn.public = ch.apply(sn.users, sn.public)
	s.touchSnapshot(sn.id)
	return &xmlproto.Return{Return: true}, nil
}

func (s *Server) resetSnapshotAttribute(ctx context.Context, c *call, req *xmlproto.SnapshotAttributeRequest) (any, error) {
	if req.Attribute == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter Attribute")
	}
	if req.Attribute != "createVolumePermission" {
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter attribute is invalid. Only createVolumePermission can be reset.", req.Attribute)
	}
	sn, err := s.attributeSnapshot(ctx, c, req.SnapshotID)
	if err != nil {
		return nil, err
	}
	if sn.ami != "" {
		return nil, refuseAMISnapshot(sn)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.snapshots[sn.id] == sn {
		sn.users, sn.public = nil, false
		s.touchSnapshot(sn.id)
	}
	return &xmlproto.Return{Return: true}, nil
}

// snapshotTaggable finds z's snapshot id for CreateTags/DeleteTags. Callers
// hold s.mu.
func (s *Server) snapshotTaggable(z *tenant, id string) (*taggable, error) {
	sn := s.snapshots[id]
	if sn == nil || sn.owner != z.scope {
		if ami, ok := s.amiOfSnapshot(z.scope, id); ok && sn == nil {
			return nil, apiErr(ErrUnsupportedOperation, "Snapshot %s is the root snapshot of %s, which ec2emu shows but does not keep: tag the AMI instead (docs/snapshots.md).", id, ami)
		}
		return nil, snapshotNotFound(id)
	}
	return &taggable{id: id, kind: "snapshot", get: func() []xmlproto.Tag { return sn.tags },
		set: func(t []xmlproto.Tag) { sn.tags = t }}, nil
}

// eachSnapshotTag lists z's snapshots' tags for DescribeTags. Callers hold
// s.mu.
func (s *Server) eachSnapshotTag(z *tenant, add func(id, kind string, tags []xmlproto.Tag)) {
	for _, sn := range s.snapshots {
		if sn.owner == z.scope {
			add(sn.id, "snapshot", sn.tags)
		}
	}
}
