// Package backend is the seam between the EC2 control plane (package ec2emu)
// and the compute that stands behind it.
//
// A Backend only makes, changes, lists and snapshots machines and images. Its
// inputs arrive validated by the Server, it never sees XML or form values, and
// it reports failures as errors wrapping the sentinels of this package
// (ErrNotFound, ErrUnavailable, …), which the Server maps to EC2 error codes in
// one table. EC2 concepts that are the same for every backend — reservations,
// tags, key pairs, ClientToken idempotency, filters, the state machine — live
// in the Server, so a backend stays small.
//
// Optional capabilities (console output, drift events) are separate small
// interfaces that a Backend may also implement, found by type assertion as
// database/sql/driver does. A Server answers UnsupportedOperation when the
// backend lacks one.
//
// Backends register themselves by name in an init function, like database/sql
// drivers:
//
//	func init() { backend.Register("docker", open) }
//
// and programs open one with Open(ctx, name, cfg).
package backend

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Backend runs machines and keeps images. Every method may block and takes a
// context first; implementations must be safe for concurrent use, and must not
// serialise unrelated machines behind one lock held across slow calls.
//
// Methods that act on one machine return when the machine has reached the
// requested state (Launch and Start: running; Stop: stopped; Terminate: gone
// or stopped for good), so the Server can show the EC2 transitional state
// (pending, stopping, shutting-down) while the call is in flight.
type Backend interface {
	// Images lists the images that can be launched now. It is called for
	// every DescribeImages and RunInstances, so it should be cheap; an image
	// made outside the emulator (e.g. `docker tag`) must appear without a
	// restart.
	Images(ctx context.Context) ([]Image, error)

	// Launch creates and starts one machine from spec and returns it once it
	// runs. On error nothing may be left behind.
	Launch(ctx context.Context, spec LaunchSpec) (Machine, error)

	// Stop stops a running machine, keeping its disk.
	Stop(ctx context.Context, id string) error

	// Start starts a stopped machine.
	Start(ctx context.Context, id string) error

	// Reboot restarts a running machine.
	Reboot(ctx context.Context, id string) error

	// Terminate stops a machine for good and releases it. Terminating a
	// machine that no longer exists is not an error.
	Terminate(ctx context.Context, id string) error

	// CreateImage snapshots machine id into a new launchable image and
	// returns it once it is available.
	CreateImage(ctx context.Context, id string, spec ImageSpec) (Image, error)

	// DeregisterImage removes an image so it can no longer be launched.
	// Machines already launched from it keep running.
	DeregisterImage(ctx context.Context, imageID string) error

	// Machines lists every machine this backend manages in its namespace
	// now, including stopped ones. The Server calls it when it starts, to
	// re-adopt machines left by an earlier process.
	Machines(ctx context.Context) ([]Machine, error)

	// Close releases what the backend holds (connections, goroutines). It
	// leaves machines as they are.
	Close() error
}

// State is a machine's state as the backend sees it. The Server maps it to
// EC2's instance states.
type State string

// The states a backend reports.
const (
	StatePending    State = "pending"    // being created or started
	StateRunning    State = "running"    // up
	StateStopping   State = "stopping"   // on its way down
	StateStopped    State = "stopped"    // down, disk kept
	StateTerminated State = "terminated" // gone, or stopped for good
)

// Machine is one instance as the backend runs it.
type Machine struct {
	// ID is the EC2 instance ID the Server chose at launch.
	ID string
	// ImageID is the AMI it was launched from.
	ImageID string
	// State is the backend's view of the machine now.
	State State
	// PrivateIP is the machine's address on its network, if it has one.
	PrivateIP string
	// LaunchTime is when the machine was created.
	LaunchTime time.Time
	// Metadata is LaunchSpec.Metadata as stored with the machine, returned
	// unchanged so a restarted Server can re-adopt it.
	Metadata map[string]string
}

// LaunchSpec says what to launch. The Server has validated every field.
type LaunchSpec struct {
	// InstanceID is the ID the machine must carry (e.g. in its name).
	InstanceID string
	// ImageID is an AMI that Images listed.
	ImageID string
	// InstanceType is the EC2 instance type, e.g. "t3.micro".
	InstanceType string
	// UserData is the decoded user data, run once at first boot. Empty
	// means none.
	UserData []byte
	// KeyName and PublicKey come from the key pair named at launch; the
	// public key, in OpenSSH authorized_keys form, is installed for root.
	KeyName   string
	PublicKey string
	// Network is the VPC the machine joins, for a backend that is a
	// VPCNetworker; zero otherwise.
	Network NetworkSpec
	// PrivateIP is the address the Server allocated from the machine's
	// subnet, set only when PrepareNetwork said the VPC's network takes
	// the Server's addresses: the machine must get exactly this address.
	PrivateIP string
	// Volumes are volumes made by CreateVolume, for a backend that is a
	// Volumer, to attach (as AttachVolume would) before the machine first
	// runs, so user data already finds them.
	Volumes []VolumeAttachment
	// Metadata is opaque to the backend: it stores it with the machine
	// (labels, extradata) and returns it in Machine.Metadata. Keys and
	// values are short printable strings.
	Metadata map[string]string
}

// ImageState is an image's state as the backend sees it.
type ImageState string

// The image states a backend reports.
const (
	ImagePending   ImageState = "pending"
	ImageAvailable ImageState = "available"
	ImageFailed    ImageState = "failed"
)

// Image is one launchable image (an AMI).
type Image struct {
	// ID is the AMI ID, e.g. "ami-df5de72bdb3b".
	ID string
	// Name is the AMI name.
	Name string
	// Description is free text, possibly empty.
	Description string
	// Architecture is EC2's spelling: "x86_64" or "arm64".
	Architecture string
	// CreationDate is when the image was made.
	CreationDate time.Time
	// State is normally ImageAvailable.
	State ImageState
	// Metadata is ImageSpec.Metadata for images made by CreateImage, nil
	// for images that came from elsewhere.
	Metadata map[string]string
}

// ImageSpec says how to snapshot a machine.
type ImageSpec struct {
	// ImageID is the AMI ID the Server chose for the new image.
	ImageID string
	// Name and Description are the AMI's; Name is validated.
	Name        string
	Description string
	// NoReboot asks not to restart the machine around the snapshot.
	NoReboot bool
	// Metadata is stored with the image and returned in Image.Metadata.
	Metadata map[string]string
}

// ConsoleOutputer is an optional capability: the machine's console output
// (for GetConsoleOutput).
type ConsoleOutputer interface {
	ConsoleOutput(ctx context.Context, id string) ([]byte, error)
}

// Event reports a change the backend observed that was not caused by a call
// on the Backend: a machine paused, stopped, killed or removed behind the
// emulator's back (drift).
type Event struct {
	ID    string // instance ID
	State State  // the machine's state now
}

// Watcher is an optional capability: a backend that can report drift. Watch
// calls fn for each Event until ctx is done, then returns. fn must not block
// for long. The Server runs Watch in a goroutine it owns.
type Watcher interface {
	Watch(ctx context.Context, fn func(Event)) error
}

// Errors a backend reports, wrapped with detail (fmt.Errorf("…: %w", ErrX)).
// The Server tests them with errors.Is; anything else becomes InternalError.
var (
	// ErrNotFound: the machine or image does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalidState: the machine is not in a state the call accepts.
	ErrInvalidState = errors.New("invalid state")
	// ErrUnavailable: the backend's engine does not answer now (e.g. the
	// Docker daemon is down); the call may succeed later.
	ErrUnavailable = errors.New("backend unavailable")
	// ErrCapacity: the backend cannot run more machines now.
	ErrCapacity = errors.New("insufficient capacity")
	// ErrUnsupported: the backend cannot do this at all.
	ErrUnsupported = errors.New("unsupported operation")
)

// Config is what Open passes to a backend's opener.
type Config struct {
	// Namespace separates emulators that share one engine: a backend lists
	// and changes only the machines it created under the same namespace.
	// Images are shared by all namespaces.
	Namespace string
	// Logger receives the backend's logs; never nil when opened by Open.
	Logger *slog.Logger
	// Getenv reads backend settings (e.g. EC2_REMOVE_CONTAINERS); never nil
	// when opened by Open. It defaults to os.Getenv.
	Getenv func(key string) string
}
