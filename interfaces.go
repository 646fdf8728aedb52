package ec2emu

import (
	"time"

	"github.com/ec2emu/ec2emu/xmlproto"
)

// eni is a network interface made by CreateNetworkInterface. An instance's
// primary interface is its nic (network.go), not one of these.
type eni struct {
	id, owner, vpcID, subnetID, az string
	privateIP, mac, description    string
	groups                         []xmlproto.GroupIdentifier
	noSourceDestCheck              bool
	attach                         *eniAttachment // nil while available
	tags                           []xmlproto.Tag
	created                        time.Time
}

// eniAttachment ties an interface to an instance at a device index.
type eniAttachment struct {
	id, instanceID      string
	deviceIndex         int
	deleteOnTermination bool
	at                  time.Time
}

// eni returns the interface id, or nil.
func (n *network) eni(id string) *eni {
	for _, e := range n.enis {
		if e.id == id {
			return e
		}
	}
	return nil
}
