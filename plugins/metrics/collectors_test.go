package metrics_test

import (
	"context"
	"database/sql"
	"testing"

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
