package covet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sort"
	"sync"
	"time"
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

type loggerKey struct{}

// LoggerFrom returns the logger a background task's context carries (the
// request's logger, with its request ID, for Context.After; the app's
// logger with the task's name for App.Go), or slog.Default() for a context
// without one.
func LoggerFrom(ctx context.Context) *slog.Logger {
	if ctx != nil {
		if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
			return l
		}
	}
	return slog.Default()
}

// bgTask is one running background task, for the shutdown report.
type bgTask struct {
	name      string
	requestID string
	started   time.Time
}

// background tracks the app's After tasks and Go goroutines so that
// shutdown can wait for them.
type background struct {
	mu      sync.Mutex
	closed  bool
	after   int // After tasks reserved or running
	running map[*bgTask]struct{}
	idle    chan struct{} // closed when running empties, while shutdown waits
	pending []goFunc      // App.Go calls before the app started
	started bool

	// goCtx ends when shutdown starts waiting (App.Go goroutines stop);
	// hardCtx ends when it gives up waiting (every task's context ends).
	goCtx, hardCtx       context.Context
	goCancel, hardCancel context.CancelFunc
}

type goFunc struct {
	name string
	fn   func(ctx context.Context)
}

// contexts returns the tracker's contexts, creating them on first use.
// Called with mu held.
func (b *background) contexts() {
	if b.goCtx == nil {
		b.goCtx, b.goCancel = context.WithCancel(context.Background())
		b.hardCtx, b.hardCancel = context.WithCancel(context.Background())
	}
}

// add records a running task. Called with mu held.
func (b *background) add(t *bgTask) {
	if b.running == nil {
		b.running = map[*bgTask]struct{}{}
	}
	b.running[t] = struct{}{}
}

// done forgets a finished task.
func (b *background) done(t *bgTask, after bool) {
	b.mu.Lock()
	delete(b.running, t)
	if after {
		b.after--
	}
	if len(b.running) == 0 && b.idle != nil {
		close(b.idle)
		b.idle = nil
	}
	b.mu.Unlock()
}

// run runs fn, logging a panic instead of crashing the process.
func (a *App) runTask(ctx context.Context, t *bgTask, fn func(ctx context.Context)) {
	defer func() {
		if v := recover(); v != nil {
			LoggerFrom(ctx).ErrorContext(ctx, "covet: background task panicked", "task", t.name, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	fn(ctx)
}

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
	b := &a.background
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrBackgroundClosed
	}
	inline := false
	if b.after >= a.cfg.bgLimit {
		if a.cfg.bgWhenFull == Reject {
			b.mu.Unlock()
			return ErrBackgroundFull
		}
		inline = true
	} else {
		b.after++ // reserved now, so the limit holds between here and OnDone
	}
	b.contexts()
	hard := b.hardCtx
	b.mu.Unlock()

	logger := c.Logger()
	base := context.WithValue(context.WithoutCancel(c.Context()), loggerKey{}, logger)
	t := &bgTask{name: "after " + c.taskName(), requestID: c.requestID}
	res := c.res
	c.OnDone(func() {
		ctx, cancel := context.WithCancel(base)
		stop := context.AfterFunc(hard, cancel)
		if inline {
			// The client has its response before the task runs.
			if res.Written() {
				_ = res.FlushError()
			}
			defer cancel()
			defer stop()
			a.runTask(ctx, t, fn)
			return
		}
		t.started = time.Now()
		b.mu.Lock()
		b.add(t)
		b.mu.Unlock()
		go func() {
			defer b.done(t, true)
			defer cancel()
			defer stop()
			a.runTask(ctx, t, fn)
		}()
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
	b := &a.background
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrBackgroundClosed
	}
	if !b.started {
		b.pending = append(b.pending, goFunc{name: name, fn: fn})
		return nil
	}
	a.startGo(goFunc{name: name, fn: fn})
	return nil
}

// startGo starts an App.Go goroutine. Called with mu held.
func (a *App) startGo(g goFunc) {
	b := &a.background
	b.contexts()
	ctx, cancel := context.WithCancel(b.goCtx)
	stop := context.AfterFunc(b.hardCtx, cancel)
	ctx = context.WithValue(ctx, loggerKey{}, a.logger.With("task", g.name))
	t := &bgTask{name: "go " + g.name, started: time.Now()}
	b.add(t)
	go func() {
		defer b.done(t, false)
		defer cancel()
		defer stop()
		a.runTask(ctx, t, g.fn)
	}()
}

// startBackground opens the tracker (again, after a shutdown) and starts the
// App.Go goroutines registered before the app started.
func (a *App) startBackground() {
	b := &a.background
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		// Served again after a shutdown: fresh contexts.
		b.closed = false
		b.goCtx, b.hardCtx = nil, nil
	}
	b.started = true
	pending := b.pending
	b.pending = nil
	for _, g := range pending {
		a.startGo(g)
	}
}

// waitBackground is the shutdown step for background work: no new tasks,
// App.Go contexts canceled, then a wait for every task until ctx ends.
// Tasks still running then are logged as abandoned, their contexts are
// canceled, and the error counts them. A second call returns nil at once.
func (a *App) waitBackground(ctx context.Context) error {
	b := &a.background
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.started = false
	b.contexts()
	b.goCancel()
	hardCancel := b.hardCancel
	var idle chan struct{}
	n := len(b.running)
	if n > 0 {
		idle = make(chan struct{})
		b.idle = idle
		a.logger.Info("covet: waiting for background tasks", "tasks", n)
	}
	b.mu.Unlock()
	if idle == nil {
		hardCancel()
		return nil
	}
	select {
	case <-idle:
		hardCancel()
		return nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	left := make([]*bgTask, 0, len(b.running))
	for t := range b.running {
		left = append(left, t)
	}
	b.idle = nil
	b.mu.Unlock()
	hardCancel()
	if len(left) == 0 {
		return nil
	}
	sort.Slice(left, func(i, j int) bool { return left[i].started.Before(left[j].started) })
	for _, t := range left {
		attrs := []any{"task", t.name, "running_for", time.Since(t.started).Round(time.Millisecond).String()}
		if t.requestID != "" {
			attrs = append(attrs, "request_id", t.requestID)
		}
		a.logger.Warn("covet: shutdown deadline passed; abandoning background task", attrs...)
	}
	return fmt.Errorf("covet: %d background task(s) still running at the shutdown deadline were abandoned: %w", len(left), context.Cause(ctx))
}
