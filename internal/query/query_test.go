package query_test

import (
	"errors"
	"testing"

	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
	"github.com/google/go-cmp/cmp"
)

type item struct {
	name string
	tags []xmlproto.Tag
}

var itemFields = query.Fields[*item]{
	ByName: map[string]func(*item) []string{"name": func(i *item) []string { return []string{i.name} }},
	Tags:   func(i *item) []xmlproto.Tag { return i.tags },
}

func TestMatch(t *testing.T) {
	web := &item{name: "web-1", tags: []xmlproto.Tag{{Key: "env", Value: "prod"}}}
	odd := &item{name: `a*b?c\d`}
	for _, tt := range []struct {
		name    string
		filters []xmlproto.Filter
		it      *item
		want    bool
	}{
		{"literal", []xmlproto.Filter{{Name: "name", Values: []string{"web-1"}}}, web, true},
		{"star", []xmlproto.Filter{{Name: "name", Values: []string{"web-*"}}}, web, true},
		{"question mark", []xmlproto.Filter{{Name: "name", Values: []string{"web-?"}}}, web, true},
		{"values are ORed", []xmlproto.Filter{{Name: "name", Values: []string{"db", "web*"}}}, web, true},
		{"filters are ANDed", []xmlproto.Filter{{Name: "name", Values: []string{"web*"}}, {Name: "tag:env", Values: []string{"dev"}}}, web, false},
		{"tag:KEY", []xmlproto.Filter{{Name: "tag:env", Values: []string{"prod"}}}, web, true},
		{"tag-key", []xmlproto.Filter{{Name: "tag-key", Values: []string{"env"}}}, web, true},
		{"tag-value", []xmlproto.Filter{{Name: "tag-value", Values: []string{"p*"}}}, web, true},
		{"no values match nothing", []xmlproto.Filter{{Name: "name"}}, web, false},
		{"escapes", []xmlproto.Filter{{Name: "name", Values: []string{`a\*b\?c\\d`}}}, odd, true},
		{"escaped star is literal", []xmlproto.Filter{{Name: "name", Values: []string{`a\*b`}}}, &item{name: "axb"}, false},
		{"documented, no data: matches nothing", []xmlproto.Filter{{Name: "platform", Values: []string{"*"}}}, web, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := query.Compile("DescribeInstances", tt.filters, itemFields)
			if err != nil {
				t.Fatal(err)
			}
			if got := fs.Match(tt.it); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCompileRefuses(t *testing.T) {
	for _, tt := range []struct {
		filter xmlproto.Filter
		want   string
	}{
		{xmlproto.Filter{Name: "no-such-filter", Values: []string{"x"}}, "The filter 'no-such-filter' is invalid"},
		{xmlproto.Filter{Values: []string{"x"}}, "The filter 'null' is invalid"},
	} {
		_, err := query.Compile("DescribeInstances", []xmlproto.Filter{tt.filter}, itemFields)
		var qe *query.Error
		if !errors.As(err, &qe) || qe.Message != tt.want {
			t.Errorf("Compile(%+v) = %v, want %q", tt.filter, err, tt.want)
		}
	}
}

func TestTokens(t *testing.T) {
	for _, n := range []uint64{0, 5, 1 << 40} {
		got, err := query.ParseToken(query.Token(n))
		if err != nil || got != n {
			t.Errorf("ParseToken(Token(%d)) = %d, %v", n, got, err)
		}
	}
	if n, err := query.ParseToken(""); n != 0 || err != nil {
		t.Errorf("ParseToken(\"\") = %d, %v; want the first page", n, err)
	}
	for _, bad := range []string{"bogus", "djE6eA", "!!!"} {
		var qe *query.Error
		if _, err := query.ParseToken(bad); !errors.As(err, &qe) {
			t.Errorf("ParseToken(%q) = %v, want a query.Error", bad, err)
		}
	}
}

func TestCheckMaxResults(t *testing.T) {
	n := func(i int) *int { return &i }
	for _, tt := range []struct {
		max  *int
		ids  int
		want string
	}{
		{nil, 3, ""},
		{n(5), 0, ""},
		{n(1000), 0, ""},
		{n(4), 0, "InvalidParameterValue: Value ( 4 ) for parameter maxResults is invalid. Expecting a value greater than 5."},
		{n(1001), 0, "InvalidParameterValue: Value ( 1001 ) for parameter maxResults is invalid. Expecting a value less than 1000."},
		{n(10), 2, "InvalidParameterCombination: The parameter instancesSet cannot be used with the parameter maxResults"},
	} {
		got := ""
		if err := query.CheckMaxResults(tt.max, tt.ids, "instancesSet"); err != nil {
			got = err.Error()
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("CheckMaxResults(%v, %d) (-want +got)\n%s", tt.max, tt.ids, diff)
		}
	}
}
