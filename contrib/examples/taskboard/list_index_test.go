package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/covetgo/covet/core/covettest"
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
	covettest.Start(t, app) // migrates

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

// TestTaskListKeyset: on SQLite and PostgreSQL, GET /tasks?cursor= pages
// through every task in the list's order (the same rows as the offset
// pages, none twice), with next_cursor and a Link rel=next header, no count
// (total 0, has_more false on the last page); a cursor that does not decode
// is a 400; with a cursor, offset is ignored. The keyset query (a page after a
// cursor) reads tasks_list_idx in order and stops after the page: no sort,
// no full scan.
func TestTaskListKeyset(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			var dsn string
			if dialect == "sqlite" {
				dsn = ormtest.SQLite(t).DSN
			} else {
				dsn = ormtest.Postgres(t).DSN
			}
			_, cl := startApp(t, dsn) // migrates
			ctx := context.Background()
			bdb, err := orm.Open(ctx, dsn, drivers...)
			if err != nil {
				t.Fatal(err)
			}
			defer bdb.Close()
			const n = 2500
			if _, err := bdb.ExecContext(ctx, `INSERT INTO tasks (title, description, status, priority, tags, created_at, updated_at)
				WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < `+strconv.Itoa(n)+`)
				SELECT 'task ' || i, 'a task', 'todo', 1 + i % 5, '["x"]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM s`); err != nil {
				t.Fatal(err)
			}
			if _, err := bdb.ExecContext(ctx, "ANALYZE"); err != nil {
				t.Fatal(err)
			}

			var byOffset []int64
			for off := 0; ; off += 100 {
				var page orm.Page[Task]
				cl.Get("/api/v1/tasks").Query("limit", "100").Query("offset", strconv.Itoa(off)).Do().ExpectStatus(200).Decode(&page)
				for _, tk := range page.Items {
					byOffset = append(byOffset, tk.ID)
				}
				if !page.HasMore {
					break
				}
			}
			var byCursor []int64
			cursor, pages := "", 0
			for {
				var page orm.Page[Task]
				res := cl.Get("/api/v1/tasks").Query("limit", "100").Query("cursor", cursor).Do().ExpectStatus(200).Decode(&page)
				pages++
				if page.Total != 0 {
					t.Fatalf("a cursor page counted: total %d", page.Total)
				}
				for _, tk := range page.Items {
					byCursor = append(byCursor, tk.ID)
				}
				link := res.Header.Get("Link")
				if !page.HasMore {
					if page.NextCursor != "" || link != "" {
						t.Fatalf("last page: next_cursor %q, Link %q", page.NextCursor, link)
					}
					break
				}
				if page.NextCursor == "" || !strings.Contains(link, "cursor="+page.NextCursor) || !strings.HasSuffix(link, `>; rel="next"`) {
					t.Fatalf("page %d: next_cursor %q, Link %q", pages, page.NextCursor, link)
				}
				cursor = page.NextCursor
			}
			if len(byOffset) != n || !slices.Equal(byCursor, byOffset) {
				t.Fatalf("cursor pages listed %d tasks, offset pages %d (want %d, the same order)", len(byCursor), len(byOffset), n)
			}
			if pages != n/100 {
				t.Errorf("%d cursor pages, want %d", pages, n/100)
			}
			cl.Get("/api/v1/tasks").Query("cursor", "not-a-cursor").Do().ExpectStatus(400)
			var first, withOffset orm.Page[Task]
			cl.Get("/api/v1/tasks").Query("cursor", "").Do().ExpectStatus(200).Decode(&first)
			cl.Get("/api/v1/tasks").Query("cursor", "").Query("offset", "20").Do().ExpectStatus(200).Decode(&withOffset)
			if len(first.Items) == 0 || withOffset.Items[0].ID != first.Items[0].ID {
				t.Errorf("offset moved a cursor page")
			}

			// The plan of a page after a cursor (the keyset WHERE, ORDER BY, LIMIT).
			var q string
			hook := &queryCapture{}
			if _, err := orm.PaginateKeyset[Task](ctx, listFilter(bdb.WithQueryHook(hook), &ListTasksIn{}), listKeyset, cursor, 20); err != nil {
				t.Fatal(err)
			}
			q = hook.last
			if dialect == "sqlite" {
				rows, err := bdb.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q)
				if err != nil {
					t.Fatal(err)
				}
				var plan []string
				for rows.Next() {
					var id, parent, unused int
					var detail string
					if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
						t.Fatal(err)
					}
					plan = append(plan, detail)
				}
				rows.Close()
				got := strings.Join(plan, "; ")
				if !strings.Contains(got, "USING INDEX tasks_list_idx") || strings.Contains(got, "TEMP B-TREE") {
					t.Errorf("plan %s, want a search using tasks_list_idx and no sort\nquery: %s", got, q)
				}
				return
			}
			var plan string
			if err := bdb.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+q).Scan(&plan); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(plan, `"Sort"`) || strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, "tasks_list_idx") {
				t.Errorf("plan %s, want an Index Scan of tasks_list_idx, no Sort and no Seq Scan\nquery: %s", plan, q)
			}
		})
	}
}

// queryCapture keeps the last query bun ran.
type queryCapture struct{ last string }

func (h *queryCapture) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	return ctx
}
func (h *queryCapture) AfterQuery(_ context.Context, e *bun.QueryEvent) { h.last = e.Query }
