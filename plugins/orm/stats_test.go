package orm_test

import (
	"context"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
)

// stat returns the value of the figure name of database db.
func stat(t *testing.T, p *orm.Plugin, name, db string) float64 {
	t.Helper()
	for _, s := range p.AppendStats(nil) {
		if s.Name == name && len(s.Labels) == 1 && s.Labels[0] == (covet.StatLabel{Name: "db", Value: db}) {
			return s.Value
		}
	}
	t.Fatalf("no figure %s{db=%s}", name, db)
	return 0
}

// TestAppendStats: the figures follow real statements and a held
// connection on every dialect, and the counters survive a restart.
func TestAppendStats(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		app, p, _ := newApp(t, db)
		userRoutes(app)
		if got := stat(t, p, "pool_open", orm.DefaultName); got != 0 {
			t.Errorf("pool_open before Start = %v", got)
		}
		start(t, app)
		cl := covettest.New(t, app)
		cl.Post("/users").JSON(map[string]any{"name": "ann", "email": "ann@example.com"}).Do().ExpectStatus(201)
		cl.Get("/users/1").Do().ExpectStatus(200)
		cl.Get("/users/99").Do().ExpectStatus(404) // sql.ErrNoRows: not an error
		if q := stat(t, p, "queries", orm.DefaultName); q < 3 {
			t.Errorf("queries = %v after 3 statements", q)
		}
		before := stat(t, p, "query_errors", orm.DefaultName)
		bdb := p.DB()
		if _, err := bdb.ExecContext(context.Background(), "SELECT * FROM no_such_table"); err == nil {
			t.Fatal("a query on a missing table succeeded")
		}
		if e := stat(t, p, "query_errors", orm.DefaultName); e != before+1 {
			t.Errorf("query_errors = %v, want %v", e, before+1)
		}
		conn, err := bdb.Conn(context.Background())
		must(t, err)
		if u := stat(t, p, "pool_in_use", orm.DefaultName); u != 1 {
			t.Errorf("pool_in_use with a connection held = %v, want 1", u)
		}
		_ = conn.Close()
		if u := stat(t, p, "pool_in_use", orm.DefaultName); u != 0 {
			t.Errorf("pool_in_use after release = %v, want 0", u)
		}
		q := stat(t, p, "queries", orm.DefaultName)
		must(t, app.Stop(context.Background()))
		if got := stat(t, p, "queries", orm.DefaultName); got != q {
			t.Errorf("queries after Stop = %v, want %v (a counter does not reset)", got, q)
		}
		if got := stat(t, p, "pool_open", orm.DefaultName); got != 0 {
			t.Errorf("pool_open after Stop = %v, want 0", got)
		}
	})
}
