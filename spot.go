package ec2emu

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ec2emu/ec2emu/internal/catalog"
	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Spot Instances, the honest subset (docs/spot.md). ec2emu has no Spot
// market: capacity is the backend's, there is no Spot price, and nothing
// ever interrupts an instance. So a Spot request is evaluated once, when it
// is made, by launching through RunInstances (the technique of
// fleetLaunch): it is fulfilled at once, or stays open with the reason it
// is not, and is never evaluated again. Its instance is an ordinary
// instance that says it is Spot (instanceLifecycle, spotInstanceRequestId).
//
// Refused with UnsupportedOperation: persistent requests (AWS reopens
// them and launches a replacement after the user terminates or stops
// their instance; that needs a launcher running in the background, which
// ec2emu does not have), ValidFrom in the future (a request waiting for a
// time needs the same), stop and hibernate interruption behaviours (they
// come only with persistent requests), and MarketType capacity-block.
//
// Sources. Verified against AWS's documentation or real answers quoted in
// public issues: the request states and status codes (the "Spot request
// status" page), the messages of pending-evaluation, fulfilled and
// instance-terminated-by-user, StopInstances' refusal of a one-time Spot
// instance, RunInstances' refusal of ValidUntil with a one-time request
// (InvalidParameterCombination), InvalidSpotInstanceRequestID.NotFound and
// its message, "BlockDurationMinutes is not a valid parameter."
// (InvalidParameterValue), "The terminate InstanceInterruptionBehavior is
// not supported when requestType is set to persistent." (RunInstances),
// "The request with type '...' is not supported when
// instanceInterruptionBehavior is set to 'stop'."
// (InvalidParameterCombination, RequestSpotInstances), Spot request IDs as sir- and 8 lower-case
// letters and digits (e.g. sir-wi4yedxg), prices shown with six decimals.
// Inferred, not seen: the other status messages, the codes of the
// persistent/terminate error, InvalidSpotInstanceRequestID.Malformed's
// message, and the price and date errors' wording.

// spotRequest is one Spot Instance request.
type spotRequest struct {
	id           string
	typ          string // one-time
	state        string // open, active, cancelled, closed (as stored; see spotNow)
	code, msg    string // status
	updated      time.Time
	created      time.Time
	validFrom    time.Time
	validUntil   time.Time
	price        string // as shown: six decimals; empty when none was given
	launchGroup  string
	azGroup      string
	interruption string
	spec         xmlproto.SpotLaunchSpecification
	instanceID   string
	az           string // where its instance launched
	tags         []xmlproto.Tag
	clientToken  string
	requestHash  string
}

// Status messages. The first three are AWS's (verified); the others are
// written in their style.
const (
	spotMsgPending     = "Your Spot request has been submitted for review, and is pending evaluation."
	spotMsgFulfilled   = "Your Spot request is fulfilled."
	spotMsgTerminated  = "Spot Instance terminated due to user-initiated termination."
	spotMsgNoCapacity  = "There is no Spot capacity available that matches your request."
	spotMsgLaunchGroup = "Your Spot request cannot be fulfilled: the instances of its launch group cannot all be launched together."
	spotMsgCanceled    = "Your Spot request is canceled before it was fulfilled."
	spotMsgCanceledRun = "Your Spot request is canceled, but its instance is still running."
	spotMsgExpired     = "Your Spot request expired before it was fulfilled: its end date (ValidUntil) has passed."
	spotMsgSystemError = "There was an unexpected error launching your Spot Instance."
)

// spotDefaultValidity is how long a one-time request stays valid without
// ValidUntil: seven days (SpotMarketOptions' documentation).
const spotDefaultValidity = 7 * 24 * time.Hour

var spotIDRe = regexp.MustCompile(`^sir-[0-9a-z]{8,17}$`)

// newSpotID returns sir- and 8 lower-case letters and digits, the form of
// AWS's Spot request IDs.
func newSpotID() string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := []byte("sir-00000000")
	for i := 4; i < len(b); i++ {
		b[i] = digits[rand.IntN(len(digits))]
	}
	return string(b)
}

func checkSpotID(id string) error {
	if !spotIDRe.MatchString(id) {
		return apiErr(ErrInvalidSpotInstanceRequestIDMalformed, "Invalid id: \"%s\" (expecting \"sir-...\")", id)
	}
	return nil
}

// findSpot returns the request id of z, or nil. Callers hold s.mu.
func (z *tenant) findSpot(id string) *spotRequest {
	for _, r := range z.spotRequests {
		if r.id == id {
			return r
		}
	}
	return nil
}

// spotLaunch is a Spot launch RunInstances makes: each instance it
// launches gets a request made from tmpl. RequestSpotInstances passes one
// in the call; RunInstances with InstanceMarketOptions makes its own.
type spotLaunch struct {
	tmpl spotRequest
	made []*spotRequest // filled by runInstances, in launch order
}

// spotPrice checks a price and returns it as EC2 shows it.
func spotPrice(param, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0) || f > 1e9 {
		return "", apiErr(ErrInvalidParameterValue, "Value (%s) for parameter %s is invalid. The price must be a number greater than 0.", v, param)
	}
	return fmt.Sprintf("%.6f", f), nil
}

// spotTime parses a request's timestamp (ISO 8601, as the SDKs send it).
func spotTime(param, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Unix(int64(n), 0).UTC(), nil
	}
	return time.Time{}, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter %s is invalid. Expecting a timestamp in ISO 8601 format.", v, param)
}

// checkSpotKind checks a request's type and interruption behaviour as
// RunInstances does (runInstances true) or RequestSpotInstances, then
// refuses what ec2emu cannot keep.
func checkSpotKind(typ, behavior string, runInstances bool) error {
	if err := oneOf("InstanceInterruptionBehavior", cmpOr(behavior, "terminate"), "hibernate", "stop", "terminate"); err != nil {
		return err
	}
	if err := oneOf("SpotInstanceType", cmpOr(typ, "one-time"), "one-time", "persistent"); err != nil {
		return err
	}
	switch {
	case runInstances && typ == "persistent" && cmpOr(behavior, "terminate") == "terminate":
		return apiErr(ErrInvalidParameterCombination, "The terminate InstanceInterruptionBehavior is not supported when requestType is set to persistent.")
	case typ != "persistent" && (behavior == "stop" || behavior == "hibernate"):
		shown := typ
		if shown == "" {
			shown = "null"
		}
		return apiErr(ErrInvalidParameterCombination, "The request with type '%s' is not supported when instanceInterruptionBehavior is set to '%s'.", shown, behavior)
	case typ == "persistent":
		return apiErr(ErrUnsupportedOperation, "Persistent Spot requests are not supported by ec2emu: AWS reopens them and launches a new instance after their instance is stopped or terminated, and ec2emu has nothing running in the background to do that. Use one-time requests.")
	}
	return nil
}

// runSpotOptions reads RunInstances' InstanceMarketOptions: nil for an
// On-Demand launch.
func runSpotOptions(c *call, now time.Time) (*spotLaunch, error) {
	if c.spot != nil {
		return c.spot, nil
	}
	var mo xmlproto.RunInstancesMarketOptions
	if err := c.decode(&mo); err != nil {
		return nil, err
	}
	m := mo.InstanceMarketOptions
	if m == nil {
		return nil, nil
	}
	switch m.MarketType {
	case "spot":
	case "capacity-block":
		return nil, apiErr(ErrUnsupportedOperation, "MarketType capacity-block is not supported by ec2emu: it has no Capacity Blocks.")
	case "":
		if m.SpotOptions == nil {
			return nil, nil
		}
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter InstanceMarketOptions.MarketType")
	default:
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter MarketType is invalid. Valid values: spot, capacity-block.", m.MarketType)
	}
	o := m.SpotOptions
	if o == nil {
		o = &xmlproto.SpotMarketOptions{}
	}
	if o.BlockDurationMinutes != nil {
		return nil, apiErr(ErrInvalidParameterValue, "BlockDurationMinutes is not a valid parameter.")
	}
	if o.ValidUntil != "" && o.SpotInstanceType != "persistent" {
		// RunInstances takes ValidUntil for persistent requests only
		// (SpotMarketOptions' documentation; AWS's answer, verified).
		return nil, apiErr(ErrInvalidParameterCombination, "The parameter validUntil cannot be specified when the SpotRequestType is set to 'one-time'.")
	}
	if err := checkSpotKind(o.SpotInstanceType, o.InstanceInterruptionBehavior, true); err != nil {
		return nil, err
	}
	price, err := spotPrice("MaxPrice", o.MaxPrice)
	if err != nil {
		return nil, err
	}
	// A one-time request RunInstances makes is fulfilled at once: its end
	// date is the default one, never reached while it is open.
	return &spotLaunch{tmpl: spotRequest{typ: "one-time", created: now, validUntil: now.Add(spotDefaultValidity), price: price,
		interruption: cmpOr(o.InstanceInterruptionBehavior, "terminate")}}, nil
}

// spotTags collects RunInstances' tags for ResourceType
// spot-instances-request.
func spotTags(specs []xmlproto.TagSpecification) []xmlproto.Tag {
	var out []xmlproto.Tag
	for _, ts := range specs {
		if ts.ResourceType == "spot-instances-request" {
			out = setTags(out, ts.Tags)
		}
	}
	return out
}

// launched makes inst's Spot request, fulfilled. Callers hold s.mu.
func (sl *spotLaunch) launched(z *tenant, inst *instance, tags []xmlproto.Tag) *spotRequest {
	r := sl.tmpl
	r.id = newSpotID()
	for z.findSpot(r.id) != nil {
		r.id = newSpotID()
	}
	r.state, r.code, r.msg, r.updated = "active", "fulfilled", spotMsgFulfilled, inst.launchTime.Truncate(time.Second)
	r.instanceID, r.az = inst.id, inst.az
	if r.tags == nil {
		r.tags = tags // RunInstances' own; RequestSpotInstances' come in tmpl
	}
	r.tags = slices.Clone(r.tags)
	r.spec = spotSpecOf(inst)
	inst.attrs.SpotRequestID = r.id
	z.spotRequests = append(z.spotRequests, &r)
	sl.made = append(sl.made, &r)
	return &r
}

// spotSpecOf is the launch specification a RunInstances request shows.
func spotSpecOf(inst *instance) xmlproto.SpotLaunchSpecification {
	sp := xmlproto.SpotLaunchSpecification{ImageID: inst.imageID, KeyName: inst.keyName, InstanceType: inst.instanceType,
		Placement: &xmlproto.SpotPlacement{AvailabilityZone: inst.az}, Monitoring: xmlproto.SpotMonitoring{Enabled: inst.attrs.Monitoring}}
	if inst.nic != nil {
		sp.SubnetID = inst.nic.subnetID
		sp.Groups = slices.Clone(inst.nic.groups)
	}
	return sp
}

// spotNow is r's state, status and its time now: an active or cancelled
// request whose instance has ended says so, an open one past its end date
// has expired. Derived rather than stored, so every way an instance ends
// (TerminateInstances, a shutdown from inside, the machine vanishing)
// shows. Callers hold s.mu.
func (s *Server) spotNow(r *spotRequest, now time.Time) (state, code, msg string, at time.Time) {
	state, code, msg, at = r.state, r.code, r.msg, r.updated
	switch {
	case r.state == "open" && !r.validUntil.IsZero() && !now.Before(r.validUntil):
		return "cancelled", "schedule-expired", spotMsgExpired, r.validUntil
	case (r.state == "active" || r.state == "cancelled") && r.instanceID != "":
		inst := s.instances[r.instanceID]
		if inst != nil && inst.state != stateShuttingDown && inst.state != stateTerminated {
			return
		}
		if state == "active" {
			state = "closed"
		}
		code, msg = "instance-terminated-by-user", spotMsgTerminated
		if inst != nil && inst.launchErr != "" {
			code, msg = "system-error", spotMsgSystemError
		}
		if inst != nil && !inst.endedAt.IsZero() {
			at = inst.endedAt.UTC().Truncate(time.Second)
		}
	}
	return
}

func (s *Server) spotView(r *spotRequest, now time.Time) xmlproto.SpotInstanceRequest {
	state, code, msg, at := s.spotNow(r, now)
	v := xmlproto.SpotInstanceRequest{SpotInstanceRequestID: r.id, SpotPrice: r.price, Type: r.typ, State: state,
		Status: xmlproto.SpotInstanceStatus{Code: code, Message: msg, UpdateTime: at}, LaunchGroup: r.launchGroup,
		AvailabilityZoneGroup: r.azGroup, LaunchSpecification: r.spec, InstanceID: r.instanceID, CreateTime: r.created,
		ProductDescription: "Linux/UNIX", Tags: r.tags, LaunchedAvailabilityZone: r.az, InstanceInterruptionBehavior: r.interruption}
	if !r.validFrom.IsZero() {
		t := r.validFrom
		v.ValidFrom = &t
	}
	if !r.validUntil.IsZero() {
		t := r.validUntil
		v.ValidUntil = &t
	}
	return v
}

// ---- RequestSpotInstances ----

const maxSpotInstanceCount = 1000 // what one request may ask for here

func (s *Server) requestSpotInstances(ctx context.Context, c *call, req *xmlproto.RequestSpotInstancesRequest) (any, error) {
	now := s.cfg.now().UTC().Truncate(time.Second)
	if req.BlockDurationMinutes != nil {
		return nil, apiErr(ErrInvalidParameterValue, "BlockDurationMinutes is not a valid parameter.")
	}
	if req.LaunchSpecification == nil || req.LaunchSpecification.ImageID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter LaunchSpecification.ImageId")
	}
	n := 1
	if req.InstanceCount != nil {
		n = *req.InstanceCount
	}
	if n < 1 || n > maxSpotInstanceCount {
		return nil, apiErr(ErrInvalidParameterValue, "Value (%d) for parameter instanceCount is invalid. Expecting a value from 1 to %d.", n, maxSpotInstanceCount)
	}
	if err := checkSpotKind(req.Type, req.InstanceInterruptionBehavior, false); err != nil {
		return nil, err
	}
	price, err := spotPrice("SpotPrice", req.SpotPrice)
	if err != nil {
		return nil, err
	}
	from, err := spotTime("ValidFrom", req.ValidFrom)
	if err != nil {
		return nil, err
	}
	until, err := spotTime("ValidUntil", req.ValidUntil)
	if err != nil {
		return nil, err
	}
	if !until.IsZero() && !until.After(now) {
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter ValidUntil is invalid. The end date must be in the future.", req.ValidUntil)
	}
	if !from.IsZero() && !until.IsZero() && !from.Before(until) {
		return nil, apiErr(ErrInvalidParameterCombination, "ValidFrom (%s) must be before ValidUntil (%s).", req.ValidFrom, req.ValidUntil)
	}
	if from.After(now) {
		return nil, apiErr(ErrUnsupportedOperation, "A ValidFrom in the future is not supported by ec2emu: it evaluates a Spot request once, when it is made, and has nothing running in the background to launch it later.")
	}
	if until.IsZero() {
		until = now.Add(spotDefaultValidity)
	}
	if len(req.ClientToken) > 64 {
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter clientToken is invalid. The client token must be at most 64 characters long.", req.ClientToken)
	}
	var tags []xmlproto.Tag
	for _, ts := range req.TagSpecifications {
		switch ts.ResourceType {
		case "spot-instances-request":
		case "":
			return nil, apiErr(ErrInvalidParameterValue, "Tag specification resource type must have a value")
		default:
			return nil, apiErr(ErrInvalidParameterValue, "'%s' is not a valid taggable resource type for this operation: RequestSpotInstances tags spot-instances-request.", ts.ResourceType)
		}
		if err := validateTags(ts.Tags); err != nil {
			return nil, err
		}
		tags = setTags(tags, ts.Tags)
	}
	hash := hashParams(c.req.Params)
	if req.ClientToken != "" && !req.DryRun {
		// Held across the launch, as CreateFleet does: a concurrent retry
		// waits and then finds these requests. Taken before s.mu.
		s.mu.Lock()
		zt := s.tenant(c.scope)
		s.mu.Unlock()
		zt.spotTokens.Lock()
		defer zt.spotTokens.Unlock()
		s.mu.RLock()
		var prior []*spotRequest
		for _, r := range zt.spotRequests {
			if r.clientToken == req.ClientToken {
				prior = append(prior, r)
			}
		}
		var out any
		if len(prior) > 0 {
			if prior[0].requestHash != hash {
				err = apiErr(ErrIdempotentParameterMismatch, "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
			} else {
				resp := &xmlproto.RequestSpotInstancesResponse{}
				for _, r := range prior {
					resp.SpotInstanceRequests = append(resp.SpotInstanceRequests, s.spotView(r, now))
				}
				out = resp
			}
		}
		s.mu.RUnlock()
		if err != nil || out != nil {
			return out, err
		}
	}

	// The launch specification's members are RunInstances' own, under the
	// same names.
	params := url.Values{}
	for k, v := range c.req.Params {
		if rest, ok := strings.CutPrefix(k, "LaunchSpecification."); ok && !strings.HasPrefix(rest, "AddressingType") {
			params[rest] = v
		}
	}
	minN := 1
	if req.LaunchGroup != "" {
		minN = n // a launch group launches all of its instances or none
	}
	params.Set("MinCount", strconv.Itoa(minN))
	params.Set("MaxCount", strconv.Itoa(n))
	if req.DryRun {
		params.Set("DryRun", "true")
	}
	tmpl := spotRequest{typ: "one-time", created: now, validFrom: from, validUntil: until, price: price,
		launchGroup: req.LaunchGroup, azGroup: req.AvailabilityZoneGroup, interruption: cmpOr(req.InstanceInterruptionBehavior, "terminate"),
		tags: cmpOrNil(tags), clientToken: req.ClientToken, requestHash: hash}
	sl := &spotLaunch{tmpl: tmpl}
	sub := &call{scope: c.scope, action: "RunInstances", requestID: c.requestID, log: c.log,
		req: xmlproto.Request{Action: "RunInstances", Version: c.req.Version, Params: params}, spot: sl}
	var run xmlproto.RunInstancesRequest
	if err := sub.decode(&run); err != nil {
		return nil, err
	}
	_, err = s.runInstances(ctx, sub, &run)
	var e *Error
	switch {
	case err == nil:
	case errors.As(err, &e) && e.Code == ErrInsufficientInstanceCapacity:
		// Not enough capacity now: the requests stay open and say why.
	default:
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	code, msg := "capacity-not-available", spotMsgNoCapacity
	if req.LaunchGroup != "" {
		code, msg = "launch-group-constraint", spotMsgLaunchGroup
	}
	spec := spotSpecOfRequest(req.LaunchSpecification)
	for len(sl.made) < n {
		r := tmpl
		r.id = newSpotID()
		for z.findSpot(r.id) != nil {
			r.id = newSpotID()
		}
		r.state, r.code, r.msg, r.updated, r.spec = "open", code, msg, now, spec
		r.tags = slices.Clone(r.tags)
		z.spotRequests = append(z.spotRequests, &r)
		sl.made = append(sl.made, &r)
	}
	s.touchTenant(z, partSpot)
	// The answer shows the requests as they were made, as EC2's does:
	// open, pending evaluation. DescribeSpotInstanceRequests shows how
	// each was evaluated.
	out := &xmlproto.RequestSpotInstancesResponse{}
	for _, r := range sl.made {
		v := s.spotView(r, now)
		v.State, v.Status = "open", xmlproto.SpotInstanceStatus{Code: "pending-evaluation", Message: spotMsgPending, UpdateTime: r.created}
		v.InstanceID, v.LaunchedAvailabilityZone = "", ""
		out.SpotInstanceRequests = append(out.SpotInstanceRequests, v)
	}
	return out, nil
}

// cmpOrNil returns nil for an empty slice, so a request made with no tags
// does not share one.
func cmpOrNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// spotSpecOfRequest is the launch specification of a request that did not
// launch.
func spotSpecOfRequest(ls *xmlproto.RequestSpotLaunchSpecification) xmlproto.SpotLaunchSpecification {
	sp := xmlproto.SpotLaunchSpecification{ImageID: ls.ImageID, KeyName: ls.KeyName, InstanceType: ls.InstanceType, SubnetID: ls.SubnetID}
	if sp.InstanceType == "" {
		sp.InstanceType = catalog.DefaultInstanceType
	}
	if ls.Placement != nil && ls.Placement.AvailabilityZone != "" {
		sp.Placement = &xmlproto.SpotPlacement{AvailabilityZone: ls.Placement.AvailabilityZone}
	}
	for _, g := range ls.SecurityGroupIDs {
		sp.Groups = append(sp.Groups, xmlproto.GroupIdentifier{GroupID: g})
	}
	for _, g := range ls.SecurityGroups {
		sp.Groups = append(sp.Groups, xmlproto.GroupIdentifier{GroupName: g})
	}
	return sp
}

// ---- DescribeSpotInstanceRequests ----

func (s *Server) spotFields(now time.Time) query.Fields[*spotRequest] {
	status := func(r *spotRequest) (string, string, string) {
		st, code, msg, _ := s.spotNow(r, now)
		return st, code, msg
	}
	ts := func(t time.Time) []string {
		if t.IsZero() {
			return nil
		}
		return one(t.UTC().Format(xmlproto.TimeFormat))
	}
	return query.Fields[*spotRequest]{
		ByName: map[string]func(*spotRequest) []string{
			"spot-instance-request-id": func(r *spotRequest) []string { return one(r.id) },
			"state":                    func(r *spotRequest) []string { st, _, _ := status(r); return one(st) },
			"status-code":              func(r *spotRequest) []string { _, c, _ := status(r); return one(c) },
			"status-message":           func(r *spotRequest) []string { _, _, m := status(r); return one(m) },
			"instance-id":              func(r *spotRequest) []string { return one(r.instanceID) },
			"type":                     func(r *spotRequest) []string { return one(r.typ) },
			"spot-price":               func(r *spotRequest) []string { return one(r.price) },
			"launch.image-id":          func(r *spotRequest) []string { return one(r.spec.ImageID) },
			"launch.instance-type":     func(r *spotRequest) []string { return one(r.spec.InstanceType) },
			"launch.key-name":          func(r *spotRequest) []string { return one(r.spec.KeyName) },
			"launch.monitoring-enabled": func(r *spotRequest) []string {
				return one(strconv.FormatBool(r.spec.Monitoring.Enabled))
			},
			"launch.group-id": func(r *spotRequest) []string {
				var out []string
				for _, g := range r.spec.Groups {
					if g.GroupID != "" {
						out = append(out, g.GroupID)
					}
				}
				return out
			},
			"launch.group-name": func(r *spotRequest) []string {
				var out []string
				for _, g := range r.spec.Groups {
					if g.GroupName != "" {
						out = append(out, g.GroupName)
					}
				}
				return out
			},
			"launched-availability-zone": func(r *spotRequest) []string { return one(r.az) },
			"availability-zone-group":    func(r *spotRequest) []string { return one(r.azGroup) },
			"launch-group":               func(r *spotRequest) []string { return one(r.launchGroup) },
			"product-description":        func(r *spotRequest) []string { return one("Linux/UNIX") },
			"create-time":                func(r *spotRequest) []string { return ts(r.created) },
			"valid-from":                 func(r *spotRequest) []string { return ts(r.validFrom) },
			"valid-until":                func(r *spotRequest) []string { return ts(r.validUntil) },
		},
		Tags: func(r *spotRequest) []xmlproto.Tag { return r.tags },
	}
}

func (s *Server) describeSpotInstanceRequests(ctx context.Context, c *call, req *xmlproto.SpotInstanceRequestIDsRequest) (any, error) {
	now := s.cfg.now()
	spec := describeSpec[*spotRequest]{
		checkIDs: eachID(checkSpotID), fields: s.spotFields(now),
		list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*spotRequest], error) {
			var all []*spotRequest
			if z := s.tenants[c.scope]; z != nil {
				all = z.spotRequests
			}
			var missing []string
			for _, id := range ids {
				if !slices.ContainsFunc(all, func(r *spotRequest) bool { return r.id == id }) {
					missing = append(missing, id)
				}
			}
			if len(missing) > 0 {
				return nil, apiErr(ErrInvalidSpotInstanceRequestIDNotFound, "%s", notFoundIDs("spot instance request", missing))
			}
			return func(yield func(*spotRequest) bool) {
				for _, r := range all {
					if len(ids) > 0 && !slices.Contains(ids, r.id) {
						continue
					}
					if !yield(r) {
						return
					}
				}
			}, nil
		},
		emit: func(s *Server, c *call, page []*spotRequest, next string) any {
			out := &xmlproto.DescribeSpotInstanceRequestsResponse{SpotInstanceRequests: make([]xmlproto.SpotInstanceRequest, 0, len(page)), NextToken: next}
			for _, r := range page {
				out.SpotInstanceRequests = append(out.SpotInstanceRequests, s.spotView(r, now))
			}
			return out
		},
	}
	return describe(ctx, s, c, describeQuery{req.SpotInstanceRequestIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &spec)
}

// ---- CancelSpotInstanceRequests ----

// cancelSpotInstanceRequests cancels open and active requests. Cancelling
// never terminates an instance, as on AWS.
func (s *Server) cancelSpotInstanceRequests(ctx context.Context, c *call, req *xmlproto.SpotInstanceRequestIDsRequest) (any, error) {
	if len(req.SpotInstanceRequestIDs) == 0 {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter SpotInstanceRequestId")
	}
	if err := eachID(checkSpotID)(req.SpotInstanceRequestIDs); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	var missing []string
	var found []*spotRequest
	for _, id := range req.SpotInstanceRequestIDs {
		r := z.findSpot(id)
		if r == nil {
			missing = append(missing, id)
			continue
		}
		if !slices.Contains(found, r) {
			found = append(found, r)
		}
	}
	if len(missing) > 0 {
		return nil, apiErr(ErrInvalidSpotInstanceRequestIDNotFound, "%s", notFoundIDs("spot instance request", missing))
	}
	if req.DryRun {
		return nil, errDryRun
	}
	now := s.cfg.now().UTC().Truncate(time.Second)
	out := &xmlproto.CancelSpotInstanceRequestsResponse{SpotInstanceRequests: []xmlproto.CancelledSpotInstanceRequest{}}
	for _, r := range found {
		state, code, msg, at := s.spotNow(r, now)
		switch state {
		case "open":
			state, code, msg, at = "cancelled", "canceled-before-fulfillment", spotMsgCanceled, now
		case "active":
			state, code, msg, at = "cancelled", "request-canceled-and-instance-running", spotMsgCanceledRun, now
		}
		r.state, r.code, r.msg, r.updated = state, code, msg, at
		out.SpotInstanceRequests = append(out.SpotInstanceRequests, xmlproto.CancelledSpotInstanceRequest{SpotInstanceRequestID: r.id, State: state})
	}
	s.touchTenant(z, partSpot)
	return out, nil
}

// spotStopRefusal is StopInstances' answer for a Spot instance of a
// one-time request, which AWS does not stop. Callers hold s.mu.
func spotStopRefusal(inst *instance) error {
	if inst.attrs.SpotRequestID == "" {
		return nil
	}
	return apiErr(ErrUnsupportedOperation, "You can't stop the Spot Instance '%s' because it is associated with a one-time Spot Instance request. You can only stop Spot Instances associated with persistent Spot Instance requests.", inst.id)
}

// spotTaggable finds a Spot request for CreateTags and DeleteTags. Callers
// hold s.mu.
func spotTaggable(z *tenant, id string) (*taggable, error) {
	if r := z.findSpot(id); r != nil {
		return &taggable{id: id, kind: "spot-instances-request", get: func() []xmlproto.Tag { return r.tags },
			set: func(t []xmlproto.Tag) { r.tags = t }}, nil
	}
	return nil, apiErr(ErrInvalidSpotInstanceRequestIDNotFound, "%s", notFoundIDs("spot instance request", []string{id}))
}

// ---- the durable store ----

type spotRec struct {
	Order        int                              `json:"order"`
	ID           string                           `json:"id"`
	Type         string                           `json:"type"`
	State        string                           `json:"state"`
	Code         string                           `json:"code"`
	Message      string                           `json:"message"`
	Updated      time.Time                        `json:"updated"`
	Created      time.Time                        `json:"created"`
	ValidFrom    time.Time                        `json:"validFrom,omitzero"`
	ValidUntil   time.Time                        `json:"validUntil,omitzero"`
	Price        string                           `json:"price,omitempty"`
	LaunchGroup  string                           `json:"launchGroup,omitempty"`
	AZGroup      string                           `json:"azGroup,omitempty"`
	Interruption string                           `json:"interruption"`
	Spec         xmlproto.SpotLaunchSpecification `json:"spec"`
	InstanceID   string                           `json:"instanceId,omitempty"`
	AZ           string                           `json:"az,omitempty"`
	Tags         []xmlproto.Tag                   `json:"tags,omitempty"`
	ClientToken  string                           `json:"clientToken,omitempty"`
	RequestHash  string                           `json:"requestHash,omitempty"`
}

func spotRecOf(order int, r *spotRequest) spotRec {
	return spotRec{Order: order, ID: r.id, Type: r.typ, State: r.state, Code: r.code, Message: r.msg, Updated: r.updated,
		Created: r.created, ValidFrom: r.validFrom, ValidUntil: r.validUntil, Price: r.price, LaunchGroup: r.launchGroup,
		AZGroup: r.azGroup, Interruption: r.interruption, Spec: r.spec, InstanceID: r.instanceID, AZ: r.az, Tags: r.tags,
		ClientToken: r.clientToken, RequestHash: r.requestHash}
}

func spotFromRec(r spotRec) *spotRequest {
	return &spotRequest{id: r.ID, typ: r.Type, state: r.State, code: r.Code, msg: r.Message, updated: r.Updated,
		created: r.Created, validFrom: r.ValidFrom, validUntil: r.ValidUntil, price: r.Price, launchGroup: r.LaunchGroup,
		azGroup: r.AZGroup, interruption: r.Interruption, spec: r.Spec, instanceID: r.InstanceID, az: r.AZ, tags: r.Tags,
		clientToken: r.ClientToken, requestHash: r.RequestHash}
}
