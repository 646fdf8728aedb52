package xmlproto

import "time"

// This file holds the shapes of the instance attribute, credit
// specification, volume, maintenance and metadata option actions. Element
// names follow the 2016-11-15 model (botocore service-2.json locationNames).

// AttributeBooleanValue is `{"Value": bool}` in requests (`X.Value=true`)
// and `<x><value>true</value></x>` in responses.
type AttributeBooleanValue struct {
	Value *bool `ec2:"Value" xml:"value"`
}

// AttributeValue is a string attribute: `X.Value=…` in requests and
// `<x><value>…</value></x>` in responses. A nil Value is written as an empty
// element, which is how EC2 answers an attribute with no value (user data
// never set, no kernel).
type AttributeValue struct {
	Value *string `ec2:"Value" xml:"value"`
}

// EbsInstanceBlockDeviceSpecification is BlockDeviceMapping.N.Ebs.* of
// ModifyInstanceAttribute.
type EbsInstanceBlockDeviceSpecification struct {
	VolumeID            string `ec2:"VolumeId"`
	DeleteOnTermination *bool  `ec2:"DeleteOnTermination"`
}

// InstanceBlockDeviceMappingSpecification is BlockDeviceMapping.N of
// ModifyInstanceAttribute.
type InstanceBlockDeviceMappingSpecification struct {
	DeviceName  string                               `ec2:"DeviceName"`
	Ebs         *EbsInstanceBlockDeviceSpecification `ec2:"Ebs"`
	VirtualName string                               `ec2:"VirtualName"`
	NoDevice    *string                              `ec2:"NoDevice"`
}

// ModifyInstanceAttributeRequest is ModifyInstanceAttribute's input: either
// Attribute with Value, or exactly one of the typed members.
type ModifyInstanceAttributeRequest struct {
	DryRun                            bool                                      `ec2:"DryRun"`
	InstanceID                        string                                    `ec2:"InstanceId"`
	Attribute                         string                                    `ec2:"Attribute"`
	Value                             *string                                   `ec2:"Value"`
	SourceDestCheck                   *AttributeBooleanValue                    `ec2:"SourceDestCheck"`
	DisableAPIStop                    *AttributeBooleanValue                    `ec2:"DisableApiStop"`
	DisableAPITermination             *AttributeBooleanValue                    `ec2:"DisableApiTermination"`
	EbsOptimized                      *AttributeBooleanValue                    `ec2:"EbsOptimized"`
	EnaSupport                        *AttributeBooleanValue                    `ec2:"EnaSupport"`
	InstanceType                      *AttributeValue                           `ec2:"InstanceType"`
	InstanceInitiatedShutdownBehavior *AttributeValue                           `ec2:"InstanceInitiatedShutdownBehavior"`
	Kernel                            *AttributeValue                           `ec2:"Kernel"`
	Ramdisk                           *AttributeValue                           `ec2:"Ramdisk"`
	SriovNetSupport                   *AttributeValue                           `ec2:"SriovNetSupport"`
	UserData                          *AttributeValue                           `ec2:"UserData"` // Value is base64
	Groups                            []string                                  `ec2:"GroupId"`
	BlockDeviceMappings               []InstanceBlockDeviceMappingSpecification `ec2:"BlockDeviceMapping"`
}

// DescribeInstanceAttributeRequest is DescribeInstanceAttribute's input.
type DescribeInstanceAttributeRequest struct {
	DryRun     bool   `ec2:"DryRun"`
	InstanceID string `ec2:"InstanceId"`
	Attribute  string `ec2:"Attribute"`
}

// ProductCode is an item of `productCodes`.
type ProductCode struct {
	ProductCode string `xml:"productCode"`
	Type        string `xml:"type"`
}

// EnclaveOptions is `enclaveOptions`.
type EnclaveOptions struct {
	Enabled bool `xml:"enabled"`
}

// InstanceAttribute is DescribeInstanceAttribute's output: the instance ID
// and exactly one attribute element (the others are nil and omitted).
type InstanceAttribute struct {
	InstanceID                        string                        `xml:"instanceId"`
	BlockDeviceMappings               *[]InstanceBlockDeviceMapping `xml:"blockDeviceMapping"`
	DisableAPITermination             *AttributeBooleanValue        `xml:"disableApiTermination"`
	DisableAPIStop                    *AttributeBooleanValue        `xml:"disableApiStop"`
	EnaSupport                        *AttributeBooleanValue        `xml:"enaSupport"`
	EnclaveOptions                    *EnclaveOptions               `xml:"enclaveOptions"`
	EbsOptimized                      *AttributeBooleanValue        `xml:"ebsOptimized"`
	InstanceInitiatedShutdownBehavior *AttributeValue               `xml:"instanceInitiatedShutdownBehavior"`
	InstanceType                      *AttributeValue               `xml:"instanceType"`
	Kernel                            *AttributeValue               `xml:"kernel"`
	ProductCodes                      *[]ProductCode                `xml:"productCodes"`
	Ramdisk                           *AttributeValue               `xml:"ramdisk"`
	RootDeviceName                    *AttributeValue               `xml:"rootDeviceName"`
	SourceDestCheck                   *AttributeBooleanValue        `xml:"sourceDestCheck"`
	SriovNetSupport                   *AttributeValue               `xml:"sriovNetSupport"`
	UserData                          *AttributeValue               `xml:"userData"`
	Groups                            *[]GroupIdentifier            `xml:"groupSet"`
}

// CreditSpecificationRequest is RunInstances' CreditSpecification.*.
type CreditSpecificationRequest struct {
	CPUCredits string `ec2:"CpuCredits"`
}

// InstanceMetadataOptionsRequest is RunInstances' MetadataOptions.*.
type InstanceMetadataOptionsRequest struct {
	HTTPTokens              string `ec2:"HttpTokens"`
	HTTPPutResponseHopLimit *int   `ec2:"HttpPutResponseHopLimit"`
	HTTPEndpoint            string `ec2:"HttpEndpoint"`
	HTTPProtocolIPv6        string `ec2:"HttpProtocolIpv6"`
	InstanceMetadataTags    string `ec2:"InstanceMetadataTags"`
}

// InstanceMaintenanceOptionsRequest is RunInstances' MaintenanceOptions.*.
type InstanceMaintenanceOptionsRequest struct {
	AutoRecovery string `ec2:"AutoRecovery"`
}

// InstanceMaintenanceOptions is an instance's `maintenanceOptions`.
type InstanceMaintenanceOptions struct {
	AutoRecovery    string `xml:"autoRecovery"`
	RebootMigration string `xml:"rebootMigration,omitempty"`
}

// DescribeInstanceCreditSpecificationsRequest is
// DescribeInstanceCreditSpecifications' input.
type DescribeInstanceCreditSpecificationsRequest struct {
	DryRun      bool     `ec2:"DryRun"`
	InstanceIDs []string `ec2:"InstanceId"`
	Filters     []Filter `ec2:"Filter"`
	MaxResults  *int     `ec2:"MaxResults"`
	NextToken   string   `ec2:"NextToken"`
}

// InstanceCreditSpecification is an item of `instanceCreditSpecificationSet`.
type InstanceCreditSpecification struct {
	InstanceID string `xml:"instanceId"`
	CPUCredits string `xml:"cpuCredits"`
}

// DescribeInstanceCreditSpecificationsResponse is
// DescribeInstanceCreditSpecifications' output.
type DescribeInstanceCreditSpecificationsResponse struct {
	InstanceCreditSpecifications []InstanceCreditSpecification `xml:"instanceCreditSpecificationSet"`
	NextToken                    string                        `xml:"nextToken,omitempty"`
}

// ModifyInstanceCreditSpecificationRequest is
// ModifyInstanceCreditSpecification's input.
type ModifyInstanceCreditSpecificationRequest struct {
	DryRun                       bool   `ec2:"DryRun"`
	ClientToken                  string `ec2:"ClientToken"`
	InstanceCreditSpecifications []struct {
		InstanceID string `ec2:"InstanceId"`
		CPUCredits string `ec2:"CpuCredits"`
	} `ec2:"InstanceCreditSpecification"`
}

// SuccessfulInstanceCreditSpecificationItem is an item of
// `successfulInstanceCreditSpecificationSet`.
type SuccessfulInstanceCreditSpecificationItem struct {
	InstanceID string `xml:"instanceId"`
}

// UnsuccessfulInstanceCreditSpecificationItem is an item of
// `unsuccessfulInstanceCreditSpecificationSet`.
type UnsuccessfulInstanceCreditSpecificationItem struct {
	InstanceID string      `xml:"instanceId"`
	Error      StateReason `xml:"error"` // code and message, as the model's item error
}

// ModifyInstanceCreditSpecificationResponse is
// ModifyInstanceCreditSpecification's output: it succeeds per instance.
type ModifyInstanceCreditSpecificationResponse struct {
	Successful   []SuccessfulInstanceCreditSpecificationItem   `xml:"successfulInstanceCreditSpecificationSet"`
	Unsuccessful []UnsuccessfulInstanceCreditSpecificationItem `xml:"unsuccessfulInstanceCreditSpecificationSet"`
}

// ModifyInstanceMaintenanceOptionsRequest is
// ModifyInstanceMaintenanceOptions' input.
type ModifyInstanceMaintenanceOptionsRequest struct {
	DryRun          bool   `ec2:"DryRun"`
	InstanceID      string `ec2:"InstanceId"`
	AutoRecovery    string `ec2:"AutoRecovery"`
	RebootMigration string `ec2:"RebootMigration"`
}

// ModifyInstanceMaintenanceOptionsResponse is
// ModifyInstanceMaintenanceOptions' output.
type ModifyInstanceMaintenanceOptionsResponse struct {
	InstanceID      string `xml:"instanceId"`
	AutoRecovery    string `xml:"autoRecovery"`
	RebootMigration string `xml:"rebootMigration,omitempty"`
}

// ModifyInstanceMetadataOptionsRequest is ModifyInstanceMetadataOptions'
// input; absent members keep their current value.
type ModifyInstanceMetadataOptionsRequest struct {
	DryRun                  bool   `ec2:"DryRun"`
	InstanceID              string `ec2:"InstanceId"`
	HTTPTokens              string `ec2:"HttpTokens"`
	HTTPPutResponseHopLimit *int   `ec2:"HttpPutResponseHopLimit"`
	HTTPEndpoint            string `ec2:"HttpEndpoint"`
	HTTPProtocolIPv6        string `ec2:"HttpProtocolIpv6"`
	InstanceMetadataTags    string `ec2:"InstanceMetadataTags"`
}

// ModifyInstanceMetadataOptionsResponse is ModifyInstanceMetadataOptions'
// output.
type ModifyInstanceMetadataOptionsResponse struct {
	InstanceID              string          `xml:"instanceId"`
	InstanceMetadataOptions MetadataOptions `xml:"instanceMetadataOptions"`
}

// DescribeVolumesRequest is DescribeVolumes' input.
type DescribeVolumesRequest struct {
	DryRun     bool     `ec2:"DryRun"`
	VolumeIDs  []string `ec2:"VolumeId"`
	Filters    []Filter `ec2:"Filter"`
	MaxResults *int     `ec2:"MaxResults"`
	NextToken  string   `ec2:"NextToken"`
}

// VolumeAttachment is an item of a volume's `attachmentSet`.
type VolumeAttachment struct {
	VolumeID            string    `xml:"volumeId"`
	InstanceID          string    `xml:"instanceId"`
	Device              string    `xml:"device"`
	State               string    `xml:"status"`
	AttachTime          time.Time `xml:"attachTime"`
	DeleteOnTermination bool      `xml:"deleteOnTermination"`
}

// Volume is an item of `volumeSet`.
type Volume struct {
	VolumeID           string             `xml:"volumeId"`
	Size               int                `xml:"size"`
	SnapshotID         string             `xml:"snapshotId"`
	AvailabilityZone   string             `xml:"availabilityZone"`
	State              string             `xml:"status"`
	CreateTime         time.Time          `xml:"createTime"`
	Attachments        []VolumeAttachment `xml:"attachmentSet"`
	Tags               []Tag              `xml:"tagSet,omitempty"`
	VolumeType         string             `xml:"volumeType"`
	Iops               int                `xml:"iops,omitempty"`
	Throughput         int                `xml:"throughput,omitempty"`
	Encrypted          bool               `xml:"encrypted"`
	KmsKeyID           string             `xml:"kmsKeyId,omitempty"`
	MultiAttachEnabled bool               `xml:"multiAttachEnabled"`
}

// DescribeVolumesResponse is DescribeVolumes' output.
type DescribeVolumesResponse struct {
	Volumes   []Volume `xml:"volumeSet"`
	NextToken string   `xml:"nextToken,omitempty"`
}

// RunInstancesAttributes holds the RunInstances members that set instance
// attributes beyond RunInstancesRequest; the Server decodes both from the
// same parameters.
type RunInstancesAttributes struct {
	CreditSpecification *CreditSpecificationRequest        `ec2:"CreditSpecification"`
	MetadataOptions     *InstanceMetadataOptionsRequest    `ec2:"MetadataOptions"`
	MaintenanceOptions  *InstanceMaintenanceOptionsRequest `ec2:"MaintenanceOptions"`
	HibernationOptions  *HibernationOptions                `ec2:"HibernationOptions"`
	CPUOptions          *CPUOptions                        `ec2:"CpuOptions"`
	EnclaveOptions      *struct {
		Enabled *bool `ec2:"Enabled"`
	} `ec2:"EnclaveOptions"`
}
