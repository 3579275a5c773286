// Package serve runs covet's graceful shutdown sequence around an
// http.Server: readiness down, the drain delay, the drain signal, the
// listener's close with the in-flight requests' deadline, background tasks,
// then the plugins' stop with a live context; also the TLS and h2c set-up
// of the server. covet's server.go keeps Run,
// Serve and ServeContext and documents the order; the app's parts of the
// sequence come in as Hooks. It does not import covet.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Hooks are the app's steps of the shutdown.
type Hooks struct {
	// ReadinessDown turns readiness down (first step of the shutdown).
	ReadinessDown func()
	// BeginDrain fires the drain signal.
	BeginDrain func()
	// WaitBackground waits for the background tasks until ctx ends.
	WaitBackground func(ctx context.Context) error
	// Stop stops the plugins (and fires the drain signal if not yet).
	Stop func(ctx context.Context) error
}

// Timeouts are the shutdown's durations (covet.ServerConfig).
type Timeouts struct {
	DrainDelay, Shutdown, Stop time.Duration
}

// Serve serves srv on ln until ctx is canceled, then shuts down in order
// (see covet.App.ServeContext). It returns nil after a clean shutdown.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, logger *slog.Logger, h Hooks, t Timeouts) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		// The server failed on its own (not through shutdown).
		return errors.Join(err, h.Stop(context.WithoutCancel(ctx)))
	case <-ctx.Done():
	}
	h.ReadinessDown()
	if t.DrainDelay > 0 {
		logger.Info("covet: readiness down; serving on before closing the listener", "drain_delay", t.DrainDelay.String())
		// Clients reconnect (through the load balancer) for their next request.
		srv.SetKeepAlivesEnabled(false)
		tm := time.NewTimer(t.DrainDelay)
		select {
		case <-tm.C:
		case err := <-errc:
			tm.Stop()
			h.BeginDrain()
			return errors.Join(err, h.Stop(context.WithoutCancel(ctx)))
		}
	}
	h.BeginDrain()
	logger.Info("covet: shutting down", "timeout", t.Shutdown.String())
	base := context.WithoutCancel(ctx)
	sctx, cancel := context.WithCancel(base)
	if t.Shutdown > 0 {
		sctx, cancel = context.WithTimeout(base, t.Shutdown)
	}
	defer cancel()
	shutErr := srv.Shutdown(sctx)
	if errors.Is(shutErr, context.DeadlineExceeded) {
		// Requests still running past the deadline: cut their connections.
		logger.Warn("covet: shutdown deadline passed; closing the connections of requests still running", "timeout", t.Shutdown.String())
		srv.Close()
		shutErr = fmt.Errorf("covet: requests still running after the shutdown timeout (%s) were cut off: %w", t.Shutdown, shutErr)
	}
	<-errc
	// Background tasks (Context.After, App.Go) get what remains of the
	// deadline once the requests are done.
	if bgErr := h.WaitBackground(sctx); bgErr != nil {
		shutErr = errors.Join(shutErr, bgErr)
	}
	stopCtx := sctx
	if dl, ok := sctx.Deadline(); ok && t.Stop == 0 {
		stopCtx = base // StopTimeout: NoTimeout
	} else if ok && time.Until(dl) < t.Stop {
		var stopCancel context.CancelFunc
		stopCtx, stopCancel = context.WithTimeout(base, t.Stop)
		defer stopCancel()
	}
	if err := errors.Join(shutErr, h.Stop(stopCtx)); err != nil {
		return err
	}
	logger.Info("covet: stopped")
	return nil
}
