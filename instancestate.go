package ec2emu

import (
	"context"
	"encoding/base64"
	"errors"
	"iter"
	"strconv"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/query"
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
	insts, err := s.lookup(s.tenant(c.scope), req.InstanceIDs, now)
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
			s.touch(inst)
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
		if err := spotStopRefusal(inst); err != nil {
			return err
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

var statusFields = query.Fields[*instance]{
	ByName: map[string]func(*instance) []string{
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

func (s *Server) describeInstanceStatus(ctx context.Context, c *call, req *xmlproto.DescribeInstanceStatusRequest) (any, error) {
	spec := describeSpec[*instance]{
		checkIDs: checkInstanceIDs, idsParam: "instancesSet", fields: statusFields,
		list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*instance], error) {
			all, err := s.instanceList(ctx, c, ids)
			if err != nil || req.IncludeAllInstances {
				return all, err
			}
			return func(yield func(*instance) bool) {
				for inst := range all {
					if inst.state == stateRunning && !yield(inst) {
						return
					}
				}
			}, nil
		},
		seq: instanceSeq,
		emit: func(s *Server, c *call, page []*instance, next string) any {
			out := &xmlproto.DescribeInstanceStatusResponse{InstanceStatuses: make([]xmlproto.InstanceStatus, 0, len(page)), NextToken: next}
			for _, inst := range page {
				st := statusOf(inst)
				out.InstanceStatuses = append(out.InstanceStatuses, xmlproto.InstanceStatus{
					InstanceID: inst.id, AvailabilityZone: inst.az, InstanceState: stateOf(inst.state),
					SystemStatus: st, InstanceStatus: st,
				})
			}
			return out
		},
	}
	return describe(ctx, s, c, describeQuery{req.InstanceIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &spec)
}

func (s *Server) getConsoleOutput(ctx context.Context, c *call, req *xmlproto.GetConsoleOutputRequest) (any, error) {
	if req.InstanceID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter InstanceId")
	}
	if err := checkInstanceID(req.InstanceID); err != nil {
		return nil, err
	}
	s.mu.RLock()
	insts, err := s.lookup(s.tenants[c.scope], []string{req.InstanceID}, s.cfg.now())
	var launchErr string
	if err == nil {
		launchErr = insts[0].launchErr
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	if launchErr != "" {
		// The machine never ran; its output is why.
		if req.DryRun {
			return nil, errDryRun
		}
		out := "ec2emu: launch failed: " + launchErr + "\n"
		return &xmlproto.GetConsoleOutputResponse{InstanceID: req.InstanceID, Timestamp: s.cfg.now(), Output: base64.StdEncoding.EncodeToString([]byte(out))}, nil
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
