package covet

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Plugin is the one interface every plugin implements. A plugin is a value
// passed to App.Install; there is no global registry.
//
// Install runs once, when App.Install is called, while the app is being
// configured. It may register routes, groups, middleware (App.Use, App.Pre),
// security schemes and route options through the same public API an
// application uses, and keep a reference to the App. It must not start
// goroutines or open connections: do that in Start. If Install returns an
// error, whatever it registered on the App is removed again, the plugin is
// not installed, and App.Install returns the error.
//
// A plugin may also implement the optional interfaces Starter, Stopper,
// HealthChecker and RouteObserver; core type-asserts them.
type Plugin interface {
	// Name identifies the plugin; two plugins with one name cannot be installed
	// in the same app. Use the module's short name ("orm", "openapi").
	Name() string
	// Install adds the plugin to the app.
	Install(app *App) error
}

// Starter is a plugin with work to do when the server starts: connect to a
// database, start a background loop. Start runs from App.Start (which Run and
// Serve call) in install order, after the route table is frozen and before
// the server accepts connections. ctx is canceled when the app stops; a
// goroutine the plugin starts should end with it or in Stop. If Start returns
// an error, plugins started before it are stopped in reverse order and the
// server does not start.
type Starter interface {
	Start(ctx context.Context) error
}

// Stopper is a plugin with work to do at shutdown: close pools, flush
// buffers. Stop runs in reverse install order after the server has stopped
// accepting connections and in-flight requests have finished (or the shutdown
// deadline passed). ctx carries the shutdown deadline. Stop is called only
// for plugins whose Start succeeded (or that have no Start). Errors are
// joined and returned from App.Stop; the other plugins are still stopped.
type Stopper interface {
	Stop(ctx context.Context) error
}

// HealthChecker is a plugin that reports its health. Core calls
// CheckHealth for /healthz (kind Liveness: can this process make progress at
// all?) and /readyz (kind Readiness: can it serve traffic now, e.g. is the
// database reachable?), with a context bounded by the health timeout, and
// concurrently for all plugins. It must be safe for concurrent use and must
// not block past ctx.
type HealthChecker interface {
	CheckHealth(ctx context.Context, kind HealthKind) HealthReport
}

// RouteObserver is a plugin that is told of every route once the route
// table is final: when the app is frozen (first request, Start or Run), before
// any request is served. Documentation and metrics plugins build what they
// need from the routes here. An error stops the app from serving.
type RouteObserver interface {
	ObserveRoutes(routes []RouteInfo) error
}

// lifecycle tracks which plugins were started.
type lifecycle struct {
	mu      sync.Mutex
	started []Plugin
	running bool
	cancel  context.CancelFunc
}

func (l *lifecycle) start(ctx context.Context, a *App) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running {
		return nil
	}
	// Serving again after a shutdown: a fresh drain signal, ready again.
	a.drain.rearm()
	a.draining.Store(false)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l.cancel = cancel
	l.started = l.started[:0]
	for _, p := range a.plugins {
		if s, ok := p.(Starter); ok {
			if err := s.Start(runCtx); err != nil {
				stopErr := l.stopLocked(context.WithoutCancel(ctx))
				cancel()
				return errors.Join(fmt.Errorf("covet: start plugin %q: %w", p.Name(), err), stopErr)
			}
		}
		l.started = append(l.started, p)
	}
	l.running = true
	return nil
}

func (l *lifecycle) stop(ctx context.Context, a *App) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.running {
		return nil
	}
	err := l.stopLocked(ctx)
	l.running = false
	if l.cancel != nil {
		l.cancel()
	}
	return err
}

func (l *lifecycle) stopLocked(ctx context.Context) error {
	var errs []error
	for i := len(l.started) - 1; i >= 0; i-- {
		p := l.started[i]
		if s, ok := p.(Stopper); ok {
			if err := s.Stop(ctx); err != nil {
				errs = append(errs, fmt.Errorf("covet: stop plugin %q: %w", p.Name(), err))
			}
		}
	}
	l.started = l.started[:0]
	return errors.Join(errs...)
}
