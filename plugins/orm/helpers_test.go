package orm_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/mysql"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/orm/pgsql"
	"github.com/covetgo/covet/plugins/orm/sqlite"
	"github.com/uptrace/bun"
)

type User struct {
	bun.BaseModel `bun:"table:users"`
	ID            int64  `bun:",pk,autoincrement" json:"id,omitempty"`
	Email         string `bun:",notnull,unique:users_email_key" json:"email"`
	Name          string `bun:",notnull" json:"name"`
	orm.Timestamps
	orm.SoftDelete
}

type Task struct {
	bun.BaseModel `bun:"table:tasks"`
	ID            int64  `bun:",pk,autoincrement" json:"id,omitempty"`
	UserID        int64  `bun:",notnull" json:"user_id"`
	Title         string `bun:",notnull" json:"title"`
}

// schema is the test schema as migrations: Go ones, so one definition
// serves every dialect.
func schema(t testing.TB) *orm.Migrations {
	t.Helper()
	ms, err := orm.NewMigrations(nil)
	if err != nil {
		t.Fatal(err)
	}
	must(t, ms.Add("001_users", func(ctx context.Context, db *bun.DB) error {
		_, err := db.NewCreateTable().Model((*User)(nil)).Exec(ctx)
		return err
	}, func(ctx context.Context, db *bun.DB) error {
		_, err := db.NewDropTable().Model((*User)(nil)).Exec(ctx)
		return err
	}))
	must(t, ms.Add("002_tasks", func(ctx context.Context, db *bun.DB) error {
		_, err := db.NewCreateTable().Model((*Task)(nil)).
			ForeignKey(`(user_id) REFERENCES users (id)`).Exec(ctx)
		return err
	}, func(ctx context.Context, db *bun.DB) error {
		_, err := db.NewDropTable().Model((*Task)(nil)).Exec(ctx)
		return err
	}))
	return ms
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// eachDialect runs body against a fresh database of every dialect, in
// parallel: the one table of dialects every behaviour is tested on.
func eachDialect(t *testing.T, body func(t *testing.T, db *ormtest.DB)) {
	for _, d := range ormtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			body(t, ormtest.New(t, d))
		})
	}
}

// migrated applies the test schema to db.
func migrated(t testing.TB, db *ormtest.DB) {
	t.Helper()
	if _, err := orm.NewMigrator(db.DB, schema(t)).Up(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// logBuffer is covettest's log sink (shared with other modules' tests).
type logBuffer = covettest.LogBuffer

// newApp returns a started app with the plugin on db (and the test schema
// applied), stopped when the test ends.
func newApp(t testing.TB, db *ormtest.DB, opts ...orm.Option) (*covet.App, *orm.Plugin, *logBuffer) {
	t.Helper()
	migrated(t, db)
	logs := &logBuffer{}
	app := covet.New(covet.WithLogger(logs.Logger()), covet.WithHealth(), covet.WithHealthDetails())
	p := orm.New(append([]orm.Option{orm.WithDriver(db.Driver), orm.WithDSN(db.DSN), orm.WithMaxOpenConns(10)}, opts...)...)
	must(t, app.Install(p))
	return app, p, logs
}

func start(t testing.TB, app *covet.App) {
	t.Helper()
	must(t, app.Start(context.Background()))
	t.Cleanup(func() { _ = app.Stop(context.Background()) })
}

// userRoutes registers a small users/tasks API on app.
func userRoutes(app *covet.App, mw ...covet.Middleware) {
	g := app.Group("", mw...)
	g.POST("/users", func(c *covet.Context) error {
		var u User
		if err := c.BindJSON(&u); err != nil {
			return err
		}
		if _, err := mustDB(c).NewInsert().Model(&u).Exec(c.Context()); err != nil {
			return err
		}
		c.SetHeader("X-Queries", strconv.Itoa(orm.QueryCount(c)))
		return c.JSON(http.StatusCreated, u)
	})
	g.GET("/users/{id:int}", func(c *covet.Context) error {
		var u User
		if err := mustDB(c).NewSelect().Model(&u).Where("id = ?", c.Param("id")).Scan(c.Context()); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, u)
	})
	g.DELETE("/users/{id:int}", func(c *covet.Context) error {
		id, _ := c.ParamInt64("id")
		if _, err := mustDB(c).NewDelete().Model((*User)(nil)).Where("id = ?", id).ForceDelete().Exec(c.Context()); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	g.POST("/tasks", func(c *covet.Context) error {
		var tk Task
		if err := c.BindJSON(&tk); err != nil {
			return err
		}
		if _, err := mustDB(c).NewInsert().Model(&tk).Exec(c.Context()); err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, tk)
	})
}

// countRows counts a table's rows (a table name, or a model).
func countRows(t testing.TB, db bun.IDB, table any) int {
	t.Helper()
	name, ok := table.(string)
	if !ok {
		name = db.NewSelect().Model(table).GetTableName()
	}
	var n int
	if err := db.NewRaw("SELECT count(*) FROM ?", bun.Ident(name)).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func errorsAs[T any](err error, target *T) bool { return errors.As(err, target) }

// mustDB is orm.DB for tests whose app certainly has the plugin installed
// and started: it panics (core turns that into a 500) instead of returning
// the error.
func mustDB(c *covet.Context) bun.IDB { return mustNamed(c, orm.DefaultName) }

func mustNamed(c *covet.Context, name string) bun.IDB {
	db, err := orm.Named(c, name)
	if err != nil {
		panic(err)
	}
	return db
}

// allDrivers gives a plugin every driver, for tests whose DSN is any.
var allDrivers = orm.WithDriver(pgsql.Driver(), mysql.Driver(), sqlite.Driver())
