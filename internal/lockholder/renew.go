package lockholder

import (
	"context"
	"log/slog"
	"time"
)

// Renewal is how a held lock's lease is kept alive.
type Renewal struct {
	Every time.Duration // how often Renew renews
	Lease time.Duration // how long another host waits for a silent holder
	// Renew renews once; n counts the attempts from 1.
	Renew func(ctx context.Context, n int) error
	// Gone reports whether Renew's error means the lock is no longer
	// this holder's (the engine shows the marker removed or taken over).
	Gone func(error) bool
	Log  *slog.Logger
	What string // how log lines name the engine and marker, e.g. "docker: the namespace lock container"
	Attr []any  // logged with every line
}

// Run renews every r.Every until ctx ends (it returns false) or the lock
// is gone (it returns true). Any other failure, an engine that does not
// answer, is logged and retried: the lock is lost only when the engine
// says so, since after an outage the marker is still this holder's unless
// someone took it over. Once a lease has passed without a renewal it logs
// at Error, as another host may now take the namespace.
func (r Renewal) Run(ctx context.Context) (lost bool) {
	t := time.NewTicker(r.Every)
	defer t.Stop()
	renewed := time.Now()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, r.Every)
		err := r.Renew(rctx, n)
		cancel()
		switch {
		case ctx.Err() != nil:
			return false
		case err == nil:
			renewed = time.Now()
		case r.Gone(err):
			r.Log.Error(r.What+" is gone: another server has taken the namespace over", r.Attr...)
			return true
		default:
			level := slog.LevelWarn
			if time.Since(renewed) >= r.Lease {
				level = slog.LevelError
			}
			r.Log.Log(ctx, level, r.What+": cannot renew the lease", append(r.Attr, "since", renewed, "err", err)...)
		}
	}
}
