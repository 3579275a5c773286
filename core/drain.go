package covet

import (
	"context"
	"net/http"

	"github.com/covetgo/covet/core/internal/sse"
)

// ErrDraining ends a stream (SSE, Stream) when the server begins to shut
// down, and is the cause of its request context. It reports status 503 and
// matches context.Canceled (errors.Is), so returning it logs no failure.
var ErrDraining error = drainingError{}

type drainingError struct{}

func (drainingError) Error() string   { return "covet: server is shutting down" }
func (drainingError) StatusCode() int { return http.StatusServiceUnavailable }

// Is makes errors.Is(ErrDraining, context.Canceled) true.
func (drainingError) Is(target error) bool { return target == context.Canceled }

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
func (c *Context) startStream() sse.Deadlines {
	return sse.Start(c.res, c.app.cfg.server.WriteTimeout)
}
