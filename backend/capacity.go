package backend

import "context"

// CapacityReporter is an optional Backend capability: a backend with a
// bound on the machines it can run says how many more it can launch now.
// The Server asks before a RunInstances, so that a MinCount the backend
// cannot meet launches nothing and answers InsufficientInstanceCapacity
// rather than failing instance by instance. A negative count means no bound;
// an error wrapping ErrCapacity means none can be launched.
type CapacityReporter interface {
	Capacity(ctx context.Context) (int, error)
}

// LaunchCapacityReporter refines CapacityReporter for a backend whose room
// depends on what is launched (a cluster's free CPU and memory per node,
// the nodes that hold the image, the zone): how many machines of spec it
// can launch now. The Server asks it, when the backend has it, instead of
// Capacity.
type LaunchCapacityReporter interface {
	LaunchCapacity(ctx context.Context, spec CapacitySpec) (int, error)
}

// CapacitySpec says what a RunInstances would launch.
type CapacitySpec struct {
	// InstanceType is the EC2 instance type, e.g. "t3.micro".
	InstanceType string
	// ImageID is the AMI.
	ImageID string
	// Zone is the availability zone the machines go to, "" for any.
	Zone string
}
