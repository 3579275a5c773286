// Command observability is a small app with every layer measured and
// traced: plugins/metrics on /metrics (RED metrics, runtime, the database
// pool), plugins/otel server spans exported over OTLP when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, SQL spans from bun's bunotel hook on
// the plugins/orm database, Redis spans from go-redis's redisotel, and trace
// IDs beside request IDs in the JSON logs.
//
//	go run ./contrib/examples/observability                          # SQLite, no Redis
//	DATABASE_URL=postgres://postgres@localhost:5432/test?sslmode=disable REDIS_URL=redis://localhost:6379/0 \
//	OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 go run ./contrib/examples/observability
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strconv"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/middleware"
	"github.com/covetgo/covet/plugins/metrics"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/pgsql"
	"github.com/covetgo/covet/plugins/orm/sqlite"
	"github.com/covetgo/covet/plugins/otel"
	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun/extra/bunotel"
)

func main() {
	cfg := Config{DatabaseURL: env("DATABASE_URL", "sqlite://observability.db"), RedisURL: os.Getenv("REDIS_URL")}
	app, err := New(cfg, slog.NewJSONHandler(os.Stdout, nil))
	if err != nil {
		slog.Error("observability", "error", err)
		os.Exit(1)
	}
	if err := app.Run(env("ADDR", "127.0.0.1:8080")); err != nil {
		slog.Error("observability", "error", err)
		os.Exit(1)
	}
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// Config says where the backends are.
type Config struct {
	DatabaseURL string
	RedisURL    string // empty: no Redis
	// KeyPrefix prefixes the Redis keys ("obs:" by default).
	KeyPrefix string
	// Tracing options for plugins/otel (tests pass WithTracerProvider).
	Tracing []otel.Option
	// Metrics options for plugins/metrics.
	Metrics []metrics.Option
}

// New builds the app: GET /tasks/{id:int} reads the task's row from the
// database and counts a view in Redis.
func New(cfg Config, logs slog.Handler) (*covet.App, error) {
	app := covet.New(covet.WithLogger(slog.New(otel.LogHandler(logs))))
	tracing := otel.New(append([]otel.Option{otel.WithServiceName("observability"),
		otel.WithSkip(func(p string) bool { return p == "/metrics" })}, cfg.Tracing...)...)
	db := orm.New(orm.WithDriver(sqlite.Driver(), pgsql.Driver()), orm.WithDSN(cfg.DatabaseURL))
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = "obs:"
	}
	var rdb *redis.Client
	if cfg.RedisURL != "" {
		ro, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, err
		}
		rdb = redis.NewClient(ro)
	}
	// Metrics are installed after tracing; both sit at covet.PhaseObserve, in
	// the order added, so the metrics middleware runs inside the tracing one
	// and records while the request's context carries the span, for the
	// exemplars.
	if err := app.Install(tracing, db); err != nil {
		return nil, err
	}
	// The orm's pool figures (covet_orm_pool_*{db="primary"}) are exported
	// through covet.StatsReporter: nothing to wire.
	mopts := append([]metrics.Option{metrics.WithExemplars(otel.TraceID)}, cfg.Metrics...)
	if err := app.Install(metrics.New(mopts...), &wiring{tracing: tracing, db: db, rdb: rdb}); err != nil {
		return nil, err
	}
	app.Use(middleware.RequestID(), middleware.AccessLog(), middleware.Recover())
	app.GET("/tasks/{id:int}", func(c *covet.Context) error {
		id, _ := strconv.Atoi(c.Param("id"))
		var title string
		db, err := orm.DB(c)
		if err != nil {
			return err
		}
		err = db.NewRaw("SELECT title FROM obs_tasks WHERE id = ?", id).Scan(c.Context(), &title)
		if err != nil {
			return err // no row: the orm's translator answers 404
		}
		views := int64(0)
		if rdb != nil {
			if views, err = rdb.Incr(c.Context(), cfg.KeyPrefix+"views:"+c.Param("id")).Result(); err != nil {
				c.Logger().WarnContext(c.Context(), "views not counted", "error", err)
			}
		}
		return c.JSON(http.StatusOK, map[string]any{"id": id, "title": title, "views": views})
	})
	return app, nil
}

// wiring gives the tracer provider to the layers' instrumentation once the
// plugins started (the provider and the ORM's handle exist from Start on).
// Installed last, so its Start runs after theirs.
type wiring struct {
	tracing *otel.Plugin
	db      *orm.Plugin
	rdb     *redis.Client
}

func (w *wiring) Name() string             { return "observability-wiring" }
func (w *wiring) Install(*covet.App) error { return nil }
func (w *wiring) Stop(ctx context.Context) error {
	if w.rdb != nil {
		return w.rdb.Close()
	}
	return nil
}

func (w *wiring) Start(ctx context.Context) error {
	tp := w.tracing.TracerProvider()
	// The orm opens its pools in its Start, which ran before this one.
	w.db.DB().AddQueryHook(bunotel.NewQueryHook(bunotel.WithTracerProvider(tp), bunotel.WithFormattedQueries(true)))
	if _, err := w.db.DB().NewRaw("CREATE TABLE IF NOT EXISTS obs_tasks (id integer PRIMARY KEY, title text NOT NULL)").Exec(ctx); err != nil {
		return err
	}
	if w.rdb != nil {
		return redisotel.InstrumentTracing(w.rdb, redisotel.WithTracerProvider(tp))
	}
	return nil
}

var (
	_ covet.Starter = (*wiring)(nil)
	_ covet.Stopper = (*wiring)(nil)
)
