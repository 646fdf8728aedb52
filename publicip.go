package ec2emu

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"

	"github.com/ec2emu/ec2emu/xmlproto"
)

// Public addresses. An instance launched into a subnet that maps public IPs
// on launch (the default subnets do), or with
// NetworkInterface.1.AssociatePublicIpAddress=true, holds an address from a
// pool of loopback addresses while it is pending or running: Linux routes
// all of 127.0.0.0/8 to lo, so every instance has an address of its own on
// which every port is free (see portforward.go). As on EC2 the address is
// released when the instance stops or terminates, and a new one is taken
// when it starts.

// DefaultPublicIPPool is the pool public addresses come from unless
// WithPublicIPPool (or EC2EMU_PUBLIC_IP_POOL in the standalone server) says
// otherwise.
var DefaultPublicIPPool = netip.MustParsePrefix("127.100.0.0/16")

// WithPublicIPPool sets the IPv4 range public addresses are taken from.
// Addresses must be routable to this host: on Linux any part of
// 127.0.0.0/8 is; on macOS only 127.0.0.1 is unless aliases are added (e.g.
// `sudo ifconfig lo0 alias 127.100.0.2` for each address), so there give a
// small pool whose addresses you have aliased. The zero Prefix turns public
// addresses (and so port forwarding and the SSH gateway) off. Default
// DefaultPublicIPPool.
func WithPublicIPPool(p netip.Prefix) Option {
	return func(c *config) {
		p = p.Masked()
		c.access.pool, c.access.poolSet = p, true
	}
}

// accessConfig holds the options of public addresses, port forwarding, the
// SSH gateway and the metadata service.
type accessConfig struct {
	pool    netip.Prefix
	poolSet bool // false: DefaultPublicIPPool

	portLimit int  // ports forwarded per instance; 0: DefaultPortForwardLimit
	noIMDS    bool // no metadata service listener (imds.go)

	hostKeySecret []byte        // SSH host keys (sshgateway.go)
	profileCreds  *profileCreds // instance profile credentials (imdsiam.go)
}

func (a *accessConfig) publicPool() netip.Prefix {
	if !a.poolSet {
		return DefaultPublicIPPool
	}
	return a.pool
}

// instAccess is an instance's public address state.
type instAccess struct {
	wantPublic bool     // holds a public address while pending or running
	publicIP   string   // its address now; "" when it holds none
	released   bool     // it has given one back (stopped) since launch
	launchKey  string   // the key pair's public key at launch (sshgateway.go)
	profileArn string   // IAM instance profile named at launch (imdsiam.go)
	eip        *address // the Elastic IP associated with it, if any (addresses.go): publicIP is its address
}

// mdPublicIP stores whether the instance gets a public address, so a
// restarted Server gives it one again.
const mdPublicIP = "public-ip"

// mdLaunchKey stores the public key of the key pair named at launch: as on
// EC2 it stays the instance's key when the key pair is deleted, and when
// the Server restarts (key pairs are not kept across restarts).
const mdLaunchKey = "launch-key"

// takenPublic is every public address held by any Server of this process,
// so two Servers on the same pool (tests in parallel) never share one.
var takenPublic = struct {
	sync.Mutex
	m map[netip.Addr]bool
}{m: map[netip.Addr]bool{}}

// allocPublic takes a free address from pool: at a random place, so
// Servers in different processes on one pool rarely collide, and so an
// address just released is unlikely to come back at once (EC2 gives a new
// address on every start). It returns the zero Addr when pool is exhausted
// or invalid.
//
// A non-empty seed starts the search at a place derived from it instead: an
// instance's first address is seeded by its ID, so a restarted Server gives
// a running instance the address it had.
func allocPublic(pool netip.Prefix, seed string) netip.Addr {
	if !pool.IsValid() || !pool.Addr().Is4() {
		return netip.Addr{}
	}
	bits := 32 - pool.Bits()
	size := uint64(1) << bits
	base := binary.BigEndian.Uint32(pool.Addr().AsSlice())
	// Skip the network and broadcast addresses of pools that have them.
	lo, hi := uint64(0), size
	if size > 2 {
		lo, hi = 1, size-1
	}
	n := hi - lo
	start := rand.Uint64N(n)
	if seed != "" {
		sum := sha256.Sum256([]byte(seed))
		start = binary.BigEndian.Uint64(sum[:8]) % n
	}
	takenPublic.Lock()
	defer takenPublic.Unlock()
	for i := range n {
		off := lo + (start+i)%n
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], base+uint32(off))
		a := netip.AddrFrom4(b)
		if !takenPublic.m[a] {
			takenPublic.m[a] = true
			return a
		}
	}
	return netip.Addr{}
}

// claimPublic takes ip, an address an instance held before a restart, if
// it is still free.
func claimPublic(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	takenPublic.Lock()
	defer takenPublic.Unlock()
	if takenPublic.m[a] {
		return false
	}
	takenPublic.m[a] = true
	return true
}

func releasePublic(ip string) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return
	}
	takenPublic.Lock()
	delete(takenPublic.m, a)
	takenPublic.Unlock()
}

// wantsPublicIP is EC2's rule: the interface's AssociatePublicIpAddress if
// given, else the subnet's MapPublicIpOnLaunch (true for default subnets).
func wantsPublicIP(req *xmlproto.RunInstancesRequest, sn *subnet) bool {
	if len(req.NetworkInterfaces) > 0 && req.NetworkInterfaces[0].AssociatePublicIPAddress != nil {
		return *req.NetworkInterfaces[0].AssociatePublicIPAddress
	}
	return sn.mapPublicIP
}

// syncAccess gives inst a public address or takes it back to match its
// state, and tells the port forwarder. Callers hold s.mu (write).
func (s *Server) syncAccess(inst *instance) {
	a := &inst.access
	if a.eip != nil && (inst.state == stateShuttingDown || inst.state == stateTerminated) {
		// Terminating an instance disassociates its Elastic IP.
		s.disassociate(inst.tenant, a.eip) // calls syncAccess again, without the address
		return
	}
	if a.eip != nil {
		// An Elastic IP stays the instance's address whatever its state.
		a.publicIP = a.eip.publicIP
		if s.fwd != nil {
			s.fwd.kick()
		}
		return
	}
	live := inst.state == statePending || inst.state == stateRunning
	switch {
	case live && a.wantPublic && a.publicIP == "":
		seed := inst.id
		if a.released {
			seed = ""
		}
		if ip := allocPublic(s.cfg.access.publicPool(), seed); ip.IsValid() {
			a.publicIP = ip.String()
		} else if s.cfg.access.publicPool().IsValid() {
			s.log.Warn("public address pool exhausted; instance has none", "instance", inst.id, "pool", s.cfg.access.publicPool())
		}
	case !live && a.publicIP != "":
		releasePublic(a.publicIP)
		a.publicIP, a.released = "", true
	}
	if s.fwd != nil {
		s.fwd.kick()
	}
}

// publicDNSName is EC2's public host name for ip.
func publicDNSName(ip, region string) string {
	host := "ec2-" + strings.ReplaceAll(ip, ".", "-")
	if region == "us-east-1" {
		return host + ".compute-1.amazonaws.com"
	}
	return fmt.Sprintf("%s.%s.compute.amazonaws.com", host, region)
}

// viewPublic adds inst's public address to its description. Callers hold
// s.mu (read).
func (s *Server) viewPublic(inst *instance, v *xmlproto.Instance) {
	ip := inst.access.publicIP
	if ip == "" || inst.state == stateTerminated {
		return
	}
	v.PublicIPAddress = ip
	v.PublicDNSName = publicDNSName(ip, inst.tenant.region)
	assoc := &xmlproto.NICAssociation{PublicIP: ip, PublicDNSName: v.PublicDNSName, IPOwnerID: ipOwner(inst)}
	for i := range v.NetworkInterfaces {
		n := &v.NetworkInterfaces[i]
		n.Association = assoc
		for j := range n.PrivateIPAddresses {
			if n.PrivateIPAddresses[j].Primary {
				n.PrivateIPAddresses[j].Association = assoc
			}
		}
	}
}

// ipOwner is who owns inst's public address: EC2's pool ("amazon"), or the
// account for an Elastic IP.
func ipOwner(inst *instance) string {
	if inst.access.eip != nil {
		return inst.access.eip.owner
	}
	return "amazon"
}

func publicIPField(i *instance) []string {
	if i.access.publicIP == "" || i.state == stateTerminated {
		return nil
	}
	return one(i.access.publicIP)
}

func publicDNSField(i *instance) []string {
	if ip := publicIPField(i); ip != nil {
		return one(publicDNSName(ip[0], i.tenant.region))
	}
	return nil
}

func init() {
	maps.Copy(instanceFields.ByName, map[string]func(*instance) []string{
		"ip-address": publicIPField,
		"dns-name":   publicDNSField,
		"network-interface.association.public-ip":       publicIPField,
		"network-interface.association.public-dns-name": publicDNSField,
		"network-interface.association.ip-owner-id": func(i *instance) []string {
			if publicIPField(i) == nil {
				return nil
			}
			return one(ipOwner(i))
		},
		"network-interface.association.allocation-id": func(i *instance) []string {
			if publicIPField(i) == nil || i.access.eip == nil {
				return nil
			}
			return one(i.access.eip.allocID)
		},
		"network-interface.association.association-id": func(i *instance) []string {
			if publicIPField(i) == nil || i.access.eip == nil {
				return nil
			}
			return one(i.access.eip.assocID)
		},
	})
}
