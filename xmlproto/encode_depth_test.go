package xmlproto_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/xmlproto"
)

type deepNode struct {
	V    string    `xml:"v,omitempty"`
	Next *deepNode `xml:"next"`
	Tags []string  `xml:"tags"`
}

// The encoder precomputes indented tags for the usual depths; deeper
// elements must come out indented the same way.
func TestEncodeDeepNesting(t *testing.T) {
	const levels = 20
	root := &deepNode{}
	n := root
	for i := range levels {
		n.Next = &deepNode{}
		n = n.Next
		if i == levels-1 {
			n.V = "leaf"
			n.Tags = []string{"a", ""}
		}
	}
	var buf bytes.Buffer
	xmlproto.Encode(&buf, "Deep", "r-1", root)

	want := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeepResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n" +
		"    <requestId>r-1</requestId>\n" + expectDeep(root, 1) + "</DeepResponse>\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("Encode (-want +got):\n%s", diff)
	}
}

// expectDeep spells out, field by field, how n is written at depth d.
func expectDeep(n *deepNode, d int) string {
	in := strings.Repeat("    ", d)
	s := ""
	if n.V != "" {
		s += in + "<v>" + n.V + "</v>\n"
	}
	if n.Next != nil { // a nil pointer is omitted
		s += in + "<next>\n" + expectDeep(n.Next, d+1) + in + "</next>\n"
	}
	if len(n.Tags) == 0 {
		return s + in + "<tags/>\n"
	}
	s += in + "<tags>\n"
	for _, v := range n.Tags {
		if v == "" {
			s += in + "    <item/>\n"
		} else {
			s += in + "    <item>" + v + "</item>\n"
		}
	}
	return s + in + "</tags>\n"
}
