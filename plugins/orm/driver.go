package orm

import (
	"database/sql"
	"fmt"
	"sync"

	"github.com/uptrace/bun/schema"
)

// Driver connects the plugin to one database family: it opens pools for
// DSNs of its dialect, makes bun's dialect, and classifies its driver's
// errors. The packages orm/sqlite, orm/pgsql and orm/mysql each provide one
// (sqlite.Driver(), pgsql.Driver(), mysql.Driver()); an app passes the ones
// it uses to New (WithDriver) or Open, and so links no other database
// driver. The DSN still chooses among them by its scheme (DialectOf).
//
// Implementations outside this module are possible (a driver for another
// database/sql driver of a supported dialect); the methods must be safe for
// concurrent use.
type Driver interface {
	// Dialect is the database family the driver serves.
	Dialect() Dialect
	// Open returns a pool for the DSN without connecting (Ping does).
	Open(dsn string) (Pool, error)
	// BunDialect returns a new bun dialect for the family.
	BunDialect() schema.Dialect
	// ClassifyError tells what kind of error err (or an error it wraps) is
	// when it is one of the driver's server errors, with the constraint it
	// names; ok is false for errors the driver does not know.
	ClassifyError(err error) (kind Kind, constraint string, ok bool)
	// ConnectionLost reports a driver error meaning the connection or the
	// server went away or could not be reached.
	ConnectionLost(err error) bool
	// RefersToMissing tells, for a foreign key violation, whether a row
	// referred to a missing one (insert or update of the child) rather than
	// a referred row being removed; known is false when the error does not
	// say (then the failing statement decides).
	RefersToMissing(err error) (missing, known bool)
}

// Pool is what a Driver opens for a DSN.
type Pool struct {
	// DB is the pool, not connected yet.
	DB *sql.DB
	// Where names the database without credentials, for messages and
	// health reports ("postgres 127.0.0.1:5432/app").
	Where string
	// Memory reports an in-memory database, which must keep one
	// connection (each connection would be another database).
	Memory bool
}

// known holds every driver given to New or Open in this process, by
// dialect, for Classify, MapError and IsRetryable, which see only an error.
// It is filled by those calls, never by importing a package.
var known struct {
	mu sync.RWMutex
	m  map[Dialect]Driver
}

func remember(ds ...Driver) {
	known.mu.Lock()
	defer known.mu.Unlock()
	if known.m == nil {
		known.m = map[Dialect]Driver{}
	}
	for _, d := range ds {
		if d != nil {
			known.m[d.Dialect()] = d
		}
	}
}

func knownDrivers() []Driver {
	known.mu.RLock()
	defer known.mu.RUnlock()
	out := make([]Driver, 0, len(known.m))
	for _, d := range known.m {
		out = append(out, d)
	}
	return out
}

// pick returns the driver for the DSN's dialect among ds.
func pick(dsn string, ds map[Dialect]Driver) (Driver, error) {
	dia, err := DialectOf(dsn)
	if err != nil {
		return nil, err
	}
	if d := ds[dia]; d != nil {
		return d, nil
	}
	pkg := map[Dialect]string{Postgres: "pgsql", MySQL: "mysql", SQLite: "sqlite"}[dia]
	return nil, fmt.Errorf("orm: DSN %q is %s, and no %s driver was given: add orm.WithDriver(%s.Driver()) (import github.com/covetgo/covet/plugins/orm/%s)",
		Redact(dsn), dia, dia, pkg, pkg)
}

func driverMap(ds []Driver) map[Dialect]Driver {
	m := make(map[Dialect]Driver, len(ds))
	for _, d := range ds {
		if d != nil {
			m[d.Dialect()] = d
		}
	}
	return m
}
