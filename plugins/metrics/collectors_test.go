package metrics_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/covetgo/covet/plugins/metrics"
)

// TestDBStatsPostgres exports a real PostgreSQL pool's figures while a
// connection is held, then after it went back to the pool.
func TestDBStatsPostgres(t *testing.T) {
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(covettest.PostgresDSN())))
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5e9)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		covettest.NeedService(t, "PostgreSQL", err)
		return
	}
	app, _ := newApp(t, metrics.WithCollector(metrics.DBStats("primary", db)))
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var one int
	if err := conn.QueryRowContext(ctx, "select 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	fams := scrape(t, app, "/metrics")
	if got, _ := value(fams, "go_sql_in_use_connections", map[string]string{"db_name": "primary"}); got != 1 {
		t.Errorf("in use while a connection is held = %v, want 1", got)
	}
	_ = conn.Close()
	fams = scrape(t, app, "/metrics")
	if got, _ := value(fams, "go_sql_in_use_connections", map[string]string{"db_name": "primary"}); got != 0 {
		t.Errorf("in use after release = %v, want 0", got)
	}
	if got, _ := value(fams, "go_sql_idle_connections", map[string]string{"db_name": "primary"}); got != 1 {
		t.Errorf("idle after release = %v, want 1", got)
	}
}

func TestFigures(t *testing.T) {
	n := 0.0
	app, _ := newApp(t, metrics.WithCollector(metrics.Figures("covet", "cache", func() []metrics.Figure {
		n++
		return []metrics.Figure{
			{Name: "hits_total", Help: "Cache hits.", Counter: true, Value: n * 10},
			{Name: "entries", Help: "Entries held.", Value: 3},
		}
	})))
	scrape(t, app, "/metrics")
	fams := scrape(t, app, "/metrics")
	if got, _ := value(fams, "covet_cache_hits_total", nil); got != 20 {
		t.Errorf("hits read at the second scrape = %v, want 20", got)
	}
	if fams["covet_cache_entries"].GetType().String() != "GAUGE" {
		t.Errorf("entries type %v, want GAUGE", fams["covet_cache_entries"].GetType())
	}
}

// reporter is a plugin that publishes figures through covet.StatsReporter.
type reporter struct {
	name  string
	calls float64
	mu    sync.Mutex
}

var (
	primary = []covet.StatLabel{{Name: "db", Value: "primary"}}
	replica = []covet.StatLabel{{Name: "db", Value: "replica"}}
)

func (r *reporter) Name() string             { return r.name }
func (r *reporter) Install(*covet.App) error { return nil }
func (r *reporter) AppendStats(dst []covet.Stat) []covet.Stat {
	r.mu.Lock()
	r.calls++
	n := r.calls
	r.mu.Unlock()
	return append(dst,
		covet.Stat{Name: "queries", Help: "Queries run.", Kind: covet.StatCounter, Value: 10 * n, Labels: primary},
		covet.Stat{Name: "queries", Help: "Queries run.", Kind: covet.StatCounter, Value: n, Labels: replica},
		covet.Stat{Name: "in_use", Help: "Connections in use.", Kind: covet.StatGauge, Value: 2},
	)
}

// TestPluginStatsExported: a plugin installed after the metrics plugin is
// exported at each scrape with no wiring, named after the plugin, counters
// with _total, labels as labels; WithPluginStats(false) turns it off.
func TestPluginStatsExported(t *testing.T) {
	app, _ := newApp(t)
	if err := app.Install(&reporter{name: "my-db"}); err != nil {
		t.Fatal(err)
	}
	scrape(t, app, "/metrics")
	fams := scrape(t, app, "/metrics")
	if got, ok := value(fams, "covet_my_db_queries_total", map[string]string{"db": "primary"}); got != 20 {
		t.Errorf("queries{db=primary} at the second scrape = %v (%v), want 20", got, ok)
	}
	if got, _ := value(fams, "covet_my_db_queries_total", map[string]string{"db": "replica"}); got != 2 {
		t.Errorf("queries{db=replica} = %v, want 2", got)
	}
	if f := fams["covet_my_db_queries_total"]; f.GetType().String() != "COUNTER" || f.GetHelp() != "Queries run." {
		t.Errorf("queries family %v %q", f.GetType(), f.GetHelp())
	}
	if f := fams["covet_my_db_in_use"]; f.GetType().String() != "GAUGE" || len(f.Metric) != 1 || f.Metric[0].Gauge.GetValue() != 2 {
		t.Errorf("in_use family %v", f)
	}

	off, _ := newApp(t, metrics.WithPluginStats(false))
	if err := off.Install(&reporter{name: "my-db"}); err != nil {
		t.Fatal(err)
	}
	if fams := scrape(t, off, "/metrics"); fams["covet_my_db_in_use"] != nil {
		t.Error("plugin figures exported with WithPluginStats(false)")
	}
}

// badReporter reports a figure of an unknown kind.
type badReporter struct{ reporter }

func (*badReporter) AppendStats(dst []covet.Stat) []covet.Stat {
	return append(dst,
		covet.Stat{Name: "weird", Help: "x", Kind: covet.StatKind(9)},
		covet.Stat{Name: "fine", Help: "y", Kind: covet.StatGauge, Value: 1},
	)
}

// TestPluginStatsInvalidReported: a figure that cannot be exported is an
// error of the gather naming the plugin and the figure (promhttp logs it and
// serves the rest), not silently dropped.
func TestPluginStatsInvalidReported(t *testing.T) {
	app, m := newApp(t)
	if err := app.Install(&badReporter{reporter{name: "bad"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Registry().Gather(); err == nil || !strings.Contains(err.Error(), `plugin "bad" figure "weird": unknown kind 9`) {
		t.Errorf("gather with an invalid figure: %v", err)
	}
	fams := scrape(t, app, "/metrics")
	if got, ok := value(fams, "covet_bad_fine", nil); !ok || got != 1 {
		t.Errorf("the valid figure beside it = %v (%v), want 1", got, ok)
	}
}

// flat publishes three unlabelled figures.
type flat struct{}

func (flat) Name() string             { return "flat" }
func (flat) Install(*covet.App) error { return nil }
func (flat) AppendStats(dst []covet.Stat) []covet.Stat {
	return append(dst,
		covet.Stat{Name: "a", Help: "A.", Kind: covet.StatCounter, Value: 1},
		covet.Stat{Name: "b", Help: "B.", Kind: covet.StatCounter, Value: 2},
		covet.Stat{Name: "c", Help: "C.", Kind: covet.StatGauge, Value: 3},
	)
}

// TestPluginStatsScrapeAllocs: exporting figures through the hook costs a
// scrape no more allocations than the hand-wired Figures collector (which
// builds its descriptors at each scrape); the hook's buffer and descriptors
// are reused.
func TestPluginStatsScrapeAllocs(t *testing.T) {
	gatherAllocs := func(opts []metrics.Option, p covet.Plugin) float64 {
		app, m := newApp(t, append([]metrics.Option{metrics.WithRuntimeMetrics(false), metrics.WithSizes(false)}, opts...)...)
		if p != nil {
			if err := app.Install(p); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := m.Registry().Gather(); err != nil {
			t.Fatal(err)
		}
		return testing.AllocsPerRun(10, func() { _, _ = m.Registry().Gather() })
	}
	hook := gatherAllocs(nil, flat{})
	wired := gatherAllocs([]metrics.Option{metrics.WithPluginStats(false), metrics.WithCollector(metrics.Figures("covet", "flat", func() []metrics.Figure {
		return []metrics.Figure{
			{Name: "a_total", Help: "A.", Counter: true, Value: 1},
			{Name: "b_total", Help: "B.", Counter: true, Value: 2},
			{Name: "c", Help: "C.", Value: 3},
		}
	}))}, nil)
	if hook > wired {
		t.Errorf("a scrape through the hook allocates %v times, through Figures %v", hook, wired)
	}
	t.Logf("allocations per scrape of 3 figures: hook %v, Figures %v", hook, wired)
}

// TestPluginStatsConcurrentScrapes: scrapes at the same time share the
// collector's buffer and descriptors safely (run with -race).
func TestPluginStatsConcurrentScrapes(t *testing.T) {
	app, m := newApp(t, metrics.WithRuntimeMetrics(false))
	if err := app.Install(&reporter{name: "db"}, flat{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				fams, err := m.Registry().Gather()
				if err != nil {
					t.Error(err)
					return
				}
				n := 0
				for _, f := range fams {
					if strings.HasPrefix(f.GetName(), "covet_db_") || strings.HasPrefix(f.GetName(), "covet_flat_") {
						n += len(f.Metric)
					}
				}
				if n != 6 {
					t.Errorf("%d plugin series in a scrape, want 6", n)
					return
				}
			}
		})
	}
	wg.Wait()
}
