package main

// The operator's listener (--metrics-addr): /metrics, /healthz and
// /readyz for a Prometheus and probes on a private network or loopback,
// on reel serve and reel worker alike. It answers anyone who reaches it:
// bind it where only they can.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"reel/health"
)

// listenError explains a listener that could not start, naming the flag
// (and its variable) that moves it: a port in use is the usual case, with
// a second reel, or another program, on it.
func listenError(err error, addr, flagName string) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s is already in use: stop the program listening there, or choose another address with --%s (or %s)", addr, flagName, envName(flagName))
	}
	return fmt.Errorf("listen on %s (--%s): %w", addr, flagName, err)
}

// serveOps starts the operator's listener on addr, if set, and returns
// its address and the func that stops it.
func serveOps(addr string, p *parts) (string, func(context.Context), error) {
	if addr == "" {
		return "", func(context.Context) {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, listenError(err, addr, "metrics-addr")
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", p.metrics.Handler())
	mux.HandleFunc("GET /healthz", health.Live)
	mux.Handle("GET /readyz", p.ready)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("metrics listener", "err", err)
		}
	}()
	p.log.Info("serving metrics and probes", "metrics", "http://"+ln.Addr().String())
	return ln.Addr().String(), func(ctx context.Context) { srv.Shutdown(ctx) }, nil
}
