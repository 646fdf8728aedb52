package xmlproto_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/internal/xmlitem"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// encodeAhead is describeInstances with every instance written ahead.
func encodeAhead(depth int) *xmlitem.DescribeInstancesResponse {
	src := describeInstances()
	out := &xmlitem.DescribeInstancesResponse{NextToken: src.NextToken}
	for _, r := range src.Reservations {
		er := xmlitem.Reservation{ReservationID: r.ReservationID, OwnerID: r.OwnerID}
		for _, g := range r.Groups {
			er.Groups = append(er.Groups, xmlitem.Group(g))
		}
		for i := range r.Instances {
			if i%2 == 0 {
				er.Instances = append(er.Instances, xmlitem.EncodeItem(&r.Instances[i], depth))
			} else {
				er.Instances = append(er.Instances, xmlitem.EncodeItem(r.Instances[i], depth)) // by value too
			}
		}
		out.Reservations = append(out.Reservations, er)
	}
	return out
}

// Instances written ahead by EncodeItem give the very bytes Encode writes
// for the instances themselves.
func TestEncodedItemsMatch(t *testing.T) {
	var want, got bytes.Buffer
	xmlproto.Encode(&want, "DescribeInstances", requestID, describeInstances())
	xmlproto.Encode(&got, "DescribeInstances", requestID, encodeAhead(xmlitem.DescribeInstancesItemDepth))
	if diff := cmp.Diff(want.String(), got.String()); diff != "" {
		t.Errorf("encoded ahead (-direct +ahead):\n%s", diff)
	}
	a := xmlitem.EncodeItem(runningInstance(), 4)
	if !a.Equal(xmlitem.EncodeItem(runningInstance(), 4)) || a.Equal(xmlitem.EncodeItem(runningInstance(), 3)) ||
		a.Equal(xmlitem.EncodeItem(stoppedInstance(), 4)) {
		t.Error("Equal does not tell items by bytes and depth")
	}
	if a.Len() == 0 || a.Len() >= want.Len() {
		t.Errorf("Len = %d for one of the instances of a %d-byte reply", a.Len(), want.Len())
	}
}

// An item written ahead at one depth and placed at another would break the
// document's indentation; the encoder refuses it.
func TestEncodedWrongDepthPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		body any
	}{
		{"wrong depth", encodeAhead(xmlitem.DescribeInstancesItemDepth + 1)},
		{"zero value", &xmlitem.DescribeInstancesResponse{Reservations: []xmlitem.Reservation{{
			ReservationID: "r-1", Instances: []xmlitem.Encoded{{}}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, "written at depth 4") {
					t.Errorf("recovered %v, want a panic naming the depth", r)
				}
			}()
			var buf bytes.Buffer
			xmlproto.Encode(&buf, "DescribeInstances", requestID, tc.body)
		})
	}
}
