package authsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Dialect is the SQL dialect of a database.
type Dialect uint8

// Dialects.
const (
	// Detect (the default) picks the dialect from the driver's package path.
	Detect Dialect = iota
	// Postgres is PostgreSQL ($n placeholders, ON CONFLICT).
	Postgres
	// MySQL is MySQL or MariaDB (? placeholders, ON DUPLICATE KEY UPDATE).
	MySQL
	// SQLite is SQLite 3.24 or later (? placeholders, ON CONFLICT).
	SQLite
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	case SQLite:
		return "sqlite"
	}
	return "detect"
}

// Option configures a Store.
type Option func(*config)

type config struct {
	dialect Dialect
	prefix  string
	timeout time.Duration
	retain  time.Duration
	now     func() time.Time
}

// WithDialect sets the dialect instead of detecting it from the driver.
func WithDialect(d Dialect) Option { return func(c *config) { c.dialect = d } }

// WithTablePrefix sets the prefix of the table names (default
// "covet_auth_"): letters, digits and underscores only.
func WithTablePrefix(p string) Option { return func(c *config) { c.prefix = p } }

// WithTimeout bounds every operation (default 1 s): a stalled database
// costs a request at most that long; the plugin's FailureMode decides what
// a revocation check that timed out gets.
func WithTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithRetention sets how long "log out everywhere" cut-offs are kept
// (default 30 days): the longest lifetime of a token the app issues.
func WithRetention(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.retain = d
		}
	}
}

// WithClock sets the clock expiry is judged by (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// Store holds the tables of the three auth stores on one database. Use its
// Refresh, Revocation and Sessions views as the plugin's stores.
type Store struct {
	db      *sql.DB
	dialect Dialect
	prefix  string
	timeout time.Duration
	retain  time.Duration
	now     func() time.Time
	writes  atomic.Uint64
	q       queries
	stmts   sync.Map // query -> *sql.Stmt
}

var prefixRE = regexp.MustCompile(`^[A-Za-z0-9_]*$`)

// New returns a Store on db, which the caller owns. It does not touch the
// database: run Migrate (or the Schema DDL) before use.
func New(db *sql.DB, opts ...Option) (*Store, error) {
	cfg := config{prefix: "covet_auth_", timeout: time.Second, retain: 30 * 24 * time.Hour, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if db == nil {
		return nil, errors.New("authsql: nil *sql.DB")
	}
	if !prefixRE.MatchString(cfg.prefix) {
		return nil, fmt.Errorf("authsql: table prefix %q: only letters, digits and underscores", cfg.prefix)
	}
	if cfg.dialect == Detect {
		d, err := DetectDialect(db)
		if err != nil {
			return nil, err
		}
		cfg.dialect = d
	}
	if cfg.dialect > SQLite {
		return nil, fmt.Errorf("authsql: unknown dialect %d", cfg.dialect)
	}
	s := &Store{db: db, dialect: cfg.dialect, prefix: cfg.prefix, timeout: cfg.timeout, retain: cfg.retain, now: cfg.now}
	s.q = buildQueries(cfg.dialect, cfg.prefix)
	return s, nil
}

// DetectDialect names the dialect of db's driver by its Go package path:
// pgx and lib/pq are Postgres, go-sql-driver/mysql is MySQL, modernc.org/sqlite
// and mattn/go-sqlite3 are SQLite.
func DetectDialect(db *sql.DB) (Dialect, error) {
	t := reflect.TypeOf(db.Driver())
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	p := t.PkgPath()
	switch {
	case strings.Contains(p, "pgx"), strings.Contains(p, "lib/pq"), strings.Contains(p, "postgres"):
		return Postgres, nil
	case strings.Contains(p, "mysql"):
		return MySQL, nil
	case strings.Contains(p, "sqlite"):
		return SQLite, nil
	}
	return Detect, fmt.Errorf("authsql: cannot tell the dialect of driver %s.%s; pass WithDialect", p, t.Name())
}

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// Refresh returns the store's auth.RefreshStore.
func (s *Store) Refresh() *Refresh { return &Refresh{s} }

// Revocation returns the store's auth.RevocationStore.
func (s *Store) Revocation() *Revocation { return &Revocation{s} }

// Sessions returns the store's auth.SessionStore.
func (s *Store) Sessions() *Sessions { return &Sessions{s} }

// Schema returns the DDL statements that create the store's tables and
// indexes, each idempotent (IF NOT EXISTS), for an orm migration to run.
func (s *Store) Schema() []string { return Schema(s.dialect, s.prefix) }

// Migrate runs Schema's statements.
func (s *Store) Migrate(ctx context.Context) error {
	for _, stmt := range s.Schema() {
		if _, err := s.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("authsql: migrate: %w", err)
		}
	}
	return nil
}

// Sweep deletes the expired rows of every table and returns how many.
func (s *Store) Sweep(ctx context.Context) (int64, error) {
	var n int64
	for _, q := range s.q.sweep {
		r, err := s.exec(ctx, q, s.now().UnixMilli())
		if err != nil {
			return n, fmt.Errorf("authsql: sweep: %w", err)
		}
		k, _ := r.RowsAffected()
		n += k
	}
	return n, nil
}

// maybeSweep deletes the expired rows of the given sweep queries every
// 1024th write; errors are ignored (the next sweep retries).
func (s *Store) maybeSweep(ctx context.Context, idx ...int) {
	if s.writes.Add(1)%1024 != 0 {
		return
	}
	for _, i := range idx {
		_, _ = s.exec(ctx, s.q.sweep[i], s.now().UnixMilli())
	}
}

func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return s.execStmt(ctx, q, args...)
}

// stmt returns the prepared statement of q, preparing it on first use.
// Prepared statements make every later use one round trip on each driver:
// go-sql-driver/mysql otherwise prepares, executes and closes a statement
// for each parameterised query (unless the DSN has interpolateParams=true).
// database/sql re-prepares a statement on each connection as needed.
func (s *Store) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

func (s *Store) execStmt(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// row is a *sql.Row or the error that kept the query from running.
type row struct {
	r   *sql.Row
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.r.Scan(dest...)
}

func (s *Store) queryRow(ctx context.Context, q string, args ...any) row {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return row{err: err}
	}
	return row{r: st.QueryRowContext(ctx, args...)}
}

// Close releases the store's prepared statements (not the *sql.DB, which
// the caller owns). The store must not be used after.
func (s *Store) Close() error {
	var errs []error
	s.stmts.Range(func(k, v any) bool {
		errs = append(errs, v.(*sql.Stmt).Close())
		s.stmts.Delete(k)
		return true
	})
	return errors.Join(errs...)
}

func (s *Store) ms(t time.Time) int64 { return t.UnixMilli() }

// rebind turns ? placeholders into $n for Postgres. The queries are ours:
// no ? appears inside a literal.
func rebind(d Dialect, q string) string {
	if d != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
