package orm_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/sqlite"
	"github.com/uptrace/bun"
)

type dbIn struct {
	DB bun.IDB
}

type kindOut struct {
	Kind string `json:"kind"`
}

// TestDBProvider shows the plugin's provider of bun.IDB: a typed input's
// bun.IDB field gets the pooled database, the request's transaction on a
// Transactional route, a 500 before the app started; WithDBProvider(false)
// leaves the type to the app.
func TestDBProvider(t *testing.T) {
	build := func(opts ...orm.Option) *covet.App {
		app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
		opts = append([]orm.Option{orm.WithDriver(sqlite.Driver()), orm.WithDSN("sqlite://:memory:")}, opts...)
		must(t, app.Install(orm.New(opts...)))
		return app
	}
	handler := func(c *covet.Context, in *dbIn) (*kindOut, error) {
		var one int
		if err := in.DB.NewRaw("SELECT 1").Scan(c.Context(), &one); err != nil {
			return nil, err
		}
		return &kindOut{Kind: fmt.Sprintf("%T %d", in.DB, one)}, nil
	}
	get := func(app *covet.App, path string) (int, string) {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}

	app := build()
	covet.Get(app, "/pool", handler)
	covet.Get(app, "/tx", handler, orm.Transactional())
	if code, body := get(app, "/pool"); code != http.StatusInternalServerError {
		t.Errorf("before Start: %d %s, want 500 (database not open)", code, body)
	}
	ctx := context.Background()
	must(t, app.Start(ctx))
	t.Cleanup(func() { _ = app.Stop(ctx) })
	for path, want := range map[string]string{"/pool": `{"kind":"*bun.DB 1"}`, "/tx": `{"kind":"bun.Tx 1"}`} {
		if code, body := get(app, path); code != http.StatusOK || strings.TrimSpace(body) != want {
			t.Errorf("GET %s: %d %q, want 200 %s", path, code, body, want)
		}
	}

	// Opted out, the app provides bun.IDB itself (a second provider panics).
	own := build(orm.WithDBProvider(false))
	covet.Provide(own, func(c *covet.Context) (bun.IDB, error) {
		return nil, covet.NewError(http.StatusTeapot, "the app's own")
	})
	covet.Get(own, "/pool", handler)
	if code, body := get(own, "/pool"); code != http.StatusTeapot {
		t.Errorf("app's provider: %d %s, want 418", code, body)
	}
}
