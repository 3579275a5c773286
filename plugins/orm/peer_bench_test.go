package orm_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// peerTask is the scale-out comparison's task row (contrib/scaleout's
// peers/covetmin), with a text array and a timestamp.
type peerTask struct {
	bun.BaseModel `bun:"table:peer_tasks"`
	ID            int64     `bun:",pk,autoincrement" json:"id"`
	Title         string    `json:"title"`
	Priority      int       `json:"priority"`
	Tags          []string  `bun:",array" json:"tags"`
	Status        string    `bun:",nullzero" json:"status"`
	OwnerID       int64     `json:"owner_id"`
	CreatedAt     time.Time `bun:",nullzero" json:"created_at"`
}

type peerList struct {
	Items []peerTask `json:"items"`
}

// BenchmarkPeerAPI is the scale-out comparison's covet-min read path in
// process, on a real PostgreSQL database: a typed handler selecting one task
// by id, and one listing 20, written as the orm README teaches
// (via=plugin), beside the same typed handlers on a pgx pool with
// hand-written scans, as the Gin peer queries (via=pgx). The difference is
// the orm stack's cost per request (bun, database/sql, the plugin).
//
//	go test -run '^$' -bench BenchmarkPeerAPI -benchmem
//	scripts/instr-per-op.sh ./plugins/orm 'BenchmarkPeerAPI/op=get/via=plugin$' 2000
func BenchmarkPeerAPI(b *testing.B) {
	db := ormtest.Postgres(b)
	ctx := context.Background()
	_, err := db.ExecContext(ctx, `CREATE TABLE peer_tasks (id bigserial PRIMARY KEY, title text NOT NULL,
		priority int NOT NULL DEFAULT 1, tags text[] NOT NULL DEFAULT '{}', status text NOT NULL DEFAULT 'open',
		owner_id bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`)
	must(b, err)
	for i := range 100 {
		_, err = db.ExecContext(ctx, `INSERT INTO peer_tasks (title, priority, tags, owner_id) VALUES (?, ?, ?, ?)`,
			fmt.Sprintf("task %d", i), i%5, pgdialect.Array([]string{"a", "bb"}), 7)
		must(b, err)
	}
	quiet := covet.WithLogger(slog.New(slog.DiscardHandler))

	plugin := covet.New(quiet)
	must(b, plugin.Install(orm.New(orm.WithDriver(db.Driver), orm.WithDSN(db.DSN), orm.WithLogger(slog.New(slog.DiscardHandler)))))
	covet.Get(plugin, "/tasks", func(c *covet.Context, in *struct {
		Limit int `query:"limit" minimum:"1" maximum:"100" default:"20"`
	}) (*peerList, error) {
		db, err := orm.DB(c)
		if err != nil {
			return nil, err
		}
		out := peerList{Items: []peerTask{}}
		err = db.NewSelect().Model(&out.Items).Order("id DESC").Limit(int64(in.Limit)).Scan(c.Context())
		return &out, err
	})
	covet.Get(plugin, "/tasks/{id}", func(c *covet.Context, in *struct {
		ID int64 `path:"id"`
	}) (*peerTask, error) {
		db, err := orm.DB(c)
		if err != nil {
			return nil, err
		}
		var t peerTask
		return &t, db.NewSelect().Model(&t).Where("id = ?", in.ID).Scan(c.Context())
	})

	cfg, err := pgxpool.ParseConfig(db.DSN)
	must(b, err)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	must(b, err)
	const cols = "id, title, priority, tags, status, owner_id, created_at"
	scan := func(row pgx.Row) (peerTask, error) {
		var t peerTask
		err := row.Scan(&t.ID, &t.Title, &t.Priority, &t.Tags, &t.Status, &t.OwnerID, &t.CreatedAt)
		return t, err
	}
	raw := covet.New(quiet)
	covet.Get(raw, "/tasks", func(c *covet.Context, in *struct {
		Limit int `query:"limit" minimum:"1" maximum:"100" default:"20"`
	}) (*peerList, error) {
		rows, err := pool.Query(c.Context(), "SELECT "+cols+" FROM peer_tasks ORDER BY id DESC LIMIT $1", in.Limit)
		if err != nil {
			return nil, err
		}
		items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (peerTask, error) { return scan(r) })
		return &peerList{Items: items}, err
	})
	covet.Get(raw, "/tasks/{id}", func(c *covet.Context, in *struct {
		ID int64 `path:"id"`
	}) (*peerTask, error) {
		t, err := scan(pool.QueryRow(c.Context(), "SELECT "+cols+" FROM peer_tasks WHERE id = $1", in.ID))
		return &t, err
	})
	apps := map[string]*covet.App{"plugin": plugin, "pgx": raw}
	for _, app := range apps {
		must(b, app.Start(ctx))
	}
	b.Cleanup(func() {
		for _, app := range apps {
			_ = app.Stop(ctx)
		}
		pool.Close()
	})
	for _, op := range []struct{ name, path string }{
		{"op=get", "/tasks/50"},
		{"op=list-20", "/tasks?limit=20"},
	} {
		for _, via := range []string{"plugin", "pgx"} {
			app := apps[via]
			b.Run(op.name+"/via="+via, func(b *testing.B) {
				req := httptest.NewRequest("GET", op.path, nil)
				b.ReportAllocs()
				for b.Loop() {
					rec := httptest.NewRecorder()
					app.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatalf("GET %s: %d %s", op.path, rec.Code, rec.Body)
					}
				}
			})
		}
	}
}
