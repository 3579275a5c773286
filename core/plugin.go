package covet

import (
	"context"
	"maps"
	"slices"

	"github.com/covetgo/covet/core/internal/rollback"
)

// Plugin is the one interface every plugin implements: a value passed to
// App.Install (there is no global registry).
//
// Install runs once, while the app is configured. It registers routes,
// middleware, security schemes and route options through the public API an
// application uses, and may keep the App. It opens nothing (connection,
// goroutine, timer, file): that is Start's job, released in Stop and
// Cleanup, so an app configured and never served leaks nothing. If Install
// returns an error, what it registered is removed and App.Install returns
// the error.
//
// Optional interfaces, type-asserted by core (StatsReporter by exporters):
// Starter, Stopper, Cleaner, Dependent, HealthChecker, RouteObserver and
// StatsReporter.
type Plugin interface {
	// Name identifies the plugin; two plugins with one name cannot be installed
	// in the same app. Use the module's short name ("orm", "openapi").
	Name() string
	// Install adds the plugin to the app.
	Install(app *App) error
}

// Starter is a plugin with work to do when the server starts (connect to a
// database, start a loop). Start runs from App.Start in start order (install
// order, a Dependent after the plugins it names), after the route table is
// frozen and before connections are accepted; ctx is canceled when the app
// stops. If Start fails, the plugins started are stopped in reverse order,
// every plugin's Cleanup runs, and the server does not start; a failing
// Start releases what it opened, or leaves that to Cleanup.
type Starter interface {
	Start(ctx context.Context) error
}

// Stopper is a plugin with work to do at shutdown (close pools, flush
// buffers). Stop runs in reverse start order once in-flight requests have
// finished (or the deadline, which ctx carries, passed), only for plugins
// whose Start succeeded or that have none. Errors are joined into App.Stop's.
type Stopper interface {
	Stop(ctx context.Context) error
}

// Cleaner is a plugin with something to release however its life ended
// (Caddy's CleanerUpper). Cleanup runs once per end of life, in reverse
// start order, for every installed plugin, started or not: after App.Stop,
// after a failed App.Start, and at once for a plugin whose Install failed
// (and those it installed). An app started again runs it again at the next
// end, so Cleanup leaves the plugin able to Start and is harmless when
// nothing is open. Errors are joined into those of Stop, Start or Install.
type Cleaner interface {
	Cleanup() error
}

// Dependent is a plugin that starts after the plugins it names (a cache
// warmed from the database after "orm") and stops before them; middleware
// position is separate (App.UseAt). Names not installed are ignored; a
// cycle makes App.Start fail, naming it.
type Dependent interface {
	StartAfter() []string
}

// HealthChecker is a plugin that reports its health, for /healthz
// (Liveness: can the process make progress?) and /readyz (Readiness: can it
// serve now?). Core calls it concurrently for all plugins with a context
// bounded by the health timeout; it must be safe for concurrent use and
// not block past ctx.
type HealthChecker interface {
	CheckHealth(ctx context.Context, kind HealthKind) HealthReport
}

// RouteObserver is a plugin told of every route once the table is final
// (first request, Start or Run), before any request is served: documentation
// and metrics plugins build from it. An error stops the app from serving.
type RouteObserver interface {
	ObserveRoutes(routes []RouteInfo) error
}

// StatsReporter is a plugin that publishes figures (pool sizes, hits) for a
// metrics exporter to read at each scrape, without importing Prometheus or
// OpenTelemetry. AppendStats appends the current figures to dst and returns
// it. It must be safe for concurrent use, cheap (atomics, no I/O), callable
// before Start and after Stop, and report the same names at every call.
type StatsReporter interface {
	AppendStats(dst []Stat) []Stat
}

// StatKind says how a Stat's value moves.
type StatKind uint8

const (
	// StatGauge is a value that goes up and down (connections open).
	StatGauge StatKind = iota
	// StatCounter only grows from 0, since the plugin was created.
	StatCounter
)

// Stat is one figure. Exporters name it after the plugin and Name
// (Prometheus: covet_<plugin>_<name>, "_total" added to a counter).
type Stat struct {
	Name   string      // lower snake case, without the plugin's name or "_total"
	Help   string      // what it counts, in one sentence
	Kind   StatKind    // StatGauge or StatCounter
	Value  float64     // the current value; a counter's is never negative
	Labels []StatLabel // tell values of one Name apart; shared, never modified by readers
}

// StatLabel is a label of a Stat.
type StatLabel struct{ Name, Value string }

// appSnapshot is everything a plugin's Install may change on an App (see
// App.Install), as undo steps (core/internal/rollback).
type appSnapshot struct {
	undo    rollback.Undo
	plugins int
	routes  int
}

func (a *App) snapshot() appSnapshot {
	var u rollback.Undo
	rollback.Slice(&u, &a.pre)
	rollback.Slice(&u, &a.mw)
	rollback.Slice(&u, &a.phased)
	rollback.Map(&u, &a.names)
	rollback.Map(&u, &a.schemes)
	rollback.Map(&u, &a.providers)
	rollback.Slice(&u, &a.cfg.translators)
	rollback.Value(&u, &a.cfg.errorHandler)
	rollback.Slice(&u, &a.documenters)
	rollback.Len(&u, &a.commands)
	pending := a.background.Pending()
	u.Do(func() { a.background.TruncatePending(pending) })
	for _, g := range a.groups {
		rollback.Slice(&u, &g.mw)
		rollback.Slice(&u, &g.opts)
		rollback.Slice(&u, &g.routes)
	}
	rollback.Len(&u, &a.groups)
	// What setters and RouteOptions (Group.With included) may change on
	// the routes already there.
	for _, r := range a.routes {
		v := copyRoute(r)
		u.Do(func() { *r = v })
	}
	return appSnapshot{undo: u, plugins: len(a.plugins), routes: len(a.routes)}
}

// copyRoute returns a copy of r that shares nothing mutable with it.
func copyRoute(r *Route) Route {
	v := *r
	v.mw = slices.Clone(r.mw)
	v.info.Tags = slices.Clone(r.info.Tags)
	v.info.Params = slices.Clone(r.info.Params)
	v.info.Responses = slices.Clone(r.info.Responses)
	v.info.Security = slices.Clone(r.info.Security)
	for i, sr := range v.info.Security {
		v.info.Security[i].Scopes = slices.Clone(sr.Scopes)
	}
	v.info.meta = maps.Clone(r.info.meta)
	if r.bind != nil {
		b := *r.bind
		v.bind = &b
	}
	return v
}

// restore puts the app back as it was when s was taken. The plugins a
// nested Install added are returned, so that their Cleanup can run.
func (a *App) restore(s appSnapshot) []Plugin {
	removedPlugins := slices.Clone(a.plugins[s.plugins:])
	a.plugins = a.plugins[:s.plugins]
	s.undo.Run()
	if len(a.routes) != s.routes {
		a.routes = a.routes[:s.routes]
		// Rebuild the router from the remaining routes (finalize runs at build).
		a.router = newRouter()
		for _, r := range a.routes {
			a.router.add(r)
		}
	}
	return removedPlugins
}
