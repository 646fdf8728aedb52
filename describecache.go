package ec2emu

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/ec2emu/ec2emu/internal/xmlitem"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// DescribeInstances is what every waiter polls, and building and encoding
// its instances is nearly all of its cost (about 5.5 KiB of XML each). An
// instance is kept as it was last written, with the key of everything its
// rendering reads that can change after launch, and copied while the key
// still matches.
//
// The key compares fields by value, and slices by identity: the state's
// fields, tags, groups and volumes are replaced when they change, never
// changed in place (setTags, ModifyInstanceAttribute). In tests every
// reuse is checked against a fresh encoding, so a change made in place, or
// a field the key misses, fails the test that makes it.

// described is an instance's encoded DescribeInstances item and its key.
type described struct {
	key viewKey
	xml xmlitem.Encoded
}

// viewKey is what s.view reads of an instance that can change after launch.
type viewKey struct {
	state, reason           string
	stateReason             *xmlproto.StateReason
	privateIP, instanceType string
	tags, volumes, groups   sliceID
	nic                     *nic
	flags                   attrFlags
	publicIP                string
	enis                    int      // inst.enis: interfaces attached or changed
	vols                    int      // inst.volGen: volumes attached, detached or changed
	eip                     *address // ipOwnerId differs for an Elastic IP
}

// sliceID is a slice's identity: its array and length.
type sliceID struct {
	array unsafe.Pointer
	n     int
}

func idOf[T any](s []T) sliceID { return sliceID{unsafe.Pointer(unsafe.SliceData(s)), len(s)} }

func keyOf(inst *instance) viewKey {
	k := viewKey{
		state: inst.state, reason: inst.reason, stateReason: inst.stateReason,
		privateIP: inst.privateIP, instanceType: inst.instanceType,
		tags: idOf(inst.tags), volumes: idOf(inst.attrs.Volumes),
		nic: inst.nic, flags: inst.attrs.attrFlags, publicIP: inst.access.publicIP, enis: inst.enis, vols: inst.volGen,
		eip: inst.access.eip,
	}
	if inst.nic != nil {
		k.groups = idOf(inst.nic.groups)
	}
	return k
}

// checkDescribed makes every reuse of a kept item compare it with a fresh
// encoding, and panic when they differ; it is on in tests.
var checkDescribed = testing.Testing()

// describedXML is inst as DescribeInstances writes it: kept bytes while
// inst is unchanged, else a fresh encoding, kept if the cache has room.
// Callers hold s.mu (read is enough: concurrent readers may both encode,
// and one of them keeps its result).
func (s *Server) describedXML(inst *instance) xmlitem.Encoded {
	key := keyOf(inst)
	old := inst.described.Load()
	if old != nil && old.key == key {
		if checkDescribed {
			s.checkKept(inst, old)
		}
		return old.xml
	}
	v := s.view(inst)
	e := xmlitem.EncodeItem(&v, xmlitem.DescribeInstancesItemDepth)
	if s.cfg.describeCache > 0 {
		grow := int64(e.Len())
		if old != nil {
			grow -= int64(old.xml.Len())
		}
		if s.reserveDescribed(grow, old != nil) && !inst.described.CompareAndSwap(old, &described{key: key, xml: e}) {
			s.described.Add(-grow) // another describe kept its own encoding first
		}
	}
	return e
}

// reserveDescribed takes room for grow more bytes of kept items, if it fits
// under the bound. A replacement always fits: it may grow an item by a
// little (a tag added), while the bound is on items newly kept.
func (s *Server) reserveDescribed(grow int64, replacing bool) bool {
	for {
		cur := s.described.Load()
		if !replacing && cur+grow > s.cfg.describeCache {
			return false
		}
		if s.described.CompareAndSwap(cur, cur+grow) {
			return true
		}
	}
}

// forgetDescribed frees inst's kept item when inst is forgotten. Callers
// hold s.mu.
func (s *Server) forgetDescribed(inst *instance) {
	if old := inst.described.Swap(nil); old != nil {
		s.described.Add(-int64(old.xml.Len()))
	}
}

func (s *Server) checkKept(inst *instance, kept *described) {
	v := s.view(inst)
	fresh := xmlitem.EncodeItem(&v, xmlitem.DescribeInstancesItemDepth)
	if kept.xml.Equal(fresh) {
		return
	}
	panic(fmt.Sprintf("ec2emu: %s changed without its DescribeInstances key changing (a change made in place?)\nkept:\n%s\nfresh:\n%s",
		inst.id, kept.xml, fresh))
}
