package ec2emu

import (
	"strings"

	"github.com/ec2emu/ec2emu/internal/ec2model"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// pattern is one filter value: `*` matches any run of characters, `?` any
// one, and `\*`, `\?`, `\\` stand for themselves (EC2's filter syntax).
type pattern struct {
	literal string // set when the value has no wildcard: plain comparison
	glob    []rune // otherwise the unescaped pattern; wild marks which runes are wildcards
	wild    []bool
}

func compilePattern(v string) pattern {
	if !strings.ContainsAny(v, `*?\`) {
		return pattern{literal: v}
	}
	var p pattern
	rs := []rune(v)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == '\\' && i+1 < len(rs) && (rs[i+1] == '*' || rs[i+1] == '?' || rs[i+1] == '\\') {
			p.glob, p.wild = append(p.glob, rs[i+1]), append(p.wild, false)
			i++
			continue
		}
		p.glob, p.wild = append(p.glob, r), append(p.wild, r == '*' || r == '?')
	}
	return p
}

func (p pattern) match(s string) bool {
	if p.glob == nil {
		return p.literal == s
	}
	// Iterative glob with single-star backtracking: linear in practice and
	// never exponential, whatever a client sends.
	str := []rune(s)
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(str) {
		switch {
		case pi < len(p.glob) && p.wild[pi] && p.glob[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p.glob) && ((p.wild[pi] && p.glob[pi] == '?') || (!p.wild[pi] && p.glob[pi] == str[si])):
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p.glob) && p.wild[pi] && p.glob[pi] == '*' {
		pi++
	}
	return pi == len(p.glob)
}

// filterSet is a compiled list of Filter.N: all must match (AND), each by
// any of its values (OR).
type filterSet[T any] []compiledFilter[T]

type compiledFilter[T any] struct {
	values  []pattern
	extract func(T) []string
	tagKey  string // for tag:KEY
	tagsOf  func(T) []xmlproto.Tag
	kind    int // 0 plain, 1 tag:KEY, 2 tag-key, 3 tag-value
}

// fields maps filter names to the values an item has for them.
type fields[T any] struct {
	byName map[string]func(T) []string
	tags   func(T) []xmlproto.Tag // nil: the resource has no tag filters
}

// compileFilters compiles a request's filters against f, the names this
// emulator has data for. A name the EC2 model documents for action but f
// lacks matches nothing, as on AWS for a resource without that property
// (e.g. platform=windows on a Linux instance); only names AWS does not
// document are refused.
func compileFilters[T any](action string, fs []xmlproto.Filter, f fields[T]) (filterSet[T], error) {
	out := make(filterSet[T], 0, len(fs))
	for _, in := range fs {
		if in.Name == "" {
			return nil, apiErr(ErrInvalidParameterValue, "The filter 'null' is invalid")
		}
		cf := compiledFilter[T]{tagsOf: f.tags}
		switch {
		case f.tags != nil && strings.HasPrefix(in.Name, "tag:"):
			cf.kind, cf.tagKey = 1, strings.TrimPrefix(in.Name, "tag:")
		case f.tags != nil && in.Name == "tag-key":
			cf.kind = 2
		case f.tags != nil && in.Name == "tag-value":
			cf.kind = 3
		default:
			ex, ok := f.byName[in.Name]
			if !ok {
				if allowed, _ := ec2model.FilterAllowed(action, in.Name); !allowed {
					return nil, apiErr(ErrInvalidParameterValue, "The filter '%s' is invalid", in.Name)
				}
				ex = noValues[T]
			}
			cf.extract = ex
		}
		for _, v := range in.Values {
			cf.values = append(cf.values, compilePattern(v))
		}
		out = append(out, cf)
	}
	return out, nil
}

func (fs filterSet[T]) match(item T) bool {
	for i := range fs {
		if !fs[i].match(item) {
			return false
		}
	}
	return true
}

func (cf *compiledFilter[T]) match(item T) bool {
	if len(cf.values) == 0 {
		return false // a filter with no values matches nothing, as on AWS
	}
	var have []string
	switch cf.kind {
	case 0:
		have = cf.extract(item)
	case 1:
		for _, t := range cf.tagsOf(item) {
			if t.Key == cf.tagKey {
				have = append(have, t.Value)
			}
		}
	case 2:
		for _, t := range cf.tagsOf(item) {
			have = append(have, t.Key)
		}
	case 3:
		for _, t := range cf.tagsOf(item) {
			have = append(have, t.Value)
		}
	}
	for _, h := range have {
		for _, p := range cf.values {
			if p.match(h) {
				return true
			}
		}
	}
	return false
}

// noValues is the data of a documented filter the emulator has nothing for.
func noValues[T any](T) []string { return nil }

func one(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
