package covet

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/covetgo/covet/core/internal/cli"
	"github.com/covetgo/covet/core/internal/lazyconn"
	"github.com/covetgo/covet/core/internal/serve"
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
		serve.H2C(srv)
	}
	return srv
}

// Run listens on addr and serves until SIGINT or SIGTERM, then shuts down
// gracefully (see ServeContext for the steps): readiness turns down, the
// listener closes after ServerConfig.DrainDelay, in-flight requests finish
// (up to ServerConfig.ShutdownTimeout), and the plugins stop in reverse
// order. It returns nil after a clean shutdown, so a main function reads
//
//	if err := app.Run(addr); err != nil {
//		log.Fatal(err)
//	}
//
// and exits 0 when stopped by a signal (log.Fatal(app.Run(addr)) would exit
// 1, printing <nil>).
//
// When the environment variable ListenFDEnv (COVET_LISTEN_FD) names an
// inherited listening socket, Run serves on it and ignores addr (`covet dev`
// hands one over to keep it open across restarts).
func (a *App) Run(addr string) error {
	if a.commandMode() {
		return ErrNoMain
	}
	ln, err := cli.ListenerFromEnv(ListenFDEnv)
	if err != nil {
		return err
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", addr); err != nil {
			return err
		}
	}
	return a.Serve(ln)
}

// RunTLS is Run over TLS with the given certificate and key files; HTTP/2 is
// negotiated with clients that support it.
func (a *App) RunTLS(addr, certFile, keyFile string) error {
	cfg, err := serve.TLSConfig(a.cfg.server.TLSConfig, certFile, keyFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return a.Serve(tls.NewListener(a.lazy(ln), cfg))
}

// Serve serves on ln until SIGINT or SIGTERM, as Run does. The first signal
// begins the graceful shutdown; a second one ends the process at once (the
// default action of the signal), for an operator who will not wait.
func (a *App) Serve(ln net.Listener) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop)
	return a.ServeContext(ctx, ln)
}

// ServeContext serves on ln until ctx is canceled, then shuts down
// gracefully as Run does. It starts the plugins first.
//
// Shutdown, in order: readiness turns down and, when ServerConfig.DrainDelay
// is set, the server keeps serving for that long (without keep-alive) so a
// load balancer sees the failing readiness and stops sending traffic; the
// drain signal fires (Draining; SSE and Stream responses end); the
// listener closes and in-flight
// requests finish, up to ServerConfig.ShutdownTimeout, after which their
// connections are closed; background tasks (Context.After, App.Go) finish
// within what remains of that deadline, and those still running are logged
// as abandoned; then the plugins are stopped in reverse order with
// a live context: what remains of ShutdownTimeout, and at least
// ServerConfig.StopTimeout. It returns nil after a clean shutdown, and an
// error when requests had to be cut off or a plugin failed to stop.
func (a *App) ServeContext(ctx context.Context, ln net.Listener) error {
	if a.commandMode() {
		ln.Close()
		return ErrNoMain
	}
	if err := a.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	srv := a.Server(ln.Addr().String())
	a.logger.Info("covet: serving", "addr", ln.Addr().String())
	sc := a.cfg.server
	// lazyconn keeps the timeouts' protection without re-arming the
	// socket's timers on every request.
	return serve.Serve(ctx, srv, a.lazy(ln), a.logger, serve.Hooks{
		ReadinessDown:  func() { a.draining.Store(true) },
		BeginDrain:     a.beginDrain,
		WaitBackground: func(ctx context.Context) error { return a.background.Wait(ctx, a.logger) },
		Stop:           a.Stop,
	}, serve.Timeouts{DrainDelay: sc.DrainDelay, Shutdown: sc.ShutdownTimeout, Stop: sc.StopTimeout})
}

// lazy wraps ln in lazyconn for the server's timeouts.
func (a *App) lazy(ln net.Listener) net.Listener {
	sc := a.cfg.server
	return lazyconn.Wrap(ln, sc.ReadHeaderTimeout, sc.ReadTimeout, sc.WriteTimeout, sc.IdleTimeout)
}
