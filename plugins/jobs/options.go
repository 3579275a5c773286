package jobs

import (
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/riverqueue/river"
)

// Option configures the plugin; pass options to New.
type Option func(*config)

type config struct {
	dsn         string
	schema      string
	queues      map[string]river.QueueConfig
	work        bool
	migrate     bool
	periodic    []*river.PeriodicJob
	maxAttempts int
	jobTimeout  time.Duration
	maxConns    int32
	maxPayload  int
	fetch       time.Duration
	viewPath    string
	viewMW      []covet.Middleware
	river       []func(*river.Config)
}

// DefaultMaxWorkers is the number of jobs of the default queue one instance
// works at once, when no WithQueue option names queues.
const DefaultMaxWorkers = 50

// DefaultMaxPayload is the largest job payload (a job's arguments as JSON)
// Enqueue, EnqueueTx, Client().Insert and periodic jobs accept by default:
// 256 KiB. Payloads live in river_job rows that every fetch reads; pass
// IDs of rows or objects, not the data itself. WithMaxPayload changes it.
const DefaultMaxPayload = 256 << 10

func defaultConfig() config {
	return config{work: true, migrate: true, queues: map[string]river.QueueConfig{}, maxPayload: DefaultMaxPayload}
}

// WithMaxPayload sets the largest job payload, in bytes of its arguments
// encoded as JSON (default DefaultMaxPayload); 0 takes off the cap. A
// larger job is not inserted: the insert returns an error wrapping
// ErrPayloadTooLarge that names the kind, the size and the cap.
func WithMaxPayload(bytes int) Option {
	return func(c *config) {
		if bytes >= 0 {
			c.maxPayload = bytes
		}
	}
}

// WithDSN sets the PostgreSQL connection string (postgres://...) the
// workers and the standalone Enqueue use. Required.
func WithDSN(dsn string) Option { return func(c *config) { c.dsn = dsn } }

// WithSchema puts River's tables in a PostgreSQL schema other than the
// connection's search path (River's Config.Schema); the schema must exist.
func WithSchema(name string) Option { return func(c *config) { c.schema = name } }

// WithQueue makes this instance work the named queue with at most
// maxWorkers jobs at once. Without any WithQueue, it works River's default
// queue ("default") with DefaultMaxWorkers.
func WithQueue(name string, maxWorkers int) Option {
	return func(c *config) { c.queues[name] = river.QueueConfig{MaxWorkers: maxWorkers} }
}

// WithoutWorkers makes an insert-only instance: it enqueues jobs but works
// none (web nodes, when separate processes work the jobs).
func WithoutWorkers() Option { return func(c *config) { c.work = false } }

// WithoutMigrations skips River's migrations at start, for deployments that
// run them elsewhere (River's CLI, a migration job).
func WithoutMigrations() Option { return func(c *config) { c.migrate = false } }

// WithPeriodic adds periodic jobs (river.NewPeriodicJob with
// river.PeriodicInterval or a cron schedule). River's elected leader
// enqueues them, so several instances do not duplicate them.
func WithPeriodic(jobs ...*river.PeriodicJob) Option {
	return func(c *config) { c.periodic = append(c.periodic, jobs...) }
}

// WithMaxAttempts sets the default number of attempts of a job before it is
// discarded (River's default is 25); InsertOpts.MaxAttempts overrides it per
// job. Retries back off exponentially (River's DefaultClientRetryPolicy),
// or as the worker's NextRetry says.
func WithMaxAttempts(n int) Option { return func(c *config) { c.maxAttempts = n } }

// WithJobTimeout sets the default time a job may run before its context is
// canceled (River's default is one minute); a worker's Timeout method
// overrides it per kind.
func WithJobTimeout(d time.Duration) Option { return func(c *config) { c.jobTimeout = d } }

// WithMaxConns bounds the plugin's PostgreSQL pool (default: pgxpool's,
// the larger of 4 and the number of CPUs).
func WithMaxConns(n int32) Option { return func(c *config) { c.maxConns = n } }

// WithFetchInterval sets how often idle workers poll for jobs besides
// LISTEN/NOTIFY (River's FetchPollInterval, default 1s) and the least time
// between two fetches (FetchCooldown, at most a tenth of it, default 100ms).
func WithFetchInterval(d time.Duration) Option { return func(c *config) { c.fetch = d } }

// WithView serves the read-only JSON view of queues and jobs under path
// (GET path/queues, GET path/jobs, GET path/jobs/{id}) behind the given
// middleware. It exposes job arguments and errors: put authentication
// middleware in front of it (auth.RequireRole("ops"), an internal group).
func WithView(path string, mw ...covet.Middleware) Option {
	return func(c *config) { c.viewPath, c.viewMW = path, mw }
}

// WithRiverConfig edits River's client configuration after the plugin has
// filled it in, for River settings no option above covers (retention
// periods, hooks, error handler, River plugins and middleware such as
// OpenTelemetry's otelriver). It applies to both of the plugin's River
// clients (the worker and the insert-only one).
//
// The plugin adds its own River middleware after fn has run, so fn cannot
// remove it, and the two coexist in this order: the plugin's job tracking
// (the running, worked and failed figures, and the jobs Stop releases) is
// put first in Config.Plugins, so it wraps every attempt, whatever the
// application's plugins and middleware do (an attempt they fail or panic
// in counts as failed); its payload cap (WithMaxPayload) is put last in
// Config.Middleware, so the application's insert middleware sees every
// job first, and the cap measures the arguments as they will be stored.
// Put middleware in Config.Middleware or Config.Plugins: River refuses
// Config.Middleware beside its deprecated JobInsertMiddleware and
// WorkerMiddleware fields, so setting those fails Start while the payload
// cap is on.
func WithRiverConfig(fn func(*river.Config)) Option {
	return func(c *config) {
		if fn != nil {
			c.river = append(c.river, fn)
		}
	}
}
