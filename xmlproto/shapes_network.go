package xmlproto

// Shapes for VPCs, subnets, security groups and instance types, named as in
// the 2016-11-15 API model (botocore service-2.json locationNames).

// DescribeVpcsRequest is DescribeVpcs' input.
type DescribeVpcsRequest struct {
	DryRun     bool     `ec2:"DryRun"`
	VpcIDs     []string `ec2:"VpcId"`
	Filters    []Filter `ec2:"Filter"`
	MaxResults *int     `ec2:"MaxResults"`
	NextToken  string   `ec2:"NextToken"`
}

// DescribeSubnetsRequest is DescribeSubnets' input.
type DescribeSubnetsRequest struct {
	DryRun     bool     `ec2:"DryRun"`
	SubnetIDs  []string `ec2:"SubnetId"`
	Filters    []Filter `ec2:"Filter"`
	MaxResults *int     `ec2:"MaxResults"`
	NextToken  string   `ec2:"NextToken"`
}

// DescribeSecurityGroupsRequest is DescribeSecurityGroups' input.
type DescribeSecurityGroupsRequest struct {
	DryRun     bool     `ec2:"DryRun"`
	GroupIDs   []string `ec2:"GroupId"`
	GroupNames []string `ec2:"GroupName"`
	Filters    []Filter `ec2:"Filter"`
	MaxResults *int     `ec2:"MaxResults"`
	NextToken  string   `ec2:"NextToken"`
}

// CreateSecurityGroupRequest is CreateSecurityGroup's input.
type CreateSecurityGroupRequest struct {
	DryRun            bool               `ec2:"DryRun"`
	GroupName         *string            `ec2:"GroupName"`
	Description       *string            `ec2:"GroupDescription"`
	VpcID             string             `ec2:"VpcId"`
	TagSpecifications []TagSpecification `ec2:"TagSpecification"`
}

// DeleteSecurityGroupRequest is DeleteSecurityGroup's input.
type DeleteSecurityGroupRequest struct {
	DryRun    bool   `ec2:"DryRun"`
	GroupID   string `ec2:"GroupId"`
	GroupName string `ec2:"GroupName"`
}

// IPRangeRequest is IpPermissions.N.IpRanges.M.
type IPRangeRequest struct {
	CidrIP      string `ec2:"CidrIp"`
	Description string `ec2:"Description"`
}

// IPv6RangeRequest is IpPermissions.N.Ipv6Ranges.M.
type IPv6RangeRequest struct {
	CidrIPv6    string `ec2:"CidrIpv6"`
	Description string `ec2:"Description"`
}

// PrefixListIDRequest is IpPermissions.N.PrefixListIds.M.
type PrefixListIDRequest struct {
	PrefixListID string `ec2:"PrefixListId"`
	Description  string `ec2:"Description"`
}

// UserIDGroupPairRequest is IpPermissions.N.Groups.M (the model's
// UserIdGroupPairs, whose locationName is "groups").
type UserIDGroupPairRequest struct {
	GroupID     string `ec2:"GroupId"`
	GroupName   string `ec2:"GroupName"`
	UserID      string `ec2:"UserId"`
	VpcID       string `ec2:"VpcId"`
	Description string `ec2:"Description"`
}

// IPPermissionRequest is IpPermissions.N.
type IPPermissionRequest struct {
	IPProtocol    string                   `ec2:"IpProtocol"`
	FromPort      *int                     `ec2:"FromPort"`
	ToPort        *int                     `ec2:"ToPort"`
	IPRanges      []IPRangeRequest         `ec2:"IpRanges"`
	IPv6Ranges    []IPv6RangeRequest       `ec2:"Ipv6Ranges"`
	PrefixListIDs []PrefixListIDRequest    `ec2:"PrefixListIds"`
	Groups        []UserIDGroupPairRequest `ec2:"Groups"`
}

// SecurityGroupRulesRequest is the input of Authorize/RevokeSecurityGroup
// Ingress/Egress: IpPermissions.N, or the legacy flat form (one CIDR or one
// source group), or, for revokes, SecurityGroupRuleId.N.
type SecurityGroupRulesRequest struct {
	DryRun                     bool                  `ec2:"DryRun"`
	GroupID                    string                `ec2:"GroupId"`
	GroupName                  string                `ec2:"GroupName"`
	IPPermissions              []IPPermissionRequest `ec2:"IpPermissions"`
	IPProtocol                 string                `ec2:"IpProtocol"`
	FromPort                   *int                  `ec2:"FromPort"`
	ToPort                     *int                  `ec2:"ToPort"`
	CidrIP                     string                `ec2:"CidrIp"`
	SourceSecurityGroupName    string                `ec2:"SourceSecurityGroupName"`
	SourceSecurityGroupOwnerID string                `ec2:"SourceSecurityGroupOwnerId"`
	SecurityGroupRuleIDs       []string              `ec2:"SecurityGroupRuleId"`
	TagSpecifications          []TagSpecification    `ec2:"TagSpecification"`
}

// DescribeSecurityGroupRulesRequest is DescribeSecurityGroupRules' input.
type DescribeSecurityGroupRulesRequest struct {
	DryRun               bool     `ec2:"DryRun"`
	SecurityGroupRuleIDs []string `ec2:"SecurityGroupRuleId"`
	Filters              []Filter `ec2:"Filter"`
	MaxResults           *int     `ec2:"MaxResults"`
	NextToken            string   `ec2:"NextToken"`
}

// DescribeInstanceTypesRequest is DescribeInstanceTypes' input.
type DescribeInstanceTypesRequest struct {
	DryRun        bool     `ec2:"DryRun"`
	InstanceTypes []string `ec2:"InstanceType"`
	Filters       []Filter `ec2:"Filter"`
	MaxResults    *int     `ec2:"MaxResults"`
	NextToken     string   `ec2:"NextToken"`
}

// DescribeInstanceTypeOfferingsRequest is DescribeInstanceTypeOfferings' input.
type DescribeInstanceTypeOfferingsRequest struct {
	DryRun       bool     `ec2:"DryRun"`
	LocationType string   `ec2:"LocationType"`
	Filters      []Filter `ec2:"Filter"`
	MaxResults   *int     `ec2:"MaxResults"`
	NextToken    string   `ec2:"NextToken"`
}

// ---- responses ----

// CidrBlockState is a CIDR association's `cidrBlockState`.
type CidrBlockState struct {
	State string `xml:"state"`
}

// VpcCidrBlockAssociation is an item of `cidrBlockAssociationSet`.
type VpcCidrBlockAssociation struct {
	AssociationID  string         `xml:"associationId"`
	CidrBlock      string         `xml:"cidrBlock"`
	CidrBlockState CidrBlockState `xml:"cidrBlockState"`
}

// BlockPublicAccessStates is a VPC's or subnet's `blockPublicAccessStates`.
type BlockPublicAccessStates struct {
	InternetGatewayBlockMode string `xml:"internetGatewayBlockMode"`
}

// Vpc is an item of `vpcSet`.
type Vpc struct {
	VpcID                   string                    `xml:"vpcId"`
	OwnerID                 string                    `xml:"ownerId"`
	State                   string                    `xml:"state"`
	CidrBlock               string                    `xml:"cidrBlock"`
	CidrBlockAssociationSet []VpcCidrBlockAssociation `xml:"cidrBlockAssociationSet"`
	DhcpOptionsID           string                    `xml:"dhcpOptionsId"`
	Tags                    []Tag                     `xml:"tagSet,omitempty"`
	InstanceTenancy         string                    `xml:"instanceTenancy"`
	IsDefault               bool                      `xml:"isDefault"`
	BlockPublicAccessStates *BlockPublicAccessStates  `xml:"blockPublicAccessStates"`
}

// DescribeVpcsResponse is DescribeVpcs' output.
type DescribeVpcsResponse struct {
	Vpcs      []Vpc  `xml:"vpcSet"`
	NextToken string `xml:"nextToken,omitempty"`
}

// Subnet is an item of `subnetSet`.
type Subnet struct {
	SubnetID                      string                   `xml:"subnetId"`
	SubnetArn                     string                   `xml:"subnetArn"`
	State                         string                   `xml:"state"`
	OwnerID                       string                   `xml:"ownerId"`
	VpcID                         string                   `xml:"vpcId"`
	CidrBlock                     string                   `xml:"cidrBlock"`
	Ipv6CidrBlockAssociationSet   []struct{}               `xml:"ipv6CidrBlockAssociationSet"`
	AvailableIPAddressCount       int                      `xml:"availableIpAddressCount"`
	AvailabilityZone              string                   `xml:"availabilityZone"`
	AvailabilityZoneID            string                   `xml:"availabilityZoneId"`
	DefaultForAz                  bool                     `xml:"defaultForAz"`
	MapPublicIPOnLaunch           bool                     `xml:"mapPublicIpOnLaunch"`
	MapCustomerOwnedIPOnLaunch    bool                     `xml:"mapCustomerOwnedIpOnLaunch"`
	AssignIpv6AddressOnCreation   bool                     `xml:"assignIpv6AddressOnCreation"`
	EnableDNS64                   bool                     `xml:"enableDns64"`
	Ipv6Native                    bool                     `xml:"ipv6Native"`
	PrivateDNSNameOptionsOnLaunch *PrivateDNSNameOptions   `xml:"privateDnsNameOptionsOnLaunch"`
	BlockPublicAccessStates       *BlockPublicAccessStates `xml:"blockPublicAccessStates"`
	Tags                          []Tag                    `xml:"tagSet,omitempty"`
}

// DescribeSubnetsResponse is DescribeSubnets' output.
type DescribeSubnetsResponse struct {
	Subnets   []Subnet `xml:"subnetSet"`
	NextToken string   `xml:"nextToken,omitempty"`
}

// IPRange is an item of `ipRanges`.
type IPRange struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

// IPv6Range is an item of `ipv6Ranges`.
type IPv6Range struct {
	CidrIPv6    string `xml:"cidrIpv6"`
	Description string `xml:"description,omitempty"`
}

// PrefixListID is an item of `prefixListIds`.
type PrefixListID struct {
	PrefixListID string `xml:"prefixListId"`
	Description  string `xml:"description,omitempty"`
}

// UserIDGroupPair is an item of an IP permission's `groups`.
type UserIDGroupPair struct {
	UserID      string `xml:"userId"`
	GroupID     string `xml:"groupId"`
	GroupName   string `xml:"groupName,omitempty"`
	VpcID       string `xml:"vpcId,omitempty"`
	Description string `xml:"description,omitempty"`
}

// IPPermission is an item of `ipPermissions` / `ipPermissionsEgress` /
// `unknownIpPermissionSet`. Ports are absent for all-protocol rules.
type IPPermission struct {
	IPProtocol    string            `xml:"ipProtocol"`
	FromPort      *int              `xml:"fromPort"`
	ToPort        *int              `xml:"toPort"`
	Groups        []UserIDGroupPair `xml:"groups"`
	IPRanges      []IPRange         `xml:"ipRanges"`
	IPv6Ranges    []IPv6Range       `xml:"ipv6Ranges"`
	PrefixListIDs []PrefixListID    `xml:"prefixListIds"`
}

// SecurityGroup is an item of `securityGroupInfo`.
type SecurityGroup struct {
	OwnerID             string         `xml:"ownerId"`
	GroupID             string         `xml:"groupId"`
	GroupName           string         `xml:"groupName"`
	Description         string         `xml:"groupDescription"`
	IPPermissions       []IPPermission `xml:"ipPermissions"`
	IPPermissionsEgress []IPPermission `xml:"ipPermissionsEgress"`
	VpcID               string         `xml:"vpcId"`
	SecurityGroupArn    string         `xml:"securityGroupArn"`
	Tags                []Tag          `xml:"tagSet,omitempty"`
}

// DescribeSecurityGroupsResponse is DescribeSecurityGroups' output.
type DescribeSecurityGroupsResponse struct {
	SecurityGroups []SecurityGroup `xml:"securityGroupInfo"`
	NextToken      string          `xml:"nextToken,omitempty"`
}

// CreateSecurityGroupResponse is CreateSecurityGroup's output.
type CreateSecurityGroupResponse struct {
	GroupID          string `xml:"groupId"`
	Tags             []Tag  `xml:"tagSet,omitempty"`
	SecurityGroupArn string `xml:"securityGroupArn"`
}

// DeleteSecurityGroupResponse is DeleteSecurityGroup's output.
type DeleteSecurityGroupResponse struct {
	Return  bool   `xml:"return"`
	GroupID string `xml:"groupId"`
}

// ReferencedSecurityGroup is a rule's `referencedGroupInfo`.
type ReferencedSecurityGroup struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
	VpcID   string `xml:"vpcId,omitempty"`
}

// SecurityGroupRule is an item of `securityGroupRuleSet`. For all-protocol
// rules both ports are -1, as AWS reports them here.
type SecurityGroupRule struct {
	SecurityGroupRuleID  string                   `xml:"securityGroupRuleId"`
	GroupID              string                   `xml:"groupId"`
	GroupOwnerID         string                   `xml:"groupOwnerId"`
	IsEgress             bool                     `xml:"isEgress"`
	IPProtocol           string                   `xml:"ipProtocol"`
	FromPort             int                      `xml:"fromPort"`
	ToPort               int                      `xml:"toPort"`
	CidrIPv4             string                   `xml:"cidrIpv4,omitempty"`
	CidrIPv6             string                   `xml:"cidrIpv6,omitempty"`
	PrefixListID         string                   `xml:"prefixListId,omitempty"`
	ReferencedGroupInfo  *ReferencedSecurityGroup `xml:"referencedGroupInfo"`
	Description          string                   `xml:"description,omitempty"`
	Tags                 []Tag                    `xml:"tagSet"`
	SecurityGroupRuleArn string                   `xml:"securityGroupRuleArn"`
}

// AuthorizeSecurityGroupResponse is the output of AuthorizeSecurityGroup
// Ingress and Egress.
type AuthorizeSecurityGroupResponse struct {
	Return             bool                `xml:"return"`
	SecurityGroupRules []SecurityGroupRule `xml:"securityGroupRuleSet"`
}

// RevokedSecurityGroupRule is an item of `revokedSecurityGroupRuleSet`.
type RevokedSecurityGroupRule struct {
	SecurityGroupRuleID string `xml:"securityGroupRuleId"`
	GroupID             string `xml:"groupId"`
	IsEgress            bool   `xml:"isEgress"`
	IPProtocol          string `xml:"ipProtocol"`
	FromPort            int    `xml:"fromPort"`
	ToPort              int    `xml:"toPort"`
	CidrIPv4            string `xml:"cidrIpv4,omitempty"`
	CidrIPv6            string `xml:"cidrIpv6,omitempty"`
	PrefixListID        string `xml:"prefixListId,omitempty"`
	ReferencedGroupID   string `xml:"referencedGroupId,omitempty"`
	Description         string `xml:"description,omitempty"`
}

// RevokeSecurityGroupResponse is the output of RevokeSecurityGroupIngress
// and Egress.
type RevokeSecurityGroupResponse struct {
	Return                    bool                       `xml:"return"`
	UnknownIPPermissions      []IPPermission             `xml:"unknownIpPermissionSet,omitempty"`
	RevokedSecurityGroupRules []RevokedSecurityGroupRule `xml:"revokedSecurityGroupRuleSet,omitempty"`
}

// DescribeSecurityGroupRulesResponse is DescribeSecurityGroupRules' output.
type DescribeSecurityGroupRulesResponse struct {
	SecurityGroupRules []SecurityGroupRule `xml:"securityGroupRuleSet"`
	NextToken          string              `xml:"nextToken,omitempty"`
}

// ProcessorInfo is an instance type's `processorInfo`.
type ProcessorInfo struct {
	SupportedArchitectures   []string `xml:"supportedArchitectures"`
	SustainedClockSpeedInGhz float64  `xml:"sustainedClockSpeedInGhz,omitempty"`
	Manufacturer             string   `xml:"manufacturer,omitempty"`
}

// VCPUInfo is an instance type's `vCpuInfo`.
type VCPUInfo struct {
	DefaultVCPUs          int   `xml:"defaultVCpus"`
	DefaultCores          int   `xml:"defaultCores"`
	DefaultThreadsPerCore int   `xml:"defaultThreadsPerCore"`
	ValidCores            []int `xml:"validCores,omitempty"`
	ValidThreadsPerCore   []int `xml:"validThreadsPerCore,omitempty"`
}

// MemoryInfo is an instance type's `memoryInfo`.
type MemoryInfo struct {
	SizeInMiB int64 `xml:"sizeInMiB"`
}

// EbsInfo is an instance type's `ebsInfo`.
type EbsInfo struct {
	EbsOptimizedSupport string `xml:"ebsOptimizedSupport"`
	EncryptionSupport   string `xml:"encryptionSupport"`
	NvmeSupport         string `xml:"nvmeSupport"`
}

// NetworkInfo is an instance type's `networkInfo`.
type NetworkInfo struct {
	NetworkPerformance        string `xml:"networkPerformance"`
	MaximumNetworkInterfaces  int    `xml:"maximumNetworkInterfaces"`
	MaximumNetworkCards       int    `xml:"maximumNetworkCards"`
	DefaultNetworkCardIndex   int    `xml:"defaultNetworkCardIndex"`
	Ipv4AddressesPerInterface int    `xml:"ipv4AddressesPerInterface"`
	Ipv6AddressesPerInterface int    `xml:"ipv6AddressesPerInterface"`
	Ipv6Supported             bool   `xml:"ipv6Supported"`
	EnaSupport                string `xml:"enaSupport"`
	EfaSupported              bool   `xml:"efaSupported"`
}

// PlacementGroupInfo is an instance type's `placementGroupInfo`.
type PlacementGroupInfo struct {
	SupportedStrategies []string `xml:"supportedStrategies"`
}

// InstanceTypeInfo is an item of `instanceTypeSet`.
type InstanceTypeInfo struct {
	InstanceType                  string             `xml:"instanceType"`
	CurrentGeneration             bool               `xml:"currentGeneration"`
	FreeTierEligible              bool               `xml:"freeTierEligible"`
	SupportedUsageClasses         []string           `xml:"supportedUsageClasses"`
	SupportedRootDeviceTypes      []string           `xml:"supportedRootDeviceTypes"`
	SupportedVirtualizationTypes  []string           `xml:"supportedVirtualizationTypes"`
	BareMetal                     bool               `xml:"bareMetal"`
	Hypervisor                    string             `xml:"hypervisor,omitempty"`
	ProcessorInfo                 ProcessorInfo      `xml:"processorInfo"`
	VCPUInfo                      VCPUInfo           `xml:"vCpuInfo"`
	MemoryInfo                    MemoryInfo         `xml:"memoryInfo"`
	InstanceStorageSupported      bool               `xml:"instanceStorageSupported"`
	EbsInfo                       EbsInfo            `xml:"ebsInfo"`
	NetworkInfo                   NetworkInfo        `xml:"networkInfo"`
	PlacementGroupInfo            PlacementGroupInfo `xml:"placementGroupInfo"`
	HibernationSupported          bool               `xml:"hibernationSupported"`
	BurstablePerformanceSupported bool               `xml:"burstablePerformanceSupported"`
	DedicatedHostsSupported       bool               `xml:"dedicatedHostsSupported"`
	AutoRecoverySupported         bool               `xml:"autoRecoverySupported"`
	SupportedBootModes            []string           `xml:"supportedBootModes"`
}

// DescribeInstanceTypesResponse is DescribeInstanceTypes' output.
type DescribeInstanceTypesResponse struct {
	InstanceTypes []InstanceTypeInfo `xml:"instanceTypeSet"`
	NextToken     string             `xml:"nextToken,omitempty"`
}

// InstanceTypeOffering is an item of `instanceTypeOfferingSet`.
type InstanceTypeOffering struct {
	InstanceType string `xml:"instanceType"`
	LocationType string `xml:"locationType"`
	Location     string `xml:"location"`
}

// DescribeInstanceTypeOfferingsResponse is DescribeInstanceTypeOfferings' output.
type DescribeInstanceTypeOfferingsResponse struct {
	InstanceTypeOfferings []InstanceTypeOffering `xml:"instanceTypeOfferingSet"`
	NextToken             string                 `xml:"nextToken,omitempty"`
}
