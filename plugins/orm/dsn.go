package orm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Dialect names a supported database family.
type Dialect string

const (
	// Postgres is PostgreSQL (package orm/pgsql: bun's pgdialect on pgx).
	Postgres Dialect = "postgres"
	// MySQL is MySQL or MariaDB (package orm/mysql: bun's mysqldialect on
	// go-sql-driver/mysql).
	MySQL Dialect = "mysql"
	// SQLite is SQLite in-process (package orm/sqlite: bun's sqlitedialect
	// on the pure-Go modernc.org/sqlite driver; no cgo).
	SQLite Dialect = "sqlite"
)

// DialectOf reports which dialect a DSN selects, from its scheme:
// postgres:// or postgresql:// (PostgreSQL); mysql:// or a go-sql-driver DSN
// such as "user@tcp(host:3306)/db" (MySQL/MariaDB); sqlite://path, file:path
// or a path ending in .db/.sqlite/.sqlite3, or ":memory:" (SQLite).
func DialectOf(dsn string) (Dialect, error) {
	lower := strings.ToLower(dsn)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return Postgres, nil
	case strings.HasPrefix(lower, "mysql://"), strings.Contains(dsn, "@tcp("), strings.Contains(dsn, "@unix("):
		return MySQL, nil
	case strings.HasPrefix(lower, "sqlite://"), strings.HasPrefix(lower, "sqlite3://"), strings.HasPrefix(lower, "file:"), dsn == ":memory:":
		return SQLite, nil
	}
	p := lower
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	for _, ext := range []string{".db", ".sqlite", ".sqlite3"} {
		if strings.HasSuffix(p, ext) {
			return SQLite, nil
		}
	}
	if dsn == "" {
		return "", errors.New("orm: empty DSN")
	}
	return "", fmt.Errorf("orm: cannot tell the database from DSN %q: use postgres://, mysql:// or sqlite://", Redact(dsn))
}

// Redact returns the DSN with its password replaced by "xxxxx", for logs and
// error messages. It knows URLs and go-sql-driver/mysql's
// "user:password@tcp(host)/db" form.
func Redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	if at := strings.LastIndex(dsn, "@"); at > 0 && (strings.Contains(dsn[at:], "@tcp(") || strings.Contains(dsn[at:], "@unix(")) {
		if colon := strings.IndexByte(dsn[:at], ':'); colon >= 0 {
			return dsn[:colon+1] + "xxxxx" + dsn[at:]
		}
	}
	return dsn
}

// opened is a database handle with what was learnt opening it.
type opened struct {
	sqldb   *sql.DB
	dialect Dialect
	driver  Driver
	where   string // host/database, without credentials, for messages
	memory  bool   // SQLite in memory: one connection only
}

// openSQL opens (without connecting) a *sql.DB for the DSN with the driver
// of its dialect among ds.
func openSQL(dsn string, ds map[Dialect]Driver) (*opened, error) {
	drv, err := pick(dsn, ds)
	if err != nil {
		return nil, err
	}
	pool, err := drv.Open(dsn)
	if err != nil {
		return nil, scrub(err, dsn)
	}
	return &opened{sqldb: pool.DB, dialect: drv.Dialect(), driver: drv, where: pool.Where, memory: pool.Memory}, nil
}

// scrub removes the DSN's password from an error's text.
func scrub(err error, dsn string) error {
	u, perr := url.Parse(dsn)
	if perr != nil || u.User == nil {
		return err
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
}

// Open opens a bun database for the DSN (see DialectOf for the forms) with
// the driver of its dialect among drivers, and checks it answers, for
// programs that use the database without a Covet app (a migration command,
// a script). The plugin's pool settings do not apply: set them on db.DB.
// Close the database when done.
//
//	db, err := orm.Open(ctx, "sqlite://app.db", sqlite.Driver())
func Open(ctx context.Context, dsn string, drivers ...Driver) (*bun.DB, error) {
	remember(drivers...)
	o, err := openSQL(dsn, driverMap(drivers))
	if err != nil {
		return nil, err
	}
	if o.memory {
		o.sqldb.SetMaxOpenConns(1)
	}
	if err := o.sqldb.PingContext(ctx); err != nil {
		_ = o.sqldb.Close()
		return nil, fmt.Errorf("orm: connect to %s: %w", o.where, scrub(err, dsn))
	}
	return bun.NewDB(o.sqldb, o.driver.BunDialect()), nil
}

// DialectOfDB reports the dialect of an open bun database.
func DialectOfDB(db bun.IDB) Dialect {
	switch db.Dialect().Name() {
	case dialect.PG:
		return Postgres
	case dialect.MySQL:
		return MySQL
	default:
		return SQLite
	}
}
