package covet

import (
	"context"
	"net/http"

	"github.com/covetgo/covet/core/internal/sse"
)

// ErrDraining is the error a stream (Context.SSE, Context.Stream) ends with
// when the server begins to shut down, and the cause of the request context
// those streams run under (context.Cause). It reports status 503 and
// matches context.Canceled with errors.Is, so a handler that returns it
// is not logged as a failure.
var ErrDraining error = drainingError{}

type drainingError struct{}

func (drainingError) Error() string   { return "covet: server is shutting down" }
func (drainingError) StatusCode() int { return http.StatusServiceUnavailable }

// Is makes errors.Is(ErrDraining, context.Canceled) true: the request's
// context was canceled, because of the shutdown.
func (drainingError) Is(target error) bool { return target == context.Canceled }

// Draining returns a channel closed when the app begins a graceful shutdown:
// Run, Serve or ServeContext was told to stop, Shutdown was called on a
// server from App.Server, or App.Stop was called. Handlers holding a
// connection open (long polls, WebSockets) and plugins with loops select on
// it to finish promptly instead of holding the shutdown for its whole
// deadline. Streams started with Context.SSE and Context.Stream watch it
// already: their request context is canceled with cause ErrDraining.
//
// After a shutdown, serving the app again arms a new channel; a channel
// taken before stays closed.
func (a *App) Draining() <-chan struct{} { return a.drain.Current().Done() }

// beginDrain fires the drain signal and turns readiness down.
func (a *App) beginDrain() {
	a.draining.Store(true)
	a.drain.Begin(ErrDraining)
}

// drainingContext makes the request's context end when the app drains
// (cause ErrDraining) as well as when the client goes away, for a
// long-running response. Done once per request.
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

// startStream sets the write deadline of a long response, to be pushed
// WriteTimeout past each write (core/internal/sse). (ReadTimeout does not
// end a response: net/http's background read after the request does not
// cancel it when the deadline passes.)
func (c *Context) startStream() sse.Deadlines {
	return sse.Start(c.res, c.app.cfg.server.WriteTimeout)
}
