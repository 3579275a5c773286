package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authtest"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/ratelimit"
)

// TestWritesNeedAuthentication: anonymous writes are refused with RFC 6750
// challenges; reads stay public.
func TestWritesNeedAuthentication(t *testing.T) {
	_, cl := startApp(t, ormtest.SQLite(t).DSN)
	r := cl.Post("/api/v1/tasks").JSON(map[string]any{"title": "anonymous"}).Do().ExpectStatus(401)
	if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("401 headers %v", r.Header)
	}
	cl.Post("/api/v1/tasks").Header("Authorization", "Bearer not-a-token").JSON(map[string]any{"title": "x"}).Do().ExpectStatus(401)
	cl.Get("/api/v1/users/me").Do().ExpectStatus(401)
	cl.Get("/api/v1/tasks").Do().ExpectStatus(200)
	// A wrong password and an unknown user look the same.
	signUp(t, cl, "Ada", "ada@example.com")
	for _, u := range []string{"ada@example.com", "nobody@example.com"} {
		cl.Post("/api/v1/auth/token").Form(url.Values{"grant_type": {"password"}, "username": {u}, "password": {"wrong password"}}).Do().
			ExpectStatus(400).ExpectJSON(map[string]any{"error": "invalid_grant"})
	}
	cl.Post("/api/v1/auth/token").Form(url.Values{"grant_type": {"client_credentials"}}).Do().ExpectStatus(400).
		ExpectJSON(map[string]any{"error": "unsupported_grant_type"})
	// Passwords are validated, hashed, and never returned.
	cl.Post("/api/v1/users").JSON(map[string]any{"name": "Short", "email": "s@example.com", "password": "short"}).Do().ExpectStatus(422)
	r = cl.Post("/api/v1/users").JSON(map[string]any{"name": "Bob", "email": "bob@example.com", "password": "hunter2hunter2"}).Do().ExpectStatus(201)
	if strings.Contains(r.Text(), "hunter2") || strings.Contains(r.Text(), "argon2id") {
		t.Errorf("user answer leaks the password: %s", r.Text())
	}
}

// TestOnlyOwnersChangeTasks is object-level authorization (OWASP API1):
// another signed-in user may read and comment a task but not change,
// delete or attach to it.
func TestOnlyOwnersChangeTasks(t *testing.T) {
	_, cl := startApp(t, ormtest.SQLite(t).DSN)
	ada, adaTok := signUp(t, cl, "Ada", "ada@example.com")
	_, bobTok := signUp(t, cl, "Bob", "bob@example.com")
	var task Task
	cl.Post("/api/v1/tasks").Header("Authorization", adaTok).JSON(map[string]any{"title": "Ada's"}).Do().ExpectStatus(201).Decode(&task)
	if task.OwnerID == nil || *task.OwnerID != ada.ID {
		t.Fatalf("owner of %+v", task)
	}
	cl.Patch("/api/v1/tasks/"+itoa(task.ID)).Header("Authorization", bobTok).JSON(map[string]any{"title": "Bob's now"}).Do().ExpectStatus(403)
	cl.Delete("/api/v1/tasks/"+itoa(task.ID)).Header("Authorization", bobTok).Do().ExpectStatus(403)
	cl.Post("/api/v1/tasks/"+itoa(task.ID)+"/attachments").Header("Authorization", bobTok).File("file", "x.txt", []byte("x")).Do().ExpectStatus(403)
	cl.Patch("/api/v1/tasks/9999").Header("Authorization", bobTok).JSON(map[string]any{"title": "x"}).Do().ExpectStatus(404)
	cl.Get("/api/v1/tasks/" + itoa(task.ID)).Do().ExpectStatus(200).ExpectBodyContains(`"title":"Ada's"`)
	var cm Comment
	cl.Post("/api/v1/tasks/"+itoa(task.ID)+"/comments").Header("Authorization", bobTok).JSON(map[string]any{"body": "nice"}).Do().
		ExpectStatus(201).Decode(&cm)
	if cm.AuthorID == ada.ID {
		t.Errorf("comment author %d is not Bob", cm.AuthorID)
	}
	cl.Patch("/api/v1/tasks/"+itoa(task.ID)).Header("Authorization", adaTok).JSON(map[string]any{"status": "done"}).Do().ExpectStatus(200)
	cl.Delete("/api/v1/tasks/"+itoa(task.ID)).Header("Authorization", adaTok).Do().ExpectStatus(204)
	var me User
	cl.Get("/api/v1/users/me").Header("Authorization", adaTok).Do().ExpectStatus(200).Decode(&me)
	if me.ID != ada.ID {
		t.Errorf("me %+v", me)
	}
}

// TestRefreshRotation: the refresh grant rotates tokens, and a refresh
// token presented twice revokes its family (the rotated token too).
func TestRefreshRotation(t *testing.T) {
	_, cl := startApp(t, ormtest.SQLite(t).DSN)
	signUp(t, cl, "Ada", "ada@example.com")
	first := token(t, cl, "ada@example.com", "password-of-Ada")
	var second tokenAnswer
	cl.Post("/api/v1/auth/token").Form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}).Do().
		ExpectStatus(200).Decode(&second)
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		t.Fatalf("rotation %+v", second)
	}
	cl.Get("/api/v1/users/me").Header("Authorization", "Bearer "+second.AccessToken).Do().ExpectStatus(200)
	// Replay of the used token: refused, and the family with it.
	cl.Post("/api/v1/auth/token").Form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}).Do().
		ExpectStatus(400).ExpectJSON(map[string]any{"error": "invalid_grant"})
	cl.Post("/api/v1/auth/token").JSON(map[string]any{"refresh_token": second.RefreshToken}).Do().
		ExpectStatus(400).ExpectJSON(map[string]any{"error": "invalid_grant"})
}

// TestWriteLimitPerUser: writes are counted per signed-in user, so one
// user's burst does not spend another's budget on the same IP.
func TestWriteLimitPerUser(t *testing.T) {
	app, err := NewApp(Config{DatabaseURL: ormtest.SQLite(t).DSN, Logger: slog.New(slog.DiscardHandler), WriteLimit: ratelimit.PerMinute(3),
		AllowedHosts: []string{"example.com"}}) // covettest's host
	if err != nil {
		t.Fatal(err)
	}
	covettest.Start(t, app)
	cl := covettest.New(t, app)
	_, ada := signUp(t, cl, "Ada", "ada@example.com") // 2 anonymous writes from this IP
	for i := 0; i < 3; i++ {
		cl.Post("/api/v1/tasks").Header("Authorization", ada).JSON(map[string]any{"title": "a"}).Do().ExpectStatus(201)
	}
	cl.Post("/api/v1/tasks").Header("Authorization", ada).JSON(map[string]any{"title": "a"}).Do().ExpectStatus(429)
	// Bob: a token minted directly (the IP's anonymous budget is spent
	// on Ada's sign-up and one more request).
	cl.Post("/api/v1/users").JSON(map[string]any{"name": "Bob", "email": "bob@example.com", "password": "password-of-Bob"}).Do().ExpectStatus(201)
	cl.Post("/api/v1/users").JSON(map[string]any{"name": "Eve", "email": "eve@example.com", "password": "password-of-Eve"}).Do().ExpectStatus(429)
	a := findAuth(t, app)
	bob := "Bearer " + authtest.Token(t, a, "2", scopeWrite)
	cl.Post("/api/v1/tasks").Header("Authorization", bob).JSON(map[string]any{"title": "b"}).Do().ExpectStatus(201)
}

// TestOpenAPISecurity: the document declares the schemes (bearer JWT, the
// session cookie, the OAuth2 password flow Swagger UI's Authorize uses)
// and each operation's security; public operations have none.
func TestOpenAPISecurity(t *testing.T) {
	_, cl := startApp(t, ormtest.SQLite(t).DSN)
	var doc struct {
		Components struct {
			SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
		} `json:"components"`
		Paths map[string]map[string]struct {
			OperationID string                `json:"operationId"`
			Security    []map[string][]string `json:"security"`
		} `json:"paths"`
	}
	cl.Get("/openapi.json").Do().ExpectStatus(200).Decode(&doc)
	ss := doc.Components.SecuritySchemes
	if ss[auth.SchemeBearer]["scheme"] != "bearer" || ss[auth.SchemeSession]["in"] != "cookie" || ss[schemePassword]["type"] != "oauth2" {
		t.Fatalf("security schemes %v", ss)
	}
	flows, _ := json.Marshal(ss[schemePassword]["flows"])
	if !strings.Contains(string(flows), `"tokenUrl":"`+tokenPath+`"`) {
		t.Errorf("password flow %s", flows)
	}
	schemes := func(path, method string) map[string]bool {
		out := map[string]bool{}
		for _, req := range doc.Paths[path][method].Security {
			for k := range req {
				out[k] = true
			}
		}
		return out
	}
	if s := schemes("/api/v1/tasks", "post"); !s[auth.SchemeBearer] || !s[auth.SchemeSession] || !s[schemePassword] {
		t.Errorf("POST /tasks security %v", s)
	}
	if s := schemes("/api/v1/tasks", "get"); len(s) != 0 {
		t.Errorf("GET /tasks is public, documented %v", s)
	}
}

// TestOIDCLogin: the full OpenID Connect login against a provider on a
// loopback listener (authtest): login → provider → callback → session, the
// user created once and linked by the provider's subject.
func TestOIDCLogin(t *testing.T) {
	p := authtest.NewProvider(t)
	app, err := NewApp(Config{DatabaseURL: ormtest.SQLite(t).DSN, Logger: slog.New(slog.DiscardHandler),
		Logins: []auth.Provider{auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret)}})
	if err != nil {
		t.Fatal(err)
	}
	covettest.Start(t, app)
	for range 2 { // the second login finds the linked user
		cl := covettest.NewServer(t, app)
		res := cl.Get("/auth/fake/login?next=/api/v1/users/me").Do().ExpectStatus(302)
		cb := followProvider(t, res.Header.Get("Location"))
		cl.Get(cb).Do().ExpectStatus(303).ExpectHeader("Location", "/api/v1/users/me")
		var me User
		cl.Get("/api/v1/users/me").Do().ExpectStatus(200).Decode(&me)
		if me.ID != 1 || me.Name != p.Name {
			t.Fatalf("signed in as %+v", me)
		}
	}
	// Open redirect through next= is refused.
	cl := covettest.NewServer(t, app)
	res := cl.Get("/auth/fake/login?next=https://evil.example/").Do().ExpectStatus(302)
	cl.Get(followProvider(t, res.Header.Get("Location"))).Do().ExpectStatus(303).ExpectHeader("Location", "/board")
}

// followProvider asks the fake provider's authorization endpoint and
// returns the app's callback path it redirects to.
func followProvider(t *testing.T, loc string) string {
	t.Helper()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound {
		t.Fatalf("provider answered %d %v", res.StatusCode, err)
	}
	return u.RequestURI()
}

// TestRevokeEndpoint: POST /api/v1/auth/revoke refuses the request's token
// from then on (other tokens of the user still work); with all=true every
// token of the user, refresh tokens included, is refused.
func TestRevokeEndpoint(t *testing.T) {
	_, cl := startApp(t, ormtest.SQLite(t).DSN)
	signUp(t, cl, "Ada", "ada@example.com")
	t1 := token(t, cl, "ada@example.com", "password-of-Ada")
	t2 := token(t, cl, "ada@example.com", "password-of-Ada")
	b1, b2 := "Bearer "+t1.AccessToken, "Bearer "+t2.AccessToken
	cl.Post("/api/v1/auth/revoke").Do().ExpectStatus(401)
	cl.Post("/api/v1/auth/revoke").Header("Authorization", b1).Do().ExpectStatus(204)
	cl.Get("/api/v1/users/me").Header("Authorization", b1).Do().ExpectStatus(401)
	cl.Get("/api/v1/users/me").Header("Authorization", b2).Do().ExpectStatus(200)
	cl.Post("/api/v1/auth/revoke?all=true").Header("Authorization", b2).Do().ExpectStatus(204)
	cl.Get("/api/v1/users/me").Header("Authorization", b2).Do().ExpectStatus(401)
	cl.Post("/api/v1/auth/token").Form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t2.RefreshToken}}).Do().
		ExpectStatus(400).ExpectJSON(map[string]any{"error": "invalid_grant"})
	// A new sign-in works again at once: tokens carry their issue time in
	// milliseconds (iat_ms), so one issued after the cut-off, even in the
	// same second, is honoured.
	t3 := token(t, cl, "ada@example.com", "password-of-Ada")
	cl.Get("/api/v1/users/me").Header("Authorization", "Bearer "+t3.AccessToken).Do().ExpectStatus(200)
}
