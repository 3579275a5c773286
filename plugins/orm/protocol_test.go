package orm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/orm/pgsql"
)

// TestPostgresSimpleProtocol: the PostgreSQL driver sends bun's statements
// (arguments already in the text) without preparing each distinct text as a
// named statement on the server, unless the DSN asks for pgx's cache; and a
// text of several statements without arguments (a migration file) still
// runs through ExecContext in its default exec mode.
func TestPostgresSimpleProtocol(t *testing.T) {
	dsn := ormtest.New(t, orm.Postgres).DSN
	prepared := func(t *testing.T, dsn string) int {
		t.Helper()
		db, err := pgsql.OpenDB(dsn)
		must(t, err)
		defer db.Close()
		db.SetMaxOpenConns(1) // one connection: its prepared statements are counted
		ctx := context.Background()
		for i := range 5 {
			var n int
			must(t, db.QueryRowContext(ctx, fmt.Sprintf("SELECT %d", i)).Scan(&n))
			must(t, db.QueryRowContext(ctx, "SELECT $1::int", i).Scan(&n))
			if n != i {
				t.Fatalf("SELECT $1 = %d, want %d", n, i)
			}
		}
		_, err = db.ExecContext(ctx, "CREATE TEMP TABLE IF NOT EXISTS several (a int); INSERT INTO several VALUES (1); INSERT INTO several VALUES (2)")
		must(t, err)
		var n int
		must(t, db.QueryRowContext(ctx, "SELECT count(*) FROM several").Scan(&n))
		if n != 2 {
			t.Fatalf("several statements in one ExecContext: %d rows, want 2", n)
		}
		must(t, db.QueryRowContext(ctx, "SELECT count(*) FROM pg_prepared_statements").Scan(&n))
		return n
	}
	if n := prepared(t, dsn); n != 0 {
		t.Errorf("default: %d named statements prepared, want 0", n)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	if n := prepared(t, dsn+sep+"default_query_exec_mode=cache_statement"); n < 5 {
		t.Errorf("default_query_exec_mode=cache_statement: %d named statements prepared, want at least 5", n)
	}
}
