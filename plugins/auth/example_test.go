package auth_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/auth"
)

func Example() {
	a := auth.New(
		auth.WithKeys(auth.HMAC("2026-01", "HS256", []byte("a secret of at least 32 bytes...."))),
		auth.WithIssuer("https://api.example.com"),
		auth.WithAudience("tasks"),
	)
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	app.GET("/me", func(c *covet.Context) error {
		u, _ := auth.Principal(c)
		return c.Text(200, "hello "+u.ID)
	}).With(auth.Required())
	app.POST("/tasks", func(c *covet.Context) error { return c.NoContent(201) }).With(auth.Scopes("tasks:write"))
	if err := app.Install(a); err != nil {
		panic(err)
	}

	tok, _ := a.Issue("alice", auth.WithScopes("tasks:read"))
	for _, r := range []struct{ method, path, token string }{
		{"GET", "/me", ""},
		{"GET", "/me", tok},
		{"POST", "/tasks", tok},
	} {
		req := httptest.NewRequest(r.method, r.path, nil)
		if r.token != "" {
			req.Header.Set("Authorization", "Bearer "+r.token)
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		fmt.Println(strings.TrimSpace(fmt.Sprint(r.method, " ", r.path, " ", rec.Code, " ", rec.Header().Get("WWW-Authenticate"))))
	}
	// Output:
	// GET /me 401 Bearer realm="api"
	// GET /me 200
	// POST /tasks 403 Bearer error="insufficient_scope", scope="tasks:write"
}

// RevokeAll logs a user out everywhere; a token issued after it is honoured,
// even within the same second (the clock here is fixed to show that).
func ExampleAuth_RevokeAll() {
	now := time.Date(2026, 12, 7, 12, 0, 0, 100e6, time.UTC) // 12:00:00.100
	a := auth.New(
		auth.WithKeys(auth.HMAC("2026-01", "HS256", []byte("a secret of at least 32 bytes...."))),
		auth.WithRevocation(auth.NewMemoryRevocation(0)),
		auth.WithClock(func() time.Time { return now }),
	)
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	if err := app.Install(a); err != nil {
		panic(err)
	}
	ctx := context.Background()

	before, _ := a.Issue("alice")
	now = now.Add(200 * time.Millisecond) // 12:00:00.300: log out everywhere
	if err := a.RevokeAll(ctx, "alice"); err != nil {
		panic(err)
	}
	now = now.Add(200 * time.Millisecond) // 12:00:00.500: signed in again
	after, _ := a.Issue("alice")

	_, err := a.Verify(ctx, before)
	fmt.Println("issued before:", err)
	u, err := a.Verify(ctx, after)
	fmt.Println("issued after:", err, u.IssuedAt.Format("15:04:05.000"))
	// Output:
	// issued before: auth: token revoked
	// issued after: <nil> 12:00:00.500
}
