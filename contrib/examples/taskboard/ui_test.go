package main

import (
	"bytes"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/ratelimit"
	"github.com/covetgo/covet/plugins/tmpl"
)

// TestAssetsUpToDate: the embedded web/dist is what esbuild makes of
// web/assets today (TASKBOARD_UPDATE_ASSETS=1 rewrites it: go generate).
func TestAssetsUpToDate(t *testing.T) {
	dir := t.TempDir()
	if err := tmpl.NewAssets("web/assets", []string{"app.js", "app.css"}).WriteTo(dir); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("TASKBOARD_UPDATE_ASSETS") == "1" {
		if err := os.RemoveAll("web/dist"); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS("web/dist", os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
	}
	built, _ := filepath.Glob(filepath.Join(dir, "*"))
	embedded, _ := filepath.Glob("web/dist/*")
	if len(built) != len(embedded) {
		t.Fatalf("web/dist has %d files, a build makes %d: run go generate", len(embedded), len(built))
	}
	for _, f := range built {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join("web/dist", filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("web/dist/%s is stale: run go generate (%v)", filepath.Base(f), err)
		}
	}
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// hxCSRFRe finds the token the layout gives htmx requests.
var hxCSRFRe = regexp.MustCompile(`hx-headers='\{"X-CSRF-Token": "([^"]+)"\}'`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field in %s", page)
	}
	return html.UnescapeString(m[1])
}

// uiSignIn signs Ada up through the API and in through the sign-in form.
func uiSignIn(t *testing.T, cl *covettest.Client) string {
	t.Helper()
	signUp(t, cl, "Ada", "ada@example.com")
	page := cl.Get("/login").Header("Accept", "text/html").Do().ExpectStatus(200).
		ExpectHeader("Content-Security-Policy", contentSecurityPolicy).Text()
	tok := csrfOf(t, page)
	cl.Post("/login").Form(url.Values{"csrf_token": {tok}, "email": {"ada@example.com"}, "password": {"wrong"}}).Do().
		ExpectStatus(422).ExpectBodyContains(`id="login-error"`)
	cl.Post("/login").Form(url.Values{"csrf_token": {tok}, "email": {"ada@example.com"}, "password": {"password-of-Ada"}, "next": {"https://evil.example/"}}).Do().
		ExpectStatus(303).ExpectHeader("Location", "/board")
	return cl.Get("/board").Header("Accept", "text/html").Do().ExpectStatus(200).Text()
}

// TestUIFlows: sign in, create with an invalid then a valid form (htmx
// fragments, 422 inline errors), edit inline, filter, delete, German, CSRF.
func TestUIFlows(t *testing.T) {
	app, err := NewApp(Config{DatabaseURL: ormtest.SQLite(t).DSN, Logger: slog.New(slog.DiscardHandler), WriteLimit: ratelimit.PerSecond(1000)})
	if err != nil {
		t.Fatal(err)
	}
	covettest.Start(t, app)
	cl := covettest.NewServer(t, app)
	cl.Get("/board").Header("Accept", "text/html").Do().ExpectStatus(303).ExpectHeader("Location", "/login?next=/board")
	page := uiSignIn(t, cl)
	if !strings.Contains(page, `<span id="who">Ada</span>`) || !strings.Contains(page, `0 tasks`) {
		t.Fatalf("board: %s", page)
	}
	tok := csrfOf(t, page)
	hx := func(r *covettest.Request) *covettest.Request {
		return r.Header("HX-Request", "true").Header("X-CSRF-Token", tok)
	}
	r := hx(cl.Post("/board/tasks")).Form(url.Values{"title": {"ab"}, "priority": {"9"}}).Do().ExpectStatus(422)
	if body := r.Text(); !strings.Contains(body, `id="title-error"`) || !strings.Contains(body, `value="ab"`) ||
		!strings.Contains(body, `id="priority-error"`) || strings.Contains(body, "<html") {
		t.Fatalf("422 fragment: %s", body)
	}
	r = hx(cl.Post("/board/tasks")).Form(url.Values{"title": {"<script>alert(1)</script>"}, "priority": {"2"}}).Do().ExpectStatus(200)
	if r.Header.Get("HX-Trigger") == "" || strings.Contains(r.Text(), "alert(1)") {
		t.Fatalf("created: %v %s", r.Header, r.Text())
	}
	list := hx(cl.Get("/board/tasks")).Do().ExpectStatus(200).ExpectHeader("Vary", "HX-Request, HX-Boosted, HX-History-Restore-Request").Text()
	if !strings.Contains(list, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(list, "1 task") {
		t.Fatalf("list: %s", list)
	}
	// Inline edit: the row's form, a 422 with the error, then the saved row.
	cl.Get("/board/tasks/1/edit").Header("HX-Request", "true").Do().ExpectStatus(200).ExpectBodyContains(`hx-put="/board/tasks/1"`)
	hx(cl.Put("/board/tasks/1")).Form(url.Values{"title": {"x"}, "status": {"doing"}, "priority": {"2"}}).Do().
		ExpectStatus(422).ExpectBodyContains(`class="error"`)
	hx(cl.Put("/board/tasks/1")).Form(url.Values{"title": {"Renamed"}, "status": {"doing"}, "priority": {"2"}}).Do().
		ExpectStatus(200).ExpectBodyContains(`<td class="title">Renamed</td>`)
	hx(cl.Get("/board/tasks")).Query("status", "done").Do().ExpectStatus(200).ExpectBodyContains("0 tasks")
	hx(cl.Get("/board/tasks")).Query("q", "renam").Do().ExpectStatus(200).ExpectBodyContains("Renamed")
	// Without the CSRF token the session's write is refused.
	cl.Post("/board/tasks").Header("HX-Request", "true").Form(url.Values{"title": {"forged"}}).Do().ExpectStatus(403)
	// German: the cookie the language links set.
	cl.Get("/lang/de").Do().ExpectStatus(303)
	de := cl.Get("/board").Header("Accept", "text/html").Do().ExpectStatus(200).Text()
	if !strings.Contains(de, "Neue Aufgabe") || !strings.Contains(de, `lang="de"`) || !strings.Contains(de, "in Arbeit") {
		t.Fatalf("German board: %s", de)
	}
	hx(cl.Post("/board/tasks")).Form(url.Values{"title": {"ab"}}).Do().ExpectStatus(422).ExpectBodyContains("muss mindestens 3 Zeichen lang sein")
	// The page gives htmx requests a CSRF token that works; masked, it
	// differs from every other render of the token (BREACH).
	m := hxCSRFRe.FindStringSubmatch(de)
	if m == nil {
		t.Fatalf("the page does not give htmx requests the CSRF token: %s", de)
	}
	if hxTok := html.UnescapeString(m[1]); hxTok == tok || hxTok == csrfOf(t, de) {
		t.Errorf("the CSRF token %q is rendered unchanged in two places: not masked", hxTok)
	} else {
		cl.Post("/board/tasks").Header("HX-Request", "true").Header("X-CSRF-Token", hxTok).Form(url.Values{"title": {"ab"}}).Do().ExpectStatus(422)
	}
	hx(cl.Delete("/board/tasks/1")).Do().ExpectStatus(200)
	cl.Get("/api/v1/tasks/1").Do().ExpectStatus(404)
	// Someone else's task: no edit, 403.
	_, bob := signUp(t, cl, "Bob", "bob@example.com")
	cl.Post("/api/v1/tasks").Header("Authorization", bob).JSON(map[string]any{"title": "Bob's"}).Do().ExpectStatus(201)
	hx(cl.Get("/board/tasks")).Do().ExpectStatus(200)
	cl.Get("/board/tasks/2/edit").Header("HX-Request", "true").Do().ExpectStatus(403)
}

// TestErrorPages: browsers get HTML error pages, API clients problem+json.
func TestErrorPages(t *testing.T) {
	_, cl := startApp(t, ormtest.SQLite(t).DSN)
	r := cl.Get("/no/such/page").Header("Accept", "text/html,application/xhtml+xml").Do().ExpectStatus(404).
		ExpectHeader("Content-Security-Policy", contentSecurityPolicy)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(r.Text(), `<h1 id="error-title">404 Not Found</h1>`) {
		t.Fatalf("HTML 404: %v %s", r.Header, r.Text())
	}
	cl.Get("/no/such/page").Header("Accept", "text/html").Header("Cookie", "lang=de").Do().ExpectStatus(404).ExpectBodyContains("Nicht gefunden")
	cl.Get("/no/such/page").Header("Accept", "application/json").Do().ExpectStatus(404).ExpectHeader("Content-Type", "application/problem+json")
	cl.Get("/api/v1/tasks/99").Header("Accept", "text/html").Do().ExpectStatus(404).ExpectHeader("Content-Type", "application/problem+json")
	cl.Get("/").Header("Accept", "text/html").Do().ExpectStatus(303).ExpectHeader("Location", "/board")
}

// TestUIFlashAcrossInstances: the flash cookie is signed with a key derived
// from Config.Secret, so behind a load balancer the flash a create on one
// instance sets shows on another with the same secret in the same browser
// session, not in another session, and a planted one (unsigned) is ignored.
func TestUIFlashAcrossInstances(t *testing.T) {
	dsn := ormtest.SQLite(t).DSN
	secret := []byte("taskboard-test-secret-of-32-bytes!")
	start := func() *covettest.Client {
		app, err := NewApp(Config{DatabaseURL: dsn, Secret: secret, Logger: slog.New(slog.DiscardHandler), WriteLimit: ratelimit.PerSecond(1000)})
		if err != nil {
			t.Fatal(err)
		}
		covettest.Start(t, app)
		return covettest.NewServer(t, app)
	}
	a, b := start(), start()
	tok := csrfOf(t, uiSignIn(t, a))
	a.Post("/board/tasks").Form(url.Values{"csrf_token": {tok}, "title": {"Flash me"}, "priority": {"2"}}).Do().
		ExpectStatus(303).ExpectHeader("Location", "/board")
	// The flash is bound to the browser's session (tmpl.WithFlashBinding):
	// alone, in a browser without that session, it is not shown.
	c := start()
	for _, ck := range a.Cookies("/") {
		if ck.Name == "flash" {
			c.SetCookie(ck)
		}
	}
	if page := c.Get("/login").Header("Accept", "text/html").Do().ExpectStatus(200).Text(); strings.Contains(page, "Task created.") {
		t.Fatalf("a flash shown outside the session it was signed for: %s", page)
	}
	// The browser's cookies travel together. Sessions live in each
	// instance's memory without Redis, so b does not know the session (the
	// sign-in page, guarded by auth.Optional, serves it as anonymous), but
	// the flash is bound to the session the cookie names.
	for _, ck := range a.Cookies("/") {
		b.SetCookie(ck)
	}
	if page := b.Get("/login").Header("Accept", "text/html").Do().ExpectStatus(200).Text(); !strings.Contains(page, "Task created.") {
		t.Fatalf("instance b does not show a's flash: %s", page)
	}
	// A planted, unsigned flash is not shown.
	b.SetCookie(&http.Cookie{Name: "flash", Value: "W3siayI6ImVycm9yIiwibSI6InBsYW50ZWQifV0"}) // [{"k":"error","m":"planted"}]
	if page := b.Get("/login").Header("Accept", "text/html").Do().ExpectStatus(200).Text(); strings.Contains(page, "planted") {
		t.Fatalf("a planted flash is shown: %s", page)
	}
}
