package authredis_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authredis"
	"github.com/covetgo/covet/plugins/auth/authtest"
	"github.com/redis/go-redis/v9"
)

func roomy(prefix string) []authredis.Option {
	return []authredis.Option{authredis.WithKeyPrefix(prefix), authredis.WithTimeout(30 * time.Second)}
}

func TestContracts(t *testing.T) {
	opt := realRedis(t)
	c := newClient(t, opt)
	t.Run("revocation", func(t *testing.T) {
		s, err := authredis.NewRevocation(c, roomy(testPrefix(t, opt))...)
		if err != nil {
			t.Fatal(err)
		}
		authtest.RevocationStoreContract(t, s)
	})
	t.Run("refresh", func(t *testing.T) {
		s, err := authredis.NewRefresh(c, roomy(testPrefix(t, opt))...)
		if err != nil {
			t.Fatal(err)
		}
		authtest.RefreshStoreContract(t, s)
	})
	t.Run("sessions", func(t *testing.T) {
		s, err := authredis.NewSessions(c, roomy(testPrefix(t, opt))...)
		if err != nil {
			t.Fatal(err)
		}
		authtest.SessionStoreContract(t, s)
	})
}

func TestClientWithoutContextTimeoutsRefused(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	if _, err := authredis.NewRevocation(c); err == nil || !strings.Contains(err.Error(), "ContextTimeoutEnabled") {
		t.Fatalf("err = %v", err)
	}
}

// newInstance is one app instance with Redis revocation and refresh.
func newInstance(t *testing.T, client *redis.Client, prefix string, mode auth.FailureMode) (*auth.Auth, *covettest.Client) {
	t.Helper()
	rev, err := authredis.NewRevocation(client, roomy(prefix)...)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := authredis.NewRefresh(client, roomy(prefix)...)
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithRevocation(rev), auth.WithRefresh(ref, time.Hour), auth.WithFailureMode(mode))
	app := covet.New(covet.WithLogger(quietLogger()))
	app.GET("/me", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required())
	if err := app.Install(a); err != nil {
		t.Fatal(err)
	}
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Stop(context.Background()) })
	return a, covettest.New(t, app)
}

// TestOneRoundTripPerRequest counts the commands the revocation check
// sends: exactly one (an MGET) per authenticated request.
func TestOneRoundTripPerRequest(t *testing.T) {
	opt := realRedis(t)
	prefix := testPrefix(t, opt)
	client := newClient(t, opt)
	var h cmdCounter
	client.AddHook(&h)
	a, c := newInstance(t, client, prefix, auth.FailClosed)
	alice := authtest.User(t, a, "alice")
	c.Get("/me").Header(alice.Authorization()).Do().ExpectStatus(200) // warm the pool
	h.reset()
	const n = 20
	for i := 0; i < n; i++ {
		c.Get("/me").Header(alice.Authorization()).Do().ExpectStatus(200).ExpectBody("alice")
	}
	if got := h.trips.Load(); got != n {
		t.Fatalf("%d round trips for %d requests (%v), want exactly one each", got, n, h.list())
	}
	for _, name := range h.list() {
		if name != "mget" {
			t.Fatalf("commands %v, want only mget", h.list())
		}
	}
}

// TestInstancesShareRevocation: a token revoked (or a user logged out
// everywhere) through one instance is refused by the others; a refresh
// token rotated on one is reused on another and the family dies on both.
func TestInstancesShareRevocation(t *testing.T) {
	opt := realRedis(t)
	prefix := testPrefix(t, opt)
	a1, c1 := newInstance(t, newClient(t, opt), prefix, auth.FailClosed)
	_, c2 := newInstance(t, newClient(t, opt), prefix, auth.FailClosed)
	a3, c3 := newInstance(t, newClient(t, opt), prefix, auth.FailClosed)
	ctx := context.Background()
	alice := authtest.User(t, a1, "alice")
	alice2 := authtest.User(t, a1, "alice")
	for _, c := range []*covettest.Client{c1, c2, c3} {
		c.Get("/me").Header(alice.Authorization()).Do().ExpectStatus(200)
	}
	u, err := a1.Verify(ctx, alice.Token)
	if err != nil {
		t.Fatal(err)
	}
	if err := a1.Revoke(ctx, u); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*covettest.Client{c1, c2, c3} {
		c.Get("/me").Header(alice.Authorization()).Do().ExpectStatus(401)
		c.Get("/me").Header(alice2.Authorization()).Do().ExpectStatus(200)
	}
	// Log out everywhere through the third instance.
	if err := a3.RevokeAll(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*covettest.Client{c1, c2, c3} {
		c.Get("/me").Header(alice2.Authorization()).Do().ExpectStatus(401)
	}
	// Refresh across instances.
	p, err := a1.IssuePair(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a3.Refresh(ctx, p.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := a1.Refresh(ctx, p.RefreshToken); err == nil {
		t.Fatal("a refresh token rotated on one instance was accepted again on another")
	}
}

// TestRevokeAllSameSecond: on the real Redis, a token issued after a "log
// out everywhere" in the same second as it is honoured by every instance,
// and one issued before it in that second is refused (iat has whole
// seconds; the cut-off and the iat_ms claim have milliseconds).
func TestRevokeAllSameSecond(t *testing.T) {
	opt := realRedis(t)
	prefix := testPrefix(t, opt)
	var clock atomic.Int64
	sec := time.Now().Truncate(time.Second)
	at := func(ms int) { clock.Store(sec.Add(time.Duration(ms) * time.Millisecond).UnixNano()) }
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	instance := func() (*auth.Auth, *covettest.Client) {
		rev, err := authredis.NewRevocation(newClient(t, opt), roomy(prefix)...)
		if err != nil {
			t.Fatal(err)
		}
		a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithRevocation(rev), auth.WithClock(now))
		app := covet.New(covet.WithLogger(quietLogger()))
		app.GET("/me", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required())
		if err := app.Install(a); err != nil {
			t.Fatal(err)
		}
		return a, covettest.New(t, app)
	}
	a1, c1 := instance()
	a2, c2 := instance()
	ctx := context.Background()
	at(100)
	before, err := a1.Issue("alice")
	if err != nil {
		t.Fatal(err)
	}
	at(300)
	if err := a2.RevokeAll(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	at(500)
	after, err := a1.Issue("alice")
	if err != nil {
		t.Fatal(err)
	}
	at(700)
	for _, c := range []*covettest.Client{c1, c2} {
		c.Get("/me").Header("Authorization", "Bearer "+before).Do().ExpectStatus(401)
		c.Get("/me").Header("Authorization", "Bearer "+after).Do().ExpectStatus(200).ExpectBody("alice")
	}
	if _, err := a2.Verify(ctx, before); !errors.Is(err, auth.ErrTokenRevoked) {
		t.Fatalf("token issued before RevokeAll: %v, want %v", err, auth.ErrTokenRevoked)
	}
}

// TestSessionsAcrossInstances: a session started on one instance is
// honoured by another, and logging out everywhere on one ends it on all.
func TestSessionsAcrossInstances(t *testing.T) {
	opt := realRedis(t)
	prefix := testPrefix(t, opt)
	newApp := func() (*auth.Auth, *covet.App) {
		s, err := authredis.NewSessions(newClient(t, opt), roomy(prefix)...)
		if err != nil {
			t.Fatal(err)
		}
		a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithInsecureCookie(), auth.WithSessions(s, secret))
		app := covet.New(covet.WithLogger(quietLogger()))
		app.POST("/login", func(c *covet.Context) error {
			_, err := a.StartSession(c, "alice")
			return err
		})
		app.GET("/home", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required(auth.SchemeSession))
		if err := app.Install(a); err != nil {
			t.Fatal(err)
		}
		return a, app
	}
	a1, app1 := newApp()
	_, app2 := newApp()
	c1 := covettest.New(t, app1)
	c1.Post("/login").Do().ExpectStatus(200)
	c2 := covettest.New(t, app2)
	for _, ck := range c1.Cookies("/") {
		c2.SetCookie(ck)
	}
	c2.Get("/home").Do().ExpectStatus(200).ExpectBody("alice")
	if err := a1.RevokeAll(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	c2.Get("/home").Do().ExpectStatus(401)
}
