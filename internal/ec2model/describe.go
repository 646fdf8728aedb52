package ec2model

import (
	"sort"
	"strings"
)

// Filters returns the filter names the model documents for the operation,
// sorted, as documented: a pattern such as "tag:<key>" stands for every
// name with the prefix "tag:". hasFilters is false when the operation has
// no Filters (or Filter) member. Some operations have one but document no
// names (e.g. DescribeIpams); Filters then returns an empty list with
// hasFilters true, and FilterAllowed cannot reject anything for them.
func Filters(action string) (names []string, hasFilters bool) {
	o, ok := lookup(action)
	if !ok || !o.hasFilters {
		return nil, false
	}
	names = make([]string, 0, o.fhi-o.flo)
	for _, f := range filters[o.flo:o.fhi] {
		names = append(names, s(f))
	}
	return names, true
}

// FilterAllowed reports whether name is a filter the model documents for
// the operation, either by name or through a pattern such as tag:<key>
// (which needs a non-empty key after the prefix). documented is false when
// the model lists no filter names for the operation (no Filters member, or
// its documentation names none): the caller cannot then tell a valid name
// from a typo, and allowed is false too.
func FilterAllowed(action, name string) (allowed, documented bool) {
	o, ok := lookup(action)
	if !ok || o.fhi == o.flo {
		return false, false
	}
	fs := filters[o.flo:o.fhi]
	i := sort.Search(len(fs), func(i int) bool { return s(fs[i]) >= name })
	if i < len(fs) && s(fs[i]) == name {
		return true, true
	}
	for _, f := range fs {
		p := s(f)
		if !strings.HasSuffix(p, ">") {
			continue
		}
		lt := strings.IndexByte(p, '<')
		if lt > 0 && len(name) > lt && name[:lt] == p[:lt] {
			return true, true
		}
	}
	return false, true
}

// Param describes one request key of an operation.
type Param struct {
	// Key is the wire key with N in place of each list index, e.g.
	// "Filter.N.Value.N" or "BlockDeviceMapping.N.Ebs.VolumeSize".
	Key string
	// Type is string, enum, integer, long, float, boolean, timestamp or blob.
	Type string
	// Required reports that the key must be present whenever the structure
	// holding it is (for a top-level key: always).
	Required bool
	// Enum lists the values of an enum, sorted.
	Enum []string
}

// Params returns every leaf key the operation accepts, sorted by Key; nil
// when the model has no such operation. Required is the leaf's own flag:
// the leaves of a required list or structure (CreateTags' Tag.N.Key) are
// not marked unless they are required within it.
func Params(action string) []Param {
	o, ok := lookup(action)
	if !ok {
		return nil
	}
	var out []Param
	var walk func(sh *shape, prefix string, req bool)
	walk = func(sh *shape, prefix string, req bool) {
		switch sh.kind {
		case kStruct:
			for i := sh.lo; i < sh.hi; i++ {
				m := &members[i]
				key := s(m.name)
				if prefix != "" {
					key = prefix + "." + key
				}
				walk(&shapes[m.shape], key, m.req)
			}
		case kList:
			walk(&shapes[sh.lo], prefix+".N", req)
		default:
			p := Param{Key: prefix, Type: sh.kind.String(), Required: req}
			if sh.kind == kEnum {
				for _, e := range enums[sh.lo:sh.hi] {
					p.Enum = append(p.Enum, s(e))
				}
			}
			out = append(out, p)
		}
	}
	walk(&shapes[o.input], "", false)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
