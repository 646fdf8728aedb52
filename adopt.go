package ec2emu

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/catalog"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// adopt re-creates the EC2 records of machines the backend already runs
// (launched by an earlier process under this namespace) from the metadata
// stored with them: same IDs, reservations, tags, client tokens and states.
//
// A RunInstances cut short by the earlier process's death is settled as EC2
// settles a launch that fails after it was answered: instances whose machine
// exists are kept (a machine created but never started is started now),
// and instances of the reservation whose machine was never created are
// recorded as terminated with reason Server.InternalError. The reservation
// keeps every instance ID it was answered with (they are derived from it),
// so a retry with the same ClientToken returns it and launches nothing. Only
// if no machine of a reservation was created at all is it unknown after the
// restart, and then a retry launches it.
func (s *Server) adopt(ctx context.Context) error {
	ms, err := s.b.Machines(ctx)
	if err != nil {
		return err
	}
	slices.SortFunc(ms, func(a, b backend.Machine) int {
		return cmp.Or(a.LaunchTime.Compare(b.LaunchTime),
			cmp.Compare(atoi(a.Metadata[mdLaunchIndex]), atoi(b.Metadata[mdLaunchIndex])),
			cmp.Compare(a.ID, b.ID))
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	adopted := map[*reservation]map[string]string{} // reservations seen now → one machine's metadata
	for _, m := range ms {
		md := m.Metadata
		if inst := s.instances[m.ID]; inst != nil {
			switch {
			case inst.stored:
				s.reconcile(inst, m)
			case inst.state == stateTerminated && inst.busy == 0 && m.State != backend.StateTerminated:
				// Its instance is terminated, its machine lives on: the
				// create of a launch that failed across a restart landed late,
				// or a terminate failed. Remove it.
				s.log.Warn("removing the machine of a terminated instance", "instance", inst.id)
				s.background(inst, "terminate", func(ctx context.Context) error {
					return s.untilAvailable(ctx, func() error { return s.b.Terminate(ctx, inst.id) })
				}, func(error) {})
			}
			continue
		}
		if md[mdAccount] == "" || md[mdRegion] == "" || md[mdReservation] == "" {
			continue // not launched by a Server
		}
		inst := s.adoptOne(m.ID, m.ImageID, m.PrivateIP, m.LaunchTime, md)
		if _, ok := adopted[inst.res]; !ok {
			adopted[inst.res] = md
		}
		switch m.State {
		case backend.StateRunning:
			inst.state = stateRunning
		case backend.StatePending:
			inst.state = statePending
			s.resumeLaunch(inst)
		case backend.StateStopping, backend.StateStopped:
			inst.state, inst.reason, inst.stateReason = stateStopped, s.userReason(), userShutdown
		default:
			inst.state, inst.endedAt = stateTerminated, s.cfg.now()
		}
		s.splitVolumes(inst)
		s.syncAccess(inst)
		s.log.Info("adopted machine", "instance", inst.id, "state", inst.state, "reservation", inst.res.id)
	}
	// Instances the store knows whose machine the engine does not list: a
	// launch that was in flight when the earlier process stopped is
	// resumed (its create may yet land in the engine: the backend finishes
	// whichever comes first); any other is lost.
	for _, inst := range s.instances {
		switch {
		case !inst.stored:
		case inst.state == statePending && inst.spec != nil:
			inst.stored = false
			s.log.Info("resuming a launch the earlier process did not finish", "instance", inst.id)
			s.launch(inst, *inst.spec)
		default:
			s.machineLost(inst)
		}
	}
	// Instances of those reservations that never got a machine.
	for r, md := range adopted {
		n := atoi(md[mdCount])
		for i := range n {
			id := instanceIDFor(r.id, i)
			if s.instances[id] != nil || slices.ContainsFunc(r.instances, func(in *instance) bool { return in.launchIndex == i }) {
				continue
			}
			imd := withKey(md, mdLaunchIndex, strconv.Itoa(i))
			inst := s.adoptOne(id, imageOf(r), "", time.Time{}, imd)
			inst.state, inst.endedAt = stateTerminated, s.cfg.now()
			inst.stateReason = &xmlproto.StateReason{Code: "Server.InternalError",
				Message: "Server.InternalError: no machine was found for the instance when the emulator restarted"}
			s.log.Info("instance of an interrupted launch has no machine", "instance", id, "reservation", r.id)
		}
		slices.SortFunc(r.instances, func(a, b *instance) int { return cmp.Compare(a.launchIndex, b.launchIndex) })
	}
	return nil
}

// adoptOne records instance id from its machine's metadata, in no state yet.
// Callers hold s.mu.
func (s *Server) adoptOne(id, imageID, privateIP string, created time.Time, md map[string]string) *instance {
	z := s.tenant(scope{account: md[mdAccount], region: md[mdRegion]})
	r := z.reservations[md[mdReservation]]
	if r == nil {
		r = &reservation{id: md[mdReservation], owner: md[mdAccount], clientToken: md[mdClientToken], requestHash: md[mdRequestHash]}
		z.reservations[r.id] = r
		if r.clientToken != "" {
			z.tokens[r.clientToken] = r
		}
	}
	launched, err := time.Parse(time.RFC3339Nano, md[mdLaunchTime])
	if err != nil {
		launched = created
	}
	var tags []xmlproto.Tag
	if md[mdTags] != "" {
		_ = json.Unmarshal([]byte(md[mdTags]), &tags) // unreadable tags are dropped, the machine is kept
	}
	s.seq++
	inst := &instance{
		id: id, seq: s.seq, tenant: z, res: r, imageID: imageID, instanceType: md[mdType], keyName: md[mdKeyName],
		launchTime: launched.UTC(), launchIndex: atoi(md[mdLaunchIndex]), az: cmp.Or(md[mdAZ], catalog.ZoneNames(md[mdRegion])[0]),
		privateIP: privateIP, architecture: md[mdArch], clientToken: md[mdClientToken], tags: tags,
	}
	inst.attrs, inst.userData = adoptedAttrs(md, inst.instanceType)
	inst.nic = adoptNIC(z, md, inst.az)
	inst.access.wantPublic = md[mdPublicIP] != "false"
	inst.access.launchKey = md[mdLaunchKey]
	inst.access.profileArn = md[mdProfile]
	r.instances = append(r.instances, inst)
	z.order = append(z.order, inst)
	s.instances[inst.id] = inst
	s.touch(inst)
	return inst
}

// resumeLaunch finishes the launch of an adopted machine that was still
// being created (or started) when the earlier process stopped: it is started
// now; if that fails it is removed. Callers hold s.mu.
func (s *Server) resumeLaunch(inst *instance) {
	var ip string
	s.background(inst, "resume launch", func(ctx context.Context) error {
		err := s.b.Start(ctx, inst.id)
		if err == nil {
			// A machine that never ran had no address when it was listed.
			if ms, lerr := s.b.Machines(ctx); lerr == nil {
				for _, m := range ms {
					if m.ID == inst.id {
						ip = m.PrivateIP
					}
				}
			}
		}
		if err != nil && !errors.Is(err, backend.ErrInvalidState) && !errors.Is(err, backend.ErrNotFound) {
			if terr := s.untilAvailable(ctx, func() error { return s.b.Terminate(ctx, inst.id) }); terr != nil {
				s.log.Warn("removing the machine of an interrupted launch failed", "instance", inst.id, "err", terr)
			}
		}
		return err
	}, func(err error) {
		if inst.state != statePending {
			return // changed meanwhile
		}
		switch {
		case err == nil:
			inst.state = stateRunning
			if ip != "" {
				inst.privateIP = ip
			}
		case errors.Is(err, backend.ErrInvalidState):
			// Still on its way up by itself (e.g. a VM that is starting);
			// drift events will say when it is up.
		default:
			inst.state, inst.endedAt = stateTerminated, s.cfg.now()
			inst.stateReason = &xmlproto.StateReason{Code: "Server.InternalError", Message: "Server.InternalError: Internal error on launch"}
		}
	})
}

// imageOf is the AMI the instances of r were launched from.
func imageOf(r *reservation) string {
	for _, in := range r.instances {
		if in.imageID != "" {
			return in.imageID
		}
	}
	return ""
}

// withKey returns a copy of md with key set to v.
func withKey(md map[string]string, key, v string) map[string]string {
	out := make(map[string]string, len(md))
	for k, x := range md {
		out[k] = x
	}
	out[key] = v
	return out
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// reconcile brings an instance read from the state store together with its
// machine as the backend lists it now. A transition the store recorded but
// the earlier process did not finish (a stop, start or terminate that was
// acknowledged) is carried out now; a change made behind the emulator's
// back is recorded as drift would record it. Callers hold s.mu (write).
func (s *Server) reconcile(inst *instance, m backend.Machine) {
	inst.stored = false
	if m.PrivateIP != "" {
		inst.privateIP = m.PrivateIP
	}
	// finish re-runs a transition, keeping the reason recorded when it was
	// accepted.
	finish := func(run func(*instance)) {
		reason, sr := inst.reason, inst.stateReason
		run(inst)
		inst.reason, inst.stateReason = reason, sr
	}
	gone := m.State == backend.StateTerminated
	switch inst.state {
	case stateTerminated:
		if !gone {
			s.background(inst, "terminate", func(ctx context.Context) error {
				return s.untilAvailable(ctx, func() error { return s.b.Terminate(ctx, inst.id) })
			}, func(error) {})
		}
	case stateShuttingDown:
		finish(s.terminate)
	case stateStopping:
		switch {
		case gone:
			s.machineLost(inst)
		case m.State == backend.StateStopped:
			inst.state = stateStopped
		default:
			finish(s.stop)
		}
	case statePending, stateRunning:
		switch {
		case gone:
			s.machineLost(inst)
		case m.State == backend.StatePending:
			inst.state = statePending
			s.resumeLaunch(inst)
		case m.State == backend.StateRunning:
			inst.state = stateRunning
		case inst.state == statePending: // a start was accepted
			finish(s.start)
		default:
			inst.state = stateStopped
			inst.reason = fmt.Sprintf("Server initiated (%s GMT)", s.cfg.now().UTC().Format("2006-01-02 15:04:05"))
			inst.stateReason = &xmlproto.StateReason{Code: "Server.InternalError", Message: "Server.InternalError: the machine stopped outside the emulator"}
		}
	case stateStopped:
		switch {
		case gone:
			s.machineLost(inst)
		case m.State == backend.StateRunning:
			inst.state, inst.reason, inst.stateReason = stateRunning, "", nil
		}
	}
	s.syncAccess(inst)
	s.touch(inst)
}

// machineLost terminates an instance the store knows whose machine the
// backend no longer has. Callers hold s.mu (write).
func (s *Server) machineLost(inst *instance) {
	inst.stored = false
	if inst.state == stateTerminated {
		return
	}
	s.log.Warn("the machine of a stored instance is gone; terminating it", "instance", inst.id, "state", inst.state)
	inst.state, inst.endedAt = stateTerminated, s.cfg.now()
	inst.stateReason = &xmlproto.StateReason{Code: "Server.InternalError",
		Message: "Server.InternalError: the instance's machine was not found when the emulator restarted"}
	s.volumesEnded(inst)
	s.fleetInstanceEnded(inst)
	s.syncAccess(inst)
	s.touch(inst)
}

// resyncEvery is how often resync lists the backend's machines.
var resyncEvery = 10 * time.Second

// resync adopts, every resyncEvery until Close, what drift events do not
// show: a machine that appears with no instance (the create of a launch
// whose process was killed before it answered, reaching the engine after
// this Server adopted what the engine had) is adopted from its labels, and
// a machine whose instance is terminated is removed.
func (s *Server) resync() {
	defer s.wg.Done()
	t := time.NewTicker(resyncEvery)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.adoptTimeout)
		if err := s.adopt(ctx); err != nil && s.ctx.Err() == nil {
			s.log.Debug("listing machines to resync failed", "err", err)
		}
		cancel()
	}
}
