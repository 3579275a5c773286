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

	"github.com/covetgo/covet/core/command"
	"github.com/covetgo/covet/core/internal/cli"
	"github.com/covetgo/covet/core/internal/lazyconn"
	"github.com/covetgo/covet/core/internal/lifecycle"
	"github.com/covetgo/covet/core/internal/serve"
	"github.com/covetgo/covet/core/internal/sse"
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
	srv.RegisterOnShutdown(a.beginDrain)
	if sc.H2C {
		serve.H2C(srv)
	}
	return srv
}

// Run listens on addr (or the socket command.ListenFDEnv names) and serves until
// SIGINT or SIGTERM, then shuts down gracefully (see ServeContext). It
// returns nil after a clean shutdown: check `if err != nil`, as
// log.Fatal(app.Run(addr)) would exit 1 printing <nil>.
func (a *App) Run(addr string) error {
	if a.commandMode() {
		return command.ErrNoMain
	}
	ln, err := cli.ListenerFromEnv(command.ListenFDEnv)
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

// Serve serves on ln until SIGINT or SIGTERM, as Run does; a second signal
// ends the process at once.
func (a *App) Serve(ln net.Listener) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop)
	return a.ServeContext(ctx, ln)
}

// ServeContext starts the plugins and serves on ln until ctx is canceled.
// Then: readiness turns down and the server serves on for DrainDelay
// (without keep-alive); the drain signal fires (Draining); the listener
// closes and requests finish within ShutdownTimeout (then are cut off);
// background tasks finish in what remains (the rest are logged as
// abandoned); the plugins stop in reverse order with what remains, at least
// StopTimeout. It returns nil after a clean shutdown, else an error.
func (a *App) ServeContext(ctx context.Context, ln net.Listener) error {
	if a.commandMode() {
		ln.Close()
		return command.ErrNoMain
	}
	if err := a.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	srv := a.Server(ln.Addr().String())
	a.logger.Info("covet: serving", "addr", ln.Addr().String())
	sc := a.cfg.server
	return serve.Serve(ctx, srv, a.lazy(ln), a.logger, serve.Hooks{
		ReadinessDown:  func() { a.draining.Store(true) },
		BeginDrain:     a.beginDrain,
		WaitBackground: func(ctx context.Context) error { return a.background.Wait(ctx, a.logger) },
		Stop:           a.Stop,
	}, serve.Timeouts{DrainDelay: sc.DrainDelay, Shutdown: sc.ShutdownTimeout, Stop: sc.StopTimeout})
}

// lazy wraps ln in lazyconn: the timeouts without re-arming the socket's
// timers on every request.
func (a *App) lazy(ln net.Listener) net.Listener {
	sc := a.cfg.server
	return lazyconn.Wrap(ln, sc.ReadHeaderTimeout, sc.ReadTimeout, sc.WriteTimeout, sc.IdleTimeout)
}

// ErrDraining ends a stream (SSE, Stream) when the server begins to shut
// down, and is the cause of its request context. It reports status 503 and
// matches context.Canceled (errors.Is), so returning it logs no failure.
var ErrDraining error = lifecycle.ErrDraining

// Draining returns a channel closed when a graceful shutdown begins (Run,
// Serve or ServeContext stopping, App.Server's Shutdown, App.Stop), so long
// polls, WebSockets and plugin loops finish promptly (SSE and Stream watch
// it already). Serving again arms a new channel.
func (a *App) Draining() <-chan struct{} { return a.drain.Current().Done() }

// beginDrain fires the drain signal and turns readiness down.
func (a *App) beginDrain() {
	a.draining.Store(true)
	a.drain.Begin(ErrDraining)
}

// drainingContext makes the request's context also end when the app drains
// (cause ErrDraining), once per request.
func (c *Context) drainingContext() context.Context {
	parent := c.Context()
	if c.streaming {
		return parent
	}
	c.streaming = true
	c.dirty = true
	ctx, cancel := context.WithCancelCause(parent)
	stop := context.AfterFunc(c.app.drain.Current(), func() { cancel(ErrDraining) })
	c.OnDone(func() {
		stop()
		cancel(context.Canceled)
	})
	c.SetRequest(c.req.WithContext(ctx))
	return ctx
}

// startStream sets a long response's write deadline, pushed WriteTimeout
// past each write (core/internal/sse).
func (c *Context) startStream() sse.Deadlines { return sse.Start(c.res, c.app.cfg.server.WriteTimeout) }
