package xmlproto

import "time"

// This file holds the EC2 request and response shapes the emulator speaks,
// named as in the 2016-11-15 API model. Request fields carry the wire key
// (`ec2` tag, singular for lists); response fields carry the element name
// exactly as AWS spells it (`xml` tag).

// Filter is one `Filter.N` of a Describe call: values are ORed, filters ANDed.
type Filter struct {
	Name   string   `ec2:"Name"`
	Values []string `ec2:"Value"`
}

// Tag is a key/value pair on the wire, both in requests and responses.
type Tag struct {
	Key   string `ec2:"Key" xml:"key"`
	Value string `ec2:"Value" xml:"value"`
}

// TagSpecification tags resources created by the call.
type TagSpecification struct {
	ResourceType string `ec2:"ResourceType"`
	Tags         []Tag  `ec2:"Tag"`
}

// Placement is RunInstances' Placement.*.
type Placement struct {
	AvailabilityZone     string `ec2:"AvailabilityZone" xml:"availabilityZone"`
	Affinity             string `ec2:"Affinity" xml:"affinity,omitempty"`
	GroupName            string `ec2:"GroupName" xml:"groupName"`
	PartitionNumber      *int   `ec2:"PartitionNumber" xml:"partitionNumber"`
	HostID               string `ec2:"HostId" xml:"hostId,omitempty"`
	Tenancy              string `ec2:"Tenancy" xml:"tenancy"`
	HostResourceGroupArn string `ec2:"HostResourceGroupArn" xml:"hostResourceGroupArn,omitempty"`
}

// EbsBlockDevice is BlockDeviceMapping.N.Ebs.* in requests.
type EbsBlockDevice struct {
	VolumeSize          *int   `ec2:"VolumeSize"`
	VolumeType          string `ec2:"VolumeType"`
	Iops                *int   `ec2:"Iops"`
	Throughput          *int   `ec2:"Throughput"`
	SnapshotID          string `ec2:"SnapshotId"`
	DeleteOnTermination *bool  `ec2:"DeleteOnTermination"`
	Encrypted           *bool  `ec2:"Encrypted"`
	KmsKeyID            string `ec2:"KmsKeyId"`
}

// BlockDeviceMappingRequest is BlockDeviceMapping.N in requests.
type BlockDeviceMappingRequest struct {
	DeviceName  string          `ec2:"DeviceName"`
	VirtualName string          `ec2:"VirtualName"`
	NoDevice    *string         `ec2:"NoDevice"`
	Ebs         *EbsBlockDevice `ec2:"Ebs"`
}

// NetworkInterfaceRequest is RunInstances' NetworkInterface.N.
type NetworkInterfaceRequest struct {
	DeviceIndex              *int     `ec2:"DeviceIndex"`
	SubnetID                 string   `ec2:"SubnetId"`
	NetworkInterfaceID       string   `ec2:"NetworkInterfaceId"`
	SecurityGroupIDs         []string `ec2:"SecurityGroupId"`
	AssociatePublicIPAddress *bool    `ec2:"AssociatePublicIpAddress"`
	PrivateIPAddress         string   `ec2:"PrivateIpAddress"`
	PrivateIPAddresses       []struct {
		PrivateIPAddress string `ec2:"PrivateIpAddress"`
		Primary          *bool  `ec2:"Primary"`
	} `ec2:"PrivateIpAddresses"`
	DeleteOnTermination *bool  `ec2:"DeleteOnTermination"`
	Description         string `ec2:"Description"`
}

// RunInstancesRequest is RunInstances' input.
type RunInstancesRequest struct {
	DryRun              bool                        `ec2:"DryRun"`
	ImageID             string                      `ec2:"ImageId"`
	MinCount            *int                        `ec2:"MinCount"`
	MaxCount            *int                        `ec2:"MaxCount"`
	KeyName             string                      `ec2:"KeyName"`
	UserData            *string                     `ec2:"UserData"` // base64; decoded by the Server for its own error code
	InstanceType        string                      `ec2:"InstanceType"`
	TagSpecifications   []TagSpecification          `ec2:"TagSpecification"`
	ClientToken         string                      `ec2:"ClientToken"`
	Placement           *Placement                  `ec2:"Placement"`
	SecurityGroupIDs    []string                    `ec2:"SecurityGroupId"`
	SecurityGroups      []string                    `ec2:"SecurityGroup"`
	SubnetID            string                      `ec2:"SubnetId"`
	PrivateIPAddress    string                      `ec2:"PrivateIpAddress"`
	BlockDeviceMappings []BlockDeviceMappingRequest `ec2:"BlockDeviceMapping"`
	NetworkInterfaces   []NetworkInterfaceRequest   `ec2:"NetworkInterface"`
	Monitoring          *struct {
		Enabled *bool `ec2:"Enabled"`
	} `ec2:"Monitoring"`
	DisableAPITermination             *bool  `ec2:"DisableApiTermination"`
	DisableAPIStop                    *bool  `ec2:"DisableApiStop"`
	InstanceInitiatedShutdownBehavior string `ec2:"InstanceInitiatedShutdownBehavior"`
	EbsOptimized                      *bool  `ec2:"EbsOptimized"`
}

// InstanceIDsRequest is the input of Start/Stop/Terminate/RebootInstances.
type InstanceIDsRequest struct {
	DryRun      bool     `ec2:"DryRun"`
	InstanceIDs []string `ec2:"InstanceId"`
	Force       bool     `ec2:"Force"`
	Hibernate   bool     `ec2:"Hibernate"`
}

// DescribeInstancesRequest is DescribeInstances' input.
type DescribeInstancesRequest struct {
	DryRun      bool     `ec2:"DryRun"`
	InstanceIDs []string `ec2:"InstanceId"`
	Filters     []Filter `ec2:"Filter"`
	MaxResults  *int     `ec2:"MaxResults"`
	NextToken   string   `ec2:"NextToken"`
}

// DescribeInstanceStatusRequest is DescribeInstanceStatus' input.
type DescribeInstanceStatusRequest struct {
	DryRun              bool     `ec2:"DryRun"`
	InstanceIDs         []string `ec2:"InstanceId"`
	Filters             []Filter `ec2:"Filter"`
	IncludeAllInstances bool     `ec2:"IncludeAllInstances"`
	MaxResults          *int     `ec2:"MaxResults"`
	NextToken           string   `ec2:"NextToken"`
}

// CreateImageRequest is CreateImage's input.
type CreateImageRequest struct {
	DryRun              bool                        `ec2:"DryRun"`
	InstanceID          string                      `ec2:"InstanceId"`
	Name                *string                     `ec2:"Name"`
	Description         string                      `ec2:"Description"`
	NoReboot            bool                        `ec2:"NoReboot"`
	BlockDeviceMappings []BlockDeviceMappingRequest `ec2:"BlockDeviceMapping"`
	TagSpecifications   []TagSpecification          `ec2:"TagSpecification"`
}

// DescribeImagesRequest is DescribeImages' input.
type DescribeImagesRequest struct {
	DryRun            bool     `ec2:"DryRun"`
	ImageIDs          []string `ec2:"ImageId"`
	Owners            []string `ec2:"Owner"`
	ExecutableUsers   []string `ec2:"ExecutableBy"`
	Filters           []Filter `ec2:"Filter"`
	IncludeDeprecated bool     `ec2:"IncludeDeprecated"`
	IncludeDisabled   bool     `ec2:"IncludeDisabled"`
	MaxResults        *int     `ec2:"MaxResults"`
	NextToken         string   `ec2:"NextToken"`
}

// DeregisterImageRequest is DeregisterImage's input.
type DeregisterImageRequest struct {
	DryRun  bool   `ec2:"DryRun"`
	ImageID string `ec2:"ImageId"`
}

// KeyPairRequest is the input of CreateKeyPair, ImportKeyPair and
// DeleteKeyPair.
type KeyPairRequest struct {
	DryRun            bool               `ec2:"DryRun"`
	KeyName           string             `ec2:"KeyName"`
	KeyPairID         string             `ec2:"KeyPairId"`
	KeyType           string             `ec2:"KeyType"`
	KeyFormat         string             `ec2:"KeyFormat"`
	PublicKeyMaterial *string            `ec2:"PublicKeyMaterial"`
	TagSpecifications []TagSpecification `ec2:"TagSpecification"`
}

// DescribeKeyPairsRequest is DescribeKeyPairs' input.
type DescribeKeyPairsRequest struct {
	DryRun           bool     `ec2:"DryRun"`
	KeyNames         []string `ec2:"KeyName"`
	KeyPairIDs       []string `ec2:"KeyPairId"`
	Filters          []Filter `ec2:"Filter"`
	IncludePublicKey bool     `ec2:"IncludePublicKey"`
}

// TagsRequest is the input of CreateTags and DeleteTags.
type TagsRequest struct {
	DryRun      bool     `ec2:"DryRun"`
	ResourceIDs []string `ec2:"ResourceId"`
	Tags        []struct {
		Key   string  `ec2:"Key"`
		Value *string `ec2:"Value"`
	} `ec2:"Tag"`
}

// DescribeTagsRequest is DescribeTags' input.
type DescribeTagsRequest struct {
	DryRun     bool     `ec2:"DryRun"`
	Filters    []Filter `ec2:"Filter"`
	MaxResults *int     `ec2:"MaxResults"`
	NextToken  string   `ec2:"NextToken"`
}

// DescribeRegionsRequest is DescribeRegions' input.
type DescribeRegionsRequest struct {
	DryRun      bool     `ec2:"DryRun"`
	RegionNames []string `ec2:"RegionName"`
	Filters     []Filter `ec2:"Filter"`
	AllRegions  bool     `ec2:"AllRegions"`
}

// DescribeAvailabilityZonesRequest is DescribeAvailabilityZones' input.
type DescribeAvailabilityZonesRequest struct {
	DryRun    bool     `ec2:"DryRun"`
	ZoneNames []string `ec2:"ZoneName"`
	ZoneIDs   []string `ec2:"ZoneId"`
	Filters   []Filter `ec2:"Filter"`
	AllZones  bool     `ec2:"AllAvailabilityZones"`
}

// GetConsoleOutputRequest is GetConsoleOutput's input.
type GetConsoleOutputRequest struct {
	DryRun     bool   `ec2:"DryRun"`
	InstanceID string `ec2:"InstanceId"`
	Latest     bool   `ec2:"Latest"`
}

// ---- responses ----

// InstanceState is `instanceState`, `currentState`, `previousState`.
type InstanceState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

// StateReason is `stateReason`.
type StateReason struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

// GroupIdentifier is an item of `groupSet`.
type GroupIdentifier struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

// Monitoring is `monitoring`.
type Monitoring struct {
	State string `xml:"state"`
}

// EbsInstanceBlockDevice is `blockDeviceMapping/item/ebs` of an instance.
type EbsInstanceBlockDevice struct {
	VolumeID            string    `xml:"volumeId"`
	Status              string    `xml:"status"`
	AttachTime          time.Time `xml:"attachTime"`
	DeleteOnTermination bool      `xml:"deleteOnTermination"`
}

// InstanceBlockDeviceMapping is an item of an instance's `blockDeviceMapping`.
type InstanceBlockDeviceMapping struct {
	DeviceName string                 `xml:"deviceName"`
	Ebs        EbsInstanceBlockDevice `xml:"ebs"`
}

// Instance is an item of `instancesSet`.
type Instance struct {
	InstanceID            string                       `xml:"instanceId"`
	ImageID               string                       `xml:"imageId"`
	State                 InstanceState                `xml:"instanceState"`
	PrivateDNSName        string                       `xml:"privateDnsName"`
	PublicDNSName         string                       `xml:"dnsName"`
	Reason                string                       `xml:"reason"`
	KeyName               string                       `xml:"keyName,omitempty"`
	AmiLaunchIndex        int                          `xml:"amiLaunchIndex"`
	ProductCodes          []struct{}                   `xml:"productCodes"`
	InstanceType          string                       `xml:"instanceType"`
	LaunchTime            time.Time                    `xml:"launchTime"`
	Placement             Placement                    `xml:"placement"`
	Monitoring            Monitoring                   `xml:"monitoring"`
	SubnetID              string                       `xml:"subnetId,omitempty"`
	VpcID                 string                       `xml:"vpcId,omitempty"`
	PrivateIPAddress      string                       `xml:"privateIpAddress,omitempty"`
	PublicIPAddress       string                       `xml:"ipAddress,omitempty"`
	SourceDestCheck       *bool                        `xml:"sourceDestCheck"`
	Groups                []GroupIdentifier            `xml:"groupSet"`
	StateReason           *StateReason                 `xml:"stateReason"`
	Architecture          string                       `xml:"architecture,omitempty"`
	RootDeviceType        string                       `xml:"rootDeviceType"`
	RootDeviceName        string                       `xml:"rootDeviceName,omitempty"`
	BlockDeviceMappings   []InstanceBlockDeviceMapping `xml:"blockDeviceMapping"`
	InstanceLifecycle     string                       `xml:"instanceLifecycle,omitempty"`
	SpotInstanceRequestID string                       `xml:"spotInstanceRequestId,omitempty"`
	VirtualizationType    string                       `xml:"virtualizationType"`
	ClientToken           string                       `xml:"clientToken,omitempty"`
	Tags                  []Tag                        `xml:"tagSet,omitempty"`
	Hypervisor            string                       `xml:"hypervisor"`
	NetworkInterfaces     []InstanceNetworkInterface   `xml:"networkInterfaceSet"`
	EbsOptimized          bool                         `xml:"ebsOptimized"`
	EnaSupport            bool                         `xml:"enaSupport"`
	MetadataOptions       *MetadataOptions             `xml:"metadataOptions"`
	MaintenanceOptions    *InstanceMaintenanceOptions  `xml:"maintenanceOptions"`
	BootMode              string                       `xml:"currentInstanceBootMode,omitempty"`
	PlatformDetails       string                       `xml:"platformDetails,omitempty"`
	UsageOperation        string                       `xml:"usageOperation,omitempty"`
	PrivateDNSNameOptions *PrivateDNSNameOptions       `xml:"privateDnsNameOptions"`
	IamInstanceProfile    *IamInstanceProfile          `xml:"iamInstanceProfile"`
	CPUOptions            *CPUOptions                  `xml:"cpuOptions"`
	HibernationOptions    *HibernationOptions          `xml:"hibernationOptions"`
	EnclaveOptions        *EnclaveOptions              `xml:"enclaveOptions"`
}

// CPUOptions is an instance's `cpuOptions` and RunInstances' CpuOptions.
type CPUOptions struct {
	CoreCount      *int `ec2:"CoreCount" xml:"coreCount"`
	ThreadsPerCore *int `ec2:"ThreadsPerCore" xml:"threadsPerCore"`
}

// HibernationOptions is an instance's `hibernationOptions` and
// RunInstances' HibernationOptions.
type HibernationOptions struct {
	Configured *bool `ec2:"Configured" xml:"configured"`
}

// MetadataOptions is an instance's `metadataOptions`.
type MetadataOptions struct {
	State                   string `xml:"state"`
	HTTPTokens              string `xml:"httpTokens"`
	HTTPPutResponseHopLimit int    `xml:"httpPutResponseHopLimit"`
	HTTPEndpoint            string `xml:"httpEndpoint"`
	HTTPProtocolIPv6        string `xml:"httpProtocolIpv6"`
	InstanceMetadataTags    string `xml:"instanceMetadataTags"`
}

// PrivateDNSNameOptions is an instance's `privateDnsNameOptions`.
type PrivateDNSNameOptions struct {
	HostnameType                    string `xml:"hostnameType"`
	EnableResourceNameDNSARecord    bool   `xml:"enableResourceNameDnsARecord"`
	EnableResourceNameDNSAAAARecord bool   `xml:"enableResourceNameDnsAAAARecord"`
}

// InstanceNetworkInterface is an item of `networkInterfaceSet`.
type InstanceNetworkInterface struct {
	NetworkInterfaceID string                     `xml:"networkInterfaceId"`
	SubnetID           string                     `xml:"subnetId"`
	VpcID              string                     `xml:"vpcId"`
	Description        string                     `xml:"description"`
	OwnerID            string                     `xml:"ownerId"`
	Status             string                     `xml:"status"`
	MacAddress         string                     `xml:"macAddress"`
	PrivateIPAddress   string                     `xml:"privateIpAddress"`
	PrivateDNSName     string                     `xml:"privateDnsName"`
	SourceDestCheck    bool                       `xml:"sourceDestCheck"`
	Groups             []GroupIdentifier          `xml:"groupSet"`
	Attachment         NetworkInterfaceAttachment `xml:"attachment"`
	PrivateIPAddresses []InstancePrivateIPAddress `xml:"privateIpAddressesSet"`
	Association        *NICAssociation            `xml:"association"`
	InterfaceType      string                     `xml:"interfaceType"`
}

// NetworkInterfaceAttachment is a network interface's `attachment`.
type NetworkInterfaceAttachment struct {
	AttachmentID        string    `xml:"attachmentId"`
	DeviceIndex         int       `xml:"deviceIndex"`
	Status              string    `xml:"status"`
	AttachTime          time.Time `xml:"attachTime"`
	DeleteOnTermination bool      `xml:"deleteOnTermination"`
	NetworkCardIndex    int       `xml:"networkCardIndex"`
}

// InstancePrivateIPAddress is an item of `privateIpAddressesSet`.
type InstancePrivateIPAddress struct {
	PrivateIPAddress string          `xml:"privateIpAddress"`
	PrivateDNSName   string          `xml:"privateDnsName"`
	Primary          bool            `xml:"primary"`
	Association      *NICAssociation `xml:"association"`
}

// Reservation is RunInstances' output and an item of `reservationSet`.
type Reservation struct {
	ReservationID string            `xml:"reservationId"`
	OwnerID       string            `xml:"ownerId"`
	Groups        []GroupIdentifier `xml:"groupSet"`
	Instances     []Instance        `xml:"instancesSet"`
}

// DescribeInstancesResponse is DescribeInstances' output.
type DescribeInstancesResponse struct {
	Reservations []Reservation `xml:"reservationSet"`
	NextToken    string        `xml:"nextToken,omitempty"`
}

// InstanceStateChange is an item of Start/Stop/TerminateInstances' output.
type InstanceStateChange struct {
	InstanceID    string        `xml:"instanceId"`
	CurrentState  InstanceState `xml:"currentState"`
	PreviousState InstanceState `xml:"previousState"`
}

// InstanceStateChanges is Start/Stop/TerminateInstances' output.
type InstanceStateChanges struct {
	Instances []InstanceStateChange `xml:"instancesSet"`
}

// Return is the `<return>true</return>` output of RebootInstances,
// DeregisterImage, CreateTags and friends.
type Return struct {
	Return bool `xml:"return"`
}

// StatusDetail is an item of a status's `details`.
type StatusDetail struct {
	Name   string `xml:"name"`
	Status string `xml:"status"`
}

// StatusSummary is `systemStatus` / `instanceStatus`.
type StatusSummary struct {
	Status  string         `xml:"status"`
	Details []StatusDetail `xml:"details,omitempty"`
}

// InstanceStatus is an item of `instanceStatusSet`.
type InstanceStatus struct {
	InstanceID       string        `xml:"instanceId"`
	AvailabilityZone string        `xml:"availabilityZone"`
	InstanceState    InstanceState `xml:"instanceState"`
	SystemStatus     StatusSummary `xml:"systemStatus"`
	InstanceStatus   StatusSummary `xml:"instanceStatus"`
	Events           []struct{}    `xml:"eventsSet"`
}

// DescribeInstanceStatusResponse is DescribeInstanceStatus' output.
type DescribeInstanceStatusResponse struct {
	InstanceStatuses []InstanceStatus `xml:"instanceStatusSet"`
	NextToken        string           `xml:"nextToken,omitempty"`
}

// CreateImageResponse is CreateImage's output.
type CreateImageResponse struct {
	ImageID string `xml:"imageId"`
}

// EbsImageBlockDevice is `blockDeviceMapping/item/ebs` of an image.
type EbsImageBlockDevice struct {
	SnapshotID          string `xml:"snapshotId"`
	VolumeSize          int    `xml:"volumeSize"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
	VolumeType          string `xml:"volumeType"`
	Encrypted           bool   `xml:"encrypted"`
}

// ImageBlockDeviceMapping is an item of an image's `blockDeviceMapping`.
type ImageBlockDeviceMapping struct {
	DeviceName string              `xml:"deviceName"`
	Ebs        EbsImageBlockDevice `xml:"ebs"`
}

// Image is an item of `imagesSet`.
type Image struct {
	ImageID             string                    `xml:"imageId"`
	ImageLocation       string                    `xml:"imageLocation"`
	State               string                    `xml:"imageState"`
	OwnerID             string                    `xml:"imageOwnerId"`
	CreationDate        string                    `xml:"creationDate"`
	Public              bool                      `xml:"isPublic"`
	Architecture        string                    `xml:"architecture"`
	ImageType           string                    `xml:"imageType"`
	ImageOwnerAlias     string                    `xml:"imageOwnerAlias,omitempty"`
	Name                string                    `xml:"name"`
	Description         string                    `xml:"description,omitempty"`
	RootDeviceType      string                    `xml:"rootDeviceType"`
	RootDeviceName      string                    `xml:"rootDeviceName"`
	BlockDeviceMappings []ImageBlockDeviceMapping `xml:"blockDeviceMapping"`
	VirtualizationType  string                    `xml:"virtualizationType"`
	Tags                []Tag                     `xml:"tagSet,omitempty"`
	Hypervisor          string                    `xml:"hypervisor"`
	EnaSupport          bool                      `xml:"enaSupport"`
	PlatformDetails     string                    `xml:"platformDetails"`
	UsageOperation      string                    `xml:"usageOperation"`
	BootMode            string                    `xml:"bootMode,omitempty"`
	StateReason         *StateReason              `xml:"stateReason"`
}

// DescribeImagesResponse is DescribeImages' output.
type DescribeImagesResponse struct {
	Images    []Image `xml:"imagesSet"`
	NextToken string  `xml:"nextToken,omitempty"`
}

// KeyPair is CreateKeyPair's and ImportKeyPair's output.
type KeyPair struct {
	KeyPairID      string `xml:"keyPairId"`
	KeyName        string `xml:"keyName"`
	KeyFingerprint string `xml:"keyFingerprint"`
	KeyMaterial    string `xml:"keyMaterial,omitempty"`
	Tags           []Tag  `xml:"tagSet,omitempty"`
}

// KeyPairInfo is an item of `keySet`.
type KeyPairInfo struct {
	KeyPairID      string    `xml:"keyPairId"`
	KeyType        string    `xml:"keyType"`
	Tags           []Tag     `xml:"tagSet,omitempty"`
	PublicKey      string    `xml:"publicKey,omitempty"`
	CreateTime     time.Time `xml:"createTime"`
	KeyName        string    `xml:"keyName"`
	KeyFingerprint string    `xml:"keyFingerprint"`
}

// DescribeKeyPairsResponse is DescribeKeyPairs' output.
type DescribeKeyPairsResponse struct {
	KeyPairs []KeyPairInfo `xml:"keySet"`
}

// DeleteKeyPairResponse is DeleteKeyPair's output.
type DeleteKeyPairResponse struct {
	Return    bool   `xml:"return"`
	KeyPairID string `xml:"keyPairId,omitempty"`
}

// TagDescription is an item of DescribeTags' `tagSet`.
type TagDescription struct {
	ResourceID   string `xml:"resourceId"`
	ResourceType string `xml:"resourceType"`
	Key          string `xml:"key"`
	Value        string `xml:"value"`
}

// DescribeTagsResponse is DescribeTags' output.
type DescribeTagsResponse struct {
	Tags      []TagDescription `xml:"tagSet"`
	NextToken string           `xml:"nextToken,omitempty"`
}

// Region is an item of `regionInfo`.
type Region struct {
	RegionName  string `xml:"regionName"`
	Endpoint    string `xml:"regionEndpoint"`
	OptInStatus string `xml:"optInStatus"`
}

// DescribeRegionsResponse is DescribeRegions' output.
type DescribeRegionsResponse struct {
	Regions []Region `xml:"regionInfo"`
}

// AvailabilityZone is an item of `availabilityZoneInfo`.
type AvailabilityZone struct {
	ZoneName           string     `xml:"zoneName"`
	State              string     `xml:"zoneState"`
	RegionName         string     `xml:"regionName"`
	Messages           []struct{} `xml:"messageSet"`
	ZoneID             string     `xml:"zoneId"`
	ZoneType           string     `xml:"zoneType"`
	OptInStatus        string     `xml:"optInStatus"`
	GroupName          string     `xml:"groupName"`
	NetworkBorderGroup string     `xml:"networkBorderGroup"`
}

// DescribeAvailabilityZonesResponse is DescribeAvailabilityZones' output.
type DescribeAvailabilityZonesResponse struct {
	AvailabilityZones []AvailabilityZone `xml:"availabilityZoneInfo"`
}

// GetConsoleOutputResponse is GetConsoleOutput's output.
type GetConsoleOutputResponse struct {
	InstanceID string    `xml:"instanceId"`
	Timestamp  time.Time `xml:"timestamp"`
	Output     string    `xml:"output"`
}
