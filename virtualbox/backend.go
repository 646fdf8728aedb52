package virtualbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ec2emu/ec2emu/backend"
)

// Names of the machines the backend manages; see the package doc.
const (
	// InstancePrefix starts the name of every instance VM:
	// "localstack-ec2.<InstanceId>".
	InstancePrefix = "localstack-ec2."
	// ImagePrefix starts the name of every template VM that is an AMI:
	// "localstack-ec2-ami.<AmiName>.<AmiId>".
	ImagePrefix = "localstack-ec2-ami."
	// deregisteredPrefix hides a deregistered template whose disk linked
	// clones still use, until the last of them is terminated.
	deregisteredPrefix = "localstack-ec2-ami-deregistered."
	// BaseSnapshot is the template snapshot instances are linked-cloned
	// from. The backend takes it on first launch; delete it to make new
	// instances start from the template's current state.
	BaseSnapshot = "ec2emu-base"
)

// Guest properties the backend sets on an instance before it starts, for a
// guest agent or cloud-init to read with VBoxControl. Blobs (user data,
// public key) are base64-encoded and split into parts of at most 120
// characters, since VirtualBox limits a property value to 127: <path>/parts
// holds the number of parts, <path>/0 … <path>/<parts-1> the pieces.
const (
	PropUserData     = "/ec2emu/user-data"     // blob: the decoded user data
	PropPublicKey    = "/ec2emu/public-key"    // blob: the key pair's OpenSSH public key
	PropInstanceID   = "/ec2emu/instance-id"   // the EC2 instance ID
	PropImageID      = "/ec2emu/ami-id"        // the AMI it was launched from
	PropInstanceType = "/ec2emu/instance-type" // e.g. t3.micro
	PropKeyName      = "/ec2emu/key-name"      // the key pair's name, if any
	// PropIP is where the Guest Additions report the first NIC's IPv4
	// address; the backend reads it as the instance's private IP.
	PropIP = "/VirtualBox/GuestInfo/Net/0/V4/IP"
)

const blobPart = 120

// Extradata keys the backend stores on machines.
const (
	keyNamespace    = "ec2emu/namespace"
	keyInstanceID   = "ec2emu/instance-id"
	keyImageID      = "ec2emu/image-id"
	keyInstanceType = "ec2emu/instance-type"
	keyLaunchTime   = "ec2emu/launch-time"
	keyMetadata     = "ec2emu/metadata"
	keyArch         = "ec2emu/architecture" // on instances: the AMI's

	keyImageArch        = "ec2emu/image/architecture"
	keyImageCreated     = "ec2emu/image/creation-date"
	keyImageDescription = "ec2emu/image/description"
	keyImageMetadata    = "ec2emu/image/metadata"
)

// instanceKeys are dropped from a template made from an instance.
var instanceKeys = []string{keyNamespace, keyInstanceID, keyImageID, keyInstanceType, keyLaunchTime, keyMetadata, keyArch}

// Backend runs EC2 instances as VirtualBox VMs. It is safe for concurrent
// use; it holds no lock across VBoxManage calls except per template while it
// makes sure the template has its base snapshot.
type Backend struct {
	vb            manager
	path          string
	ns            string
	log           *slog.Logger
	stopTimeout   time.Duration
	pollInterval  time.Duration
	ipWait        time.Duration
	watchInterval time.Duration

	mu       sync.Mutex
	busy     map[string]int          // instance ID → own calls in flight
	gen      map[string]uint64       // instance ID → own calls begun so far
	settled  map[string]settledState // instance ID → state read when its last own call ended
	watching int                     // Watch loops running; own calls settle only then
	tplMu    map[string]*sync.Mutex  // template name → snapshot guard

	done      chan struct{} // closed by Close; stops Watch
	closeOnce sync.Once
	afterPoll func() // tests: called after each Watch poll

	lockCfg lockConfig       // namespace lock timing and identity (lock.go)
	locksMu sync.Mutex       // guards locks
	locks   map[*nsLock]bool // namespace locks held, released by Close
}

var (
	_ backend.Backend         = (*Backend)(nil)
	_ backend.Watcher         = (*Backend)(nil)
	_ backend.NamespaceLocker = (*Backend)(nil)
)

// New returns a Backend that drives the VBoxManage found on PATH (through
// go-virtualbox) or the one named by WithVBoxManage. It fails with an error
// wrapping backend.ErrUnavailable if VBoxManage cannot be run.
func New(ctx context.Context, opts ...Option) (*Backend, error) {
	b := &Backend{
		log:           slog.New(slog.DiscardHandler),
		stopTimeout:   30 * time.Second,
		pollInterval:  250 * time.Millisecond,
		ipWait:        3 * time.Second,
		watchInterval: 2 * time.Second,
		busy:          map[string]int{},
		gen:           map[string]uint64{},
		settled:       map[string]settledState{},
		tplMu:         map[string]*sync.Mutex{},
		done:          make(chan struct{}),
		lockCfg:       defaultLockConfig(),
		locks:         map[*nsLock]bool{},
	}
	for _, o := range opts {
		o(b)
	}
	if b.ns == "" {
		b.ns = backend.DefaultNamespace
	}
	if b.vb == nil {
		switch {
		case b.path != "":
			b.vb = cli{path: b.path}
		default:
			p, err := exec.LookPath("VBoxManage")
			if err != nil {
				return nil, fmt.Errorf("virtualbox: VBoxManage not found on PATH: %w: %w", backend.ErrUnavailable, err)
			}
			b.vb = newLib(p)
		}
		if _, err := b.vb.run(ctx, "--version"); err != nil {
			return nil, fmt.Errorf("virtualbox: VBoxManage does not run: %w: %w", backend.ErrUnavailable, err)
		}
	}
	return b, nil
}

// Close stops Watch and releases namespace locks still held. It leaves
// machines as they are.
func (b *Backend) Close() error {
	b.closeOnce.Do(func() {
		close(b.done)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		b.releaseLocks(ctx)
		cancel()
	})
	return nil
}

// settledState is an instance's state as read at the end of an own call,
// the baseline Watch compares its next reading with.
type settledState struct {
	state backend.State // backend.StateTerminated when the VM is gone
	gen   uint64        // the call's generation: stale once another call begins
}

// begin marks an own call on instance id, so Watch does not report the
// changes it makes as drift. Call the returned func when the call is done.
//
// Polling cannot tell our change from drift by looking, so while a Watch
// runs the call reads the machine's state before it ends: that reading,
// not whatever a poll happened to see mid-call, is the baseline for drift.
func (b *Backend) begin(id string) func() {
	b.mu.Lock()
	b.busy[id]++
	b.gen[id]++
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		watching := b.watching > 0
		b.mu.Unlock()
		st, known := backend.State(""), false
		if watching {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			m, ok, err := b.machine(ctx, instanceName(id), false)
			cancel()
			st, known = m.State, err == nil
			if known && !ok {
				st = backend.StateTerminated
			}
		}
		b.mu.Lock()
		if known {
			b.settled[id] = settledState{state: st, gen: b.gen[id]}
		}
		if b.busy[id]--; b.busy[id] <= 0 {
			delete(b.busy, id)
		}
		b.mu.Unlock()
	}
}

// Images lists the template VMs named by the AMI scheme.
func (b *Backend) Images(ctx context.Context) ([]backend.Image, error) {
	refs, err := b.vb.list(ctx)
	if err != nil {
		return nil, fmt.Errorf("virtualbox: listing images: %w", err)
	}
	var imgs []backend.Image
	seen := map[string]bool{}
	for _, r := range refs {
		name, id, ok := parseImageName(r.Name)
		if !ok || seen[id] {
			continue
		}
		img, err := b.image(ctx, r.Name, name, id)
		if errors.Is(err, errVMNotFound) {
			continue // deleted while we looked
		}
		if err != nil {
			return nil, fmt.Errorf("virtualbox: image %s: %w", id, err)
		}
		seen[id] = true
		imgs = append(imgs, img)
	}
	return imgs, nil
}

// image reads a template's extradata into an Image.
func (b *Backend) image(ctx context.Context, vm, name, id string) (backend.Image, error) {
	ed, err := b.vb.extraData(ctx, vm)
	if err != nil {
		return backend.Image{}, err
	}
	img := backend.Image{
		ID:           id,
		Name:         name,
		Description:  ed[keyImageDescription],
		Architecture: ed[keyImageArch],
		State:        backend.ImageAvailable,
	}
	if img.Architecture == "" {
		img.Architecture = "x86_64"
	}
	if t, err := time.Parse(time.RFC3339Nano, ed[keyImageCreated]); err == nil {
		img.CreationDate = t
	} else {
		// VirtualBox keeps no creation time; fix the first sighting so
		// the date stays the same from one listing to the next.
		img.CreationDate = time.Now().UTC().Truncate(time.Second)
		if err := b.vb.setExtraData(ctx, vm, keyImageCreated, img.CreationDate.Format(time.RFC3339Nano)); err != nil {
			b.log.Debug("virtualbox: recording image creation date", "image", id, "err", err)
		}
	}
	if s := ed[keyImageMetadata]; s != "" {
		if err := json.Unmarshal([]byte(s), &img.Metadata); err != nil {
			b.log.Warn("virtualbox: unreadable image metadata", "image", id, "err", err)
		}
	}
	return img, nil
}

// parseImageName splits "localstack-ec2-ami.<AmiName>.<AmiId>"; the name may
// itself contain dots.
func parseImageName(vm string) (name, id string, ok bool) {
	rest, ok := strings.CutPrefix(vm, ImagePrefix)
	if !ok {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '.')
	if i < 1 || !backend.ValidImageID(rest[i+1:]) {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// findImage returns the template VM of AMI id.
func (b *Backend) findImage(ctx context.Context, id string) (string, error) {
	refs, err := b.vb.list(ctx)
	if err != nil {
		return "", fmt.Errorf("virtualbox: listing images: %w", err)
	}
	for _, r := range refs {
		if _, got, ok := parseImageName(r.Name); ok && got == id {
			return r.Name, nil
		}
	}
	return "", fmt.Errorf("virtualbox: image %s: %w", id, backend.ErrNotFound)
}

func instanceName(id string) string { return InstancePrefix + id }

// own checks that instance id is a machine of this backend's namespace and
// returns its VM name, state and extradata.
func (b *Backend) own(ctx context.Context, id string) (string, string, map[string]string, error) {
	vm := instanceName(id)
	ed, err := b.vb.extraData(ctx, vm)
	if err != nil {
		return "", "", nil, fmt.Errorf("virtualbox: instance %s: %w", id, err)
	}
	if !b.ours(ed, id) {
		return "", "", nil, fmt.Errorf("virtualbox: instance %s: %w", id, backend.ErrNotFound)
	}
	st, err := b.vb.state(ctx, vm)
	if err != nil {
		return "", "", nil, fmt.Errorf("virtualbox: instance %s: %w", id, err)
	}
	return vm, st, ed, nil
}

// ours says whether a machine's extradata marks it as instance id of this
// namespace; a machine that merely has the right name is not enough.
func (b *Backend) ours(ed map[string]string, id string) bool {
	return ed[keyInstanceID] == id && ed[keyNamespace] == b.ns
}

// Launch clones the AMI's template — a linked clone from its base snapshot
// where it can take one — stores the instance's data in extradata and guest
// properties, and starts it headless.
func (b *Backend) Launch(ctx context.Context, spec backend.LaunchSpec) (backend.Machine, error) {
	defer b.begin(spec.InstanceID)()
	tpl, err := b.findImage(ctx, spec.ImageID)
	if err != nil {
		return backend.Machine{}, err
	}
	arch := "x86_64"
	if ed, err := b.vb.extraData(ctx, tpl); err == nil && ed[keyImageArch] != "" {
		arch = ed[keyImageArch]
	}
	vm := instanceName(spec.InstanceID)
	args := []string{"clonevm", tpl, "--name", vm, "--register"}
	if snap := b.baseSnapshot(ctx, tpl); snap != "" {
		args = append(args, "--snapshot", snap, "--options", "link")
	}
	if _, err := b.vb.run(ctx, args...); err != nil {
		return backend.Machine{}, fmt.Errorf("virtualbox: cloning %s: %w", tpl, err)
	}
	ok := false
	defer func() {
		if !ok {
			b.cleanup(ctx, vm)
		}
	}()

	launched := time.Now().UTC()
	meta, err := json.Marshal(spec.Metadata)
	if err != nil {
		return backend.Machine{}, fmt.Errorf("virtualbox: metadata: %w", err)
	}
	if spec.Metadata == nil {
		meta = nil
	}
	for _, kv := range [][2]string{
		{keyNamespace, b.ns},
		{keyImageID, spec.ImageID},
		{keyInstanceType, spec.InstanceType},
		{keyLaunchTime, launched.Format(time.RFC3339Nano)},
		{keyMetadata, string(meta)},
		{keyArch, arch},
		{keyInstanceID, spec.InstanceID}, // last: marks the machine complete
	} {
		if err := b.vb.setExtraData(ctx, vm, kv[0], kv[1]); err != nil {
			return backend.Machine{}, fmt.Errorf("virtualbox: instance %s: extradata %s: %w", spec.InstanceID, kv[0], err)
		}
	}
	if err := b.setGuestData(ctx, vm, spec); err != nil {
		return backend.Machine{}, fmt.Errorf("virtualbox: instance %s: guest properties: %w", spec.InstanceID, err)
	}
	if _, err := b.vb.run(ctx, "startvm", vm, "--type", "headless"); err != nil {
		return backend.Machine{}, fmt.Errorf("virtualbox: starting %s: %w", spec.InstanceID, err)
	}
	ok = true
	b.log.Info("virtualbox: launched", "instance", spec.InstanceID, "template", tpl)
	return backend.Machine{
		ID:         spec.InstanceID,
		ImageID:    spec.ImageID,
		State:      backend.StateRunning,
		PrivateIP:  b.waitIP(ctx, vm),
		LaunchTime: launched,
		Metadata:   spec.Metadata,
	}, nil
}

// setGuestData writes what the guest needs to know as guest properties. Blob
// part counts are always written, so parts a template inherited from the
// instance it was made of are never read.
func (b *Backend) setGuestData(ctx context.Context, vm string, spec backend.LaunchSpec) error {
	for _, kv := range [][2]string{
		{PropInstanceID, spec.InstanceID},
		{PropImageID, spec.ImageID},
		{PropInstanceType, spec.InstanceType},
		{PropKeyName, spec.KeyName},
	} {
		if err := b.vb.setGuestProperty(ctx, vm, kv[0], kv[1]); err != nil {
			return err
		}
	}
	if err := b.writeBlob(ctx, vm, PropUserData, spec.UserData); err != nil {
		return err
	}
	return b.writeBlob(ctx, vm, PropPublicKey, []byte(spec.PublicKey))
}

func (b *Backend) writeBlob(ctx context.Context, vm, path string, data []byte) error {
	enc := base64.StdEncoding.EncodeToString(data)
	n := 0
	for ; len(enc) > 0; n++ {
		part := enc[:min(blobPart, len(enc))]
		enc = enc[len(part):]
		if err := b.vb.setGuestProperty(ctx, vm, path+"/"+strconv.Itoa(n), part); err != nil {
			return err
		}
	}
	return b.vb.setGuestProperty(ctx, vm, path+"/parts", strconv.Itoa(n))
}

// baseSnapshot returns the template's base snapshot, taking it if the
// template has none, or "" if it cannot (the launch then makes a full clone).
func (b *Backend) baseSnapshot(ctx context.Context, tpl string) string {
	b.mu.Lock()
	mu := b.tplMu[tpl]
	if mu == nil {
		mu = &sync.Mutex{}
		b.tplMu[tpl] = mu
	}
	b.mu.Unlock()
	mu.Lock() // two launches must not both take the snapshot
	defer mu.Unlock()

	info, err := b.vb.info(ctx, tpl)
	if err != nil {
		b.log.Warn("virtualbox: reading template; making a full clone", "template", tpl, "err", err)
		return ""
	}
	if slices.Contains(snapshotNames(info), BaseSnapshot) {
		return BaseSnapshot
	}
	if _, err := b.vb.run(ctx, "snapshot", tpl, "take", BaseSnapshot, "--description", "ec2emu: instances are linked clones of this snapshot"); err != nil {
		b.log.Warn("virtualbox: taking base snapshot; making a full clone", "template", tpl, "err", err)
		return ""
	}
	b.log.Info("virtualbox: took base snapshot", "template", tpl, "snapshot", BaseSnapshot)
	return BaseSnapshot
}

// snapshotNames reads SnapshotName, SnapshotName-1, … from showvminfo.
func snapshotNames(info map[string]string) []string {
	var names []string
	for k, v := range info {
		if k == "SnapshotName" || strings.HasPrefix(k, "SnapshotName-") {
			names = append(names, v)
		}
	}
	return names
}

// waitIP waits up to the IP wait for the guest to report its address.
func (b *Backend) waitIP(ctx context.Context, vm string) string {
	if b.ipWait <= 0 {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, b.ipWait)
	defer cancel()
	t := time.NewTicker(min(b.pollInterval, 100*time.Millisecond))
	defer t.Stop()
	for {
		if ip, ok, err := b.vb.guestProperty(ctx, vm, PropIP); err == nil && ok {
			return ip
		}
		select {
		case <-ctx.Done():
			return ""
		case <-t.C:
		}
	}
}

// cleanup removes a machine a failed call left behind. It runs even when
// ctx is cancelled, bounded by its own deadline.
func (b *Backend) cleanup(ctx context.Context, vm string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := b.destroy(ctx, vm); err != nil {
		b.log.Warn("virtualbox: cleaning up after a failed call", "vm", vm, "err", err)
	}
}

// destroy powers vm off if it runs and deletes it with its disks.
func (b *Backend) destroy(ctx context.Context, vm string) error {
	st, err := b.vb.state(ctx, vm)
	if errors.Is(err, errVMNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !isOff(st) {
		if err := b.powerOff(ctx, vm); err != nil {
			return err
		}
	}
	_, err = b.vb.run(ctx, "unregistervm", vm, "--delete")
	if errors.Is(err, errVMNotFound) {
		return nil
	}
	return err
}

// isOff says whether VMState is one in which VirtualBox has no session on the
// machine (it can be started, modified, unregistered).
func isOff(st string) bool {
	switch st {
	case "poweroff", "saved", "aborted", "aborted-saved", "teleported":
		return true
	}
	return false
}

// mapState turns a VMState into the backend's state.
func mapState(st string) backend.State {
	switch st {
	case "running", "livesnapshotting", "onlinesnapshotting", "deletingsnapshotlive", "teleporting":
		return backend.StateRunning
	case "poweroff", "saved", "aborted", "aborted-saved", "teleported", "paused", "gurumeditation",
		"deletingsnapshotlivepaused", "teleportingpausedvm", "snapshotting", "deletingsnapshot", "restoringsnapshot", "settingup":
		return backend.StateStopped
	case "stopping", "saving":
		return backend.StateStopping
	}
	return backend.StatePending // starting, restoring, teleportingin, and anything new
}

// powerOff pulls the plug. A machine that went off meanwhile is fine.
func (b *Backend) powerOff(ctx context.Context, vm string) error {
	_, err := b.vb.run(ctx, "controlvm", vm, "poweroff")
	if err == nil {
		return nil
	}
	if st, serr := b.vb.state(ctx, vm); serr == nil && isOff(st) {
		return nil
	}
	return fmt.Errorf("virtualbox: powering off %s: %w", vm, err)
}

// shutdown presses the ACPI power button and waits for the guest to power
// off; past the stop timeout it powers the machine off. It never loops on
// the button as go-virtualbox's Machine.Stop does.
func (b *Backend) shutdown(ctx context.Context, vm string) error {
	if _, err := b.vb.run(ctx, "controlvm", vm, "acpipowerbutton"); err != nil {
		b.log.Debug("virtualbox: ACPI power button", "vm", vm, "err", err)
	}
	deadline := time.NewTimer(b.stopTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(b.pollInterval)
	defer tick.Stop()
	for {
		st, err := b.vb.state(ctx, vm)
		switch {
		case err == nil && isOff(st):
			return nil
		case errors.Is(err, errVMNotFound):
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			b.log.Info("virtualbox: guest ignored the ACPI power button; powering off", "vm", vm, "after", b.stopTimeout)
			return b.powerOff(ctx, vm)
		case <-tick.C:
		}
	}
}

// Stop shuts instance id down: ACPI power button, then a forced power-off
// after the stop timeout.
func (b *Backend) Stop(ctx context.Context, id string) error {
	defer b.begin(id)()
	vm, st, _, err := b.own(ctx, id)
	if err != nil {
		return err
	}
	switch {
	case isOff(st):
		return nil
	case st == "paused":
		return b.powerOff(ctx, vm) // a paused guest cannot see the button
	}
	if err := b.shutdown(ctx, vm); err != nil {
		return fmt.Errorf("virtualbox: stopping %s: %w", id, err)
	}
	return nil
}

// Start starts stopped instance id headless (or resumes it if paused).
func (b *Backend) Start(ctx context.Context, id string) error {
	defer b.begin(id)()
	vm, st, _, err := b.own(ctx, id)
	if err != nil {
		return err
	}
	switch {
	case st == "running":
		return nil
	case st == "paused":
		_, err = b.vb.run(ctx, "controlvm", vm, "resume")
	case isOff(st):
		_, err = b.vb.run(ctx, "startvm", vm, "--type", "headless")
	default:
		return fmt.Errorf("virtualbox: starting %s in state %s: %w", id, st, backend.ErrInvalidState)
	}
	if err != nil {
		return fmt.Errorf("virtualbox: starting %s: %w", id, err)
	}
	return nil
}

// Reboot resets running instance id (controlvm reset).
func (b *Backend) Reboot(ctx context.Context, id string) error {
	defer b.begin(id)()
	vm, st, _, err := b.own(ctx, id)
	if err != nil {
		return err
	}
	if st != "running" {
		return fmt.Errorf("virtualbox: rebooting %s in state %s: %w", id, st, backend.ErrInvalidState)
	}
	if _, err := b.vb.run(ctx, "controlvm", vm, "reset"); err != nil {
		return fmt.Errorf("virtualbox: rebooting %s: %w", id, err)
	}
	return nil
}

// Terminate powers instance id off and deletes it with its disks. An
// instance that is already gone is not an error.
func (b *Backend) Terminate(ctx context.Context, id string) error {
	defer b.begin(id)()
	vm, _, _, err := b.own(ctx, id)
	if errors.Is(err, backend.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := b.destroy(ctx, vm); err != nil {
		return fmt.Errorf("virtualbox: terminating %s: %w", id, err)
	}
	b.log.Info("virtualbox: terminated", "instance", id)
	b.collectDeregistered(ctx)
	return nil
}

// CreateImage clones instance id into a new template VM named by the AMI
// scheme. Unless spec.NoReboot, a running instance is shut down for a
// consistent disk and started again; with NoReboot it is cloned from a
// temporary live snapshot.
func (b *Backend) CreateImage(ctx context.Context, id string, spec backend.ImageSpec) (img backend.Image, err error) {
	defer b.begin(id)()
	vm, st, ed, err := b.own(ctx, id)
	if err != nil {
		return backend.Image{}, err
	}
	tpl := ImagePrefix + spec.Name + "." + spec.ImageID
	clone := []string{"clonevm", vm, "--name", tpl, "--register"}
	switch {
	case isOff(st):
	case !spec.NoReboot:
		if err := b.shutdown(ctx, vm); err != nil {
			return backend.Image{}, fmt.Errorf("virtualbox: stopping %s for an image: %w", id, err)
		}
		defer func() {
			if _, serr := b.vb.run(ctx, "startvm", vm, "--type", "headless"); serr != nil && err == nil {
				err = fmt.Errorf("virtualbox: restarting %s after the image: %w", id, serr)
			}
		}()
	default:
		snap := "ec2emu-image-" + spec.ImageID
		if _, err := b.vb.run(ctx, "snapshot", vm, "take", snap, "--live"); err != nil {
			return backend.Image{}, fmt.Errorf("virtualbox: snapshot of %s: %w", id, err)
		}
		defer func() {
			if _, err := b.vb.run(context.WithoutCancel(ctx), "snapshot", vm, "delete", snap); err != nil {
				b.log.Warn("virtualbox: deleting temporary snapshot", "instance", id, "snapshot", snap, "err", err)
			}
		}()
		clone = append(clone, "--snapshot", snap)
	}
	if _, err := b.vb.run(ctx, clone...); err != nil {
		return backend.Image{}, fmt.Errorf("virtualbox: cloning %s: %w", id, err)
	}
	created := time.Now().UTC()
	img = backend.Image{
		ID:           spec.ImageID,
		Name:         spec.Name,
		Description:  spec.Description,
		Architecture: cmpOr(ed[keyArch], "x86_64"),
		CreationDate: created,
		State:        backend.ImageAvailable,
		Metadata:     spec.Metadata,
	}
	var meta []byte
	if spec.Metadata != nil {
		if meta, err = json.Marshal(spec.Metadata); err != nil {
			b.cleanup(ctx, tpl)
			return backend.Image{}, fmt.Errorf("virtualbox: image metadata: %w", err)
		}
	}
	set := [][2]string{
		{keyImageArch, img.Architecture},
		{keyImageCreated, created.Format(time.RFC3339Nano)},
		{keyImageDescription, spec.Description},
		{keyImageMetadata, string(meta)},
	}
	for _, k := range instanceKeys {
		set = append(set, [2]string{k, ""}) // a template is not an instance
	}
	for _, kv := range set {
		if err := b.vb.setExtraData(ctx, tpl, kv[0], kv[1]); err != nil {
			b.cleanup(ctx, tpl)
			return backend.Image{}, fmt.Errorf("virtualbox: image %s: extradata %s: %w", spec.ImageID, kv[0], err)
		}
	}
	b.log.Info("virtualbox: created image", "instance", id, "image", spec.ImageID, "template", tpl)
	return img, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// DeregisterImage deletes the template VM of AMI imageID. If linked clones
// still use its disk, VirtualBox refuses; the template is then renamed out of
// the AMI scheme and deleted once its last instance is terminated.
func (b *Backend) DeregisterImage(ctx context.Context, imageID string) error {
	tpl, err := b.findImage(ctx, imageID)
	if err != nil {
		return err
	}
	err = b.destroy(ctx, tpl)
	if err == nil {
		b.log.Info("virtualbox: deregistered image", "image", imageID, "template", tpl)
		return nil
	}
	hidden := deregisteredPrefix + imageID
	if _, rerr := b.vb.run(ctx, "modifyvm", tpl, "--name", hidden); rerr != nil {
		return fmt.Errorf("virtualbox: deregistering %s: %w (and hiding it: %w)", imageID, err, rerr)
	}
	b.log.Info("virtualbox: image still backs instances; hidden until they are gone", "image", imageID, "vm", hidden, "err", err)
	return nil
}

// collectDeregistered deletes hidden templates no instance needs any more.
// VirtualBox refuses for the others; that is expected.
func (b *Backend) collectDeregistered(ctx context.Context) {
	refs, err := b.vb.list(ctx)
	if err != nil {
		return
	}
	for _, r := range refs {
		if strings.HasPrefix(r.Name, deregisteredPrefix) {
			if _, err := b.vb.run(ctx, "unregistervm", r.Name, "--delete"); err == nil {
				b.log.Info("virtualbox: deleted deregistered template", "vm", r.Name)
			}
		}
	}
}

// Machines lists the instances of this namespace, including stopped ones.
func (b *Backend) Machines(ctx context.Context) ([]backend.Machine, error) {
	refs, err := b.vb.list(ctx)
	if err != nil {
		return nil, fmt.Errorf("virtualbox: listing machines: %w", err)
	}
	var ms []backend.Machine
	for _, r := range refs {
		m, ok, err := b.machine(ctx, r.Name, true)
		if err != nil {
			return nil, err
		}
		if ok {
			ms = append(ms, m)
		}
	}
	return ms, nil
}

// machine reads VM vm as an instance; ok is false if it is not one of ours
// (or vanished meanwhile). withIP also reads its address.
func (b *Backend) machine(ctx context.Context, vm string, withIP bool) (m backend.Machine, ok bool, err error) {
	id, isInstance := strings.CutPrefix(vm, InstancePrefix)
	if !isInstance || id == "" {
		return m, false, nil
	}
	ed, err := b.vb.extraData(ctx, vm)
	if errors.Is(err, errVMNotFound) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("virtualbox: instance %s: %w", id, err)
	}
	if !b.ours(ed, id) {
		return m, false, nil
	}
	st, err := b.vb.state(ctx, vm)
	if errors.Is(err, errVMNotFound) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("virtualbox: instance %s: %w", id, err)
	}
	m = backend.Machine{ID: id, ImageID: ed[keyImageID], State: mapState(st)}
	if t, err := time.Parse(time.RFC3339Nano, ed[keyLaunchTime]); err == nil {
		m.LaunchTime = t
	}
	if s := ed[keyMetadata]; s != "" {
		if err := json.Unmarshal([]byte(s), &m.Metadata); err != nil {
			b.log.Warn("virtualbox: unreadable instance metadata", "instance", id, "err", err)
		}
	}
	if withIP && st == "running" {
		if ip, ok, err := b.vb.guestProperty(ctx, vm, PropIP); err == nil && ok {
			m.PrivateIP = ip
		}
	}
	return m, true, nil
}
