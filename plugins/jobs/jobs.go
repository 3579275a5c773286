package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"
)

// Plugin is the jobs plugin: install it with app.Install(jobs.New(...)),
// register workers with Register before the app starts, and enqueue jobs
// from handlers with Enqueue or EnqueueTx.
//
// Two River clients share one set of tables: a client on pgx (riverpgxv5,
// with LISTEN/NOTIFY) works jobs and inserts them outside transactions, and
// an insert-only client on database/sql (riverdatabasesql) inserts jobs in
// a *sql.Tx, the transaction type of the orm plugin (bun over pgx's
// database/sql adapter). So a job enqueued with EnqueueTx inside
// orm.Transactional commits or rolls back with the request's writes.
type Plugin struct {
	cfg     config
	workers *river.Workers
	app     *covet.App
	logger  *slog.Logger

	mu        sync.Mutex
	pool      *pgxpool.Pool
	client    *river.Client[pgx.Tx]
	sqlClient *river.Client[*sql.Tx]
	started   bool

	running sync.Map // job ID -> struct{}: jobs this instance is working

	// Figures (AppendStats): jobs inserted through the plugin, and worked
	// by this instance (running now, ended, ended with an error).
	enqueued, working, worked, failed atomic.Int64
}

// New returns the plugin. WithDSN is required.
func New(opts ...Option) *Plugin {
	p := &Plugin{cfg: defaultConfig(), workers: river.NewWorkers()}
	for _, o := range opts {
		o(&p.cfg)
	}
	return p
}

// Register adds a worker for the job kind of A (A's Kind method). Call it
// before the app starts; registering a kind twice, or after the start,
// panics (a programming error, as a bad route table is).
//
//	type EmailArgs struct{ To string `json:"to"` }
//	func (EmailArgs) Kind() string { return "email" }
//
//	jobs.Register(p, river.WorkFunc(func(ctx context.Context, j *river.Job[EmailArgs]) error {
//		return send(ctx, j.Args.To)
//	}))
func Register[A river.JobArgs](p *Plugin, w river.Worker[A]) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		panic("jobs: Register called after the app started")
	}
	if err := river.AddWorkerSafely(p.workers, w); err != nil {
		panic("jobs: " + err.Error())
	}
}

// RegisterFunc is Register for a plain function.
func RegisterFunc[A river.JobArgs](p *Plugin, fn func(ctx context.Context, job *river.Job[A]) error) {
	Register(p, river.WorkFunc(fn))
}

// Name returns "jobs".
func (p *Plugin) Name() string { return "jobs" }

// Install checks the configuration and registers the operator view's
// routes when WithView is set. It opens nothing: the pool, the migrations
// and the workers start in Start.
func (p *Plugin) Install(app *covet.App) error {
	if p.cfg.dsn == "" {
		return errors.New("jobs: no PostgreSQL DSN: pass jobs.WithDSN(\"postgres://...\")")
	}
	if _, err := pgxpool.ParseConfig(p.cfg.dsn); err != nil {
		return fmt.Errorf("jobs: parse DSN: %w", err)
	}
	p.app = app
	p.logger = app.Logger().With("plugin", "jobs")
	if p.cfg.viewPath != "" {
		p.registerView(app)
	}
	return nil
}

// Start opens the pool, runs River's migrations (unless WithoutMigrations)
// once under an advisory lock, so that instances starting together do not
// race, and starts the workers (unless WithoutWorkers).
func (p *Plugin) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pcfg, err := pgxpool.ParseConfig(p.cfg.dsn)
	if err != nil {
		return fmt.Errorf("jobs: parse DSN: %w", err)
	}
	if p.cfg.maxConns > 0 {
		pcfg.MaxConns = p.cfg.maxConns
	}
	if _, ok := pcfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		pcfg.ConnConfig.RuntimeParams["application_name"] = "covet-jobs"
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return fmt.Errorf("jobs: open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return fmt.Errorf("jobs: connect: %w", err)
	}
	if p.cfg.migrate {
		if err := p.migrate(ctx, pool); err != nil {
			pool.Close()
			return err
		}
	}
	client, err := river.NewClient(riverpgxv5.New(pool), p.riverConfig(p.cfg.work))
	if err != nil {
		pool.Close()
		return fmt.Errorf("jobs: %w", err)
	}
	// Insert-only: a nil *sql.DB is enough for InsertTx, which runs on the
	// caller's transaction.
	sqlClient, err := river.NewClient(riverdatabasesql.New(nil), p.riverConfig(false))
	if err != nil {
		pool.Close()
		return fmt.Errorf("jobs: %w", err)
	}
	if p.cfg.work {
		// River's own lifetime: Stop ends it, not the start context.
		if err := client.Start(context.WithoutCancel(ctx)); err != nil {
			pool.Close()
			return fmt.Errorf("jobs: start workers: %w", err)
		}
	}
	p.pool, p.client, p.sqlClient, p.started = pool, client, sqlClient, true
	return nil
}

// migrationLockKey is the advisory lock the migrations run under.
func (p *Plugin) migrationLockKey() int64 {
	h := fnv.New64a()
	h.Write([]byte("covet.jobs.migrate:" + p.cfg.schema))
	return int64(h.Sum64())
}

// migrate runs River's migrations up (each version in its own transaction,
// as River's migrator does: some cannot share one) while holding a
// session-level advisory lock on a connection of its own: a second
// instance waits, then finds nothing to do.
func (p *Plugin) migrate(ctx context.Context, pool *pgxpool.Pool) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: p.cfg.schema, Logger: p.logger})
	if err != nil {
		return fmt.Errorf("jobs: migrator: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	defer conn.Release()
	key := p.migrationLockKey()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("jobs: migration lock: %w", err)
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key); err != nil {
			// The lock ends with the session: drop the connection.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("jobs: migrate River's tables: %w", err)
	}
	if len(res.Versions) > 0 {
		p.logger.Info("jobs: River migrations applied", "versions", len(res.Versions))
	}
	return nil
}

// riverConfig builds River's configuration; work adds queues, periodic
// jobs and the middleware that tracks running jobs.
//
// The plugin's River middleware is added after the WithRiverConfig
// functions have run, so that they cannot drop it and it coexists with
// theirs (see WithRiverConfig for the order): the job tracking goes first
// in Config.Plugins, outside every global middleware of the application,
// and the payload cap last in Config.Middleware, inside them.
func (p *Plugin) riverConfig(work bool) *river.Config {
	c := &river.Config{
		ID:          clientID(),
		Workers:     p.workers,
		Schema:      p.cfg.schema,
		Logger:      p.logger,
		MaxAttempts: p.cfg.maxAttempts,
		JobTimeout:  p.cfg.jobTimeout,
	}
	if work {
		c.Queues = map[string]river.QueueConfig{}
		for name, q := range p.cfg.queues {
			c.Queues[name] = q
		}
		if len(c.Queues) == 0 {
			c.Queues[river.QueueDefault] = river.QueueConfig{MaxWorkers: DefaultMaxWorkers}
		}
		c.PeriodicJobs = p.cfg.periodic
		if p.cfg.fetch > 0 {
			c.FetchPollInterval = p.cfg.fetch
			c.FetchCooldown = min(p.cfg.fetch/10, 100*time.Millisecond)
			if c.FetchCooldown < time.Millisecond {
				c.FetchCooldown = time.Millisecond
			}
		}
	}
	for _, fn := range p.cfg.river {
		fn(c)
	}
	if work {
		// First of the application's plugins and middleware (River enters
		// Config.Plugins before Config.Middleware): an attempt that the
		// application's middleware fails or panics in is counted too, and
		// the job is tracked for Stop while any of it runs.
		c.Plugins = append([]rivertype.Plugin{river.WorkerMiddlewareFunc(p.track)}, c.Plugins...)
	}
	if p.cfg.maxPayload > 0 {
		// Last: it measures the arguments as the application's insert
		// middleware leaves them, as they will be stored.
		c.Middleware = append(c.Middleware, river.JobInsertMiddlewareFunc(p.capPayload))
	}
	return c
}

// ErrPayloadTooLarge is wrapped by the error of an insert whose job
// arguments, encoded as JSON, exceed the cap (WithMaxPayload,
// DefaultMaxPayload). None of the batch's jobs is inserted.
var ErrPayloadTooLarge = errors.New("jobs: job payload too large")

// capPayload is River's insert middleware that refuses jobs over the cap,
// before anything reaches PostgreSQL: every insert (Enqueue, EnqueueTx,
// Client().Insert, InsertMany, periodic jobs) passes through it.
func (p *Plugin) capPayload(ctx context.Context, many []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	for _, j := range many {
		if n := len(j.EncodedArgs); n > p.cfg.maxPayload {
			return nil, fmt.Errorf("%w: a %q job's arguments are %d bytes of JSON, over the cap of %d (jobs.WithMaxPayload): pass IDs, not the data", ErrPayloadTooLarge, j.Kind, n, p.cfg.maxPayload)
		}
	}
	return doInner(ctx)
}

// clientID names a River client uniquely: River's default (host and
// start time to the second) repeats for two instances started together in
// one process.
func clientID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s_%d_%x", host, time.Now().Unix(), b)
}

// track remembers the jobs this instance is working, for Stop.
func (p *Plugin) track(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	p.running.Store(job.ID, struct{}{})
	defer p.running.Delete(job.ID)
	p.working.Add(1)
	failed := true // until doInner returns nil (a panic unwinds through here)
	defer func() {
		p.working.Add(-1)
		p.worked.Add(1)
		if failed {
			p.failed.Add(1)
		}
	}()
	err := doInner(ctx)
	failed = err != nil
	return err
}

// AppendStats appends the plugin's figures (covet.StatsReporter): enqueued
// (jobs inserted through Enqueue and EnqueueTx; an EnqueueTx whose
// transaction rolls back is counted too), running (jobs this instance is
// working now), worked and failed (attempts this instance finished, and
// those that returned an error or panicked).
func (p *Plugin) AppendStats(dst []covet.Stat) []covet.Stat {
	return append(dst,
		covet.Stat{Name: "enqueued", Help: "Jobs inserted through Enqueue and EnqueueTx.", Kind: covet.StatCounter, Value: float64(p.enqueued.Load())},
		covet.Stat{Name: "running", Help: "Jobs this instance is working.", Kind: covet.StatGauge, Value: float64(p.working.Load())},
		covet.Stat{Name: "worked", Help: "Job attempts this instance finished.", Kind: covet.StatCounter, Value: float64(p.worked.Load())},
		covet.Stat{Name: "failed", Help: "Job attempts this instance finished with an error or a panic.", Kind: covet.StatCounter, Value: float64(p.failed.Load())},
	)
}

var _ covet.StatsReporter = (*Plugin)(nil)

// inserted counts a successful insert.
func (p *Plugin) inserted(r *rivertype.JobInsertResult, err error) (*rivertype.JobInsertResult, error) {
	if err == nil {
		p.enqueued.Add(1)
	}
	return r, err
}

// Stop stops the workers: no more fetching, and running jobs get until
// ctx's deadline to finish (River's soft stop). Jobs still running then have
// their contexts canceled (River's hard stop); those that end with an error
// are made available again at once (JobRetry) for another instance instead
// of waiting out their retry backoff; a job that ignores its context stays
// running until River's rescuer gives it back (RescueStuckJobsAfter,
// default one hour). Then the pool closes.
func (p *Plugin) Stop(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started {
		return nil
	}
	p.started = false
	defer p.pool.Close()
	if !p.cfg.work {
		return nil
	}
	err := p.client.Stop(ctx)
	if err == nil {
		return nil
	}
	var ids []int64
	p.running.Range(func(k, _ any) bool {
		ids = append(ids, k.(int64))
		return true
	})
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	p.logger.Warn("jobs: shutdown deadline passed; canceling running jobs", "jobs", len(ids))
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if herr := p.client.StopAndCancel(hctx); herr != nil {
		p.logger.Warn("jobs: workers did not return after cancellation", "error", herr.Error())
	}
	released := 0
	for _, id := range ids {
		row, gerr := p.client.JobGet(hctx, id)
		if gerr != nil || row.State != rivertype.JobStateRetryable {
			continue
		}
		if _, rerr := p.client.JobRetry(hctx, id); rerr == nil {
			released++
		}
	}
	if released > 0 {
		p.logger.Info("jobs: canceled jobs made available again", "jobs", released)
	}
	return nil
}

// Client returns River's pgx client, for what this package does not wrap
// (JobCancel, QueuePause, Subscribe). Nil before the app starts.
func (p *Plugin) Client() *river.Client[pgx.Tx] {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.client
}

// Pool returns the plugin's PostgreSQL pool (nil before the app starts).
func (p *Plugin) Pool() *pgxpool.Pool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pool
}

// ErrNotStarted is returned by Enqueue and EnqueueTx before the app starts.
var ErrNotStarted = errors.New("jobs: the app has not started (App.Start, Run or Serve starts the plugin)")

// ErrNotTransaction is returned by EnqueueTx when it is given a database
// handle that is not a transaction: the job would not be tied to the
// request's writes. On a route without orm.Transactional, use Enqueue.
var ErrNotTransaction = errors.New("jobs: EnqueueTx needs an open transaction (orm.Transactional, orm.Tx, a *sql.Tx or a pgx.Tx)")

func (p *Plugin) clients() (*river.Client[pgx.Tx], *river.Client[*sql.Tx], error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == nil {
		return nil, nil, ErrNotStarted
	}
	return p.client, p.sqlClient, nil
}

// Enqueue inserts a job on its own, committed at once. opts may be nil:
// River's defaults, or those of the args' InsertOpts method. Queue,
// Priority, ScheduledAt, MaxAttempts, Tags and UniqueOpts (unique jobs: by
// args, period, queue, state) are River's InsertOpts.
func (p *Plugin) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	c, _, err := p.clients()
	if err != nil {
		return nil, err
	}
	return p.inserted(c.Insert(ctx, args, opts))
}

// EnqueueTx inserts a job in tx, so it exists if and only if tx commits.
// tx is the request's transaction as the orm plugin gives it (orm.DB(c) on
// an orm.Transactional route, or the bun.Tx of orm.Tx), a *sql.Tx, or a
// pgx.Tx. A handle that is not a transaction (*bun.DB) is ErrNotTransaction.
//
//	app.POST("/tasks/{id}/assign", assign, orm.Transactional())
//	// in assign, after the UPDATE:
//	db, err := orm.DB(c)
//	...
//	_, err = jobsPlugin.EnqueueTx(c.Context(), db, NotifyArgs{TaskID: id}, nil)
func (p *Plugin) EnqueueTx(ctx context.Context, tx any, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	c, sc, err := p.clients()
	if err != nil {
		return nil, err
	}
	switch t := tx.(type) {
	case bun.Tx:
		if t.Tx == nil {
			return nil, ErrNotTransaction
		}
		return p.inserted(sc.InsertTx(ctx, t.Tx, args, opts))
	case *bun.Tx:
		if t == nil || t.Tx == nil {
			return nil, ErrNotTransaction
		}
		return p.inserted(sc.InsertTx(ctx, t.Tx, args, opts))
	case *sql.Tx:
		if t == nil {
			return nil, ErrNotTransaction
		}
		return p.inserted(sc.InsertTx(ctx, t, args, opts))
	case pgx.Tx:
		if t == nil {
			return nil, ErrNotTransaction
		}
		return p.inserted(c.InsertTx(ctx, t, args, opts))
	}
	return nil, fmt.Errorf("%w; got %T", ErrNotTransaction, tx)
}

// CheckHealth reports, for readiness, the number of jobs per queue and
// state (available, running, retryable, scheduled) from one query; down
// when PostgreSQL does not answer. Liveness is ok once started.
func (p *Plugin) CheckHealth(ctx context.Context, kind covet.HealthKind) covet.HealthReport {
	p.mu.Lock()
	pool, started := p.pool, p.started
	p.mu.Unlock()
	if !started {
		return covet.HealthReport{Status: covet.HealthDown, Error: "jobs: not started"}
	}
	if kind == covet.Liveness {
		return covet.HealthReport{Status: covet.HealthOK}
	}
	counts, err := queueCounts(ctx, pool, p.cfg.schema, []string{"available", "running", "retryable", "scheduled"})
	if err != nil {
		return covet.HealthReport{Status: covet.HealthDown, Error: "jobs: " + err.Error()}
	}
	details := map[string]any{"queues": counts, "working": p.cfg.work}
	return covet.HealthReport{Status: covet.HealthOK, Details: details}
}

// queueCounts counts jobs by queue and state (states nil: every state).
func queueCounts(ctx context.Context, pool *pgxpool.Pool, schema string, states []string) (map[string]map[string]int64, error) {
	table := "river_job"
	if schema != "" {
		table = pgx.Identifier{schema, "river_job"}.Sanitize()
	}
	q := "SELECT queue, state::text, count(*) FROM " + table
	var rows pgx.Rows
	var err error
	if states != nil {
		rows, err = pool.Query(ctx, q+" WHERE state::text = ANY($1) GROUP BY 1, 2", states)
	} else {
		rows, err = pool.Query(ctx, q+" GROUP BY 1, 2")
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]int64{}
	for rows.Next() {
		var queue, state string
		var n int64
		if err := rows.Scan(&queue, &state, &n); err != nil {
			return nil, err
		}
		if out[queue] == nil {
			out[queue] = map[string]int64{}
		}
		out[queue][state] = n
	}
	return out, rows.Err()
}

// Interface guards.
var (
	_ covet.Plugin        = (*Plugin)(nil)
	_ covet.Starter       = (*Plugin)(nil)
	_ covet.Stopper       = (*Plugin)(nil)
	_ covet.HealthChecker = (*Plugin)(nil)
)

// Schema returns the PostgreSQL schema of River's tables (WithSchema), or
// "" for the connection's search path.
func (p *Plugin) Schema() string { return p.cfg.schema }
