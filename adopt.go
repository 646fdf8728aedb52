package ec2emu

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// adopt re-creates the EC2 records of machines the backend already runs
// (launched by an earlier process under this namespace) from the metadata
// stored with them: same IDs, reservations, tags, client tokens and states.
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
	for _, m := range ms {
		md := m.Metadata
		if s.instances[m.ID] != nil || md[mdAccount] == "" || md[mdRegion] == "" || md[mdReservation] == "" {
			continue // known already, or not launched by a Server
		}
		z := s.zone(scope{account: md[mdAccount], region: md[mdRegion]})
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
			launched = m.LaunchTime
		}
		var tags []xmlproto.Tag
		if md[mdTags] != "" {
			_ = json.Unmarshal([]byte(md[mdTags]), &tags) // unreadable tags are dropped, the machine is kept
		}
		s.seq++
		inst := &instance{
			id: m.ID, seq: s.seq, zone: z, res: r, imageID: m.ImageID, instanceType: md[mdType], keyName: md[mdKeyName],
			launchTime: launched.UTC(), launchIndex: atoi(md[mdLaunchIndex]), az: cmp.Or(md[mdAZ], zoneNames(md[mdRegion])[0]),
			privateIP: m.PrivateIP, architecture: md[mdArch], clientToken: md[mdClientToken], tags: tags,
		}
		inst.attrs, inst.userData = adoptedAttrs(md, inst.instanceType)
		switch m.State {
		case backend.StateRunning:
			inst.state = stateRunning
		case backend.StatePending:
			inst.state = statePending // it comes up by itself; drift will say when
		case backend.StateStopping, backend.StateStopped:
			inst.state, inst.reason, inst.stateReason = stateStopped, s.userReason(), userShutdown
		default:
			inst.state, inst.endedAt = stateTerminated, s.cfg.now()
		}
		inst.nic = adoptNIC(z, md, inst.az)
		r.instances = append(r.instances, inst)
		z.order = append(z.order, inst)
		s.instances[inst.id] = inst
		s.log.Info("adopted machine", "instance", inst.id, "state", inst.state, "reservation", r.id)
	}
	return nil
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
