package ec2emu

import (
	"context"
	"fmt"
	"iter"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// EC2 Fleets of type instant: CreateFleet launches, once and at once, the
// On-Demand and Spot capacity asked for over launch templates and their
// overrides, each launch going through RunInstances (runInstances, with the
// template merged by applyLaunchTemplate), so a fleet's instances pass the
// same checks, quotas, capacity and address allocation as any other; its
// Spot instances are one-time Spot instances as RunInstances launches them
// (spot.go). Fleets are state of the tenant (partFleets). Fleets of type
// request and maintain launch in the background (fleetmaintain.go).

// fleet is one EC2 Fleet.
type fleet struct {
	z           *tenant
	id          string
	typ         string
	state       string // submitted, active, deleted_running, deleted_terminating
	created     time.Time
	clientToken string
	requestHash string
	target      xmlproto.TargetCapacitySpecification
	onDemand    *xmlproto.FleetOnDemandOptions
	spotOpts    *xmlproto.FleetSpotOptions
	configs     []xmlproto.FleetLaunchTemplateConfig
	tags        []xmlproto.Tag
	instances   []xmlproto.FleetInstances
	errors      []xmlproto.FleetError
	fulfilled   float64
	fulfilledSp float64 // of fulfilled, the Spot capacity

	// Of fleets of type request and maintain (fleetmaintain.go).
	instTags []xmlproto.Tag                // the instance tags of CreateFleet's TagSpecifications
	excess   string                        // ExcessCapacityTerminationPolicy as set
	act      string                        // activity status
	history  []xmlproto.HistoryRecordEntry // DescribeFleetHistory's, the latest maxFleetHistory
	looping  bool                          // a launch round is queued or running
	again    bool                          // an instance ended or the target changed during the round
}

// fleetTagID is the tag EC2 puts on each instance a fleet launches.
const fleetTagID = "aws:ec2:fleet-id"

// Fleet IDs are fleet- and a UUID.
var fleetIDRe = regexp.MustCompile(`^fleet-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func newFleetID() string { return "fleet-" + newRequestID() }

func checkFleetID(id string) error {
	if !fleetIDRe.MatchString(id) {
		return apiErr(ErrInvalidFleetIDMalformed, "The fleet ID '%s' is malformed: expecting fleet- and a UUID.", id)
	}
	return nil
}

// findFleet returns the fleet id of z, or nil. Callers hold s.mu.
func (z *tenant) findFleet(id string) *fleet {
	for _, f := range z.fleets {
		if f.id == id {
			return f
		}
	}
	return nil
}

// fleetPool is one launch template and override a fleet launches from.
type fleetPool struct {
	config   int // index in the request's LaunchTemplateConfigs
	ltID     string
	version  int64
	override *xmlproto.FleetLaunchTemplateOverrides
	weight   float64
	priority float64 // lower first; none is last
	data     xmlproto.LaunchTemplateData
}

const (
	maxFleetClientToken = 64
	maxFleetOverrides   = 300
	fleetLifecycle      = "on-demand"
	fleetSpotLifecycle  = "spot"
)

// fleetSplit is the On-Demand and Spot capacity a fleet's target asks
// for: the type not named by DefaultTargetCapacityType takes what its own
// target says, the default type the rest.
func fleetSplit(t *xmlproto.TargetCapacitySpecification) (od, spot int) {
	total := *t.TotalTargetCapacity
	if t.DefaultTargetCapacityType == "on-demand" {
		if t.SpotTargetCapacity != nil {
			spot = *t.SpotTargetCapacity
		}
		return total - spot, spot
	}
	if t.OnDemandTargetCapacity != nil {
		od = *t.OnDemandTargetCapacity
	}
	return od, total - od
}

// checkCreateFleet checks what CreateFleet can check without the tenant.
func checkCreateFleet(c *call, req *xmlproto.CreateFleetRequest) error {
	if unused := xmlproto.Unused(c.req.Params, req); len(unused) > 0 {
		return apiErr(ErrUnsupportedOperation, "The CreateFleet parameter %s is not supported by ec2emu, which launches On-Demand and one-time Spot instances of fleets from launch templates with overrides of InstanceType, SubnetId, AvailabilityZone, ImageId, WeightedCapacity and Priority.", unused[0])
	}
	if p := req.ExcessCapacityTerminationPolicy; p != "" {
		if cmpOr(req.Type, "maintain") != "maintain" {
			return apiErr(ErrInvalidParameterValue, "ExcessCapacityTerminationPolicy is supported only for fleets of type maintain.")
		}
		if err := oneOf("ExcessCapacityTerminationPolicy", p, "termination", "no-termination"); err != nil {
			return err
		}
	}
	if len(req.ClientToken) > maxFleetClientToken {
		return apiErr(ErrInvalidParameterValue, "Value (%s) for parameter clientToken is invalid. The client token must be at most %d characters long.", req.ClientToken, maxFleetClientToken)
	}
	if len(req.LaunchTemplateConfigs) == 0 {
		return apiErr(ErrMissingParameter, "The request must contain the parameter LaunchTemplateConfigs")
	}
	if err := checkFleetConfigs(req.LaunchTemplateConfigs); err != nil {
		return err
	}
	t := req.TargetCapacitySpecification
	if t == nil || t.TotalTargetCapacity == nil {
		return apiErr(ErrMissingParameter, "The request must contain the parameter TargetCapacitySpecification.TotalTargetCapacity")
	}
	if *t.TotalTargetCapacity < 1 {
		return apiErr(ErrInvalidParameterValue, "Value (%d) for parameter TotalTargetCapacity is invalid. A fleet's target capacity must be at least 1.", *t.TotalTargetCapacity)
	}
	if err := checkFleetTarget(t); err != nil {
		return err
	}
	if so := req.SpotOptions; so != nil && so.AllocationStrategy != "" {
		if err := oneOf("AllocationStrategy", so.AllocationStrategy, "lowest-price", "diversified", "capacity-optimized",
			"capacity-optimized-prioritized", "price-capacity-optimized"); err != nil {
			return err
		}
	}
	for _, ts := range req.TagSpecifications {
		switch ts.ResourceType {
		case "fleet", "instance":
		case "":
			return apiErr(ErrInvalidParameterValue, "Tag specification resource type must have a value")
		default:
			return apiErr(ErrInvalidParameterValue, "'%s' is not a valid taggable resource type for this operation: CreateFleet tags fleet and instance.", ts.ResourceType)
		}
		if err := validateTags(ts.Tags); err != nil {
			return err
		}
	}
	return nil
}

// checkFleetConfigs checks the launch templates and overrides of
// CreateFleet and ModifyFleet.
func checkFleetConfigs(configs []xmlproto.FleetLaunchTemplateConfigRequest) error {
	overrides := 0
	for _, cfg := range configs {
		spec := cfg.LaunchTemplateSpecification
		if spec == nil {
			return apiErr(ErrMissingParameter, "The request must contain the parameter LaunchTemplateConfigs.LaunchTemplateSpecification")
		}
		if err := checkLTRef(spec.LaunchTemplateID, spec.LaunchTemplateName); err != nil {
			return err
		}
		overrides += len(cfg.Overrides)
		for _, o := range cfg.Overrides {
			if w := o.WeightedCapacity; w != nil && (!(*w > 0) || math.IsInf(*w, 1)) {
				return apiErr(ErrInvalidParameterValue, "Value (%v) for parameter WeightedCapacity is invalid. The weighted capacity must be greater than 0.", *w)
			}
			if p := o.Priority; p != nil && (*p < 0 || math.IsNaN(*p)) {
				return apiErr(ErrInvalidParameterValue, "Value (%v) for parameter Priority is invalid. The priority must be 0 or more.", *p)
			}
			if o.SubnetID != "" && !strings.HasPrefix(o.SubnetID, "subnet-") {
				return apiErr(ErrInvalidSubnetIDMalformed, "Invalid id: \"%s\"", o.SubnetID)
			}
		}
	}
	if overrides > maxFleetOverrides {
		return apiErr(ErrInvalidParameterValue, "A fleet may have at most %d launch template overrides; this request has %d.", maxFleetOverrides, overrides)
	}
	return nil
}

// checkFleetTarget checks a target capacity: its parts within its total,
// and a default type when the parts do not name all of it.
func checkFleetTarget(t *xmlproto.TargetCapacitySpecification) error {
	total := *t.TotalTargetCapacity
	if total < 0 {
		return apiErr(ErrInvalidParameterValue, "Value (%d) for parameter TotalTargetCapacity is invalid. It must be 0 or more.", total)
	}
	deref := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	switch t.DefaultTargetCapacityType {
	case "on-demand", "spot":
	case "":
		if deref(t.OnDemandTargetCapacity)+deref(t.SpotTargetCapacity) < total {
			return apiErr(ErrMissingParameter, "The request must contain the parameter TargetCapacitySpecification.DefaultTargetCapacityType")
		}
	default:
		return apiErr(ErrUnsupportedOperation, "DefaultTargetCapacityType %s is not supported by ec2emu: an EC2 Fleet launches On-Demand and Spot instances only.", t.DefaultTargetCapacityType)
	}
	if od := t.OnDemandTargetCapacity; od != nil && (*od < 0 || *od > total) {
		return apiErr(ErrInvalidParameterValue, "Value (%d) for parameter OnDemandTargetCapacity is invalid. It must be between 0 and TotalTargetCapacity (%d).", *od, total)
	}
	if sp := t.SpotTargetCapacity; sp != nil && (*sp < 0 || *sp > total) {
		return apiErr(ErrInvalidParameterValue, "Value (%d) for parameter SpotTargetCapacity is invalid. It must be between 0 and TotalTargetCapacity (%d).", *sp, total)
	}
	if deref(t.OnDemandTargetCapacity)+deref(t.SpotTargetCapacity) > total {
		return apiErr(ErrInvalidParameterValue, "The sum of OnDemandTargetCapacity and SpotTargetCapacity must not exceed TotalTargetCapacity (%d).", total)
	}
	return nil
}

// ---- CreateFleet ----

func (s *Server) createFleet(ctx context.Context, c *call, req *xmlproto.CreateFleetRequest) (any, error) {
	if err := checkCreateFleet(c, req); err != nil {
		return nil, err
	}
	var fleetTags, instTags []xmlproto.Tag
	for _, ts := range req.TagSpecifications {
		if ts.ResourceType == "fleet" {
			fleetTags = setTags(fleetTags, ts.Tags)
		} else {
			instTags = setTags(instTags, ts.Tags)
		}
	}
	hash := hashParams(c.req.Params)
	if req.ClientToken != "" && !req.DryRun {
		// Held across the launches: a concurrent retry with the same token
		// waits and then finds this fleet. Taken before s.mu, never under it.
		s.mu.Lock()
		zt := s.tenant(c.scope)
		s.mu.Unlock()
		zt.fleetTokens.Lock()
		defer zt.fleetTokens.Unlock()
	}

	// Resolve every template now: an unknown template or version fails the
	// whole request before anything launches.
	var pools []fleetPool
	var configs []xmlproto.FleetLaunchTemplateConfig
	s.mu.RLock()
	z := s.tenants[c.scope]
	if z == nil {
		z = &tenant{}
	}
	var prior *fleet
	if req.ClientToken != "" {
		for _, f := range z.fleets {
			if f.clientToken == req.ClientToken {
				prior = f
			}
		}
	}
	var err error
	for i, cfg := range req.LaunchTemplateConfigs {
		spec := cfg.LaunchTemplateSpecification
		var lt *launchTemplate
		if lt, err = z.findLT(spec.LaunchTemplateID, spec.LaunchTemplateName); err != nil {
			break
		}
		var v *ltVersion
		if v, err = lt.version(spec.Version, "$Default"); err != nil {
			break
		}
		shown := xmlproto.FleetLaunchTemplateConfig{LaunchTemplateSpecification: xmlproto.FleetLaunchTemplateSpecification{
			LaunchTemplateID: lt.id, Version: cmpOr(spec.Version, "$Default")}, Overrides: cfg.Overrides}
		configs = append(configs, shown)
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
	var priorView *xmlproto.CreateFleetResponse
	if err == nil && prior != nil {
		if prior.requestHash != hash {
			err = apiErr(ErrIdempotentParameterMismatch, "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
		} else if prior.typ != "instant" {
			priorView = &xmlproto.CreateFleetResponse{FleetID: prior.id}
		} else {
			priorView = &xmlproto.CreateFleetResponse{FleetID: prior.id, Errors: prior.errors, Instances: prior.instances}
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	if priorView != nil {
		return priorView, nil
	}
	f := &fleet{id: newFleetID(), typ: cmpOr(req.Type, "maintain"), state: "active", created: s.cfg.now().UTC().Truncate(time.Second),
		clientToken: req.ClientToken, requestHash: hash, target: *req.TargetCapacitySpecification,
		onDemand: req.OnDemandOptions, spotOpts: req.SpotOptions, configs: configs, tags: fleetTags}
	if f.onDemand == nil {
		f.onDemand = &xmlproto.FleetOnDemandOptions{AllocationStrategy: "lowest-price"}
	}
	odTarget, spotTarget := fleetSplit(req.TargetCapacitySpecification)
	if spotTarget > 0 && f.spotOpts == nil {
		f.spotOpts = &xmlproto.FleetSpotOptions{AllocationStrategy: "lowest-price"}
	}
	if f.typ != "instant" {
		// EC2 answers these types at once with the fleet's ID; the
		// launches follow in the background.
		f.state, f.act, f.instTags, f.excess = "submitted", "pending_fulfillment", instTags, req.ExcessCapacityTerminationPolicy
		s.mu.Lock()
		zz := s.tenant(c.scope)
		f.z = zz
		s.fleetEvent(f, fleetChange, "submitted", "", "")
		zz.fleets = append(zz.fleets, f)
		s.touchTenant(zz, partFleets)
		s.kickFleet(f)
		s.mu.Unlock()
		return &xmlproto.CreateFleetResponse{FleetID: f.id}, nil
	}
	var out fleetLaunched
	// The On-Demand part first, then the Spot part, each over the pools
	// in its own order: by Priority for the prioritized strategies (lower
	// first, none last), else as given (ec2emu has no prices or capacity
	// pools to optimize for).
	s.fleetLaunchPart(ctx, c, f.id, &out, pools, fleetLifecycle, float64(odTarget), f.onDemand.AllocationStrategy == "prioritized", instTags)
	if spotTarget > 0 {
		s.fleetLaunchPart(ctx, c, f.id, &out, pools, fleetSpotLifecycle, float64(spotTarget), f.spotOpts.AllocationStrategy == "capacity-optimized-prioritized", instTags)
	}
	f.instances, f.errors, f.fulfilled, f.fulfilledSp = out.instances, out.errors, out.got, out.gotSpot
	s.mu.Lock()
	zz := s.tenant(c.scope)
	f.z = zz
	zz.fleets = append(zz.fleets, f)
	s.touchTenant(zz, partFleets)
	s.mu.Unlock()
	return &xmlproto.CreateFleetResponse{FleetID: f.id, Errors: f.errors, Instances: f.instances}, nil
}

// fleetLaunched is what launches for a fleet made and could not make.
type fleetLaunched struct {
	instances    []xmlproto.FleetInstances
	errors       []xmlproto.FleetError
	got, gotSpot float64 // capacity launched, and of it Spot
}

// fleetLaunchPart launches target capacity of one lifecycle (on-demand or
// spot) for fleet fleetID over pools, recording in f what launched and
// what failed. It takes s.mu only through RunInstances: callers hold
// nothing.
func (s *Server) fleetLaunchPart(ctx context.Context, c *call, fleetID string, f *fleetLaunched, pools []fleetPool, lifecycle string, target float64, byPriority bool, instTags []xmlproto.Tag) {
	if byPriority {
		pools = slices.Clone(pools)
		slices.SortStableFunc(pools, func(a, b fleetPool) int {
			switch {
			case a.priority < b.priority:
				return -1
			case a.priority > b.priority:
				return 1
			}
			return 0
		})
	}
	remaining := target
	for _, p := range pools {
		if remaining <= 0 {
			break
		}
		from := xmlproto.LaunchTemplateAndOverrides{LaunchTemplateSpecification: xmlproto.FleetLaunchTemplateSpecification{
			LaunchTemplateID: p.ltID, Version: strconv.FormatInt(p.version, 10)}, Overrides: p.override}
		// A tiny weight must not overflow the count: RunInstances' quotas
		// refuse a count this large anyway.
		n := int(min(math.Ceil(remaining/p.weight), math.MaxInt32))
		res, err := s.fleetLaunch(ctx, c, fleetID, p, n, instTags, lifecycle == fleetSpotLifecycle)
		if err != nil {
			e := s.toAPIError(err, c)
			f.errors = append(f.errors, xmlproto.FleetError{LaunchTemplateAndOverrides: from, Lifecycle: lifecycle,
				ErrorCode: string(e.Code), ErrorMessage: e.Message})
			continue
		}
		out := xmlproto.FleetInstances{LaunchTemplateAndOverrides: from, Lifecycle: lifecycle}
		for _, inst := range res.Instances {
			out.InstanceIDs = append(out.InstanceIDs, inst.InstanceID)
			out.InstanceType = inst.InstanceType
		}
		f.instances = append(f.instances, out)
		if len(res.Instances) < n {
			// RunInstances launched what capacity allowed; the rest is
			// this pool's error, as EC2 reports a pool it could not fill.
			f.errors = append(f.errors, xmlproto.FleetError{LaunchTemplateAndOverrides: from, Lifecycle: lifecycle,
				ErrorCode: string(ErrInsufficientInstanceCapacity), ErrorMessage: fmt.Sprintf("There is not enough capacity to fulfill your request: %d of %d instances launched.", len(res.Instances), n)})
		}
		got := float64(len(res.Instances)) * p.weight
		f.got += got
		if lifecycle == fleetSpotLifecycle {
			f.gotSpot += got
		}
		remaining -= got
	}
}

// fleetLaunch launches up to n instances of pool p through RunInstances:
// the template version, the override's members as RunInstances' own
// parameters (so they win over the template's, as EC2 Fleet overrides
// do), MinCount 1, and the fleet's instance tags.
func (s *Server) fleetLaunch(ctx context.Context, c *call, fleetID string, p fleetPool, n int, tags []xmlproto.Tag, spot bool) (*xmlproto.Reservation, error) {
	params := url.Values{}
	if spot {
		params.Set("InstanceMarketOptions.MarketType", "spot")
	}
	params.Set("LaunchTemplate.LaunchTemplateId", p.ltID)
	params.Set("LaunchTemplate.Version", strconv.FormatInt(p.version, 10))
	params.Set("MinCount", "1")
	params.Set("MaxCount", strconv.Itoa(n))
	if o := p.override; o != nil {
		if o.InstanceType != "" {
			params.Set("InstanceType", o.InstanceType)
		}
		if o.ImageID != "" {
			params.Set("ImageId", o.ImageID)
		}
		if o.AvailabilityZone != "" {
			params.Set("Placement.AvailabilityZone", o.AvailabilityZone)
		}
		if o.SubnetID != "" {
			if len(p.data.NetworkInterfaces) == 0 {
				params.Set("SubnetId", o.SubnetID)
			} else {
				// The override's subnet is the primary interface's: the
				// template's interfaces, that one's subnet replaced.
				nis := slices.Clone(p.data.NetworkInterfaces)
				for i := range nis {
					if nis[i].DeviceIndex == nil || *nis[i].DeviceIndex == 0 {
						nis[i].SubnetID = o.SubnetID
					}
				}
				xmlproto.EncodeParams(params, "", &struct {
					NI []xmlproto.LaunchTemplateNetworkInterface `ec2:"NetworkInterface"`
				}{nis})
			}
		}
	}
	if len(tags) > 0 {
		xmlproto.EncodeParams(params, "", &struct {
			T []xmlproto.TagSpecification `ec2:"TagSpecification"`
		}{[]xmlproto.TagSpecification{{ResourceType: "instance", Tags: tags}}})
	}
	sub := &call{scope: c.scope, action: "RunInstances", requestID: c.requestID, log: c.log,
		req:     xmlproto.Request{Action: "RunInstances", Version: c.req.Version, Params: params},
		sysTags: []xmlproto.Tag{{Key: fleetTagID, Value: fleetID}}}
	var req xmlproto.RunInstancesRequest
	if err := sub.decode(&req); err != nil {
		return nil, err
	}
	out, err := s.runInstances(ctx, sub, &req)
	if err != nil {
		return nil, err
	}
	r, ok := out.(xmlproto.Reservation)
	if !ok {
		return nil, fmt.Errorf("RunInstances answered %T", out)
	}
	return &r, nil
}

// ---- DescribeFleets ----

// fleetState is f's state now: a deleted fleet is deleted_terminating
// until its instances have terminated. Callers hold s.mu.
func (s *Server) fleetState(f *fleet) string {
	if f.state != "deleted_terminating" {
		return f.state
	}
	if f.typ != "instant" {
		for _, inst := range f.z.order {
			if inst.state != stateTerminated && fleetOf(inst) == f.id {
				return f.state
			}
		}
		return "deleted"
	}
	for _, fi := range f.instances {
		for _, id := range fi.InstanceIDs {
			if inst := s.instances[id]; inst != nil && inst.state != stateTerminated {
				return f.state
			}
		}
	}
	return "deleted"
}

// activity is f's activity status: an instant fleet that launched its
// whole target is fulfilled, one that could not is in error.
func (f *fleet) activity() string {
	if f.fulfilled >= float64(*f.target.TotalTargetCapacity) {
		return "fulfilled"
	}
	return "error"
}

func (s *Server) fleetView(f *fleet) xmlproto.FleetData {
	if f.typ != "instant" {
		// Capacity is what runs now; the instances are
		// DescribeFleetInstances', as EC2 lists them only for instant.
		od, spot := s.fleetLive(f)
		return xmlproto.FleetData{ActivityStatus: f.act, CreateTime: f.created, FleetID: f.id, FleetState: s.fleetState(f),
			ClientToken: f.clientToken, ExcessCapacityTerminationPolicy: f.excess, FulfilledCapacity: od + spot, FulfilledOnDemandCapacity: od,
			LaunchTemplateConfigs: f.configs, TargetCapacitySpecification: f.target, Type: f.typ, OnDemandOptions: f.onDemand, SpotOptions: f.spotOpts,
			Tags: f.tags, Errors: f.errors}
	}
	return xmlproto.FleetData{ActivityStatus: f.activity(), CreateTime: f.created, FleetID: f.id, FleetState: s.fleetState(f),
		ClientToken: f.clientToken, FulfilledCapacity: f.fulfilled, FulfilledOnDemandCapacity: f.fulfilled - f.fulfilledSp,
		LaunchTemplateConfigs: f.configs, TargetCapacitySpecification: f.target, Type: f.typ, OnDemandOptions: f.onDemand, SpotOptions: f.spotOpts,
		Tags: f.tags, Errors: f.errors, Instances: f.instances}
}

// fleetActivity is f's activity status. Callers hold s.mu.
func (s *Server) fleetActivity(f *fleet) string {
	if f.typ == "instant" {
		return f.activity()
	}
	return f.act
}

func (s *Server) fleetFields() query.Fields[*fleet] {
	return query.Fields[*fleet]{
		ByName: map[string]func(*fleet) []string{
			"activity-status":                    func(f *fleet) []string { return one(s.fleetActivity(f)) },
			"excess-capacity-termination-policy": func(f *fleet) []string { return one(f.excess) },
			"fleet-state":                        func(f *fleet) []string { return one(s.fleetState(f)) },
			"replace-unhealthy-instances":        func(f *fleet) []string { return one("false") },
			"type":                               func(f *fleet) []string { return one(f.typ) },
		},
		Tags: func(f *fleet) []xmlproto.Tag { return f.tags },
	}
}

func (s *Server) describeFleets(ctx context.Context, c *call, req *xmlproto.DescribeFleetsRequest) (any, error) {
	spec := describeSpec[*fleet]{
		checkIDs: eachID(checkFleetID), fields: s.fleetFields(),
		list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*fleet], error) {
			var all []*fleet
			if z := s.tenants[c.scope]; z != nil {
				all = z.fleets
			}
			for _, id := range ids {
				if !slices.ContainsFunc(all, func(f *fleet) bool { return f.id == id }) {
					return nil, apiErr(ErrInvalidFleetIDNotFound, "The fleet ID '%s' does not exist", id)
				}
			}
			return func(yield func(*fleet) bool) {
				for _, f := range all {
					if len(ids) > 0 && !slices.Contains(ids, f.id) {
						continue
					}
					if !yield(f) {
						return
					}
				}
			}, nil
		},
		emit: func(s *Server, c *call, page []*fleet, next string) any {
			out := &xmlproto.DescribeFleetsResponse{Fleets: make([]xmlproto.FleetData, 0, len(page)), NextToken: next}
			for _, f := range page {
				out.Fleets = append(out.Fleets, s.fleetView(f))
			}
			return out
		},
	}
	return describe(ctx, s, c, describeQuery{req.FleetIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &spec)
}

// ---- DescribeFleetInstances ----

// describeFleetInstances lists the running instances of a fleet of type
// request or maintain. EC2 does not describe instant fleets here (its
// documentation sends callers to DescribeFleets).
func (s *Server) describeFleetInstances(ctx context.Context, c *call, req *xmlproto.DescribeFleetInstancesRequest) (any, error) {
	if req.FleetID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter FleetId")
	}
	if err := checkFleetID(req.FleetID); err != nil {
		return nil, err
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
	if f.typ == "instant" {
		if req.DryRun {
			return nil, errDryRun
		}
		return nil, apiErr(ErrUnsupportedOperation, "DescribeFleetInstances does not support fleets of type %s; DescribeFleets with FleetId %s lists its instances.", f.typ, f.id)
	}
	spec := describeSpec[*instance]{
		fields: query.Fields[*instance]{ByName: map[string]func(*instance) []string{
			"instance-type": func(i *instance) []string { return one(i.instanceType) },
		}},
		list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*instance], error) {
			return slices.Values(s.fleetMembers(f)), nil
		},
		emit: func(s *Server, c *call, page []*instance, next string) any {
			out := &xmlproto.DescribeFleetInstancesResponse{FleetID: f.id, ActiveInstances: make([]xmlproto.ActiveInstance, 0, len(page)), NextToken: next}
			for _, i := range page {
				out.ActiveInstances = append(out.ActiveInstances, xmlproto.ActiveInstance{InstanceID: i.id, InstanceType: i.instanceType,
					SpotInstanceRequestID: i.attrs.SpotRequestID, InstanceHealth: "healthy"})
			}
			return out
		},
	}
	return describe(ctx, s, c, describeQuery{nil, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &spec)
}

// ---- DeleteFleets ----

// Limits of one DeleteFleets.
const (
	maxDeleteInstantFleets = 25
	maxDeleteOtherFleets   = 100 // of type maintain or request
	maxDeleteFleets        = 125
)

func (s *Server) deleteFleets(ctx context.Context, c *call, req *xmlproto.DeleteFleetsRequest) (any, error) {
	if req.TerminateInstances == nil {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter TerminateInstances")
	}
	if len(req.FleetIDs) == 0 {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter FleetId")
	}
	if len(req.FleetIDs) > maxDeleteFleets {
		return nil, apiErr(ErrInvalidParameterValue, "You can delete up to %d fleets in one request; no fleets were deleted.", maxDeleteFleets)
	}
	if !req.DryRun {
		if err := s.ping(ctx); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	instant, other := 0, 0
	for _, id := range req.FleetIDs {
		if f := z.findFleet(id); f != nil && f.typ == "instant" {
			instant++
		} else if f != nil {
			other++
		}
	}
	if instant > maxDeleteInstantFleets {
		return nil, apiErr(ErrInvalidParameterValue, "You can delete up to %d fleets of type instant in one request; no fleets were deleted.", maxDeleteInstantFleets)
	}
	if other > maxDeleteOtherFleets {
		return nil, apiErr(ErrInvalidParameterValue, "You can delete up to %d fleets of type maintain or request in one request; no fleets were deleted.", maxDeleteOtherFleets)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	out := &xmlproto.DeleteFleetsResponse{Successful: []xmlproto.DeleteFleetSuccess{}, Unsuccessful: []xmlproto.DeleteFleetFailure{}}
	fail := func(id, code, msg string) {
		out.Unsuccessful = append(out.Unsuccessful, xmlproto.DeleteFleetFailure{FleetID: id, Error: xmlproto.ResponseError{Code: code, Message: msg}})
	}
	done := map[string]bool{}
	for _, id := range req.FleetIDs {
		if done[id] {
			continue
		}
		done[id] = true
		if checkFleetID(id) != nil {
			fail(id, "fleetIdMalformed", "The fleet ID '"+id+"' is malformed.")
			continue
		}
		f := z.findFleet(id)
		switch {
		case f == nil:
			fail(id, "fleetIdDoesNotExist", "The fleet ID '"+id+"' does not exist.")
			continue
		case !f.keeps() && f.typ != "instant" || f.typ == "instant" && f.state != "active":
			fail(id, "fleetNotInDeletableState", "The fleet '"+id+"' is already deleted.")
			continue
		case f.typ != "instant" && !*req.TerminateInstances:
			// Its instances keep running, no longer the fleet's to keep.
			prev := f.state
			f.state = "deleted_running"
			s.fleetEvent(f, fleetChange, f.state, "", "")
			s.touchTenant(z, partFleets)
			out.Successful = append(out.Successful, xmlproto.DeleteFleetSuccess{FleetID: f.id, PreviousFleetState: prev, CurrentFleetState: f.state})
			continue
		case !*req.TerminateInstances:
			fail(id, "unexpectedError", "A fleet of type instant cannot be deleted without terminating its instances (TerminateInstances must be true).")
			continue
		}
		var live []*instance
		protected := ""
		add := func(inst *instance) {
			if inst == nil || inst.state == stateTerminated || inst.state == stateShuttingDown {
				return
			}
			if inst.attrs.DisableAPITermination && protected == "" {
				protected = inst.id
			}
			live = append(live, inst)
		}
		if f.typ != "instant" {
			for _, inst := range s.fleetMembers(f) {
				add(inst)
			}
		}
		for _, fi := range f.instances {
			for _, iid := range fi.InstanceIDs {
				add(s.instances[iid])
			}
		}
		if protected != "" {
			fail(id, "unexpectedError", "The fleet's instance '"+protected+"' may not be terminated: modify its 'disableApiTermination' instance attribute and try again.")
			continue
		}
		for _, inst := range live {
			s.terminate(inst)
			s.touch(inst)
		}
		prev := f.state
		f.state = "deleted_terminating"
		if f.typ != "instant" {
			s.fleetEvent(f, fleetChange, f.state, "", "")
		}
		s.touchTenant(z, partFleets)
		out.Successful = append(out.Successful, xmlproto.DeleteFleetSuccess{FleetID: f.id, PreviousFleetState: prev, CurrentFleetState: s.fleetState(f)})
	}
	return out, nil
}

// fleetTaggable finds a fleet for CreateTags and DeleteTags. Callers hold
// s.mu.
func fleetTaggable(z *tenant, id string) (*taggable, error) {
	if err := checkFleetID(id); err != nil {
		return nil, err
	}
	if f := z.findFleet(id); f != nil {
		return &taggable{id: id, kind: "fleet", get: func() []xmlproto.Tag { return f.tags },
			set: func(t []xmlproto.Tag) { f.tags = t }}, nil
	}
	return nil, apiErr(ErrInvalidFleetIDNotFound, "The fleet ID '%s' does not exist", id)
}

// ---- the durable store ----

type fleetRec struct {
	Order       int                                  `json:"order"`
	ID          string                               `json:"id"`
	Type        string                               `json:"type"`
	State       string                               `json:"state"`
	Created     time.Time                            `json:"created"`
	ClientToken string                               `json:"clientToken,omitempty"`
	RequestHash string                               `json:"requestHash,omitempty"`
	Target      xmlproto.TargetCapacitySpecification `json:"target"`
	OnDemand    *xmlproto.FleetOnDemandOptions       `json:"onDemand,omitempty"`
	SpotOpts    *xmlproto.FleetSpotOptions           `json:"spotOptions,omitempty"`
	Configs     []xmlproto.FleetLaunchTemplateConfig `json:"configs"`
	Tags        []xmlproto.Tag                       `json:"tags,omitempty"`
	Instances   []xmlproto.FleetInstances            `json:"instances,omitempty"`
	Errors      []xmlproto.FleetError                `json:"errors,omitempty"`
	Fulfilled   float64                              `json:"fulfilled"`
	FulfilledSp float64                              `json:"fulfilledSpot,omitempty"`
	InstTags    []xmlproto.Tag                       `json:"instanceTags,omitempty"`
	Excess      string                               `json:"excessPolicy,omitempty"`
	Activity    string                               `json:"activity,omitempty"`
	History     []xmlproto.HistoryRecordEntry        `json:"history,omitempty"`
}

func fleetRecOf(order int, f *fleet) fleetRec {
	return fleetRec{Order: order, ID: f.id, Type: f.typ, State: f.state, Created: f.created, ClientToken: f.clientToken,
		RequestHash: f.requestHash, Target: f.target, OnDemand: f.onDemand, SpotOpts: f.spotOpts, Configs: f.configs, Tags: f.tags,
		Instances: f.instances, Errors: f.errors, Fulfilled: f.fulfilled, FulfilledSp: f.fulfilledSp,
		InstTags: f.instTags, Excess: f.excess, Activity: f.act, History: f.history}
}

func fleetFromRec(r fleetRec) *fleet {
	return &fleet{id: r.ID, typ: r.Type, state: r.State, created: r.Created, clientToken: r.ClientToken,
		requestHash: r.RequestHash, target: r.Target, onDemand: r.OnDemand, spotOpts: r.SpotOpts, configs: r.Configs, tags: r.Tags,
		instances: r.Instances, errors: r.Errors, fulfilled: r.Fulfilled, fulfilledSp: r.FulfilledSp,
		instTags: r.InstTags, excess: r.Excess, act: r.Activity, history: r.History}
}
