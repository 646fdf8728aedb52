package xmlproto

import "time"

// CreateNetworkInterfaceRequest is CreateNetworkInterface's input.
type CreateNetworkInterfaceRequest struct {
	DryRun             bool     `ec2:"DryRun"`
	SubnetID           string   `ec2:"SubnetId"`
	Description        *string  `ec2:"Description"`
	PrivateIPAddress   string   `ec2:"PrivateIpAddress"`
	Groups             []string `ec2:"SecurityGroupId"`
	PrivateIPAddresses []struct {
		PrivateIPAddress string `ec2:"PrivateIpAddress"`
		Primary          *bool  `ec2:"Primary"`
	} `ec2:"PrivateIpAddresses"`
	SecondaryPrivateIPAddressCount *int `ec2:"SecondaryPrivateIpAddressCount"`
	Ipv6AddressCount               *int `ec2:"Ipv6AddressCount"`
	Ipv6Addresses                  []struct {
		Ipv6Address string `ec2:"Ipv6Address"`
	} `ec2:"Ipv6Addresses"`
	Ipv4PrefixCount   *int               `ec2:"Ipv4PrefixCount"`
	Ipv6PrefixCount   *int               `ec2:"Ipv6PrefixCount"`
	InterfaceType     string             `ec2:"InterfaceType"`
	TagSpecifications []TagSpecification `ec2:"TagSpecification"`
	ClientToken       string             `ec2:"ClientToken"`
}

// NetworkInterfaceAssociation is a network interface's `association`.
type NetworkInterfaceAssociation struct {
	AllocationID  string `xml:"allocationId,omitempty"`
	AssociationID string `xml:"associationId,omitempty"`
	IPOwnerID     string `xml:"ipOwnerId"`
	PublicDNSName string `xml:"publicDnsName"`
	PublicIP      string `xml:"publicIp"`
}

// NetworkInterfacePrivateIPAddress is an item of a network interface's
// `privateIpAddressesSet`.
type NetworkInterfacePrivateIPAddress struct {
	Association      *NetworkInterfaceAssociation `xml:"association"`
	Primary          bool                         `xml:"primary"`
	PrivateDNSName   string                       `xml:"privateDnsName"`
	PrivateIPAddress string                       `xml:"privateIpAddress"`
}

// ENIAttachment is a network interface's `attachment`.
type ENIAttachment struct {
	AttachTime          time.Time `xml:"attachTime"`
	AttachmentID        string    `xml:"attachmentId"`
	DeleteOnTermination bool      `xml:"deleteOnTermination"`
	DeviceIndex         int       `xml:"deviceIndex"`
	NetworkCardIndex    int       `xml:"networkCardIndex"`
	InstanceID          string    `xml:"instanceId"`
	InstanceOwnerID     string    `xml:"instanceOwnerId"`
	Status              string    `xml:"status"`
}

// NetworkInterface is an item of `networkInterfaceSet` and
// CreateNetworkInterface's `networkInterface`.
type NetworkInterface struct {
	Association        *NetworkInterfaceAssociation       `xml:"association"`
	Attachment         *ENIAttachment                     `xml:"attachment"`
	AvailabilityZone   string                             `xml:"availabilityZone"`
	AvailabilityZoneID string                             `xml:"availabilityZoneId"`
	Description        string                             `xml:"description"`
	Groups             []GroupIdentifier                  `xml:"groupSet"`
	InterfaceType      string                             `xml:"interfaceType"`
	Ipv6Addresses      []struct{}                         `xml:"ipv6AddressesSet"`
	MacAddress         string                             `xml:"macAddress"`
	NetworkInterfaceID string                             `xml:"networkInterfaceId"`
	OwnerID            string                             `xml:"ownerId"`
	PrivateDNSName     string                             `xml:"privateDnsName"`
	PrivateIPAddress   string                             `xml:"privateIpAddress"`
	PrivateIPAddresses []NetworkInterfacePrivateIPAddress `xml:"privateIpAddressesSet"`
	RequesterManaged   bool                               `xml:"requesterManaged"`
	SourceDestCheck    bool                               `xml:"sourceDestCheck"`
	Status             string                             `xml:"status"`
	SubnetID           string                             `xml:"subnetId"`
	Tags               []Tag                              `xml:"tagSet"`
	VpcID              string                             `xml:"vpcId"`
}

// CreateNetworkInterfaceResponse is CreateNetworkInterface's output.
type CreateNetworkInterfaceResponse struct {
	NetworkInterface NetworkInterface `xml:"networkInterface"`
	ClientToken      string           `xml:"clientToken,omitempty"`
}

// NetworkInterfaceIDRequest is DeleteNetworkInterface's input.
type NetworkInterfaceIDRequest struct {
	DryRun             bool   `ec2:"DryRun"`
	NetworkInterfaceID string `ec2:"NetworkInterfaceId"`
}

// DescribeNetworkInterfacesRequest is DescribeNetworkInterfaces' input.
type DescribeNetworkInterfacesRequest struct {
	DryRun              bool     `ec2:"DryRun"`
	NetworkInterfaceIDs []string `ec2:"NetworkInterfaceId"`
	Filters             []Filter `ec2:"Filter"`
	MaxResults          *int     `ec2:"MaxResults"`
	NextToken           string   `ec2:"NextToken"`
}

// DescribeNetworkInterfacesResponse is DescribeNetworkInterfaces' output.
type DescribeNetworkInterfacesResponse struct {
	NetworkInterfaces []NetworkInterface `xml:"networkInterfaceSet"`
	NextToken         string             `xml:"nextToken,omitempty"`
}

// AttachNetworkInterfaceRequest is AttachNetworkInterface's input.
type AttachNetworkInterfaceRequest struct {
	DryRun             bool   `ec2:"DryRun"`
	NetworkInterfaceID string `ec2:"NetworkInterfaceId"`
	InstanceID         string `ec2:"InstanceId"`
	DeviceIndex        *int   `ec2:"DeviceIndex"`
	NetworkCardIndex   *int   `ec2:"NetworkCardIndex"`
}

// AttachNetworkInterfaceResponse is AttachNetworkInterface's output.
type AttachNetworkInterfaceResponse struct {
	AttachmentID     string `xml:"attachmentId"`
	NetworkCardIndex int    `xml:"networkCardIndex"`
}

// DetachNetworkInterfaceRequest is DetachNetworkInterface's input.
type DetachNetworkInterfaceRequest struct {
	DryRun       bool   `ec2:"DryRun"`
	AttachmentID string `ec2:"AttachmentId"`
	Force        *bool  `ec2:"Force"`
}

// ModifyNetworkInterfaceAttributeRequest is
// ModifyNetworkInterfaceAttribute's input.
type ModifyNetworkInterfaceAttributeRequest struct {
	DryRun             bool                   `ec2:"DryRun"`
	NetworkInterfaceID string                 `ec2:"NetworkInterfaceId"`
	Description        *AttributeValue        `ec2:"Description"`
	SourceDestCheck    *AttributeBooleanValue `ec2:"SourceDestCheck"`
	Groups             []string               `ec2:"SecurityGroupId"`
	Attachment         *struct {
		AttachmentID        string `ec2:"AttachmentId"`
		DeleteOnTermination *bool  `ec2:"DeleteOnTermination"`
	} `ec2:"Attachment"`
}

// DescribeNetworkInterfaceAttributeRequest is
// DescribeNetworkInterfaceAttribute's input.
type DescribeNetworkInterfaceAttributeRequest struct {
	DryRun             bool   `ec2:"DryRun"`
	NetworkInterfaceID string `ec2:"NetworkInterfaceId"`
	Attribute          string `ec2:"Attribute"`
}

// DescribeNetworkInterfaceAttributeResponse is
// DescribeNetworkInterfaceAttribute's output: the interface ID and the one
// attribute asked for.
type DescribeNetworkInterfaceAttributeResponse struct {
	NetworkInterfaceID string                 `xml:"networkInterfaceId"`
	Attachment         *ENIAttachment         `xml:"attachment"`
	Description        *AttributeValue        `xml:"description"`
	Groups             []GroupIdentifier      `xml:"groupSet,omitempty"`
	SourceDestCheck    *AttributeBooleanValue `xml:"sourceDestCheck"`
}

// ResetNetworkInterfaceAttributeRequest is
// ResetNetworkInterfaceAttribute's input.
type ResetNetworkInterfaceAttributeRequest struct {
	DryRun             bool   `ec2:"DryRun"`
	NetworkInterfaceID string `ec2:"NetworkInterfaceId"`
	SourceDestCheck    string `ec2:"SourceDestCheck"`
}
