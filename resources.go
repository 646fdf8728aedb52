package ec2emu

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// EC2 instance states and their codes.
const (
	statePending      = "pending"
	stateRunning      = "running"
	stateShuttingDown = "shutting-down"
	stateTerminated   = "terminated"
	stateStopping     = "stopping"
	stateStopped      = "stopped"
)

var stateCodes = map[string]int{
	statePending: 0, stateRunning: 16, stateShuttingDown: 32,
	stateTerminated: 48, stateStopping: 64, stateStopped: 80,
}

func stateOf(name string) xmlproto.InstanceState {
	return xmlproto.InstanceState{Code: stateCodes[name], Name: name}
}

// tenant is the EC2 state of one account in one region.
type tenant struct {
	scope
	reservations map[string]*reservation
	order        []*instance // launch order; describe output follows it
	keyPairs     map[string]*keyPair
	tokens       map[string]*reservation // ClientToken → its reservation
	imageTags    map[string][]xmlproto.Tag
	net          *network // default VPC, subnets, security groups (network.go)
	// launchTemplates in creation order (launchtemplates.go).
	launchTemplates []*launchTemplate
	// fleets in creation order (fleets.go); fleetTokens serializes
	// CreateFleet calls with a ClientToken, so that concurrent retries
	// make one fleet.
	fleets      []*fleet
	fleetTokens sync.Mutex
	// volumes in creation order, all but the instances' root volumes
	// (ebs.go).
	volumes      []*ebsVolume
	volumeTokens map[string]*ebsVolume // CreateVolume's ClientToken → its volume
	// spotRequests in creation order (spot.go); spotTokens serializes
	// RequestSpotInstances calls with a ClientToken.
	spotRequests []*spotRequest
	spotTokens   sync.Mutex
}

// tenant returns sc's state, creating it on first use. Callers hold s.mu.
func (s *Server) tenant(sc scope) *tenant {
	z := s.tenants[sc]
	if z == nil {
		z = &tenant{
			scope:        sc,
			reservations: map[string]*reservation{},
			keyPairs:     map[string]*keyPair{},
			tokens:       map[string]*reservation{},
			imageTags:    map[string][]xmlproto.Tag{},
			net:          newNetwork(sc),
		}
		s.tenants[sc] = z
	}
	return z
}

type reservation struct {
	id          string
	owner       string
	instances   []*instance
	clientToken string
	requestHash string
}

type instance struct {
	id           string
	seq          uint64
	tenant       *tenant
	res          *reservation
	imageID      string
	instanceType string
	keyName      string
	launchTime   time.Time
	launchIndex  int
	az           string
	privateIP    string
	vols         []*ebsVolume // volumes attached to it beyond its root volume (ebs.go)
	volGen       int          // counts changes to vols, which its view shows
	enis         int          // counts changes to the interfaces attached at device index 1 and up, which its view shows
	architecture string
	clientToken  string
	userData     []byte
	tags         []xmlproto.Tag
	attrs        instanceAttrs // attributes.go
	nic          *nic          // primary network interface: VPC, subnet, groups (network.go)
	access       instAccess    // public address (publicip.go)

	state       string
	reason      string // stateTransitionReason
	stateReason *xmlproto.StateReason
	endedAt     time.Time // when it became terminated
	launchErr   string    // why the backend could not launch it: its only console output

	// lastOp is closed when the last backend call queued on this machine
	// has finished and been recorded; the next call waits for it, so calls
	// run in the order they were accepted. busy counts calls queued or in
	// flight, so drift events do not fight the Server's own transitions.
	lastOp chan struct{}
	busy   int

	stored bool                // read from the state store, its machine not yet checked (adopt)
	spec   *backend.LaunchSpec // while its launch is in flight: what a restart resumes it with

	described atomic.Pointer[described] // as DescribeInstances last wrote it (describecache.go)
}

type keyPair struct {
	id          string
	name        string
	keyType     string
	fingerprint string
	publicKey   string // OpenSSH authorized_keys form, as DescribeKeyPairs shows it
	authorized  string // the line instances get: publicKey and the imported key's comment
	created     time.Time
	tags        []xmlproto.Tag
}

// image is an AMI made by CreateImage that the backend does not list yet
// (pending) or failed to make.
type image struct {
	id, name, description string
	owner, region         string
	state                 backend.ImageState
	created               time.Time
	sourceInstance        string
	token, copyOf         string // CopyImage's ClientToken and source (imagecopy.go)
}

// view renders inst as EC2 describes it. Callers hold s.mu (read).
func (s *Server) view(inst *instance) xmlproto.Instance {
	v := xmlproto.Instance{
		InstanceID:         inst.id,
		ImageID:            inst.imageID,
		State:              stateOf(inst.state),
		Reason:             inst.reason,
		KeyName:            inst.keyName,
		AmiLaunchIndex:     inst.launchIndex,
		InstanceType:       inst.instanceType,
		LaunchTime:         inst.launchTime,
		Placement:          xmlproto.Placement{AvailabilityZone: inst.az, Tenancy: "default"},
		Monitoring:         xmlproto.Monitoring{State: "disabled"},
		StateReason:        inst.stateReason,
		Architecture:       inst.architecture,
		RootDeviceType:     "ebs",
		RootDeviceName:     "/dev/xvda",
		VirtualizationType: "hvm",
		ClientToken:        inst.clientToken,
		Tags:               inst.tags,
		Hypervisor:         "xen",
		EnaSupport:         true,
		PlatformDetails:    "Linux/UNIX",
		UsageOperation:     "RunInstances",
	}
	if inst.state != stateTerminated && inst.privateIP != "" {
		v.PrivateIPAddress = inst.privateIP
		v.PrivateDNSName = privateDNSName(inst.privateIP, inst.tenant.region)
	}
	s.viewNetwork(inst, &v)
	s.viewPublic(inst, &v)
	viewProfile(inst, &v)
	s.viewAttrs(inst, &v)
	return v
}

// privateDNSName is EC2's ip-a-b-c-d form; us-east-1 uses ec2.internal.
func privateDNSName(ip, region string) string {
	host := "ip-" + strings.ReplaceAll(ip, ".", "-")
	if region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + region + ".compute.internal"
}

// visible reports whether inst still shows in Describe calls: terminated
// instances do for the retention period.
func (s *Server) visible(inst *instance, now time.Time) bool {
	return inst.state != stateTerminated || inst.endedAt.IsZero() || now.Sub(inst.endedAt) < s.cfg.retention
}

// purge forgets terminated instances past retention. Callers hold s.mu.
func (s *Server) purge(z *tenant, now time.Time) {
	keep := z.order[:0]
	for _, inst := range z.order {
		if s.visible(inst, now) || inst.busy > 0 {
			keep = append(keep, inst)
			continue
		}
		delete(s.instances, inst.id)
		s.touch(inst)
		s.forgetDescribed(inst)
		inst.res.instances = slices.DeleteFunc(inst.res.instances, func(i *instance) bool { return i == inst })
		if len(inst.res.instances) == 0 {
			delete(z.reservations, inst.res.id)
		}
	}
	clear(z.order[len(keep):])
	z.order = keep
}

// setTags merges tags into list: a key given again replaces its value.
func setTags(list []xmlproto.Tag, tags []xmlproto.Tag) []xmlproto.Tag {
	out := slices.Clone(list)
	for _, t := range tags {
		if i := slices.IndexFunc(out, func(o xmlproto.Tag) bool { return o.Key == t.Key }); i >= 0 {
			out[i].Value = t.Value
		} else {
			out = append(out, t)
		}
	}
	return out
}
