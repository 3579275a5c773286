package orm

import (
	"log/slog"
	"time"

	"github.com/uptrace/bun"
)

// DefaultName is the name of the database configured by the options given
// to New directly (outside WithDatabase): the one DB(c) returns.
const DefaultName = "primary"

// Option configures the plugin. Passed to New, an option configures the
// plugin and its primary database; passed to WithDatabase, it configures that
// database (plugin-wide options such as WithLogger are ignored there).
type Option func(*settings)

type settings struct {
	plugin *config
	db     *dbConfig
	nested bool
}

type config struct {
	logger        *slog.Logger
	slowQuery     time.Duration
	logQueries    bool
	stmtTimeout   time.Duration
	connectWithin time.Duration
	backoffMin    time.Duration
	backoffMax    time.Duration
	mapErrors     bool
	provideDB     bool
	drivers       map[Dialect]Driver
	dbs           []*dbConfig
	now           func() time.Time
}

type dbConfig struct {
	name            string
	dsn             string
	replicas        []string
	maxOpen         int
	maxIdle         int
	maxLifetime     time.Duration
	maxIdleTime     time.Duration
	poolTimeout     time.Duration
	replicaInterval time.Duration
	sticky          time.Duration
	migrations      *Migrations
	migrateOnStart  bool
	hooks           []bun.QueryHook
}

func defaultConfig() config {
	return config{
		slowQuery:     200 * time.Millisecond,
		connectWithin: 30 * time.Second,
		backoffMin:    100 * time.Millisecond,
		backoffMax:    5 * time.Second,
		mapErrors:     true,
		provideDB:     true,
		now:           time.Now,
	}
}

func defaultDBConfig(name string) *dbConfig {
	return &dbConfig{
		name:            name,
		maxOpen:         20,
		maxIdle:         -1, // as many as maxOpen
		maxLifetime:     30 * time.Minute,
		maxIdleTime:     5 * time.Minute,
		poolTimeout:     5 * time.Second,
		replicaInterval: 2 * time.Second,
	}
}

// idleLimit is the idle connections the pool keeps: maxIdle, or maxOpen
// when not set; one for a single-connection database.
func (c *dbConfig) idleLimit() int {
	if c.maxOpen == 1 {
		return 1
	}
	if c.maxIdle < 0 {
		return c.maxOpen
	}
	return c.maxIdle
}

func (s *settings) pluginOnly() bool { return s.nested }

// WithDriver gives the plugin the driver of a database family (pgsql.Driver(),
// mysql.Driver(), sqlite.Driver(), from the packages of the same names under
// orm/); each database's DSN picks the driver of its dialect. Give the
// drivers the app uses, and only those: an app links the drivers it imports.
// Several may be given, in one call or several. It applies to the plugin
// whatever it is passed in (New or WithDatabase).
func WithDriver(drivers ...Driver) Option {
	return func(s *settings) {
		for _, d := range drivers {
			if d != nil {
				s.plugin.drivers[d.Dialect()] = d
			}
		}
		remember(drivers...)
	}
}

// WithDSN sets the database's connection string: postgres://...,
// mysql://... (or a go-sql-driver DSN), sqlite://path or file:path. See
// DialectOf.
func WithDSN(dsn string) Option { return func(s *settings) { s.db.dsn = dsn } }

// WithDatabase adds a named database (for example "analytics") with its own
// DSN and options (pool sizes, replicas, migrations). Handlers reach it with
// Named(c, name). The name DefaultName refers to the primary database.
func WithDatabase(name, dsn string, opts ...Option) Option {
	return func(s *settings) {
		var d *dbConfig
		for _, x := range s.plugin.dbs {
			if x.name == name {
				d = x
			}
		}
		if d == nil {
			d = defaultDBConfig(name)
			s.plugin.dbs = append(s.plugin.dbs, d)
		}
		d.dsn = dsn
		inner := &settings{plugin: s.plugin, db: d, nested: true}
		for _, o := range opts {
			o(inner)
		}
	}
}

// WithReplicas adds read replicas to the database: SELECT queries built with
// bun (outside transactions) go to a healthy replica, round robin; writes,
// transactions and raw SQL go to the primary. A replica that fails its
// health check, or a query with a connection error, is set aside until it
// answers again; with no healthy replica, reads go to the primary. A
// request's reads after it wrote to the database go to the primary;
// WithStickyWrites extends that to its client's next requests.
func WithReplicas(dsns ...string) Option {
	return func(s *settings) { s.db.replicas = append(s.db.replicas, dsns...) }
}

// WithReplicaCheckInterval sets how often replicas set aside are checked
// again (default 2s).
func WithReplicaCheckInterval(d time.Duration) Option {
	return func(s *settings) {
		if d > 0 {
			s.db.replicaInterval = d
		}
	}
}

// WithStickyWrites keeps a client's reads of the database on the primary
// for window after one of its requests wrote to it, so the next request
// (the GET after a POST, the page a form redirects to) reads its own write
// however far the replicas lag. Off by default; it matters only with
// WithReplicas (a request's own reads after its write stay on the primary
// either way).
//
// A request that wrote to the database answers with a cookie named
// "orm_sticky_" followed by the database's name (HttpOnly, SameSite=Lax,
// Path=/, Secure when the client used HTTPS as covet.Context.Scheme tells,
// Max-Age window) holding the Unix time in milliseconds until which the
// client's reads go to the primary. The cookie is set before the response
// starts (a Response.OnBeforeWrite hook): a write after the handler started
// a streamed response sets none. A later request carrying it, unexpired,
// reads from the primary. A value that is not a number, already past, or
// later than now+window (a client cannot pin itself to the primary for
// longer than one window at a time) is ignored without an error.
//
// Clients without a cookie jar (API clients) get the Set-Cookie header
// like any other and may send the value back in a Cookie header; otherwise
// they read their own writes within a request only. The time comes from
// WithClock; the app's instances must agree on it within a few
// milliseconds, as a value set by an instance whose clock is ahead is
// ignored by one whose clock is behind by more than the time left.
//
// Per database: given to New it applies to the primary database, inside
// WithDatabase to that database. The database's name must be valid in a
// cookie's name (Install fails otherwise). A window of 0 or less turns it off.
func WithStickyWrites(window time.Duration) Option {
	return func(s *settings) { s.db.sticky = max(window, 0) }
}

// WithClock sets the clock the plugin reads the time from for
// WithStickyWrites (default time.Now), for tests. Plugin-wide.
func WithClock(now func() time.Time) Option {
	return func(s *settings) {
		if !s.pluginOnly() && now != nil {
			s.plugin.now = now
		}
	}
}

// WithMaxOpenConns bounds the open connections of the database (default
// 20). SQLite in memory always uses one.
func WithMaxOpenConns(n int) Option { return func(s *settings) { s.db.maxOpen = n } }

// WithMaxIdleConns bounds the idle connections kept (default: as many as
// WithMaxOpenConns allows). Fewer idle than open connections make a busy
// pool close and reopen connections whenever more than n requests query at
// once: each reopened PostgreSQL connection is a new server process.
func WithMaxIdleConns(n int) Option { return func(s *settings) { s.db.maxIdle = n } }

// WithConnMaxLifetime closes connections older than d (default 30m).
func WithConnMaxLifetime(d time.Duration) Option {
	return func(s *settings) { s.db.maxLifetime = d }
}

// WithConnMaxIdleTime closes connections idle longer than d (default 5m).
func WithConnMaxIdleTime(d time.Duration) Option {
	return func(s *settings) { s.db.maxIdleTime = d }
}

// WithPoolTimeout bounds how long a transaction (the Transactional
// middleware, or Tx on the plugin's database) waits for a free connection
// when the pool is exhausted (default 5s). When it passes, the request fails
// with 503 and ErrPoolTimeout. Plain queries wait within their statement
// timeout (WithStatementTimeout).
func WithPoolTimeout(d time.Duration) Option {
	return func(s *settings) {
		if d > 0 {
			s.db.poolTimeout = d
		}
	}
}

// WithMigrations gives the database its migrations, for Plugin.Migrator and
// WithMigrateOnStart.
func WithMigrations(m *Migrations) Option { return func(s *settings) { s.db.migrations = m } }

// WithMigrateOnStart applies pending migrations when the app starts, after
// connecting and under the migration lock (so several instances starting
// together migrate once). Needs WithMigrations.
func WithMigrateOnStart() Option { return func(s *settings) { s.db.migrateOnStart = true } }

// WithLogger sets the logger for slow queries and lifecycle messages
// (default: the app's logger). Plugin-wide.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) {
		if !s.pluginOnly() {
			s.plugin.logger = l
		}
	}
}

// WithSlowQueryThreshold logs queries that take longer than d at Warn level,
// with the request ID (default 200ms; 0 turns it off). Plugin-wide.
func WithSlowQueryThreshold(d time.Duration) Option {
	return func(s *settings) {
		if !s.pluginOnly() {
			s.plugin.slowQuery = d
		}
	}
}

// WithQueryLogging logs every query at Debug level. Plugin-wide.
func WithQueryLogging(on bool) Option {
	return func(s *settings) {
		if !s.pluginOnly() {
			s.plugin.logQueries = on
		}
	}
}

// WithStatementTimeout bounds each statement a request runs (default: none;
// the request's own deadline still applies). A route can set its own with
// the StatementTimeout middleware. A statement that passes it is canceled on
// the server and the request fails with 503. Plugin-wide.
func WithStatementTimeout(d time.Duration) Option {
	return func(s *settings) {
		if !s.pluginOnly() {
			s.plugin.stmtTimeout = d
		}
	}
}

// WithConnectRetry sets how start-up connects: it retries with exponential
// backoff from min to max between attempts, and gives up after within
// (defaults 100ms, 5s, 30s). Plugin-wide.
func WithConnectRetry(within, min, max time.Duration) Option {
	return func(s *settings) {
		if s.pluginOnly() {
			return
		}
		if within > 0 {
			s.plugin.connectWithin = within
		}
		if min > 0 {
			s.plugin.backoffMin = min
		}
		if max >= min && max > 0 {
			s.plugin.backoffMax = max
		}
	}
}

// WithErrorMapping turns on or off (default on) the translation of database
// errors a handler returns into HTTP errors (see MapError). Plugin-wide.
func WithErrorMapping(on bool) Option {
	return func(s *settings) {
		if !s.pluginOnly() {
			s.plugin.mapErrors = on
		}
	}
}

// WithDBProvider turns on or off (default on) the provider of bun.IDB the
// plugin registers with the app (covet.Provide): a typed handler's input
// field of type bun.IDB is then filled with DB(c), the request's
// transaction or the pooled primary database, and a misconfiguration answers
// 500 as DB's error does. Turn it off when the app provides bun.IDB itself
// (a second provider of a type panics). Plugin-wide.
func WithDBProvider(on bool) Option {
	return func(s *settings) {
		if !s.pluginOnly() {
			s.plugin.provideDB = on
		}
	}
}

// WithQueryHook adds hooks to the database's bun handle, after the
// plugin's own (slow-query log, statement timeout): for example bunotel's
// query hook, so every query of a request is a child span of the request's
// trace:
//
//	orm.New(orm.WithDSN(dsn), orm.WithQueryHook(bunotel.NewQueryHook(
//		bunotel.WithTracerProvider(tracing.TracerProvider()))))
//
// Per database: given inside WithDatabase, it hooks that database only.
func WithQueryHook(hooks ...bun.QueryHook) Option {
	return func(s *settings) { s.db.hooks = append(s.db.hooks, hooks...) }
}
