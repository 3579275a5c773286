package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authtest"
)

func TestGuards(t *testing.T) {
	_, a, c := newApp(t)
	writer := authtest.User(t, a, "w", "tasks:write")
	reader := authtest.User(t, a, "r", "tasks:read")
	admin := authtest.UserWith(t, a, "boss", auth.WithRoles("admin"))

	t.Run("no credentials", func(t *testing.T) {
		res := c.Get("/me").Do().ExpectStatus(401).ExpectHeader("WWW-Authenticate", `Bearer realm="api"`)
		if res.Problem().Type != auth.ProblemUnauthorized {
			t.Errorf("type %q", res.Problem().Type)
		}
	})
	t.Run("required", func(t *testing.T) {
		var out map[string]any
		reader.As(c.Get("/me")).Do().ExpectStatus(200).Decode(&out)
		if out["id"] != "r" {
			t.Fatalf("principal %v", out)
		}
	})
	t.Run("scope present", func(t *testing.T) {
		c.Get("/write").Header(writer.Authorization()).Do().ExpectStatus(200)
	})
	t.Run("scope missing", func(t *testing.T) {
		res := c.Get("/write").Header(reader.Authorization()).Do().ExpectStatus(403).
			ExpectHeader("WWW-Authenticate", `Bearer error="insufficient_scope", scope="tasks:write"`)
		if p := res.Problem(); p.Detail != "insufficient permissions" || p.Type != auth.ProblemForbidden {
			t.Errorf("problem %+v", p)
		}
	})
	t.Run("role", func(t *testing.T) {
		c.Get("/admin").Header(admin.Authorization()).Do().ExpectStatus(200)
		c.Get("/admin").Header(reader.Authorization()).Do().ExpectStatus(403)
	})
	t.Run("optional", func(t *testing.T) {
		c.Get("/maybe").Do().ExpectStatus(200).ExpectJSON(map[string]any{"anonymous": true})
		c.Get("/maybe").Header(reader.Authorization()).Do().ExpectStatus(200).ExpectBodyContains(`"id":"r"`)
		// Invalid credentials are refused even where none are needed.
		c.Get("/maybe").Header("Authorization", "Bearer x.y.z").Do().ExpectStatus(401)
	})
	t.Run("public", func(t *testing.T) {
		c.Get("/public").Header("Authorization", "Bearer garbage").Do().ExpectStatus(200)
	})
	t.Run("scheme is case-insensitive", func(t *testing.T) {
		c.Get("/me").Header("Authorization", "bearer "+reader.Token).Do().ExpectStatus(200)
	})
	st := a.Stats()
	if st.Authenticated == 0 || st.Refused == 0 || st.Forbidden == 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestSecurityMetadata(t *testing.T) {
	app, _, _ := newApp(t, auth.WithAPIKeys(auth.NewMemoryAPIKeys(), ""))
	app.GET("/keyed", func(c *covet.Context) error { return nil }).With(auth.Required(auth.SchemeAPIKey, auth.SchemeBearer))
	schemes := app.SecuritySchemes()
	if s := schemes[auth.SchemeBearer]; s.Type != "http" || s.Scheme != "bearer" || s.BearerFormat != "JWT" {
		t.Errorf("bearer scheme %+v", s)
	}
	if s := schemes[auth.SchemeAPIKey]; s.Type != "apiKey" || s.In != "header" || s.Name != "X-API-Key" {
		t.Errorf("api key scheme %+v", s)
	}
	got := map[string]string{}
	for _, r := range app.Routes() {
		var parts []string
		for _, s := range r.Security {
			parts = append(parts, s.Scheme+"["+strings.Join(s.Scopes, " ")+"]")
		}
		got[r.Method+" "+r.Pattern] = strings.Join(parts, ",")
	}
	want := map[string]string{
		"GET /me":     "bearerAuth[]",
		"GET /write":  "bearerAuth[tasks:write]",
		"GET /maybe":  "[],bearerAuth[]",
		"GET /public": "",
		"GET /keyed":  "apiKeyAuth[],bearerAuth[]",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s security = %q, want %q", k, got[k], v)
		}
	}
}

func TestGuardWithoutPlugin(t *testing.T) {
	app := covet.New(covet.WithLogger(quietLogger()))
	app.GET("/x", func(c *covet.Context) error { return nil }).With(auth.Required())
	covettest.New(t, app).Get("/x").Do().ExpectStatus(500)
}

func TestUnconfiguredSchemeRefusedAtStart(t *testing.T) {
	app, _, _ := newApp(t)
	app.GET("/k", func(c *covet.Context) error { return nil }).With(auth.Required(auth.SchemeAPIKey))
	err := app.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "apiKeyAuth") {
		t.Fatalf("start: %v", err)
	}
}

func TestShortHMACSecretRefusedAtInstall(t *testing.T) {
	app := covet.New()
	err := app.Install(auth.New(auth.WithKeys(auth.HMAC("k", "HS256", []byte("too-short-secret-31-bytes-long!")))))
	if err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Fatalf("install: %v", err)
	}
	if err := covet.New().Install(auth.New()); err == nil {
		t.Fatal("install without keys succeeded")
	}
}

func TestAPIKeys(t *testing.T) {
	plain, rec, err := auth.NewAPIKey("ck", "svc-1", "tasks:read")
	if err != nil {
		t.Fatal(err)
	}
	store := auth.NewMemoryAPIKeys(rec)
	app, _, c := newApp(t, auth.WithAPIKeys(store, ""))
	app.GET("/svc", func(c *covet.Context) error {
		u, _ := auth.Principal(c)
		return c.Text(200, u.ID+" "+u.Method)
	}).With(auth.Required(auth.SchemeAPIKey))
	c.Get("/svc").Header("X-API-Key", plain).Do().ExpectStatus(200).ExpectBody("svc-1 apikey")
	wrong := plain[:len(plain)-2] + "xx"
	c.Get("/svc").Header("X-API-Key", wrong).Do().ExpectStatus(401)
	c.Get("/svc").Header("X-API-Key", "nonsense").Do().ExpectStatus(401)
	c.Get("/svc").Do().ExpectStatus(401).ExpectHeader("WWW-Authenticate", `APIKey realm="api"`)
	store.Delete(rec.ID)
	c.Get("/svc").Header("X-API-Key", plain).Do().ExpectStatus(401)
}

func TestBasic(t *testing.T) {
	hash, err := auth.HashPassword("s3cret!")
	if err != nil {
		t.Fatal(err)
	}
	check := func(ctx context.Context, user, pass string) (*auth.User, error) {
		if user != "ops" {
			auth.VerifyDummyPassword(pass)
			return nil, auth.ErrBadCredentials
		}
		ok, _, err := auth.VerifyPassword(hash, pass)
		if err != nil || !ok {
			return nil, auth.ErrBadCredentials
		}
		return &auth.User{ID: "ops", Roles: []string{"ops"}}, nil
	}
	app, _, c := newApp(t, auth.WithBasic(check))
	app.GET("/ops", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required(auth.SchemeBasic))
	req := func(u, p string) *covettest.Request {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(u, p)
		return c.Get("/ops").Header("Authorization", r.Header.Get("Authorization"))
	}
	req("ops", "s3cret!").Do().ExpectStatus(200).ExpectBody("ops")
	req("ops", "wrong").Do().ExpectStatus(401).ExpectHeader("WWW-Authenticate", `Basic realm="api"`)
	req("nobody", "s3cret!").Do().ExpectStatus(401)
}

func TestCookieTransportAndCSRF(t *testing.T) {
	app, a, _ := newApp(t, auth.WithCookie("at"))
	app.POST("/cookie-write", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required())
	c := covettest.New(t, app)
	tok := authtest.Token(t, a, "alice")
	c.Get("/me").Cookie("at", tok).Do().ExpectStatus(200).ExpectBodyContains(`"method":"cookie"`)
	// A cross-site POST riding on the cookie is refused.
	c.Post("/cookie-write").Cookie("at", tok).Header("Sec-Fetch-Site", "cross-site").Do().ExpectStatus(403)
	c.Post("/cookie-write").Cookie("at", tok).Header("Origin", "https://evil.example").Do().ExpectStatus(403)
	// Same origin passes.
	c.Post("/cookie-write").Cookie("at", tok).Header("Sec-Fetch-Site", "same-origin").Do().ExpectStatus(200)
	// The same cross-site request with a bearer header is exempt: a browser never adds one.
	c.Post("/cookie-write").Header("Authorization", "Bearer "+tok).Header("Sec-Fetch-Site", "cross-site").Do().ExpectStatus(200)
}

func TestCSRFToken(t *testing.T) {
	csrfSecret := []byte("csrf-secret-csrf-secret-csrf-sec")
	app, a, _ := newApp(t, auth.WithCookie("at"), auth.WithInsecureCookie(), auth.WithCSRF(csrfSecret))
	app.GET("/form", func(c *covet.Context) error { return c.Text(200, auth.CSRFToken(c)) }).With(auth.Required())
	app.POST("/form", func(c *covet.Context) error { return c.Text(200, "saved") }).With(auth.Required())
	srv := covettest.NewServer(t, app)
	tok := authtest.Token(t, a, "alice")
	srv.SetCookie(&http.Cookie{Name: "at", Value: tok})
	form := srv.Get("/form").Do().ExpectStatus(200).Text()
	if form == "" {
		t.Fatal("no token")
	}
	// No token: refused even from the same origin (old browsers send no
	// Sec-Fetch-Site or Origin).
	srv.Post("/form").Form(map[string][]string{"x": {"1"}}).Do().ExpectStatus(403)
	srv.Post("/form").Form(map[string][]string{auth.CSRFFormField: {"forged"}}).Do().ExpectStatus(403)
	srv.Post("/form").Form(map[string][]string{auth.CSRFFormField: {form}}).Do().ExpectStatus(200).ExpectBody("saved")
	srv.Post("/form").Header(auth.CSRFHeader, form).Do().ExpectStatus(200)
	// A token is worthless with another cookie (another browser).
	other := covettest.NewRemote(t, srv.URL())
	other.SetCookie(&http.Cookie{Name: "at", Value: tok})
	other.SetCookie(&http.Cookie{Name: "csrf", Value: "planted"})
	other.Post("/form").Header(auth.CSRFHeader, form).Do().ExpectStatus(403)
}

func TestWebSocketTransports(t *testing.T) {
	app, a, c := newApp(t, auth.WithQueryToken("access_token"), auth.WithWebSocketProtocol("bearer."))
	app.GET("/ws", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required())
	tok := authtest.Token(t, a, "alice")
	c.Get("/ws?access_token="+tok).Header("Upgrade", "websocket").Header("Connection", "Upgrade").Do().ExpectStatus(200).ExpectBody("alice")
	c.Get("/ws").Header("Upgrade", "websocket").Header("Sec-WebSocket-Protocol", "chat, bearer."+tok).Do().ExpectStatus(200).ExpectBody("alice")
	// Not on plain requests: query strings leak into logs and Referer.
	c.Get("/ws?access_token=" + tok).Do().ExpectStatus(401)
}

func TestRevocation(t *testing.T) {
	rs := auth.NewMemoryRevocation(0)
	_, a, c := newApp(t, auth.WithRevocation(rs))
	alice := authtest.User(t, a, "alice")
	alice2 := authtest.User(t, a, "alice")
	bob := authtest.User(t, a, "bob")
	c.Get("/me").Header(alice.Authorization()).Do().ExpectStatus(200)
	u, err := a.Verify(context.Background(), alice.Token)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	c.Get("/me").Header(alice.Authorization()).Do().ExpectStatus(401)
	c.Get("/me").Header(alice2.Authorization()).Do().ExpectStatus(200)
	if err := a.RevokeAll(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	c.Get("/me").Header(alice2.Authorization()).Do().ExpectStatus(401)
	c.Get("/me").Header(bob.Authorization()).Do().ExpectStatus(200)
	if _, err := a.Verify(context.Background(), alice2.Token); !errors.Is(err, auth.ErrTokenRevoked) {
		t.Fatalf("verify revoked: %v", err)
	}
}

type brokenRevocation struct{ *auth.MemoryRevocation }

func (*brokenRevocation) Revoked(context.Context, string, string, time.Time) (bool, error) {
	return false, errors.New("backend down")
}

func TestRevocationFailureModes(t *testing.T) {
	t.Run("closed", func(t *testing.T) {
		_, a, c := newApp(t, auth.WithRevocation(&brokenRevocation{auth.NewMemoryRevocation(0)}))
		c.Get("/me").Header(authtest.User(t, a, "alice").Authorization()).Do().ExpectStatus(503).ExpectHeader("Retry-After", "1")
		if a.Stats().FailedClosed != 1 {
			t.Errorf("stats %+v", a.Stats())
		}
	})
	t.Run("open", func(t *testing.T) {
		var logs logBuffer
		_, a, c := newAppLog(t, slogTo(&logs), auth.WithRevocation(&brokenRevocation{auth.NewMemoryRevocation(0)}), auth.WithFailureMode(auth.FailOpen))
		for i := 0; i < 3; i++ {
			c.Get("/me").Header(authtest.User(t, a, "alice").Authorization()).Do().ExpectStatus(200)
		}
		if a.Stats().FailedOpen != 3 {
			t.Errorf("stats %+v", a.Stats())
		}
		if n := strings.Count(logs.String(), "fail open"); n != 1 {
			t.Errorf("%d fail-open log lines, want 1 (rate-limited):\n%s", n, logs.String())
		}
	})
}

// TestProvide: with auth.Provide, a typed input field of type *auth.User is
// the guard's principal; without a principal the provider answers 401 and
// the handler does not run.
func TestProvide(t *testing.T) {
	app, a, c := newApp(t)
	auth.Provide(app)
	type me struct {
		ID string `json:"id"`
	}
	type meIn struct {
		User   *auth.User
		Fields string `query:"fields"`
	}
	ran := 0
	h := func(c *covet.Context, in *meIn) (*me, error) {
		ran++
		return &me{ID: in.User.ID}, nil
	}
	covet.Get(app, "/provided/me", h).With(auth.Required())
	covet.Get(app, "/provided/maybe", h).With(auth.Optional())
	c.Get("/provided/me").Header(authtest.User(t, a, "alice").Authorization()).Do().ExpectStatus(200).ExpectJSON(map[string]any{"id": "alice"})
	c.Get("/provided/maybe").Header(authtest.User(t, a, "bob").Authorization()).Do().ExpectStatus(200).ExpectJSON(map[string]any{"id": "bob"})
	c.Get("/provided/maybe").Do().ExpectStatus(401).ExpectHeader("WWW-Authenticate", `Bearer realm="api"`)
	c.Get("/provided/me").Do().ExpectStatus(401)
	if ran != 2 {
		t.Fatalf("handler ran %d times, want 2", ran)
	}
}

func TestTypedHandlerAdapter(t *testing.T) {
	app, a, c := newApp(t)
	type me struct {
		ID string `json:"id"`
	}
	covet.Get(app, "/typed/me", auth.Handler(func(c *covet.Context, u *auth.User, _ *struct{}) (*me, error) {
		return &me{ID: u.ID}, nil
	})).With(auth.Required())
	covet.Get(app, "/typed/unguarded", auth.Handler(func(c *covet.Context, u *auth.User, _ *struct{}) (*me, error) {
		return &me{ID: u.ID}, nil
	}))
	c.Get("/typed/me").Header(authtest.User(t, a, "alice").Authorization()).Do().ExpectStatus(200).ExpectJSON(map[string]any{"id": "alice"})
	c.Get("/typed/unguarded").Do().ExpectStatus(401)
}

// TestAuthenticateLeavesPrincipal: as Principal's doc says, Authenticate
// returns the user without making it the principal, so that a guard further
// in still authenticates the request itself, with its CSRF check (the
// taskboard's TestWriteLimitChecksTokenOnce relies on it too).
func TestAuthenticateLeavesPrincipal(t *testing.T) {
	app, a, c := newApp(t)
	reader := authtest.User(t, a, "r", "tasks:read")
	app.GET("/manual", func(c *covet.Context) error {
		u, err := a.Authenticate(c)
		if err != nil {
			return c.Text(401, "anonymous")
		}
		if _, ok := auth.Principal(c); ok {
			return c.Text(500, "Authenticate set the principal")
		}
		return c.Text(200, u.ID)
	})
	c.Get("/manual").Header(reader.Authorization()).Do().ExpectStatus(200).ExpectBody("r")
	c.Get("/manual").Header("Authorization", "Bearer x.y.z").Do().ExpectStatus(401)
	c.Get("/manual").Do().ExpectStatus(401)
}

// TestAppendStatsByReason: refusals are counted by reason, and the series
// stay the same from call to call.
func TestAppendStatsByReason(t *testing.T) {
	_, a, c := newApp(t)
	reader := authtest.User(t, a, "r", "tasks:read")
	c.Get("/me").Do().ExpectStatus(401)
	c.Get("/me").Do().ExpectStatus(401)
	c.Get("/me").Header("Authorization", "Bearer x.y.z").Do().ExpectStatus(401)
	c.Get("/me").Header("Authorization", "Bearer garbage").Do().ExpectStatus(401)
	c.Get("/me").Header(reader.Authorization()).Do().ExpectStatus(200)
	c.Get("/write").Header(reader.Authorization()).Do().ExpectStatus(403)
	got := map[string]float64{}
	stats := a.AppendStats(nil)
	for _, s := range stats {
		id := s.Name
		for _, l := range s.Labels {
			id += "{" + l.Name + "=" + l.Value + "}"
		}
		if _, dup := got[id]; dup {
			t.Errorf("series %s twice", id)
		}
		got[id] = s.Value
	}
	want := map[string]float64{
		"refused{reason=missing}": 2, "refused{reason=malformed}": 1, "refused{reason=signature_or_claims}": 1,
		"authenticated": 2, "forbidden": 1, "logins{result=ok}": 0, "logins{result=failed}": 0,
	}
	for id, v := range want {
		if g, ok := got[id]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v; all: %v", id, g, ok, v, got)
		}
	}
	if n := len(a.AppendStats(nil)); n != len(stats) {
		t.Errorf("%d series, then %d", len(stats), n)
	}
}

// countingRevocation counts Revoked calls and fails them while fail is set.
type countingRevocation struct {
	*auth.MemoryRevocation
	calls atomic.Int64
	fail  atomic.Bool
}

func (r *countingRevocation) Revoked(ctx context.Context, jti, sub string, iat time.Time) (bool, error) {
	r.calls.Add(1)
	if r.fail.Load() {
		return false, errors.New("backend down")
	}
	return r.MemoryRevocation.Revoked(ctx, jti, sub, iat)
}

// TestOneRevocationCheckPerRequest: middleware that authenticates the
// request itself (a rate limiter's key) and the route's guard share one
// revocation lookup per request; a failed lookup is not kept, a revoked
// token is refused by both, and the next request asks the store again.
func TestOneRevocationCheckPerRequest(t *testing.T) {
	rs := &countingRevocation{MemoryRevocation: auth.NewMemoryRevocation(0)}
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithIssuer("https://issuer.test"), auth.WithAudience("api"), auth.WithRevocation(rs))
	app := covet.New(covet.WithLogger(quietLogger()))
	var pre []string
	var mu sync.Mutex
	app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			for range 2 { // a limiter asks once per limit
				u, err := a.Authenticate(c)
				mu.Lock()
				if err != nil {
					pre = append(pre, "err")
				} else {
					pre = append(pre, u.ID)
				}
				mu.Unlock()
			}
			return next(c)
		}
	})
	app.POST("/write", func(c *covet.Context) error {
		u, _ := auth.Principal(c)
		return c.JSON(200, map[string]string{"id": u.ID})
	}).With(auth.Scopes("tasks:write"))
	if err := app.Install(a); err != nil {
		t.Fatal(err)
	}
	c := covettest.New(t, app)
	alice := authtest.User(t, a, "alice", "tasks:write")
	c.Post("/write").Header(alice.Authorization()).Do().ExpectStatus(200)
	if n := rs.calls.Load(); n != 1 {
		t.Fatalf("%d revocation lookups for one request, want 1", n)
	}
	c.Post("/write").Header(alice.Authorization()).Do().ExpectStatus(200)
	if n := rs.calls.Load(); n != 2 {
		t.Fatalf("%d revocation lookups after two requests, want 2 (one each: nothing kept across requests)", n)
	}
	// A failing store: each asker asks again (a failure is not kept) and
	// the guard fails closed.
	rs.fail.Store(true)
	c.Post("/write").Header(alice.Authorization()).Do().ExpectStatus(503)
	if n := rs.calls.Load(); n != 5 {
		t.Fatalf("%d revocation lookups after a failing request, want 5 (2 + 3 askers)", n)
	}
	rs.fail.Store(false)
	u, err := a.Verify(context.Background(), alice.Token)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	c.Post("/write").Header(alice.Authorization()).Do().ExpectStatus(401)
	mu.Lock()
	defer mu.Unlock()
	want := []string{"alice", "alice", "alice", "alice", "err", "err", "err", "err"}
	if !slices.Equal(pre, want) {
		t.Fatalf("Authenticate answers %v, want %v", pre, want)
	}
}

// TestBasicErrors: what a BasicFunc returns decides the status, as its doc
// says: an unknown user (ErrNotFound, wrapped or not) and a too-long
// password are a 401 with the challenge, exactly like a wrong password (a
// 503 would tell unknown users apart); only a check that could not answer
// is a 503.
func TestBasicErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		err  error
		want int
	}{
		"bad credentials":       {auth.ErrBadCredentials, 401},
		"unknown user":          {auth.ErrNotFound, 401},
		"unknown user, wrapped": {fmt.Errorf("users: %q: %w", "nobody", auth.ErrNotFound), 401},
		"password too long":     {auth.ErrPasswordTooLong, 401},
		"store down":            {errors.New("dial tcp: connection refused"), 503},
	} {
		t.Run(name, func(t *testing.T) {
			check := func(context.Context, string, string) (*auth.User, error) { return nil, tc.err }
			app, _, c := newApp(t, auth.WithBasic(check))
			app.GET("/ops", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required(auth.SchemeBasic))
			r, _ := http.NewRequest("GET", "/", nil)
			r.SetBasicAuth("nobody", "pw")
			res := c.Get("/ops").Header("Authorization", r.Header.Get("Authorization")).Do().ExpectStatus(tc.want)
			if tc.want == 401 {
				res.ExpectHeader("WWW-Authenticate", `Basic realm="api"`)
			}
		})
	}
}
