package xmlproto

// NICAssociation is the `association` of an instance's network interface, or
// of one of its private addresses: the public address mapped onto it.
type NICAssociation struct {
	PublicIP      string `xml:"publicIp"`
	PublicDNSName string `xml:"publicDnsName"`
	IPOwnerID     string `xml:"ipOwnerId"`
}

// IamInstanceProfile is an instance's `iamInstanceProfile`.
type IamInstanceProfile struct {
	Arn string `xml:"arn"`
	ID  string `xml:"id"`
}
