package covet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Server returns an http.Server for the app with the configured timeouts and
// limits (see ServerConfig), for callers that manage the server themselves.
// Its Shutdown fires the app's drain signal (see Draining).
func (a *App) Server(addr string) *http.Server {
	sc := a.cfg.server
	srv := &http.Server{
		Addr:              addr,
		Handler:           a,
		ReadHeaderTimeout: sc.ReadHeaderTimeout,
		ReadTimeout:       sc.ReadTimeout,
		WriteTimeout:      sc.WriteTimeout,
		IdleTimeout:       sc.IdleTimeout,
		MaxHeaderBytes:    sc.MaxHeaderBytes,
		TLSConfig:         sc.TLSConfig,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	// Shutdown tells streams, WebSockets and plugins to finish (Draining).
	srv.RegisterOnShutdown(a.beginDrain)
	if sc.H2C {
		p := new(http.Protocols)
		p.SetHTTP1(true)
		p.SetUnencryptedHTTP2(true)
		p.SetHTTP2(true)
		srv.Protocols = p
	}
	return srv
}

// Run listens on addr and serves until SIGINT or SIGTERM, then shuts down
// gracefully: it stops accepting connections, lets in-flight requests finish
// (up to ServerConfig.ShutdownTimeout), and stops the plugins in reverse
// order. It returns nil after a graceful shutdown.
func (a *App) Run(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return a.Serve(ln)
}

// RunTLS is Run over TLS with the given certificate and key files; HTTP/2 is
// negotiated with clients that support it.
func (a *App) RunTLS(addr, certFile, keyFile string) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	cfg := a.cfg.server.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	} else {
		cfg = cfg.Clone()
	}
	cfg.Certificates = append(cfg.Certificates, cert)
	if len(cfg.NextProtos) == 0 {
		cfg.NextProtos = []string{"h2", "http/1.1"}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return a.Serve(tls.NewListener(ln, cfg))
}

// Serve serves on ln until SIGINT or SIGTERM, as Run does.
func (a *App) Serve(ln net.Listener) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return a.ServeContext(ctx, ln)
}

// ServeContext serves on ln until ctx is canceled, then shuts down
// gracefully as Run does. It starts the plugins first.
//
// Shutdown, in order: the drain signal fires (Draining; readiness turns
// down, SSE and Stream responses end); the listener closes and in-flight
// requests finish, up to ServerConfig.ShutdownTimeout, after which their
// connections are closed; then the plugins are stopped in reverse order with
// a live context: what remains of ShutdownTimeout, and at least
// ServerConfig.StopTimeout. It returns nil after a clean shutdown, and an
// error when requests had to be cut off or a plugin failed to stop.
func (a *App) ServeContext(ctx context.Context, ln net.Listener) error {
	if err := a.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	srv := a.Server(ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.logger.Info("covet: serving", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		// The server failed on its own (not through shutdown).
		stopErr := a.Stop(context.WithoutCancel(ctx))
		return errors.Join(err, stopErr)
	case <-ctx.Done():
	}
	a.beginDrain()
	sc := a.cfg.server
	a.logger.Info("covet: shutting down", "timeout", sc.ShutdownTimeout.String())
	base := context.WithoutCancel(ctx)
	sctx, cancel := context.WithTimeout(base, sc.ShutdownTimeout)
	defer cancel()
	shutErr := srv.Shutdown(sctx)
	if errors.Is(shutErr, context.DeadlineExceeded) {
		// Requests still running past the deadline: cut their connections.
		a.logger.Warn("covet: shutdown deadline passed; closing the connections of requests still running", "timeout", sc.ShutdownTimeout.String())
		srv.Close()
		shutErr = fmt.Errorf("covet: requests still running after the shutdown timeout (%s) were cut off: %w", sc.ShutdownTimeout, shutErr)
	}
	<-errc
	stopCtx := sctx
	if dl, _ := sctx.Deadline(); time.Until(dl) < sc.StopTimeout {
		var stopCancel context.CancelFunc
		stopCtx, stopCancel = context.WithTimeout(base, sc.StopTimeout)
		defer stopCancel()
	}
	stopErr := a.Stop(stopCtx)
	if err := errors.Join(shutErr, stopErr); err != nil {
		return err
	}
	a.logger.Info("covet: stopped")
	return nil
}
