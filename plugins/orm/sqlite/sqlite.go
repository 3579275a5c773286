// Package sqlite is the orm plugin's SQLite driver: bun's sqlitedialect on
// the pure-Go modernc.org/sqlite (no cgo). Give it to the plugin when the
// app uses SQLite; an app that does not import this package links no SQLite.
//
//	app.Install(orm.New(orm.WithDriver(sqlite.Driver()), orm.WithDSN("sqlite://app.db")))
package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/covetgo/covet/plugins/orm"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/schema"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Driver returns the SQLite driver for sqlite://path, file:path, a path
// ending in .db/.sqlite/.sqlite3, or ":memory:".
func Driver() orm.Driver { return driver{} }

type driver struct{}

func (driver) Dialect() orm.Dialect { return orm.SQLite }

// Open opens the database with the pragmas a web app wants (see DSN).
func (driver) Open(dsn string) (orm.Pool, error) {
	name, memory := DSN(dsn)
	conn, err := msqlite.NewConnector(name)
	if err != nil {
		return orm.Pool{}, fmt.Errorf("orm: open SQLite %q: %w", dsn, err)
	}
	return orm.Pool{DB: sql.OpenDB(conn), Where: "sqlite " + strings.SplitN(strings.TrimPrefix(name, "file:"), "?", 2)[0], Memory: memory}, nil
}

// DSN turns sqlite://path, file:path or a bare path into a modernc.org/sqlite
// DSN with the pragmas a web app wants: foreign keys on, WAL journal, a busy
// timeout, and write transactions that take the write lock at BEGIN (so two
// writers wait instead of failing half-way). memory reports an in-memory
// database.
func DSN(dsn string) (name string, memory bool) {
	rest := dsn
	for _, p := range []string{"sqlite://", "sqlite3://", "file:"} {
		if len(rest) >= len(p) && strings.EqualFold(rest[:len(p)], p) {
			rest = rest[len(p):]
			break
		}
	}
	path, query, _ := strings.Cut(rest, "?")
	memory = path == ":memory:" || path == "" || strings.Contains(query, "mode=memory")
	q, _ := url.ParseQuery(query)
	pragmas := q["_pragma"]
	has := func(p string) bool {
		for _, v := range pragmas {
			if strings.HasPrefix(strings.ToLower(v), p) {
				return true
			}
		}
		return false
	}
	if !has("foreign_keys") {
		q.Add("_pragma", "foreign_keys(1)")
	}
	if !has("busy_timeout") {
		q.Add("_pragma", "busy_timeout(5000)")
	}
	if !memory && !has("journal_mode") {
		q.Add("_pragma", "journal_mode(WAL)")
	}
	if q.Get("_txlock") == "" {
		q.Set("_txlock", "immediate")
	}
	if path == "" {
		path = ":memory:"
	}
	return "file:" + path + "?" + q.Encode(), memory
}

func (driver) BunDialect() schema.Dialect { return sqlitedialect.New() }

func (driver) ClassifyError(err error) (orm.Kind, string, bool) {
	var e *msqlite.Error
	if !errors.As(err, &e) {
		return orm.KindOther, "", false
	}
	after := func(prefix string) string {
		msg := e.Error()
		i := strings.LastIndex(msg, prefix)
		if i < 0 {
			return ""
		}
		rest := msg[i+len(prefix):]
		if j := strings.LastIndex(rest, " ("); j >= 0 {
			rest = rest[:j]
		}
		return strings.TrimSpace(rest)
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return orm.KindUnique, after("constraint failed: "), true
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return orm.KindForeignKey, "", true
	case sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_CHECK:
		return orm.KindInvalid, after("constraint failed: "), true
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return orm.KindConflict, "", true
	case sqlite3.SQLITE_INTERRUPT:
		return orm.KindTimeout, "", true
	}
	return orm.KindOther, "", true
}

func (driver) ConnectionLost(error) bool { return false }

// RefersToMissing: SQLite does not say; the failing statement decides.
func (driver) RefersToMissing(error) (bool, bool) { return false, false }

var _ orm.Driver = driver{}
