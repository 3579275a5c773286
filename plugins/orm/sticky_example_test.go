package orm_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/sqlite"
)

// With replicas, WithStickyWrites keeps a client's reads on the primary for
// a while after its write, so the page it is sent to next shows what it
// wrote. Here the "replica" is a second SQLite file that never receives the
// primary's rows, a replica lagging for ever.
func ExampleWithStickyWrites() {
	dir, err := os.MkdirTemp("", "orm-sticky")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	primary, replica := "sqlite://"+filepath.Join(dir, "primary.db"), "sqlite://"+filepath.Join(dir, "replica.db")
	for _, dsn := range []string{primary, replica} {
		db, err := orm.Open(context.Background(), dsn, sqlite.Driver())
		if err != nil {
			panic(err)
		}
		if _, err := db.NewCreateTable().Model((*Note)(nil)).Exec(context.Background()); err != nil {
			panic(err)
		}
		_ = db.Close()
	}

	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	if err := app.Install(orm.New(orm.WithDriver(sqlite.Driver()), orm.WithDSN(primary),
		orm.WithReplicas(replica), orm.WithStickyWrites(2*time.Second))); err != nil {
		panic(err)
	}
	app.POST("/notes", func(c *covet.Context) error {
		db, err := orm.DB(c)
		if err != nil {
			return err
		}
		if _, err := db.NewInsert().Model(&Note{Title: c.Query("title")}).Exec(c.Context()); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/notes")
	})
	app.GET("/notes", func(c *covet.Context) error {
		db, err := orm.DB(c)
		if err != nil {
			return err
		}
		var titles []string
		if err := db.NewSelect().Model((*Note)(nil)).Column("title").Scan(c.Context(), &titles); err != nil {
			return err
		}
		return c.Text(http.StatusOK, fmt.Sprint(titles))
	})
	if err := app.Start(context.Background()); err != nil {
		panic(err)
	}
	defer func() { _ = app.Stop(context.Background()) }()

	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/notes?title=hello", nil))
	cookie := rec.Header().Get("Set-Cookie")
	fmt.Println(rec.Code, cookie[:strings.Index(cookie, "=")])

	list := func(cookie string) string {
		req := httptest.NewRequest(http.MethodGet, "/notes", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie[:strings.Index(cookie, ";")])
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		return rec.Body.String()
	}
	fmt.Println("the writer, sent to /notes:", list(cookie))
	fmt.Println("another client:", list(""))
	// Output:
	// 303 orm_sticky_primary
	// the writer, sent to /notes: [hello]
	// another client: []
}
