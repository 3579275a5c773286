package ormtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/mysql"
	"github.com/covetgo/covet/plugins/orm/pgsql"
	"github.com/covetgo/covet/plugins/orm/sqlite"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dbfixture"
)

// DB is a test's own database: created fresh for the test, dropped when it
// ends.
type DB struct {
	// DB is an open handle to the database, closed when the test ends.
	*bun.DB
	// DSN connects to the database; pass it to orm.WithDSN.
	DSN string
	// Name is the database's name on the server (the file for SQLite).
	Name string
	// Dialect is the database's dialect.
	Dialect orm.Dialect
	// Driver is the orm driver of the dialect; pass it to orm.WithDriver.
	Driver orm.Driver
}

// Options returns the plugin options that connect to the database:
// orm.WithDriver(db.Driver) and orm.WithDSN(db.DSN).
func (db *DB) Options() []orm.Option {
	return []orm.Option{orm.WithDriver(db.Driver), orm.WithDSN(db.DSN)}
}

// driverOf returns the driver for the DSN's dialect.
func driverOf(dsn string) orm.Driver {
	d, _ := orm.DialectOf(dsn)
	switch d {
	case orm.Postgres:
		return pgsql.Driver()
	case orm.MySQL:
		return mysql.Driver()
	}
	return sqlite.Driver()
}

// Dialects lists the three dialects, for table tests that run one body
// against each.
var Dialects = []orm.Dialect{orm.Postgres, orm.MySQL, orm.SQLite}

// New returns a fresh database of the dialect (see Postgres, MySQL, SQLite).
func New(t testing.TB, d orm.Dialect) *DB {
	t.Helper()
	switch d {
	case orm.Postgres:
		return Postgres(t)
	case orm.MySQL:
		return MySQL(t)
	case orm.SQLite:
		return SQLite(t)
	}
	t.Fatalf("ormtest: unknown dialect %q", d)
	return nil
}

func uniqueName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "covet_test_" + hex.EncodeToString(b[:])
}

// Postgres returns a fresh PostgreSQL database for the test: created with
// CREATE DATABASE on the server of COVET_TEST_POSTGRES (default: the local
// service; or, when the variable is unset, the local service unreachable and
// a Docker engine answering, a container started for the test binary), and
// dropped when the test ends. The test is skipped when no server is
// reachable, or fails when COVET_REQUIRE_SERVICES=1.
func Postgres(t testing.TB) *DB {
	t.Helper()
	admin, err := serverDSN(covettest.PostgresEnv, covettest.DefaultPostgres, pgsql.Driver())
	covettest.NeedService(t, "PostgreSQL", err)
	ctx := context.Background()
	adm, err := orm.Open(ctx, admin, driverOf(admin))
	covettest.NeedService(t, "PostgreSQL", err)
	defer adm.Close()
	name := uniqueName()
	if _, err := adm.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("ormtest: create PostgreSQL database: %v", err)
	}
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	return finish(t, u.String(), name, orm.Postgres, func() error {
		_, err := adm2(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return err
	})
}

// MySQL returns a fresh MySQL/MariaDB database for the test, as Postgres
// does, from COVET_TEST_MYSQL (a go-sql-driver DSN or a mysql:// URL).
func MySQL(t testing.TB) *DB {
	t.Helper()
	admin, err := serverDSN(covettest.MySQLEnv, covettest.DefaultMySQL, mysql.Driver())
	covettest.NeedService(t, "MySQL", err)
	ctx := context.Background()
	adm, err := orm.Open(ctx, admin, driverOf(admin))
	covettest.NeedService(t, "MySQL", err)
	defer adm.Close()
	name := uniqueName()
	if _, err := adm.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("ormtest: create MySQL database: %v", err)
	}
	cfg, err := mysqlConfig(admin)
	if err != nil {
		t.Fatalf("ormtest: %v", err)
	}
	cfg.DBName = name
	return finish(t, cfg.FormatDSN(), name, orm.MySQL, func() error {
		_, err := adm2(admin, "DROP DATABASE IF EXISTS "+name)
		return err
	})
}

// SQLite returns a fresh SQLite database file in the test's temporary
// directory.
func SQLite(t testing.TB) *DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	return finish(t, "sqlite://"+path, path, orm.SQLite, func() error { return nil })
}

func mysqlConfig(dsn string) (*gomysql.Config, error) {
	if strings.HasPrefix(dsn, "mysql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, err
		}
		c := gomysql.NewConfig()
		c.Net, c.Addr = "tcp", u.Host
		if u.User != nil {
			c.User = u.User.Username()
			c.Passwd, _ = u.User.Password()
		}
		c.ParseTime = true
		return c, nil
	}
	c, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	c.ParseTime = true
	return c, nil
}

// adm2 runs one statement on a short-lived connection to the admin
// database (the test's own handle is closed by then).
func adm2(admin, stmt string) (sql.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := orm.Open(ctx, admin, driverOf(admin))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.ExecContext(ctx, stmt)
}

func finish(t testing.TB, dsn, name string, d orm.Dialect, drop func() error) *DB {
	t.Helper()
	drv := driverOf(dsn)
	db, err := orm.Open(context.Background(), dsn, drv)
	if err != nil {
		_ = drop()
		t.Fatalf("ormtest: open the test database: %v", err)
	}
	db.SetMaxOpenConns(10)
	t.Cleanup(func() {
		_ = db.Close()
		if err := drop(); err != nil {
			t.Errorf("ormtest: drop test database %s: %v", name, err)
		}
	})
	return &DB{DB: db, DSN: dsn, Name: name, Dialect: d, Driver: drv}
}

// serverDSN returns the admin DSN of a server: the environment's, else the
// local default if it answers, else the error from the local default. (The
// Docker fallback ormtest once had is gone: it made every app using the orm
// module resolve dockertest. Point the variable at any server instead, e.g.
// one started with docker run.)
func serverDSN(env, def string, drv orm.Driver) (string, error) {
	serversMu.Lock()
	defer serversMu.Unlock()
	if r, ok := servers[env]; ok {
		return r.dsn, r.err
	}
	dsn, err := findServer(env, def, drv)
	servers[env] = serverResult{dsn, err}
	return dsn, err
}

type serverResult struct {
	dsn string
	err error
}

// servers caches, per environment variable, where the server was found.
var (
	serversMu sync.Mutex
	servers   = map[string]serverResult{}
)

func findServer(env, def string, drv orm.Driver) (string, error) {
	if v := os.Getenv(env); v != "" {
		return v, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	db, err := orm.Open(ctx, def, drv)
	if err == nil {
		_ = db.Close()
		return def, nil
	}
	return "", fmt.Errorf("%w (set %s)", err, env)
}

// LoadFixtures creates the models' tables (dropping any left over) and
// loads the named YAML fixture files from fsys into db, with bun's
// dbfixture. It returns the fixture, whose Row("Model.name") finds a loaded
// row. The files look like:
//
//   - model: User
//     rows:
//   - _id: alice
//     name: Alice
//     email: alice@example.com
func LoadFixtures(t testing.TB, db *bun.DB, fsys fs.FS, names []string, models ...any) *dbfixture.Fixture {
	t.Helper()
	db.RegisterModel(models...)
	fx := dbfixture.New(db, dbfixture.WithRecreateTables())
	if err := fx.Load(context.Background(), fsys, names...); err != nil {
		t.Fatalf("ormtest: load fixtures %v: %v", names, err)
	}
	return fx
}
