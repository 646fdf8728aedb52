package xmlproto

// Shapes of the Elastic IP address actions, named as in the 2016-11-15 API
// model (botocore service-2.json locationNames).

// AllocateAddressRequest is AllocateAddress's input.
type AllocateAddressRequest struct {
	DryRun                bool               `ec2:"DryRun"`
	Domain                string             `ec2:"Domain"`
	Address               string             `ec2:"Address"`
	PublicIpv4Pool        string             `ec2:"PublicIpv4Pool"`
	NetworkBorderGroup    string             `ec2:"NetworkBorderGroup"`
	CustomerOwnedIpv4Pool string             `ec2:"CustomerOwnedIpv4Pool"`
	IpamPoolID            string             `ec2:"IpamPoolId"`
	TagSpecifications     []TagSpecification `ec2:"TagSpecification"`
}

// AllocateAddressResponse is AllocateAddress's output, in the order EC2
// writes it.
type AllocateAddressResponse struct {
	PublicIP           string `xml:"publicIp"`
	Domain             string `xml:"domain"`
	AllocationID       string `xml:"allocationId"`
	PublicIpv4Pool     string `xml:"publicIpv4Pool,omitempty"`
	NetworkBorderGroup string `xml:"networkBorderGroup,omitempty"`
}

// AssociateAddressRequest is AssociateAddress's input.
type AssociateAddressRequest struct {
	DryRun             bool   `ec2:"DryRun"`
	AllocationID       string `ec2:"AllocationId"`
	InstanceID         string `ec2:"InstanceId"`
	PublicIP           string `ec2:"PublicIp"`
	NetworkInterfaceID string `ec2:"NetworkInterfaceId"`
	PrivateIPAddress   string `ec2:"PrivateIpAddress"`
	AllowReassociation *bool  `ec2:"AllowReassociation"` // absent: true (EC2-VPC)
}

// AssociateAddressResponse is AssociateAddress's output.
type AssociateAddressResponse struct {
	AssociationID string `xml:"associationId"`
}

// DisassociateAddressRequest is DisassociateAddress's input.
type DisassociateAddressRequest struct {
	DryRun        bool   `ec2:"DryRun"`
	AssociationID string `ec2:"AssociationId"`
	PublicIP      string `ec2:"PublicIp"`
}

// ReleaseAddressRequest is ReleaseAddress's input.
type ReleaseAddressRequest struct {
	DryRun             bool   `ec2:"DryRun"`
	AllocationID       string `ec2:"AllocationId"`
	PublicIP           string `ec2:"PublicIp"`
	NetworkBorderGroup string `ec2:"NetworkBorderGroup"`
}

// DescribeAddressesRequest is DescribeAddresses' input (the action does
// not page).
type DescribeAddressesRequest struct {
	DryRun        bool     `ec2:"DryRun"`
	PublicIPs     []string `ec2:"PublicIp"`
	AllocationIDs []string `ec2:"AllocationId"`
	Filters       []Filter `ec2:"Filter"`
}

// Address is an item of `addressesSet`.
type Address struct {
	PublicIP                string `xml:"publicIp"`
	AllocationID            string `xml:"allocationId"`
	Domain                  string `xml:"domain"`
	InstanceID              string `xml:"instanceId,omitempty"`
	AssociationID           string `xml:"associationId,omitempty"`
	NetworkInterfaceID      string `xml:"networkInterfaceId,omitempty"`
	NetworkInterfaceOwnerID string `xml:"networkInterfaceOwnerId,omitempty"`
	PrivateIPAddress        string `xml:"privateIpAddress,omitempty"`
	Tags                    []Tag  `xml:"tagSet,omitempty"`
	PublicIpv4Pool          string `xml:"publicIpv4Pool"`
	NetworkBorderGroup      string `xml:"networkBorderGroup"`
}

// DescribeAddressesResponse is DescribeAddresses' output.
type DescribeAddressesResponse struct {
	Addresses []Address `xml:"addressesSet"`
}

// DescribeAddressesAttributeRequest is DescribeAddressesAttribute's input.
type DescribeAddressesAttributeRequest struct {
	DryRun        bool     `ec2:"DryRun"`
	AllocationIDs []string `ec2:"AllocationId"`
	Attribute     string   `ec2:"Attribute"`
	MaxResults    *int     `ec2:"MaxResults"`
	NextToken     string   `ec2:"NextToken"`
}

// AddressAttribute is an item of `addressSet`.
type AddressAttribute struct {
	PublicIP     string `xml:"publicIp"`
	AllocationID string `xml:"allocationId"`
	PtrRecord    string `xml:"ptrRecord,omitempty"`
}

// DescribeAddressesAttributeResponse is DescribeAddressesAttribute's
// output.
type DescribeAddressesAttributeResponse struct {
	Addresses []AddressAttribute `xml:"addressSet"`
	NextToken string             `xml:"nextToken,omitempty"`
}
