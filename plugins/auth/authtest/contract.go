package authtest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/auth"
)

var contractSecret = []byte("contract-secret-contract-secret-")

// RefreshStoreContract checks a RefreshStore against the rules the plugin
// relies on: rotation, reuse detection revoking the family (RFC 9700
// §4.14.2), concurrent use, family and subject revocation. Run it from a
// store's tests with a fresh, empty store.
func RefreshStoreContract(t *testing.T, store auth.RefreshStore) {
	t.Helper()
	ctx := context.Background()
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", contractSecret)), auth.WithRefresh(store, time.Hour))
	p1, err := a.IssuePair(ctx, "alice", auth.WithScopes("tasks:read"), auth.WithRoles("member"))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := a.Refresh(ctx, p1.RefreshToken)
	if err != nil {
		t.Fatalf("first rotation: %v", err)
	}
	u, err := a.Verify(ctx, p2.AccessToken)
	if err != nil || u.ID != "alice" || !u.HasScope("tasks:read") || !u.HasRole("member") {
		t.Fatalf("rotated access token lost the family's grants: %v %+v", err, u)
	}
	p3, err := a.Refresh(ctx, p2.RefreshToken)
	if err != nil {
		t.Fatalf("second rotation: %v", err)
	}
	if _, err := a.Refresh(ctx, p1.RefreshToken); !errors.Is(err, auth.ErrRefreshReused) {
		t.Fatalf("replayed token: %v, want ErrRefreshReused", err)
	}
	if _, err := a.Refresh(ctx, p3.RefreshToken); !errors.Is(err, auth.ErrRefreshRevoked) {
		t.Fatalf("newest token of a family revoked by reuse: %v, want ErrRefreshRevoked", err)
	}
	for _, bad := range []string{"", "nodot", "fam.secret", p3.RefreshToken + "x"} {
		if _, err := a.Refresh(ctx, bad); err == nil {
			t.Errorf("refresh %q succeeded", bad)
		}
	}
	q, err := a.IssuePair(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeRefresh(ctx, q.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Refresh(ctx, q.RefreshToken); !errors.Is(err, auth.ErrRefreshRevoked) {
		t.Fatalf("after RevokeRefresh: %v", err)
	}
	q1, _ := a.IssuePair(ctx, "alice")
	b1, _ := a.IssuePair(ctx, "bob")
	if err := store.RevokeSubject(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Refresh(ctx, q1.RefreshToken); !errors.Is(err, auth.ErrRefreshRevoked) {
		t.Fatalf("after RevokeSubject: %v", err)
	}
	if _, err := a.Refresh(ctx, b1.RefreshToken); err != nil {
		t.Fatalf("another subject's family: %v", err)
	}
	// Concurrent use of one token is reuse: at most one use rotates it and
	// the family ends revoked.
	r1, err := a.IssuePair(ctx, "carol")
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
		t.Fatalf("%d concurrent refreshes of one token succeeded, %d seen as reuse; want at most 1, and some", len(wins), reused)
	}
	for _, w := range wins {
		if _, err := a.Refresh(ctx, w.RefreshToken); err == nil {
			t.Fatal("a family survived a concurrent reuse")
		}
	}
}

// RevocationStoreContract checks a RevocationStore: tokens by jti, subject
// cut-offs (tokens issued at or before are revoked, later ones not), and
// that nothing else is revoked.
func RevocationStoreContract(t *testing.T, store auth.RevocationStore) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	check := func(jti, sub string, iat time.Time, want bool) {
		t.Helper()
		got, err := store.Revoked(ctx, jti, sub, iat)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("Revoked(%q, %q, %s) = %v, want %v", jti, sub, iat.Format(time.TimeOnly), got, want)
		}
	}
	check("j1", "alice", now, false)
	if err := store.RevokeToken(ctx, "alice", "j1", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	check("j1", "alice", now, true)
	check("j2", "alice", now, false)
	check("j1x", "bob", now, false)
	if err := store.RevokeSubject(ctx, "bob", now); err != nil {
		t.Fatal(err)
	}
	check("b1", "bob", now.Add(-time.Hour), true)
	check("b2", "bob", now, true)
	check("b3", "bob", now.Add(time.Second), false)
	check("a3", "alice", now.Add(-time.Hour), false)
	// An earlier cut-off does not undo a later one.
	if err := store.RevokeSubject(ctx, "bob", now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("b2", "bob", now, true)
	check("", "bob", now, true)
}

// SessionStoreContract checks a SessionStore: save, load, expiry, delete,
// delete all of a user.
func SessionStoreContract(t *testing.T, store auth.SessionStore) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	rec := auth.SessionRecord{UserID: "alice", Roles: []string{"admin"}, Values: map[string]string{"k": "v"}, Created: now, LastSeen: now}
	if _, err := store.Load(ctx, "s1"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("load of a missing session: %v", err)
	}
	for _, k := range []string{"s1", "s2"} {
		if err := store.Save(ctx, k, rec, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	bob := rec
	bob.UserID = "bob"
	if err := store.Save(ctx, "s3", bob, time.Minute); err != nil {
		t.Fatal(err)
	}
	got, err := store.Load(ctx, "s1")
	if err != nil || got.UserID != "alice" || got.Values["k"] != "v" || len(got.Roles) != 1 || !got.Created.Equal(now) {
		t.Fatalf("load: %v %+v", err, got)
	}
	if err := store.Delete(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(ctx, "s1"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := store.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(ctx, "s2"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("after DeleteUser: %v", err)
	}
	if _, err := store.Load(ctx, "s3"); err != nil {
		t.Fatalf("another user's session: %v", err)
	}
	if err := store.Save(ctx, "s4", rec, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := store.Load(ctx, "s4"); errors.Is(err, auth.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a session outlived its ttl by 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
