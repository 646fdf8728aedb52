package ec2emu

import (
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

// The EBS volume actions. ebs.go holds the model.

func checkVolumeID(id string) error {
	if id == "" {
		return apiErr(ErrMissingParameter, "The request must contain the parameter volumeId")
	}
	if !volumeIDRe.MatchString(id) {
		return apiErr(ErrInvalidVolumeIDMalformed, "Invalid id: \"%s\" (expecting \"vol-...\")", id)
	}
	return nil
}

func volumeNotFound(id string) error {
	return apiErr(ErrInvalidVolumeNotFound, "The volume '%s' does not exist.", id)
}

// findVolume returns z's volume id. A live instance's root volume answers
// errRoot's error: it is the machine's own disk. Callers hold s.mu.
func (s *Server) findVolume(z *tenant, id string, errRoot func(inst *instance) error) (*ebsVolume, error) {
	if v := z.volume(id); v != nil && v.state != volDeleting {
		return v, nil
	}
	for _, inst := range z.order {
		if r := rootVolume(inst); r != nil && r.id == id {
			return nil, errRoot(inst)
		}
	}
	return nil, volumeNotFound(id)
}

// volumeSpec checks a volume's type, size, IOPS and throughput as
// CreateVolume and ModifyVolume take them, and fills in the defaults.
func volumeSpec(typ string, size int, iops, throughput *int) (int, int, error) {
	if _, ok := volumeSizes[typ]; !ok {
		return 0, 0, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter volumeType is invalid. Valid values: gp2, gp3, io1, io2, sc1, st1, standard.", typ)
	}
	if r := volumeSizes[typ]; size < r[0] || size > r[1] {
		return 0, 0, apiErr(ErrInvalidParameterValue, "Volume of %dGiB is out of range for volume type %s (%d to %d GiB).", size, typ, r[0], r[1])
	}
	io, tp := defaultIops(typ, size), defaultThroughput(typ)
	if iops != nil {
		if typ != "io1" && typ != "io2" && typ != "gp3" {
			return 0, 0, apiErr(ErrInvalidParameterCombination, "The parameter iops is not supported for %s volumes.", typ)
		}
		io = *iops
	} else if typ == "io1" || typ == "io2" {
		return 0, 0, apiErr(ErrMissingParameter, "The request must contain the parameter iops for %s volumes", typ)
	}
	if throughput != nil {
		if typ != "gp3" {
			return 0, 0, apiErr(ErrInvalidParameterCombination, "The parameter throughput is not supported for %s volumes.", typ)
		}
		tp = *throughput
	}
	return io, tp, nil
}

func (s *Server) createVolume(ctx context.Context, c *call, req *xmlproto.CreateVolumeRequest) (any, error) {
	switch {
	case req.AvailabilityZone == "" && req.AvailabilityZoneID == "":
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter availabilityZone")
	case req.AvailabilityZone != "" && req.AvailabilityZoneID != "":
		return nil, apiErr(ErrInvalidParameterCombination, "Only one of availabilityZone and availabilityZoneId can be specified.")
	case req.Size == nil && req.SnapshotID == "":
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter size or snapshotId")
	case req.MultiAttachEnabled != nil && *req.MultiAttachEnabled:
		return nil, apiErr(ErrUnsupportedOperation, "Multi-Attach is not supported by ec2emu: a volume is attached to one instance at a time.")
	case req.OutpostArn != "":
		return nil, apiErr(ErrUnsupportedOperation, "Outposts are not supported by ec2emu.")
	case req.VolumeInitializationRate != nil || req.Operator != nil:
		return nil, apiErr(ErrUnsupportedOperation, "VolumeInitializationRate and Operator are not supported by ec2emu.")
	}
	zones := catalog.ZoneNames(c.region)
	az, azID := req.AvailabilityZone, req.AvailabilityZoneID
	i := slices.Index(zones, az)
	if azID != "" {
		for j := range zones {
			if catalog.ZoneID(c.region, j) == azID {
				i, az = j, zones[j]
			}
		}
	}
	if i < 0 {
		if azID != "" {
			return nil, apiErr(ErrInvalidParameterValue, "Invalid availability zone ID: [%s]", azID)
		}
		return nil, apiErr(ErrInvalidParameterValue, "Invalid availability zone: [%s]", az)
	}
	azID = catalog.ZoneID(c.region, i)
	typ := cmpOr(req.VolumeType, "gp2")
	tags, err := tagsFor(req.TagSpecifications, "volume")
	if err != nil {
		return nil, err
	}
	if s.volumer() == nil {
		return nil, s.noVolumes()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	size, snapData, snapSize := 0, "", 0
	if req.SnapshotID != "" {
		if snapData, snapSize, err = s.restorableSnapshot(z, c, req.SnapshotID); err != nil {
			return nil, err
		}
		size = snapSize
	}
	if req.Size != nil {
		size = *req.Size
		if size < snapSize {
			return nil, apiErr(ErrInvalidParameterValue, "Volume of %dGiB is smaller than snapshot '%s' (%dGiB).", size, req.SnapshotID, snapSize)
		}
	}
	iops, tp, err := volumeSpec(typ, size, req.Iops, req.Throughput)
	if err != nil {
		return nil, err
	}
	if req.ClientToken != "" {
		if v := z.volumeTokens[req.ClientToken]; v != nil {
			if req.DryRun {
				return nil, errDryRun
			}
			out := v.view()
			return &out, nil
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	v := &ebsVolume{
		id: newID("vol-"), az: az, azID: azID, size: size, typ: typ, iops: iops, throughput: tp,
		encrypted: req.Encrypted != nil && *req.Encrypted, kmsKey: req.KmsKeyID, snapshotID: req.SnapshotID,
		created: s.cfg.now().UTC().Truncate(time.Millisecond), state: volCreating, tags: tags, snapData: snapData,
	}
	if sn := s.snapshots[req.SnapshotID]; sn != nil && sn.encrypted {
		// A volume from an encrypted snapshot is encrypted, with its key
		// unless the request names another.
		v.encrypted, v.kmsKey = true, cmpOr(v.kmsKey, sn.kmsKey)
	}
	if v.encrypted && v.kmsKey == "" {
		v.kmsKey = "arn:aws:kms:" + c.region + ":" + c.account + ":alias/aws/ebs"
	}
	z.volumes = append(z.volumes, v)
	if req.ClientToken != "" {
		if z.volumeTokens == nil {
			z.volumeTokens = map[string]*ebsVolume{}
		}
		z.volumeTokens[req.ClientToken] = v
	}
	s.makeVolume(z, v)
	out := v.view()
	return &out, nil
}

func (s *Server) deleteVolume(ctx context.Context, c *call, req *xmlproto.VolumeIDRequest) (any, error) {
	if err := checkVolumeID(req.VolumeID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	v, err := s.findVolume(z, req.VolumeID, func(inst *instance) error {
		return apiErr(ErrVolumeInUse, "Volume %s is currently attached to %s", req.VolumeID, inst.id)
	})
	if err != nil {
		return nil, err
	}
	switch {
	case v.att != nil:
		return nil, apiErr(ErrVolumeInUse, "Volume %s is currently attached to %s", v.id, v.att.instanceID)
	case v.state == volCreating:
		return nil, apiErr(ErrIncorrectState, "The volume '%s' is 'creating'.", v.id)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.dropVolume(z, v)
	return &xmlproto.Return{Return: true}, nil
}

func (s *Server) attachVolume(ctx context.Context, c *call, req *xmlproto.AttachVolumeRequest) (any, error) {
	if err := checkVolumeID(req.VolumeID); err != nil {
		return nil, err
	}
	switch {
	case req.InstanceID == "":
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter instanceId")
	case req.Device == "":
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter device")
	case req.EbsCardIndex != nil && *req.EbsCardIndex != 0:
		return nil, apiErr(ErrInvalidParameterValue, "Value (%d) for parameter ebsCardIndex is invalid. The instance has one EBS card.", *req.EbsCardIndex)
	case !deviceRe.MatchString(req.Device):
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter device is invalid. %s is not a valid EBS device name.", req.Device, req.Device)
	}
	if err := checkInstanceID(req.InstanceID); err != nil {
		return nil, err
	}
	vb := s.volumer()
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	v, err := s.findVolume(z, req.VolumeID, func(inst *instance) error {
		return apiErr(ErrVolumeInUse, "%s is already attached to an instance", req.VolumeID)
	})
	if err != nil {
		return nil, err
	}
	inst := s.instances[req.InstanceID]
	if inst == nil || inst.tenant != z || !s.visible(inst, s.cfg.now()) {
		return nil, apiErr(ErrInvalidInstanceIDNotFound, "The instance ID '%s' does not exist", req.InstanceID)
	}
	switch {
	case v.att != nil:
		return nil, apiErr(ErrVolumeInUse, "%s is already attached to an instance", v.id)
	case v.state != volAvailable:
		return nil, apiErr(ErrIncorrectState, "The volume '%s' is '%s'.", v.id, v.state)
	case inst.state != stateRunning && inst.state != stateStopped:
		return nil, apiErr(ErrIncorrectInstanceState, "Instance '%s' is not 'running' or 'stopped'.", inst.id)
	case v.az != inst.az:
		return nil, apiErr(ErrInvalidVolumeZoneMismatch, "The volume '%s' is not in the same availability zone as instance '%s'", v.id, inst.id)
	case s.deviceInUse(inst, req.Device):
		return nil, apiErr(ErrInvalidParameterValue, "Invalid value '%s' for unixDevice. Attachment point %s is already in use", req.Device, req.Device)
	case vb == nil:
		return nil, s.noVolumes()
	case v.noData:
		return nil, apiErr(ErrUnsupportedOperation, "Volume '%s' holds no data this backend can attach: %s (docs/volumes.md).", v.id, whyDataless(v))
	}
	if req.DryRun {
		return nil, errDryRun
	}
	v.att = &volAttachment{instanceID: inst.id, device: req.Device, at: s.cfg.now().UTC().Truncate(time.Millisecond), state: "attaching"}
	s.linkVolumes(inst)
	s.attachData(inst, v)
	return v.attachmentView(), nil
}

// whyDataless says why volume v cannot be attached.
func whyDataless(v *ebsVolume) string {
	if v.root {
		return "it was an instance's root volume, which is the machine's own disk"
	}
	return "it was made when the backend kept no volume data"
}

// deviceInUse reports whether inst has a volume at device. Callers hold s.mu.
func (s *Server) deviceInUse(inst *instance, device string) bool {
	base := func(d string) string { return strings.TrimPrefix(d, "/dev/") }
	for _, r := range inst.attrs.Volumes {
		if base(r.Device) == base(device) {
			return true
		}
	}
	return slices.ContainsFunc(inst.vols, func(v *ebsVolume) bool { return base(v.att.device) == base(device) })
}

// attachData makes v's data visible in inst, after the calls queued on the
// machine before it. Callers hold s.mu (write).
func (s *Server) attachData(inst *instance, v *ebsVolume) {
	z, a := inst.tenant, backend.VolumeAttachment{VolumeID: v.id, Device: v.att.device}
	vb := s.volumer()
	s.touchVolume(z, v)
	s.background(inst, "attach volume", func(ctx context.Context) error {
		return s.untilAvailable(ctx, func() error { return vb.AttachVolume(ctx, inst.id, a) })
	}, func(err error) {
		if v.att == nil || v.att.instanceID != inst.id || v.att.state != "attaching" {
			return
		}
		if err != nil {
			s.unlinkVolume(inst, v)
			v.state = volAvailable
		} else {
			v.att.state = "attached"
		}
		s.touchVolume(z, v)
	})
}

// unlinkVolume ends v's attachment to inst in the records. Callers hold
// s.mu (write).
func (s *Server) unlinkVolume(inst *instance, v *ebsVolume) {
	if inst != nil {
		inst.vols = slices.DeleteFunc(inst.vols, func(x *ebsVolume) bool { return x == v })
		inst.volGen++
		s.touch(inst)
	}
	v.att = nil
}

func (s *Server) detachVolume(ctx context.Context, c *call, req *xmlproto.DetachVolumeRequest) (any, error) {
	if err := checkVolumeID(req.VolumeID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	v, err := s.findVolume(z, req.VolumeID, func(inst *instance) error {
		return apiErr(ErrOperationNotPermitted, "Unable to detach root volume '%s' from instance '%s': it is the machine's own disk.", req.VolumeID, inst.id)
	})
	if err != nil {
		return nil, err
	}
	switch {
	case v.att == nil:
		return nil, apiErr(ErrIncorrectState, "Volume '%s' is in the '%s' state.", v.id, v.state)
	case req.InstanceID != "" && req.InstanceID != v.att.instanceID,
		req.Device != "" && req.Device != v.att.device:
		return nil, apiErr(ErrInvalidAttachmentNotFound, "The volume '%s' is not attached to instance '%s' as device '%s'.", v.id, cmpOr(req.InstanceID, v.att.instanceID), cmpOr(req.Device, v.att.device))
	case v.att.state == "detaching":
		return nil, apiErr(ErrIncorrectState, "Volume '%s' is already detaching.", v.id)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	inst := s.instances[v.att.instanceID]
	v.att.state = "detaching"
	out := v.attachmentView()
	s.touchVolume(z, v)
	if inst == nil || v.noData || s.volumer() == nil {
		// Bookkeeping only: no data in a machine, or no machine (a record
		// whose instance the store lost).
		s.unlinkVolume(inst, v)
		v.state = volAvailable
		return out, nil
	}
	s.detachData(inst, v)
	return out, nil
}

// detachData removes v's data from inst's machine; v becomes available
// once it is gone. Callers hold s.mu (write).
func (s *Server) detachData(inst *instance, v *ebsVolume) {
	z, a := inst.tenant, backend.VolumeAttachment{VolumeID: v.id, Device: v.att.device}
	vb := s.volumer()
	s.background(inst, "detach volume", func(ctx context.Context) error {
		return s.untilAvailable(ctx, func() error { return vb.DetachVolume(ctx, inst.id, a) })
	}, func(err error) {
		if v.att == nil || v.att.instanceID != inst.id || v.att.state != "detaching" {
			return
		}
		if err != nil {
			v.att.state = "attached" // still there: say so, and let the client retry
		} else {
			s.unlinkVolume(inst, v)
			v.state = volAvailable
		}
		s.touchVolume(z, v)
	})
}

func (s *Server) modifyVolume(ctx context.Context, c *call, req *xmlproto.ModifyVolumeRequest) (any, error) {
	if err := checkVolumeID(req.VolumeID); err != nil {
		return nil, err
	}
	if req.MultiAttachEnabled != nil && *req.MultiAttachEnabled {
		return nil, apiErr(ErrUnsupportedOperation, "Multi-Attach is not supported by ec2emu: a volume is attached to one instance at a time.")
	}
	if req.Size == nil && req.VolumeType == "" && req.Iops == nil && req.Throughput == nil && req.MultiAttachEnabled == nil {
		return nil, apiErr(ErrMissingParameter, "The request must contain at least one of size, volumeType, iops, throughput or multiAttachEnabled")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	v, err := s.findVolume(z, req.VolumeID, func(inst *instance) error {
		return apiErr(ErrUnsupportedOperation, "The root volume '%s' of %s is the machine's own disk: ec2emu cannot modify it.", req.VolumeID, inst.id)
	})
	if err != nil {
		return nil, err
	}
	if v.state != volAvailable {
		return nil, apiErr(ErrIncorrectState, "The volume '%s' is '%s'.", v.id, v.state)
	}
	typ, size := cmpOr(req.VolumeType, v.typ), v.size
	if req.Size != nil {
		if *req.Size < v.size {
			return nil, apiErr(ErrInvalidParameterValue, "New size cannot be smaller than existing size")
		}
		size = *req.Size
	}
	iops, tp := req.Iops, req.Throughput
	if iops == nil && typ == v.typ && (typ == "io1" || typ == "io2" || typ == "gp3") {
		iops = &v.iops // kept unless changed, as EC2 keeps a volume's provisioned IOPS
	}
	if tp == nil && typ == v.typ && typ == "gp3" {
		tp = &v.throughput
	}
	newIops, newTp, err := volumeSpec(typ, size, iops, tp)
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	// A directory has no size or speed to change: the modification is
	// done at once, and shown as EC2 shows one that has completed.
	now := s.cfg.now().UTC().Truncate(time.Millisecond)
	m := &volumeMod{xmlproto.VolumeModification{
		VolumeID: v.id, ModificationState: "completed", Progress: 100, StartTime: now, EndTime: &now,
		OriginalSize: v.size, OriginalIops: v.iops, OriginalVolumeType: v.typ, OriginalThroughput: v.throughput,
		TargetSize: size, TargetIops: newIops, TargetVolumeType: typ, TargetThroughput: newTp,
	}}
	v.size, v.typ, v.iops, v.throughput = size, typ, newIops, newTp
	v.mods = append(v.mods, m)
	s.touchVolume(z, v)
	return &xmlproto.ModifyVolumeResponse{VolumeModification: m.VolumeModification}, nil
}

var volumeModFields = query.Fields[*volumeMod]{
	ByName: map[string]func(*volumeMod) []string{
		"volume-id":                     func(m *volumeMod) []string { return one(m.VolumeID) },
		"modification-state":            func(m *volumeMod) []string { return one(m.ModificationState) },
		"target-size":                   func(m *volumeMod) []string { return one(strconv.Itoa(m.TargetSize)) },
		"target-iops":                   func(m *volumeMod) []string { return one(strconv.Itoa(m.TargetIops)) },
		"target-volume-type":            func(m *volumeMod) []string { return one(m.TargetVolumeType) },
		"original-size":                 func(m *volumeMod) []string { return one(strconv.Itoa(m.OriginalSize)) },
		"original-iops":                 func(m *volumeMod) []string { return one(strconv.Itoa(m.OriginalIops)) },
		"original-volume-type":          func(m *volumeMod) []string { return one(m.OriginalVolumeType) },
		"start-time":                    func(m *volumeMod) []string { return one(m.StartTime.Format(xmlproto.TimeFormat)) },
		"target-multi-attach-enabled":   func(m *volumeMod) []string { return one("false") },
		"original-multi-attach-enabled": func(m *volumeMod) []string { return one("false") },
	},
}

func (s *Server) describeVolumesModifications(ctx context.Context, c *call, req *xmlproto.DescribeVolumesModificationsRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.VolumeIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &describeVolumeModsSpec)
}

var describeVolumeModsSpec = describeSpec[*volumeMod]{
	checkIDs: eachID(checkVolumeID),
	checkMax: func(max *int) error { return nil },
	fields:   volumeModFields,
	list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*volumeMod], error) {
		z := s.tenants[c.scope]
		var all []*volumeMod
		for _, id := range ids {
			if z == nil || z.volume(id) == nil {
				return nil, volumeNotFound(id)
			}
		}
		if z != nil {
			for _, v := range z.volumes {
				if len(ids) == 0 || slices.Contains(ids, v.id) {
					all = append(all, v.mods...)
				}
			}
		}
		return slices.Values(all), nil
	},
	emit: func(s *Server, c *call, page []*volumeMod, next string) any {
		out := &xmlproto.DescribeVolumesModificationsResponse{VolumesModifications: []xmlproto.VolumeModification{}, NextToken: next}
		for _, m := range page {
			out.VolumesModifications = append(out.VolumesModifications, m.VolumeModification)
		}
		return out
	},
}

// volumeStatus is one volume as DescribeVolumeStatus sees it.
type volumeStatus struct{ *ebsVolume }

// status is the volume's status: impaired if its data could not be made.
func (v volumeStatus) status() string {
	if v.state == volError {
		return "impaired"
	}
	return "ok"
}

var volumeStatusFields = query.Fields[volumeStatus]{
	ByName: map[string]func(volumeStatus) []string{
		"availability-zone":          func(v volumeStatus) []string { return one(v.az) },
		"volume-status.status":       func(v volumeStatus) []string { return one(v.status()) },
		"volume-status.details-name": func(v volumeStatus) []string { return []string{"io-enabled", "io-performance"} },
		"volume-status.details-status": func(v volumeStatus) []string {
			if v.state == volError {
				return []string{"failed", "not-applicable"}
			}
			return []string{"passed", "not-applicable"}
		},
		"action.code": func(v volumeStatus) []string { return nil }, "action.description": func(v volumeStatus) []string { return nil },
		"action.event-id": func(v volumeStatus) []string { return nil }, "event.description": func(v volumeStatus) []string { return nil },
		"event.event-id": func(v volumeStatus) []string { return nil }, "event.event-type": func(v volumeStatus) []string { return nil },
		"event.not-after": func(v volumeStatus) []string { return nil }, "event.not-before": func(v volumeStatus) []string { return nil },
	},
}

func (s *Server) describeVolumeStatus(ctx context.Context, c *call, req *xmlproto.DescribeVolumeStatusRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.VolumeIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &describeVolumeStatusSpec)
}

var describeVolumeStatusSpec = describeSpec[volumeStatus]{
	checkIDs: eachID(checkVolumeID),
	checkMax: func(max *int) error { return nil },
	fields:   volumeStatusFields,
	list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[volumeStatus], error) {
		all := s.zoneVolumes(s.tenants[c.scope], s.cfg.now())
		if id, ok := firstMissing(ids, func(id string) bool {
			return slices.ContainsFunc(all, func(v *ebsVolume) bool { return v.id == id })
		}); ok {
			return nil, volumeNotFound(id)
		}
		var out []volumeStatus
		for _, v := range all {
			if (len(ids) == 0 || slices.Contains(ids, v.id)) && v.state != volCreating && v.state != volDeleting {
				out = append(out, volumeStatus{v})
			}
		}
		return slices.Values(out), nil
	},
	emit: func(s *Server, c *call, page []volumeStatus, next string) any {
		out := &xmlproto.DescribeVolumeStatusResponse{VolumeStatuses: []xmlproto.VolumeStatusItem{}, NextToken: next}
		for _, v := range page {
			it := xmlproto.VolumeStatusItem{VolumeID: v.id, AvailabilityZone: v.az,
				VolumeStatus: xmlproto.VolumeStatusInfo{Status: v.status(), Details: []xmlproto.StatusDetail{
					{Name: "io-enabled", Status: cmpOr(map[bool]string{true: "failed"}[v.state == volError], "passed")},
					{Name: "io-performance", Status: "not-applicable"},
				}},
				Actions: []xmlproto.VolumeStatusAction{}, Events: []xmlproto.VolumeStatusEvent{}}
			out.VolumeStatuses = append(out.VolumeStatuses, it)
		}
		return out
	},
}

func (s *Server) describeVolumeAttribute(ctx context.Context, c *call, req *xmlproto.DescribeVolumeAttributeRequest) (any, error) {
	if err := checkVolumeID(req.VolumeID); err != nil {
		return nil, err
	}
	switch req.Attribute {
	case "":
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter attribute")
	case "autoEnableIO", "productCodes":
	default:
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter attribute is invalid. Valid values: autoEnableIO, productCodes.", req.Attribute)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	z := s.tenants[c.scope]
	if z == nil {
		return nil, volumeNotFound(req.VolumeID)
	}
	var v *ebsVolume
	for _, x := range s.zoneVolumes(z, s.cfg.now()) {
		if x.id == req.VolumeID {
			v = x
		}
	}
	if v == nil {
		return nil, volumeNotFound(req.VolumeID)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	out := &xmlproto.DescribeVolumeAttributeResponse{VolumeID: v.id}
	if req.Attribute == "autoEnableIO" {
		b := v.autoEnableIO
		out.AutoEnableIO = &xmlproto.AttributeBooleanValue{Value: &b}
	} else {
		out.ProductCodes = &[]xmlproto.ProductCode{}
	}
	return out, nil
}

func (s *Server) modifyVolumeAttribute(ctx context.Context, c *call, req *xmlproto.ModifyVolumeAttributeRequest) (any, error) {
	if err := checkVolumeID(req.VolumeID); err != nil {
		return nil, err
	}
	if req.AutoEnableIO == nil || req.AutoEnableIO.Value == nil {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter autoEnableIO")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	v, err := s.findVolume(z, req.VolumeID, func(inst *instance) error {
		return apiErr(ErrUnsupportedOperation, "The root volume '%s' of %s is the machine's own disk: ec2emu keeps no attributes for it.", req.VolumeID, inst.id)
	})
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	v.autoEnableIO = *req.AutoEnableIO.Value
	s.touchVolume(z, v)
	return &xmlproto.Return{Return: true}, nil
}
