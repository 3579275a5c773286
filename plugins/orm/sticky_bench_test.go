package orm_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
)

// BenchmarkStickyWrites measures what WithStickyWrites costs a request: the
// plugin with a replica (the database itself, so every row is there), with
// and without the option, reading a row by key with no cookie, with only
// another cookie, and with a valid sticky cookie, and inserting one (which
// sets the cookie). The rows without the sticky cookie must show the same
// allocs/op on both sides.
//
//	go test -run '^$' -bench BenchmarkStickyWrites -benchmem -count 4 | tee sticky.txt
//	benchstat -col /sticky sticky.txt
func BenchmarkStickyWrites(b *testing.B) {
	db := ormtest.Postgres(b)
	ctx := context.Background()
	_, err := db.NewCreateTable().Model((*Item)(nil)).Exec(ctx)
	must(b, err)
	it := Item{Name: "item", Price: 100, Created: time.Now()}
	_, err = db.NewInsert().Model(&it).Exec(ctx)
	must(b, err)
	const window = 2 * time.Second
	now := time.Now()
	clock := func() time.Time { return now }
	valid := strconv.FormatInt(now.UnixMilli()+window.Milliseconds(), 10)

	apps := map[string]*covet.App{}
	for _, sticky := range []string{"off", "on"} {
		opts := []orm.Option{orm.WithDriver(db.Driver), orm.WithDSN(db.DSN), orm.WithReplicas(db.DSN),
			orm.WithClock(clock), orm.WithLogger(slog.New(slog.DiscardHandler))}
		if sticky == "on" {
			opts = append(opts, orm.WithStickyWrites(window))
		}
		app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
		must(b, app.Install(orm.New(opts...)))
		app.GET("/item/{id:int}", func(c *covet.Context) error {
			var it Item
			if err := mustDB(c).NewSelect().Model(&it).Where("id = ?", c.Param("id")).Scan(c.Context()); err != nil {
				return err
			}
			return c.JSON(http.StatusOK, &it)
		})
		app.POST("/item", func(c *covet.Context) error {
			it := Item{Name: "new", Price: 1, Created: time.Now()}
			if _, err := mustDB(c).NewInsert().Model(&it).Exec(c.Context()); err != nil {
				return err
			}
			return c.JSON(http.StatusCreated, &it)
		})
		must(b, app.Start(ctx))
		b.Cleanup(func() { _ = app.Stop(context.Background()) })
		apps[sticky] = app
	}
	get := "/item/" + strconv.FormatInt(it.ID, 10)
	for _, op := range []struct {
		name, method, path, cookie string
		want                       int
	}{
		{"op=select-pk/cookie=none", "GET", get, "", 200},
		{"op=select-pk/cookie=other", "GET", get, "session=0123456789abcdef; theme=dark", 200},
		{"op=select-pk/cookie=sticky", "GET", get, "session=0123456789abcdef; orm_sticky_primary=" + valid, 200},
		{"op=insert/cookie=none", "POST", "/item", "", 201},
	} {
		for _, sticky := range []string{"off", "on"} {
			app := apps[sticky]
			b.Run(op.name+"/sticky="+sticky, func(b *testing.B) {
				req := httptest.NewRequest(op.method, op.path, nil)
				if op.cookie != "" {
					req.Header.Set("Cookie", op.cookie)
				}
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
