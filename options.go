package ec2emu

import (
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/ec2emu/ec2emu/backend"
)

// Option configures a Server. An option given a value that cannot be right
// (a nil logger or clock, a limit of zero or less, a negative duration)
// panics when it is made, as database/sql.Register does: the value is a bug
// in the calling program, and ignoring it would hide the bug.
type Option func(*config)

type config struct {
	region         string
	accountID      string
	logger         *slog.Logger
	now            func() time.Time
	retention      time.Duration
	namespace      string
	namespaceSet   bool // WithNamespace was given: only Open can honour it
	maxBody        int64
	maxInstances   int // 0: no count quota
	maxVcpus       int
	capacity       int
	credentials    map[string]string // nil: accept any credentials
	closeBackend   bool
	adoptTimeout   time.Duration
	backendTimeout time.Duration
	describeCache  int64
	access         accessConfig // public addresses, forwarding, SSH, metadata (publicip.go)
	stateDir       string       // "": in memory only (persist.go)
}

func defaultConfig() config {
	return config{
		region:         "us-east-1",
		accountID:      "000000000000",
		logger:         slog.New(slog.DiscardHandler),
		now:            time.Now,
		retention:      time.Hour,
		namespace:      backend.DefaultNamespace,
		maxBody:        1 << 20,
		maxVcpus:       1152,
		adoptTimeout:   30 * time.Second,
		backendTimeout: 5 * time.Minute,
		describeCache:  16 << 20,
	}
}

// WithRegion sets the region used when a request carries no SigV4 credential
// scope (anonymous or SigV2 requests). Default "us-east-1".
func WithRegion(region string) Option { return func(c *config) { c.region = region } }

// WithAccountID sets the account ID used when the access key is not itself a
// 12-digit account ID (LocalStack's convention). Default "000000000000".
func WithAccountID(id string) Option { return func(c *config) { c.accountID = id } }

// WithLogger sets the logger. Default: discard. Each request is logged at
// debug level with its request ID; internal errors at error level. It
// panics if l is nil.
func WithLogger(l *slog.Logger) Option {
	if l == nil {
		panic("ec2emu: WithLogger(nil); to log nothing, leave the option out")
	}
	return func(c *config) { c.logger = l }
}

// WithClock sets the time source, for tests of time-dependent behaviour
// (launch times, terminated-instance retention). Default time.Now. It
// panics if now is nil.
func WithClock(now func() time.Time) Option {
	if now == nil {
		panic("ec2emu: WithClock(nil)")
	}
	return func(c *config) { c.now = now }
}

// WithTerminatedRetention sets how long terminated instances stay
// describable, as on AWS (about an hour). Default one hour. It panics if d
// is negative.
func WithTerminatedRetention(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("ec2emu: WithTerminatedRetention(%v): negative", d))
	}
	return func(c *config) { c.retention = d }
}

// WithNamespace names this Server's share of a backend engine that several
// Servers may use at once: it sees and re-adopts only machines launched under
// the same namespace. Default "default". Only Open uses it: a backend passed
// to New was given its namespace when it was made, so New panics if given
// WithNamespace rather than ignore it.
func WithNamespace(ns string) Option {
	return func(c *config) { c.namespace, c.namespaceSet = ns, true }
}

// WithMaxBodyBytes caps the size of a request body; larger requests get
// RequestEntityTooLarge (413). Default 1 MiB. It panics if n < 1.
func WithMaxBodyBytes(n int64) Option {
	if n < 1 {
		panic(fmt.Sprintf("ec2emu: WithMaxBodyBytes(%d): want at least 1", n))
	}
	return func(c *config) { c.maxBody = n }
}

// WithVcpuLimit is each account's quota of vCPUs per region, as AWS counts
// On-Demand instances since 2019: the vCPUs of every non-terminated
// instance, from the instance-type catalogue. A RunInstances whose MaxCount
// would take the account above it gets VcpuLimitExceeded (400) and
// launches nothing. It also bounds what one request can make the Server
// allocate. Default 1,152 (AWS's default Standard quota for an established
// account), so a parallel test suite does not trip over it by accident.
// It panics when n < 1.
func WithVcpuLimit(n int) Option {
	if n < 1 {
		panic(fmt.Sprintf("ec2emu: WithVcpuLimit(%d): want at least 1", n))
	}
	return func(c *config) { c.maxVcpus = n }
}

// WithInstanceLimit adds the pre-2019 quota: a count of non-terminated
// instances per account and region; a RunInstances whose MaxCount would
// take the account above it gets InstanceLimitExceeded (400). Off by
// default (AWS now counts vCPUs: see WithVcpuLimit). It panics when n < 1.
func WithInstanceLimit(n int) Option {
	if n < 1 {
		panic(fmt.Sprintf("ec2emu: WithInstanceLimit(%d): want at least 1", n))
	}
	return func(c *config) { c.maxInstances = n }
}

// WithCapacity sets how many instances the Server runs at once over all
// accounts and regions, like the capacity of an AWS Availability Zone: a
// RunInstances whose MinCount does not fit launches nothing and gets
// InsufficientInstanceCapacity (500); one whose MaxCount does not fit
// launches as many as fit. A backend that reports its own capacity
// (backend.CapacityReporter) is asked as well. Default 0: no limit but the
// backend's. It panics if n is negative.
func WithCapacity(n int) Option {
	if n < 0 {
		panic(fmt.Sprintf("ec2emu: WithCapacity(%d): negative (0 means no limit)", n))
	}
	return func(c *config) { c.capacity = n }
}

// WithCredentials turns on SigV4 authentication: every request must be
// signed (Authorization header or presigned query) with one of these access
// key IDs and its secret access key (keys maps access key ID to secret).
// An unknown key gets AuthFailure (401), a wrong signature
// SignatureDoesNotMatch (403), a date more than 15 minutes off the Server's
// clock (or a presigned URL past its X-Amz-Expires) RequestExpired (400), an
// unsigned request MissingAuthenticationToken (403). Default (nil or empty):
// any credentials, and none, are accepted.
func WithCredentials(keys map[string]string) Option {
	return func(c *config) {
		c.credentials = nil
		if len(keys) > 0 {
			c.credentials = maps.Clone(keys)
		}
	}
}

// WithBackendTimeout bounds each background backend call (launch, stop,
// start, terminate, create-image). Default five minutes. It panics if d is
// not positive.
func WithBackendTimeout(d time.Duration) Option {
	if d <= 0 {
		panic(fmt.Sprintf("ec2emu: WithBackendTimeout(%v): want a positive duration", d))
	}
	return func(c *config) { c.backendTimeout = d }
}

// WithDescribeCache bounds the memory kept for instances as DescribeInstances
// writes them. An instance that has not changed since it was last described
// is copied from that answer instead of being built and encoded again,
// which is most of a DescribeInstances' cost; an instance takes about
// 5.5 KiB. Default 16 MiB (about 3,000 instances; the rest are encoded on
// every call). 0 turns the cache off. It panics if maxBytes is negative.
func WithDescribeCache(maxBytes int64) Option {
	if maxBytes < 0 {
		panic(fmt.Sprintf("ec2emu: WithDescribeCache(%d): negative (0 turns the cache off)", maxBytes))
	}
	return func(c *config) { c.describeCache = maxBytes }
}

// WithStateDir keeps the Server's EC2 state — key pairs, security groups and
// their rules, tags, instance attributes, client tokens, images in the
// making, terminated instances within their retention — in a database in
// dir (created if need be), so that it survives a restart. Each request
// that changes state is answered once the change is on disk. A restarted
// Server reads it back and reconciles it with the machines its backend
// still has: an instance whose machine is gone is terminated with reason
// Server.InternalError. A state directory that cannot be read (corrupt,
// written by a newer ec2emu, held by another process) is not reset: Open
// returns the error and a Server made by New answers every request with
// 503 Unavailable saying why. Default "": state lives in memory only.
func WithStateDir(dir string) Option { return func(c *config) { c.stateDir = dir } }
