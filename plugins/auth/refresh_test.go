package auth_test

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"testing"

	"github.com/covetgo/covet/plugins/auth"
)

// refreshStoreContract runs the rotation and reuse rules against a store.
func refreshStoreContract(t *testing.T, store auth.RefreshStore) {
	ctx := context.Background()
	_, a, _ := newApp(t, auth.WithRefresh(store, 0))
	p1, err := a.IssuePair(ctx, "alice", auth.WithScopes("tasks:read"))
	if err != nil {
		t.Fatal(err)
	}
	if p1.RefreshToken == "" || p1.TokenType != "Bearer" || p1.ExpiresIn != 900 {
		t.Fatalf("pair %+v", p1)
	}
	p2, err := a.Refresh(ctx, p1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := a.Verify(ctx, p2.AccessToken); err != nil || u.ID != "alice" || !u.HasScope("tasks:read") {
		t.Fatalf("rotated access token: %v %+v", err, u)
	}
	p3, err := a.Refresh(ctx, p2.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	// Replay of an already rotated token: the whole family is revoked,
	// including the newest token the legitimate client holds.
	if _, err := a.Refresh(ctx, p1.RefreshToken); !errors.Is(err, auth.ErrRefreshReused) {
		t.Fatalf("replay: %v, want ErrRefreshReused", err)
	}
	if _, err := a.Refresh(ctx, p3.RefreshToken); !errors.Is(err, auth.ErrRefreshRevoked) {
		t.Fatalf("newest token after replay: %v, want ErrRefreshRevoked", err)
	}
	if a.Stats().RefreshReuse != 1 {
		t.Errorf("stats %+v", a.Stats())
	}
	// Unknown, malformed, wrong family.
	for _, bad := range []string{"", "nodot", "fam.secret", p3.RefreshToken + "x"} {
		if _, err := a.Refresh(ctx, bad); err == nil {
			t.Errorf("refresh %q succeeded", bad)
		}
	}
	// Another family is unaffected, until log out everywhere.
	q1, err := a.IssuePair(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	q2, err := a.Refresh(ctx, q1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeAll(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Refresh(ctx, q2.RefreshToken); !errors.Is(err, auth.ErrRefreshRevoked) {
		t.Fatalf("after RevokeAll: %v", err)
	}
	// Concurrent use of one token is reuse: at most one use rotates it,
	// the others revoke the family (so the rotated token dies too).
	r1, err := a.IssuePair(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var wins []auth.TokenPair
	reused := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := a.Refresh(ctx, r1.RefreshToken)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins = append(wins, p)
			} else if errors.Is(err, auth.ErrRefreshReused) {
				reused++
			}
		}()
	}
	wg.Wait()
	if len(wins) > 1 || reused == 0 {
		t.Fatalf("%d concurrent refreshes of one token succeeded and %d were seen as reuse; want at most 1 and some", len(wins), reused)
	}
	for _, w := range wins {
		if _, err := a.Refresh(ctx, w.RefreshToken); err == nil {
			t.Fatal("the family survived a concurrent reuse")
		}
	}
}

func TestAttackRefreshReplay(t *testing.T) { refreshStoreContract(t, auth.NewMemoryRefresh()) }

func TestRefreshHandler(t *testing.T) {
	ctx := context.Background()
	app3, a3, _ := newApp(t, auth.WithRefresh(auth.NewMemoryRefresh(), 0))
	app3.POST("/token", a3.RefreshHandler())
	c3 := newClient(t, app3)
	p3, err := a3.IssuePair(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var out auth.TokenPair
	c3.Post("/token").Form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {p3.RefreshToken}}).Do().
		ExpectStatus(200).ExpectHeader("Cache-Control", "no-store").Decode(&out)
	if out.AccessToken == "" || out.RefreshToken == "" || out.RefreshToken == p3.RefreshToken {
		t.Fatalf("response %+v", out)
	}
	c3.Post("/token").JSON(map[string]string{"refresh_token": p3.RefreshToken}).Do().ExpectStatus(400).ExpectJSON(map[string]string{"error": "invalid_grant"})
	c3.Post("/token").JSON(map[string]string{"refresh_token": out.RefreshToken}).Do().ExpectStatus(400) // family revoked by the replay
}
