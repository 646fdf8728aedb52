package docker

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"

	"github.com/ec2emu/ec2emu/backend"
)

// A network per VPC. Each VPC whose instances run here is a bridge network
// named ec2emu-vpc.<namespace>.<vpc-id> with the VPC's CIDR, its gateway
// (the host's side) at the range's first host address, which AWS reserves
// for the VPC router. A container joins its VPC's network at exactly the
// address the Server allocated, so instances of one VPC reach each other
// at their EC2 addresses, and the engine's isolation between bridge
// networks keeps VPCs apart.
//
// An engine refuses two networks with overlapping ranges, and a range that
// overlaps the host's own would take its addresses away. So when the
// VPC's range overlaps a network the engine has (another namespace's or
// region's default VPC, 172.31.0.0/16, is the usual one) or an address of
// this host, the VPC's network gets a range the engine picks instead, and
// PrepareNetwork says so: the Server then reports the containers' real
// addresses rather than ones they do not have.

// LabelVPC and LabelVPCCIDR mark a VPC's network with the VPC and the range
// it asked for; LabelNamespace marks its namespace.
const (
	LabelVPC     = "ec2emu.vpc-id"
	LabelVPCCIDR = "ec2emu.vpc-cidr"
)

var _ backend.VPCNetworker = (*Backend)(nil)

func (b *Backend) vpcNetName(vpcID string) string { return "ec2emu-vpc." + b.ns + "." + vpcID }

// PrepareNetwork implements backend.VPCNetworker.
func (b *Backend) PrepareNetwork(ctx context.Context, spec backend.NetworkSpec) (bool, error) {
	nc, ok := b.cli.(networkClient)
	if !ok || b.network != "" {
		// WithNetwork puts every instance on the network it names.
		return false, nil
	}
	b.vpcMu.Lock()
	defer b.vpcMu.Unlock()
	return b.ensureVPCNetwork(ctx, nc, spec)
}

// ensureVPCNetwork finds or makes the VPC's network and says whether it
// has the VPC's range. Callers hold b.vpcMu.
func (b *Backend) ensureVPCNetwork(ctx context.Context, nc networkClient, spec backend.NetworkSpec) (bool, error) {
	name := b.vpcNetName(spec.ID)
	if info, err := nc.NetworkInspect(ctx, name, network.InspectOptions{}); err == nil {
		return hasRange(info, spec.CIDR), nil
	} else if !cerrdefs.IsNotFound(err) {
		return false, wrap("inspect network", name, err)
	}
	p, err := netip.ParsePrefix(spec.CIDR)
	if err != nil || !p.Addr().Is4() {
		return false, fmt.Errorf("docker: network of %s: range %q: %w", spec.ID, spec.CIDR, backend.ErrInvalidState)
	}
	labels := map[string]string{LabelNamespace: b.ns, LabelVPC: spec.ID, LabelVPCCIDR: spec.CIDR}
	opts := network.CreateOptions{Driver: "bridge", Labels: labels}
	if iface := b.hostOverlap(p); iface != "" {
		b.log.WarnContext(ctx, "docker: a VPC's range overlaps this host's addresses; its network gets a range the engine picks",
			"vpc", spec.ID, "cidr", spec.CIDR, "interface", iface)
	} else {
		gw := p.Masked().Addr().Next()
		opts.IPAM = &network.IPAM{Config: []network.IPAMConfig{{Subnet: p.Masked().String(), Gateway: gw.String()}}}
		_, err = nc.NetworkCreate(ctx, name, opts)
		if err == nil {
			return true, nil
		}
		if !strings.Contains(err.Error(), "overlap") {
			return false, wrap("create network", name, err)
		}
		b.log.WarnContext(ctx, "docker: a VPC's range overlaps a network the engine already has; its network gets a range the engine picks",
			"vpc", spec.ID, "cidr", spec.CIDR, "err", err)
		opts.IPAM = nil
	}
	if _, err := nc.NetworkCreate(ctx, name, opts); err != nil {
		return false, wrap("create network", name, err)
	}
	return false, nil
}

// hasRange reports whether network info has exactly range cidr.
func hasRange(info network.Inspect, cidr string) bool {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return false
	}
	for _, c := range info.IPAM.Config {
		if q, err := netip.ParsePrefix(c.Subnet); err == nil && q.Masked() == p.Masked() {
			return true
		}
	}
	return false
}

// hostOverlap names an interface of this host with an address in p, when
// the engine runs on this host (a unix socket); "" when none, or when the
// engine is elsewhere and this host's addresses do not matter to it. The
// engine's own bridges are left to the engine, which checks them itself.
func (b *Backend) hostOverlap(p netip.Prefix) string {
	dh, ok := b.cli.(interface{ DaemonHost() string })
	if !ok || !strings.HasPrefix(dh.DaemonHost(), "unix://") {
		return ""
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, ifc := range ifaces {
		if ifc.Name == "docker0" || strings.HasPrefix(ifc.Name, "br-") || strings.HasPrefix(ifc.Name, "veth") {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			q, err := netip.ParsePrefix(ipn.String())
			if err != nil || !q.Addr().Is4() || q.Addr().IsLoopback() || q.Addr().IsLinkLocalUnicast() {
				continue
			}
			if q.Masked().Overlaps(p) {
				return ifc.Name
			}
		}
	}
	return ""
}

// joinVPC sets up a container's create so it joins its VPC's network at
// the allocated address, making the network if this process has not (a
// launch resumed after a restart). The caller holds b.vpcMu for reading
// until the container has started, so the network is not removed between.
func (b *Backend) joinVPC(ctx context.Context, spec backend.LaunchSpec) (string, *network.NetworkingConfig, error) {
	nc, ok := b.cli.(networkClient)
	if !ok || b.network != "" || spec.Network.ID == "" {
		return "", nil, nil
	}
	name := b.vpcNetName(spec.Network.ID)
	if _, err := nc.NetworkInspect(ctx, name, network.InspectOptions{}); cerrdefs.IsNotFound(err) {
		// Made under the write lock: trade the read lock for it.
		b.vpcMu.RUnlock()
		b.vpcMu.Lock()
		_, err = b.ensureVPCNetwork(ctx, nc, spec.Network)
		b.vpcMu.Unlock()
		b.vpcMu.RLock()
		if err != nil {
			return "", nil, err
		}
	} else if err != nil {
		return "", nil, wrap("inspect network", name, err)
	}
	var cfg *network.NetworkingConfig
	if spec.PrivateIP != "" {
		cfg = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			name: {IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: spec.PrivateIP}},
		}}
	}
	return name, cfg, nil
}

// RemoveNetwork implements backend.VPCNetworker.
func (b *Backend) RemoveNetwork(ctx context.Context, vpcID string) error {
	nc, ok := b.cli.(networkClient)
	if !ok {
		return nil
	}
	b.vpcMu.Lock()
	defer b.vpcMu.Unlock()
	return b.removeIfUnused(ctx, nc, b.vpcNetName(vpcID))
}

// removeIfUnused removes network name unless a container has an endpoint
// on it (running or paused: a stopped one has none and does not keep it).
// Callers hold b.vpcMu.
func (b *Backend) removeIfUnused(ctx context.Context, nc networkClient, name string) error {
	info, err := nc.NetworkInspect(ctx, name, network.InspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return wrap("inspect network", name, err)
	}
	if len(info.Containers) > 0 {
		return nil
	}
	if err := nc.NetworkRemove(ctx, info.ID); err != nil && !cerrdefs.IsNotFound(err) {
		if strings.Contains(err.Error(), "active endpoints") {
			return nil // a container joined since the inspect
		}
		return wrap("remove network", name, err)
	}
	return nil
}

// pruneVPCNetworks removes the namespace's VPC networks no container uses:
// after a terminate, and when the backend closes. A later launch makes a
// network again.
func (b *Backend) pruneVPCNetworks(ctx context.Context) {
	nc, ok := b.cli.(networkClient)
	if !ok || b.network != "" {
		return
	}
	lister, ok := nc.(interface {
		NetworkList(ctx context.Context, options network.ListOptions) ([]network.Summary, error)
	})
	if !ok {
		return
	}
	list, err := lister.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(
		filters.Arg("label", LabelNamespace+"="+b.ns), filters.Arg("label", LabelVPC))})
	if err != nil {
		b.log.DebugContext(ctx, "docker: listing VPC networks", "err", err)
		return
	}
	b.vpcMu.Lock()
	defer b.vpcMu.Unlock()
	for _, n := range list {
		if err := b.removeIfUnused(ctx, nc, n.Name); err != nil {
			b.log.DebugContext(ctx, "docker: VPC network kept", "network", n.Name, "err", err)
		}
	}
}
