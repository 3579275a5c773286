// Package background tracks covet's background work, the tasks
// Context.After runs once a response is complete and the goroutines App.Go
// runs for the life of the app, so that a graceful shutdown can wait for
// them, give up at its deadline and name the tasks it abandoned. covet's
// background.go keeps the public API (After, Go, LoggerFrom, WithBackgroundLimit
// and the errors, which are this package's ErrClosed and ErrFull). It does
// not import covet.
package background

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

// ErrClosed and ErrFull are Reserve's refusals, covet's ErrBackgroundClosed
// and ErrBackgroundFull (which reports status 503).
var (
	ErrClosed       = errors.New("covet: background tasks are closed: the app has shut down")
	ErrFull   error = fullError{}
)

type fullError struct{}

func (fullError) Error() string   { return "covet: too many background tasks running" }
func (fullError) StatusCode() int { return http.StatusServiceUnavailable }

type loggerKey struct{}

// WithLogger returns ctx carrying l, for Logger.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// Logger returns the logger ctx carries (WithLogger), or slog.Default().
func Logger(ctx context.Context) *slog.Logger {
	if ctx != nil {
		if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
			return l
		}
	}
	return slog.Default()
}

// Task is one running background task, for the shutdown report.
type Task struct {
	Name      string
	RequestID string
	started   time.Time
}

type goFunc struct {
	name   string
	logger *slog.Logger
	fn     func(ctx context.Context)
}

// Tracker tracks an app's After tasks and Go goroutines. The zero value is
// ready to use.
type Tracker struct {
	mu      sync.Mutex
	closed  bool
	after   int // After tasks reserved or running
	running map[*Task]struct{}
	idle    chan struct{} // closed when running empties, while shutdown waits
	pending []goFunc      // Go calls before the app started
	started bool

	// goCtx ends when shutdown starts waiting (Go goroutines stop);
	// hardCtx ends when it gives up waiting (every task's context ends).
	goCtx, hardCtx       context.Context
	goCancel, hardCancel context.CancelFunc
}

// contexts creates the tracker's contexts on first use. Called with mu held.
func (b *Tracker) contexts() {
	if b.goCtx == nil {
		b.goCtx, b.goCancel = context.WithCancel(context.Background())
		b.hardCtx, b.hardCancel = context.WithCancel(context.Background())
	}
}

// add records a running task. Called with mu held.
func (b *Tracker) add(t *Task) {
	if b.running == nil {
		b.running = map[*Task]struct{}{}
	}
	t.started = time.Now()
	b.running[t] = struct{}{}
}

// done forgets a finished task.
func (b *Tracker) done(t *Task, after bool) {
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
func run(ctx context.Context, t *Task, fn func(ctx context.Context)) {
	defer func() {
		if v := recover(); v != nil {
			Logger(ctx).ErrorContext(ctx, "covet: background task panicked", "task", t.Name, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	fn(ctx)
}

// Reserve claims a place for an After task. At limit tasks it refuses with
// ErrFull when reject is set, and otherwise answers inline: the task is to
// run in the caller's goroutine, unreserved. Once the tracker is closed it
// refuses with ErrClosed. A reserved place must be used by After.
func (b *Tracker) Reserve(limit int, reject bool) (inline bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false, ErrClosed
	}
	if b.after >= limit {
		if reject {
			return false, ErrFull
		}
		return true, nil
	}
	b.after++ // reserved now, so the limit holds until the task runs
	return false, nil
}

// After returns the function that runs fn for the task Reserve admitted,
// with base (a context without cancellation) canceled when shutdown gives
// up waiting: inline in the calling goroutine, once res is flushed (the
// client has its response first), or in a goroutine of its own that
// shutdown waits for.
func (b *Tracker) After(base context.Context, t *Task, inline bool, res Response, fn func(ctx context.Context)) func() {
	b.mu.Lock()
	b.contexts()
	hard := b.hardCtx
	b.mu.Unlock()
	return func() {
		ctx, cancel := context.WithCancel(base)
		stop := context.AfterFunc(hard, cancel)
		if inline {
			defer cancel()
			defer stop()
			if res.Written() {
				_ = res.FlushError()
			}
			run(ctx, t, fn)
			return
		}
		b.mu.Lock()
		b.add(t)
		b.mu.Unlock()
		go func() {
			defer b.done(t, true)
			defer cancel()
			defer stop()
			run(ctx, t, fn)
		}()
	}
}

// Response is the request's response, flushed before an inline task runs.
type Response interface {
	Written() bool
	FlushError() error
}

// Go runs fn for the life of the app, logging with logger: at Start when
// the tracker has not started, at once otherwise. It returns ErrClosed
// once the tracker is closed.
func (b *Tracker) Go(name string, logger *slog.Logger, fn func(ctx context.Context)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	g := goFunc{name: name, logger: logger, fn: fn}
	if !b.started {
		b.pending = append(b.pending, g)
		return nil
	}
	b.startGo(g)
	return nil
}

// startGo starts a Go goroutine. Called with mu held.
func (b *Tracker) startGo(g goFunc) {
	b.contexts()
	ctx, cancel := context.WithCancel(b.goCtx)
	stop := context.AfterFunc(b.hardCtx, cancel)
	ctx = WithLogger(ctx, g.logger)
	t := &Task{Name: "go " + g.name}
	b.add(t)
	go func() {
		defer b.done(t, false)
		defer cancel()
		defer stop()
		run(ctx, t, g.fn)
	}()
}

// Pending returns how many Go functions wait for the start.
func (b *Tracker) Pending() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending)
}

// TruncatePending forgets the Go functions registered after the first n
// while the tracker has not started (a failed Install's rollback).
func (b *Tracker) TruncatePending(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.started && n <= len(b.pending) {
		b.pending = b.pending[:n:n]
	}
}

// Start opens the tracker (again, after a shutdown) and starts the Go
// functions registered before.
func (b *Tracker) Start() {
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
		b.startGo(g)
	}
}

// Wait is the shutdown step for background work: no new tasks, Go contexts
// canceled, then a wait for every task until ctx ends. Tasks still running
// then are logged as abandoned, their contexts are canceled, and the error
// counts them. A second call returns nil at once.
func (b *Tracker) Wait(ctx context.Context, logger *slog.Logger) error {
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
		logger.Info("covet: waiting for background tasks", "tasks", n)
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
	left := make([]*Task, 0, len(b.running))
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
		attrs := []any{"task", t.Name, "running_for", time.Since(t.started).Round(time.Millisecond).String()}
		if t.RequestID != "" {
			attrs = append(attrs, "request_id", t.RequestID)
		}
		logger.Warn("covet: shutdown deadline passed; abandoning background task", attrs...)
	}
	return fmt.Errorf("covet: %d background task(s) still running at the shutdown deadline were abandoned: %w", len(left), context.Cause(ctx))
}
