package authsql_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
)

func TestSweeperPluginContract(t *testing.T) {
	s, _ := newStore(t, openSQLite)
	covettest.PluginContract(t, func() covet.Plugin { return s.Sweeper(time.Second) })
}

// TestSweeper: an installed sweeper deletes expired rows while the app
// runs, and its goroutine ends with Stop.
func TestSweeper(t *testing.T) {
	s, db := newStore(t, openSQLite)
	ctx := context.Background()
	if err := s.Sessions().Save(ctx, "s1", auth.SessionRecord{UserID: "al"}, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	if err := app.Install(s.Sweeper(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM covet_auth_sessions").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sweeper left an expired session for 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := app.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}
