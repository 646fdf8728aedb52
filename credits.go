package ec2emu

import (
	"context"
	"fmt"
	"iter"

	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

var creditFields = query.Fields[*instance]{ByName: map[string]func(*instance) []string{
	"instance-id": func(i *instance) []string { return one(i.id) },
}}

// creditsOf is the credit option EC2 reports for inst: its own for
// burstable (or once burstable) instances, standard for the rest.
func creditsOf(inst *instance) string {
	if inst.attrs.CPUCredits != "" {
		return inst.attrs.CPUCredits
	}
	return "standard"
}

func (s *Server) describeInstanceCreditSpecifications(ctx context.Context, c *call, req *xmlproto.DescribeInstanceCreditSpecificationsRequest) (any, error) {
	spec := describeSpec[*instance]{
		checkIDs: checkInstanceIDs, idsParam: "instanceId", fields: creditFields,
		list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*instance], error) {
			all, err := s.instanceList(ctx, c, ids)
			if err != nil || len(ids) > 0 {
				return all, err
			}
			// Without IDs EC2 lists only what runs unlimited (including
			// instances resized away from a burstable type).
			return func(yield func(*instance) bool) {
				for inst := range all {
					if inst.attrs.CPUCredits == "unlimited" && !yield(inst) {
						return
					}
				}
			}, nil
		},
		seq: instanceSeq,
		emit: func(s *Server, c *call, page []*instance, next string) any {
			out := &xmlproto.DescribeInstanceCreditSpecificationsResponse{
				InstanceCreditSpecifications: make([]xmlproto.InstanceCreditSpecification, 0, len(page)), NextToken: next}
			for _, inst := range page {
				out.InstanceCreditSpecifications = append(out.InstanceCreditSpecifications,
					xmlproto.InstanceCreditSpecification{InstanceID: inst.id, CPUCredits: creditsOf(inst)})
			}
			return out
		},
	}
	return describe(ctx, s, c, describeQuery{req.InstanceIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &spec)
}

// modifyInstanceCreditSpecification succeeds or fails per instance, as EC2
// does: the answer lists each under successful or unsuccessful with the
// item's error code. A bad CpuCredits value fails the whole request.
func (s *Server) modifyInstanceCreditSpecification(ctx context.Context, c *call, req *xmlproto.ModifyInstanceCreditSpecificationRequest) (any, error) {
	if len(req.InstanceCreditSpecifications) == 0 {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter InstanceCreditSpecification")
	}
	for _, spec := range req.InstanceCreditSpecifications {
		if spec.InstanceID == "" {
			return nil, apiErr(ErrMissingParameter, "The request must contain the parameter InstanceCreditSpecification.N.InstanceId")
		}
		if err := oneOf("CpuCredits", spec.CPUCredits, "standard", "unlimited"); err != nil {
			return nil, err
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	now := s.cfg.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenants[c.scope]
	out := &xmlproto.ModifyInstanceCreditSpecificationResponse{
		Successful:   []xmlproto.SuccessfulInstanceCreditSpecificationItem{},
		Unsuccessful: []xmlproto.UnsuccessfulInstanceCreditSpecificationItem{},
	}
	fail := func(id string, code ErrorCode, msg string) {
		out.Unsuccessful = append(out.Unsuccessful, xmlproto.UnsuccessfulInstanceCreditSpecificationItem{
			InstanceID: id, Error: xmlproto.StateReason{Code: string(code), Message: msg}})
	}
	for _, spec := range req.InstanceCreditSpecifications {
		id := spec.InstanceID
		if !instanceIDRe.MatchString(id) {
			fail(id, ErrInvalidInstanceIDMalformed, "Invalid id: \""+id+"\"")
			continue
		}
		inst := s.instances[id]
		if inst == nil || inst.tenant != z || !s.visible(inst, now) {
			fail(id, ErrInvalidInstanceIDNotFound, "The instance ID '"+id+"' does not exist")
			continue
		}
		if inst.state == stateTerminated || inst.state == stateShuttingDown {
			fail(id, ErrIncorrectInstanceState, "The instance '"+id+"' is not in a state from which its credit specification can be modified.")
			continue
		}
		if _, ok := defaultCredits(inst.instanceType); !ok {
			fail(id, ErrInstanceCreditSpecificationNotSupported, creditsNotSupported(inst.instanceType))
			continue
		}
		inst.attrs.CPUCredits = spec.CPUCredits
		s.touch(inst)
		out.Successful = append(out.Successful, xmlproto.SuccessfulInstanceCreditSpecificationItem{InstanceID: id})
	}
	return out, nil
}

// creditsNotSupported is EC2's message for a credit option on a type that
// is not burstable.
func creditsNotSupported(instanceType string) string {
	return fmt.Sprintf("The %s instance type does not support T2 Unlimited.", instanceType)
}
