package xmlproto

import "time"

// CreateVolumeRequest is CreateVolume's input.
type CreateVolumeRequest struct {
	DryRun                   bool               `ec2:"DryRun"`
	AvailabilityZone         string             `ec2:"AvailabilityZone"`
	AvailabilityZoneID       string             `ec2:"AvailabilityZoneId"`
	Encrypted                *bool              `ec2:"Encrypted"`
	Iops                     *int               `ec2:"Iops"`
	KmsKeyID                 string             `ec2:"KmsKeyId"`
	OutpostArn               string             `ec2:"OutpostArn"`
	Size                     *int               `ec2:"Size"`
	SnapshotID               string             `ec2:"SnapshotId"`
	VolumeType               string             `ec2:"VolumeType"`
	TagSpecifications        []TagSpecification `ec2:"TagSpecification"`
	MultiAttachEnabled       *bool              `ec2:"MultiAttachEnabled"`
	Throughput               *int               `ec2:"Throughput"`
	ClientToken              string             `ec2:"ClientToken"`
	VolumeInitializationRate *int               `ec2:"VolumeInitializationRate"`
	Operator                 *OperatorRequest   `ec2:"Operator"`
}

// OperatorRequest is a request's Operator.* (a managing service).
type OperatorRequest struct {
	Principal string `ec2:"Principal"`
}

// VolumeIDRequest is the input of the actions that take a volume ID only
// (DeleteVolume).
type VolumeIDRequest struct {
	DryRun   bool   `ec2:"DryRun"`
	VolumeID string `ec2:"VolumeId"`
}

// AttachVolumeRequest is AttachVolume's input.
type AttachVolumeRequest struct {
	DryRun       bool   `ec2:"DryRun"`
	Device       string `ec2:"Device"`
	InstanceID   string `ec2:"InstanceId"`
	VolumeID     string `ec2:"VolumeId"`
	EbsCardIndex *int   `ec2:"EbsCardIndex"`
}

// DetachVolumeRequest is DetachVolume's input.
type DetachVolumeRequest struct {
	DryRun     bool   `ec2:"DryRun"`
	Device     string `ec2:"Device"`
	Force      *bool  `ec2:"Force"`
	InstanceID string `ec2:"InstanceId"`
	VolumeID   string `ec2:"VolumeId"`
}

// VolumeAttachmentResponse is AttachVolume's and DetachVolume's output.
type VolumeAttachmentResponse struct {
	VolumeID            string    `xml:"volumeId"`
	InstanceID          string    `xml:"instanceId"`
	Device              string    `xml:"device"`
	State               string    `xml:"status"`
	AttachTime          time.Time `xml:"attachTime"`
	DeleteOnTermination bool      `xml:"deleteOnTermination"`
}

// ModifyVolumeRequest is ModifyVolume's input.
type ModifyVolumeRequest struct {
	DryRun             bool   `ec2:"DryRun"`
	VolumeID           string `ec2:"VolumeId"`
	Size               *int   `ec2:"Size"`
	VolumeType         string `ec2:"VolumeType"`
	Iops               *int   `ec2:"Iops"`
	Throughput         *int   `ec2:"Throughput"`
	MultiAttachEnabled *bool  `ec2:"MultiAttachEnabled"`
}

// VolumeModification is a `volumeModification` item.
type VolumeModification struct {
	VolumeID                   string     `xml:"volumeId"`
	ModificationState          string     `xml:"modificationState"`
	TargetSize                 int        `xml:"targetSize"`
	TargetIops                 int        `xml:"targetIops,omitempty"`
	TargetVolumeType           string     `xml:"targetVolumeType"`
	TargetThroughput           int        `xml:"targetThroughput,omitempty"`
	TargetMultiAttachEnabled   bool       `xml:"targetMultiAttachEnabled"`
	OriginalSize               int        `xml:"originalSize"`
	OriginalIops               int        `xml:"originalIops,omitempty"`
	OriginalVolumeType         string     `xml:"originalVolumeType"`
	OriginalThroughput         int        `xml:"originalThroughput,omitempty"`
	OriginalMultiAttachEnabled bool       `xml:"originalMultiAttachEnabled"`
	Progress                   int        `xml:"progress"`
	StartTime                  time.Time  `xml:"startTime"`
	EndTime                    *time.Time `xml:"endTime"`
}

// ModifyVolumeResponse is ModifyVolume's output.
type ModifyVolumeResponse struct {
	VolumeModification VolumeModification `xml:"volumeModification"`
}

// DescribeVolumesModificationsRequest is DescribeVolumesModifications' input.
type DescribeVolumesModificationsRequest struct {
	DryRun     bool     `ec2:"DryRun"`
	VolumeIDs  []string `ec2:"VolumeId"`
	Filters    []Filter `ec2:"Filter"`
	NextToken  string   `ec2:"NextToken"`
	MaxResults *int     `ec2:"MaxResults"`
}

// DescribeVolumesModificationsResponse is DescribeVolumesModifications'
// output.
type DescribeVolumesModificationsResponse struct {
	VolumesModifications []VolumeModification `xml:"volumeModificationSet"`
	NextToken            string               `xml:"nextToken,omitempty"`
}

// DescribeVolumeStatusRequest is DescribeVolumeStatus' input.
type DescribeVolumeStatusRequest struct {
	DryRun                  bool     `ec2:"DryRun"`
	VolumeIDs               []string `ec2:"VolumeId"`
	Filters                 []Filter `ec2:"Filter"`
	NextToken               string   `ec2:"NextToken"`
	MaxResults              *int     `ec2:"MaxResults"`
	IncludeManagedResources *bool    `ec2:"IncludeManagedResources"`
}

// VolumeStatusItem is a `volumeStatusSet` item.
type VolumeStatusItem struct {
	VolumeID           string                   `xml:"volumeId"`
	AvailabilityZone   string                   `xml:"availabilityZone"`
	AvailabilityZoneID string                   `xml:"availabilityZoneId,omitempty"`
	VolumeStatus       VolumeStatusInfo         `xml:"volumeStatus"`
	Actions            []VolumeStatusAction     `xml:"actionsSet"`
	Events             []VolumeStatusEvent      `xml:"eventsSet"`
	AttachmentStatuses []VolumeAttachmentStatus `xml:"attachmentStatuses,omitempty"`
}

// VolumeStatusInfo is `volumeStatus`.
type VolumeStatusInfo struct {
	Status  string         `xml:"status"`
	Details []StatusDetail `xml:"details"`
}

// VolumeStatusAction is an `actionsSet` item (none are ever scheduled).
type VolumeStatusAction struct {
	Code string `xml:"code"`
}

// VolumeStatusEvent is an `eventsSet` item (none are ever scheduled).
type VolumeStatusEvent struct {
	EventType string `xml:"eventType"`
}

// VolumeAttachmentStatus is an `attachmentStatuses` item.
type VolumeAttachmentStatus struct {
	InstanceID    string `xml:"instanceId"`
	IoPerformance string `xml:"ioPerformance"`
}

// DescribeVolumeStatusResponse is DescribeVolumeStatus' output.
type DescribeVolumeStatusResponse struct {
	VolumeStatuses []VolumeStatusItem `xml:"volumeStatusSet"`
	NextToken      string             `xml:"nextToken,omitempty"`
}

// DescribeVolumeAttributeRequest is DescribeVolumeAttribute's input.
type DescribeVolumeAttributeRequest struct {
	DryRun    bool   `ec2:"DryRun"`
	Attribute string `ec2:"Attribute"`
	VolumeID  string `ec2:"VolumeId"`
}

// DescribeVolumeAttributeResponse is DescribeVolumeAttribute's output.
type DescribeVolumeAttributeResponse struct {
	VolumeID     string                 `xml:"volumeId"`
	AutoEnableIO *AttributeBooleanValue `xml:"autoEnableIO"`
	ProductCodes *[]ProductCode         `xml:"productCodes"`
}

// ModifyVolumeAttributeRequest is ModifyVolumeAttribute's input.
type ModifyVolumeAttributeRequest struct {
	DryRun       bool                   `ec2:"DryRun"`
	AutoEnableIO *AttributeBooleanValue `ec2:"AutoEnableIO"`
	VolumeID     string                 `ec2:"VolumeId"`
}
