package orm_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
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
	"github.com/uptrace/bun/driver/pgdriver"
)

// listTask has the taskboard's Task shape (contrib/examples/taskboard
// models.go): 12 columns, tags as bun stores a []string without the array
// option (JSON in a varchar), nullable pointers, and four timestamps from
// orm.Timestamps and orm.SoftDelete.
type listTask struct {
	bun.BaseModel `bun:"table:list_tasks"`
	ID            int64      `bun:",pk,autoincrement" json:"id"`
	Title         string     `bun:",notnull" json:"title"`
	Description   string     `bun:",notnull,default:''" json:"description"`
	Status        string     `bun:",notnull" json:"status"`
	Priority      int        `bun:",notnull" json:"priority"`
	Tags          []string   `bun:",type:varchar(1024)" json:"tags"`
	AssigneeID    *int64     `bun:",nullzero" json:"assignee_id,omitempty"`
	Due           *time.Time `bun:",nullzero" json:"due,omitempty"`
	OwnerID       *int64     `bun:",nullzero" json:"owner_id,omitempty"`
	orm.Timestamps
	orm.SoftDelete
}

// listKeyset is the taskboard list's order (tasks_list_idx).
var listKeyset = orm.Keyset{Columns: []string{"priority", "id"}}

// listTasksDB creates list_tasks on db as the taskboard's migrations do
// (bun's CreateTable from the model, the (priority, id) index) and fills it
// with n rows that vary every column: nulls and values in the pointers, empty,
// nil and quoted tags, times with microseconds, a few soft-deleted rows.
func listTasksDB(t testing.TB, db *ormtest.DB, n int) {
	ctx := context.Background()
	_, err := db.NewCreateTable().Model((*listTask)(nil)).Exec(ctx)
	must(t, err)
	_, err = db.NewCreateIndex().Model((*listTask)(nil)).Index("list_tasks_list_idx").Column("priority", "id").Exec(ctx)
	must(t, err)
	base := time.Date(2026, 12, 7, 10, 0, 0, 123456000, time.UTC)
	rows := make([]listTask, n)
	for i := range rows {
		r := &rows[i]
		r.Title = fmt.Sprintf("task %d", i)
		r.Description = fmt.Sprintf("what to do for \"task\" %d\nline two", i)
		r.Status = []string{"open", "doing", "done"}[i%3]
		r.Priority = i % 4
		switch i % 3 {
		case 0:
			r.Tags = []string{"backend", "urgent"}
		case 1:
			r.Tags = []string{}
		default:
			r.Tags = []string{`say "hi"`, "é"}
		}
		if i%2 == 0 {
			a := int64(i)
			r.AssigneeID = &a
			d := base.Add(time.Duration(i) * time.Hour)
			r.Due = &d
		}
		if i%5 != 0 {
			o := int64(7)
			r.OwnerID = &o
		}
		r.CreatedAt = base.Add(time.Duration(i) * time.Minute)
		if i%7 == 0 {
			r.Tags = nil
		}
	}
	_, err = db.NewInsert().Model(&rows).Exec(ctx)
	must(t, err)
	// Timestamps set updated_at to the time of the insert: fix it, and
	// soft-delete a few rows, which the listing skips.
	_, err = db.ExecContext(ctx, `UPDATE list_tasks SET updated_at = created_at + interval '1500 microseconds'`)
	must(t, err)
	_, err = db.ExecContext(ctx, `UPDATE list_tasks SET deleted_at = created_at + interval '1 hour' WHERE id % 50 = 3`)
	must(t, err)
}

// listTasksIn is the taskboard list's input, as far as the keyset page uses it.
type listTasksIn struct {
	Limit  int     `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Cursor *string `query:"cursor"`
}

// listTasksPlugin is the taskboard's GET /api/v1/tasks?cursor= handler
// (api.go listTasks, keyset branch) without filters.
func listTasksPlugin(c *covet.Context, in *listTasksIn) (*orm.Page[listTask], error) {
	db, err := orm.DB(c)
	if err != nil {
		return nil, err
	}
	cursor := ""
	if in.Cursor != nil {
		cursor = *in.Cursor
	}
	page, err := orm.PaginateKeyset[listTask](c.Context(), db.NewSelect().Model((*listTask)(nil)), listKeyset, cursor, in.Limit)
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// listTasksPgx is the same first page written by hand on a pgx pool, as a
// peer would write it: the floor the orm stack is compared with. It serves
// the first page only (no cursor decoding) and builds the same next cursor.
func listTasksPgx(pool *pgxpool.Pool) func(c *covet.Context, in *listTasksIn) (*orm.Page[listTask], error) {
	return func(c *covet.Context, in *listTasksIn) (*orm.Page[listTask], error) {
		rows, err := pool.Query(c.Context(), `SELECT id, title, description, status, priority, tags, assignee_id, due, owner_id,
			created_at, updated_at, deleted_at FROM list_tasks WHERE deleted_at IS NULL ORDER BY priority, id LIMIT $1`, in.Limit+1)
		if err != nil {
			return nil, err
		}
		items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (listTask, error) {
			var t listTask
			var tags *string
			var deleted *time.Time
			err := r.Scan(&t.ID, &t.Title, &t.Description, &t.Status, &t.Priority, &tags, &t.AssigneeID, &t.Due, &t.OwnerID,
				&t.CreatedAt, &t.UpdatedAt, &deleted)
			if err == nil && tags != nil {
				err = json.Unmarshal([]byte(*tags), &t.Tags)
			}
			if deleted != nil {
				t.DeletedAt = *deleted
			}
			return t, err
		})
		if err != nil {
			return nil, err
		}
		p := &orm.Page[listTask]{Limit: in.Limit}
		if len(items) > in.Limit {
			items = items[:in.Limit]
			last := items[len(items)-1]
			b, _ := json.Marshal([]any{last.Priority, last.ID})
			p.HasMore, p.NextCursor = true, base64.RawURLEncoding.EncodeToString(b)
		}
		p.Items = items
		return p, nil
	}
}

// listApps builds the plugin app and the pgx app on one fresh PostgreSQL
// database holding 200 Task-shaped rows.
func listApps(t testing.TB) (map[string]*covet.App, func()) {
	db := ormtest.Postgres(t)
	listTasksDB(t, db, 200)
	quiet := covet.WithLogger(slog.New(slog.DiscardHandler))
	ctx := context.Background()

	plugin := covet.New(quiet)
	must(t, plugin.Install(orm.New(orm.WithDriver(db.Driver), orm.WithDSN(db.DSN), orm.WithLogger(slog.New(slog.DiscardHandler)))))
	covet.Get(plugin, "/tasks", listTasksPlugin)

	cfg, err := pgxpool.ParseConfig(db.DSN)
	must(t, err)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	must(t, err)
	raw := covet.New(quiet)
	covet.Get(raw, "/tasks", listTasksPgx(pool))

	// The driver comparison: the plugin on bun's own pgdriver.
	pgd := covet.New(quiet)
	must(t, pgd.Install(orm.New(orm.WithDriver(pgdriverDriver{db.Driver}), orm.WithDSN(db.DSN), orm.WithLogger(slog.New(slog.DiscardHandler)))))
	covet.Get(pgd, "/tasks", listTasksPlugin)

	apps := map[string]*covet.App{"plugin": plugin, "pgx": raw, "plugin-pgdriver": pgd}
	// pgx's exec modes that describe the statement first, so that pgx asks
	// for binary results (times, integers) where the default exec mode gets
	// text: cache_describe (a description cached per distinct text, a
	// round trip on a miss) and describe_exec (two round trips always).
	for _, mode := range []string{"cache_describe", "describe_exec"} {
		app := covet.New(quiet)
		must(t, app.Install(orm.New(orm.WithDriver(db.Driver), orm.WithDSN(db.DSN+"&default_query_exec_mode="+mode), orm.WithLogger(slog.New(slog.DiscardHandler)))))
		covet.Get(app, "/tasks", listTasksPlugin)
		apps["plugin-"+mode] = app
	}
	for _, app := range apps {
		must(t, app.Start(ctx))
	}
	return apps, func() {
		for _, app := range apps {
			_ = app.Stop(ctx)
		}
		pool.Close()
	}
}

// BenchmarkTaskList is the taskboard's public keyset list, GET
// /api/v1/tasks?limit=20&cursor= (70 % of the scale-out comparison's mix),
// in process on a real PostgreSQL database: orm.PaginateKeyset over a
// Task-shaped model through the plugin (via=plugin) beside the same page
// scanned by hand on a pgx pool (via=pgx). Count its instructions with
//
//	scripts/instr-per-op.sh ./plugins/orm 'BenchmarkTaskList/via=plugin$' 200
func BenchmarkTaskList(b *testing.B) {
	apps, stop := listApps(b)
	b.Cleanup(stop)
	for _, via := range []string{"plugin", "pgx", "plugin-pgdriver", "plugin-cache_describe", "plugin-describe_exec"} {
		app := apps[via]
		b.Run("via="+via, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/tasks?limit=20&cursor=", nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				app.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("GET /tasks: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// pgdriverDriver is orm/pgsql with bun's pgdriver in place of pgx, for the
// driver comparison.
type pgdriverDriver struct{ orm.Driver }

func (d pgdriverDriver) Open(dsn string) (orm.Pool, error) {
	return orm.Pool{DB: sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn))), Where: "pgdriver"}, nil
}
