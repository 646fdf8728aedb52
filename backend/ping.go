package backend

import "context"

// Pinger is an optional capability: a cheap check that the backend's engine
// answers. The Server calls it before accepting a request whose work happens
// in the background (stop, start, reboot, terminate), so that such a request
// answers Unavailable at once when the engine is down instead of being
// accepted and then failing out of sight. Ping reports an unreachable engine
// with an error wrapping ErrUnavailable.
type Pinger interface {
	Ping(ctx context.Context) error
}
