package xmlproto

// This file holds the shapes of the AMI attribute actions and CopyImage.
// Element names follow the 2016-11-15 model (botocore service-2.json
// locationNames).

// LaunchPermission is an item of an image's `launchPermission` in
// responses and of LaunchPermission.Add.N / .Remove.N in requests.
type LaunchPermission struct {
	UserID                string `ec2:"UserId" xml:"userId,omitempty"`
	Group                 string `ec2:"Group" xml:"group,omitempty"`
	OrganizationArn       string `ec2:"OrganizationArn" xml:"organizationArn,omitempty"`
	OrganizationalUnitArn string `ec2:"OrganizationalUnitArn" xml:"organizationalUnitArn,omitempty"`
}

// LaunchPermissionModifications is ModifyImageAttribute's LaunchPermission.
type LaunchPermissionModifications struct {
	Add    []LaunchPermission `ec2:"Add"`
	Remove []LaunchPermission `ec2:"Remove"`
}

// DescribeImageAttributeRequest is DescribeImageAttribute's input.
type DescribeImageAttributeRequest struct {
	DryRun    bool   `ec2:"DryRun"`
	ImageID   string `ec2:"ImageId"`
	Attribute string `ec2:"Attribute"`
}

// ResetImageAttributeRequest is ResetImageAttribute's input.
type ResetImageAttributeRequest struct {
	DryRun    bool   `ec2:"DryRun"`
	ImageID   string `ec2:"ImageId"`
	Attribute string `ec2:"Attribute"`
}

// ModifyImageAttributeRequest is ModifyImageAttribute's input: the typed
// members (Description, LaunchPermission, ImdsSupport) or the legacy form
// (Attribute with Value, or OperationType with UserId.N / UserGroup.N).
type ModifyImageAttributeRequest struct {
	DryRun                 bool                           `ec2:"DryRun"`
	ImageID                string                         `ec2:"ImageId"`
	Attribute              string                         `ec2:"Attribute"`
	Value                  *string                        `ec2:"Value"`
	Description            *AttributeValue                `ec2:"Description"`
	ImdsSupport            *AttributeValue                `ec2:"ImdsSupport"`
	LaunchPermission       *LaunchPermissionModifications `ec2:"LaunchPermission"`
	OperationType          string                         `ec2:"OperationType"`
	UserIDs                []string                       `ec2:"UserId"`
	UserGroups             []string                       `ec2:"UserGroup"`
	ProductCodes           []string                       `ec2:"ProductCode"`
	OrganizationArns       []string                       `ec2:"OrganizationArn"`
	OrganizationalUnitArns []string                       `ec2:"OrganizationalUnitArn"`
}

// ImageAttribute is DescribeImageAttribute's output: the image ID and
// exactly one attribute element (the others are nil and omitted).
type ImageAttribute struct {
	ImageID                  string                     `xml:"imageId"`
	Description              *AttributeValue            `xml:"description"`
	Kernel                   *AttributeValue            `xml:"kernel"`
	Ramdisk                  *AttributeValue            `xml:"ramdisk"`
	SriovNetSupport          *AttributeValue            `xml:"sriovNetSupport"`
	BootMode                 *AttributeValue            `xml:"bootMode"`
	TpmSupport               *AttributeValue            `xml:"tpmSupport"`
	UefiData                 *AttributeValue            `xml:"uefiData"`
	LastLaunchedTime         *AttributeValue            `xml:"lastLaunchedTime"`
	ImdsSupport              *AttributeValue            `xml:"imdsSupport"`
	DeregistrationProtection *AttributeValue            `xml:"deregistrationProtection"`
	LaunchPermissions        *[]LaunchPermission        `xml:"launchPermission"`
	ProductCodes             *[]ProductCode             `xml:"productCodes"`
	BlockDeviceMappings      *[]ImageBlockDeviceMapping `xml:"blockDeviceMapping"`
}

// CopyImageRequest is CopyImage's input.
type CopyImageRequest struct {
	DryRun                                bool               `ec2:"DryRun"`
	ClientToken                           string             `ec2:"ClientToken"`
	Description                           string             `ec2:"Description"`
	Encrypted                             bool               `ec2:"Encrypted"`
	KmsKeyID                              string             `ec2:"KmsKeyId"`
	Name                                  *string            `ec2:"Name"`
	SourceImageID                         string             `ec2:"SourceImageId"`
	SourceRegion                          string             `ec2:"SourceRegion"`
	DestinationOutpostArn                 string             `ec2:"DestinationOutpostArn"`
	CopyImageTags                         bool               `ec2:"CopyImageTags"`
	TagSpecifications                     []TagSpecification `ec2:"TagSpecification"`
	SnapshotCopyCompletionDurationMinutes *int64             `ec2:"SnapshotCopyCompletionDurationMinutes"`
	DestinationAvailabilityZone           string             `ec2:"DestinationAvailabilityZone"`
	DestinationAvailabilityZoneID         string             `ec2:"DestinationAvailabilityZoneId"`
}

// CopyImageResponse is CopyImage's output.
type CopyImageResponse struct {
	ImageID string `xml:"imageId"`
}

// RegisterImageRequest is RegisterImage's input.
type RegisterImageRequest struct {
	DryRun              bool                        `ec2:"DryRun"`
	ImageLocation       string                      `ec2:"ImageLocation"`
	Name                *string                     `ec2:"Name"`
	Description         string                      `ec2:"Description"`
	Architecture        string                      `ec2:"Architecture"`
	KernelID            string                      `ec2:"KernelId"`
	RamdiskID           string                      `ec2:"RamdiskId"`
	RootDeviceName      string                      `ec2:"RootDeviceName"`
	BlockDeviceMappings []BlockDeviceMappingRequest `ec2:"BlockDeviceMapping"`
	VirtualizationType  string                      `ec2:"VirtualizationType"`
	SriovNetSupport     string                      `ec2:"SriovNetSupport"`
	EnaSupport          *bool                       `ec2:"EnaSupport"`
	BootMode            string                      `ec2:"BootMode"`
	TpmSupport          string                      `ec2:"TpmSupport"`
	UefiData            string                      `ec2:"UefiData"`
	ImdsSupport         string                      `ec2:"ImdsSupport"`
	BillingProducts     []string                    `ec2:"BillingProduct"`
	TagSpecifications   []TagSpecification          `ec2:"TagSpecification"`
}

// RegisterImageResponse is RegisterImage's output.
type RegisterImageResponse struct {
	ImageID string `xml:"imageId"`
}
