package ec2emu

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// background runs op on inst's machine in a goroutine the Server owns: calls
// on one machine run one after the other in the order they were accepted
// (each waits for the one before it; a mutex would let a terminate overtake
// the launch it follows and leave a machine behind), calls on different
// machines run at once, and s.mu is taken only to record the outcome with
// done. Callers hold s.mu (write).
func (s *Server) background(inst *instance, what string, op func(ctx context.Context) error, done func(err error)) {
	if s.closed {
		// Close is waiting for background work: starting more would race
		// it. The instance keeps the state the request set; with a state
		// directory the next start carries it out (reconcile).
		s.touch(inst)
		return
	}
	inst.busy++
	s.touch(inst)
	prev, mine := inst.lastOp, make(chan struct{})
	inst.lastOp = mine
	s.syncAccess(inst)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(mine)
		if prev != nil {
			<-prev // always closed: every op is bounded by its context
		}
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.backendTimeout)
		err := op(ctx)
		cancel()
		if err != nil {
			s.log.Warn("backend call failed", "op", what, "instance", inst.id, "err", err)
		}
		s.mu.Lock()
		inst.busy--
		done(err)
		if inst.state == stateTerminated {
			s.volumesEnded(inst)
			s.fleetInstanceEnded(inst)
		}
		s.syncAccess(inst)
		s.touch(inst)
		s.mu.Unlock()
	}()
}

// untilAvailable calls op until it returns anything but ErrUnavailable, with
// backoff, or until ctx ends.
func (s *Server) untilAvailable(ctx context.Context, op func() error) error {
	wait := 100 * time.Millisecond
	for {
		err := op()
		if !errors.Is(err, backend.ErrUnavailable) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// userReason is the stateTransitionReason AWS gives a user-initiated stop
// or termination.
func (s *Server) userReason() string {
	return fmt.Sprintf("User initiated (%s GMT)", s.cfg.now().UTC().Format("2006-01-02 15:04:05"))
}

var userShutdown = &xmlproto.StateReason{Code: "Client.UserInitiatedShutdown", Message: "Client.UserInitiatedShutdown: User initiated shutdown"}

// launch starts inst's machine. Callers hold s.mu (write).
func (s *Server) launch(inst *instance, spec backend.LaunchSpec) {
	var m backend.Machine
	s.launching++
	inst.spec = &spec
	vols, made := s.volumeSpecs(inst), map[string]bool{}
	s.background(inst, "launch", func(ctx context.Context) (err error) {
		for _, v := range vols {
			// The data of the instance's mapped volumes first, so the
			// machine finds them at its first boot.
			if err := s.untilAvailable(ctx, func() error { return createVolumeData(ctx, s.volumer(), v) }); err != nil {
				return fmt.Errorf("creating volume %s: %w", v.ID, err)
			}
			made[v.ID] = true
		}
		m, err = s.b.Launch(ctx, spec)
		if errors.Is(err, backend.ErrUnavailable) {
			// The backend could not clean up after itself with its engine
			// gone: remove whatever the launch made once it is back, or the
			// instance would be terminated with its machine still there.
			if terr := s.untilAvailable(ctx, func() error { return s.b.Terminate(ctx, inst.id) }); terr != nil {
				s.log.Warn("cleaning up after a failed launch failed", "instance", inst.id, "err", terr)
			}
		}
		return err
	}, func(err error) {
		s.launching--
		inst.spec = nil
		s.launched(inst, err, made)
		if errors.Is(err, backend.ErrCapacity) {
			// Capacity ran out between the check and the launch.
			inst.state, inst.endedAt = stateTerminated, s.cfg.now()
			inst.stateReason = &xmlproto.StateReason{Code: "Server.InsufficientInstanceCapacity", Message: "Server.InsufficientInstanceCapacity: Insufficient capacity to satisfy instance request"}
			return
		}
		if err != nil {
			// The cause (e.g. an image without /bin/sh) is the user's to
			// fix, so it goes where they look, not only into the log.
			inst.state, inst.endedAt, inst.launchErr = stateTerminated, s.cfg.now(), err.Error()
			inst.stateReason = &xmlproto.StateReason{Code: "Server.InternalError", Message: "Server.InternalError: Internal error on launch: " + err.Error()}
			return
		}
		if inst.privateIP != "" && m.PrivateIP != inst.privateIP {
			// The backend said it takes our addresses: a different one is
			// its bug, and the real address is what we report.
			s.log.Error("the backend gave the machine another address than the one allocated", "instance", inst.id, "allocated", inst.privateIP, "got", m.PrivateIP)
		}
		inst.privateIP = m.PrivateIP
		if inst.state == statePending {
			inst.state = stateRunning
		}
	})
}

// terminate moves inst to shutting-down and releases its machine. Callers
// hold s.mu (write).
func (s *Server) terminate(inst *instance) {
	inst.state, inst.reason, inst.stateReason = stateShuttingDown, s.userReason(), userShutdown
	s.detachOnTermination(inst)
	for _, v := range inst.vols {
		v.att.state = "detaching"
		s.touchVolume(inst.tenant, v)
	}
	s.background(inst, "terminate", func(ctx context.Context) error {
		// A terminate was accepted: it must happen, so an engine that is
		// down is waited for (within the backend timeout), not given up on.
		return s.untilAvailable(ctx, func() error { return s.b.Terminate(ctx, inst.id) })
	}, func(err error) {
		if err != nil && !errors.Is(err, backend.ErrNotFound) {
			// The machine may still exist; say so rather than pretend.
			inst.stateReason = &xmlproto.StateReason{Code: "Server.InternalError", Message: "Server.InternalError: " + err.Error()}
		}
		inst.state, inst.endedAt = stateTerminated, s.cfg.now()
	})
}

func (s *Server) stop(inst *instance) {
	prev := inst.state
	inst.state, inst.reason, inst.stateReason = stateStopping, s.userReason(), userShutdown
	s.background(inst, "stop", func(ctx context.Context) error {
		return s.b.Stop(ctx, inst.id)
	}, func(err error) {
		if inst.state != stateStopping {
			return // terminated meanwhile
		}
		switch {
		case err == nil:
			inst.state = stateStopped
		case errors.Is(err, backend.ErrNotFound):
			inst.state, inst.endedAt = stateTerminated, s.cfg.now()
		default:
			inst.state, inst.reason, inst.stateReason = prev, "", nil
		}
	})
}

func (s *Server) start(inst *instance) {
	inst.state, inst.reason, inst.stateReason = statePending, "", nil
	s.background(inst, "start", func(ctx context.Context) error {
		return s.b.Start(ctx, inst.id)
	}, func(err error) {
		if inst.state != statePending {
			return
		}
		switch {
		case err == nil:
			inst.state = stateRunning
		case errors.Is(err, backend.ErrNotFound):
			inst.state, inst.endedAt = stateTerminated, s.cfg.now()
		default:
			inst.state, inst.reason, inst.stateReason = stateStopped, s.userReason(), userShutdown
		}
	})
}

func (s *Server) reboot(inst *instance) {
	s.background(inst, "reboot", func(ctx context.Context) error {
		return s.b.Reboot(ctx, inst.id)
	}, func(err error) {
		if errors.Is(err, backend.ErrNotFound) && inst.state == stateRunning {
			inst.state, inst.endedAt = stateTerminated, s.cfg.now()
		}
	})
}

// drift records a change the backend saw that the Server did not cause.
func (s *Server) drift(ev backend.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst := s.instances[ev.ID]
	if inst == nil || inst.busy > 0 || inst.state == stateTerminated {
		return
	}
	switch ev.State {
	case backend.StateRunning:
		inst.state, inst.reason, inst.stateReason = stateRunning, "", nil
	case backend.StateStopped, backend.StateStopping:
		if inst.state != stateStopped && inst.attrs.ShutdownBehavior == "terminate" {
			// The machine shut itself down and its instance-initiated
			// shutdown behaviour says terminate, so EC2 terminates it.
			s.terminate(inst)
			inst.stateReason = &xmlproto.StateReason{Code: "Client.InstanceInitiatedShutdown", Message: "Client.InstanceInitiatedShutdown: Instance initiated shutdown"}
			break
		}
		if inst.state != stateStopped {
			inst.state = stateStopped
			inst.reason = fmt.Sprintf("Server initiated (%s GMT)", s.cfg.now().UTC().Format("2006-01-02 15:04:05"))
			inst.stateReason = &xmlproto.StateReason{Code: "Server.InternalError", Message: "Server.InternalError: the machine stopped outside the emulator"}
		}
	case backend.StateTerminated:
		inst.state, inst.endedAt = stateTerminated, s.cfg.now()
		inst.stateReason = &xmlproto.StateReason{Code: "Server.InternalError", Message: "Server.InternalError: the machine was removed outside the emulator"}
		s.volumesEnded(inst)
		s.fleetInstanceEnded(inst)
	}
	s.syncAccess(inst)
	s.touch(inst)
	s.log.Info("drift", "instance", ev.ID, "state", inst.state)
}
