package xmlproto

import "time"

// Shapes of Spot Instance requests, named as in the 2016-11-15 API model.
// Timestamps in requests are strings: the Server parses them itself, so it
// can answer a malformed one with EC2's own error.

// RunInstancesMarketOptions holds RunInstances' InstanceMarketOptions; the
// Server decodes it from the same parameters as RunInstancesRequest.
type RunInstancesMarketOptions struct {
	InstanceMarketOptions *InstanceMarketOptionsRequest `ec2:"InstanceMarketOptions"`
}

// InstanceMarketOptionsRequest is RunInstances' InstanceMarketOptions.
type InstanceMarketOptionsRequest struct {
	MarketType  string             `ec2:"MarketType"`
	SpotOptions *SpotMarketOptions `ec2:"SpotOptions"`
}

// SpotMarketOptions is InstanceMarketOptions.SpotOptions.
type SpotMarketOptions struct {
	MaxPrice                     string `ec2:"MaxPrice"`
	SpotInstanceType             string `ec2:"SpotInstanceType"`
	BlockDurationMinutes         *int   `ec2:"BlockDurationMinutes"`
	ValidUntil                   string `ec2:"ValidUntil"`
	InstanceInterruptionBehavior string `ec2:"InstanceInterruptionBehavior"`
}

// RequestSpotInstancesRequest is RequestSpotInstances' input.
type RequestSpotInstancesRequest struct {
	DryRun                       bool                            `ec2:"DryRun"`
	AvailabilityZoneGroup        string                          `ec2:"AvailabilityZoneGroup"`
	BlockDurationMinutes         *int                            `ec2:"BlockDurationMinutes"`
	ClientToken                  string                          `ec2:"ClientToken"`
	InstanceCount                *int                            `ec2:"InstanceCount"`
	LaunchGroup                  string                          `ec2:"LaunchGroup"`
	LaunchSpecification          *RequestSpotLaunchSpecification `ec2:"LaunchSpecification"`
	SpotPrice                    string                          `ec2:"SpotPrice"`
	Type                         string                          `ec2:"Type"`
	ValidFrom                    string                          `ec2:"ValidFrom"`
	ValidUntil                   string                          `ec2:"ValidUntil"`
	TagSpecifications            []TagSpecification              `ec2:"TagSpecification"`
	InstanceInterruptionBehavior string                          `ec2:"InstanceInterruptionBehavior"`
}

// RequestSpotLaunchSpecification is the part of RequestSpotInstances'
// LaunchSpecification the Server shows back; the whole of it is passed on
// to RunInstances, whose members share its names.
type RequestSpotLaunchSpecification struct {
	ImageID          string   `ec2:"ImageId"`
	InstanceType     string   `ec2:"InstanceType"`
	KeyName          string   `ec2:"KeyName"`
	SubnetID         string   `ec2:"SubnetId"`
	SecurityGroupIDs []string `ec2:"SecurityGroupId"`
	SecurityGroups   []string `ec2:"SecurityGroup"`
	Placement        *struct {
		AvailabilityZone string `ec2:"AvailabilityZone"`
	} `ec2:"Placement"`
}

// SpotInstanceRequestIDsRequest is the input of DescribeSpotInstanceRequests
// and CancelSpotInstanceRequests.
type SpotInstanceRequestIDsRequest struct {
	DryRun                 bool     `ec2:"DryRun"`
	SpotInstanceRequestIDs []string `ec2:"SpotInstanceRequestId"`
	Filters                []Filter `ec2:"Filter"`
	MaxResults             *int     `ec2:"MaxResults"`
	NextToken              string   `ec2:"NextToken"`
}

// SpotInstanceRequest is an item of `spotInstanceRequestSet`.
type SpotInstanceRequest struct {
	SpotInstanceRequestID        string                  `xml:"spotInstanceRequestId"`
	SpotPrice                    string                  `xml:"spotPrice,omitempty"`
	Type                         string                  `xml:"type"`
	State                        string                  `xml:"state"`
	Status                       SpotInstanceStatus      `xml:"status"`
	ValidFrom                    *time.Time              `xml:"validFrom"`
	ValidUntil                   *time.Time              `xml:"validUntil"`
	LaunchGroup                  string                  `xml:"launchGroup,omitempty"`
	AvailabilityZoneGroup        string                  `xml:"availabilityZoneGroup,omitempty"`
	LaunchSpecification          SpotLaunchSpecification `xml:"launchSpecification"`
	InstanceID                   string                  `xml:"instanceId,omitempty"`
	CreateTime                   time.Time               `xml:"createTime"`
	ProductDescription           string                  `xml:"productDescription"`
	Tags                         []Tag                   `xml:"tagSet"`
	LaunchedAvailabilityZone     string                  `xml:"launchedAvailabilityZone,omitempty"`
	InstanceInterruptionBehavior string                  `xml:"instanceInterruptionBehavior"`
}

// SpotInstanceStatus is a Spot request's `status`.
type SpotInstanceStatus struct {
	Code       string    `xml:"code"`
	UpdateTime time.Time `xml:"updateTime"`
	Message    string    `xml:"message"`
}

// SpotLaunchSpecification is a Spot request's `launchSpecification`: the
// members the Server keeps.
type SpotLaunchSpecification struct {
	ImageID      string            `xml:"imageId"`
	KeyName      string            `xml:"keyName,omitempty"`
	Groups       []GroupIdentifier `xml:"groupSet"`
	InstanceType string            `xml:"instanceType"`
	Placement    *SpotPlacement    `xml:"placement"`
	SubnetID     string            `xml:"subnetId,omitempty"`
	Monitoring   SpotMonitoring    `xml:"monitoring"`
}

// SpotMonitoring is a Spot launch specification's `monitoring`.
type SpotMonitoring struct {
	Enabled bool `xml:"enabled"`
}

// SpotPlacement is a Spot launch specification's `placement`.
type SpotPlacement struct {
	AvailabilityZone string `xml:"availabilityZone"`
}

// RequestSpotInstancesResponse is RequestSpotInstances' output.
type RequestSpotInstancesResponse struct {
	SpotInstanceRequests []SpotInstanceRequest `xml:"spotInstanceRequestSet"`
}

// DescribeSpotInstanceRequestsResponse is DescribeSpotInstanceRequests'
// output.
type DescribeSpotInstanceRequestsResponse struct {
	SpotInstanceRequests []SpotInstanceRequest `xml:"spotInstanceRequestSet"`
	NextToken            string                `xml:"nextToken,omitempty"`
}

// CancelledSpotInstanceRequest is an item of CancelSpotInstanceRequests'
// `spotInstanceRequestSet`.
type CancelledSpotInstanceRequest struct {
	SpotInstanceRequestID string `xml:"spotInstanceRequestId"`
	State                 string `xml:"state"`
}

// CancelSpotInstanceRequestsResponse is CancelSpotInstanceRequests' output.
type CancelSpotInstanceRequestsResponse struct {
	SpotInstanceRequests []CancelledSpotInstanceRequest `xml:"spotInstanceRequestSet"`
}
