package covet

import (
	"context"
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
// Install opens nothing: no connection, goroutine, timer or file. A plugin
// that needs them opens them in Start and releases them in Stop and Cleanup,
// so that an app that is configured and never served (a test, a tool that
// prints the routes) costs nothing and leaks nothing.
//
// A plugin may also implement the optional interfaces Starter, Stopper,
// Cleaner, Dependent, HealthChecker, RouteObserver and StatsReporter; core
// (or, for StatsReporter, an exporter) type-asserts them.
type Plugin interface {
	// Name identifies the plugin; two plugins with one name cannot be installed
	// in the same app. Use the module's short name ("orm", "openapi").
	Name() string
	// Install adds the plugin to the app.
	Install(app *App) error
}

// Starter is a plugin with work to do when the server starts: connect to a
// database, start a background loop. Start runs from App.Start (which Run and
// Serve call) in start order (install order, except that a Dependent starts
// after the plugins it names), after the route table is frozen and before
// the server accepts connections. ctx is canceled when the app stops; a
// goroutine the plugin starts should end with it or in Stop. If Start returns
// an error, plugins started before it are stopped in reverse order, then
// every installed plugin's Cleanup runs (the failed one included), and the
// server does not start. A Start that fails must release what it opened
// before returning, or in Cleanup.
type Starter interface {
	Start(ctx context.Context) error
}

// Stopper is a plugin with work to do at shutdown: close pools, flush
// buffers. Stop runs in reverse start order after the server has stopped
// accepting connections and in-flight requests have finished (or the shutdown
// deadline passed). ctx carries the shutdown deadline. Stop is called only
// for plugins whose Start succeeded (or that have no Start). Errors are
// joined and returned from App.Stop; the other plugins are still stopped.
type Stopper interface {
	Stop(ctx context.Context) error
}

// Cleaner is a plugin that has something to release however its life ended
// (Caddy's CleanerUpper). Cleanup runs, in reverse start order, for every
// installed plugin:
//   - after App.Stop, once the started plugins were stopped (started or not:
//     App.Stop of an app that was never started cleans its plugins up);
//   - after a failed App.Start, for the plugins that started (and were
//     stopped again), the one whose Start failed, and those never started;
//   - at once, for a plugin whose Install failed, and for the plugins a
//     failed Install had installed in turn (see App.Install).
//
// It runs once per end of life: a second App.Stop does not call it again. An
// app that is started again after App.Stop starts its plugins again, and
// Cleanup runs again at the end of that run, so Cleanup must leave the
// plugin able to Start again and must be harmless when nothing is open.
// Errors are joined into the error of App.Stop, App.Start or App.Install.
type Cleaner interface {
	Cleanup() error
}

// Dependent is a plugin that must start after other plugins, named by
// their Name: a cache that warms itself from the database starts after
// "orm". It stops (and is cleaned up) before them. Start order is separate
// from middleware position: where a plugin's middleware sits is said by
// App.UseAt and its Phase, whatever the start order. Names of plugins that
// are not installed are ignored (the dependency is about order, not
// presence); a cycle makes App.Start fail, naming the plugins in it.
type Dependent interface {
	StartAfter() []string
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

// StatsReporter is a plugin that publishes figures (pool sizes, hits, refusals)
// for a metrics exporter to read at each scrape, so plugins need not import
// Prometheus or OpenTelemetry. AppendStats appends the current figures to dst
// and returns it; a reader keeps one buffer, so a scrape allocates nothing. It
// must be safe for concurrent use, cheap (read atomics, no I/O), callable
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
// (Prometheus: covet_<plugin>_<name>, with "_total" added to a counter).
type Stat struct {
	// Name is lower snake case, without the plugin's name or "_total".
	Name string
	// Help says what it counts, in one sentence.
	Help string
	// Kind is StatGauge or StatCounter.
	Kind StatKind
	// Value is the current value; a counter's is never negative.
	Value float64
	// Labels tell apart the values of one Name (per database, per reason).
	// Build them once and share them: readers do not modify or keep them.
	Labels []StatLabel
}

// StatLabel is a label of a Stat.
type StatLabel struct{ Name, Value string }
