package docker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ec2emu/ec2emu/backend"
)

func init() { backend.Register("docker", open) }

// Names and labels the backend gives what it creates.
const (
	// ContainerPrefix starts the name of every instance container:
	// localstack-ec2.<instance-id>.
	ContainerPrefix = "localstack-ec2."
	// ImageRepoPrefix starts the repository of every AMI image:
	// localstack-ec2/<name>:<ami-id>.
	ImageRepoPrefix = "localstack-ec2/"

	// LabelNamespace holds the backend's namespace on its containers.
	LabelNamespace = "ec2emu.namespace"
	// LabelInstanceID holds the EC2 instance ID.
	LabelInstanceID = "ec2emu.instance-id"
	// LabelImageID holds the AMI the instance was launched from.
	LabelImageID = "ec2emu.image-id"
	// LabelInstanceType and LabelKeyName are informational.
	LabelInstanceType = "ec2emu.instance-type"
	LabelKeyName      = "ec2emu.key-name"
	// LabelMetaPrefix prefixes each LaunchSpec.Metadata key.
	LabelMetaPrefix = "ec2emu.meta."
	// LabelMetaKeys lists (as JSON) the metadata keys this container was
	// given, since Docker merges an image's labels into its containers and
	// a committed image would otherwise leak its source's metadata.
	LabelMetaKeys = "ec2emu.meta-keys"

	// Labels on images made by CreateImage. LabelAMIID guards the others:
	// they describe the AMI only under that ID, not under other tags given
	// to the same image later.
	LabelAMIID          = "ec2emu.image.ami-id"
	LabelAMIName        = "ec2emu.image.name"
	LabelAMIDescription = "ec2emu.image.description"
	LabelAMIMetaPrefix  = "ec2emu.image.meta."
	LabelAMIMetaKeys    = "ec2emu.image.meta-keys"
)

// DefaultNamespace is used when none is given: backend.DefaultNamespace.
const DefaultNamespace = backend.DefaultNamespace

// Client is the part of the Docker client the backend uses; *client.Client
// satisfies it. Tests may pass a fake with WithClient.
type Client interface {
	ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig, networkingConfig *network.NetworkingConfig, platform *ocispec.Platform, containerName string) (container.CreateResponse, error)
	ContainerStart(ctx context.Context, containerID string, options container.StartOptions) error
	ContainerInspect(ctx context.Context, containerID string) (container.InspectResponse, error)
	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
	ContainerPause(ctx context.Context, containerID string) error
	ContainerUnpause(ctx context.Context, containerID string) error
	ContainerRestart(ctx context.Context, containerID string, options container.StopOptions) error
	ContainerStop(ctx context.Context, containerID string, options container.StopOptions) error
	ContainerRemove(ctx context.Context, containerID string, options container.RemoveOptions) error
	ContainerRename(ctx context.Context, containerID, newContainerName string) error
	ContainerCommit(ctx context.Context, containerID string, options container.CommitOptions) (container.CommitResponse, error)
	ContainerLogs(ctx context.Context, containerID string, options container.LogsOptions) (io.ReadCloser, error)
	ContainerUpdate(ctx context.Context, containerID string, updateConfig container.UpdateConfig) (container.UpdateResponse, error)
	ImageList(ctx context.Context, options image.ListOptions) ([]image.Summary, error)
	ImageInspect(ctx context.Context, imageID string, inspectOpts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImageRemove(ctx context.Context, imageID string, options image.RemoveOptions) ([]image.DeleteResponse, error)
	ImageImport(ctx context.Context, source image.ImportSource, ref string, options image.ImportOptions) (io.ReadCloser, error)
	ImageTag(ctx context.Context, source, target string) error
	Events(ctx context.Context, options events.ListOptions) (<-chan events.Message, <-chan error)
	Ping(ctx context.Context) (types.Ping, error)
	Info(ctx context.Context) (system.Info, error)
	Close() error
}

var _ Client = (*client.Client)(nil)

// Option configures New. An option given a value that cannot be right (a
// nil logger or client, an empty namespace) panics when it is made, as
// database/sql.Register does: ignoring it would hide a bug.
type Option func(*Backend)

// WithClient makes the backend use c instead of a client built from the
// environment. The backend does not close it.
func WithClient(c Client) Option {
	if c == nil {
		panic("docker: WithClient(nil); leave the option out to connect from the environment")
	}
	return func(b *Backend) { b.cli, b.ownClient = c, false }
}

// WithNamespace sets the namespace: the backend lists and changes only the
// containers labelled with it. Default DefaultNamespace. It panics if ns is
// empty.
func WithNamespace(ns string) Option {
	if ns == "" {
		panic("docker: WithNamespace(\"\"); leave the option out for DefaultNamespace")
	}
	return func(b *Backend) { b.ns = ns }
}

// WithLogger sets where the backend logs. Default: nowhere. It panics if l
// is nil.
func WithLogger(l *slog.Logger) Option {
	if l == nil {
		panic("docker: WithLogger(nil); to log nothing, leave the option out")
	}
	return func(b *Backend) { b.log = l }
}

// WithRemoveContainers says whether Terminate removes the container (the
// default, like LocalStack's EC2_REMOVE_CONTAINERS=1) or only kills it and
// keeps it, for inspection.
func WithRemoveContainers(remove bool) Option { return func(b *Backend) { b.remove = remove } }

// WithDockerSocket says whether instances get the engine's socket mounted at
// /var/run/docker.sock (default true), for Docker-in-Docker use.
func WithDockerSocket(mount bool) Option { return func(b *Backend) { b.mountSocket = mount } }

// WithDockerSocketPath sets the host path of the socket mounted into
// instances. Default: the client's unix socket, or /var/run/docker.sock.
func WithDockerSocketPath(path string) Option { return func(b *Backend) { b.socketPath = path } }

// WithNetwork makes every instance join the named Docker network instead of
// a network per VPC (vpcnet.go). Their private IP is the address the engine
// gives them on it.
func WithNetwork(name string) Option { return func(b *Backend) { b.network = name } }

// Backend runs EC2 instances as Docker containers. It implements
// backend.Backend, backend.ConsoleOutputer, backend.Watcher,
// backend.ImageLooker, backend.NamespaceLocker and backend.Volumer, and is
// safe for concurrent use.
type Backend struct {
	cli         Client
	ownClient   bool
	ns          string
	log         *slog.Logger
	remove      bool
	mountSocket bool
	socketPath  string
	network     string
	mdNet       string       // metadata network (imdsnet.go); "" for none
	mdNetMu     sync.Mutex   // serialises creating it
	mdNetDone   sync.Once    // Close gives up its use of it once
	vpcMu       sync.RWMutex // held for writing to make or remove a VPC network, for reading by a launch joining one (vpcnet.go)
	volRoot     string       // host directory of the instances' /ebs directories (volumes.go)
	volErr      error        // why volumes do not work here; nil if they do
	volMu       sync.Mutex   // serialises mounting and unmounting under volRoot

	mu      sync.Mutex
	cids    map[string]ctr    // instance ID → its container
	toggles map[string]toggle // instance ID → our last pause or unpause

	imgMu  sync.Mutex
	amis   map[string]amiRef        // AMI ID → where it is, as last listed
	images map[string]*imageDetails // Docker image ID → what an inspect told

	own  ownCalls
	live liveness

	lockCfg lockConfig       // namespace lock timing and identity (lock.go)
	locksMu sync.Mutex       // guards locks
	locks   map[*nsLock]bool // namespace locks held, released by Close
}

var (
	_ backend.Backend         = (*Backend)(nil)
	_ backend.ConsoleOutputer = (*Backend)(nil)
	_ backend.Watcher         = (*Backend)(nil)
	_ backend.ImageLooker     = (*Backend)(nil)
)

// New returns a Docker backend. Without WithClient it connects with
// client.FromEnv and API version negotiation. It does not fail when the
// daemon does not answer yet; calls then fail with backend.ErrUnavailable.
func New(ctx context.Context, opts ...Option) (*Backend, error) {
	b := &Backend{
		ns:          DefaultNamespace,
		volRoot:     DefaultVolumeRoot,
		remove:      true,
		mountSocket: true,
		cids:        map[string]ctr{},
		toggles:     map[string]toggle{},
		amis:        map[string]amiRef{},
		images:      map[string]*imageDetails{},
		own:         ownCalls{m: map[string]*ownCall{}},
		lockCfg:     defaultLockConfig(),
		locks:       map[*nsLock]bool{},
	}
	for _, o := range opts {
		o(b)
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	b.useMetadataNetwork()
	if b.cli == nil {
		c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
		if err != nil {
			return nil, fmt.Errorf("docker: client: %w", err)
		}
		b.cli, b.ownClient = c, true
		if b.socketPath == "" {
			if host, ok := strings.CutPrefix(c.DaemonHost(), "unix://"); ok {
				b.socketPath = host
			}
		}
	}
	if b.socketPath == "" {
		b.socketPath = "/var/run/docker.sock"
	}
	if b.volErr = b.setupVolumes(); b.volErr != nil {
		b.log.InfoContext(ctx, "docker: EBS volumes unavailable; instances get no /ebs", "reason", b.volErr)
	} else {
		b.log.InfoContext(ctx, "docker: EBS volumes available", "root", b.instanceDir(""))
	}
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := b.cli.Ping(pctx); err != nil {
		b.log.WarnContext(ctx, "docker daemon does not answer yet", "err", err)
	} else if n, ok := b.cli.(interface{ NegotiateAPIVersion(context.Context) }); ok {
		// Settle the API version now: the client negotiates lazily on first
		// use, and that write races with the event stream's goroutine when
		// calls start concurrently.
		n.NegotiateAPIVersion(pctx)
	}
	return b, nil
}

// open is the registry's opener: backend.Config plus the EC2_* settings.
func open(ctx context.Context, cfg backend.Config) (backend.Backend, error) {
	getenv := cfg.Getenv
	opts := []Option{
		WithLogger(cfg.Logger),
		WithRemoveContainers(envBool(getenv, "EC2_REMOVE_CONTAINERS", true)),
		WithDockerSocket(envBool(getenv, "EC2_MOUNT_DOCKER_SOCKET", true)),
	}
	if cfg.Namespace != "" {
		opts = append(opts, WithNamespace(cfg.Namespace))
	}
	if n := getenv("EC2_DOCKER_NETWORK"); n != "" {
		opts = append(opts, WithNetwork(n))
	}
	switch n := getenv("EC2_METADATA_NETWORK"); n {
	case "":
		opts = append(opts, WithMetadataNetwork(MetadataNetworkName))
	case "off", "false", "0":
	default:
		opts = append(opts, WithMetadataNetwork(n))
	}
	return New(ctx, opts...)
}

// envBool reads a boolean setting; unset or unparsable means def.
func envBool(getenv func(string) string, key string, def bool) bool {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return def
	}
	if b, err := strconv.ParseBool(v); err == nil {
		return b
	}
	return def
}

// Close releases namespace locks still held and closes the Docker client if
// the backend made it. Containers keep running.
func (b *Backend) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	b.releaseLocks(ctx)
	b.mdNetDone.Do(func() { b.removeMetadataNetwork(ctx) })
	b.pruneVPCNetworks(ctx)
	cancel()
	if b.volErr == nil {
		os.Remove(filepath.Join(b.volRoot, b.ns)) // if no instance of the namespace is left
	}
	if b.ownClient {
		return b.cli.Close()
	}
	return nil
}
