package main

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/ratelimit"
)

// countingRevocation counts the revocation checks (each one a Redis round
// trip with authredis).
type countingRevocation struct {
	auth.RevocationStore
	checks atomic.Int64
}

func (r *countingRevocation) Revoked(ctx context.Context, jti, subject string, issuedAt time.Time) (bool, error) {
	r.checks.Add(1)
	return r.RevocationStore.Revoked(ctx, jti, subject, issuedAt)
}

// TestWriteLimitChecksTokenOnce: a signed-in write costs one revocation
// check, shared by the write limit's key (however many limits the policy
// has: it has two) and the route's guard (the auth plugin keeps the
// checked credentials for the request); the limiter used to ask the key
// once per limit and the guard again, three checks per write, then two. A
// revoked token is still refused, and its write not counted against the
// user.
func TestWriteLimitChecksTokenOnce(t *testing.T) {
	rev := &countingRevocation{RevocationStore: auth.NewMemoryRevocation(0)}
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", deriveKey([]byte("0123456789abcdef0123456789abcdef"), "token"))),
		auth.WithRevocation(rev), auth.WithSessions(auth.NewMemorySessions(), deriveKey([]byte("0123456789abcdef0123456789abcdef"), "session")))
	app := covet.New()
	if err := app.Install(a); err != nil {
		t.Fatal(err)
	}
	if err := app.Install(ratelimit.New()); err != nil {
		t.Fatal(err)
	}
	api := app.Group("/api")
	api.With(ratelimit.Apply(writesPolicy(func() *auth.Auth { return a }, ratelimit.PerSecond(1000))))
	api.POST("/things", func(c *covet.Context) error {
		u, _ := auth.Principal(c)
		return c.Text(http.StatusOK, u.ID)
	}).With(auth.Required(auth.SchemeBearer, auth.SchemeSession))
	covettest.Start(t, app)
	cl := covettest.New(t, app)

	tok, err := a.Issue("7")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		before := rev.checks.Load()
		cl.Post("/api/things").Header("Authorization", "Bearer "+tok).Do().ExpectStatus(http.StatusOK).ExpectBody("7")
		if n := rev.checks.Load() - before; n != 1 {
			t.Fatalf("write %d: %d revocation checks, want 1 (shared by the limit's key and the guard)", i, n)
		}
	}

	u, err := a.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	cl.Post("/api/things").Header("Authorization", "Bearer "+tok).Do().ExpectStatus(http.StatusUnauthorized)
}
