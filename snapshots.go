package ec2emu

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/statestore"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// EBS snapshots (docs/snapshots.md). A snapshot is a record of the Server's
// in s.snapshots, owned by one account in one region and shared with others
// by its createVolumePermission. Its data is a backend snapshot made by
// backend.Volumer.CreateSnapshot from a volume's data; snapshots never
// change, so a copy (CopySnapshot) uses its source's data rather than
// copying it, and the data is deleted once no record uses it.
//
// An AMI that an account made (CreateImage, CopyImage, RegisterImage) also
// shows its root snapshot, amiSnapshotID(ami), to that account. It is not a
// record: it exists while the AMI does, and holds no data here, since the
// AMI's root is the engine's image rather than a volume.

// snapshot is an EBS snapshot.
type snapshot struct {
	id          string
	owner       scope
	volumeID    string
	size        int
	description string
	started     time.Time
	completed   time.Time
	state       string // snapPending, snapCompleted or snapError
	message     string // statusMessage of a snapshot in error
	// data is the backend snapshot that holds its files: its own ID, or,
	// for a copy, its source's data.
	data      string
	copy      bool // made by CopySnapshot: completes without a backend call
	encrypted bool
	kmsKey    string
	tags      []xmlproto.Tag
	users     []string // accounts with createVolumePermission, sorted
	public    bool     // createVolumePermission Group=all

	ami string // set on an AMI's root snapshot (not a record): the AMI
}

// Snapshot states (SnapshotState).
const (
	snapPending   = "pending"
	snapCompleted = "completed"
	snapError     = "error"
)

// snapIDRe: snap- and hex digits; AMI root snapshots share their AMI's
// digits, which backend.ValidImageID allows up to 32 of.
var snapIDRe = regexp.MustCompile(`^snap-[0-9a-f]{1,32}$`)

func checkSnapshotID(id string) error {
	if id == "" {
		return apiErr(ErrMissingParameter, "The request must contain the parameter snapshotId")
	}
	if !snapIDRe.MatchString(id) {
		// DescribeSnapshots answers InvalidSnapshotID.Malformed for a
		// snapshot ID it cannot read (seen in cloud-custodian#1738 and
		// #2135, which catch it); the other snapshot actions are assumed to
		// answer the same (not verified).
		return apiErr(ErrInvalidSnapshotIDMalformed, "Invalid id: \"%s\" (expecting \"snap-...\")", id)
	}
	return nil
}

// snapshotNotFound is the answer for a snapshot that does not exist or
// that the caller may not see: moto's text, and the placeholder's before
// this file (AWS's text for these actions is not verified).
func snapshotNotFound(id string) error {
	return apiErr(ErrInvalidSnapshotNotFound, "The snapshot '%s' does not exist.", id)
}

// visibleTo reports whether an account in sc may see and restore sn: its
// own, or shared with it, or public, in sc's region.
func (sn *snapshot) visibleTo(sc scope) bool {
	return sn.owner.region == sc.region && (sn.owner.account == sc.account || sn.public || slices.Contains(sn.users, sc.account))
}

func (sn *snapshot) progress() string {
	if sn.state == snapCompleted {
		return "100%"
	}
	return "0%"
}

// view is sn as DescribeSnapshots and CreateSnapshot show it.
func (sn *snapshot) view() xmlproto.Snapshot {
	out := xmlproto.Snapshot{SnapshotID: sn.id, VolumeID: sn.volumeID, State: sn.state, StateMessage: sn.message,
		StartTime: sn.started, Progress: sn.progress(), OwnerID: sn.owner.account, VolumeSize: sn.size,
		Description: sn.description, Encrypted: sn.encrypted, KmsKeyID: sn.kmsKey, Tags: sn.tags, StorageTier: "standard"}
	if !sn.completed.IsZero() {
		t := sn.completed
		out.CompletionTime = &t
	}
	return out
}

// touchSnapshot marks id's record dirty. Callers hold s.mu (write).
func (s *Server) touchSnapshot(id string) {
	if s.store == nil {
		return
	}
	if s.dirty.snapshots == nil {
		s.dirty.snapshots = map[string]struct{}{}
	}
	s.dirty.snapshots[id] = struct{}{}
	s.changed()
}

// addSnapshot records sn and starts making its data. Callers hold s.mu
// (write).
func (s *Server) addSnapshot(sn *snapshot) {
	if s.snapshots == nil {
		s.snapshots = map[string]*snapshot{}
	}
	s.snapshots[sn.id] = sn
	s.touchSnapshot(sn.id)
	s.runSnapshot(sn)
}

// runSnapshot finishes pending snapshot sn: a copy at once (its data is
// its source's), any other by the backend, after the calls queued on its
// volume. Callers hold s.mu (write).
func (s *Server) runSnapshot(sn *snapshot) {
	done := func(err error) {
		s.touchSnapshot(sn.id)
		if s.snapshots[sn.id] != sn {
			s.releaseData(sn) // deleted while it was being made
			return
		}
		if err != nil && s.ctx.Err() != nil {
			return // cut short by Close: still pending, for the next start
		}
		if err != nil {
			sn.state, sn.message = snapError, "The snapshot could not be made: "+err.Error()
			return
		}
		sn.state, sn.completed = snapCompleted, s.cfg.now().UTC().Truncate(time.Millisecond)
	}
	if sn.copy {
		s.later("copy snapshot", func(context.Context) error { return nil }, done)
		return
	}
	vb := s.volumer()
	if vb == nil {
		done(errors.New("the backend keeps no volume data"))
		return
	}
	op := func(ctx context.Context) error {
		err := vb.CreateSnapshot(ctx, sn.volumeID, sn.id)
		if errors.Is(err, backend.ErrInvalidState) {
			// Data of an attempt a restart cut short: the snapshot is
			// still pending, so nobody has used it. Take it again.
			if err := vb.DeleteSnapshot(ctx, sn.id); err != nil {
				return err
			}
			err = vb.CreateSnapshot(ctx, sn.volumeID, sn.id)
		}
		return err
	}
	if z := s.tenants[sn.owner]; z != nil {
		if v := z.volume(sn.volumeID); v != nil {
			s.volumeOp(z, v, "create snapshot", op, done)
			return
		}
	}
	// The volume has no record (it was deleted, or this start has not
	// loaded it): its data, if the backend still has it, is all there is.
	s.later("create snapshot", op, done)
}

// later runs op in a goroutine the Server owns and records the outcome
// with done under s.mu. Once Close has begun it does nothing: the stored
// state is finished by the next start (resumeSnapshots). Callers hold s.mu
// (write).
func (s *Server) later(what string, op func(ctx context.Context) error, done func(err error)) {
	if s.closed {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.backendTimeout)
		err := s.untilAvailable(ctx, func() error { return op(ctx) })
		cancel()
		if err != nil {
			s.log.Warn("backend snapshot call failed", "op", what, "err", err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if done != nil {
			done(err)
		}
	}()
}

// dataInUse reports whether a snapshot record uses backend snapshot data.
// Callers hold s.mu.
func (s *Server) dataInUse(data string) bool {
	for _, sn := range s.snapshots {
		if sn.data == data {
			return true
		}
	}
	return false
}

// dropSnapshot deletes sn's record, and its data once no other record uses
// it. A snapshot still being made releases its data when the backend is
// done (runSnapshot). Callers hold s.mu (write).
func (s *Server) dropSnapshot(sn *snapshot) {
	delete(s.snapshots, sn.id)
	s.touchSnapshot(sn.id)
	if sn.state != snapPending || sn.copy {
		s.releaseData(sn)
	}
}

// releaseData deletes the backend data of deleted snapshot sn once no
// record uses it any more, after the volumes still being made from it (or
// from another deleted snapshot, which may have shared it) are made.
// Callers hold s.mu (write).
func (s *Server) releaseData(sn *snapshot) {
	vb := s.volumer()
	if sn.data == "" || vb == nil || s.dataInUse(sn.data) {
		return
	}
	var restores []chan struct{}
	for _, z := range s.tenants {
		for _, v := range z.volumes {
			if v.state == volCreating && v.snapshotID != "" && v.lastOp != nil && (v.snapshotID == sn.id || s.snapshots[v.snapshotID] == nil) {
				restores = append(restores, v.lastOp)
			}
		}
	}
	data := sn.data
	s.later("delete snapshot", func(ctx context.Context) error {
		for _, done := range restores {
			select {
			case <-done:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := vb.DeleteSnapshot(ctx, data); err != nil && !errors.Is(err, backend.ErrNotFound) {
			return err
		}
		return nil
	}, nil)
}

// imageSource is where an AMI the caller owns came from, for its root
// snapshot's description.
type imageSource struct {
	instance string // CreateImage's instance
	from     string // CopyImage's "<region>/<ami>", RegisterImage's location or snapshot
}

// amiSnapshots are the root snapshots of the AMIs sc owns, given the
// backend's images. Callers hold s.mu.
func (s *Server) amiSnapshots(sc scope, imgs []backend.Image) []*snapshot {
	srcs := map[string]imageSource{}
	for _, img := range imgs {
		srcs[img.ID] = imageSource{img.Metadata[mdImageSource], img.Metadata[mdImageFrom]}
	}
	for id, im := range s.images {
		if _, ok := srcs[id]; !ok {
			srcs[id] = imageSource{im.sourceInstance, im.copyOf}
		}
	}
	var out []*snapshot
	for _, v := range s.visibleImages(sc, imgs) {
		if v.owner != sc.account || v.alias != "" {
			continue
		}
		src := srcs[v.id]
		sn := &snapshot{id: amiSnapshotID(v.id), owner: sc, size: rootVolumeSize, started: v.created,
			state: snapCompleted, ami: v.id, volumeID: "vol-ffffffff"}
		switch backend.ImageState(v.state) {
		case backend.ImageAvailable:
			sn.completed = v.created
		case backend.ImagePending:
			sn.state = snapPending
		default:
			sn.state = snapError
		}
		// AWS's wording for CreateImage; the others are ec2emu's, in its style.
		switch {
		case src.instance != "":
			sn.volumeID = "vol-" + strings.TrimPrefix(src.instance, "i-")
			sn.description = "Created by CreateImage(" + src.instance + ") for " + v.id
		case strings.Contains(src.from, "/ami-"):
			_, from, _ := strings.Cut(src.from, "/")
			sn.description = "Copied for DestinationAmi " + v.id + " from SourceAmi " + from + " for SourceSnapshot " + amiSnapshotID(from)
		case src.from != "":
			sn.description = "Created by RegisterImage for " + v.id + " from " + src.from
		default:
			sn.description = "Created for " + v.id
		}
		out = append(out, sn)
	}
	return out
}

// amiOfSnapshot returns the AMI whose root snapshot id would be, if the
// Server knows it: one in flight, or in the backend's last listing. Callers
// hold s.mu.
func (s *Server) amiOfSnapshot(sc scope, id string) (string, bool) {
	ami := "ami-" + strings.TrimPrefix(id, "snap-")
	if !backend.ValidImageID(ami) {
		return "", false
	}
	if im := s.images[ami]; im != nil && im.region == sc.region {
		return ami, true
	}
	s.lastImagesMu.Lock()
	imgs := s.lastImages
	s.lastImagesMu.Unlock()
	for _, img := range imgs {
		if img.ID == ami {
			return ami, true
		}
	}
	return "", false
}

// restorableSnapshot returns the backend data of snapshot id, which c may
// make volumes from, and its size in GiB. Callers hold s.mu.
func (s *Server) restorableSnapshot(z *tenant, c *call, id string) (data string, size int, err error) {
	if err := checkSnapshotID(id); err != nil {
		return "", 0, err
	}
	sn := s.snapshots[id]
	if sn == nil || !sn.visibleTo(c.scope) {
		if ami, ok := s.amiOfSnapshot(c.scope, id); ok && sn == nil {
			return "", 0, apiErr(ErrUnsupportedOperation, "Snapshot %s is the root snapshot of %s: it holds no data in ec2emu, where an AMI's root is the engine's image. Launch the AMI instead (docs/snapshots.md).", id, ami)
		}
		// Another account's snapshot not shared with c is as unknown to
		// it as one that does not exist. CreateVolume's text, as quoted
		// (through aws-sdk-go's "code: message") in kvnn/OrdControl#2 and
		// #13 for a snapshot not made public.
		return "", 0, apiErr(ErrInvalidSnapshotNotFound, "Snapshot does not exist")
	}
	if sn.state != snapCompleted {
		// AWS's text, quoted in velero-io/velero#1799.
		return "", 0, apiErr(ErrIncorrectState, "Snapshot is in invalid state - %s", sn.state)
	}
	return sn.data, sn.size, nil
}

// Persistence: one record per snapshot in bucketSnapshots, keyed by ID
// (snapshots are shared across accounts, like imageshares).

type snapshotRec struct {
	ID          string         `json:"id"`
	Account     string         `json:"account"`
	Region      string         `json:"region"`
	VolumeID    string         `json:"volumeId"`
	Size        int            `json:"size"`
	Description string         `json:"description,omitempty"`
	Started     time.Time      `json:"started"`
	Completed   time.Time      `json:"completed,omitzero"`
	State       string         `json:"state"`
	Message     string         `json:"message,omitempty"`
	Data        string         `json:"data"`
	Copy        bool           `json:"copy,omitempty"`
	Encrypted   bool           `json:"encrypted,omitempty"`
	KmsKey      string         `json:"kmsKey,omitempty"`
	Tags        []xmlproto.Tag `json:"tags,omitempty"`
	Users       []string       `json:"users,omitempty"`
	Public      bool           `json:"public,omitempty"`
}

// takeDirtySnapshots encodes the dirty snapshot records and clears the
// set. Callers hold s.mu (write).
func (s *Server) takeDirtySnapshots() []statestore.Op {
	var ops []statestore.Op
	for id := range s.dirty.snapshots {
		op := statestore.Op{Bucket: bucketSnapshots, Key: []byte(id)}
		if sn := s.snapshots[id]; sn != nil {
			op.Value = mustJSON(snapshotRec{ID: sn.id, Account: sn.owner.account, Region: sn.owner.region,
				VolumeID: sn.volumeID, Size: sn.size, Description: sn.description, Started: sn.started,
				Completed: sn.completed, State: sn.state, Message: sn.message, Data: sn.data, Copy: sn.copy,
				Encrypted: sn.encrypted, KmsKey: sn.kmsKey, Tags: sn.tags, Users: sn.users, Public: sn.public})
		}
		ops = append(ops, op)
	}
	clear(s.dirty.snapshots)
	return ops
}

// loadSnapshots reads the snapshot records with each (load's reader), and
// has the snapshots that were pending when the last process stopped
// finished once the Server is ready.
func (s *Server) loadSnapshots(each func(bucket string, fn func(k, v []byte) error) error) error {
	if s.snapshots == nil {
		s.snapshots = map[string]*snapshot{}
	}
	pending := false
	if err := each(bucketSnapshots, func(k, v []byte) error {
		var r snapshotRec
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if r.ID != string(k) || r.Account == "" || r.Region == "" {
			return errors.New("incomplete snapshot record")
		}
		s.snapshots[r.ID] = &snapshot{id: r.ID, owner: scope{account: r.Account, region: r.Region}, volumeID: r.VolumeID,
			size: r.Size, description: r.Description, started: r.Started, completed: r.Completed, state: r.State,
			message: r.Message, data: r.Data, copy: r.Copy, encrypted: r.Encrypted, kmsKey: r.KmsKey, tags: r.Tags,
			users: r.Users, public: r.Public}
		pending = pending || r.State == snapPending
		return nil
	}); err != nil {
		return err
	}
	if pending {
		s.wg.Add(1)
		go s.resumeSnapshots()
	}
	return nil
}

// resumeSnapshots finishes the snapshots left pending by an earlier
// process, once the backend's machines are adopted: the backend's
// CreateSnapshot of the same volume into the same snapshot is made again.
func (s *Server) resumeSnapshots() {
	defer s.wg.Done()
	select {
	case <-s.ready:
	case <-s.ctx.Done():
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.failed != nil {
		return
	}
	var pending []*snapshot
	for _, sn := range s.snapshots {
		if sn.state == snapPending {
			pending = append(pending, sn)
		}
	}
	slices.SortFunc(pending, func(a, b *snapshot) int { return cmp.Compare(a.id, b.id) })
	for _, sn := range pending {
		s.runSnapshot(sn)
	}
}

// rootSnapshotOf returns the snapshot RegisterImage's root device mapping
// names, if any. ec2emu AMIs have one device, the root: a snapshot on any
// other is refused.
func rootSnapshotOf(req *xmlproto.RegisterImageRequest) (string, error) {
	root := cmpOr(req.RootDeviceName, "/dev/xvda")
	snap := ""
	for _, m := range req.BlockDeviceMappings {
		if m.Ebs == nil || m.Ebs.SnapshotID == "" {
			continue
		}
		if m.DeviceName != root || snap != "" {
			return "", apiErr(ErrUnsupportedOperation, "Only the root device (%s) of an ec2emu AMI can come from a snapshot; %s on %s cannot (docs/snapshots.md).", root, m.Ebs.SnapshotID, m.DeviceName)
		}
		if err := checkSnapshotID(m.Ebs.SnapshotID); err != nil {
			return "", err
		}
		snap = m.Ebs.SnapshotID
	}
	return snap, nil
}

// snapshotImage returns the AMI whose root snapshot id is, which c may
// launch, for RegisterImage: the new AMI is the same engine image. A
// snapshot of a volume is refused: a volume's files are not a bootable
// image here.
func (s *Server) snapshotImage(ctx context.Context, c *call, id string) (string, error) {
	s.mu.RLock()
	sn := s.snapshots[id]
	s.mu.RUnlock()
	if sn != nil {
		if !sn.visibleTo(c.scope) {
			return "", snapshotNotFound(id)
		}
		return "", apiErr(ErrUnsupportedOperation, "Snapshot %s holds a volume's files, which are not a bootable image in ec2emu: an AMI's root is an engine image. Register from an AMI's root snapshot or from ImageLocation=docker:<reference> (docs/snapshots.md).", id)
	}
	ami := "ami-" + strings.TrimPrefix(id, "snap-")
	if !backend.ValidImageID(ami) {
		return "", snapshotNotFound(id)
	}
	if _, err := s.findImage(ctx, c.scope, ami); err != nil {
		var e *Error
		switch {
		case errors.As(err, &e) && e.Code == ErrInvalidAMIIDUnavailable:
			// The AMI is still being made, or failed: so is its snapshot.
			return "", apiErr(ErrIncorrectState, "Snapshot %s of %s is not completed: %s", id, ami, e.Message)
		case errors.As(err, &e):
			return "", snapshotNotFound(id) // not an AMI the caller may launch
		}
		return "", err
	}
	return ami, nil
}
