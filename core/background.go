package covet

import (
	"context"
	"log/slog"

	"github.com/covetgo/covet/core/internal/background"
)

// WhenFull is what Context.After does when the app already runs its limit
// of After tasks (WithBackgroundLimit).
type WhenFull uint8

const (
	// RunInline (the default) runs the task in the request's goroutine once
	// the response is flushed: nothing is dropped, and the connection's next
	// request waits, slowing clients down instead of growing memory.
	RunInline WhenFull = iota
	// Reject makes After return ErrBackgroundFull; the handler decides.
	Reject
)

// DefaultBackgroundLimit is the default number of After tasks that may run
// at once (WithBackgroundLimit).
const DefaultBackgroundLimit = 1024

// ErrBackgroundFull is returned by Context.After when the app runs its limit
// of After tasks and the policy is Reject. It reports status 503.
var ErrBackgroundFull error = background.ErrFull

// ErrBackgroundClosed is returned by After and Go once the app has shut
// down (until it is served again).
var ErrBackgroundClosed error = background.ErrClosed

// WithBackgroundLimit sets how many After tasks may run at once (default
// DefaultBackgroundLimit; n < 1 keeps it) and what After does beyond
// (default RunInline). App.Go goroutines are not counted.
func WithBackgroundLimit(n int, whenFull WhenFull) Option {
	return func(c *config) {
		if n > 0 {
			c.bgLimit = n
		}
		c.bgWhenFull = whenFull
	}
}

// LoggerFrom returns the logger a background task's context carries (the
// request's for After, the app's with the task's name for Go), or
// slog.Default().
func LoggerFrom(ctx context.Context) *slog.Logger { return background.Logger(ctx) }

// After runs fn once the request is over (see OnDone), in a goroutine of
// its own, so the client does not wait (FastAPI's BackgroundTasks). fn's
// context carries the request's values and logger (LoggerFrom) but does not
// end with the request, only when a graceful shutdown gives up waiting;
// copy what else fn needs from the Context first.
//
// A graceful shutdown waits for the task after the requests, up to
// ServerConfig.ShutdownTimeout, and logs those it abandons; a panic in fn
// is logged. At most WithBackgroundLimit tasks run at once, beyond which
// the WhenFull policy applies. After returns ErrBackgroundClosed once the
// app has shut down.
func (c *Context) After(fn func(ctx context.Context)) error {
	c.live()
	if fn == nil {
		return nil
	}
	a := c.app
	inline, err := a.background.Reserve(a.cfg.bgLimit, a.cfg.bgWhenFull == Reject)
	if err != nil { // ErrBackgroundClosed or ErrBackgroundFull
		return err
	}
	base := background.WithLogger(context.WithoutCancel(c.Context()), c.Logger())
	c.OnDone(a.background.After(base, &background.Task{Name: "after " + c.taskName(), RequestID: c.requestID}, inline, c.res, fn))
	return nil
}

// taskName names an After task in logs: its route, or the request's path.
func (c *Context) taskName() string {
	if c.route != nil {
		return c.route.info.Method + " " + c.route.info.Pattern
	}
	return c.req.Method + " " + c.req.URL.Path
}

// Go runs fn in a goroutine for the life of the app (a consumer loop, a
// refresh), from App.Start or at once if the app runs. fn's context
// carries the app's logger with the task's name (LoggerFrom) and is
// canceled once a graceful shutdown has let the requests finish; shutdown
// waits for fn until its deadline, then logs it as abandoned. A panic is
// logged. Go returns ErrBackgroundClosed once the app has shut down.
func (a *App) Go(name string, fn func(ctx context.Context)) error {
	if fn == nil {
		return nil
	}
	return a.background.Go(name, a.logger.With("task", name), fn) // ErrBackgroundClosed
}
