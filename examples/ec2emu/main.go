// Command ec2emu is the standalone EC2 emulator: an HTTP server on loopback
// that the AWS CLI, boto3, Terraform and the SDKs can use as their EC2
// endpoint.
//
//	go run ./examples/ec2emu                       # docker backend, 127.0.0.1:4566
//	EC2_VM_MANAGER=mock go run ./examples/ec2emu   # no compute
//	aws --endpoint-url http://127.0.0.1:4566 ec2 describe-images
//
// Environment: EC2_VM_MANAGER (docker, mock or virtualbox; default docker),
// EC2EMU_NAMESPACE (default "standalone", fixed so a restart re-adopts its
// own instances), EC2EMU_LOG_LEVEL (debug, info, warn, error; default info),
// EC2EMU_CREDENTIALS (AKID:SECRET,… turns on SigV4 verification; default:
// any credentials), EC2EMU_INSTANCE_LIMIT (instances per account and region;
// default 20), EC2EMU_PUBLIC_IP_POOL (the CIDR public addresses come from;
// default 127.100.0.0/16, "off" for none; see docs/access.md),
// EC2EMU_SSH_HOST_KEY_SECRET (what instance SSH host keys are derived from),
// plus each backend's own settings (docker: EC2_METADATA_NETWORK).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend"
	_ "github.com/ec2emu/ec2emu/backend/mock"
	_ "github.com/ec2emu/ec2emu/docker"
	_ "github.com/ec2emu/ec2emu/virtualbox"
)

// defaultAddr is where the server listens unless told otherwise: loopback
// only, since it accepts any credentials and runs containers on request.
const defaultAddr = "127.0.0.1:4566"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ec2emu:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", defaultAddr, "address to listen on (loopback by default)")
	region := flag.String("region", "us-east-1", "region for requests that carry no SigV4 credential scope")
	flag.Parse()

	level := slog.LevelInfo
	if err := level.UnmarshalText([]byte(envOr("EC2EMU_LOG_LEVEL", "info"))); err != nil {
		return fmt.Errorf("EC2EMU_LOG_LEVEL: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	namespace := envOr("EC2EMU_NAMESPACE", "standalone")
	opts := []ec2emu.Option{ec2emu.WithLogger(log), ec2emu.WithRegion(*region), ec2emu.WithNamespace(namespace)}
	if v := os.Getenv("EC2EMU_CREDENTIALS"); v != "" {
		keys, err := parseCredentials(v)
		if err != nil {
			return fmt.Errorf("EC2EMU_CREDENTIALS: %w", err)
		}
		opts = append(opts, ec2emu.WithCredentials(keys))
		log.Info("SigV4 authentication on", "keys", len(keys))
	}
	for _, q := range []struct {
		env string
		opt func(int) ec2emu.Option
	}{{"EC2EMU_VCPU_LIMIT", ec2emu.WithVcpuLimit}, {"EC2EMU_INSTANCE_LIMIT", ec2emu.WithInstanceLimit}} {
		if v := os.Getenv(q.env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("%s=%q: want a positive number", q.env, v)
			}
			opts = append(opts, q.opt(n))
		}
	}

	switch v := os.Getenv("EC2EMU_PUBLIC_IP_POOL"); v {
	case "":
	case "off":
		opts = append(opts, ec2emu.WithPublicIPPool(netip.Prefix{}))
	default:
		p, err := netip.ParsePrefix(v)
		if err != nil || !p.Addr().Is4() {
			return fmt.Errorf("EC2EMU_PUBLIC_IP_POOL=%q: want an IPv4 CIDR such as 127.100.0.0/16, or off", v)
		}
		opts = append(opts, ec2emu.WithPublicIPPool(p))
	}
	if v := os.Getenv("EC2EMU_SSH_HOST_KEY_SECRET"); v != "" {
		opts = append(opts, ec2emu.WithSSHHostKeySecret([]byte(v)))
	}

	name := envOr("EC2_VM_MANAGER", "docker")
	dir, err := stateDir(name, namespace)
	if err != nil {
		return err
	}
	if dir != "" {
		opts = append(opts, ec2emu.WithStateDir(dir))
		log.Info("state kept on disk", "dir", dir)
	}
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	srv, err := ec2emu.Open(openCtx, name, opts...)
	cancel()
	if errors.Is(err, backend.ErrNamespaceLocked) {
		return err // it names the namespace and how to pick another
	}
	if err != nil {
		return fmt.Errorf("cannot open the %q backend: %w\n(set EC2_VM_MANAGER to one of: %s; \"mock\" needs nothing)",
			name, err, strings.Join(backend.Names(), ", "))
	}
	defer srv.Close()
	// A library backend starts without its engine and reports Unavailable
	// per call; a server a user just started should say so once, now,
	// rather than print "listening" and have every CLI call retry.
	if p, ok := srv.Backend().(backend.Pinger); ok {
		pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := p.Ping(pingCtx)
		cancel()
		if err != nil {
			return fmt.Errorf("the %q backend's engine does not answer: %w\n(is it running? `make run` starts dockerd; EC2_VM_MANAGER=mock needs nothing)", name, err)
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	log.Info("ec2emu listening", "addr", "http://"+ln.Addr().String(), "backend", name)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// parseCredentials reads "AKID:SECRET,AKID2:SECRET2". Secret access keys
// contain neither ':' nor ','.
func parseCredentials(v string) (map[string]string, error) {
	keys := map[string]string{}
	for pair := range strings.SplitSeq(v, ",") {
		id, secret, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok || id == "" || secret == "" {
			return nil, fmt.Errorf("%q is not ACCESS_KEY_ID:SECRET_ACCESS_KEY", pair)
		}
		keys[id] = secret
	}
	return keys, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// stateDir is where the server keeps its state: EC2EMU_STATE_DIR ("off":
// in memory only), else $XDG_DATA_HOME/ec2emu/<backend>/<namespace>
// (~/.local/share/… by default), so that two servers with different
// backends or namespaces never share one.
func stateDir(backendName, namespace string) (string, error) {
	switch v := os.Getenv("EC2EMU_STATE_DIR"); v {
	case "off":
		return "", nil
	case "":
	default:
		return v, nil
	}
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no state directory: %w (set EC2EMU_STATE_DIR, or EC2EMU_STATE_DIR=off to keep state in memory)", err)
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "ec2emu", backendName, namespace), nil
}
