package authsql_test

import (
	"context"
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authsql"
)

// TestStalledDatabase: with the revocation tables locked by another
// session (a stalled database, as far as the store can tell), a
// revocation check gives up at WithTimeout with an error, and the plugin
// refuses the token (fail closed) instead of waiting for the lock.
func TestStalledDatabase(t *testing.T) {
	db := openPostgres(t)
	s, err := authsql.New(db, authsql.WithTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", []byte("0123456789abcdef0123456789abcdef"))),
		auth.WithRevocation(s.Revocation()))
	tok, err := a.Issue("alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "LOCK TABLE covet_auth_revoked_tokens IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := a.Verify(ctx, tok); err == nil {
		t.Fatal("token verified while the revocation check could not run")
	}
	// Generous: the bound is 300 ms; a check waiting for the lock would
	// never return while the transaction holds it.
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the check took %s with a 300 ms timeout", d)
	}
	tx.Rollback()
	if _, err := a.Verify(ctx, tok); err != nil {
		t.Fatalf("after the lock is released: %v", err)
	}
}
