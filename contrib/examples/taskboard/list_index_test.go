package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/ratelimit"
)

// TestTaskListUsesIndex: on PostgreSQL, with enough tasks that a sort would
// pay, GET /tasks's query (listQuery, first page of 20) reads the tasks in
// order from tasks_list_idx and stops after the page; before migration 003 it
// read every row and sorted them (a Seq Scan under a Sort node).
func TestTaskListUsesIndex(t *testing.T) {
	db := ormtest.Postgres(t)
	app, err := NewApp(Config{DatabaseURL: db.DSN, Logger: slog.New(slog.DiscardHandler), WriteLimit: ratelimit.PerSecond(100000),
		AllowedHosts: []string{"example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := app.Start(ctx); err != nil { // migrates
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Stop(context.Background()) })

	bdb, err := orm.Open(ctx, db.DSN, drivers...)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	if _, err := bdb.ExecContext(ctx, `INSERT INTO tasks (title, description, status, priority, tags, created_at, updated_at)
		SELECT 'task ' || i, 'a task', 'todo', 1 + i % 5, '["x"]', now(), now() FROM generate_series(1, 20000) AS i`); err != nil {
		t.Fatal(err)
	}
	if _, err := bdb.ExecContext(ctx, "ANALYZE tasks"); err != nil {
		t.Fatal(err)
	}

	for _, in := range []ListTasksIn{{Limit: 20}, {Limit: 20, Offset: 40}} {
		query := listQuery(bdb, &in).Limit(int64(in.Limit)).Offset(int64(in.Offset)).String()
		var plan string
		if err := bdb.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+query).Scan(&plan); err != nil {
			t.Fatal(err)
		}
		var nodes []string
		var walk func(n map[string]any)
		walk = func(n map[string]any) {
			s, _ := n["Node Type"].(string)
			if idx, ok := n["Index Name"].(string); ok {
				s += " " + idx
			}
			nodes = append(nodes, s)
			kids, _ := n["Plans"].([]any)
			for _, k := range kids {
				walk(k.(map[string]any))
			}
		}
		var top []map[string]map[string]any
		if err := json.Unmarshal([]byte(plan), &top); err != nil {
			t.Fatal(err)
		}
		walk(top[0]["Plan"])
		got := strings.Join(nodes, " > ")
		if strings.Contains(got, "Sort") || strings.Contains(got, "Seq Scan") || !strings.Contains(got, "Index Scan tasks_list_idx") {
			t.Errorf("offset %d: plan %s, want an Index Scan of tasks_list_idx under the Limit, no Sort and no Seq Scan\nquery: %s", in.Offset, got, query)
		}
	}
}
