package xmlproto

// Shapes of the VPC control plane: VPCs, subnets, internet gateways, route
// tables, network ACLs and account attributes, named as in the 2016-11-15
// API model (botocore service-2.json locationNames).

// CreateVpcRequest is CreateVpc's input.
type CreateVpcRequest struct {
	DryRun                      bool               `ec2:"DryRun"`
	CidrBlock                   string             `ec2:"CidrBlock"`
	AmazonProvidedIpv6CidrBlock bool               `ec2:"AmazonProvidedIpv6CidrBlock"`
	InstanceTenancy             string             `ec2:"InstanceTenancy"`
	Ipv4IpamPoolID              string             `ec2:"Ipv4IpamPoolId"`
	Ipv4NetmaskLength           *int               `ec2:"Ipv4NetmaskLength"`
	Ipv6CidrBlock               string             `ec2:"Ipv6CidrBlock"`
	Ipv6IpamPoolID              string             `ec2:"Ipv6IpamPoolId"`
	Ipv6Pool                    string             `ec2:"Ipv6Pool"`
	TagSpecifications           []TagSpecification `ec2:"TagSpecification"`
}

// CreateVpcResponse is the output of CreateVpc and CreateDefaultVpc.
type CreateVpcResponse struct {
	Vpc Vpc `xml:"vpc"`
}

// VpcIDRequest is DeleteVpc's input.
type VpcIDRequest struct {
	DryRun bool   `ec2:"DryRun"`
	VpcID  string `ec2:"VpcId"`
}

// DryRunRequest is the input of actions with nothing but DryRun
// (CreateDefaultVpc).
type DryRunRequest struct {
	DryRun bool `ec2:"DryRun"`
}

// DescribeVpcAttributeRequest is DescribeVpcAttribute's input.
type DescribeVpcAttributeRequest struct {
	DryRun    bool   `ec2:"DryRun"`
	VpcID     string `ec2:"VpcId"`
	Attribute string `ec2:"Attribute"`
}

// DescribeVpcAttributeResponse is DescribeVpcAttribute's output: the one
// attribute asked for.
type DescribeVpcAttributeResponse struct {
	VpcID                            string                 `xml:"vpcId"`
	EnableDNSHostnames               *AttributeBooleanValue `xml:"enableDnsHostnames"`
	EnableDNSSupport                 *AttributeBooleanValue `xml:"enableDnsSupport"`
	EnableNetworkAddressUsageMetrics *AttributeBooleanValue `xml:"enableNetworkAddressUsageMetrics"`
}

// ModifyVpcAttributeRequest is ModifyVpcAttribute's input (the model gives
// it no DryRun).
type ModifyVpcAttributeRequest struct {
	VpcID                            string                 `ec2:"VpcId"`
	EnableDNSHostnames               *AttributeBooleanValue `ec2:"EnableDnsHostnames"`
	EnableDNSSupport                 *AttributeBooleanValue `ec2:"EnableDnsSupport"`
	EnableNetworkAddressUsageMetrics *AttributeBooleanValue `ec2:"EnableNetworkAddressUsageMetrics"`
}

// CreateSubnetRequest is CreateSubnet's input.
type CreateSubnetRequest struct {
	DryRun             bool               `ec2:"DryRun"`
	VpcID              string             `ec2:"VpcId"`
	CidrBlock          string             `ec2:"CidrBlock"`
	AvailabilityZone   string             `ec2:"AvailabilityZone"`
	AvailabilityZoneID string             `ec2:"AvailabilityZoneId"`
	Ipv6CidrBlock      string             `ec2:"Ipv6CidrBlock"`
	Ipv6Native         bool               `ec2:"Ipv6Native"`
	OutpostArn         string             `ec2:"OutpostArn"`
	Ipv4IpamPoolID     string             `ec2:"Ipv4IpamPoolId"`
	Ipv4NetmaskLength  *int               `ec2:"Ipv4NetmaskLength"`
	Ipv6IpamPoolID     string             `ec2:"Ipv6IpamPoolId"`
	Ipv6NetmaskLength  *int               `ec2:"Ipv6NetmaskLength"`
	TagSpecifications  []TagSpecification `ec2:"TagSpecification"`
}

// CreateSubnetResponse is CreateSubnet's output.
type CreateSubnetResponse struct {
	Subnet Subnet `xml:"subnet"`
}

// SubnetIDRequest is DeleteSubnet's input.
type SubnetIDRequest struct {
	DryRun   bool   `ec2:"DryRun"`
	SubnetID string `ec2:"SubnetId"`
}

// ModifySubnetAttributeRequest is ModifySubnetAttribute's input (no
// DryRun in the model).
type ModifySubnetAttributeRequest struct {
	SubnetID                                string                 `ec2:"SubnetId"`
	MapPublicIPOnLaunch                     *AttributeBooleanValue `ec2:"MapPublicIpOnLaunch"`
	AssignIpv6AddressOnCreation             *AttributeBooleanValue `ec2:"AssignIpv6AddressOnCreation"`
	EnableDNS64                             *AttributeBooleanValue `ec2:"EnableDns64"`
	EnableResourceNameDNSARecordOnLaunch    *AttributeBooleanValue `ec2:"EnableResourceNameDnsARecordOnLaunch"`
	EnableResourceNameDNSAAAARecordOnLaunch *AttributeBooleanValue `ec2:"EnableResourceNameDnsAAAARecordOnLaunch"`
	MapCustomerOwnedIPOnLaunch              *AttributeBooleanValue `ec2:"MapCustomerOwnedIpOnLaunch"`
	DisableLniAtDeviceIndex                 *AttributeBooleanValue `ec2:"DisableLniAtDeviceIndex"`
	CustomerOwnedIpv4Pool                   string                 `ec2:"CustomerOwnedIpv4Pool"`
	EnableLniAtDeviceIndex                  *int                   `ec2:"EnableLniAtDeviceIndex"`
	PrivateDNSHostnameTypeOnLaunch          string                 `ec2:"PrivateDnsHostnameTypeOnLaunch"`
}

// CreateInternetGatewayRequest is CreateInternetGateway's input.
type CreateInternetGatewayRequest struct {
	DryRun            bool               `ec2:"DryRun"`
	TagSpecifications []TagSpecification `ec2:"TagSpecification"`
}

// InternetGatewayRequest is the input of DeleteInternetGateway (no VpcId),
// AttachInternetGateway and DetachInternetGateway.
type InternetGatewayRequest struct {
	DryRun            bool   `ec2:"DryRun"`
	InternetGatewayID string `ec2:"InternetGatewayId"`
	VpcID             string `ec2:"VpcId"`
}

// DescribeInternetGatewaysRequest is DescribeInternetGateways' input.
type DescribeInternetGatewaysRequest struct {
	DryRun             bool     `ec2:"DryRun"`
	InternetGatewayIDs []string `ec2:"InternetGatewayId"`
	Filters            []Filter `ec2:"Filter"`
	MaxResults         *int     `ec2:"MaxResults"`
	NextToken          string   `ec2:"NextToken"`
}

// InternetGatewayAttachment is an item of `attachmentSet`.
type InternetGatewayAttachment struct {
	State string `xml:"state"`
	VpcID string `xml:"vpcId"`
}

// InternetGateway is an item of `internetGatewaySet`.
type InternetGateway struct {
	InternetGatewayID string                      `xml:"internetGatewayId"`
	OwnerID           string                      `xml:"ownerId"`
	Attachments       []InternetGatewayAttachment `xml:"attachmentSet"`
	Tags              []Tag                       `xml:"tagSet,omitempty"`
}

// CreateInternetGatewayResponse is CreateInternetGateway's output.
type CreateInternetGatewayResponse struct {
	InternetGateway InternetGateway `xml:"internetGateway"`
}

// DescribeInternetGatewaysResponse is DescribeInternetGateways' output.
type DescribeInternetGatewaysResponse struct {
	InternetGateways []InternetGateway `xml:"internetGatewaySet"`
	NextToken        string            `xml:"nextToken,omitempty"`
}

// CreateRouteTableRequest is CreateRouteTable's input.
type CreateRouteTableRequest struct {
	DryRun            bool               `ec2:"DryRun"`
	VpcID             string             `ec2:"VpcId"`
	ClientToken       string             `ec2:"ClientToken"`
	TagSpecifications []TagSpecification `ec2:"TagSpecification"`
}

// RouteTableIDRequest is DeleteRouteTable's input.
type RouteTableIDRequest struct {
	DryRun       bool   `ec2:"DryRun"`
	RouteTableID string `ec2:"RouteTableId"`
}

// DescribeRouteTablesRequest is DescribeRouteTables' input.
type DescribeRouteTablesRequest struct {
	DryRun        bool     `ec2:"DryRun"`
	RouteTableIDs []string `ec2:"RouteTableId"`
	Filters       []Filter `ec2:"Filter"`
	MaxResults    *int     `ec2:"MaxResults"`
	NextToken     string   `ec2:"NextToken"`
}

// RouteRequest is the input of CreateRoute, DeleteRoute (destinations
// only) and ReplaceRoute: a destination and one target.
type RouteRequest struct {
	DryRun                      bool   `ec2:"DryRun"`
	RouteTableID                string `ec2:"RouteTableId"`
	DestinationCidrBlock        string `ec2:"DestinationCidrBlock"`
	DestinationIpv6CidrBlock    string `ec2:"DestinationIpv6CidrBlock"`
	DestinationPrefixListID     string `ec2:"DestinationPrefixListId"`
	GatewayID                   string `ec2:"GatewayId"`
	InstanceID                  string `ec2:"InstanceId"`
	NetworkInterfaceID          string `ec2:"NetworkInterfaceId"`
	NatGatewayID                string `ec2:"NatGatewayId"`
	TransitGatewayID            string `ec2:"TransitGatewayId"`
	VpcPeeringConnectionID      string `ec2:"VpcPeeringConnectionId"`
	EgressOnlyInternetGatewayID string `ec2:"EgressOnlyInternetGatewayId"`
	CarrierGatewayID            string `ec2:"CarrierGatewayId"`
	LocalGatewayID              string `ec2:"LocalGatewayId"`
	VpcEndpointID               string `ec2:"VpcEndpointId"`
	CoreNetworkArn              string `ec2:"CoreNetworkArn"`
	OdbNetworkArn               string `ec2:"OdbNetworkArn"`
	LocalTarget                 *bool  `ec2:"LocalTarget"`
}

// AssociateRouteTableRequest is AssociateRouteTable's input.
type AssociateRouteTableRequest struct {
	DryRun         bool   `ec2:"DryRun"`
	RouteTableID   string `ec2:"RouteTableId"`
	SubnetID       string `ec2:"SubnetId"`
	GatewayID      string `ec2:"GatewayId"`
	PublicIpv4Pool string `ec2:"PublicIpv4Pool"`
}

// AssociationIDRequest is the input of DisassociateRouteTable and (with
// RouteTableId) ReplaceRouteTableAssociation.
type AssociationIDRequest struct {
	DryRun        bool   `ec2:"DryRun"`
	AssociationID string `ec2:"AssociationId"`
	RouteTableID  string `ec2:"RouteTableId"`
}

// RouteTableAssociationState is an association's `associationState`.
type RouteTableAssociationState struct {
	State         string `xml:"state"`
	StatusMessage string `xml:"statusMessage,omitempty"`
}

// RouteTableAssociation is an item of a route table's `associationSet`.
type RouteTableAssociation struct {
	RouteTableAssociationID string                     `xml:"routeTableAssociationId"`
	RouteTableID            string                     `xml:"routeTableId"`
	SubnetID                string                     `xml:"subnetId,omitempty"`
	GatewayID               string                     `xml:"gatewayId,omitempty"`
	Main                    bool                       `xml:"main"`
	AssociationState        RouteTableAssociationState `xml:"associationState"`
}

// Route is an item of `routeSet`: one destination, one target.
type Route struct {
	DestinationCidrBlock        string `xml:"destinationCidrBlock,omitempty"`
	DestinationIpv6CidrBlock    string `xml:"destinationIpv6CidrBlock,omitempty"`
	GatewayID                   string `xml:"gatewayId,omitempty"`
	InstanceID                  string `xml:"instanceId,omitempty"`
	InstanceOwnerID             string `xml:"instanceOwnerId,omitempty"`
	NetworkInterfaceID          string `xml:"networkInterfaceId,omitempty"`
	EgressOnlyInternetGatewayID string `xml:"egressOnlyInternetGatewayId,omitempty"`
	State                       string `xml:"state"`
	Origin                      string `xml:"origin"`
}

// RouteTable is an item of `routeTableSet`.
type RouteTable struct {
	RouteTableID    string                  `xml:"routeTableId"`
	VpcID           string                  `xml:"vpcId"`
	OwnerID         string                  `xml:"ownerId"`
	Routes          []Route                 `xml:"routeSet"`
	Associations    []RouteTableAssociation `xml:"associationSet"`
	PropagatingVgws []struct{}              `xml:"propagatingVgwSet"`
	Tags            []Tag                   `xml:"tagSet"`
}

// CreateRouteTableResponse is CreateRouteTable's output.
type CreateRouteTableResponse struct {
	RouteTable  RouteTable `xml:"routeTable"`
	ClientToken string     `xml:"clientToken,omitempty"`
}

// DescribeRouteTablesResponse is DescribeRouteTables' output.
type DescribeRouteTablesResponse struct {
	RouteTables []RouteTable `xml:"routeTableSet"`
	NextToken   string       `xml:"nextToken,omitempty"`
}

// AssociateRouteTableResponse is AssociateRouteTable's output.
type AssociateRouteTableResponse struct {
	AssociationID    string                     `xml:"associationId"`
	AssociationState RouteTableAssociationState `xml:"associationState"`
}

// ReplaceRouteTableAssociationResponse is ReplaceRouteTableAssociation's
// output.
type ReplaceRouteTableAssociationResponse struct {
	NewAssociationID string                     `xml:"newAssociationId"`
	AssociationState RouteTableAssociationState `xml:"associationState"`
}

// DescribeNetworkAclsRequest is DescribeNetworkAcls' input.
type DescribeNetworkAclsRequest struct {
	DryRun        bool     `ec2:"DryRun"`
	NetworkAclIDs []string `ec2:"NetworkAclId"`
	Filters       []Filter `ec2:"Filter"`
	MaxResults    *int     `ec2:"MaxResults"`
	NextToken     string   `ec2:"NextToken"`
}

// NetworkAclEntry is an item of `entrySet`.
type NetworkAclEntry struct {
	RuleNumber int    `xml:"ruleNumber"`
	Protocol   string `xml:"protocol"`
	RuleAction string `xml:"ruleAction"`
	Egress     bool   `xml:"egress"`
	CidrBlock  string `xml:"cidrBlock"`
}

// NetworkAclAssociation is an item of a network ACL's `associationSet`.
type NetworkAclAssociation struct {
	NetworkAclAssociationID string `xml:"networkAclAssociationId"`
	NetworkAclID            string `xml:"networkAclId"`
	SubnetID                string `xml:"subnetId"`
}

// NetworkAcl is an item of `networkAclSet`.
type NetworkAcl struct {
	NetworkAclID string                  `xml:"networkAclId"`
	VpcID        string                  `xml:"vpcId"`
	OwnerID      string                  `xml:"ownerId"`
	IsDefault    bool                    `xml:"default"`
	Entries      []NetworkAclEntry       `xml:"entrySet"`
	Associations []NetworkAclAssociation `xml:"associationSet"`
	Tags         []Tag                   `xml:"tagSet"`
}

// DescribeNetworkAclsResponse is DescribeNetworkAcls' output.
type DescribeNetworkAclsResponse struct {
	NetworkAcls []NetworkAcl `xml:"networkAclSet"`
	NextToken   string       `xml:"nextToken,omitempty"`
}

// DescribeAccountAttributesRequest is DescribeAccountAttributes' input.
type DescribeAccountAttributesRequest struct {
	DryRun         bool     `ec2:"DryRun"`
	AttributeNames []string `ec2:"AttributeName"`
}

// AccountAttributeValue is an item of `attributeValueSet`.
type AccountAttributeValue struct {
	AttributeValue string `xml:"attributeValue"`
}

// AccountAttribute is an item of `accountAttributeSet`.
type AccountAttribute struct {
	AttributeName   string                  `xml:"attributeName"`
	AttributeValues []AccountAttributeValue `xml:"attributeValueSet"`
}

// DescribeAccountAttributesResponse is DescribeAccountAttributes' output.
type DescribeAccountAttributesResponse struct {
	AccountAttributes []AccountAttribute `xml:"accountAttributeSet"`
}
