package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authtest"
)

var (
	csrfSecretA = []byte("csrf-secret-A-csrf-secret-A-csrf")
	csrfSecretB = []byte("csrf-secret-B-csrf-secret-B-csrf")
)

// csrfSessionApp has GET /form (public: renders a CSRF token), POST /login
// and POST /logout (behind auth.CSRF()), and POST /note
// (Required(SchemeSession): CSRF applies).
func csrfSessionApp(t *testing.T, store auth.SessionStore, opts ...auth.Option) *covettest.Client {
	t.Helper()
	base := []auth.Option{auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithInsecureCookie(), auth.WithSessions(store, sessionSecret)}
	a := auth.New(append(base, opts...)...)
	app := covet.New(covet.WithLogger(quietLogger()))
	app.GET("/form", func(c *covet.Context) error { return c.Text(200, auth.CSRFToken(c)) })
	app.POST("/login", func(c *covet.Context) error {
		if _, err := a.StartSession(c, c.Request().FormValue("user")); err != nil {
			return err
		}
		if err := a.SaveSession(c); err != nil {
			return err
		}
		// A token rendered after sign-in, in the same response, is the
		// new cookie's.
		return c.Text(200, auth.CSRFToken(c))
	}).Use(auth.CSRF())
	app.POST("/logout", func(c *covet.Context) error {
		if err := a.EndSession(c); err != nil {
			return err
		}
		return c.Text(200, auth.CSRFToken(c))
	}).Use(auth.CSRF())
	app.POST("/note", func(c *covet.Context) error { return c.Text(200, "noted by "+auth.UserID(c)) }).With(auth.Required(auth.SchemeSession))
	if err := app.Install(a); err != nil {
		t.Fatal(err)
	}
	return covettest.NewServer(t, app)
}

func csrfForm(tok string, kv ...string) map[string][]string {
	f := map[string][]string{auth.CSRFFormField: {tok}}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i]] = []string{kv[i+1]}
	}
	return f
}

// TestAttackCSRFTokenFixation: a CSRF token obtained before sign-in (by
// someone at the same browser, or planted with its cookie) does not verify
// after it, nor one from before sign-out after that: the token cookie is
// replaced at both, as Django and Rails do. The stale form gets a 403
// problem that says to reload; a token rendered after works.
func TestAttackCSRFTokenFixation(t *testing.T) {
	c := csrfSessionApp(t, auth.NewMemorySessions(), auth.WithCSRF(csrfSecretA))
	before := c.Get("/form").Do().ExpectStatus(200).Text()
	after := c.Post("/login").Form(csrfForm(before, "user", "alice")).Do().ExpectStatus(200).Text()
	if after == "" || after == before {
		t.Fatalf("login rendered token %q", after)
	}

	c.Post("/note").Form(csrfForm(before)).Do().ExpectStatus(403).
		ExpectHeader("Content-Type", "application/problem+json").
		ExpectBodyContains(auth.ProblemCSRF).
		ExpectBodyContains("reload the page")
	c.Post("/note").Header(auth.CSRFHeader, before).Do().ExpectStatus(403)
	// The token rendered by the login response, and any rendered after.
	c.Post("/note").Form(csrfForm(after)).Do().ExpectStatus(200).ExpectBody("noted by alice")
	fresh := c.Get("/form").Do().ExpectStatus(200).Text()
	c.Post("/note").Header(auth.CSRFHeader, fresh).Do().ExpectStatus(200)

	// Sign-out replaces it again: a form of the signed-in pages cannot be
	// replayed against the next user of the browser.
	out := c.Post("/logout").Form(csrfForm(fresh)).Do().ExpectStatus(200).Text()
	c.Post("/login").Form(csrfForm(fresh, "user", "bob")).Do().ExpectStatus(403).ExpectBodyContains(auth.ProblemCSRF)
	c.Post("/login").Form(csrfForm(out, "user", "bob")).Do().ExpectStatus(200)
}

// TestCSRFRotatedBySetTokenCookie: with access-token cookies, a sign-in
// (SetTokenCookie for a user the request is not authenticated as) and a
// sign-out (ClearTokenCookie) replace the CSRF cookie; a renewal of the
// same user's cookie on a guarded route does not, so open forms keep
// working across a silent refresh.
func TestCSRFRotatedBySetTokenCookie(t *testing.T) {
	app, a, _ := newApp(t, auth.WithCookie("at"), auth.WithInsecureCookie(), auth.WithCSRF(csrfSecretA))
	app.GET("/form", func(c *covet.Context) error { return c.Text(200, auth.CSRFToken(c)) })
	app.POST("/signin", func(c *covet.Context) error {
		tok, err := a.Issue(c.Request().FormValue("user"))
		if err != nil {
			return err
		}
		a.SetTokenCookie(c, tok)
		return c.NoContent(204)
	}).Use(auth.CSRF())
	app.POST("/renew", func(c *covet.Context) error {
		tok, err := a.Issue(auth.UserID(c))
		if err != nil {
			return err
		}
		a.SetTokenCookie(c, tok)
		return c.NoContent(204)
	}).With(auth.Required())
	app.POST("/signout", func(c *covet.Context) error { a.ClearTokenCookie(c); return c.NoContent(204) }).With(auth.Required())
	app.POST("/save", func(c *covet.Context) error { return c.Text(200, "saved") }).With(auth.Required())
	c := covettest.NewServer(t, app)

	before := c.Get("/form").Do().ExpectStatus(200).Text()
	c.Post("/signin").Form(csrfForm(before, "user", "alice")).Do().ExpectStatus(204)
	c.Post("/save").Form(csrfForm(before)).Do().ExpectStatus(403).ExpectBodyContains(auth.ProblemCSRF)

	tok := c.Get("/form").Do().ExpectStatus(200).Text()
	c.Post("/renew").Form(csrfForm(tok)).Do().ExpectStatus(204)
	c.Post("/save").Form(csrfForm(tok)).Do().ExpectStatus(200).ExpectBody("saved")

	c.Post("/signout").Form(csrfForm(tok)).Do().ExpectStatus(204)
	// Signed in again by hand with a cookie; the old form is dead.
	c.SetCookie(&http.Cookie{Name: "at", Value: authtest.Token(t, a, "alice")})
	c.Post("/save").Form(csrfForm(tok)).Do().ExpectStatus(403)
}

// TestCSRFSecretRotation: with WithPreviousCSRFSecrets, tokens rendered
// with the previous secret still verify (forms open during a deploy), new
// ones are made with the current secret, and without the option the
// previous secret's tokens are refused.
func TestCSRFSecretRotation(t *testing.T) {
	render := func(app *covet.App) (cookie *http.Cookie, tok string) {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/form", nil))
		for _, ck := range rec.Result().Cookies() {
			if ck.Name == "csrf" {
				cookie = ck
			}
		}
		if cookie == nil {
			t.Fatalf("no csrf cookie: %q", rec.Result().Header.Values("Set-Cookie"))
		}
		return cookie, rec.Body.String()
	}
	post := func(app *covet.App, ck *http.Cookie, tok string) int {
		r := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader(""))
		r.AddCookie(ck)
		r.Header.Set(auth.CSRFHeader, tok)
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, r)
		return rec.Code
	}
	newFormApp := func(opts ...auth.Option) *covet.App {
		app, _, _ := newApp(t, opts...)
		app.GET("/form", func(c *covet.Context) error { return c.Text(200, auth.CSRFToken(c)) })
		app.POST("/form", func(c *covet.Context) error { return c.NoContent(204) }).Use(auth.CSRF())
		return app
	}
	old := newFormApp(auth.WithInsecureCookie(), auth.WithCSRF(csrfSecretA))
	rotated := newFormApp(auth.WithInsecureCookie(), auth.WithCSRF(csrfSecretB, auth.WithPreviousCSRFSecrets(csrfSecretA)))
	only := newFormApp(auth.WithInsecureCookie(), auth.WithCSRF(csrfSecretB))

	ck, tok := render(old)
	if got := post(rotated, ck, tok); got != 204 {
		t.Errorf("previous secret's token after rotation: %d, want 204", got)
	}
	if got := post(only, ck, tok); got != 403 {
		t.Errorf("previous secret's token without WithPreviousCSRFSecrets: %d, want 403", got)
	}
	ck, tok = render(rotated)
	if got := post(only, ck, tok); got != 204 {
		t.Errorf("rotated app's token made with the current secret: %d, want 204", got)
	}
	if got := post(old, ck, tok); got != 403 {
		t.Errorf("rotated app's token verified with the previous secret: %d, want 403", got)
	}

	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithCSRF(csrfSecretB, auth.WithPreviousCSRFSecrets([]byte("short"))))
	if err := covet.New(covet.WithLogger(quietLogger())).Install(a); err == nil || !strings.Contains(err.Error(), "WithPreviousCSRFSecrets") {
		t.Fatalf("short previous secret: %v", err)
	}
}

// TestSessionSecretRotation: with WithPreviousSessionSecrets, a session
// cookie signed with the previous secret still logs in, and the response
// signs it again with the current one; without the option it is refused.
func TestSessionSecretRotation(t *testing.T) {
	store := auth.NewMemorySessions()
	newSessionApp := func(sessSecret []byte, opts ...auth.SessionOption) *covet.App {
		a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithInsecureCookie(), auth.WithSessions(store, sessSecret, opts...))
		app := covet.New(covet.WithLogger(quietLogger()))
		app.POST("/login", func(c *covet.Context) error {
			if _, err := a.StartSession(c, "alice"); err != nil {
				return err
			}
			return a.SaveSession(c)
		})
		app.GET("/home", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required(auth.SchemeSession))
		if err := app.Install(a); err != nil {
			t.Fatal(err)
		}
		return app
	}
	newSecret := []byte("session-secret-NEW-session-secre")
	old := newSessionApp(sessionSecret)
	rotated := newSessionApp(newSecret, auth.WithPreviousSessionSecrets(sessionSecret))
	only := newSessionApp(newSecret)

	rec := httptest.NewRecorder()
	old.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/login", nil))
	var ck *http.Cookie
	for _, x := range rec.Result().Cookies() {
		if x.Name == "session" {
			ck = x
		}
	}
	if ck == nil {
		t.Fatal("no session cookie")
	}
	home := func(app *covet.App, ck *http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/home", nil)
		r.AddCookie(ck)
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, r)
		return rec
	}
	if rec := home(only, ck); rec.Code != 401 {
		t.Fatalf("previous secret's cookie without WithPreviousSessionSecrets: %d", rec.Code)
	}
	rec = home(rotated, ck)
	if rec.Code != 200 || rec.Body.String() != "alice" {
		t.Fatalf("previous secret's cookie after rotation: %d %q", rec.Code, rec.Body)
	}
	var resigned *http.Cookie
	for _, x := range rec.Result().Cookies() {
		if x.Name == "session" {
			resigned = x
		}
	}
	if resigned == nil || resigned.Value == ck.Value {
		t.Fatalf("cookie not signed again with the current secret: %v", resigned)
	}
	if rec := home(only, resigned); rec.Code != 200 {
		t.Fatalf("re-signed cookie with the current secret only: %d", rec.Code)
	}
}

// TestSessionBinding: the value tmpl.WithFlashBinding binds flashes to is
// "" without a session, names the new session right after StartSession (a
// flash added at sign-in shows on the next page), is the same on an
// unguarded route that only carries the cookie, differs between sessions,
// and is "" right after EndSession (a "signed out" flash shows on the next
// page, which has no session).
func TestSessionBinding(t *testing.T) {
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithInsecureCookie(), auth.WithSessions(auth.NewMemorySessions(), sessionSecret))
	app := covet.New(covet.WithLogger(quietLogger()))
	app.POST("/login", func(c *covet.Context) error {
		before := auth.SessionBinding(c)
		if _, err := a.StartSession(c, c.Request().FormValue("user")); err != nil {
			return err
		}
		if err := a.SaveSession(c); err != nil {
			return err
		}
		return c.Text(200, before+" "+auth.SessionBinding(c))
	})
	app.GET("/public", func(c *covet.Context) error { return c.Text(200, auth.SessionBinding(c)) })
	app.GET("/home", func(c *covet.Context) error { return c.Text(200, auth.SessionBinding(c)) }).With(auth.Required(auth.SchemeSession))
	app.POST("/logout", func(c *covet.Context) error {
		if err := a.EndSession(c); err != nil {
			return err
		}
		return c.Text(200, "["+auth.SessionBinding(c)+"]")
	}).With(auth.Required(auth.SchemeSession))
	if err := app.Install(a); err != nil {
		t.Fatal(err)
	}
	alice := covettest.NewServer(t, app)
	bob := covettest.NewRemote(t, alice.URL())
	got := strings.Fields(alice.Post("/login").Form(map[string][]string{"user": {"alice"}}).Do().ExpectStatus(200).Text())
	if len(got) != 1 || got[0] == "" {
		t.Fatalf("login: binding before and after StartSession = %q, want none then one", got)
	}
	bound := got[0]
	if strings.Contains(bound, sessionCookie(alice)) || strings.Contains(sessionCookie(alice), bound) {
		t.Fatal("the binding reveals the session cookie")
	}
	alice.Get("/public").Do().ExpectStatus(200).ExpectBody(bound)
	alice.Get("/home").Do().ExpectStatus(200).ExpectBody(bound)
	bob.Post("/login").Form(map[string][]string{"user": {"alice"}}).Do().ExpectStatus(200)
	if other := bob.Get("/public").Do().ExpectStatus(200).Text(); other == bound || other == "" {
		t.Fatalf("another session's binding %q", other)
	}
	alice.Post("/logout").Header("Sec-Fetch-Site", "same-origin").Do().ExpectStatus(200).ExpectBody("[]")
	alice.Get("/public").Do().ExpectStatus(200).ExpectBody("")
	forged := covettest.NewRemote(t, alice.URL())
	forged.SetCookie(&http.Cookie{Name: "session", Value: "forged.signature"})
	forged.Get("/public").Do().ExpectStatus(200).ExpectBody("")
}
