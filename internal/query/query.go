// Package query is the engine of EC2's Describe actions: filters (Filter.N
// with EC2's wildcards, tag:KEY, tag-key and tag-value, all ANDed, values
// ORed) compiled once per request against a table of the names a resource
// has, and page tokens. It knows no resource; each Describe brings its own
// table (Fields).
package query

import (
	"encoding/base64"
	"fmt"
	"strconv"
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

// Set is a compiled list of Filter.N: all must match (AND), each by
// any of its values (OR).
type Set[T any] []compiledFilter[T]

type compiledFilter[T any] struct {
	values  []pattern
	extract func(T) []string
	tagKey  string // for tag:KEY
	tagsOf  func(T) []xmlproto.Tag
	kind    int // 0 plain, 1 tag:KEY, 2 tag-key, 3 tag-value
}

// Fields maps filter names to the values an item has for them.
type Fields[T any] struct {
	ByName map[string]func(T) []string
	Tags   func(T) []xmlproto.Tag // nil: the resource has no tag filters
}

// Compile compiles a request's filters against f, the names this
// emulator has data for. A name the EC2 model documents for action but f
// lacks matches nothing, as on AWS for a resource without that property
// (e.g. platform=windows on a Linux instance); only names AWS does not
// document are refused.
func Compile[T any](action string, fs []xmlproto.Filter, f Fields[T]) (Set[T], error) {
	out := make(Set[T], 0, len(fs))
	for _, in := range fs {
		if in.Name == "" {
			return nil, invalid("The filter 'null' is invalid")
		}
		cf := compiledFilter[T]{tagsOf: f.Tags}
		switch {
		case f.Tags != nil && strings.HasPrefix(in.Name, "tag:"):
			cf.kind, cf.tagKey = 1, strings.TrimPrefix(in.Name, "tag:")
		case f.Tags != nil && in.Name == "tag-key":
			cf.kind = 2
		case f.Tags != nil && in.Name == "tag-value":
			cf.kind = 3
		default:
			ex, ok := f.ByName[in.Name]
			if !ok {
				if allowed, _ := ec2model.FilterAllowed(action, in.Name); !allowed {
					return nil, invalid("The filter '%s' is invalid", in.Name)
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

// Match reports whether item passes every filter.
func (fs Set[T]) Match(item T) bool {
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

// Error is a filter or paging parameter EC2 refuses: always
// InvalidParameterValue, with AWS's message.
type Error struct{ Message string }

func (e *Error) Error() string { return "InvalidParameterValue: " + e.Message }

func invalid(format string, args ...any) *Error { return &Error{Message: fmt.Sprintf(format, args...)} }

// CheckMaxResults applies EC2's paging rules: 5..1000, and not together with
// explicit IDs.
func CheckMaxResults(max *int, ids int, idsParam string) error {
	if max == nil {
		return nil
	}
	if ids > 0 {
		return &CombinationError{Message: fmt.Sprintf("The parameter %s cannot be used with the parameter maxResults", idsParam)}
	}
	if *max < 5 {
		return invalid("Value ( %d ) for parameter maxResults is invalid. Expecting a value greater than 5.", *max)
	}
	if *max > 1000 {
		return invalid("Value ( %d ) for parameter maxResults is invalid. Expecting a value less than 1000.", *max)
	}
	return nil
}

// CombinationError is InvalidParameterCombination: MaxResults together with
// explicit IDs.
type CombinationError struct{ Message string }

func (e *CombinationError) Error() string { return "InvalidParameterCombination: " + e.Message }

// Token is the opaque NextToken for position n: a Describe's offset into
// its matching items, or the stable sequence number of the last item
// returned, so pages stay put while items come and go.
func Token(n uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + strconv.FormatUint(n, 10)))
}

// ParseToken reads a NextToken written by Token.
func ParseToken(tok string) (uint64, error) {
	if tok == "" {
		return 0, nil // no token: the first page
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil && strings.HasPrefix(string(b), "v1:") {
		if n, err := strconv.ParseUint(string(b[3:]), 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, invalid("The token '%s' is invalid.", tok)
}
