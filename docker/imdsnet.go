package docker

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"

	"github.com/ec2emu/ec2emu/backend"
)

// The instance metadata service without privileges: a Docker bridge
// network whose gateway is 169.254.169.254. The host side of the bridge
// owns that address, so the Server can listen there, every container that
// joins the network reaches it, and a request's source address names the
// container. No proxy container, no image pull, no iptables rule. With API
// 1.41 a container joins one network at create, so instances are connected
// to this one before they start.

// MetadataNetworkName is the network instances join for the metadata
// service unless WithMetadataNetwork names another. All namespaces share
// it: Docker refuses two networks with overlapping subnets.
const MetadataNetworkName = "ec2emu-imds"

// MetadataAddress is the gateway address of the metadata network.
const MetadataAddress = "169.254.169.254"

// metadataSubnet holds MetadataAddress with room for 4,093 instances.
const metadataSubnet = "169.254.160.0/20"

// WithMetadataNetwork makes instances join the named network for the
// instance metadata service (created if missing, with gateway
// 169.254.169.254) before they start; "" turns it off. New leaves it off;
// the registry's opener (ec2emu.Open, the standalone server) turns it on
// with MetadataNetworkName unless EC2_METADATA_NETWORK says otherwise
// ("off" or another name). Joining costs one more Docker call per launch.
func WithMetadataNetwork(name string) Option { return func(b *Backend) { b.mdNet = name } }

// networkClient is what the metadata network needs of the Docker client
// beyond Client; *client.Client has it. A client without it (a fake) gets
// no metadata network.
type networkClient interface {
	NetworkCreate(ctx context.Context, name string, options network.CreateOptions) (network.CreateResponse, error)
	NetworkConnect(ctx context.Context, networkID, containerID string, config *network.EndpointSettings) error
	NetworkDisconnect(ctx context.Context, networkID, containerID string, force bool) error
	NetworkInspect(ctx context.Context, networkID string, options network.InspectOptions) (network.Inspect, error)
	NetworkRemove(ctx context.Context, networkID string) error
}

var _ backend.MetadataNetwork = (*Backend)(nil)

func (b *Backend) netClient() (networkClient, bool) {
	if b.mdNet == "" {
		return nil, false
	}
	nc, ok := b.cli.(networkClient)
	return nc, ok
}

// ensureMetadataNetwork creates the metadata network if it is missing.
// Another emulator may create it at the same moment: the loser's create
// fails (the subnets overlap), and finding the network then is success.
func (b *Backend) ensureMetadataNetwork(ctx context.Context, nc networkClient) error {
	b.mdNetMu.Lock() // launches and the Server's listener start race here
	defer b.mdNetMu.Unlock()
	if _, err := nc.NetworkInspect(ctx, b.mdNet, network.InspectOptions{}); err == nil {
		return nil
	} else if !cerrdefs.IsNotFound(err) {
		return wrap("inspect network", b.mdNet, err)
	}
	// A create that loses a race with another creator, or comes right
	// after a removal, fails with "Pool overlaps" while the winner's
	// network is not yet visible, or the removed one's pool not yet free:
	// look again, and try again, for a while.
	var err error
	for wait := 20 * time.Millisecond; wait < 3*time.Second; wait *= 2 {
		_, err = nc.NetworkCreate(ctx, b.mdNet, network.CreateOptions{
			Driver: "bridge",
			IPAM:   &network.IPAM{Config: []network.IPAMConfig{{Subnet: metadataSubnet, Gateway: MetadataAddress}}},
			Labels: map[string]string{"ec2emu.role": "metadata"},
			// Every instance joins it: internal, so it is never a
			// container's default route, and without inter-container
			// traffic, so it is no path between VPCs. The host's side,
			// the metadata address, stays reachable.
			Internal: true,
			Options:  map[string]string{"com.docker.network.bridge.enable_icc": "false"},
		})
		if err == nil {
			return nil
		}
		if _, ierr := nc.NetworkInspect(ctx, b.mdNet, network.InspectOptions{}); ierr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return wrap("create network", b.mdNet, ctx.Err())
		case <-time.After(wait):
		}
	}
	return wrap("create network", b.mdNet, err)
}

// joinMetadataNetwork connects a created, not yet started container to the
// metadata network, creating the network if needed (another emulator's
// Close may have just removed it).
func (b *Backend) joinMetadataNetwork(ctx context.Context, cid string) error {
	nc, ok := b.netClient()
	if !ok {
		return nil
	}
	var err error
	for range 3 {
		if err = b.ensureMetadataNetwork(ctx, nc); err != nil {
			return err
		}
		err = nc.NetworkConnect(ctx, b.mdNet, cid, &network.EndpointSettings{})
		if err == nil || !cerrdefs.IsNotFound(err) {
			break
		}
	}
	if err != nil {
		return wrap("connect network", b.mdNet, err)
	}
	return nil
}

// startJoined starts a created container. A container that is only
// created holds no endpoint on its networks, so another emulator's Close
// may remove the metadata network between join and start; the start then
// fails with the network not found, and the container joins the new one
// and starts again.
func (b *Backend) startJoined(ctx context.Context, cid string) error {
	for attempt := 0; ; attempt++ {
		err := b.cli.ContainerStart(ctx, cid, container.StartOptions{})
		nc, ok := b.netClient()
		if err == nil || !ok || attempt == 5 || !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), b.mdNet) {
			return err
		}
		if derr := nc.NetworkDisconnect(ctx, b.mdNet, cid, true); derr != nil && !cerrdefs.IsNotFound(derr) {
			b.log.DebugContext(ctx, "docker: leaving a removed metadata network", "container", cid, "err", derr)
		}
		if err := b.joinMetadataNetwork(ctx, cid); err != nil {
			return err
		}
	}
}

// MetadataAddress implements backend.MetadataNetwork.
func (b *Backend) MetadataAddress(ctx context.Context) (string, error) {
	nc, ok := b.netClient()
	if !ok {
		return "", fmt.Errorf("docker: no metadata network: %w", backend.ErrUnsupported)
	}
	if err := b.ensureMetadataNetwork(ctx, nc); err != nil {
		return "", err
	}
	info, err := nc.NetworkInspect(ctx, b.mdNet, network.InspectOptions{})
	if err != nil {
		return "", wrap("inspect network", b.mdNet, err)
	}
	for _, c := range info.IPAM.Config {
		if c.Gateway != "" {
			return c.Gateway, nil
		}
	}
	return "", fmt.Errorf("docker: network %s has no gateway address", b.mdNet)
}

// MetadataSources implements backend.MetadataNetwork with one Docker call:
// the namespace's running containers and their addresses on the metadata
// network.
func (b *Backend) MetadataSources(ctx context.Context) (map[string]string, error) {
	if _, ok := b.netClient(); !ok {
		return nil, fmt.Errorf("docker: no metadata network: %w", backend.ErrUnsupported)
	}
	list, err := b.cli.ContainerList(ctx, container.ListOptions{
		Filters: filters.NewArgs(filters.Arg("label", LabelNamespace+"="+b.ns)),
	})
	if err != nil {
		return nil, wrap("list containers", "", err)
	}
	out := map[string]string{}
	for _, c := range list {
		id, ok := b.ours(c.Names, c.Labels)
		if !ok || c.NetworkSettings == nil {
			continue
		}
		if ep := c.NetworkSettings.Networks[b.mdNet]; ep != nil && ep.IPAddress != "" {
			out[ep.IPAddress] = id
		}
	}
	return out, nil
}

// mdNetUsers counts this process's open backends per metadata network:
// only the last to close may remove it, or it would vanish under another
// backend between a join and a start, and under a metadata listener.
var mdNetUsers = struct {
	sync.Mutex
	n map[string]int
}{n: map[string]int{}}

// useMetadataNetwork records an open backend using the network; New calls
// it.
func (b *Backend) useMetadataNetwork() {
	if b.mdNet == "" {
		return
	}
	mdNetUsers.Lock()
	mdNetUsers.n[b.mdNet]++
	mdNetUsers.Unlock()
}

// removeMetadataNetwork removes the metadata network when the last backend
// of this process using it closes and no container (of any namespace or
// process) is attached; called by Close. Another process may still use
// it: its listener survives the removal, and its next launch creates the
// network again.
func (b *Backend) removeMetadataNetwork(ctx context.Context) {
	if b.mdNet == "" {
		return
	}
	mdNetUsers.Lock()
	mdNetUsers.n[b.mdNet]--
	last := mdNetUsers.n[b.mdNet] <= 0
	if last {
		delete(mdNetUsers.n, b.mdNet)
	}
	mdNetUsers.Unlock()
	nc, ok := b.netClient()
	if !ok || !last {
		return
	}
	info, err := nc.NetworkInspect(ctx, b.mdNet, network.InspectOptions{})
	if err != nil || len(info.Containers) > 0 {
		return
	}
	if err := nc.NetworkRemove(ctx, b.mdNet); err != nil && !cerrdefs.IsNotFound(err) {
		b.log.DebugContext(ctx, "docker: metadata network kept", "network", b.mdNet, "err", err)
	}
}
