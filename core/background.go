package covet

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/covetgo/covet/core/internal/background"
)

// WhenFull is what Context.After does when the app already runs its limit
// of After tasks (WithBackgroundLimit).
type WhenFull uint8

const (
	// RunInline runs the task in the request's own goroutine once the
	// response has been flushed to the client: nothing is dropped, and the
	// connection waits for the task before serving its next request, which
	// slows clients down instead of growing memory. This is the default.
	RunInline WhenFull = iota
	// Reject makes After return ErrBackgroundFull without running the
	// task; the handler decides (answer 503, do the work now, drop it).
	Reject
)

// DefaultBackgroundLimit is the default number of After tasks that may run
// at once (WithBackgroundLimit).
const DefaultBackgroundLimit = 1024

// ErrBackgroundFull is returned by Context.After when the app runs its limit
// of After tasks and the policy is Reject. It reports status 503.
var ErrBackgroundFull error = backgroundFullError{}

type backgroundFullError struct{}

func (backgroundFullError) Error() string   { return "covet: too many background tasks running" }
func (backgroundFullError) StatusCode() int { return http.StatusServiceUnavailable }

// ErrBackgroundClosed is returned by Context.After and App.Go once the app
// has finished waiting for its background tasks at shutdown (until it is
// served again).
var ErrBackgroundClosed = errors.New("covet: background tasks are closed: the app has shut down")

// WithBackgroundLimit sets how many After tasks may run at once (default
// DefaultBackgroundLimit; n < 1 keeps it) and what After does when that many
// run (default RunInline). App.Go goroutines are not counted: the program
// starts them, not its clients.
func WithBackgroundLimit(n int, whenFull WhenFull) Option {
	return func(c *config) {
		if n > 0 {
			c.bgLimit = n
		}
		c.bgWhenFull = whenFull
	}
}

// LoggerFrom returns the logger a background task's context carries (the
// request's logger, with its request ID, for Context.After; the app's
// logger with the task's name for App.Go), or slog.Default() for a context
// without one.
func LoggerFrom(ctx context.Context) *slog.Logger { return background.Logger(ctx) }

// After schedules fn to run once the request is over: after the handler
// chain returned and the response is complete (Context.OnDone), in a
// goroutine of its own, so the client does not wait for it (FastAPI's
// BackgroundTasks).
//
// fn's context is not the request's: it is not canceled when the request
// ends, and carries the request's values (Key.FromContext, the request ID)
// and its logger (LoggerFrom). It is canceled only when a graceful shutdown
// gives up waiting for background work (see below). Copy from the Context
// whatever else fn needs before calling After: the Context is reused after
// the request.
//
// The app tracks the task: a graceful shutdown (Run, Serve, ServeContext,
// App.Stop) waits for it after the in-flight requests have finished, up to
// ServerConfig.ShutdownTimeout, and logs the tasks it had to abandon past
// that deadline. A panic in fn is logged, never a crash.
//
// At most WithBackgroundLimit tasks run at once. When that many run, the
// default policy (RunInline) runs fn in the request's goroutine after the
// response has been flushed; under Reject, After returns ErrBackgroundFull
// and fn does not run. After returns ErrBackgroundClosed once the app has
// shut down.
func (c *Context) After(fn func(ctx context.Context)) error {
	c.live()
	if fn == nil {
		return nil
	}
	a := c.app
	inline, err := a.background.Reserve(a.cfg.bgLimit, a.cfg.bgWhenFull == Reject)
	switch err {
	case background.ErrClosed:
		return ErrBackgroundClosed
	case background.ErrFull:
		return ErrBackgroundFull
	}
	base := background.WithLogger(context.WithoutCancel(c.Context()), c.Logger())
	run := a.background.After(base, &background.Task{Name: "after " + c.taskName(), RequestID: c.requestID}, inline, fn)
	if !inline {
		c.OnDone(run)
		return nil
	}
	res := c.res
	c.OnDone(func() {
		// The client has its response before the task runs.
		if res.Written() {
			_ = res.FlushError()
		}
		run()
	})
	return nil
}

// taskName names an After task in logs: its route, or the request's path.
func (c *Context) taskName() string {
	if c.route != nil {
		return c.route.info.Method + " " + c.route.info.Pattern
	}
	return c.req.Method + " " + c.req.URL.Path
}

// Go runs fn in a goroutine of its own for the life of the app: a consumer
// loop, a periodic refresh. Called before the app starts, fn starts with it
// (App.Start, Run, Serve); called while the app runs, at once.
//
// fn's context carries the app's logger with the task's name (LoggerFrom)
// and is canceled when a graceful shutdown has let the in-flight requests
// finish: fn should return then. Shutdown waits for it up to
// ServerConfig.ShutdownTimeout (App.Stop: its context's deadline), then
// logs it as abandoned. A panic in fn is logged, never a crash. Go returns
// ErrBackgroundClosed once the app has shut down.
func (a *App) Go(name string, fn func(ctx context.Context)) error {
	if fn == nil {
		return nil
	}
	if err := a.background.Go(name, a.logger.With("task", name), fn); err != nil {
		return ErrBackgroundClosed
	}
	return nil
}
