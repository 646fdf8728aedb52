package ec2emu

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/catalog"
	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/internal/xmlitem"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Metadata keys the Server stores with each machine, so a restarted Server
// can re-adopt it with the same EC2 identity.
const (
	mdAccount     = "account"
	mdRegion      = "region"
	mdReservation = "reservation-id"
	mdLaunchIndex = "launch-index"
	mdType        = "instance-type"
	mdKeyName     = "key-name"
	mdClientToken = "client-token"
	mdRequestHash = "request-hash"
	mdTags        = "tags"
	mdAZ          = "availability-zone"
	mdLaunchTime  = "launch-time"
	mdArch        = "architecture"
	mdCount       = "count" // instances in the reservation
)

const maxUserData = 16 * 1024 // EC2's limit on user data, before base64

func (s *Server) runInstances(ctx context.Context, c *call, req *xmlproto.RunInstancesRequest) (any, error) {
	ltTags, err := s.applyLaunchTemplate(c, req) // launchtemplates.go: merges the template into req
	if err != nil {
		return nil, err
	}
	if req.MinCount == nil {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter MinCount")
	}
	if req.MaxCount == nil {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter MaxCount")
	}
	if req.ImageID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter ImageId")
	}
	minN, maxN := *req.MinCount, *req.MaxCount
	if minN < 1 {
		return nil, apiErr(ErrInvalidParameterValue, "Value (%d) for parameter minCount is invalid. Expecting a value greater than 0.", minN)
	}
	if maxN < 1 {
		return nil, apiErr(ErrInvalidParameterValue, "Value (%d) for parameter maxCount is invalid. Expecting a value greater than 0.", maxN)
	}
	if minN > maxN {
		return nil, apiErr(ErrInvalidParameterValue, "The value of parameter minCount (%d) must be less than or equal to maxCount (%d).", minN, maxN)
	}
	if !backend.ValidImageID(req.ImageID) {
		return nil, apiErr(ErrInvalidAMIIDMalformed, "Invalid id: \"%s\" (expecting \"ami-...\")", req.ImageID)
	}
	if len(req.ClientToken) > 64 {
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter clientToken is invalid. The client token must be at most 64 characters long.", req.ClientToken)
	}
	var userData []byte
	if req.UserData != nil && *req.UserData != "" {
		b, err := xmlproto.DecodeBase64(*req.UserData)
		if err != nil {
			return nil, apiErr(ErrInvalidUserDataMalformed, "Invalid BASE64 encoding of user data.")
		}
		if len(b) > maxUserData {
			return nil, apiErr(ErrInvalidParameterValue, "User data is limited to %d bytes", maxUserData)
		}
		userData = b
	}
	instanceType := req.InstanceType
	if instanceType == "" {
		instanceType = catalog.DefaultInstanceType
	}
	if err := validateInstanceType(instanceType); err != nil {
		return nil, err
	}
	var instTags []xmlproto.Tag
	for _, ts := range req.TagSpecifications {
		switch ts.ResourceType {
		case "instance":
			instTags = setTags(instTags, ts.Tags)
		case "volume", "network-interface", "spot-instances-request", "elastic-gpu":
		case "":
			return nil, apiErr(ErrInvalidParameterValue, "Tag specification resource type must have a value")
		default:
			return nil, apiErr(ErrInvalidParameterValue, "'%s' is not a valid taggable resource type for this operation.", ts.ResourceType)
		}
		if err := validateTags(ts.Tags); err != nil {
			return nil, err
		}
	}
	spot, err := runSpotOptions(c, s.cfg.now().UTC().Truncate(time.Second))
	if err != nil {
		return nil, err
	}
	instTags = append(instTags, ltTags...) // reserved aws: keys, so after validateTags
	instTags = append(instTags, c.sysTags...)
	attrs, err := s.launchAttributes(c, req, instanceType)
	if err != nil {
		return nil, err
	}
	az := ""
	zones, zonesRestricted, err := s.offeredZones(ctx, c.region)
	if err != nil {
		return nil, err
	}
	if req.Placement != nil && req.Placement.AvailabilityZone != "" {
		az = req.Placement.AvailabilityZone
		if !slices.Contains(zones, az) {
			return nil, apiErr(ErrInvalidParameterValue, "Invalid availability zone: [%s]", az)
		}
	}
	if az == "" && len(zones) == 0 {
		return nil, apiErr(ErrInsufficientInstanceCapacity, "There is no Availability Zone in %s with capacity for instances now.", c.region)
	}
	if az == "" {
		az = zones[0]
	}

	// The image list and the backend's capacity come from the backend:
	// fetch them before taking the lock.
	img, err := s.findImage(ctx, c.scope, req.ImageID)
	if err != nil {
		return nil, err
	}
	capZone := az // the zone the launch goes to, unless a subnet names another
	if req.SubnetID != "" || len(req.NetworkInterfaces) > 0 {
		capZone = ""
	}
	backendFree, err := s.backendCapacity(ctx, instanceType, img.id, capZone)
	if err != nil {
		return nil, err
	}
	requestHash := hashParams(c.ownParams())
	placementAZ := az
	if (req.Placement == nil || req.Placement.AvailabilityZone == "") && (!zonesRestricted || capZone == "") {
		placementAZ = "" // with zones restricted and no subnet named, the default subnet of the first offered zone
	}
	wantIP, err := launchPrivateIP(req, minN, maxN)
	if err != nil {
		return nil, err
	}
	// Whether the VPC's network takes our addresses is the backend's to
	// say, before the lock: it may have to make the network.
	prepared, err := s.prepareLaunchNetwork(ctx, c.scope, req)
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	var publicKey string
	if req.KeyName != "" {
		kp := z.keyPairs[req.KeyName]
		if kp == nil {
			return nil, apiErr(ErrInvalidKeyPairNotFound, "The key pair '%s' does not exist", req.KeyName)
		}
		publicKey = kp.authorized
	}
	if req.ClientToken != "" {
		if r := z.tokens[req.ClientToken]; r != nil {
			if r.requestHash != requestHash {
				return nil, apiErr(ErrIdempotentParameterMismatch, "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
			}
			if req.DryRun {
				return nil, errDryRun
			}
			return s.reservationView(r, nil), nil
		}
	}
	if maxN, err = s.fit(z, instanceType, minN, maxN, backendFree); err != nil {
		return nil, err
	}
	profileArn, err := c.instanceProfile()
	if err != nil {
		return nil, err
	}
	sn, groups, err := launchNetwork(z, req, placementAZ)
	if err != nil {
		return nil, err
	}
	az = sn.az
	// Each instance takes an address of its subnet: no more than it has
	// free.
	if free := s.freeAddresses(z, sn); sn.cidr != "" && free < minN {
		return nil, apiErr(ErrInsufficientFreeAddressesInSubnet, "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", sn.id)
	} else if sn.cidr != "" {
		maxN = min(maxN, free)
	}
	netSpec, exact := s.launchNetSpec(z, sn, prepared)
	if wantIP != "" {
		if !exact {
			return nil, apiErr(ErrUnsupportedOperation, "A private IP address cannot be chosen in %s: its instances get addresses the backend picks (see the networking document).", sn.vpcID)
		}
		if _, err := checkPrivate(sn, wantIP); err != nil {
			return nil, err
		}
		if a, _ := netip.ParseAddr(wantIP); s.held(z, s.book(z, sn), a) {
			return nil, apiErr(ErrInvalidIPAddressInUse, "Address %s is in use.", a)
		}
	}
	if err := s.mappedSnapshots(z, c, attrs); err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}

	now := s.cfg.now().UTC().Truncate(time.Millisecond)
	r := &reservation{id: newID("r-"), owner: c.account, clientToken: req.ClientToken, requestHash: requestHash}
	tagsJSON := ""
	if len(instTags) > 0 {
		b, _ := json.Marshal(instTags)
		tagsJSON = string(b)
	}
	for i := range maxN {
		s.seq++
		inst := &instance{
			id: instanceIDFor(r.id, i), seq: s.seq, tenant: z, res: r, imageID: img.id, instanceType: instanceType,
			keyName: req.KeyName, launchTime: now, launchIndex: i, az: az, architecture: img.arch,
			clientToken: req.ClientToken, userData: userData, tags: slices.Clone(instTags), state: statePending,
			attrs: attrs.clone(), nic: newNIC(sn, groups, ""),
		}
		spec := backend.LaunchSpec{
			InstanceID: inst.id, ImageID: img.id, InstanceType: instanceType, UserData: userData,
			KeyName: req.KeyName, PublicKey: publicKey, Network: netSpec,
		}
		if exact {
			var a netip.Addr
			if wantIP != "" {
				a, _ = s.claimPrivate(z, sn, wantIP, inst.id) // checked above, under the same lock
			} else if a, _ = s.allocPrivate(z, sn, inst.id); !a.IsValid() {
				break // cannot happen: the free count was checked under this lock
			}
			inst.privateIP, spec.PrivateIP = a.String(), a.String()
		}
		md := map[string]string{
			mdAccount: c.account, mdRegion: c.region, mdReservation: r.id,
			mdLaunchIndex: strconv.Itoa(i), mdType: instanceType, mdKeyName: req.KeyName,
			mdClientToken: req.ClientToken, mdRequestHash: requestHash, mdTags: tagsJSON,
			mdAZ: az, mdLaunchTime: now.Format(time.RFC3339Nano), mdArch: img.arch,
			mdCount: strconv.Itoa(maxN),
		}
		if spot != nil {
			spot.launched(z, inst, spotTags(req.TagSpecifications))
		}
		launchMetadata(md, inst.attrs, userData)
		inst.nic.store(md)
		inst.access.wantPublic = wantsPublicIP(req, sn)
		md[mdPublicIP] = strconv.FormatBool(inst.access.wantPublic)
		inst.access.launchKey, md[mdLaunchKey] = publicKey, publicKey
		inst.access.profileArn, md[mdProfile] = profileArn, profileArn
		r.instances = append(r.instances, inst)
		z.order = append(z.order, inst)
		s.instances[inst.id] = inst
		s.touch(inst)
		spec.Metadata = md
		s.launchVolumes(c, inst, &spec)
		s.launch(inst, spec)
	}
	z.reservations[r.id] = r
	if spot != nil {
		s.touchTenant(z, partSpot)
	}
	if req.ClientToken != "" {
		z.tokens[req.ClientToken] = r
	}
	return s.reservationView(r, nil), nil
}

// fit checks a launch of minN..maxN instances of type typ against the
// account's quotas and the capacity left (the Server's own, and backendFree
// from the backend, -1 for none), and returns how many to launch. Callers
// hold s.mu (write), so concurrent launches cannot both take the last slot.
//
// The quota is AWS's current one: vCPUs of running On-Demand instances per
// account and region (every type in the catalogue is in the Standard
// bucket), VcpuLimitExceeded. The pre-2019 count of instances,
// InstanceLimitExceeded, applies only when WithInstanceLimit sets it.
func (s *Server) fit(z *tenant, typ string, minN, maxN, backendFree int) (int, error) {
	// Compared by division: MaxCount may be near MaxInt.
	perInstance := max(catalog.VCPUs(typ), 1)
	if maxN > s.cfg.maxVcpus/perInstance || s.cfg.maxInstances > 0 && maxN > s.cfg.maxInstances {
		// Beyond either quota even with nothing running: no need to count.
	} else if len(z.order)*catalog.MaxVCPUs <= s.cfg.maxVcpus-maxN*perInstance &&
		(s.cfg.maxInstances <= 0 || len(z.order) <= s.cfg.maxInstances-maxN) {
		// Even if every instance the tenant holds ran the largest type, the
		// launch fits: skip the walk.
		return s.fitCapacity(minN, maxN, backendFree)
	}
	live, vcpus := 0, 0
	for _, inst := range z.order {
		if inst.state != stateTerminated && inst.state != stateShuttingDown {
			live++
			vcpus += catalog.VCPUs(inst.instanceType)
		}
	}
	if s.cfg.maxInstances > 0 && maxN > s.cfg.maxInstances-live {
		return 0, apiErr(ErrInstanceLimitExceeded, "You have requested more instances (%d) than your current instance limit of %d allows for the specified instance type. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.", live+maxN, s.cfg.maxInstances)
	}
	if maxN > (s.cfg.maxVcpus-vcpus)/perInstance {
		return 0, apiErr(ErrVcpuLimitExceeded, "You have requested more vCPU capacity than your current vCPU limit of %d allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.", s.cfg.maxVcpus)
	}
	return s.fitCapacity(minN, maxN, backendFree)
}

// fitCapacity is fit's second half: the capacity the Server and the backend
// have left.
func (s *Server) fitCapacity(minN, maxN, backendFree int) (int, error) {
	free := -1 // no bound
	if s.cfg.capacity > 0 {
		running := 0
		for _, inst := range s.instances {
			if inst.state != stateTerminated {
				running++
			}
		}
		free = max(s.cfg.capacity-running, 0)
	}
	if backendFree >= 0 {
		// Launches still in flight may not have reached the backend's count.
		if b := max(backendFree-s.launching, 0); free < 0 || b < free {
			free = b
		}
	}
	if free < 0 {
		return maxN, nil
	}
	if minN > free {
		return 0, apiErr(ErrInsufficientInstanceCapacity, "We currently do not have sufficient capacity to launch %d instance(s): %d more can run now. Launch fewer (lower MinCount) or try again later.", minN, free)
	}
	return min(maxN, free), nil
}

// instanceIDFor derives the ID of instance i of reservation resID, so that a
// restarted Server, knowing the reservation and its size from any machine
// of it, also knows the IDs of the instances whose machines it never made.
func instanceIDFor(resID string, i int) string {
	sum := sha256.Sum256([]byte(resID + "/" + strconv.Itoa(i)))
	return "i-" + hex.EncodeToString(sum[:9])[:17]
}

// hashParams fingerprints a RunInstances request for ClientToken checks:
// the same token must come with the same parameters.
func hashParams(p map[string][]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		if k != "ClientToken" && k != "DryRun" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		for _, v := range p[k] {
			h.Write([]byte{0})
			h.Write([]byte(v))
		}
		h.Write([]byte{1})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// reservationView renders r with the instances that keep passes (all when
// keep is nil). Callers hold s.mu.
func (s *Server) reservationView(r *reservation, keep func(*instance) bool) xmlproto.Reservation {
	out := xmlproto.Reservation{ReservationID: r.id, OwnerID: r.owner}
	for _, inst := range r.instances {
		if keep == nil || keep(inst) {
			out.Instances = append(out.Instances, s.view(inst))
		}
	}
	return out
}

// checkInstanceIDs validates the syntax of ids, the first malformed one
// failing the request. Callers check existence under the lock with lookup.
var checkInstanceIDs = eachID(checkInstanceID)

// checkInstanceID validates the syntax of one instance ID.
func checkInstanceID(id string) error {
	if !instanceIDRe.MatchString(id) {
		return apiErr(ErrInvalidInstanceIDMalformed, "Invalid id: \"%s\"", id)
	}
	return nil
}

// lookup finds every id in z; if any is unknown the whole request fails, as
// on AWS. Callers hold s.mu.
func (s *Server) lookup(z *tenant, ids []string, now time.Time) ([]*instance, error) {
	out := make([]*instance, 0, len(ids))
	var missing []string
	for _, id := range ids {
		inst := s.instances[id]
		if inst == nil || inst.tenant != z || !s.visible(inst, now) {
			missing = append(missing, id)
			continue
		}
		out = append(out, inst)
	}
	if len(missing) > 0 {
		return nil, apiErr(ErrInvalidInstanceIDNotFound, "%s", notFoundIDs("instance", missing))
	}
	return out, nil
}

var instanceFields = query.Fields[*instance]{
	ByName: map[string]func(*instance) []string{
		"instance-id":         func(i *instance) []string { return one(i.id) },
		"instance-state-name": func(i *instance) []string { return one(i.state) },
		"instance-state-code": func(i *instance) []string { return one(strconv.Itoa(stateCodes[i.state])) },
		"image-id":            func(i *instance) []string { return one(i.imageID) },
		"instance-type":       func(i *instance) []string { return one(i.instanceType) },
		"key-name":            func(i *instance) []string { return one(i.keyName) },
		"reservation-id":      func(i *instance) []string { return one(i.res.id) },
		"availability-zone":   func(i *instance) []string { return one(i.az) },
		"private-ip-address":  func(i *instance) []string { return one(i.privateIP) },
		"network-interface.addresses.private-ip-address": func(i *instance) []string { return one(i.privateIP) },
		"private-dns-name": func(i *instance) []string {
			if i.privateIP == "" {
				return nil
			}
			return one(privateDNSName(i.privateIP, i.tenant.region))
		},
		"launch-time":          func(i *instance) []string { return one(i.launchTime.UTC().Format(xmlproto.TimeFormat)) },
		"client-token":         func(i *instance) []string { return one(i.clientToken) },
		"launch-index":         func(i *instance) []string { return one(strconv.Itoa(i.launchIndex)) },
		"ami-launch-index":     func(i *instance) []string { return one(strconv.Itoa(i.launchIndex)) },
		"owner-id":             func(i *instance) []string { return one(i.res.owner) },
		"architecture":         func(i *instance) []string { return one(i.architecture) },
		"root-device-type":     func(i *instance) []string { return one("ebs") },
		"root-device-name":     func(i *instance) []string { return one("/dev/xvda") },
		"tenancy":              func(i *instance) []string { return one("default") },
		"hypervisor":           func(i *instance) []string { return one("xen") },
		"virtualization-type":  func(i *instance) []string { return one("hvm") },
		"monitoring-state":     func(i *instance) []string { return one("disabled") },
		"placement-group-name": func(i *instance) []string { return nil },
		"platform-details":     func(i *instance) []string { return one("Linux/UNIX") },
		"state-reason-code": func(i *instance) []string {
			if i.stateReason == nil {
				return nil
			}
			return one(i.stateReason.Code)
		},
		"reason":                   func(i *instance) []string { return one(i.reason) },
		"spot-instance-request-id": func(i *instance) []string { return one(i.attrs.SpotRequestID) },
		"instance-lifecycle": func(i *instance) []string {
			if i.attrs.SpotRequestID != "" {
				return one("spot")
			}
			return nil
		},
	},
	Tags: func(i *instance) []xmlproto.Tag { return i.tags },
}

// candidates returns the instances a Describe call looks at: those named by
// ids (all must exist) or, without ids, every instance in sc. Callers hold
// s.mu (read).
func (s *Server) candidates(sc scope, ids []string, now time.Time) ([]*instance, error) {
	z := s.tenants[sc]
	if len(ids) > 0 {
		return s.lookup(z, ids, now) // a nil tenant knows no ID: all are reported missing
	}
	if z == nil {
		return nil, nil
	}
	return z.order, nil
}

func (s *Server) describeInstances(ctx context.Context, c *call, req *xmlproto.DescribeInstancesRequest) (any, error) {
	return describe(ctx, s, c, describeQuery{req.InstanceIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &describeInstancesSpec)
}

var describeInstancesSpec = describeSpec[*instance]{
	checkIDs: checkInstanceIDs, idsParam: "instancesSet", fields: instanceFields,
	list: (*Server).instanceList, seq: instanceSeq, size: instanceCount,
	emit: func(s *Server, c *call, page []*instance, next string) any {
		out := &xmlitem.DescribeInstancesResponse{Reservations: []xmlitem.Reservation{}, NextToken: next}
		var last *xmlitem.Reservation
		var lastRes *reservation
		for i, inst := range page {
			if lastRes != inst.res {
				// Sized for the reservation's instances (at most a page), so a
				// large reservation is not copied over and over as it grows.
				out.Reservations = append(out.Reservations, xmlitem.Reservation{ReservationID: inst.res.id, OwnerID: inst.res.owner,
					Instances: make([]xmlitem.Encoded, 0, min(len(inst.res.instances), len(page)-i))})
				last, lastRes = &out.Reservations[len(out.Reservations)-1], inst.res
			}
			last.Instances = append(last.Instances, s.describedXML(inst))
		}
		return out
	},
}
