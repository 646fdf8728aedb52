package ec2emu

import (
	"time"

	"github.com/ec2emu/ec2emu/xmlproto"
)

// volumeRec is an ebsVolume in the state store (bucketVolumes, one record
// per volume under its tenant's key).
type volumeRec struct {
	Order        int                           `json:"order"`
	ID           string                        `json:"id"`
	AZ           string                        `json:"az"`
	AZID         string                        `json:"azId,omitempty"`
	Size         int                           `json:"size"`
	Type         string                        `json:"type"`
	Iops         int                           `json:"iops,omitempty"`
	Throughput   int                           `json:"throughput,omitempty"`
	Encrypted    bool                          `json:"encrypted,omitempty"`
	KmsKey       string                        `json:"kmsKey,omitempty"`
	Snapshot     string                        `json:"snapshot,omitempty"`
	SnapData     string                        `json:"snapData,omitempty"`
	Created      time.Time                     `json:"created"`
	State        string                        `json:"state"`
	Tags         []xmlproto.Tag                `json:"tags,omitempty"`
	NoData       bool                          `json:"noData,omitempty"`
	Root         bool                          `json:"root,omitempty"`
	AutoEnableIO bool                          `json:"autoEnableIO,omitempty"`
	Token        string                        `json:"token,omitempty"`
	Att          *volAttachmentRec             `json:"attachment,omitempty"`
	Mods         []xmlproto.VolumeModification `json:"mods,omitempty"`
}

type volAttachmentRec struct {
	Instance     string    `json:"instance"`
	Device       string    `json:"device"`
	At           time.Time `json:"at"`
	DeleteOnTerm bool      `json:"deleteOnTermination"`
	State        string    `json:"state"`
}

func volumeRecOf(order int, v *ebsVolume, token string) volumeRec {
	r := volumeRec{Order: order, ID: v.id, AZ: v.az, AZID: v.azID, Size: v.size, Type: v.typ, Iops: v.iops,
		Throughput: v.throughput, Encrypted: v.encrypted, KmsKey: v.kmsKey, Snapshot: v.snapshotID, SnapData: v.snapData,
		Created: v.created, State: v.state, Tags: v.tags, NoData: v.noData, Root: v.root, AutoEnableIO: v.autoEnableIO,
		Token: token}
	if a := v.att; a != nil {
		r.Att = &volAttachmentRec{Instance: a.instanceID, Device: a.device, At: a.at, DeleteOnTerm: a.deleteOnTerm, State: a.state}
	}
	for _, m := range v.mods {
		r.Mods = append(r.Mods, m.VolumeModification)
	}
	return r
}

func volumeFromRec(r volumeRec) *ebsVolume {
	v := &ebsVolume{id: r.ID, az: r.AZ, azID: r.AZID, size: r.Size, typ: r.Type, iops: r.Iops, throughput: r.Throughput,
		encrypted: r.Encrypted, kmsKey: r.KmsKey, snapshotID: r.Snapshot, snapData: r.SnapData, created: r.Created,
		state: r.State, tags: r.Tags, noData: r.NoData, root: r.Root, autoEnableIO: r.AutoEnableIO}
	if a := r.Att; a != nil {
		v.att = &volAttachment{instanceID: a.Instance, device: a.Device, at: a.At, deleteOnTerm: a.DeleteOnTerm, state: a.State}
	}
	for _, m := range r.Mods {
		v.mods = append(v.mods, &volumeMod{m})
	}
	return v
}

// resumeVolumes carries out the volume work the earlier process accepted
// but did not finish: creates, deletes, attaches and detaches. The backend's
// calls are idempotent, so one done already is harmless. Called once, after
// the first adoption.
func (s *Server) resumeVolumes() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.volumer() == nil {
		return
	}
	for _, z := range s.tenants {
		for _, v := range z.volumes {
			switch {
			case v.noData:
			case v.state == volDeleting:
				s.dropVolume(z, v)
			case v.state == volCreating && (v.att == nil || v.att.state != "attaching"):
				s.makeVolume(z, v) // a mapped volume's is made by its launch
			case v.att != nil:
				inst := s.instances[v.att.instanceID]
				switch {
				case inst == nil:
				case v.att.state == "attaching" && inst.spec == nil && inst.state != statePending:
					s.attachData(inst, v)
				case v.att.state == "detaching" && inst.state != stateShuttingDown && inst.state != stateTerminated:
					s.detachData(inst, v)
				}
			}
		}
	}
}
