package auth_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/auth"
)

// stepClock is a clock the test moves.
type stepClock struct{ ns atomic.Int64 }

func (c *stepClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *stepClock) now() time.Time  { return time.Unix(0, c.ns.Load()) }

// A token issued after RevokeAll, in the same second, is honoured; one
// issued before it, in that second too, is refused. iat has whole seconds;
// the issue time in milliseconds (claim iat_ms) is what is compared.
func TestRevokeAllSameSecond(t *testing.T) {
	var clock stepClock
	sec := time.Now().Truncate(time.Second)
	clock.set(sec.Add(100 * time.Millisecond))
	rs := auth.NewMemoryRevocation(0)
	_, a, c := newApp(t, auth.WithRevocation(rs), auth.WithClock(clock.now))
	ctx := context.Background()
	before, err := a.Issue("alice")
	if err != nil {
		t.Fatal(err)
	}
	clock.set(sec.Add(300 * time.Millisecond))
	if err := a.RevokeAll(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	clock.set(sec.Add(500 * time.Millisecond))
	after, err := a.Issue("alice")
	if err != nil {
		t.Fatal(err)
	}
	clock.set(sec.Add(700 * time.Millisecond))
	if _, err := a.Verify(ctx, before); !errors.Is(err, auth.ErrTokenRevoked) {
		t.Fatalf("token issued before RevokeAll: %v, want %v", err, auth.ErrTokenRevoked)
	}
	u, err := a.Verify(ctx, after)
	if err != nil {
		t.Fatalf("token issued after RevokeAll in the same second: %v", err)
	}
	if want := sec.Add(500 * time.Millisecond); !u.IssuedAt.Equal(want) {
		t.Fatalf("IssuedAt %v, want %v", u.IssuedAt, want)
	}
	c.Get("/me").Header("Authorization", "Bearer "+after).Do().ExpectStatus(200)
	c.Get("/me").Header("Authorization", "Bearer "+before).Do().ExpectStatus(401)
}

// The iat_ms claim only refines iat within its second: a token whose
// iat_ms names another second is judged by iat alone.
func TestIssuedAtMillisMustMatchIat(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	rs := auth.NewMemoryRevocation(0)
	_, a, _ := newApp(t, auth.WithRevocation(rs), auth.WithClock(func() time.Time { return now.Add(500 * time.Millisecond) }))
	ctx := context.Background()
	if err := a.RevokeAll(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	claims := goodClaims(now)
	claims["iat_ms"] = now.Add(time.Hour).UnixMilli() // claims an issue after the cut-off
	if _, err := a.Verify(ctx, hs256(secret, goodHeader(), claims)); !errors.Is(err, auth.ErrTokenRevoked) {
		t.Fatalf("iat_ms outside iat's second: %v, want %v", err, auth.ErrTokenRevoked)
	}
	claims["iat_ms"] = now.Add(900 * time.Millisecond).UnixMilli()
	u, err := a.Verify(ctx, hs256(secret, goodHeader(), claims))
	if err != nil {
		t.Fatalf("iat_ms within iat's second, after the cut-off: %v", err)
	}
	if want := now.Add(900 * time.Millisecond); !u.IssuedAt.Equal(want) {
		t.Fatalf("IssuedAt %v, want %v", u.IssuedAt, want)
	}
	if _, err := a.Issue("alice", auth.WithClaim("iat_ms", 1)); err == nil {
		t.Fatal("WithClaim(\"iat_ms\") accepted: Issue sets it")
	}
}
