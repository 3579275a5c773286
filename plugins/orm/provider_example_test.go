package orm_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/sqlite"
	"github.com/uptrace/bun"
)

// CountIn is a typed handler's input: its DB field is filled by the
// provider of bun.IDB the plugin registers (orm.WithDBProvider), with the
// request's transaction when the route is Transactional.
type CountIn struct {
	DB bun.IDB
}

// CountOut is the handler's answer.
type CountOut struct {
	Tables int64 `json:"tables"`
}

// Typed handlers receive the request's database as an input field, as
// FastAPI's Depends does, instead of calling orm.DB(c).
func Example_provider() {
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	if err := app.Install(orm.New(orm.WithDriver(sqlite.Driver()), orm.WithDSN("sqlite://:memory:"))); err != nil {
		panic(err)
	}
	covet.Get(app, "/count", func(c *covet.Context, in *CountIn) (*CountOut, error) {
		n, err := in.DB.NewSelect().Table("sqlite_master").Count(c.Context())
		return &CountOut{Tables: n}, err
	})
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		panic(err)
	}
	defer app.Stop(ctx)
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/count", nil))
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	// Output:
	// 200 {"tables":0}
}
