package ec2emu

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/statestore"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// The durable store (WithStateDir). Every change to EC2 state marks what it
// changed as dirty under s.mu; one committer goroutine takes everything
// dirty, encodes it under the lock and writes it in one bbolt transaction
// (group commit: whatever piles up while a commit syncs goes in the next).
// A request that changed state is answered only once a commit that covers
// its change has synced, so an acknowledged write survives a crash. Reads
// never touch the disk.
//
// If a commit fails (a full or failing disk), memory is ahead of the disk:
// the Server stops answering (503 Unavailable) rather than acknowledge
// writes it cannot keep or show state a restart would lose.

// Buckets, one per kind of record. Keys are "account/region/id" for
// per-tenant records and the bare ID for instances and images.
const (
	bucketInstances = "instances"
	bucketKeyPairs  = "keypairs"
	bucketGroups    = "groups"
	bucketNetworks  = "networks"
	bucketImageTags = "imagetags"
	bucketImages    = "images"
	bucketLTs       = "launchtemplates"
	bucketFleets    = "fleets"
	bucketShares    = "imageshares"
	bucketVolumes   = "volumes"
	bucketSnapshots = "snapshots" // snapshots.go
	bucketSpot      = "spotrequests"
)

// stateSchema is the store's layout. Bump Version and add a Migration
// when a record changes shape in a way older code could not read.
var stateSchema = statestore.Schema{
	Version: 1,
	Buckets: []string{bucketInstances, bucketKeyPairs, bucketGroups, bucketNetworks, bucketImageTags, bucketImages, bucketLTs, bucketFleets, bucketShares, bucketVolumes, bucketSnapshots, bucketSpot},
}

// tenantPart is one kind of a tenant's control-plane records.
type tenantPart uint16

const (
	partKeyPairs tenantPart = 1 << iota
	partGroups
	partNetwork
	partImageTags
	partLaunchTemplates
	partFleets
	partVolumes
	partSpot
)

// dirtySet is what changed since the committer last took it. Guarded by
// s.mu.
type dirtySet struct {
	seq       uint64 // changes made so far
	insts     map[string]struct{}
	tenants   map[scope]tenantPart
	images    map[string]struct{}
	shares    map[string]struct{} // imageattrs.go
	snapshots map[string]struct{} // snapshots.go
}

// persister owns the database and the committer.
type persister struct {
	db   *statestore.DB
	kick chan struct{} // a change is waiting
	quit chan struct{} // closed by closeStore once background work has stopped
	done chan struct{} // closed when the committer has exited

	mu        sync.Mutex
	cond      *sync.Cond
	committed uint64 // every change up to this seq is on disk
	err       error  // the first failed commit; the Server answers 503 from then on
	stopped   bool   // the committer has exited

	// last holds the bytes last written for each per-tenant record, so a
	// dirty tenant part writes only what differs. Used by the committer
	// only (under s.mu).
	last map[string][]byte

	crashed bool  // test hook: stop as a killed process would
	inject  error // test hook: every commit fails with it (a full disk)
}

var errStoreCrashed = errors.New("state store stopped")

// openStore opens the state directory and loads it into s. Callers are New,
// before the Server is shared.
func (s *Server) openStore(dir string) error {
	db, err := statestore.Open(dir, stateSchema)
	if err != nil {
		return err
	}
	p := &persister{db: db, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
		last: map[string][]byte{}}
	p.cond = sync.NewCond(&p.mu)
	if err := s.load(p); err != nil {
		db.Close()
		return fmt.Errorf("loading state from %s: %w", db.Path(), err)
	}
	s.store = p
	s.dirty = dirtySet{insts: map[string]struct{}{}, tenants: map[scope]tenantPart{}, images: map[string]struct{}{}, shares: map[string]struct{}{}}
	go s.committer()
	return nil
}

// closeStore writes what is left and closes the database. Close calls it
// once background work has stopped, so the outcomes it recorded are kept.
func (s *Server) closeStore() {
	if s.store == nil {
		return
	}
	close(s.store.quit)
	<-s.store.done
}

// mutates reports whether action can change state, so that its answer
// waits for the store.
func mutates(action string) bool {
	return !strings.HasPrefix(action, "Describe") && !strings.HasPrefix(action, "Get")
}

// touch marks inst's record dirty. Callers hold s.mu (write).
func (s *Server) touch(inst *instance) {
	if s.store == nil {
		return
	}
	s.dirty.insts[inst.id] = struct{}{}
	s.changed()
}

// touchTenant marks parts of z's records dirty. Callers hold s.mu (write).
func (s *Server) touchTenant(z *tenant, parts tenantPart) {
	if s.store == nil {
		return
	}
	s.dirty.tenants[z.scope] |= parts
	s.changed()
}

// touchImage marks an in-flight image record dirty. Callers hold s.mu
// (write).
func (s *Server) touchImage(id string) {
	if s.store == nil {
		return
	}
	s.dirty.images[id] = struct{}{}
	s.changed()
}

func (s *Server) changed() {
	s.dirty.seq++
	select {
	case s.store.kick <- struct{}{}:
	default:
	}
}

// durable waits until every change made so far is on disk. It returns
// Unavailable if a commit failed, or errStoreCrashed.
func (s *Server) durable() error {
	if s.store == nil {
		return nil
	}
	s.mu.RLock()
	seq := s.dirty.seq
	s.mu.RUnlock()
	p := s.store
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.committed < seq && p.err == nil && !p.stopped {
		p.cond.Wait()
	}
	switch {
	case p.crashed:
		return errStoreCrashed
	case p.err != nil:
		return storeFailure(p.err)
	case p.committed < seq:
		return apiErr(ErrUnavailable, "The server is shutting down.")
	}
	return nil
}

func storeFailure(err error) error {
	return apiErr(ErrUnavailable, "The state store failed (%s); restart the server once the cause is fixed.", err.Error())
}

// storeErr is the failed commit that stops the Server, if any.
func (s *Server) storeErr() error {
	if s.store == nil {
		return nil
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	if s.store.crashed {
		return errStoreCrashed
	}
	if s.store.err != nil {
		return storeFailure(s.store.err)
	}
	return nil
}

// committer writes dirty records until closeStore, then writes what is
// left and closes the database.
func (s *Server) committer() {
	p := s.store
	defer close(p.done)
	defer func() {
		p.mu.Lock()
		p.stopped = true
		p.cond.Broadcast()
		p.mu.Unlock()
		if err := p.db.Close(); err != nil {
			s.log.Error("closing the state store", "err", err)
		}
	}()
	for {
		final := false
		select {
		case <-p.kick:
		case <-p.quit:
			final = true
		}
		p.mu.Lock()
		stop := p.crashed || p.err != nil
		p.mu.Unlock()
		if stop {
			return
		}
		s.mu.Lock()
		seq := s.dirty.seq
		ops := s.takeDirty(p)
		s.mu.Unlock()
		p.mu.Lock()
		err := p.inject
		p.mu.Unlock()
		if err == nil {
			err = p.db.Apply(ops)
		}
		p.mu.Lock()
		if err != nil && !p.crashed {
			p.err = fmt.Errorf("writing state to %s: %w", p.db.Path(), err)
			s.log.Error("the state store failed; answering 503 until restarted", "err", err)
		} else if !p.crashed {
			p.committed = seq
		}
		p.cond.Broadcast()
		p.mu.Unlock()
		if final {
			return
		}
	}
}

// takeDirty encodes every dirty record and clears the set. Callers hold s.mu
// (write).
func (s *Server) takeDirty(p *persister) []statestore.Op {
	var ops []statestore.Op
	for id := range s.dirty.insts {
		op := statestore.Op{Bucket: bucketInstances, Key: []byte(id)}
		if inst := s.instances[id]; inst != nil {
			op.Value = mustJSON(recordOf(inst))
		}
		ops = append(ops, op)
	}
	for id := range s.dirty.images {
		op := statestore.Op{Bucket: bucketImages, Key: []byte(id)}
		if im := s.images[id]; im != nil {
			op.Value = mustJSON(imageRec{ID: im.id, Name: im.name, Description: im.description, Owner: im.owner,
				Region: im.region, State: string(im.state), Created: im.created, SourceInstance: im.sourceInstance,
				Token: im.token, CopyOf: im.copyOf})
		}
		ops = append(ops, op)
	}
	for id := range s.dirty.shares {
		op := statestore.Op{Bucket: bucketShares, Key: []byte(id)}
		if sh := s.shares[id]; sh != nil {
			op.Value = mustJSON(shareRec{Description: sh.description, Users: sh.users, Public: sh.public})
		}
		ops = append(ops, op)
	}
	ops = append(ops, s.takeDirtySnapshots()...)
	for sc, parts := range s.dirty.tenants {
		if z := s.tenants[sc]; z != nil {
			ops = append(ops, p.diffTenant(z, parts)...)
		}
	}
	clear(s.dirty.insts)
	clear(s.dirty.images)
	clear(s.dirty.shares)
	clear(s.dirty.tenants)
	slices.SortFunc(ops, func(a, b statestore.Op) int { return cmp.Compare(a.Bucket, b.Bucket) })
	return ops
}

func tenantKey(sc scope, id string) string { return sc.account + "/" + sc.region + "/" + id }

// diffTenant encodes parts of z and returns the writes that bring the store
// to them: changed records put, vanished ones deleted.
func (p *persister) diffTenant(z *tenant, parts tenantPart) []statestore.Op {
	now := map[string]map[string][]byte{} // bucket → key → value
	add := func(bucket, key string, v any) {
		if now[bucket] == nil {
			now[bucket] = map[string][]byte{}
		}
		now[bucket][key] = mustJSON(v)
	}
	var buckets []string
	if parts&partKeyPairs != 0 {
		buckets = append(buckets, bucketKeyPairs)
		for _, kp := range z.keyPairs {
			add(bucketKeyPairs, tenantKey(z.scope, kp.name), keyPairRec{ID: kp.id, Name: kp.name, Type: kp.keyType,
				Fingerprint: kp.fingerprint, PublicKey: kp.publicKey, Authorized: kp.authorized, Created: kp.created, Tags: kp.tags})
		}
	}
	if parts&partGroups != 0 {
		buckets = append(buckets, bucketGroups)
		for i, g := range z.net.groups {
			add(bucketGroups, tenantKey(z.scope, g.id), groupRecOf(i, g))
		}
	}
	if parts&partNetwork != 0 {
		buckets = append(buckets, bucketNetworks)
		add(bucketNetworks, tenantKey(z.scope, ""), networkRecOf(z.net))
	}
	if parts&partImageTags != 0 {
		buckets = append(buckets, bucketImageTags)
		for id, tags := range z.imageTags {
			add(bucketImageTags, tenantKey(z.scope, id), tags)
		}
	}
	if parts&partLaunchTemplates != 0 {
		buckets = append(buckets, bucketLTs)
		for i, lt := range z.launchTemplates {
			add(bucketLTs, tenantKey(z.scope, lt.id), ltRecOf(i, lt))
		}
	}
	if parts&partFleets != 0 {
		buckets = append(buckets, bucketFleets)
		for i, f := range z.fleets {
			add(bucketFleets, tenantKey(z.scope, f.id), fleetRecOf(i, f))
		}
	}
	if parts&partVolumes != 0 {
		buckets = append(buckets, bucketVolumes)
		tokens := map[*ebsVolume]string{}
		for t, v := range z.volumeTokens {
			tokens[v] = t
		}
		for i, v := range z.volumes {
			add(bucketVolumes, tenantKey(z.scope, v.id), volumeRecOf(i, v, tokens[v]))
		}
	}
	if parts&partSpot != 0 {
		buckets = append(buckets, bucketSpot)
		for i, r := range z.spotRequests {
			add(bucketSpot, tenantKey(z.scope, r.id), spotRecOf(i, r))
		}
	}
	prefix := tenantKey(z.scope, "")
	var ops []statestore.Op
	for _, b := range buckets {
		for k, v := range now[b] {
			lk := b + "\x00" + k
			if old, ok := p.last[lk]; !ok || string(old) != string(v) {
				ops = append(ops, statestore.Op{Bucket: b, Key: []byte(k), Value: v})
				p.last[lk] = v
			}
		}
		for lk := range p.last {
			b2, k, _ := strings.Cut(lk, "\x00")
			if b2 == b && strings.HasPrefix(k, prefix) && now[b][k] == nil {
				ops = append(ops, statestore.Op{Bucket: b, Key: []byte(k)})
				delete(p.last, lk)
			}
		}
	}
	return ops
}

// mustJSON encodes a record; the records hold only plain values, so an
// error is a bug.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("ec2emu: encoding a state record: %v", err))
	}
	return b
}

// Records as stored. Field names are the on-disk format: rename with a
// schema migration.
type (
	instanceRec struct {
		ID           string                `json:"id"`
		Account      string                `json:"account"`
		Region       string                `json:"region"`
		Seq          uint64                `json:"seq"`
		Reservation  string                `json:"reservation"`
		ResOwner     string                `json:"reservationOwner"`
		ResToken     string                `json:"reservationToken,omitempty"`
		ResHash      string                `json:"reservationHash,omitempty"`
		ImageID      string                `json:"imageId"`
		InstanceType string                `json:"instanceType"`
		KeyName      string                `json:"keyName,omitempty"`
		LaunchTime   time.Time             `json:"launchTime"`
		LaunchIndex  int                   `json:"launchIndex"`
		AZ           string                `json:"az"`
		PrivateIP    string                `json:"privateIp,omitempty"`
		Architecture string                `json:"architecture,omitempty"`
		ClientToken  string                `json:"clientToken,omitempty"`
		UserData     []byte                `json:"userData,omitempty"`
		Tags         []xmlproto.Tag        `json:"tags,omitempty"`
		Attrs        instanceAttrs         `json:"attrs"`
		NIC          *nicRec               `json:"nic,omitempty"`
		Access       accessRec             `json:"access"`
		State        string                `json:"state"`
		Reason       string                `json:"reason,omitempty"`
		StateReason  *xmlproto.StateReason `json:"stateReason,omitempty"`
		EndedAt      time.Time             `json:"endedAt,omitzero"`
		LaunchErr    string                `json:"launchError,omitempty"`
		Launch       *backend.LaunchSpec   `json:"launch,omitempty"` // while the launch is in flight
	}
	nicRec struct {
		VpcID    string                     `json:"vpcId"`
		SubnetID string                     `json:"subnetId"`
		ENI      string                     `json:"eni"`
		Attach   string                     `json:"attachment"`
		MAC      string                     `json:"mac"`
		Groups   []xmlproto.GroupIdentifier `json:"groups"`
	}
	accessRec struct {
		WantPublic bool   `json:"wantPublic,omitempty"`
		PublicIP   string `json:"publicIp,omitempty"`
		Released   bool   `json:"released,omitempty"`
		LaunchKey  string `json:"launchKey,omitempty"`
		ProfileArn string `json:"profileArn,omitempty"`
	}
	keyPairRec struct {
		ID          string         `json:"id"`
		Name        string         `json:"name"`
		Type        string         `json:"type"`
		Fingerprint string         `json:"fingerprint"`
		PublicKey   string         `json:"publicKey"`
		Authorized  string         `json:"authorized"`
		Created     time.Time      `json:"created"`
		Tags        []xmlproto.Tag `json:"tags,omitempty"`
	}
	groupRec struct {
		Order       int            `json:"order"`
		ID          string         `json:"id"`
		Name        string         `json:"name"`
		Description string         `json:"description"`
		VpcID       string         `json:"vpcId"`
		Owner       string         `json:"owner"`
		IsDefault   bool           `json:"isDefault,omitempty"`
		Rules       []ruleRec      `json:"rules"`
		Tags        []xmlproto.Tag `json:"tags,omitempty"`
	}
	ruleRec struct {
		ID          string         `json:"id"`
		Egress      bool           `json:"egress,omitempty"`
		Proto       string         `json:"proto"`
		From        int            `json:"from"`
		To          int            `json:"to"`
		CIDR4       string         `json:"cidr4,omitempty"`
		CIDR6       string         `json:"cidr6,omitempty"`
		PrefixList  string         `json:"prefixList,omitempty"`
		RefGroup    string         `json:"refGroup,omitempty"`
		RefUser     string         `json:"refUser,omitempty"`
		Description string         `json:"description,omitempty"`
		Tags        []xmlproto.Tag `json:"tags,omitempty"`
	}
	// networkRec is a tenant's whole network but its security groups.
	// Records written before the VPC actions have no Gateways, RouteTables
	// or Acls: load gives their VPCs the defaults AWS would have made.
	networkRec struct {
		Vpcs        []vpcRec        `json:"vpcs"`
		Subnets     []subnetRec     `json:"subnets"`
		Gateways    []igwRec        `json:"gateways,omitempty"`
		RouteTables []routeTableRec `json:"routeTables,omitempty"`
		Acls        []aclRec        `json:"acls,omitempty"`
		ENIs        []eniRec        `json:"enis,omitempty"`
		Addresses   []addressRec    `json:"addresses,omitempty"`
	}
	eniRec struct {
		ID, Owner, VpcID, SubnetID, AZ, AZID, PrivateIP, MAC string
		Description                                          string                     `json:",omitempty"`
		Groups                                               []xmlproto.GroupIdentifier `json:",omitempty"`
		NoSourceDestCheck                                    bool                       `json:",omitempty"`
		Attach                                               *eniAttachRec              `json:",omitempty"`
		Tags                                                 []xmlproto.Tag             `json:",omitempty"`
	}
	eniAttachRec struct {
		ID, InstanceID      string
		DeviceIndex         int
		DeleteOnTermination bool `json:",omitempty"`
		At                  time.Time
	}
	// addressRec is an Elastic IP and its association; the instance's
	// side of it is derived on load (linkAddresses).
	addressRec struct {
		AllocID, PublicIP, Owner string
		AssocID                  string         `json:",omitempty"`
		InstanceID               string         `json:",omitempty"`
		ENI                      string         `json:",omitempty"`
		PrivateIP                string         `json:",omitempty"`
		Tags                     []xmlproto.Tag `json:",omitempty"`
	}
	vpcRec struct {
		ID, Owner, CIDR, DHCPOptionsID, AssocID string
		IsDefault                               bool           `json:",omitempty"`
		Tags                                    []xmlproto.Tag `json:",omitempty"`
		Tenancy                                 string         `json:",omitempty"`
		DNSSupport                              *bool          `json:",omitempty"` // absent: true
		DNSHostnames                            *bool          `json:",omitempty"` // absent: IsDefault
		NAUMetrics                              bool           `json:",omitempty"`
	}
	subnetRec struct {
		ID, Owner, VpcID, CIDR, AZ, AZID string
		DefaultForAz                     bool           `json:",omitempty"`
		Tags                             []xmlproto.Tag `json:",omitempty"`
		MapPublicIP                      *bool          `json:",omitempty"` // absent: DefaultForAz
		DNS64                            bool           `json:",omitempty"`
		HostnameType                     string         `json:",omitempty"` // absent: ip-name
		DNSA                             bool           `json:",omitempty"`
		DNSAAAA                          bool           `json:",omitempty"`
	}
	igwRec struct {
		ID, Owner string
		VpcID     string         `json:",omitempty"`
		Tags      []xmlproto.Tag `json:",omitempty"`
	}
	routeTableRec struct {
		ID, Owner, VpcID string
		Routes           []routeRec     `json:",omitempty"`
		Assocs           []rtAssocRec   `json:",omitempty"`
		ClientToken      string         `json:",omitempty"`
		Tags             []xmlproto.Tag `json:",omitempty"`
	}
	routeRec struct {
		Dest     string
		Gateway  string `json:",omitempty"`
		Instance string `json:",omitempty"`
		ENI      string `json:",omitempty"`
		EIGW     string `json:",omitempty"`
	}
	rtAssocRec struct {
		ID        string
		SubnetID  string `json:",omitempty"`
		GatewayID string `json:",omitempty"`
		Main      bool   `json:",omitempty"`
	}
	aclRec struct {
		ID, Owner, VpcID string
		Tags             []xmlproto.Tag `json:",omitempty"`
	}
	shareRec struct {
		Description *string  `json:"description,omitempty"`
		Users       []string `json:"users,omitempty"`
		Public      bool     `json:"public,omitempty"`
	}
	imageRec struct {
		ID             string    `json:"id"`
		Name           string    `json:"name"`
		Description    string    `json:"description,omitempty"`
		Owner          string    `json:"owner"`
		Region         string    `json:"region"`
		State          string    `json:"state"`
		Created        time.Time `json:"created"`
		SourceInstance string    `json:"sourceInstance"`
		Token          string    `json:"token,omitempty"`
		CopyOf         string    `json:"copyOf,omitempty"`
	}
)

func recordOf(inst *instance) instanceRec {
	r := instanceRec{
		ID: inst.id, Account: inst.tenant.account, Region: inst.tenant.region, Seq: inst.seq,
		Reservation: inst.res.id, ResOwner: inst.res.owner, ResToken: inst.res.clientToken, ResHash: inst.res.requestHash,
		ImageID: inst.imageID, InstanceType: inst.instanceType, KeyName: inst.keyName, LaunchTime: inst.launchTime,
		LaunchIndex: inst.launchIndex, AZ: inst.az, PrivateIP: inst.privateIP, Architecture: inst.architecture,
		ClientToken: inst.clientToken, UserData: inst.userData, Tags: inst.tags, Attrs: inst.attrs,
		Access: accessRec{WantPublic: inst.access.wantPublic, PublicIP: inst.access.publicIP, Released: inst.access.released,
			LaunchKey: inst.access.launchKey, ProfileArn: inst.access.profileArn},
		State: inst.state, Reason: inst.reason, StateReason: inst.stateReason, EndedAt: inst.endedAt, LaunchErr: inst.launchErr,
		Launch: inst.spec,
	}
	if n := inst.nic; n != nil {
		r.NIC = &nicRec{VpcID: n.vpcID, SubnetID: n.subnetID, ENI: n.eniID, Attach: n.attachID, MAC: n.mac, Groups: n.groups}
	}
	return r
}

func groupRecOf(order int, g *securityGroup) groupRec {
	r := groupRec{Order: order, ID: g.id, Name: g.name, Description: g.description, VpcID: g.vpcID, Owner: g.owner,
		IsDefault: g.isDefault, Tags: g.tags, Rules: make([]ruleRec, 0, len(g.rules))}
	for _, x := range g.rules {
		r.Rules = append(r.Rules, ruleRec{ID: x.id, Egress: x.egress, Proto: x.proto, From: x.from, To: x.to,
			CIDR4: x.cidr4, CIDR6: x.cidr6, PrefixList: x.prefixList, RefGroup: x.refGroup, RefUser: x.refUser,
			Description: x.description, Tags: x.tags})
	}
	return r
}

func networkRecOf(n *network) networkRec {
	var r networkRec
	for _, v := range n.vpcs {
		dnsSupport, dnsHostnames := v.dnsSupport, v.dnsHostnames
		r.Vpcs = append(r.Vpcs, vpcRec{ID: v.id, Owner: v.owner, CIDR: v.cidr, DHCPOptionsID: v.dhcpOptionsID,
			AssocID: v.assocID, IsDefault: v.isDefault, Tags: v.tags, Tenancy: v.tenancy,
			DNSSupport: &dnsSupport, DNSHostnames: &dnsHostnames, NAUMetrics: v.nauMetrics})
	}
	for _, sn := range n.subnets {
		mapPublic := sn.mapPublicIP
		r.Subnets = append(r.Subnets, subnetRec{ID: sn.id, Owner: sn.owner, VpcID: sn.vpcID, CIDR: sn.cidr, AZ: sn.az,
			AZID: sn.azID, DefaultForAz: sn.defaultForAz, Tags: sn.tags, MapPublicIP: &mapPublic, DNS64: sn.dns64,
			HostnameType: sn.hostnameType, DNSA: sn.dnsA, DNSAAAA: sn.dnsAAAA})
	}
	for _, g := range n.igws {
		r.Gateways = append(r.Gateways, igwRec{ID: g.id, Owner: g.owner, VpcID: g.vpcID, Tags: g.tags})
	}
	for _, rt := range n.routeTables {
		x := routeTableRec{ID: rt.id, Owner: rt.owner, VpcID: rt.vpcID, ClientToken: rt.clientToken, Tags: rt.tags}
		for _, ro := range rt.routes {
			x.Routes = append(x.Routes, routeRec{Dest: ro.dest, Gateway: ro.gateway, Instance: ro.instance, ENI: ro.eni, EIGW: ro.eigw})
		}
		for _, a := range rt.assocs {
			x.Assocs = append(x.Assocs, rtAssocRec{ID: a.id, SubnetID: a.subnetID, GatewayID: a.gatewayID, Main: a.main})
		}
		r.RouteTables = append(r.RouteTables, x)
	}
	for _, a := range n.acls {
		r.Acls = append(r.Acls, aclRec{ID: a.id, Owner: a.owner, VpcID: a.vpcID, Tags: a.tags})
	}
	for _, e := range n.enis {
		x := eniRec{ID: e.id, Owner: e.owner, VpcID: e.vpcID, SubnetID: e.subnetID, AZ: e.az, AZID: e.azID, PrivateIP: e.privateIP,
			MAC: e.mac, Description: e.description, Groups: e.groups, NoSourceDestCheck: e.noSourceDestCheck, Tags: e.tags}
		if a := e.attach; a != nil {
			x.Attach = &eniAttachRec{ID: a.id, InstanceID: a.instanceID, DeviceIndex: a.deviceIndex, DeleteOnTermination: a.deleteOnTermination, At: a.at}
		}
		r.ENIs = append(r.ENIs, x)
	}
	for _, a := range n.addresses {
		r.Addresses = append(r.Addresses, addressRec{AllocID: a.allocID, PublicIP: a.publicIP, Owner: a.owner,
			AssocID: a.assocID, InstanceID: a.instanceID, ENI: a.eniID, PrivateIP: a.privateIP, Tags: a.tags})
	}
	return r
}

// loadNetwork replaces n's VPCs, subnets, gateways, route tables and ACLs
// by r's.
func loadNetwork(sc scope, n *network, r networkRec) {
	n.vpcs, n.subnets, n.igws, n.routeTables, n.acls, n.enis, n.books = nil, nil, nil, nil, nil, nil, nil
	for _, x := range r.ENIs {
		e := &eni{id: x.ID, owner: x.Owner, vpcID: x.VpcID, subnetID: x.SubnetID, az: x.AZ, azID: x.AZID, privateIP: x.PrivateIP,
			mac: x.MAC, description: x.Description, groups: x.Groups, noSourceDestCheck: x.NoSourceDestCheck, tags: x.Tags}
		if a := x.Attach; a != nil {
			e.attach = &eniAttachment{id: a.ID, instanceID: a.InstanceID, deviceIndex: a.DeviceIndex, deleteOnTermination: a.DeleteOnTermination, at: a.At}
		}
		n.enis = append(n.enis, e)
	}
	n.addresses = nil
	for _, x := range r.Addresses {
		// An Elastic IP keeps its address: it is claimed even if another
		// Server of this process holds it (tests sharing a pool).
		claimPublic(x.PublicIP)
		n.addresses = append(n.addresses, &address{allocID: x.AllocID, publicIP: x.PublicIP, owner: x.Owner, assocID: x.AssocID,
			instanceID: x.InstanceID, eniID: x.ENI, privateIP: x.PrivateIP, tags: x.Tags})
	}
	for _, x := range r.Vpcs {
		v := &vpc{id: x.ID, owner: x.Owner, cidr: x.CIDR, dhcpOptionsID: x.DHCPOptionsID, assocID: x.AssocID,
			isDefault: x.IsDefault, tags: x.Tags, tenancy: cmp.Or(x.Tenancy, "default"), dnsSupport: true,
			dnsHostnames: x.IsDefault, nauMetrics: x.NAUMetrics}
		if x.DNSSupport != nil {
			v.dnsSupport = *x.DNSSupport
		}
		if x.DNSHostnames != nil {
			v.dnsHostnames = *x.DNSHostnames
		}
		n.vpcs = append(n.vpcs, v)
	}
	for _, x := range r.Subnets {
		sn := &subnet{id: x.ID, owner: x.Owner, vpcID: x.VpcID, cidr: x.CIDR, az: x.AZ, azID: x.AZID,
			defaultForAz: x.DefaultForAz, tags: x.Tags, mapPublicIP: x.DefaultForAz, dns64: x.DNS64,
			hostnameType: cmp.Or(x.HostnameType, "ip-name"), dnsA: x.DNSA, dnsAAAA: x.DNSAAAA}
		if x.MapPublicIP != nil {
			sn.mapPublicIP = *x.MapPublicIP
		}
		n.subnets = append(n.subnets, sn)
	}
	if r.Gateways == nil && r.RouteTables == nil && r.Acls == nil {
		// Written before gateways and route tables existed: only default
		// VPCs were possible, and they get what AWS gives them.
		for _, v := range n.vpcs {
			n.addVPCDefaults(v)
			if v.isDefault {
				g := &igw{id: stableID("igw-", sc.account, sc.region, "default-vpc"), owner: v.owner, vpcID: v.id}
				n.igws = append(n.igws, g)
				n.mainTable(v.id).routes = []*route{{dest: "0.0.0.0/0", gateway: g.id}}
			}
		}
		return
	}
	for _, x := range r.Gateways {
		n.igws = append(n.igws, &igw{id: x.ID, owner: x.Owner, vpcID: x.VpcID, tags: x.Tags})
	}
	for _, x := range r.RouteTables {
		rt := &routeTable{id: x.ID, owner: x.Owner, vpcID: x.VpcID, clientToken: x.ClientToken, tags: x.Tags}
		for _, ro := range x.Routes {
			rt.routes = append(rt.routes, &route{dest: ro.Dest, gateway: ro.Gateway, instance: ro.Instance, eni: ro.ENI, eigw: ro.EIGW})
		}
		for _, a := range x.Assocs {
			rt.assocs = append(rt.assocs, &rtAssoc{id: a.ID, subnetID: a.SubnetID, gatewayID: a.GatewayID, main: a.Main})
		}
		n.routeTables = append(n.routeTables, rt)
	}
	for _, x := range r.Acls {
		n.acls = append(n.acls, &networkACL{id: x.ID, owner: x.Owner, vpcID: x.VpcID, tags: x.Tags})
	}
}

// splitTenantKey parses "account/region/id".
func splitTenantKey(k []byte) (scope, string, error) {
	parts := strings.SplitN(string(k), "/", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return scope{}, "", fmt.Errorf("malformed key %q", k)
	}
	return scope{account: parts[0], region: parts[1]}, parts[2], nil
}

// load reads every record into s. A record it cannot read fails the load:
// starting empty would silently lose what was acknowledged. Called by New
// before the Server is shared.
func (s *Server) load(p *persister) error {
	each := func(bucket string, fn func(k, v []byte) error) error {
		return p.db.ForEach(bucket, func(k, v []byte) error {
			if err := fn(k, v); err != nil {
				return fmt.Errorf("%s record %q: %w", bucket, k, err)
			}
			p.last[bucket+"\x00"+string(k)] = append([]byte(nil), v...)
			return nil
		})
	}
	if err := each(bucketNetworks, func(k, v []byte) error {
		sc, _, err := splitTenantKey(k)
		if err != nil {
			return err
		}
		var r networkRec
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		loadNetwork(sc, s.tenant(sc).net, r)
		return nil
	}); err != nil {
		return err
	}
	groups := map[scope][]groupRec{}
	if err := each(bucketGroups, func(k, v []byte) error {
		sc, _, err := splitTenantKey(k)
		if err != nil {
			return err
		}
		var r groupRec
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		groups[sc] = append(groups[sc], r)
		return nil
	}); err != nil {
		return err
	}
	for sc, rs := range groups {
		slices.SortFunc(rs, func(a, b groupRec) int { return cmp.Compare(a.Order, b.Order) })
		n := s.tenant(sc).net
		n.groups = n.groups[:0]
		for _, r := range rs {
			g := &securityGroup{id: r.ID, name: r.Name, description: r.Description, vpcID: r.VpcID, owner: r.Owner,
				isDefault: r.IsDefault, tags: r.Tags}
			for _, x := range r.Rules {
				g.rules = append(g.rules, &sgRule{id: x.ID, egress: x.Egress, proto: x.Proto, from: x.From, to: x.To,
					cidr4: x.CIDR4, cidr6: x.CIDR6, prefixList: x.PrefixList, refGroup: x.RefGroup, refUser: x.RefUser,
					description: x.Description, tags: x.Tags})
			}
			n.groups = append(n.groups, g)
		}
	}
	for _, z := range s.tenants {
		// A tenant's first default group comes with its tenant, not from
		// the store: gone with its VPC if that was deleted.
		z.net.groups = slices.DeleteFunc(z.net.groups, func(g *securityGroup) bool { return z.net.vpc(g.vpcID) == nil })
	}
	if err := each(bucketKeyPairs, func(k, v []byte) error {
		sc, _, err := splitTenantKey(k)
		if err != nil {
			return err
		}
		var r keyPairRec
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		s.tenant(sc).keyPairs[r.Name] = &keyPair{id: r.ID, name: r.Name, keyType: r.Type, fingerprint: r.Fingerprint,
			publicKey: r.PublicKey, authorized: r.Authorized, created: r.Created, tags: r.Tags}
		return nil
	}); err != nil {
		return err
	}
	if err := each(bucketImageTags, func(k, v []byte) error {
		sc, id, err := splitTenantKey(k)
		if err != nil {
			return err
		}
		var tags []xmlproto.Tag
		if err := json.Unmarshal(v, &tags); err != nil {
			return err
		}
		s.tenant(sc).imageTags[id] = tags
		return nil
	}); err != nil {
		return err
	}
	lts := map[scope][]launchTemplateRec{}
	if err := each(bucketLTs, func(k, v []byte) error {
		sc, _, err := splitTenantKey(k)
		if err != nil {
			return err
		}
		var r launchTemplateRec
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if len(r.Versions) == 0 {
			return errors.New("launch template record without versions")
		}
		lts[sc] = append(lts[sc], r)
		return nil
	}); err != nil {
		return err
	}
	for sc, rs := range lts {
		slices.SortFunc(rs, func(a, b launchTemplateRec) int { return cmp.Compare(a.Order, b.Order) })
		z := s.tenant(sc)
		for _, r := range rs {
			z.launchTemplates = append(z.launchTemplates, ltFromRec(r))
		}
	}
	fleets := map[scope][]fleetRec{}
	if err := each(bucketFleets, func(k, v []byte) error {
		sc, _, err := splitTenantKey(k)
		if err != nil {
			return err
		}
		var r fleetRec
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if r.Target.TotalTargetCapacity == nil {
			return errors.New("fleet record without a target capacity")
		}
		fleets[sc] = append(fleets[sc], r)
		return nil
	}); err != nil {
		return err
	}
	for sc, rs := range fleets {
		slices.SortFunc(rs, func(a, b fleetRec) int { return cmp.Compare(a.Order, b.Order) })
		z := s.tenant(sc)
		for _, r := range rs {
			f := fleetFromRec(r)
			f.z = z
			z.fleets = append(z.fleets, f)
		}
	}
	spots := map[scope][]spotRec{}
	if err := each(bucketSpot, func(k, v []byte) error {
		sc, _, err := splitTenantKey(k)
		if err != nil {
			return err
		}
		var r spotRec
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		spots[sc] = append(spots[sc], r)
		return nil
	}); err != nil {
		return err
	}
	for sc, rs := range spots {
		slices.SortFunc(rs, func(a, b spotRec) int { return cmp.Compare(a.Order, b.Order) })
		z := s.tenant(sc)
		for _, r := range rs {
			z.spotRequests = append(z.spotRequests, spotFromRec(r))
		}
	}
	if err := each(bucketImages, func(k, v []byte) error {
		var r imageRec
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		im := &image{id: r.ID, name: r.Name, description: r.Description, owner: r.Owner, region: r.Region,
			state: backend.ImageState(r.State), created: r.Created, sourceInstance: r.SourceInstance,
			token: r.Token, copyOf: r.CopyOf}
		if im.state == backend.ImagePending {
			// The process making it has died. If the backend finished it,
			// its listing shows it available; if not, it failed.
			im.state = backend.ImageFailed
		}
		s.images[im.id] = im
		return nil
	}); err != nil {
		return err
	}
	if err := each(bucketShares, func(k, v []byte) error {
		var r shareRec
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		s.shares[string(k)] = &imageShare{description: r.Description, users: r.Users, public: r.Public}
		return nil
	}); err != nil {
		return err
	}
	vols := map[scope][]volumeRec{}
	if err := each(bucketVolumes, func(k, v []byte) error {
		sc, _, err := splitTenantKey(k)
		if err != nil {
			return err
		}
		var r volumeRec
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if r.ID == "" || r.AZ == "" {
			return errors.New("incomplete volume record")
		}
		vols[sc] = append(vols[sc], r)
		return nil
	}); err != nil {
		return err
	}
	for sc, rs := range vols {
		slices.SortFunc(rs, func(a, b volumeRec) int { return cmp.Compare(a.Order, b.Order) })
		z := s.tenant(sc)
		for _, r := range rs {
			v := volumeFromRec(r)
			z.volumes = append(z.volumes, v)
			if r.Token != "" {
				if z.volumeTokens == nil {
					z.volumeTokens = map[string]*ebsVolume{}
				}
				z.volumeTokens[r.Token] = v
			}
		}
	}
	if err := s.loadSnapshots(each); err != nil {
		return err
	}
	var recs []instanceRec
	if err := each(bucketInstances, func(k, v []byte) error {
		var r instanceRec
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if r.ID != string(k) || r.Account == "" || r.Region == "" || r.Reservation == "" {
			return errors.New("incomplete instance record")
		}
		recs = append(recs, r)
		return nil
	}); err != nil {
		return err
	}
	slices.SortFunc(recs, func(a, b instanceRec) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, r := range recs {
		s.restore(r)
	}
	s.linkAddresses()
	return nil
}

// linkAddresses gives each instance with an Elastic IP associated its side
// of the association: the address is its public address. Called by load.
func (s *Server) linkAddresses() {
	for _, z := range s.tenants {
		for _, a := range z.net.addresses {
			inst := s.instances[a.instanceID]
			if a.assocID == "" || inst == nil {
				a.assocID, a.instanceID, a.eniID, a.privateIP = "", "", "", ""
				continue
			}
			if ip := inst.access.publicIP; ip != "" && ip != a.publicIP {
				releasePublic(ip)
			}
			inst.access.eip, inst.access.publicIP = a, a.publicIP
		}
	}
}

// restore re-creates one instance from its record. Its machine is checked
// when the backend's machines are adopted (adopt).
func (s *Server) restore(r instanceRec) {
	z := s.tenant(scope{account: r.Account, region: r.Region})
	res := z.reservations[r.Reservation]
	if res == nil {
		res = &reservation{id: r.Reservation, owner: r.ResOwner, clientToken: r.ResToken, requestHash: r.ResHash}
		z.reservations[res.id] = res
		if res.clientToken != "" {
			z.tokens[res.clientToken] = res
		}
	}
	s.seq = max(s.seq, r.Seq)
	inst := &instance{
		id: r.ID, seq: r.Seq, tenant: z, res: res, imageID: r.ImageID, instanceType: r.InstanceType, keyName: r.KeyName,
		launchTime: r.LaunchTime, launchIndex: r.LaunchIndex, az: r.AZ, privateIP: r.PrivateIP, architecture: r.Architecture,
		clientToken: r.ClientToken, userData: r.UserData, tags: r.Tags, attrs: r.Attrs,
		access: instAccess{wantPublic: r.Access.WantPublic, publicIP: r.Access.PublicIP, released: r.Access.Released,
			launchKey: r.Access.LaunchKey, profileArn: r.Access.ProfileArn},
		state: r.State, reason: r.Reason, stateReason: r.StateReason, endedAt: r.EndedAt, launchErr: r.LaunchErr,
		stored: true, spec: r.Launch,
	}
	if a := &inst.access; a.publicIP != "" && !claimPublic(a.publicIP) {
		a.publicIP = "" // taken meanwhile by another Server of this process: it gets another
	}
	if n := r.NIC; n != nil {
		inst.nic = &nic{vpcID: n.VpcID, subnetID: n.SubnetID, eniID: n.ENI, attachID: n.Attach, mac: n.MAC, groups: n.Groups}
	}
	i, _ := slices.BinarySearchFunc(res.instances, inst.launchIndex, func(a *instance, idx int) int { return cmp.Compare(a.launchIndex, idx) })
	res.instances = slices.Insert(res.instances, i, inst)
	z.order = append(z.order, inst)
	s.instances[inst.id] = inst
	s.splitVolumes(inst) // records written before volumes were kept apart hold them in Attrs
}
