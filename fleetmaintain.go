package ec2emu

import (
	"context"
	"fmt"
	"iter"
	"math"
	"slices"
	"time"

	"github.com/ec2emu/ec2emu/xmlproto"
)

// EC2 Fleets of type request and maintain. CreateFleet answers with the
// fleet's ID; a launch round in a goroutine the Server owns then launches
// what the target asks for, through the same fleetLaunchPart as an instant
// fleet. A fleet's instances are the instances of its tenant tagged
// aws:ec2:fleet-id with its ID (RunInstances stores the tag with the
// instance in one write), so a round cut short by a crash is counted right
// after the restart. A maintain fleet runs another round whenever one of
// its instances ends, when ModifyFleet changes its target, and once after
// a restart; a round launches only what is missing, so extra rounds cost
// nothing. A request fleet runs one round.

// fleetSettle is how long a round waits before it counts, so that a burst
// of terminations makes one round.
var fleetSettle = 50 * time.Millisecond

// keeps reports whether f is a fleet of type request or maintain that is
// not deleted.
func (f *fleet) keeps() bool {
	return f.typ != "instant" && (f.state == "submitted" || f.state == "active")
}

// fleetOf is the ID of the fleet inst was launched by, or "".
func fleetOf(inst *instance) string {
	for _, t := range inst.tags {
		if t.Key == fleetTagID {
			return t.Value
		}
	}
	return ""
}

// fleetMembers are f's instances that have not ended, in launch order.
// Callers hold s.mu.
func (s *Server) fleetMembers(f *fleet) []*instance {
	var out []*instance
	for _, inst := range f.z.order {
		if inst.state == stateTerminated || inst.state == stateShuttingDown || fleetOf(inst) != f.id {
			continue
		}
		out = append(out, inst)
	}
	return out
}

// fleetWeight is the capacity inst counts for in f: the WeightedCapacity of
// the first override it matches (instance type, image, zone), else 1.
func fleetWeight(f *fleet, inst *instance) float64 {
	for _, cfg := range f.configs {
		for _, o := range cfg.Overrides {
			if (o.InstanceType == "" || o.InstanceType == inst.instanceType) && (o.ImageID == "" || o.ImageID == inst.imageID) &&
				(o.AvailabilityZone == "" || o.AvailabilityZone == inst.az) {
				if o.WeightedCapacity != nil {
					return *o.WeightedCapacity
				}
				return 1
			}
		}
	}
	return 1
}

// fleetLive is the On-Demand and Spot capacity of f's instances that have
// not ended. Callers hold s.mu.
func (s *Server) fleetLive(f *fleet) (od, spot float64) {
	for _, inst := range s.fleetMembers(f) {
		if inst.attrs.SpotRequestID != "" {
			spot += fleetWeight(f, inst)
		} else {
			od += fleetWeight(f, inst)
		}
	}
	return od, spot
}

// kickFleet queues a launch round for f. Callers hold s.mu (write).
func (s *Server) kickFleet(f *fleet) {
	if s.closed || !f.keeps() {
		return
	}
	if f.looping {
		f.again = true
		return
	}
	f.looping = true
	s.wg.Add(1)
	go s.fleetLoop(f)
}

// fleetLoop runs f's launch rounds until none is queued.
func (s *Server) fleetLoop(f *fleet) {
	defer s.wg.Done()
	for {
		t := time.NewTimer(fleetSettle)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		s.mu.Lock()
		f.again = false
		s.mu.Unlock()
		s.fleetRound(f)
		s.mu.Lock()
		if !f.again || s.closed {
			f.looping = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// maxFleetErrors bounds the errors a fleet of type request or maintain
// keeps: the latest.
const maxFleetErrors = 100

// fleetRound launches what f's target asks for beyond what runs now.
func (s *Server) fleetRound(f *fleet) {
	s.mu.Lock()
	if !f.keeps() {
		s.mu.Unlock()
		return
	}
	z := f.z
	if f.state != "active" {
		f.state = "active"
		s.fleetEvent(f, fleetChange, "active", "", "")
	}
	s.touchTenant(z, partFleets)
	pools, perr := fleetPoolsOf(z, f.configs)
	liveOD, liveSpot := s.fleetLive(f)
	odT, spT := fleetSplit(&f.target)
	if spT > 0 && f.spotOpts == nil {
		f.spotOpts = &xmlproto.FleetSpotOptions{AllocationStrategy: "lowest-price"}
	}
	if float64(odT) > liveOD || float64(spT) > liveSpot {
		f.act = "pending_fulfillment"
	}
	odPrio := f.onDemand != nil && f.onDemand.AllocationStrategy == "prioritized"
	spPrio := f.spotOpts != nil && f.spotOpts.AllocationStrategy == "capacity-optimized-prioritized"
	instTags := f.instTags
	s.mu.Unlock()

	c := &call{scope: z.scope, action: "CreateFleet", requestID: newRequestID(), log: s.log,
		req: xmlproto.Request{Action: "CreateFleet", Version: "2016-11-15"}}
	var out fleetLaunched
	if perr != nil {
		e := s.toAPIError(perr, c)
		out.errors = append(out.errors, xmlproto.FleetError{Lifecycle: fleetLifecycle, ErrorCode: string(e.Code), ErrorMessage: e.Message})
	} else {
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.backendTimeout)
		if need := float64(odT) - liveOD; need > 0 {
			s.fleetLaunchPart(ctx, c, f.id, &out, pools, fleetLifecycle, need, odPrio, instTags)
		}
		if need := float64(spT) - liveSpot; need > 0 {
			s.fleetLaunchPart(ctx, c, f.id, &out, pools, fleetSpotLifecycle, need, spPrio, instTags)
		}
		cancel()
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(out.errors) > 0 {
		f.errors = append(f.errors, out.errors...)
		f.errors = f.errors[max(0, len(f.errors)-maxFleetErrors):]
	}
	for _, fi := range out.instances {
		for _, id := range fi.InstanceIDs {
			s.fleetEvent(f, instanceChange, "launched", id, fmt.Sprintf(`{"instanceType":"%s","lifecycle":"%s"}`, fi.InstanceType, fi.Lifecycle))
		}
	}
	for _, e := range out.errors {
		s.fleetEvent(f, serviceError, "", "", e.ErrorCode+": "+e.ErrorMessage)
	}
	if f.state == "deleted_terminating" {
		// Deleted while it launched: what it launched goes too.
		for _, inst := range s.fleetMembers(f) {
			if !inst.attrs.DisableAPITermination {
				s.terminate(inst)
				s.touch(inst)
			}
		}
	}
	if f.keeps() {
		od, spot := s.fleetLive(f)
		if od+spot >= float64(*f.target.TotalTargetCapacity) {
			f.act = "fulfilled"
		} else {
			f.act = "error"
		}
	}
	s.touchTenant(z, partFleets)
}

// fleetPoolsOf resolves a fleet's launch templates now, as each round
// launches from them: an override is one pool, a template without
// overrides one. Callers hold s.mu.
func fleetPoolsOf(z *tenant, configs []xmlproto.FleetLaunchTemplateConfig) ([]fleetPool, error) {
	var pools []fleetPool
	for i, cfg := range configs {
		spec := cfg.LaunchTemplateSpecification
		lt, err := z.findLT(spec.LaunchTemplateID, "")
		if err != nil {
			return nil, err
		}
		v, err := lt.version(spec.Version, "$Default")
		if err != nil {
			return nil, err
		}
		if len(cfg.Overrides) == 0 {
			pools = append(pools, fleetPool{config: i, ltID: lt.id, version: v.number, weight: 1, priority: math.Inf(1), data: v.data})
		}
		for j := range cfg.Overrides {
			o := &cfg.Overrides[j]
			p := fleetPool{config: i, ltID: lt.id, version: v.number, override: o, weight: 1, priority: math.Inf(1), data: v.data}
			if o.WeightedCapacity != nil {
				p.weight = *o.WeightedCapacity
			}
			if o.Priority != nil {
				p.priority = *o.Priority
			}
			pools = append(pools, p)
		}
	}
	return pools, nil
}

// fleetInstanceEnded is called when inst has terminated: a maintain fleet
// it belongs to replaces it. An instance whose launch failed is not
// replaced (the next would fail alike, forever); its fleet's activity
// becomes error. Callers hold s.mu (write).
func (s *Server) fleetInstanceEnded(inst *instance) {
	id := fleetOf(inst)
	if id == "" || inst.tenant == nil {
		return
	}
	f := inst.tenant.findFleet(id)
	if f == nil || f.typ == "instant" {
		return
	}
	s.fleetEventOnce(f, instanceChange, "terminated", inst.id)
	if f.typ != "maintain" || !f.keeps() {
		return
	}
	if inst.launchErr != "" || inst.stateReason != nil && inst.stateReason.Code == "Server.InsufficientInstanceCapacity" {
		if !f.looping {
			f.act = "error"
			s.touchTenant(f.z, partFleets)
		}
		return
	}
	s.kickFleet(f)
}

// resumeFleets queues a round for every maintain fleet, and for a request
// fleet whose round the earlier process did not finish (its activity is
// still pending_fulfillment, as CreateFleet and every round that launches
// store it). Called once, after the first adoption.
func (s *Server) resumeFleets() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, z := range s.tenants {
		for _, f := range z.fleets {
			if f.typ == "maintain" || f.act == "pending_fulfillment" {
				s.kickFleet(f)
			}
		}
	}
}

// ---- ModifyFleet ----

func (s *Server) modifyFleet(ctx context.Context, c *call, req *xmlproto.ModifyFleetRequest) (any, error) {
	if unused := xmlproto.Unused(c.req.Params, req); len(unused) > 0 {
		return nil, apiErr(ErrUnsupportedOperation, "The ModifyFleet parameter %s is not supported by ec2emu.", unused[0])
	}
	if req.FleetID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter FleetId")
	}
	if err := checkFleetID(req.FleetID); err != nil {
		return nil, err
	}
	if p := req.ExcessCapacityTerminationPolicy; p != "" {
		if err := oneOf("ExcessCapacityTerminationPolicy", p, "termination", "no-termination"); err != nil {
			return nil, err
		}
	}
	t := req.TargetCapacitySpecification
	if t != nil {
		if t.TotalTargetCapacity == nil {
			return nil, apiErr(ErrMissingParameter, "The request must contain the parameter TargetCapacitySpecification.TotalTargetCapacity")
		}
		if d := t.DefaultTargetCapacityType; d != "" {
			if err := oneOf("DefaultTargetCapacityType", d, "on-demand", "spot"); err != nil {
				return nil, err
			}
		}
	}
	if t == nil && len(req.LaunchTemplateConfigs) == 0 && req.ExcessCapacityTerminationPolicy == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter TargetCapacitySpecification")
	}
	if err := checkFleetConfigs(req.LaunchTemplateConfigs); err != nil {
		return nil, err
	}
	if !req.DryRun {
		if err := s.ping(ctx); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	f := z.findFleet(req.FleetID)
	if f == nil {
		return nil, apiErr(ErrInvalidFleetIDNotFound, "The fleet ID '%s' does not exist", req.FleetID)
	}
	if f.typ != "maintain" {
		return nil, apiErr(ErrUnsupportedOperation, "ModifyFleet modifies fleets of type maintain only; fleet %s is of type %s.", f.id, f.typ)
	}
	if !f.keeps() {
		return nil, apiErr(ErrIncorrectState, "The fleet '%s' is %s and cannot be modified.", f.id, f.state)
	}
	target := f.target
	if t != nil {
		total := *t.TotalTargetCapacity
		target.TotalTargetCapacity = &total
		if t.DefaultTargetCapacityType != "" {
			target.DefaultTargetCapacityType = t.DefaultTargetCapacityType
		}
		if t.OnDemandTargetCapacity != nil {
			target.OnDemandTargetCapacity = t.OnDemandTargetCapacity
		}
		if t.SpotTargetCapacity != nil {
			target.SpotTargetCapacity = t.SpotTargetCapacity
		}
		// A part the request does not name keeps its value, within the
		// new total.
		if p := target.OnDemandTargetCapacity; p != nil && t.OnDemandTargetCapacity == nil && *p > total {
			target.OnDemandTargetCapacity = &total
		}
		if p := target.SpotTargetCapacity; p != nil && t.SpotTargetCapacity == nil && *p > total {
			target.SpotTargetCapacity = &total
		}
		if err := checkFleetTarget(&target); err != nil {
			return nil, err
		}
	}
	var configs []xmlproto.FleetLaunchTemplateConfig
	for _, cfg := range req.LaunchTemplateConfigs {
		spec := cfg.LaunchTemplateSpecification
		lt, err := z.findLT(spec.LaunchTemplateID, spec.LaunchTemplateName)
		if err != nil {
			return nil, err
		}
		if _, err := lt.version(spec.Version, "$Default"); err != nil {
			return nil, err
		}
		configs = append(configs, xmlproto.FleetLaunchTemplateConfig{LaunchTemplateSpecification: xmlproto.FleetLaunchTemplateSpecification{
			LaunchTemplateID: lt.id, Version: cmpOr(spec.Version, "$Default")}, Overrides: cfg.Overrides})
	}
	if req.DryRun {
		return nil, errDryRun
	}
	f.target = target
	if configs != nil {
		f.configs = configs
	}
	if req.ExcessCapacityTerminationPolicy != "" {
		f.excess = req.ExcessCapacityTerminationPolicy
	}
	s.fleetEvent(f, fleetChange, "modify_in_progress", "", "")
	if f.excess != "no-termination" {
		s.fleetTerminateExcess(f)
	}
	s.fleetEvent(f, fleetChange, "modify_succeeded", "", "")
	s.touchTenant(z, partFleets)
	s.kickFleet(f)
	return &xmlproto.Return{Return: true}, nil
}

// fleetTerminateExcess terminates f's newest instances of each lifecycle
// while it runs more than its target of that lifecycle. Instances with
// termination protection are kept. Callers hold s.mu (write).
func (s *Server) fleetTerminateExcess(f *fleet) {
	odT, spT := fleetSplit(&f.target)
	members := s.fleetMembers(f)
	od, spot := s.fleetLive(f)
	for _, inst := range slices.Backward(members) {
		w := fleetWeight(f, inst)
		switch {
		case inst.attrs.DisableAPITermination:
			continue
		case inst.attrs.SpotRequestID != "" && spot > float64(spT):
			spot -= w
		case inst.attrs.SpotRequestID == "" && od > float64(odT):
			od -= w
		default:
			continue
		}
		s.terminate(inst)
		s.touch(inst)
	}
}

// ---- DescribeFleetHistory ----

// Event types of DescribeFleetHistory (EC2 Fleet's, not Spot Fleet's).
const (
	instanceChange = "instance-change"
	fleetChange    = "fleet-change"
	serviceError   = "service-error"
)

// maxFleetHistory bounds the events a fleet keeps: the latest. EC2 keeps
// them 48 hours.
const maxFleetHistory = 1000

// fleetEvent records an event of f. Callers hold s.mu (write).
func (s *Server) fleetEvent(f *fleet, typ, sub, instanceID, desc string) {
	f.history = append(f.history, xmlproto.HistoryRecordEntry{EventType: typ, Timestamp: s.cfg.now().UTC(),
		EventInformation: xmlproto.EventInformation{EventSubType: sub, InstanceID: instanceID, EventDescription: desc}})
	if n := len(f.history) - maxFleetHistory; n > 0 {
		f.history = slices.Delete(f.history, 0, n)
	}
	if f.z != nil {
		s.touchTenant(f.z, partFleets)
	}
}

// fleetEventOnce records an instance's event unless f has it already:
// the hook that reports a termination may run more than once for one.
func (s *Server) fleetEventOnce(f *fleet, typ, sub, instanceID string) {
	for _, e := range slices.Backward(f.history) {
		if e.EventType == typ && e.EventInformation.EventSubType == sub && e.EventInformation.InstanceID == instanceID {
			return
		}
	}
	s.fleetEvent(f, typ, sub, instanceID, "")
}

func (s *Server) describeFleetHistory(ctx context.Context, c *call, req *xmlproto.DescribeFleetHistoryRequest) (any, error) {
	if req.FleetID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter FleetId")
	}
	if req.StartTime == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter StartTime")
	}
	if err := checkFleetID(req.FleetID); err != nil {
		return nil, err
	}
	start, err := spotTime("StartTime", req.StartTime)
	if err != nil {
		return nil, err
	}
	if req.EventType != "" {
		if err := oneOf("EventType", req.EventType, instanceChange, fleetChange, serviceError); err != nil {
			return nil, err
		}
	}
	s.mu.RLock()
	var f *fleet
	if z := s.tenants[c.scope]; z != nil {
		f = z.findFleet(req.FleetID)
	}
	s.mu.RUnlock()
	if f == nil {
		return nil, apiErr(ErrInvalidFleetIDNotFound, "The fleet ID '%s' does not exist", req.FleetID)
	}
	now := s.cfg.now().UTC()
	spec := describeSpec[xmlproto.HistoryRecordEntry]{
		list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[xmlproto.HistoryRecordEntry], error) {
			// An instant fleet has no events, as on EC2.
			return func(yield func(xmlproto.HistoryRecordEntry) bool) {
				for _, e := range f.history {
					if e.Timestamp.Before(start) || req.EventType != "" && e.EventType != req.EventType {
						continue
					}
					if !yield(e) {
						return
					}
				}
			}, nil
		},
		emit: func(s *Server, c *call, page []xmlproto.HistoryRecordEntry, next string) any {
			return &xmlproto.DescribeFleetHistoryResponse{FleetID: f.id, StartTime: start, LastEvaluatedTime: now,
				HistoryRecords: append([]xmlproto.HistoryRecordEntry{}, page...), NextToken: next}
		},
	}
	return describe(ctx, s, c, describeQuery{nil, nil, req.MaxResults, req.NextToken, req.DryRun}, &spec)
}
