package authsql_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authsql"
	"modernc.org/sqlite"
)

// countingConnector counts the statements sent to the database (each
// Query or Exec is one round trip to a server). While noCount is set, the
// results of prepared statements fail RowsAffected.
type countingConnector struct {
	dsn     string
	n       atomic.Int64
	noCount atomic.Bool
}

func (c *countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := (&sqlite.Driver{}).Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, n: &c.n, noCount: &c.noCount}, nil
}

func (c *countingConnector) Driver() driver.Driver { return &sqlite.Driver{} }

type countingConn struct {
	driver.Conn
	n       *atomic.Int64
	noCount *atomic.Bool
}

func (c *countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.n.Add(1)
	qc, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, errors.New("no QueryerContext")
	}
	return qc.QueryContext(ctx, q, args)
}

func (c *countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.n.Add(1)
	ec, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, errors.New("no ExecerContext")
	}
	return ec.ExecContext(ctx, q, args)
}

// Prepare counts too (it is a round trip on a server); the statements
// it returns count their executions.
func (c *countingConn) Prepare(q string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), q)
}

func (c *countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	c.n.Add(1)
	pc, ok := c.Conn.(driver.ConnPrepareContext)
	if !ok {
		return nil, errors.New("no ConnPrepareContext")
	}
	st, err := pc.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return &countingStmt{Stmt: st, n: c.n, noCount: c.noCount}, nil
}

type countingStmt struct {
	driver.Stmt
	n       *atomic.Int64
	noCount *atomic.Bool
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.n.Add(1)
	r, err := s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
	if err == nil && s.noCount.Load() {
		return noCountResult{r}, nil
	}
	return r, err
}

// noCountResult is a result whose driver cannot tell the rows affected.
type noCountResult struct{ driver.Result }

func (noCountResult) RowsAffected() (int64, error) { return 0, errors.New("no rows-affected count") }

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.n.Add(1)
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

// TestRoundTrips: once its statements are prepared (the first use on a
// connection), a revocation check is one statement; a refresh Consume two,
// a Create two; a session load or save one; UseOnce of a new key one, of a
// recorded key three (INSERT, UPDATE of an expired record, INSERT again).
func TestRoundTrips(t *testing.T) {
	cc := &countingConnector{dsn: "file:" + filepath.Join(t.TempDir(), "rt.db") + "?_pragma=busy_timeout(5000)"}
	db := sql.OpenDB(cc)
	t.Cleanup(func() { db.Close() })
	s, err := authsql.New(db, authsql.WithDialect(authsql.SQLite))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	rev, ref, ses := s.Revocation(), s.Refresh(), s.Sessions()
	type op struct {
		name string
		want int64
		f    func(k string) error
	}
	ops := []op{
		{"Revoked", 1, func(k string) error { _, err := rev.Revoked(ctx, "j", "al"+k, time.Now()); return err }},
		{"RevokeSubject", 1, func(k string) error { return rev.RevokeSubject(ctx, "al"+k, time.Now()) }},
		{"Revoked with a cut-off", 1, func(k string) error {
			if ok, err := rev.Revoked(ctx, "j", "al"+k, time.Now().Add(-time.Hour)); err != nil || !ok {
				return errors.Join(err, errors.New("not revoked"))
			}
			return nil
		}},
		{"Create", 2, func(k string) error {
			return ref.Create(ctx, "h"+k, auth.RefreshRecord{Family: "f" + k, Subject: "al", Expires: time.Now().Add(time.Hour)})
		}},
		{"Consume", 2, func(k string) error { _, err := ref.Consume(ctx, "f"+k, "h"+k); return err }},
		{"Save", 1, func(k string) error { return ses.Save(ctx, "s"+k, auth.SessionRecord{UserID: "al"}, time.Minute) }},
		{"Load", 1, func(k string) error { _, err := ses.Load(ctx, "s"+k); return err }},
		{"UseOnce", 1, func(k string) error {
			if ok, err := s.UseOnce(ctx, "o"+k, time.Now().Add(time.Minute)); err != nil || !ok {
				return errors.Join(err, errors.New("a new key refused"))
			}
			return nil
		}},
		{"UseOnce replayed", 3, func(k string) error {
			if ok, err := s.UseOnce(ctx, "o"+k, time.Now().Add(time.Minute)); err != nil || ok {
				return errors.Join(err, errors.New("a replay accepted"))
			}
			return nil
		}},
	}
	for _, o := range ops { // prepares the statements
		if err := o.f("warm"); err != nil {
			t.Fatalf("%s: %v", o.name, err)
		}
	}
	for _, o := range ops {
		before := cc.n.Load()
		if err := o.f("1"); err != nil {
			t.Fatalf("%s: %v", o.name, err)
		}
		if got := cc.n.Load() - before; got != o.want {
			t.Errorf("%s: %d statements, want %d", o.name, got, o.want)
		}
	}
}

// TestRowsAffectedError: a driver that cannot tell the rows affected makes
// the write an error, never an answer read from a zero count (a refresh
// token taken for revoked or reused, its family revoked; a one-time key
// taken for recorded).
func TestRowsAffectedError(t *testing.T) {
	cc := &countingConnector{dsn: "file:" + filepath.Join(t.TempDir(), "rc.db") + "?_pragma=busy_timeout(5000)"}
	db := sql.OpenDB(cc)
	t.Cleanup(func() { db.Close() })
	s, err := authsql.New(db, authsql.WithDialect(authsql.SQLite))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ref := s.Refresh()
	rec := auth.RefreshRecord{Family: "f", Subject: "al", Expires: time.Now().Add(time.Hour)}
	cc.noCount.Store(true)
	err = ref.Create(ctx, "h1", rec)
	if err == nil || errors.Is(err, auth.ErrRefreshRevoked) {
		t.Fatalf("create without a count: %v, want an error other than ErrRefreshRevoked", err)
	}
	cc.noCount.Store(false)
	if err := ref.Create(ctx, "h2", rec); err != nil {
		t.Fatal(err)
	}
	cc.noCount.Store(true)
	_, err = ref.Consume(ctx, "f", "h2")
	if err == nil || errors.Is(err, auth.ErrRefreshReused) || errors.Is(err, auth.ErrRefreshRevoked) {
		t.Fatalf("consume without a count: %v, want an error other than reuse", err)
	}
	if ok, err := s.UseOnce(ctx, "k", time.Now().Add(time.Minute)); !ok || err != nil {
		t.Fatalf("UseOnce of a new key reads no count: %v, %v", ok, err)
	}
	if ok, err := s.UseOnce(ctx, "k", time.Now().Add(time.Minute)); ok || err == nil {
		t.Fatalf("UseOnce replayed without a count: %v, %v; want an error", ok, err)
	}
	cc.noCount.Store(false)
	// The family was not revoked: a later Create in it works.
	if err := ref.Create(ctx, "h3", rec); err != nil {
		t.Fatalf("the family was revoked by a consume that could not count: %v", err)
	}
}
