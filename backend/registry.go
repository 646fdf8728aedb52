package backend

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
)

// Opener opens a backend from a Config.
type Opener func(ctx context.Context, cfg Config) (Backend, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Opener{}
)

// Register makes a backend available by name. It panics if open is nil or the
// name is already taken, as database/sql.Register does; call it from an init
// function.
func Register(name string, open Opener) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if open == nil {
		panic("backend: Register opener is nil")
	}
	if name == "" {
		panic("backend: Register name is empty")
	}
	if _, dup := registry[name]; dup {
		panic("backend: Register called twice for " + name)
	}
	registry[name] = open
}

// Names returns the registered backend names, sorted.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Open opens the backend registered under name. Unset Config fields get
// defaults: a discarding Logger and os.Getenv.
func Open(ctx context.Context, name string, cfg Config) (Backend, error) {
	registryMu.RLock()
	open, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("backend: unknown backend %q (registered: %v; did you import its package?)", name, Names())
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	return open(ctx, cfg)
}
