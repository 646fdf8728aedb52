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
