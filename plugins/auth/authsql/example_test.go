package authsql_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authsql"
	_ "modernc.org/sqlite"
)

// Example keeps refresh tokens, revocations and sessions in SQLite; with
// PostgreSQL or MySQL only the *sql.DB differs (orm's plugin.DB().DB does).
func Example() {
	dir, _ := os.MkdirTemp("", "authsql")
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "app.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	ctx := context.Background()

	store, err := authsql.New(db) // the dialect is detected from the driver
	if err != nil {
		panic(err)
	}
	if err := store.Migrate(ctx); err != nil {
		panic(err)
	}
	a := auth.New(
		auth.WithKeys(auth.HMAC("k1", "HS256", []byte("a secret of at least 32 bytes...."))),
		auth.WithRevocation(store.Revocation()),
		auth.WithRefresh(store.Refresh(), 30*24*time.Hour),
	)

	pair, _ := a.IssuePair(ctx, "alice")
	next, err := a.Refresh(ctx, pair.RefreshToken)
	fmt.Println("rotated:", err == nil)
	_, err = a.Refresh(ctx, pair.RefreshToken) // replay: the family is revoked
	fmt.Println("replay:", err)
	_, err = a.Refresh(ctx, next.RefreshToken)
	fmt.Println("newest after replay:", err)
	fmt.Println("dialect:", store.Dialect())
	// Output:
	// rotated: true
	// replay: auth: refresh token reused; its family is revoked
	// newest after replay: auth: refresh token family revoked
	// dialect: sqlite
}

// ExampleSchema prints the DDL an orm migration can embed.
func ExampleSchema() {
	for _, stmt := range authsql.Schema(authsql.Postgres, "covet_auth_")[:2] {
		fmt.Println(stmt)
	}
	// Output:
	// CREATE TABLE IF NOT EXISTS covet_auth_refresh_families (family VARCHAR(128) NOT NULL PRIMARY KEY, subject VARCHAR(255) NOT NULL, data TEXT NOT NULL, expires BIGINT NOT NULL, revoked SMALLINT NOT NULL DEFAULT 0)
	// CREATE INDEX IF NOT EXISTS covet_auth_refresh_families_subject ON covet_auth_refresh_families (subject)
}
