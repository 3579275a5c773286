package orm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/schema"
	"modernc.org/sqlite"
)

// Dialect names a supported database family.
type Dialect string

const (
	// Postgres is PostgreSQL (bun's pgdialect on the pgx driver).
	Postgres Dialect = "postgres"
	// MySQL is MySQL or MariaDB (bun's mysqldialect on go-sql-driver/mysql).
	MySQL Dialect = "mysql"
	// SQLite is SQLite in-process (bun's sqlitedialect on the pure-Go
	// modernc.org/sqlite driver; no cgo).
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
// error messages.
func Redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	if cfg, err := mysql.ParseDSN(dsn); err == nil && strings.Contains(dsn, "@") {
		if cfg.Passwd != "" {
			cfg.Passwd = "xxxxx"
		}
		return cfg.FormatDSN()
	}
	return dsn
}

// opened is a database handle with what was learnt opening it.
type opened struct {
	sqldb   *sql.DB
	dialect Dialect
	where   string // host/database, without credentials, for messages
	memory  bool   // SQLite in memory: one connection only
}

// openSQL opens (without connecting) a *sql.DB for the DSN.
func openSQL(dsn string) (*opened, error) {
	d, err := DialectOf(dsn)
	if err != nil {
		return nil, err
	}
	switch d {
	case Postgres:
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("orm: parse PostgreSQL DSN %q: %w", Redact(dsn), scrub(err, dsn))
		}
		if _, ok := cfg.RuntimeParams["application_name"]; !ok {
			cfg.RuntimeParams["application_name"] = "covet"
		}
		// On a canceled context, ask the server to cancel the running
		// statement (so a statement timeout really stops the query), and only
		// then break the connection if the server does not answer.
		cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
			return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, CancelRequestDelay: 0, DeadlineDelay: time.Second}
		}
		return &opened{sqldb: stdlib.OpenDB(*cfg), dialect: d, where: fmt.Sprintf("postgres %s/%s", net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)), cfg.Database)}, nil
	case MySQL:
		cfg, err := parseMySQL(dsn)
		if err != nil {
			return nil, err
		}
		conn, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, fmt.Errorf("orm: MySQL DSN %q: %w", Redact(dsn), err)
		}
		return &opened{sqldb: sql.OpenDB(conn), dialect: d, where: fmt.Sprintf("mysql %s/%s", cfg.Addr, cfg.DBName)}, nil
	default:
		name, memory := sqliteDSN(dsn)
		conn, err := sqlite.NewConnector(name)
		if err != nil {
			return nil, fmt.Errorf("orm: open SQLite %q: %w", dsn, err)
		}
		return &opened{sqldb: sql.OpenDB(conn), dialect: d, where: "sqlite " + strings.SplitN(strings.TrimPrefix(name, "file:"), "?", 2)[0], memory: memory}, nil
	}
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

func parseMySQL(dsn string) (*mysql.Config, error) {
	driverDSN := dsn
	if strings.HasPrefix(strings.ToLower(dsn), "mysql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, fmt.Errorf("orm: parse MySQL DSN %q: %w", Redact(dsn), scrub(err, dsn))
		}
		var b strings.Builder
		if u.User != nil {
			b.WriteString(u.User.Username())
			if pw, ok := u.User.Password(); ok {
				b.WriteByte(':')
				b.WriteString(pw)
			}
			b.WriteByte('@')
		}
		host := u.Host
		if u.Port() == "" && host != "" {
			host = net.JoinHostPort(u.Hostname(), "3306")
		}
		b.WriteString("tcp(" + host + ")/" + strings.TrimPrefix(u.Path, "/"))
		if u.RawQuery != "" {
			b.WriteString("?" + u.RawQuery)
		}
		driverDSN = b.String()
	}
	cfg, err := mysql.ParseDSN(driverDSN)
	if err != nil {
		return nil, fmt.Errorf("orm: parse MySQL DSN %q: %w", Redact(dsn), scrub(err, dsn))
	}
	// bun needs time values scanned as time.Time.
	cfg.ParseTime = true
	if cfg.Loc == nil {
		cfg.Loc = time.UTC
	}
	return cfg, nil
}

// sqliteDSN turns sqlite://path, file:path or a bare path into a
// modernc.org/sqlite DSN with the pragmas a web app wants: foreign keys on,
// WAL journal, a busy timeout, and write transactions that take the write
// lock at BEGIN (so two writers wait instead of failing half-way).
func sqliteDSN(dsn string) (name string, memory bool) {
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

func bunDialect(d Dialect) schema.Dialect {
	switch d {
	case Postgres:
		return pgdialect.New()
	case MySQL:
		return mysqldialect.New()
	default:
		return sqlitedialect.New()
	}
}

// Open opens a bun database for the DSN (see DialectOf for the forms) and
// checks it answers, for programs that use the database without a Covet app
// (a migration command, a script). The plugin's pool settings do not apply:
// set them on db.DB. Close the database when done.
func Open(ctx context.Context, dsn string) (*bun.DB, error) {
	o, err := openSQL(dsn)
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
	return bun.NewDB(o.sqldb, bunDialect(o.dialect)), nil
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
