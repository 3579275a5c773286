package orm_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing/fstest"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/sqlite"
	"github.com/uptrace/bun"
)

// Note is the example's model.
type Note struct {
	bun.BaseModel `bun:"table:notes"`
	ID            int64  `bun:",pk,autoincrement" json:"id,omitempty"`
	Title         string `bun:",notnull" json:"title"`
}

// An app wires the plugin with a DSN from the environment (SQLite by
// default), its migrations embedded (here an in-memory file system standing
// in for an embed.FS), applied at start under the migration lock.
func Example() {
	migrations, err := orm.NewMigrations(fstest.MapFS{
		"001_notes.up.sql":   {Data: []byte("CREATE TABLE notes (id INTEGER PRIMARY KEY, title VARCHAR(200) NOT NULL UNIQUE);")},
		"001_notes.down.sql": {Data: []byte("DROP TABLE notes;")},
	})
	if err != nil {
		panic(err)
	}
	dsn := "sqlite://:memory:" // an app reads os.Getenv("DATABASE_URL") here
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	if err := app.Install(orm.New(orm.WithDriver(sqlite.Driver()), orm.WithDSN(dsn), orm.WithMigrations(migrations), orm.WithMigrateOnStart())); err != nil {
		panic(err)
	}
	app.POST("/notes", func(c *covet.Context) error {
		var n Note
		if err := c.BindJSON(&n); err != nil {
			return err
		}
		db, err := orm.DB(c) // an error (a 500) only if the app is misconfigured
		if err != nil {
			return err
		}
		if _, err := db.NewInsert().Model(&n).Exec(c.Context()); err != nil {
			return err // a duplicate title answers 409
		}
		return c.JSON(http.StatusCreated, n)
	}, orm.Transactional())
	app.GET("/notes/{id:int}", func(c *covet.Context) error {
		var n Note
		db, err := orm.DB(c)
		if err != nil {
			return err
		}
		if err := db.NewSelect().Model(&n).Where("id = ?", c.Param("id")).Scan(c.Context()); err != nil {
			return err // no such note answers 404
		}
		return c.JSON(http.StatusOK, n)
	})
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		panic(err)
	}
	defer app.Stop(ctx)

	do := func(method, path, body string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		app.ServeHTTP(rec, req)
		fmt.Println(method, path, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	do("POST", "/notes", `{"title":"buy milk"}`)
	do("GET", "/notes/1", "")
	do("POST", "/notes", `{"title":"buy milk"}`)
	do("GET", "/notes/2", "")
	// Output:
	// POST /notes 201 {"id":1,"title":"buy milk"}
	// GET /notes/1 200 {"id":1,"title":"buy milk"}
	// POST /notes 409 {"type":"about:blank","title":"Conflict","status":409,"detail":"a resource with the same unique value already exists","instance":"/notes","constraint":"notes.title"}
	// GET /notes/2 404 {"type":"about:blank","title":"Not Found","status":404,"detail":"the requested resource does not exist","instance":"/notes/2"}
}

// An app's main runs migration commands itself: "app migrate up",
// "app migrate status", "app migrate create add_users".
func ExampleRunMigrateCommand() {
	ctx := context.Background()
	db, err := orm.Open(ctx, "sqlite://:memory:", sqlite.Driver())
	if err != nil {
		panic(err)
	}
	defer db.Close()
	migrations, _ := orm.NewMigrations(fstest.MapFS{
		"001_users.up.sql":   {Data: []byte("CREATE TABLE users (id INTEGER PRIMARY KEY);")},
		"001_users.down.sql": {Data: []byte("DROP TABLE users;")},
	})
	args := []string{"migrate", "up"} // os.Args[1:] in an app
	if args[0] == "migrate" {
		if err := orm.RunMigrateCommand(ctx, db, migrations, args[1:], orm.WithOutput(os.Stdout)); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// applied 001_users
}
