package xmlproto

import "time"

// Shapes of the launch-template actions, named as in the 2016-11-15 API
// model. LaunchTemplateData is both the request's
// RequestLaunchTemplateData (its ec2 tags, the wire keys under
// LaunchTemplateData.) and the answer's ResponseLaunchTemplateData (its xml
// tags): the two differ only in names.

// LaunchTemplateData is the launch parameters a template version holds.
type LaunchTemplateData struct {
	KernelID                          string                             `ec2:"KernelId" xml:"kernelId,omitempty"`
	EbsOptimized                      *bool                              `ec2:"EbsOptimized" xml:"ebsOptimized"`
	IamInstanceProfile                *LaunchTemplateIamInstanceProfile  `ec2:"IamInstanceProfile" xml:"iamInstanceProfile"`
	BlockDeviceMappings               []LaunchTemplateBlockDeviceMapping `ec2:"BlockDeviceMapping" xml:"blockDeviceMappingSet,omitempty"`
	NetworkInterfaces                 []LaunchTemplateNetworkInterface   `ec2:"NetworkInterface" xml:"networkInterfaceSet,omitempty"`
	ImageID                           string                             `ec2:"ImageId" xml:"imageId,omitempty"`
	InstanceType                      string                             `ec2:"InstanceType" xml:"instanceType,omitempty"`
	KeyName                           string                             `ec2:"KeyName" xml:"keyName,omitempty"`
	Monitoring                        *LaunchTemplateEnabled             `ec2:"Monitoring" xml:"monitoring"`
	Placement                         *LaunchTemplatePlacement           `ec2:"Placement" xml:"placement"`
	RamDiskID                         string                             `ec2:"RamDiskId" xml:"ramDiskId,omitempty"`
	DisableAPITermination             *bool                              `ec2:"DisableApiTermination" xml:"disableApiTermination"`
	InstanceInitiatedShutdownBehavior string                             `ec2:"InstanceInitiatedShutdownBehavior" xml:"instanceInitiatedShutdownBehavior,omitempty"`
	UserData                          string                             `ec2:"UserData" xml:"userData,omitempty"`
	TagSpecifications                 []LaunchTemplateTagSpecification   `ec2:"TagSpecification" xml:"tagSpecificationSet,omitempty"`
	SecurityGroupIDs                  []string                           `ec2:"SecurityGroupId" xml:"securityGroupIdSet,omitempty"`
	SecurityGroups                    []string                           `ec2:"SecurityGroup" xml:"securityGroupSet,omitempty"`
	InstanceMarketOptions             *LaunchTemplateMarketOptions       `ec2:"InstanceMarketOptions" xml:"instanceMarketOptions"`
	CreditSpecification               *CreditSpecificationRequest        `ec2:"CreditSpecification" xml:"creditSpecification"`
	CPUOptions                        *LaunchTemplateCPUOptions          `ec2:"CpuOptions" xml:"cpuOptions"`
	CapacityReservationSpecification  *LaunchTemplateCapacityReservation `ec2:"CapacityReservationSpecification" xml:"capacityReservationSpecification"`
	HibernationOptions                *LaunchTemplateHibernationOptions  `ec2:"HibernationOptions" xml:"hibernationOptions"`
	MetadataOptions                   *LaunchTemplateMetadataOptions     `ec2:"MetadataOptions" xml:"metadataOptions"`
	EnclaveOptions                    *LaunchTemplateEnabled             `ec2:"EnclaveOptions" xml:"enclaveOptions"`
	PrivateDNSNameOptions             *LaunchTemplatePrivateDNSName      `ec2:"PrivateDnsNameOptions" xml:"privateDnsNameOptions"`
	MaintenanceOptions                *LaunchTemplateMaintenanceOptions  `ec2:"MaintenanceOptions" xml:"maintenanceOptions"`
	DisableAPIStop                    *bool                              `ec2:"DisableApiStop" xml:"disableApiStop"`
}

// LaunchTemplateIamInstanceProfile names an instance profile by ARN or name.
type LaunchTemplateIamInstanceProfile struct {
	Arn  string `ec2:"Arn" xml:"arn,omitempty"`
	Name string `ec2:"Name" xml:"name,omitempty"`
}

// LaunchTemplateBlockDeviceMapping is one block device of a template.
type LaunchTemplateBlockDeviceMapping struct {
	DeviceName  string                   `ec2:"DeviceName" xml:"deviceName,omitempty"`
	VirtualName string                   `ec2:"VirtualName" xml:"virtualName,omitempty"`
	Ebs         *LaunchTemplateEbsDevice `ec2:"Ebs" xml:"ebs"`
	NoDevice    *string                  `ec2:"NoDevice" xml:"noDevice"`
}

// LaunchTemplateEbsDevice is a template block device's EBS volume.
type LaunchTemplateEbsDevice struct {
	Encrypted           *bool  `ec2:"Encrypted" xml:"encrypted"`
	DeleteOnTermination *bool  `ec2:"DeleteOnTermination" xml:"deleteOnTermination"`
	Iops                *int   `ec2:"Iops" xml:"iops"`
	KmsKeyID            string `ec2:"KmsKeyId" xml:"kmsKeyId,omitempty"`
	SnapshotID          string `ec2:"SnapshotId" xml:"snapshotId,omitempty"`
	VolumeSize          *int   `ec2:"VolumeSize" xml:"volumeSize"`
	VolumeType          string `ec2:"VolumeType" xml:"volumeType,omitempty"`
	Throughput          *int   `ec2:"Throughput" xml:"throughput"`
}

// LaunchTemplateNetworkInterface is one network interface of a template.
type LaunchTemplateNetworkInterface struct {
	AssociatePublicIPAddress       *bool    `ec2:"AssociatePublicIpAddress" xml:"associatePublicIpAddress"`
	DeleteOnTermination            *bool    `ec2:"DeleteOnTermination" xml:"deleteOnTermination"`
	Description                    string   `ec2:"Description" xml:"description,omitempty"`
	DeviceIndex                    *int     `ec2:"DeviceIndex" xml:"deviceIndex"`
	Groups                         []string `ec2:"SecurityGroupId" xml:"groupSet,omitempty" xmlmember:"groupId"`
	InterfaceType                  string   `ec2:"InterfaceType" xml:"interfaceType,omitempty"`
	NetworkInterfaceID             string   `ec2:"NetworkInterfaceId" xml:"networkInterfaceId,omitempty"`
	PrivateIPAddress               string   `ec2:"PrivateIpAddress" xml:"privateIpAddress,omitempty"`
	SecondaryPrivateIPAddressCount *int     `ec2:"SecondaryPrivateIpAddressCount" xml:"secondaryPrivateIpAddressCount"`
	SubnetID                       string   `ec2:"SubnetId" xml:"subnetId,omitempty"`
	NetworkCardIndex               *int     `ec2:"NetworkCardIndex" xml:"networkCardIndex"`
}

// LaunchTemplateEnabled is the shape of Monitoring and EnclaveOptions.
type LaunchTemplateEnabled struct {
	Enabled *bool `ec2:"Enabled" xml:"enabled"`
}

// LaunchTemplatePlacement is a template's placement.
type LaunchTemplatePlacement struct {
	AvailabilityZone     string `ec2:"AvailabilityZone" xml:"availabilityZone,omitempty"`
	AvailabilityZoneID   string `ec2:"AvailabilityZoneId" xml:"availabilityZoneId,omitempty"`
	Affinity             string `ec2:"Affinity" xml:"affinity,omitempty"`
	GroupName            string `ec2:"GroupName" xml:"groupName,omitempty"`
	HostID               string `ec2:"HostId" xml:"hostId,omitempty"`
	Tenancy              string `ec2:"Tenancy" xml:"tenancy,omitempty"`
	SpreadDomain         string `ec2:"SpreadDomain" xml:"spreadDomain,omitempty"`
	HostResourceGroupArn string `ec2:"HostResourceGroupArn" xml:"hostResourceGroupArn,omitempty"`
	PartitionNumber      *int   `ec2:"PartitionNumber" xml:"partitionNumber"`
	GroupID              string `ec2:"GroupId" xml:"groupId,omitempty"`
}

// LaunchTemplateTagSpecification is the tags a template gives one kind of
// resource an instance launch creates.
type LaunchTemplateTagSpecification struct {
	ResourceType string `ec2:"ResourceType" xml:"resourceType,omitempty"`
	Tags         []Tag  `ec2:"Tag" xml:"tagSet,omitempty"`
}

// LaunchTemplateMarketOptions is a template's InstanceMarketOptions.
type LaunchTemplateMarketOptions struct {
	MarketType  string                     `ec2:"MarketType" xml:"marketType,omitempty"`
	SpotOptions *LaunchTemplateSpotOptions `ec2:"SpotOptions" xml:"spotOptions"`
}

// LaunchTemplateSpotOptions is InstanceMarketOptions.SpotOptions.
type LaunchTemplateSpotOptions struct {
	MaxPrice                     string `ec2:"MaxPrice" xml:"maxPrice,omitempty"`
	SpotInstanceType             string `ec2:"SpotInstanceType" xml:"spotInstanceType,omitempty"`
	InstanceInterruptionBehavior string `ec2:"InstanceInterruptionBehavior" xml:"instanceInterruptionBehavior,omitempty"`
}

// LaunchTemplateCPUOptions is a template's CpuOptions.
type LaunchTemplateCPUOptions struct {
	CoreCount      *int `ec2:"CoreCount" xml:"coreCount"`
	ThreadsPerCore *int `ec2:"ThreadsPerCore" xml:"threadsPerCore"`
}

// LaunchTemplateCapacityReservation is a template's
// CapacityReservationSpecification (the preference only).
type LaunchTemplateCapacityReservation struct {
	CapacityReservationPreference string `ec2:"CapacityReservationPreference" xml:"capacityReservationPreference,omitempty"`
}

// LaunchTemplateHibernationOptions is a template's HibernationOptions.
type LaunchTemplateHibernationOptions struct {
	Configured *bool `ec2:"Configured" xml:"configured"`
}

// LaunchTemplateMetadataOptions is a template's MetadataOptions.
type LaunchTemplateMetadataOptions struct {
	State                   string `xml:"state,omitempty"`
	HTTPTokens              string `ec2:"HttpTokens" xml:"httpTokens,omitempty"`
	HTTPPutResponseHopLimit *int   `ec2:"HttpPutResponseHopLimit" xml:"httpPutResponseHopLimit"`
	HTTPEndpoint            string `ec2:"HttpEndpoint" xml:"httpEndpoint,omitempty"`
	HTTPProtocolIpv6        string `ec2:"HttpProtocolIpv6" xml:"httpProtocolIpv6,omitempty"`
	InstanceMetadataTags    string `ec2:"InstanceMetadataTags" xml:"instanceMetadataTags,omitempty"`
}

// LaunchTemplatePrivateDNSName is a template's PrivateDnsNameOptions.
type LaunchTemplatePrivateDNSName struct {
	HostnameType                    string `ec2:"HostnameType" xml:"hostnameType,omitempty"`
	EnableResourceNameDNSARecord    *bool  `ec2:"EnableResourceNameDnsARecord" xml:"enableResourceNameDnsARecord"`
	EnableResourceNameDNSAAAARecord *bool  `ec2:"EnableResourceNameDnsAAAARecord" xml:"enableResourceNameDnsAAAARecord"`
}

// LaunchTemplateMaintenanceOptions is a template's MaintenanceOptions.
type LaunchTemplateMaintenanceOptions struct {
	AutoRecovery string `ec2:"AutoRecovery" xml:"autoRecovery,omitempty"`
}

// LaunchTemplate is a template as DescribeLaunchTemplates shows it.
type LaunchTemplate struct {
	LaunchTemplateID     string    `xml:"launchTemplateId"`
	LaunchTemplateName   string    `xml:"launchTemplateName"`
	CreateTime           time.Time `xml:"createTime"`
	CreatedBy            string    `xml:"createdBy"`
	DefaultVersionNumber int64     `xml:"defaultVersionNumber"`
	LatestVersionNumber  int64     `xml:"latestVersionNumber"`
	Tags                 []Tag     `xml:"tagSet,omitempty"`
}

// LaunchTemplateVersion is one version as DescribeLaunchTemplateVersions
// shows it.
type LaunchTemplateVersion struct {
	LaunchTemplateID   string              `xml:"launchTemplateId"`
	LaunchTemplateName string              `xml:"launchTemplateName"`
	VersionNumber      int64               `xml:"versionNumber"`
	VersionDescription string              `xml:"versionDescription,omitempty"`
	CreateTime         time.Time           `xml:"createTime"`
	CreatedBy          string              `xml:"createdBy"`
	DefaultVersion     bool                `xml:"defaultVersion"`
	LaunchTemplateData *LaunchTemplateData `xml:"launchTemplateData"`
}

// CreateLaunchTemplateRequest is CreateLaunchTemplate's input.
type CreateLaunchTemplateRequest struct {
	DryRun             bool                `ec2:"DryRun"`
	ClientToken        string              `ec2:"ClientToken"`
	LaunchTemplateName *string             `ec2:"LaunchTemplateName"`
	VersionDescription string              `ec2:"VersionDescription"`
	LaunchTemplateData *LaunchTemplateData `ec2:"LaunchTemplateData"`
	TagSpecifications  []TagSpecification  `ec2:"TagSpecification"`
}

// CreateLaunchTemplateResponse is CreateLaunchTemplate's output.
type CreateLaunchTemplateResponse struct {
	LaunchTemplate LaunchTemplate `xml:"launchTemplate"`
}

// LaunchTemplateRef names a template by ID or name, the input of
// DeleteLaunchTemplate and the common part of other actions.
type LaunchTemplateRef struct {
	DryRun             bool   `ec2:"DryRun"`
	LaunchTemplateID   string `ec2:"LaunchTemplateId"`
	LaunchTemplateName string `ec2:"LaunchTemplateName"`
}

// LaunchTemplateResponse is the output of ModifyLaunchTemplate and
// DeleteLaunchTemplate.
type LaunchTemplateResponse struct {
	LaunchTemplate LaunchTemplate `xml:"launchTemplate"`
}

// ModifyLaunchTemplateRequest is ModifyLaunchTemplate's input.
type ModifyLaunchTemplateRequest struct {
	DryRun             bool   `ec2:"DryRun"`
	LaunchTemplateID   string `ec2:"LaunchTemplateId"`
	LaunchTemplateName string `ec2:"LaunchTemplateName"`
	ClientToken        string `ec2:"ClientToken"`
	DefaultVersion     string `ec2:"SetDefaultVersion"`
}

// DescribeLaunchTemplatesRequest is DescribeLaunchTemplates' input.
type DescribeLaunchTemplatesRequest struct {
	DryRun              bool     `ec2:"DryRun"`
	LaunchTemplateIDs   []string `ec2:"LaunchTemplateId"`
	LaunchTemplateNames []string `ec2:"LaunchTemplateName"`
	Filters             []Filter `ec2:"Filter"`
	MaxResults          *int     `ec2:"MaxResults"`
	NextToken           string   `ec2:"NextToken"`
}

// DescribeLaunchTemplatesResponse is DescribeLaunchTemplates' output.
type DescribeLaunchTemplatesResponse struct {
	LaunchTemplates []LaunchTemplate `xml:"launchTemplates"`
	NextToken       string           `xml:"nextToken,omitempty"`
}

// CreateLaunchTemplateVersionRequest is CreateLaunchTemplateVersion's input.
type CreateLaunchTemplateVersionRequest struct {
	DryRun             bool                `ec2:"DryRun"`
	LaunchTemplateID   string              `ec2:"LaunchTemplateId"`
	LaunchTemplateName string              `ec2:"LaunchTemplateName"`
	ClientToken        string              `ec2:"ClientToken"`
	SourceVersion      string              `ec2:"SourceVersion"`
	VersionDescription string              `ec2:"VersionDescription"`
	LaunchTemplateData *LaunchTemplateData `ec2:"LaunchTemplateData"`
	ResolveAlias       bool                `ec2:"ResolveAlias"`
}

// CreateLaunchTemplateVersionResponse is CreateLaunchTemplateVersion's
// output.
type CreateLaunchTemplateVersionResponse struct {
	LaunchTemplateVersion LaunchTemplateVersion `xml:"launchTemplateVersion"`
}

// DescribeLaunchTemplateVersionsRequest is DescribeLaunchTemplateVersions'
// input.
type DescribeLaunchTemplateVersionsRequest struct {
	DryRun             bool     `ec2:"DryRun"`
	LaunchTemplateID   string   `ec2:"LaunchTemplateId"`
	LaunchTemplateName string   `ec2:"LaunchTemplateName"`
	Versions           []string `ec2:"LaunchTemplateVersion"`
	MinVersion         string   `ec2:"MinVersion"`
	MaxVersion         string   `ec2:"MaxVersion"`
	Filters            []Filter `ec2:"Filter"`
	MaxResults         *int     `ec2:"MaxResults"`
	NextToken          string   `ec2:"NextToken"`
	ResolveAlias       bool     `ec2:"ResolveAlias"`
}

// DescribeLaunchTemplateVersionsResponse is DescribeLaunchTemplateVersions'
// output.
type DescribeLaunchTemplateVersionsResponse struct {
	LaunchTemplateVersions []LaunchTemplateVersion `xml:"launchTemplateVersionSet"`
	NextToken              string                  `xml:"nextToken,omitempty"`
}

// DeleteLaunchTemplateVersionsRequest is DeleteLaunchTemplateVersions'
// input.
type DeleteLaunchTemplateVersionsRequest struct {
	DryRun             bool     `ec2:"DryRun"`
	LaunchTemplateID   string   `ec2:"LaunchTemplateId"`
	LaunchTemplateName string   `ec2:"LaunchTemplateName"`
	Versions           []string `ec2:"LaunchTemplateVersion"`
}

// DeleteLaunchTemplateVersionsResponse is DeleteLaunchTemplateVersions'
// output: the versions deleted and, each with its reason, those not.
type DeleteLaunchTemplateVersionsResponse struct {
	Deleted    []LaunchTemplateVersionDeleted    `xml:"successfullyDeletedLaunchTemplateVersionSet"`
	NotDeleted []LaunchTemplateVersionNotDeleted `xml:"unsuccessfullyDeletedLaunchTemplateVersionSet"`
}

// LaunchTemplateVersionDeleted is one version DeleteLaunchTemplateVersions
// deleted.
type LaunchTemplateVersionDeleted struct {
	LaunchTemplateID   string `xml:"launchTemplateId"`
	LaunchTemplateName string `xml:"launchTemplateName"`
	VersionNumber      int64  `xml:"versionNumber"`
}

// LaunchTemplateVersionNotDeleted is one version
// DeleteLaunchTemplateVersions could not delete, and why.
type LaunchTemplateVersionNotDeleted struct {
	LaunchTemplateID   string        `xml:"launchTemplateId,omitempty"`
	LaunchTemplateName string        `xml:"launchTemplateName,omitempty"`
	VersionNumber      *int64        `xml:"versionNumber"`
	ResponseError      ResponseError `xml:"responseError"`
}

// ResponseError is the code and message of a version not deleted; the
// codes are the LaunchTemplateErrorCode enum (launchTemplateVersionDoesNotExist…).
type ResponseError struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

// GetLaunchTemplateDataRequest is GetLaunchTemplateData's input.
type GetLaunchTemplateDataRequest struct {
	DryRun     bool   `ec2:"DryRun"`
	InstanceID string `ec2:"InstanceId"`
}

// GetLaunchTemplateDataResponse is GetLaunchTemplateData's output.
type GetLaunchTemplateDataResponse struct {
	LaunchTemplateData LaunchTemplateData `xml:"launchTemplateData"`
}

// LaunchTemplateSpecification is RunInstances' LaunchTemplate.
type LaunchTemplateSpecification struct {
	LaunchTemplateID   string `ec2:"LaunchTemplateId"`
	LaunchTemplateName string `ec2:"LaunchTemplateName"`
	Version            string `ec2:"Version"`
}
