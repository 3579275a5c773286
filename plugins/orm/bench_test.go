package orm_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Item is the benchmark row.
type Item struct {
	bun.BaseModel `bun:"table:items"`
	ID            int64 `bun:",pk,autoincrement"`
	Name          string
	Price         int64
	Created       time.Time
}

// benchApps builds, on one fresh PostgreSQL database, the same three routes
// four ways: through the plugin (mustDB(c)), with bun directly on pgx, with
// bun on pgdriver (the driver comparison), and with database/sql on pgx.
func benchApps(b *testing.B) (map[string]*covet.App, int64) {
	db := ormtest.Postgres(b)
	ctx := context.Background()
	_, err := db.NewCreateTable().Model((*Item)(nil)).Exec(ctx)
	must(b, err)
	items := make([]Item, 100)
	for i := range items {
		items[i] = Item{Name: "item " + strconv.Itoa(i), Price: int64(i * 100), Created: time.Now()}
	}
	_, err = db.NewInsert().Model(&items).Exec(ctx)
	must(b, err)
	pk := items[50].ID
	quiet := covet.WithLogger(slog.New(slog.DiscardHandler))

	bunRoutes := func(app *covet.App, get func(c *covet.Context) bun.IDB) {
		app.GET("/item/{id:int}", func(c *covet.Context) error {
			var it Item
			if err := get(c).NewSelect().Model(&it).Where("id = ?", c.Param("id")).Scan(c.Context()); err != nil {
				return err
			}
			return c.JSON(200, &it)
		})
		app.POST("/item", func(c *covet.Context) error {
			it := Item{Name: "new", Price: 1, Created: time.Now()}
			if _, err := get(c).NewInsert().Model(&it).Exec(c.Context()); err != nil {
				return err
			}
			return c.JSON(201, &it)
		})
		app.GET("/items", func(c *covet.Context) error {
			var list []Item
			if err := get(c).NewSelect().Model(&list).Order("id").Limit(100).Scan(c.Context()); err != nil {
				return err
			}
			return c.JSON(200, list)
		})
	}
	apps := map[string]*covet.App{}

	plugin := covet.New(quiet)
	must(b, plugin.Install(orm.New(orm.WithDriver(db.Driver), orm.WithDSN(db.DSN), orm.WithLogger(slog.New(slog.DiscardHandler)))))
	bunRoutes(plugin, mustDB)
	apps["plugin"] = plugin

	pgxDB := bun.NewDB(stdlib.OpenDB(*mustPgxConfig(b, db.DSN)), pgdialect.New())
	bunApp := covet.New(quiet)
	bunRoutes(bunApp, func(*covet.Context) bun.IDB { return pgxDB })
	apps["bun"] = bunApp

	pgdDB := bun.NewDB(sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(db.DSN))), pgdialect.New())
	pgdApp := covet.New(quiet)
	bunRoutes(pgdApp, func(*covet.Context) bun.IDB { return pgdDB })
	apps["bun-pgdriver"] = pgdApp

	raw := pgxDB.DB
	sqlApp := covet.New(quiet)
	scanItem := func(row interface{ Scan(...any) error }, it *Item) error {
		return row.Scan(&it.ID, &it.Name, &it.Price, &it.Created)
	}
	sqlApp.GET("/item/{id:int}", func(c *covet.Context) error {
		var it Item
		if err := scanItem(raw.QueryRowContext(c.Context(), `SELECT id, name, price, created FROM items WHERE id = $1`, c.Param("id")), &it); err != nil {
			return err
		}
		return c.JSON(200, &it)
	})
	sqlApp.POST("/item", func(c *covet.Context) error {
		it := Item{Name: "new", Price: 1, Created: time.Now()}
		if err := raw.QueryRowContext(c.Context(), `INSERT INTO items (name, price, created) VALUES ($1, $2, $3) RETURNING id`, it.Name, it.Price, it.Created).Scan(&it.ID); err != nil {
			return err
		}
		return c.JSON(201, &it)
	})
	sqlApp.GET("/items", func(c *covet.Context) error {
		rows, err := raw.QueryContext(c.Context(), `SELECT id, name, price, created FROM items ORDER BY id LIMIT 100`)
		if err != nil {
			return err
		}
		defer rows.Close()
		var list []Item
		for rows.Next() {
			var it Item
			if err := scanItem(rows, &it); err != nil {
				return err
			}
			list = append(list, it)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return c.JSON(200, list)
	})
	apps["sql"] = sqlApp

	for _, app := range apps {
		must(b, app.Start(ctx))
	}
	b.Cleanup(func() {
		for _, app := range apps {
			_ = app.Stop(ctx)
		}
		_ = pgxDB.Close()
		_ = pgdDB.Close()
	})
	return apps, pk
}

func mustPgxConfig(b *testing.B, dsn string) *pgx.ConnConfig {
	cfg, err := pgx.ParseConfig(dsn)
	must(b, err)
	return cfg
}

// BenchmarkPostgres compares, side by side in one run, the plugin with bun
// directly and with database/sql, each inside a Covet handler.
//
//	go test -run '^$' -bench BenchmarkPostgres -benchmem -count 8 | tee bench.txt
//	benchstat -col /via bench.txt
func BenchmarkPostgres(b *testing.B) {
	apps, pk := benchApps(b)
	ops := []struct {
		name, method, path string
		want               int
	}{
		{"op=select-pk", "GET", fmt.Sprintf("/item/%d", pk), 200},
		{"op=insert", "POST", "/item", 201},
		{"op=list-100", "GET", "/items", 200},
	}
	for _, op := range ops {
		for _, via := range []string{"plugin", "bun", "bun-pgdriver", "sql"} {
			app := apps[via]
			b.Run(op.name+"/via="+via, func(b *testing.B) {
				req := httptest.NewRequest(op.method, op.path, nil)
				b.ReportAllocs()
				for b.Loop() {
					rec := httptest.NewRecorder()
					app.ServeHTTP(rec, req)
					if rec.Code != op.want {
						b.Fatalf("%s %s: %d %s", op.method, op.path, rec.Code, rec.Body)
					}
				}
			})
		}
	}
}

// BenchmarkPluginOverhead measures the plugin against bun directly with the
// two interleaved request by request (alternating which goes first), so the
// drift of a shared machine hits both alike. It reports each side's time per
// request and the plugin's overhead in percent.
//
//	go test -run '^$' -bench BenchmarkPluginOverhead -count 8 | tee overhead.txt
//	benchstat overhead.txt
func BenchmarkPluginOverhead(b *testing.B) {
	apps, pk := benchApps(b)
	for _, op := range []struct{ name, method, path string }{
		{"op=select-pk", "GET", fmt.Sprintf("/item/%d", pk)},
		{"op=insert", "POST", "/item"},
		{"op=list-100", "GET", "/items"},
	} {
		b.Run(op.name, func(b *testing.B) {
			req := httptest.NewRequest(op.method, op.path, nil)
			var took [2]time.Duration
			serve := func(i int, app *covet.App) {
				rec := httptest.NewRecorder()
				began := time.Now()
				app.ServeHTTP(rec, req)
				took[i] += time.Since(began)
				if rec.Code >= 300 {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
			n := 0
			for b.Loop() {
				if n%2 == 0 {
					serve(0, apps["plugin"])
					serve(1, apps["bun"])
				} else {
					serve(1, apps["bun"])
					serve(0, apps["plugin"])
				}
				n++
			}
			b.ReportMetric(float64(took[0])/float64(n), "plugin-ns/req")
			b.ReportMetric(float64(took[1])/float64(n), "bun-ns/req")
			b.ReportMetric((float64(took[0])/float64(took[1])-1)*100, "overhead-%")
		})
	}
}
