package ec2emu

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// EBS volumes. An instance's root volume is its machine's own disk: it is
// shown from the instance (rootVolume) while the instance lives. Every other
// volume is an ebsVolume of its tenant: made by CreateVolume, or by a
// BlockDeviceMapping at launch, or left behind by a terminated instance whose
// mapping said DeleteOnTermination=false. On a backend that is a
// backend.Volumer it holds data, visible inside each instance it is attached
// to at backend.VolumePath(device) (docs/volumes.md).

// ebsVolume is a volume the Server keeps apart from any instance.
type ebsVolume struct {
	id, az, azID     string
	size             int
	typ              string
	iops, throughput int
	encrypted        bool
	kmsKey           string
	snapshotID       string
	snapData         string // the backend data of snapshotID it is made from, while creating
	created          time.Time
	// state is creating, available, deleting or error; in-use is shown
	// while att is set.
	state        string
	tags         []xmlproto.Tag
	att          *volAttachment
	noData       bool // the backend keeps no data for it (see dataless)
	root         bool // it was an instance's root volume
	autoEnableIO bool
	mods         []*volumeMod // ModifyVolume, oldest first

	// lastOp is closed when the last backend call queued on this volume
	// has ended (volumeOp).
	lastOp chan struct{}
}

// volAttachment ties a volume to an instance at a device.
type volAttachment struct {
	instanceID, device string
	at                 time.Time
	deleteOnTerm       bool
	state              string // attaching, attached, detaching
}

// volumeMod is one ModifyVolume.
type volumeMod struct {
	xmlproto.VolumeModification
}

// Volume states (VolumeState) and attachment states.
const (
	volCreating  = "creating"
	volAvailable = "available"
	volInUse     = "in-use"
	volDeleting  = "deleting"
	volError     = "error"
)

// deviceRe is what AttachVolume accepts as a device name: the Linux names
// of the EC2 documentation (/dev/sd[a-z], /dev/xvd[a-z], /dev/xvd[b-c][a-z],
// each optionally with a partition number), and the Windows xvd[f-z] names.
var deviceRe = regexp.MustCompile(`^(/dev/(sd[a-z]|xvd[a-z]|xvd[b-c][a-z]|hd[a-z])([1-9]|1[0-5])?|xvd[a-z]|xvd[b-c][a-z])$`)

// volume returns z's volume id, or nil.
func (z *tenant) volume(id string) *ebsVolume {
	for _, v := range z.volumes {
		if v.id == id {
			return v
		}
	}
	return nil
}

// volumer returns the backend's volume capability, or nil when it has none
// or says its volumes do not work here (backend.VolumeChecker).
func (s *Server) volumer() backend.Volumer {
	v, _ := s.b.(backend.Volumer)
	if c, ok := v.(backend.VolumeChecker); ok && c.VolumesAvailable() != nil {
		return nil
	}
	return v
}

// noVolumes is the answer to a volume action on a backend without volume
// data.
func (s *Server) noVolumes() error {
	why := "it keeps no volume data"
	if c, ok := s.b.(backend.VolumeChecker); ok {
		if err := c.VolumesAvailable(); err != nil {
			why = err.Error()
		}
	}
	return apiErr(ErrUnsupportedOperation, "Volumes are not supported by this backend: %s (docs/volumes.md).", why)
}

// shownState is the volume's VolumeState.
func (v *ebsVolume) shownState() string {
	if v.att != nil {
		return volInUse
	}
	return v.state
}

// rootVolume is inst's root volume as DescribeVolumes shows it, or nil once
// the instance is terminated. Callers hold s.mu.
func rootVolume(inst *instance) *ebsVolume {
	if inst.state == stateTerminated || len(inst.attrs.Volumes) == 0 {
		return nil
	}
	r := &inst.attrs.Volumes[0]
	return &ebsVolume{
		id: volumeID(inst.id, *r), az: inst.az, size: r.Size, typ: r.Type, iops: r.Iops, throughput: r.Throughput,
		encrypted: r.Encrypted, snapshotID: amiSnapshotID(inst.imageID), created: inst.launchTime,
		state: volInUse, tags: r.Tags, noData: true, root: true,
		att: &volAttachment{instanceID: inst.id, device: r.Device, at: inst.launchTime,
			deleteOnTerm: r.DeleteOnTermination, state: attachmentState(inst)},
	}
}

// amiSnapshotID is the snapshot an AMI's root device mapping names.
func amiSnapshotID(imageID string) string { return "snap-" + imageID[len("ami-"):] }

// view is the volume as DescribeVolumes and CreateVolume show it.
func (v *ebsVolume) view() xmlproto.Volume {
	out := xmlproto.Volume{
		VolumeID: v.id, Size: v.size, SnapshotID: v.snapshotID, AvailabilityZone: v.az, State: v.shownState(),
		CreateTime: v.created, Tags: v.tags, VolumeType: v.typ, Iops: v.iops, Throughput: v.throughput,
		Encrypted: v.encrypted, KmsKeyID: v.kmsKey, Attachments: []xmlproto.VolumeAttachment{},
	}
	if a := v.att; a != nil {
		out.Attachments = append(out.Attachments, xmlproto.VolumeAttachment{
			VolumeID: v.id, InstanceID: a.instanceID, Device: a.device, State: a.state,
			AttachTime: a.at, DeleteOnTermination: a.deleteOnTerm,
		})
	}
	return out
}

func (v *ebsVolume) attachmentView() *xmlproto.VolumeAttachmentResponse {
	a := v.att
	return &xmlproto.VolumeAttachmentResponse{VolumeID: v.id, InstanceID: a.instanceID, Device: a.device,
		State: a.state, AttachTime: a.at, DeleteOnTermination: a.deleteOnTerm}
}

// touchVolume marks v's records dirty: the tenant's volumes, and the view of
// the instance it is attached to. Callers hold s.mu (write).
func (s *Server) touchVolume(z *tenant, v *ebsVolume) {
	if v.att != nil {
		if inst := s.instances[v.att.instanceID]; inst != nil {
			inst.volGen++
			s.touch(inst)
		}
	}
	s.touchTenant(z, partVolumes)
}

// volumeOp runs op on v's data in a goroutine the Server owns, after the
// calls queued on v before it, and records the outcome with done under s.mu,
// as background does for machines. Callers hold s.mu (write).
func (s *Server) volumeOp(z *tenant, v *ebsVolume, what string, op func(ctx context.Context) error, done func(err error)) {
	s.touchVolume(z, v)
	if s.closed {
		return // the state the request set is stored; the next start finishes it (resumeVolumes)
	}
	prev, mine := v.lastOp, make(chan struct{})
	v.lastOp = mine
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(mine)
		if prev != nil {
			<-prev
		}
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.backendTimeout)
		err := s.untilAvailable(ctx, func() error { return op(ctx) })
		cancel()
		if err != nil {
			s.log.Warn("backend volume call failed", "op", what, "volume", v.id, "err", err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil && s.ctx.Err() != nil {
			// Cut short by Close: the stored state (creating, deleting)
			// stands, and the next start finishes it (resumeVolumes).
			return
		}
		done(err)
		s.touchVolume(z, v)
	}()
}

// makeVolume creates v's data (CreateVolume, or a mapping at launch).
// Callers hold s.mu (write).
func (s *Server) makeVolume(z *tenant, v *ebsVolume) {
	vb := s.volumer()
	spec := backend.VolumeSpec{ID: v.id, SizeGiB: v.size, SnapshotID: v.snapData}
	s.volumeOp(z, v, "create volume", func(ctx context.Context) error {
		return createVolumeData(ctx, vb, spec)
	}, func(err error) {
		if v.state != volCreating {
			return
		}
		v.snapData = ""
		if err != nil {
			v.state = volError
			return
		}
		v.state = volAvailable
	})
}

// dropVolume deletes v and its data. Callers hold s.mu (write).
func (s *Server) dropVolume(z *tenant, v *ebsVolume) {
	v.state = volDeleting
	if v.noData || s.volumer() == nil {
		// No data to delete (or none this backend can reach).
		z.volumes = slices.DeleteFunc(z.volumes, func(x *ebsVolume) bool { return x == v })
		s.touchTenant(z, partVolumes)
		return
	}
	vb := s.volumer()
	s.volumeOp(z, v, "delete volume", func(ctx context.Context) error {
		return vb.DeleteVolume(ctx, v.id)
	}, func(err error) {
		if err != nil && !errors.Is(err, backend.ErrNotFound) {
			v.state = volError
			return
		}
		z.volumes = slices.DeleteFunc(z.volumes, func(x *ebsVolume) bool { return x == v })
	})
}

// volumesEnded settles the volumes of an instance that has just been
// terminated: those whose mapping says DeleteOnTermination are deleted, the
// others become available, the root volume included (without data: it was
// the machine's own disk). Its machine is gone, and the backend released
// its attachments with it. Callers hold s.mu (write).
func (s *Server) volumesEnded(inst *instance) {
	z := inst.tenant
	for _, v := range inst.vols {
		dot := v.att.deleteOnTerm
		v.att = nil
		s.touchTenant(z, partVolumes)
		switch {
		case dot:
			s.dropVolume(z, v)
		case v.state == volCreating, v.state == volError:
			// creating: its create is queued and makes it available;
			// error: it stays so
		default:
			v.state = volAvailable
		}
	}
	if len(inst.vols) > 0 {
		inst.vols = nil
		inst.volGen++
	}
	if len(inst.attrs.Volumes) == 0 {
		return
	}
	// The root volume is settled once: it leaves the instance's record,
	// so a later call (a restart's reconcile) cannot bring it back after
	// it was deleted.
	defer func() { inst.attrs.Volumes = nil }()
	if !inst.attrs.Volumes[0].DeleteOnTermination {
		r := inst.attrs.Volumes[0]
		id := volumeID(inst.id, r)
		if z.volume(id) == nil {
			z.volumes = append(z.volumes, &ebsVolume{
				id: id, az: inst.az, size: r.Size, typ: r.Type, iops: r.Iops, throughput: r.Throughput,
				encrypted: r.Encrypted, snapshotID: amiSnapshotID(inst.imageID), created: inst.launchTime,
				state: volAvailable, tags: r.Tags, noData: true, root: true,
			})
			s.touchTenant(z, partVolumes)
		}
	}
}

// splitVolumes turns the volumes of inst's block device mappings beyond
// its root into volumes of its tenant, attached to it (or, once it is
// terminated, kept available as DeleteOnTermination says), and links the
// tenant's volumes attached to it. RunInstances, restore and adoption call
// it; a volume already known keeps its record. Callers hold s.mu (write).
func (s *Server) splitVolumes(inst *instance) {
	z := s.tenant(inst.tenant.scope)
	if len(inst.attrs.Volumes) > 1 {
		for _, r := range inst.attrs.Volumes[1:] {
			id := volumeID(inst.id, r)
			if z.volume(id) != nil || inst.state == stateTerminated && r.DeleteOnTermination {
				continue
			}
			v := &ebsVolume{
				id: id, az: inst.az, size: r.Size, typ: r.Type, iops: r.Iops, throughput: r.Throughput,
				encrypted: r.Encrypted, snapshotID: r.Snapshot, created: inst.launchTime, state: volAvailable,
				tags: r.Tags, noData: s.volumer() == nil,
			}
			if inst.state != stateTerminated {
				v.att = &volAttachment{instanceID: inst.id, device: r.Device, at: inst.launchTime,
					deleteOnTerm: r.DeleteOnTermination, state: "attached"}
			}
			z.volumes = append(z.volumes, v)
			s.touchTenant(z, partVolumes)
		}
		inst.attrs.Volumes = inst.attrs.Volumes[:1:1]
	}
	s.linkVolumes(inst)
}

// linkVolumes sets inst.vols: the volumes of its tenant attached to it, in
// the tenant's order, so that the order is the same after a restart.
// Callers hold s.mu (write).
func (s *Server) linkVolumes(inst *instance) {
	var vols []*ebsVolume
	for _, v := range inst.tenant.volumes {
		if v.att != nil && v.att.instanceID == inst.id {
			vols = append(vols, v)
		}
	}
	inst.vols = vols
	inst.volGen++
}

// launchVolumes makes the volumes of a new instance's block device
// mappings (splitVolumes) and asks the backend to attach them before the
// machine first runs; their data is created by the launch (launch). Callers
// hold s.mu (write).
func (s *Server) launchVolumes(c *call, inst *instance, spec *backend.LaunchSpec) {
	s.splitVolumes(inst)
	for _, v := range inst.vols {
		v.att.state = "attaching"
		if !v.noData {
			v.state = volCreating
			if v.snapshotID != "" {
				v.snapData, _, _ = s.restorableSnapshot(inst.tenant, c, v.snapshotID) // checked by mappedSnapshots
			}
			spec.Volumes = append(spec.Volumes, backend.VolumeAttachment{VolumeID: v.id, Device: v.att.device})
		}
	}
}

// volumeSpecs are the volumes inst's launch must create first: those of its
// mappings still creating. Callers hold s.mu.
func (s *Server) volumeSpecs(inst *instance) []backend.VolumeSpec {
	if s.volumer() == nil {
		return nil
	}
	var out []backend.VolumeSpec
	for _, v := range inst.vols {
		if v.state == volCreating && !v.noData {
			out = append(out, backend.VolumeSpec{ID: v.id, SizeGiB: v.size, SnapshotID: v.snapData})
		}
	}
	return out
}

// launched records the outcome of inst's launch for its mapped volumes.
// Callers hold s.mu (write).
func (s *Server) launched(inst *instance, err error, made map[string]bool) {
	for _, v := range inst.vols {
		if v.state == volCreating {
			v.state, v.snapData = volAvailable, ""
			if !made[v.id] {
				v.state = volError
			}
		}
		if err == nil && v.att.state == "attaching" {
			v.att.state = "attached"
		}
		s.touchVolume(inst.tenant, v)
	}
}

// mappedSnapshots checks the snapshots RunInstances' mappings beyond the
// root name: each must be one c may make a volume from. Callers hold s.mu.
func (s *Server) mappedSnapshots(z *tenant, c *call, a instanceAttrs) error {
	if s.volumer() == nil {
		return nil // the volumes hold no data: the snapshot is a record only
	}
	for _, r := range a.Volumes[1:] {
		if r.Snapshot != "" {
			if _, _, err := s.restorableSnapshot(z, c, r.Snapshot); err != nil {
				return err
			}
		}
	}
	return nil
}

// createVolumeData makes a volume's data. Data left by an attempt that a
// restart cut short (the volume is still creating, so nobody has used it)
// is replaced, unless a machine has it attached: then a launch resumed
// after the restart finds the volume its first attempt made and mounted.
func createVolumeData(ctx context.Context, vb backend.Volumer, spec backend.VolumeSpec) error {
	err := vb.CreateVolume(ctx, spec)
	if !errors.Is(err, backend.ErrInvalidState) {
		return err
	}
	if err := vb.DeleteVolume(ctx, spec.ID); errors.Is(err, backend.ErrInvalidState) {
		return nil // attached: made and mounted by the launch being resumed
	} else if err != nil {
		return err
	}
	return vb.CreateVolume(ctx, spec)
}
