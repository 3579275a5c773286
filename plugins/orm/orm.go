package orm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/uptrace/bun"
)

// Plugin connects a Covet app to one or more databases through bun. Create
// it with New and install it with app.Install.
type Plugin struct {
	cfg     config
	app     *covet.App
	log     *slog.Logger
	dbs     []*Database
	byName  map[string]*Database
	primary *Database
	// sticky lists the databases with WithStickyWrites and replicas, in
	// the order of their stickyBit.
	sticky []*Database
}

// Database is one configured database: its bun handle, replicas and pool.
type Database struct {
	name    string
	cfg     *dbConfig
	p       *Plugin
	dialect Dialect
	driver  Driver
	where   string

	mu       sync.Mutex // guards open, close and making the bun handle
	sqldb    *sql.DB
	db       atomic.Pointer[bun.DB]
	replicas *replicaSet
	closed   bool

	lastPurge atomic.Int64
	writeTurn chan struct{} // SQLite: one write transaction at a time

	// WithStickyWrites (with replicas): the cookie's name, the name and
	// "=" as looked for in a Cookie header, and the database's bit in a
	// request's stickyMask; zero otherwise.
	stickyCookie string
	stickyNeedle string
	stickyBit    uint64

	// Figures (AppendStats): statements and failed ones since the plugin
	// was installed; the waits of pools closed before the current one, so
	// the counters do not go back to 0 when the app starts again.
	queries, queryErrors atomic.Uint64
	waitCountBase        int64
	waitTimeBase         time.Duration
	labels               []covet.StatLabel // {db: name}
}

// New returns the plugin. Options given directly configure the primary
// database (named DefaultName) and the plugin; WithDatabase adds more.
func New(opts ...Option) *Plugin {
	p := &Plugin{cfg: defaultConfig()}
	p.cfg.drivers = map[Dialect]Driver{}
	primary := defaultDBConfig(DefaultName)
	p.cfg.dbs = []*dbConfig{primary}
	s := &settings{plugin: &p.cfg, db: primary}
	for _, o := range opts {
		o(s)
	}
	return p
}

// Name returns "orm".
func (p *Plugin) Name() string { return "orm" }

// Install checks the configuration (every database has a DSN of a known
// dialect) and adds the app-wide middleware that gives each request its
// database state, counts its queries, and registers the translator that
// maps database errors to HTTP errors (covet.App.TranslateErrors) and the
// provider of bun.IDB (WithDBProvider). It opens
// nothing: pools (and the goroutines database/sql runs for them) are made
// by Start and closed by Stop, or by Start itself when it fails.
func (p *Plugin) Install(app *covet.App) error {
	p.app = app
	p.log = p.cfg.logger
	if p.log == nil {
		p.log = app.Logger()
	}
	p.byName = map[string]*Database{}
	p.dbs = nil
	p.sticky = nil
	for _, dc := range p.cfg.dbs {
		if dc.dsn == "" {
			return fmt.Errorf("orm: database %q has no DSN (use orm.WithDSN)", dc.name)
		}
		drv, err := pick(dc.dsn, p.cfg.drivers)
		if err != nil {
			return fmt.Errorf("orm: database %q: %w", dc.name, err)
		}
		for i, r := range dc.replicas {
			if rd, err := DialectOf(r); err != nil || rd != drv.Dialect() {
				return fmt.Errorf("orm: database %q: replica %d is not a %s DSN", dc.name, i+1, drv.Dialect())
			}
		}
		dia := drv.Dialect()
		d := &Database{name: dc.name, cfg: dc, p: p, dialect: dia, driver: drv, where: string(dia), closed: true,
			labels: []covet.StatLabel{{Name: "db", Value: dc.name}}}
		if dia == SQLite {
			d.writeTurn = make(chan struct{}, 1)
		}
		if dc.sticky > 0 && len(dc.replicas) > 0 {
			if err := p.makeSticky(d); err != nil {
				return err
			}
		}
		p.dbs = append(p.dbs, d)
		p.byName[dc.name] = d
	}
	p.primary = p.byName[DefaultName]
	app.UseAt(covet.PhaseResource, p.requestMiddleware)
	app.DocumentResponses(documentResponses)
	if p.cfg.mapErrors {
		app.TranslateErrors(p.translate)
	}
	if p.cfg.provideDB {
		covet.Provide(app, DB)
	}
	return nil
}

func (p *Plugin) closeAll() {
	for _, d := range p.dbs {
		_ = d.close()
	}
}

func (d *Database) open() error {
	o, err := openSQL(d.cfg.dsn, d.p.cfg.drivers)
	if err != nil {
		return err
	}
	d.dialect, d.where = o.dialect, o.where
	configurePool(o, d.cfg)
	var rs *replicaSet
	if len(d.cfg.replicas) > 0 {
		rs, err = newReplicaSet(d, d.cfg.replicas)
		if err != nil {
			_ = o.sqldb.Close()
			return err
		}
	}
	d.mu.Lock()
	d.sqldb, d.replicas, d.closed = o.sqldb, rs, false
	d.db.Store(nil)
	d.mu.Unlock()
	return nil
}

// Bun returns the database's bun handle (reads routed to replicas when it has
// any), or nil while the database is not open: before the app's Start and
// after its Stop. Safe for concurrent use.
func (d *Database) Bun() *bun.DB {
	if db := d.db.Load(); db != nil {
		return db
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if db := d.db.Load(); db != nil {
		return db
	}
	if d.closed || d.sqldb == nil {
		return nil
	}
	var opts []bun.DBOption
	if d.replicas != nil {
		opts = append(opts, bun.WithConnResolver(d.replicas))
	}
	db := bun.NewDB(d.sqldb, d.driver.BunDialect(), opts...)
	db.AddQueryHook(&queryHook{p: d.p, d: d})
	for _, h := range d.cfg.hooks {
		db.AddQueryHook(h)
	}
	d.db.Store(db)
	return db
}

func configurePool(o *opened, c *dbConfig) {
	maxOpen, maxIdle := c.maxOpen, c.idleLimit()
	if o.memory {
		maxOpen, maxIdle = 1, 1
	}
	o.sqldb.SetMaxOpenConns(maxOpen)
	o.sqldb.SetMaxIdleConns(maxIdle)
	o.sqldb.SetConnMaxLifetime(c.maxLifetime)
	o.sqldb.SetConnMaxIdleTime(c.maxIdleTime)
}

func (d *Database) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || d.sqldb == nil {
		return nil
	}
	d.closed = true
	d.db.Store(nil)
	err := d.sqldb.Close()
	ws := d.sqldb.Stats()
	d.waitCountBase += ws.WaitCount
	d.waitTimeBase += ws.WaitDuration
	if d.replicas != nil {
		err = errors.Join(err, d.replicas.close())
	}
	return err
}

// Name returns the database's name.
func (d *Database) Name() string { return d.name }

// Dialect returns the database's dialect.
func (d *Database) Dialect() Dialect { return d.dialect }

// DB returns the primary database's bun handle, for use outside requests
// (background jobs, code run once the app started), or nil before the app's
// Start and after its Stop. Handlers use DB(c).
func (p *Plugin) DB() *bun.DB { return p.primary.Bun() }

// Database returns the named database, or nil if none has that name.
func (p *Plugin) Database(name string) *Database { return p.byName[name] }

// Databases returns the configured databases, primary first.
func (p *Plugin) Databases() []*Database { return append([]*Database(nil), p.dbs...) }

// Start opens and connects every database, retrying with exponential
// backoff until the connect window (WithConnectRetry) passes, then starts
// replica health checks and, where configured, applies pending migrations.
// It fails with an error naming the database, where it is (never its
// password) and the last cause; a failed Start closes every pool it opened,
// so nothing (connection or goroutine) is left behind.
func (p *Plugin) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			p.closeAll()
		}
	}()
	for _, d := range p.dbs {
		d.mu.Lock()
		closed := d.closed
		d.mu.Unlock()
		if closed {
			if err := d.open(); err != nil {
				return fmt.Errorf("orm: database %q: %w", d.name, err)
			}
		}
		if err := p.connect(ctx, d); err != nil {
			return err
		}
		d.Bun()
		if d.replicas != nil {
			d.replicas.start(ctx)
		}
		if d.cfg.migrateOnStart && d.cfg.migrations != nil {
			applied, err := NewMigrator(d.Bun(), d.cfg.migrations).Up(ctx)
			if err != nil {
				return fmt.Errorf("orm: database %q: migrate on start: %w", d.name, err)
			}
			if len(applied) > 0 {
				p.log.InfoContext(ctx, "orm: migrations applied", "database", d.name, "migrations", applied)
			}
		}
	}
	return nil
}

func (p *Plugin) connect(ctx context.Context, d *Database) error {
	start := time.Now()
	deadline := start.Add(p.cfg.connectWithin)
	wait := p.cfg.backoffMin
	var last error
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithDeadline(ctx, deadline)
		last = d.sqldb.PingContext(actx)
		cancel()
		if last == nil {
			if attempt > 1 {
				p.log.InfoContext(ctx, "orm: connected", "database", d.name, "attempts", attempt)
			}
			return nil
		}
		if ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("orm: connect to database %q (%s): gave up after %d attempts in %s: %w",
				d.name, d.where, attempt, time.Since(start).Round(time.Millisecond), scrub(last, d.cfg.dsn))
		}
		p.log.WarnContext(ctx, "orm: database not reachable yet, retrying", "database", d.name, "where", d.where,
			"attempt", attempt, "retry_in", wait.String(), "error", scrub(last, d.cfg.dsn).Error())
		t := time.NewTimer(wait + rand.N(wait/4+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("orm: connect to database %q (%s): %w", d.name, d.where, ctx.Err())
		case <-t.C:
		}
		wait = min(wait*2, p.cfg.backoffMax)
	}
}

// Stop closes the pools. Core calls it after the server stopped accepting
// connections and in-flight requests finished, so no request loses its
// database under it.
func (p *Plugin) Stop(ctx context.Context) error {
	var errs []error
	for i := len(p.dbs) - 1; i >= 0; i-- {
		if err := p.dbs[i].close(); err != nil {
			errs = append(errs, fmt.Errorf("orm: close database %q: %w", p.dbs[i].name, err))
		}
	}
	return errors.Join(errs...)
}

// CheckHealth reports each database. Liveness reports pool figures only (a
// database outage must not get the process restarted); readiness pings each
// database and its replicas and reports their latency: down if a database
// does not answer, degraded if only replicas fail.
func (p *Plugin) CheckHealth(ctx context.Context, kind covet.HealthKind) covet.HealthReport {
	rep := covet.HealthReport{Status: covet.HealthOK, Details: map[string]any{}}
	type result struct {
		name string
		h    DatabaseHealth
	}
	results := make(chan result, len(p.dbs))
	for _, d := range p.dbs {
		go func(d *Database) { results <- result{d.name, d.health(ctx, kind)} }(d)
	}
	var errs []string
	for range p.dbs {
		r := <-results
		rep.Details[r.name] = r.h
		switch r.h.Status {
		case covet.HealthDown:
			rep.Status = covet.HealthDown
			errs = append(errs, r.name+": "+r.h.Error)
		case covet.HealthDegraded:
			if rep.Status == covet.HealthOK {
				rep.Status = covet.HealthDegraded
			}
			errs = append(errs, r.name+": "+r.h.Error)
		}
	}
	if len(errs) > 0 {
		rep.Error = fmt.Sprint(errs)
	}
	return rep
}

// DatabaseHealth is one database's entry in the health report.
type DatabaseHealth struct {
	Status    covet.HealthStatus `json:"status"`
	Error     string             `json:"error,omitempty"`
	Dialect   Dialect            `json:"dialect"`
	LatencyMS float64            `json:"latency_ms,omitempty"`
	Pool      PoolStats          `json:"pool"`
	Replicas  []ReplicaHealth    `json:"replicas,omitempty"`
}

// ReplicaHealth is one replica's entry in the health report.
type ReplicaHealth struct {
	Where     string    `json:"where"`
	Healthy   bool      `json:"healthy"`
	Error     string    `json:"error,omitempty"`
	LatencyMS float64   `json:"latency_ms,omitempty"`
	Pool      PoolStats `json:"pool"`
}

func (d *Database) health(ctx context.Context, kind covet.HealthKind) DatabaseHealth {
	h := DatabaseHealth{Status: covet.HealthOK, Dialect: d.dialect, Pool: d.Stats()}
	if kind != covet.Readiness {
		return h
	}
	sqldb := d.pool()
	if sqldb == nil {
		h.Status, h.Error = covet.HealthDown, "not started"
		return h
	}
	start := time.Now()
	err := sqldb.PingContext(ctx)
	h.LatencyMS = ms(time.Since(start))
	if err != nil {
		h.Status, h.Error = covet.HealthDown, "ping failed: "+scrub(err, d.cfg.dsn).Error()
		return h
	}
	if d.replicas != nil {
		h.Replicas = d.replicas.check(ctx)
		for _, r := range h.Replicas {
			if !r.Healthy {
				h.Status, h.Error = covet.HealthDegraded, "replica "+r.Where+" down, reads use the primary"
			}
		}
	}
	return h
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// PoolStats are a pool's figures: database/sql's statistics plus bun's
// query and error counts.
type PoolStats struct {
	MaxOpen           int     `json:"max_open"`
	Open              int     `json:"open"`
	InUse             int     `json:"in_use"`
	Idle              int     `json:"idle"`
	WaitCount         int64   `json:"wait_count"`
	WaitDurationMS    float64 `json:"wait_duration_ms"`
	MaxIdleClosed     int64   `json:"max_idle_closed"`
	MaxIdleTimeClosed int64   `json:"max_idle_time_closed"`
	MaxLifetimeClosed int64   `json:"max_lifetime_closed"`
	Queries           uint32  `json:"queries"`
	Errors            uint32  `json:"errors"`
}

func poolStats(s sql.DBStats, b bun.DBStats) PoolStats {
	return PoolStats{
		MaxOpen: s.MaxOpenConnections, Open: s.OpenConnections, InUse: s.InUse, Idle: s.Idle,
		WaitCount: s.WaitCount, WaitDurationMS: ms(s.WaitDuration),
		MaxIdleClosed: s.MaxIdleClosed, MaxIdleTimeClosed: s.MaxIdleTimeClosed, MaxLifetimeClosed: s.MaxLifetimeClosed,
		Queries: b.Queries, Errors: b.Errors,
	}
}

// Stats returns the database's pool figures.
func (d *Database) Stats() PoolStats {
	var bs bun.DBStats
	if db := d.db.Load(); db != nil {
		bs = db.DBStats()
	}
	var ss sql.DBStats
	if sqldb := d.pool(); sqldb != nil {
		ss = sqldb.Stats()
	}
	return poolStats(ss, bs)
}

// pool returns the database's *sql.DB, nil before the first Start.
func (d *Database) pool() *sql.DB {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sqldb
}

// AppendStats appends the plugin's figures (covet.StatsReporter), labelled
// db with each database's name: pool_max_open, pool_open, pool_in_use,
// pool_idle (gauges), pool_wait (waits for a connection), pool_wait_seconds,
// queries and query_errors (statements run and failed, sql.ErrNoRows and
// transaction control not counted). Before Start and after Stop the pool
// gauges are 0.
func (p *Plugin) AppendStats(dst []covet.Stat) []covet.Stat {
	for _, d := range p.dbs {
		d.mu.Lock()
		var ss sql.DBStats
		if d.sqldb != nil && !d.closed {
			ss = d.sqldb.Stats()
		}
		waits, waited := d.waitCountBase+ss.WaitCount, d.waitTimeBase+ss.WaitDuration
		d.mu.Unlock()
		l := d.labels
		dst = append(dst,
			covet.Stat{Name: "pool_max_open", Help: "Connections the pool may open (0: no limit).", Kind: covet.StatGauge, Value: float64(ss.MaxOpenConnections), Labels: l},
			covet.Stat{Name: "pool_open", Help: "Connections open, in use or idle.", Kind: covet.StatGauge, Value: float64(ss.OpenConnections), Labels: l},
			covet.Stat{Name: "pool_in_use", Help: "Connections in use.", Kind: covet.StatGauge, Value: float64(ss.InUse), Labels: l},
			covet.Stat{Name: "pool_idle", Help: "Idle connections.", Kind: covet.StatGauge, Value: float64(ss.Idle), Labels: l},
			covet.Stat{Name: "pool_wait", Help: "Times a statement waited for a free connection.", Kind: covet.StatCounter, Value: float64(waits), Labels: l},
			covet.Stat{Name: "pool_wait_seconds", Help: "Time spent waiting for a free connection.", Kind: covet.StatCounter, Value: waited.Seconds(), Labels: l},
			covet.Stat{Name: "queries", Help: "Statements run (transaction control not counted).", Kind: covet.StatCounter, Value: float64(d.queries.Load()), Labels: l},
			covet.Stat{Name: "query_errors", Help: "Statements that failed (sql.ErrNoRows not counted).", Kind: covet.StatCounter, Value: float64(d.queryErrors.Load()), Labels: l},
		)
	}
	return dst
}

var _ covet.StatsReporter = (*Plugin)(nil)

// Stats returns every database's pool figures by name.
func (p *Plugin) Stats() map[string]PoolStats {
	out := make(map[string]PoolStats, len(p.dbs))
	for _, d := range p.dbs {
		out[d.name] = d.Stats()
	}
	return out
}

// Migrator returns a migrator for the named database's migrations
// (WithMigrations), or an error if it has none.
func (p *Plugin) Migrator(name string) (*Migrator, error) {
	d := p.byName[name]
	if d == nil {
		return nil, fmt.Errorf("orm: no database named %q", name)
	}
	if d.cfg.migrations == nil {
		return nil, fmt.Errorf("orm: database %q has no migrations (use orm.WithMigrations)", name)
	}
	db := d.Bun()
	if db == nil {
		return nil, fmt.Errorf("orm: database %q is not open (the app has not started)", name)
	}
	return NewMigrator(db, d.cfg.migrations), nil
}

// purgeIdle drops the pool's idle connections after the server dropped
// connections (a restart, a failover, pg_terminate_backend): the next
// requests then open fresh ones instead of each failing on a dead one. At
// most once a second.
func (d *Database) purgeIdle() {
	now := time.Now().UnixNano()
	last := d.lastPurge.Load()
	if now-last < int64(time.Second) || !d.lastPurge.CompareAndSwap(last, now) {
		return
	}
	maxIdle := d.cfg.idleLimit()
	d.sqldb.SetMaxIdleConns(0)
	d.sqldb.SetMaxIdleConns(maxIdle)
	d.p.log.Warn("orm: the database dropped connections; idle connections discarded", "database", d.name)
}

var (
	_ covet.Plugin        = (*Plugin)(nil)
	_ covet.Starter       = (*Plugin)(nil)
	_ covet.Stopper       = (*Plugin)(nil)
	_ covet.HealthChecker = (*Plugin)(nil)
)
