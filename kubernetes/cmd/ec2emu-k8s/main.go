// Command ec2emu-k8s is the EC2 emulator with the kubernetes backend: an
// HTTP server on loopback whose instances are pods in the cluster that
// KUBECONFIG (or ~/.kube/config, or the pod's service account) names.
//
//	cd kubernetes && go run ./cmd/ec2emu-k8s          # 127.0.0.1:4566
//	aws --endpoint-url http://127.0.0.1:4566 ec2 describe-images
//
// It lives in the kubernetes module so that the main module's standalone
// server (examples/ec2emu) does not build client-go. Environment:
// EC2EMU_NAMESPACE (default "standalone", fixed so a restart re-adopts its
// own instances), EC2EMU_LOG_LEVEL (default info), and the backend's own
// settings (EC2_K8S_NAMESPACE, EC2_K8S_REQUEST_SCALE; see the package doc).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ec2emu/ec2emu"
	_ "github.com/ec2emu/ec2emu/kubernetes"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ec2emu-k8s:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:4566", "address to listen on (loopback by default)")
	region := flag.String("region", "us-east-1", "region for requests that carry no SigV4 credential scope")
	flag.Parse()
	level := slog.LevelInfo
	if v := os.Getenv("EC2EMU_LOG_LEVEL"); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			return fmt.Errorf("EC2EMU_LOG_LEVEL: %w", err)
		}
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ns := os.Getenv("EC2EMU_NAMESPACE")
	if ns == "" {
		ns = "standalone"
	}
	// State is kept only where EC2EMU_STATE_DIR says (the instances
	// themselves survive as pods either way).
	opts := []ec2emu.Option{ec2emu.WithLogger(log), ec2emu.WithRegion(*region), ec2emu.WithNamespace(ns)}
	if dir := os.Getenv("EC2EMU_STATE_DIR"); dir != "" && dir != "off" {
		opts = append(opts, ec2emu.WithStateDir(dir))
	}
	srv, err := ec2emu.Open(ctx, "kubernetes", opts...)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	// The address as bound, so -addr 127.0.0.1:0 tells its port.
	log.Info("listening", "addr", "http://"+ln.Addr().String(), "backend", "kubernetes")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
