package ec2emu

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// changeStates is the shared shape of Start/Stop/Terminate/RebootInstances:
// validate every ID and every instance's state first, so a request either
// applies to all its instances or to none, then apply.
func (s *Server) changeStates(ctx context.Context, c *call, check func(*instance) error, apply func(*instance)) ([]xmlproto.InstanceStateChange, error) {
	var req xmlproto.InstanceIDsRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if len(req.InstanceIDs) == 0 {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter InstanceId")
	}
	if err := checkInstanceIDs(req.InstanceIDs); err != nil {
		return nil, err
	}
	if !req.DryRun {
		// The work happens in the background: if the engine is down, say
		// so now (503, which SDKs retry) rather than accept and fail later.
		if err := s.ping(ctx); err != nil {
			return nil, err
		}
	}
	now := s.cfg.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	insts, err := s.lookup(s.zone(c.scope), req.InstanceIDs, now)
	if err != nil {
		return nil, err
	}
	for _, inst := range insts {
		if err := check(inst); err != nil {
			return nil, err
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	out := make([]xmlproto.InstanceStateChange, 0, len(insts))
	seen := map[*instance]bool{}
	for _, inst := range insts {
		prev := inst.state
		if !seen[inst] {
			seen[inst] = true
			apply(inst)
		}
		out = append(out, xmlproto.InstanceStateChange{InstanceID: inst.id, PreviousState: stateOf(prev), CurrentState: stateOf(inst.state)})
	}
	return out, nil
}

// ping checks that the backend's engine answers, if the backend can tell.
func (s *Server) ping(ctx context.Context) error {
	p, ok := s.b.(backend.Pinger)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return p.Ping(ctx)
}

func notInState(inst *instance, verb string) error {
	return apiErr(ErrIncorrectInstanceState, "The instance '%s' is not in a state from which it can be %s.", inst.id, verb)
}

func (s *Server) stopInstances(ctx context.Context, c *call) (any, error) {
	changes, err := s.changeStates(ctx, c, func(inst *instance) error {
		switch inst.state {
		case statePending:
			return apiErr(ErrIncorrectInstanceState, "Instance '%s' cannot be stopped as it has never reached the 'running' state.", inst.id)
		case stateShuttingDown, stateTerminated:
			return notInState(inst, "stopped")
		}
		if inst.attrs.DisableAPIStop && inst.state == stateRunning {
			return apiErr(ErrOperationNotPermitted, "The instance '%s' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.", inst.id)
		}
		return nil
	}, func(inst *instance) {
		if inst.state == stateRunning {
			s.stop(inst)
		}
	})
	if err != nil {
		return nil, err
	}
	return &xmlproto.InstanceStateChanges{Instances: changes}, nil
}

func (s *Server) startInstances(ctx context.Context, c *call) (any, error) {
	changes, err := s.changeStates(ctx, c, func(inst *instance) error {
		switch inst.state {
		case stateStopping, stateShuttingDown, stateTerminated:
			return notInState(inst, "started")
		}
		return nil
	}, func(inst *instance) {
		if inst.state == stateStopped {
			s.start(inst)
		}
	})
	if err != nil {
		return nil, err
	}
	return &xmlproto.InstanceStateChanges{Instances: changes}, nil
}

func (s *Server) terminateInstances(ctx context.Context, c *call) (any, error) {
	changes, err := s.changeStates(ctx, c, func(inst *instance) error {
		if inst.attrs.DisableAPITermination && inst.state != stateTerminated && inst.state != stateShuttingDown {
			return apiErr(ErrOperationNotPermitted, "The instance '%s' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.", inst.id)
		}
		return nil
	}, func(inst *instance) {
		if inst.state != stateTerminated && inst.state != stateShuttingDown {
			s.terminate(inst)
		}
	})
	if err != nil {
		return nil, err
	}
	return &xmlproto.InstanceStateChanges{Instances: changes}, nil
}

func (s *Server) rebootInstances(ctx context.Context, c *call) (any, error) {
	_, err := s.changeStates(ctx, c, func(inst *instance) error {
		switch inst.state {
		case stateRunning, statePending:
			return nil
		}
		return notInState(inst, "rebooted")
	}, func(inst *instance) {
		if inst.state == stateRunning {
			s.reboot(inst)
		}
	})
	if err != nil {
		return nil, err
	}
	return &xmlproto.Return{Return: true}, nil
}

var statusFields = fields[*instance]{
	byName: map[string]func(*instance) []string{
		"availability-zone":   func(i *instance) []string { return one(i.az) },
		"instance-state-name": func(i *instance) []string { return one(i.state) },
		"instance-state-code": func(i *instance) []string { return one(strconv.Itoa(stateCodes[i.state])) },
		"instance-status.status": func(i *instance) []string {
			return one(statusOf(i).Status)
		},
		"instance-status.reachability": func(i *instance) []string { return reachability(i) },
		"system-status.status":         func(i *instance) []string { return one(statusOf(i).Status) },
		"system-status.reachability":   func(i *instance) []string { return reachability(i) },
		"event.code":                   func(i *instance) []string { return nil },
	},
}

func statusOf(i *instance) xmlproto.StatusSummary {
	if i.state != stateRunning {
		return xmlproto.StatusSummary{Status: "not-applicable"}
	}
	return xmlproto.StatusSummary{Status: "ok", Details: []xmlproto.StatusDetail{{Name: "reachability", Status: "passed"}}}
}

func reachability(i *instance) []string {
	st := statusOf(i)
	if len(st.Details) == 0 {
		return nil
	}
	return one(st.Details[0].Status)
}

func (s *Server) describeInstanceStatus(ctx context.Context, c *call) (any, error) {
	var req xmlproto.DescribeInstanceStatusRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := checkInstanceIDs(req.InstanceIDs); err != nil {
		return nil, err
	}
	if err := checkMaxResults(req.MaxResults, len(req.InstanceIDs), "instancesSet"); err != nil {
		return nil, err
	}
	fs, err := compileFilters(req.Filters, statusFields)
	if err != nil {
		return nil, err
	}
	after, err := parsePageToken(req.NextToken)
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	now := s.cfg.now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	candidates, err := s.candidates(c.scope, req.InstanceIDs, now)
	if err != nil {
		return nil, err
	}
	out := &xmlproto.DescribeInstanceStatusResponse{InstanceStatuses: []xmlproto.InstanceStatus{}}
	out.NextToken = s.instancePage(candidates, req.MaxResults, after, now, func(inst *instance) bool {
		return fs.match(inst) && (req.IncludeAllInstances || inst.state == stateRunning)
	}, func(inst *instance) {
		st := statusOf(inst)
		out.InstanceStatuses = append(out.InstanceStatuses, xmlproto.InstanceStatus{
			InstanceID: inst.id, AvailabilityZone: inst.az, InstanceState: stateOf(inst.state),
			SystemStatus: st, InstanceStatus: st,
		})
	})
	return out, nil
}

// instancePage is the paging of the Describe actions that list instances
// one by one: it passes emit, in launch order, the visible candidates after
// the page token's instance that keep accepts, at most max of them (all when
// max is nil), and returns the next page's token if more remain. Callers
// hold s.mu (read).
func (s *Server) instancePage(candidates []*instance, max *int, after uint64, now time.Time, keep func(*instance) bool, emit func(*instance)) string {
	limit := len(candidates)
	if max != nil {
		limit = *max
	}
	n, lastSeq := 0, uint64(0)
	for _, inst := range candidates {
		if inst.seq <= after || !s.visible(inst, now) || !keep(inst) {
			continue
		}
		if n == limit {
			return pageToken(lastSeq)
		}
		emit(inst)
		n, lastSeq = n+1, inst.seq
	}
	return ""
}

func (s *Server) getConsoleOutput(ctx context.Context, c *call) (any, error) {
	var req xmlproto.GetConsoleOutputRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.InstanceID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter InstanceId")
	}
	if err := checkInstanceIDs([]string{req.InstanceID}); err != nil {
		return nil, err
	}
	s.mu.RLock()
	_, err := s.lookup(s.zones[c.scope], []string{req.InstanceID}, s.cfg.now())
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	co, ok := s.b.(backend.ConsoleOutputer)
	if !ok {
		return nil, apiErr(ErrUnsupportedOperation, "GetConsoleOutput is not supported by this backend.")
	}
	if req.DryRun {
		return nil, errDryRun
	}
	b, err := co.ConsoleOutput(ctx, req.InstanceID)
	if errors.Is(err, backend.ErrNotFound) {
		b, err = nil, nil // a machine already gone has no output left, as on AWS
	}
	if err != nil {
		return nil, err
	}
	b = s.withHostKeys(req.InstanceID, b)
	return &xmlproto.GetConsoleOutputResponse{InstanceID: req.InstanceID, Timestamp: s.cfg.now(), Output: base64.StdEncoding.EncodeToString(b)}, nil
}
