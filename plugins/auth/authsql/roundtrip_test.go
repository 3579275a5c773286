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
// Query or Exec is one round trip to a server).
type countingConnector struct {
	dsn string
	n   atomic.Int64
}

func (c *countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := (&sqlite.Driver{}).Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, n: &c.n}, nil
}

func (c *countingConnector) Driver() driver.Driver { return &sqlite.Driver{} }

type countingConn struct {
	driver.Conn
	n *atomic.Int64
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

// TestRoundTrips: a revocation check is one statement; a refresh Consume
// two, a Create two; a session load one.
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
	count := func(name string, want int64, f func() error) {
		t.Helper()
		before := cc.n.Load()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := cc.n.Load() - before; got != want {
			t.Errorf("%s: %d statements, want %d", name, got, want)
		}
	}
	rev, ref, ses := s.Revocation(), s.Refresh(), s.Sessions()
	count("Revoked", 1, func() error { _, err := rev.Revoked(ctx, "j", "al", time.Now()); return err })
	count("RevokeSubject", 1, func() error { return rev.RevokeSubject(ctx, "al", time.Now()) })
	count("Revoked with a cut-off", 1, func() error {
		if ok, err := rev.Revoked(ctx, "j", "al", time.Now().Add(-time.Hour)); err != nil || !ok {
			return errors.Join(err, errors.New("not revoked"))
		}
		return nil
	})
	rec := auth.RefreshRecord{Family: "f", Subject: "al", Expires: time.Now().Add(time.Hour)}
	count("Create", 2, func() error { return ref.Create(ctx, "h", rec) })
	count("Consume", 2, func() error { _, err := ref.Consume(ctx, "f", "h"); return err })
	count("Save", 1, func() error { return ses.Save(ctx, "s", auth.SessionRecord{UserID: "al"}, time.Minute) })
	count("Load", 1, func() error { _, err := ses.Load(ctx, "s"); return err })
}
