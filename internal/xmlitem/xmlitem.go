// Package xmlitem lets the Server keep DescribeInstances items as
// xmlproto wrote them and copy the bytes while an instance is unchanged,
// instead of building and encoding it again on every poll (most of the
// call's cost). It is internal so that xmlproto's public API shows only
// EC2's shapes, not this cache's.
//
// xmlproto writes Encoded items as they are, at the depth they were encoded
// for, and registers the item encoder when it is initialised.
package xmlitem

import (
	"bytes"
	"fmt"
)

// Encoded is a slice item written ahead by EncodeItem. Only a slice of
// Encoded may hold one, at the depth it was encoded for; anything else is a
// programming error and panics.
type Encoded struct {
	Depth int
	XML   []byte
}

// Len is the size of the encoded item in bytes.
func (e Encoded) Len() int { return len(e.XML) }

// String is the item's XML.
func (e Encoded) String() string { return string(e.XML) }

// Equal reports whether e and o hold the same bytes at the same depth.
func (e Encoded) Equal(o Encoded) bool { return e.Depth == o.Depth && bytes.Equal(e.XML, o.XML) }

// encoder is xmlproto's item encoder, registered by SetEncoder.
var encoder func(v any, depth int) Encoded

// SetEncoder is called once, by xmlproto's init; it cannot be a direct call
// because xmlproto imports this package for the Encoded type.
func SetEncoder(f func(v any, depth int) Encoded) { encoder = f }

// EncodeItem writes v (an xmlproto shape, e.g. *xmlproto.Instance) as the
// `<item>` of a slice at depth, indented as xmlproto.Encode would write it
// there.
func EncodeItem(v any, depth int) Encoded {
	if encoder == nil {
		panic(fmt.Sprintf("xmlitem: EncodeItem(%T) before xmlproto is initialised", v))
	}
	return encoder(v, depth)
}

// DescribeInstancesItemDepth is the depth at which DescribeInstances writes
// each instance (reservationSet/item/instancesSet/item).
const DescribeInstancesItemDepth = 4

// DescribeInstancesResponse is xmlproto.DescribeInstancesResponse with
// instances written ahead.
type DescribeInstancesResponse struct {
	Reservations []Reservation `xml:"reservationSet"`
	NextToken    string        `xml:"nextToken,omitempty"`
}

// Reservation is xmlproto.Reservation with instances written ahead.
type Reservation struct {
	ReservationID string    `xml:"reservationId"`
	OwnerID       string    `xml:"ownerId"`
	Groups        []Group   `xml:"groupSet"`
	Instances     []Encoded `xml:"instancesSet"`
}

// Group is xmlproto.GroupIdentifier, an item of a reservation's groupSet.
type Group struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}
