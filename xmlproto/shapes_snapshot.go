package xmlproto

import "time"

// The EBS snapshot actions' shapes.

// CreateSnapshotRequest is CreateSnapshot's input.
type CreateSnapshotRequest struct {
	DryRun            bool               `ec2:"DryRun"`
	Description       string             `ec2:"Description"`
	OutpostArn        string             `ec2:"OutpostArn"`
	VolumeID          string             `ec2:"VolumeId"`
	TagSpecifications []TagSpecification `ec2:"TagSpecification"`
	Location          string             `ec2:"Location"`
}

// Snapshot is CreateSnapshot's output and an item of DescribeSnapshots'
// `snapshotSet`.
type Snapshot struct {
	SnapshotID     string     `xml:"snapshotId"`
	VolumeID       string     `xml:"volumeId"`
	State          string     `xml:"status"`
	StateMessage   string     `xml:"statusMessage,omitempty"`
	StartTime      time.Time  `xml:"startTime"`
	Progress       string     `xml:"progress"`
	OwnerID        string     `xml:"ownerId"`
	VolumeSize     int        `xml:"volumeSize"`
	Description    string     `xml:"description"`
	Encrypted      bool       `xml:"encrypted"`
	KmsKeyID       string     `xml:"kmsKeyId,omitempty"`
	OwnerAlias     string     `xml:"ownerAlias,omitempty"`
	Tags           []Tag      `xml:"tagSet,omitempty"`
	StorageTier    string     `xml:"storageTier,omitempty"`
	CompletionTime *time.Time `xml:"completionTime"`
}

// InstanceSpecification is CreateSnapshots' InstanceSpecification.
type InstanceSpecification struct {
	InstanceID           string   `ec2:"InstanceId"`
	ExcludeBootVolume    *bool    `ec2:"ExcludeBootVolume"`
	ExcludeDataVolumeIDs []string `ec2:"ExcludeDataVolumeId"`
}

// CreateSnapshotsRequest is CreateSnapshots' input.
type CreateSnapshotsRequest struct {
	DryRun                bool                   `ec2:"DryRun"`
	Description           string                 `ec2:"Description"`
	InstanceSpecification *InstanceSpecification `ec2:"InstanceSpecification"`
	OutpostArn            string                 `ec2:"OutpostArn"`
	TagSpecifications     []TagSpecification     `ec2:"TagSpecification"`
	CopyTagsFromSource    string                 `ec2:"CopyTagsFromSource"`
	Location              string                 `ec2:"Location"`
}

// SnapshotInfo is an item of CreateSnapshots' `snapshotSet`.
type SnapshotInfo struct {
	SnapshotID  string    `xml:"snapshotId"`
	VolumeID    string    `xml:"volumeId"`
	State       string    `xml:"state"`
	StartTime   time.Time `xml:"startTime"`
	Progress    string    `xml:"progress"`
	OwnerID     string    `xml:"ownerId"`
	VolumeSize  int       `xml:"volumeSize"`
	Description string    `xml:"description"`
	Encrypted   bool      `xml:"encrypted"`
	Tags        []Tag     `xml:"tagSet,omitempty"`
}

// CreateSnapshotsResponse is CreateSnapshots' output.
type CreateSnapshotsResponse struct {
	Snapshots []SnapshotInfo `xml:"snapshotSet"`
}

// DescribeSnapshotsRequest is DescribeSnapshots' input.
type DescribeSnapshotsRequest struct {
	DryRun       bool     `ec2:"DryRun"`
	SnapshotIDs  []string `ec2:"SnapshotId"`
	Owners       []string `ec2:"Owner"`
	RestorableBy []string `ec2:"RestorableBy"`
	Filters      []Filter `ec2:"Filter"`
	MaxResults   *int     `ec2:"MaxResults"`
	NextToken    string   `ec2:"NextToken"`
}

// DescribeSnapshotsResponse is DescribeSnapshots' output.
type DescribeSnapshotsResponse struct {
	Snapshots []Snapshot `xml:"snapshotSet"`
	NextToken string     `xml:"nextToken,omitempty"`
}

// SnapshotIDRequest is DeleteSnapshot's input.
type SnapshotIDRequest struct {
	DryRun     bool   `ec2:"DryRun"`
	SnapshotID string `ec2:"SnapshotId"`
}

// CopySnapshotRequest is CopySnapshot's input.
type CopySnapshotRequest struct {
	DryRun                      bool               `ec2:"DryRun"`
	Description                 string             `ec2:"Description"`
	DestinationOutpostArn       string             `ec2:"DestinationOutpostArn"`
	DestinationRegion           string             `ec2:"DestinationRegion"`
	Encrypted                   *bool              `ec2:"Encrypted"`
	KmsKeyID                    string             `ec2:"KmsKeyId"`
	PresignedURL                string             `ec2:"PresignedUrl"`
	SourceRegion                string             `ec2:"SourceRegion"`
	SourceSnapshotID            string             `ec2:"SourceSnapshotId"`
	TagSpecifications           []TagSpecification `ec2:"TagSpecification"`
	CompletionDurationMinutes   *int               `ec2:"CompletionDurationMinutes"`
	DestinationAvailabilityZone string             `ec2:"DestinationAvailabilityZone"`
}

// CopySnapshotResponse is CopySnapshot's output.
type CopySnapshotResponse struct {
	SnapshotID string `xml:"snapshotId"`
	Tags       []Tag  `xml:"tagSet,omitempty"`
}

// SnapshotAttributeRequest is DescribeSnapshotAttribute's and
// ResetSnapshotAttribute's input.
type SnapshotAttributeRequest struct {
	DryRun     bool   `ec2:"DryRun"`
	Attribute  string `ec2:"Attribute"`
	SnapshotID string `ec2:"SnapshotId"`
}

// CreateVolumePermission is an item of a snapshot's
// `createVolumePermission` in responses and of
// CreateVolumePermission.Add.N / .Remove.N in requests.
type CreateVolumePermission struct {
	UserID string `ec2:"UserId" xml:"userId,omitempty"`
	Group  string `ec2:"Group" xml:"group,omitempty"`
}

// CreateVolumePermissionModifications is ModifySnapshotAttribute's
// CreateVolumePermission.
type CreateVolumePermissionModifications struct {
	Add    []CreateVolumePermission `ec2:"Add"`
	Remove []CreateVolumePermission `ec2:"Remove"`
}

// ModifySnapshotAttributeRequest is ModifySnapshotAttribute's input: the
// structured CreateVolumePermission, or the flat OperationType with
// UserId.N / UserGroup.N.
type ModifySnapshotAttributeRequest struct {
	DryRun                 bool                                 `ec2:"DryRun"`
	Attribute              string                               `ec2:"Attribute"`
	CreateVolumePermission *CreateVolumePermissionModifications `ec2:"CreateVolumePermission"`
	GroupNames             []string                             `ec2:"UserGroup"`
	OperationType          string                               `ec2:"OperationType"`
	SnapshotID             string                               `ec2:"SnapshotId"`
	UserIDs                []string                             `ec2:"UserId"`
}

// SnapshotAttribute is DescribeSnapshotAttribute's output: one of the two
// lists, as asked.
type SnapshotAttribute struct {
	SnapshotID              string                    `xml:"snapshotId"`
	CreateVolumePermissions *[]CreateVolumePermission `xml:"createVolumePermission"`
	ProductCodes            *[]ProductCode            `xml:"productCodes"`
}
