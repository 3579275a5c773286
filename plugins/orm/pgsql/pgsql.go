// Package pgsql is the orm plugin's PostgreSQL driver: bun's pgdialect on
// pgx v5 (through database/sql). Give it to the plugin when the app uses
// PostgreSQL; an app that does not import this package links no PostgreSQL
// driver.
//
//	app.Install(orm.New(orm.WithDriver(pgsql.Driver()), orm.WithDSN("postgres://app@db/app")))
package pgsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/covetgo/covet/plugins/orm"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/schema"
)

// Driver returns the PostgreSQL driver for DSNs starting with postgres://
// or postgresql:// (pgx's forms and parameters).
func Driver() orm.Driver { return driver{} }

type driver struct{}

func (driver) Dialect() orm.Dialect { return orm.Postgres }

// Open parses the DSN with pgx, names the connections "covet" unless the
// DSN sets application_name, runs queries with pgx's exec mode (the extended
// protocol with the unnamed statement, one round trip) unless the DSN sets
// default_query_exec_mode, and on a canceled context asks the server to
// cancel the running statement (so a statement timeout really stops the
// query) before breaking the connection if the server does not answer.
//
// Why exec mode: bun writes the arguments into the SQL text, so pgx's
// default (a named prepared statement cached per distinct text) prepared
// nearly every query in an extra round trip and filled the server with
// statements used once; the simple protocol avoids that but pgx re-lexes
// every query's text for placeholders first (sanitize, even without
// arguments: ~8,500 of ~71,000 instructions of a select-by-id request in
// BenchmarkPeerAPI). Exec mode sends the text as is, prepares nothing named
// (PgBouncer in transaction mode works), and ExecContext without arguments
// still uses the simple protocol, so a migration file of several statements
// runs; a QueryContext of several statements in one text does not (the
// extended protocol takes one statement). Exec mode's results are text:
// each connection reads text timestamptz values with timestamptzCodec, pgx's
// codec with a shorter path for the server's usual shape.
func (driver) Open(dsn string) (orm.Pool, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return orm.Pool{}, fmt.Errorf("orm: parse PostgreSQL DSN %q: %w", orm.Redact(dsn), err)
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "covet"
	}
	if !strings.Contains(dsn, "default_query_exec_mode") {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, CancelRequestDelay: 0, DeadlineDelay: time.Second}
	}
	return orm.Pool{DB: stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(registerTypes)), Where: fmt.Sprintf("postgres %s/%s", net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)), cfg.Database)}, nil
}

// registerTypes gives each new connection the faster reader of text
// timestamptz results (timestamptzCodec).
func registerTypes(_ context.Context, conn *pgx.Conn) error {
	m := conn.TypeMap()
	if t, ok := m.TypeForOID(pgtype.TimestamptzOID); ok {
		if c, ok := t.Codec.(*pgtype.TimestamptzCodec); ok {
			m.RegisterType(&pgtype.Type{Name: t.Name, OID: t.OID, Codec: timestamptzCodec{c}})
		}
	}
	return nil
}

func (driver) BunDialect() schema.Dialect { return pgdialect.New() }

func (driver) ClassifyError(err error) (orm.Kind, string, bool) {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return orm.KindOther, "", false
	}
	switch {
	case e.Code == "23505":
		return orm.KindUnique, e.ConstraintName, true
	case e.Code == "23503":
		return orm.KindForeignKey, e.ConstraintName, true
	case e.Code == "23502", e.Code == "23514", strings.HasPrefix(e.Code, "22"):
		return orm.KindInvalid, e.ConstraintName, true
	case e.Code == "40001", e.Code == "40P01":
		return orm.KindConflict, "", true
	case e.Code == "57014":
		return orm.KindTimeout, "", true
	case strings.HasPrefix(e.Code, "08"), strings.HasPrefix(e.Code, "57P"), e.Code == "53300", e.Code == "53400":
		return orm.KindUnavailable, "", true
	}
	return orm.KindOther, "", true
}

func (driver) ConnectionLost(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return strings.HasPrefix(pg.Code, "08") || strings.HasPrefix(pg.Code, "57P")
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce)
}

func (driver) RefersToMissing(err error) (bool, bool) {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return strings.HasPrefix(pg.Message, "insert or update on table"), true
	}
	return false, false
}

// OpenDB opens (without connecting) a *sql.DB on pgx for the DSN, as the
// plugin does, for code that wants database/sql without bun.
func OpenDB(dsn string) (*sql.DB, error) {
	p, err := driver{}.Open(dsn)
	return p.DB, err
}

var _ orm.Driver = driver{}
