package xmlproto

import "time"

// Shapes of the EC2 Fleet actions, named as in the 2016-11-15 API model.

// CreateFleetRequest is CreateFleet's input: the members ec2emu models.
// Any other member is refused by the handler (Unused) rather than ignored.
type CreateFleetRequest struct {
	DryRun                      bool                               `ec2:"DryRun"`
	ClientToken                 string                             `ec2:"ClientToken"`
	Type                        string                             `ec2:"Type"`
	LaunchTemplateConfigs       []FleetLaunchTemplateConfigRequest `ec2:"LaunchTemplateConfigs"`
	TargetCapacitySpecification *TargetCapacitySpecification       `ec2:"TargetCapacitySpecification"`
	OnDemandOptions             *FleetOnDemandOptions              `ec2:"OnDemandOptions"`
	SpotOptions                 *FleetSpotOptions                  `ec2:"SpotOptions"`
	TagSpecifications           []TagSpecification                 `ec2:"TagSpecification"`
	// ExcessCapacityTerminationPolicy is for fleets of type maintain.
	ExcessCapacityTerminationPolicy string `ec2:"ExcessCapacityTerminationPolicy"`
}

// FleetLaunchTemplateConfigRequest is one launch template of a fleet and
// its overrides.
type FleetLaunchTemplateConfigRequest struct {
	LaunchTemplateSpecification *FleetLaunchTemplateSpecification `ec2:"LaunchTemplateSpecification"`
	Overrides                   []FleetLaunchTemplateOverrides    `ec2:"Overrides"`
}

// FleetLaunchTemplateSpecification names a launch template and version.
type FleetLaunchTemplateSpecification struct {
	LaunchTemplateID   string `ec2:"LaunchTemplateId" xml:"launchTemplateId,omitempty" json:"id,omitempty"`
	LaunchTemplateName string `ec2:"LaunchTemplateName" xml:"launchTemplateName,omitempty" json:"name,omitempty"`
	Version            string `ec2:"Version" xml:"version,omitempty" json:"version,omitempty"`
}

// FleetLaunchTemplateOverrides is one override of a fleet's launch
// template: the modelled members.
type FleetLaunchTemplateOverrides struct {
	InstanceType     string   `ec2:"InstanceType" xml:"instanceType,omitempty" json:"instanceType,omitempty"`
	SubnetID         string   `ec2:"SubnetId" xml:"subnetId,omitempty" json:"subnetId,omitempty"`
	AvailabilityZone string   `ec2:"AvailabilityZone" xml:"availabilityZone,omitempty" json:"availabilityZone,omitempty"`
	WeightedCapacity *float64 `ec2:"WeightedCapacity" xml:"weightedCapacity" json:"weightedCapacity,omitempty"`
	Priority         *float64 `ec2:"Priority" xml:"priority" json:"priority,omitempty"`
	ImageID          string   `ec2:"ImageId" xml:"imageId,omitempty" json:"imageId,omitempty"`
}

// TargetCapacitySpecification is the capacity a fleet asks for.
type TargetCapacitySpecification struct {
	TotalTargetCapacity       *int   `ec2:"TotalTargetCapacity" xml:"totalTargetCapacity" json:"total"`
	OnDemandTargetCapacity    *int   `ec2:"OnDemandTargetCapacity" xml:"onDemandTargetCapacity" json:"onDemand,omitempty"`
	SpotTargetCapacity        *int   `ec2:"SpotTargetCapacity" xml:"spotTargetCapacity" json:"spot,omitempty"`
	DefaultTargetCapacityType string `ec2:"DefaultTargetCapacityType" xml:"defaultTargetCapacityType,omitempty" json:"defaultType,omitempty"`
}

// FleetOnDemandOptions is a fleet's OnDemandOptions: the modelled members.
type FleetOnDemandOptions struct {
	AllocationStrategy string `ec2:"AllocationStrategy" xml:"allocationStrategy,omitempty" json:"allocationStrategy,omitempty"`
}

// FleetSpotOptions is a fleet's SpotOptions: the modelled members.
type FleetSpotOptions struct {
	AllocationStrategy string `ec2:"AllocationStrategy" xml:"allocationStrategy,omitempty" json:"allocationStrategy,omitempty"`
}

// FleetLaunchTemplateConfig is a launch template of a fleet as
// DescribeFleets shows it.
type FleetLaunchTemplateConfig struct {
	LaunchTemplateSpecification FleetLaunchTemplateSpecification `xml:"launchTemplateSpecification" json:"spec"`
	Overrides                   []FleetLaunchTemplateOverrides   `xml:"overrides,omitempty" json:"overrides,omitempty"`
}

// LaunchTemplateAndOverrides is the launch template and override an
// instance or an error of a fleet came from.
type LaunchTemplateAndOverrides struct {
	LaunchTemplateSpecification FleetLaunchTemplateSpecification `xml:"launchTemplateSpecification" json:"spec"`
	Overrides                   *FleetLaunchTemplateOverrides    `xml:"overrides" json:"overrides,omitempty"`
}

// FleetError is one launch a fleet could not make (CreateFleetError,
// DescribeFleetError).
type FleetError struct {
	LaunchTemplateAndOverrides LaunchTemplateAndOverrides `xml:"launchTemplateAndOverrides" json:"from"`
	Lifecycle                  string                     `xml:"lifecycle" json:"lifecycle"`
	ErrorCode                  string                     `xml:"errorCode" json:"code"`
	ErrorMessage               string                     `xml:"errorMessage" json:"message"`
}

// FleetInstances is the instances a fleet launched from one launch
// template and override (CreateFleetInstance, DescribeFleetsInstances).
type FleetInstances struct {
	LaunchTemplateAndOverrides LaunchTemplateAndOverrides `xml:"launchTemplateAndOverrides" json:"from"`
	Lifecycle                  string                     `xml:"lifecycle" json:"lifecycle"`
	InstanceIDs                []string                   `xml:"instanceIds" json:"instanceIds"`
	InstanceType               string                     `xml:"instanceType" json:"instanceType"`
	Platform                   string                     `xml:"platform,omitempty" json:"platform,omitempty"`
}

// CreateFleetResponse is CreateFleet's output.
type CreateFleetResponse struct {
	FleetID   string           `xml:"fleetId"`
	Errors    []FleetError     `xml:"errorSet"`
	Instances []FleetInstances `xml:"fleetInstanceSet"`
}

// DescribeFleetsRequest is DescribeFleets' input.
type DescribeFleetsRequest struct {
	DryRun     bool     `ec2:"DryRun"`
	FleetIDs   []string `ec2:"FleetId"`
	Filters    []Filter `ec2:"Filter"`
	MaxResults *int     `ec2:"MaxResults"`
	NextToken  string   `ec2:"NextToken"`
}

// FleetData is one fleet as DescribeFleets shows it.
type FleetData struct {
	ActivityStatus                   string                      `xml:"activityStatus,omitempty"`
	CreateTime                       time.Time                   `xml:"createTime"`
	FleetID                          string                      `xml:"fleetId"`
	FleetState                       string                      `xml:"fleetState"`
	ClientToken                      string                      `xml:"clientToken,omitempty"`
	ExcessCapacityTerminationPolicy  string                      `xml:"excessCapacityTerminationPolicy,omitempty"`
	FulfilledCapacity                float64                     `xml:"fulfilledCapacity"`
	FulfilledOnDemandCapacity        float64                     `xml:"fulfilledOnDemandCapacity"`
	LaunchTemplateConfigs            []FleetLaunchTemplateConfig `xml:"launchTemplateConfigs"`
	TargetCapacitySpecification      TargetCapacitySpecification `xml:"targetCapacitySpecification"`
	TerminateInstancesWithExpiration bool                        `xml:"terminateInstancesWithExpiration"`
	Type                             string                      `xml:"type"`
	ReplaceUnhealthyInstances        bool                        `xml:"replaceUnhealthyInstances"`
	OnDemandOptions                  *FleetOnDemandOptions       `xml:"onDemandOptions"`
	SpotOptions                      *FleetSpotOptions           `xml:"spotOptions"`
	Tags                             []Tag                       `xml:"tagSet"`
	Errors                           []FleetError                `xml:"errorSet"`
	Instances                        []FleetInstances            `xml:"fleetInstanceSet"`
}

// DescribeFleetsResponse is DescribeFleets' output.
type DescribeFleetsResponse struct {
	Fleets    []FleetData `xml:"fleetSet"`
	NextToken string      `xml:"nextToken,omitempty"`
}

// DescribeFleetInstancesRequest is DescribeFleetInstances' input.
type DescribeFleetInstancesRequest struct {
	DryRun     bool     `ec2:"DryRun"`
	FleetID    string   `ec2:"FleetId"`
	Filters    []Filter `ec2:"Filter"`
	MaxResults *int     `ec2:"MaxResults"`
	NextToken  string   `ec2:"NextToken"`
}

// DeleteFleetsRequest is DeleteFleets' input.
type DeleteFleetsRequest struct {
	DryRun             bool     `ec2:"DryRun"`
	FleetIDs           []string `ec2:"FleetId"`
	TerminateInstances *bool    `ec2:"TerminateInstances"`
}

// DeleteFleetsResponse is DeleteFleets' output.
type DeleteFleetsResponse struct {
	Successful   []DeleteFleetSuccess `xml:"successfulFleetDeletionSet"`
	Unsuccessful []DeleteFleetFailure `xml:"unsuccessfulFleetDeletionSet"`
}

// DeleteFleetSuccess is one fleet DeleteFleets deleted.
type DeleteFleetSuccess struct {
	CurrentFleetState  string `xml:"currentFleetState"`
	PreviousFleetState string `xml:"previousFleetState"`
	FleetID            string `xml:"fleetId"`
}

// DeleteFleetFailure is one fleet DeleteFleets did not delete; the codes
// are the DeleteFleetErrorCode enum (fleetIdDoesNotExist…).
type DeleteFleetFailure struct {
	Error   ResponseError `xml:"error"`
	FleetID string        `xml:"fleetId"`
}

// DescribeFleetInstancesResponse is DescribeFleetInstances' output.
type DescribeFleetInstancesResponse struct {
	ActiveInstances []ActiveInstance `xml:"activeInstanceSet"`
	FleetID         string           `xml:"fleetId"`
	NextToken       string           `xml:"nextToken,omitempty"`
}

// ActiveInstance is one running instance of a fleet.
type ActiveInstance struct {
	InstanceHealth        string `xml:"instanceHealth,omitempty"`
	InstanceID            string `xml:"instanceId"`
	InstanceType          string `xml:"instanceType"`
	SpotInstanceRequestID string `xml:"spotInstanceRequestId,omitempty"`
}

// ModifyFleetRequest is ModifyFleet's input; it answers Return.
type ModifyFleetRequest struct {
	DryRun                          bool                               `ec2:"DryRun"`
	FleetID                         string                             `ec2:"FleetId"`
	ExcessCapacityTerminationPolicy string                             `ec2:"ExcessCapacityTerminationPolicy"`
	LaunchTemplateConfigs           []FleetLaunchTemplateConfigRequest `ec2:"LaunchTemplateConfig"`
	TargetCapacitySpecification     *TargetCapacitySpecification       `ec2:"TargetCapacitySpecification"`
	Context                         string                             `ec2:"Context"`
}

// DescribeFleetHistoryRequest is DescribeFleetHistory's input.
type DescribeFleetHistoryRequest struct {
	DryRun     bool   `ec2:"DryRun"`
	FleetID    string `ec2:"FleetId"`
	EventType  string `ec2:"EventType"`
	StartTime  string `ec2:"StartTime"`
	MaxResults *int   `ec2:"MaxResults"`
	NextToken  string `ec2:"NextToken"`
}

// DescribeFleetHistoryResponse is DescribeFleetHistory's output.
type DescribeFleetHistoryResponse struct {
	HistoryRecords    []HistoryRecordEntry `xml:"historyRecordSet"`
	LastEvaluatedTime time.Time            `xml:"lastEvaluatedTime"`
	NextToken         string               `xml:"nextToken,omitempty"`
	FleetID           string               `xml:"fleetId"`
	StartTime         time.Time            `xml:"startTime"`
}

// HistoryRecordEntry is one event of an EC2 Fleet.
type HistoryRecordEntry struct {
	EventInformation EventInformation `xml:"eventInformation" json:"info"`
	EventType        string           `xml:"eventType" json:"type"`
	Timestamp        time.Time        `xml:"timestamp" json:"at"`
}

// EventInformation says what a fleet event was about.
type EventInformation struct {
	EventDescription string `xml:"eventDescription,omitempty" json:"description,omitempty"`
	EventSubType     string `xml:"eventSubType,omitempty" json:"subType,omitempty"`
	InstanceID       string `xml:"instanceId,omitempty" json:"instanceId,omitempty"`
}
