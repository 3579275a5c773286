package covet_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

func ok(name string) covet.HandlerFunc {
	return func(c *covet.Context) error { return c.Text(http.StatusOK, name) }
}

// mustPanic runs f and returns the panic message, failing if f returns.
func mustPanic(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		v := recover()
		if v == nil {
			t.Fatalf("expected a panic")
		}
		msg = fmt.Sprint(v)
	}()
	f()
	return ""
}

func TestRegistrationConflicts(t *testing.T) {
	tests := []struct {
		name  string
		first string
		dup   string
		want  []string
	}{
		{"same static", "/users", "/users", []string{`GET /users`, "conflicts with route GET /users registered at", "app_test.go:"}},
		{"same params other names", "/users/{id}", "/users/{name}", []string{"GET /users/{name}", "conflicts with route GET /users/{id}"}},
		{"str and default converter", "/users/{id:str}", "/users/{name}", []string{"conflicts"}},
		{"same converter", "/items/{id:int}", "/items/{n:int}", []string{"conflicts with route GET /items/{id:int}"}},
		{"same catch-all", "/files/{p:path}", "/files/{q:path}", []string{"conflicts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := covet.New()
			app.GET(tt.first, ok("a"))
			msg := mustPanic(t, func() { app.GET(tt.dup, ok("b")) })
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("panic %q does not mention %q", msg, w)
				}
			}
			// Both registration sites are named: this file twice.
			if strings.Count(msg, "app_test.go:") != 2 {
				t.Errorf("panic %q should name both registration sites", msg)
			}
		})
	}
	// Different methods never conflict.
	app := covet.New()
	app.GET("/x/{id}", ok("get"))
	app.POST("/x/{name}", ok("post"))
}

func TestInvalidPatterns(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{"users", "must start with '/'"},
		{"/users//x", "empty segment"},
		{"/users/{id", "whole segment"},
		{"/users/x{id}", "whole segment"},
		{"/users/{id:bigint}", `unknown converter "bigint"`},
		{"/files/{p:path}/x", "must be the last segment"},
		{"/a/{id}/{id}", "duplicate parameter"},
		{"/a/:id", "use {name}"},
		{"/a/*rest", "use {name}"},
		{"/a/../b", "dot segment"},
		{"/a/{}", "invalid parameter name"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			app := covet.New()
			msg := mustPanic(t, func() { app.GET(tt.pattern, ok("x")) })
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "app_test.go:") {
				t.Errorf("panic %q: want mention of %q and the registration site", msg, tt.want)
			}
		})
	}
	app := covet.New()
	msg := mustPanic(t, func() { app.Handle("BAD METHOD", "/x", ok("x")) })
	if !strings.Contains(msg, "invalid method") {
		t.Errorf("panic %q", msg)
	}
	msg = mustPanic(t, func() { app.GET("/x", nil) })
	if !strings.Contains(msg, "nil handler") {
		t.Errorf("panic %q", msg)
	}
}

func TestConvertersDoNotMatch(t *testing.T) {
	app := covet.New()
	app.GET("/n/{id:int}", echoRoute("int"))
	app.GET("/f/{x:float}", echoRoute("float"))
	app.GET("/u/{id:uuid}", echoRoute("uuid"))
	cl := covettest.New(t, app)
	for _, p := range []string{"/n/abc", "/n/-1", "/n/1.5", "/n/", "/f/1.", "/f/.5", "/f/1e5", "/u/123", "/u/123e4567-e89b-12d3-a456-42661417400Z"} {
		cl.Get(p).Do().ExpectStatus(http.StatusNotFound)
	}
	cl.Get("/n/007").Do().ExpectStatus(200).ExpectBody("int id=007")
	cl.Get("/f/3").Do().ExpectStatus(200).ExpectBody("float x=3")
	cl.Get("/u/123E4567-E89B-12D3-A456-426614174000").Do().ExpectStatus(200)
}

func TestNotFoundIsProblem(t *testing.T) {
	app := covet.New()
	app.GET("/x", ok("x"))
	p := covettest.New(t, app).Get("/nope").Do().ExpectStatus(404).Problem()
	if p.Status != 404 || p.Title != "Not Found" || p.Instance != "/nope" {
		t.Errorf("problem %+v", p)
	}
}

func TestGroups(t *testing.T) {
	app := covet.New()
	var trail []string
	mark := func(name string) covet.Middleware {
		return func(next covet.HandlerFunc) covet.HandlerFunc {
			return func(c *covet.Context) error {
				trail = append(trail, name)
				return next(c)
			}
		}
	}
	app.Use(mark("app"))
	api := app.Group("/api", mark("api"))
	v1 := api.Group("/v1")
	v1.Use(mark("v1"))
	v1.GET("/users/{id:int}", echoRoute("user"), mark("route")).Name("user.show")
	v1.GET("/", ok("v1root"))
	app.Use(mark("late-app")) // app middleware applies whatever the order
	api.With(covet.Tag("api"))

	cl := covettest.New(t, app)
	cl.Get("/api/v1/users/7").Do().ExpectStatus(200).ExpectBody("user id=7")
	if got := strings.Join(trail, ","); got != "app,late-app,api,v1,route" {
		t.Errorf("middleware order %q", got)
	}
	trail = nil
	cl.Get("/api/v1/").Do().ExpectStatus(200).ExpectBody("v1root")
	cl.Get("/api/v1").Do().ExpectStatus(301).ExpectHeader("Location", "/api/v1/")
	trail = nil
	cl.Get("/api/none").Do().ExpectStatus(404)
	if got := strings.Join(trail, ","); got != "app,late-app" {
		t.Errorf("404 should run app middleware only, ran %q", got)
	}
	var found bool
	for _, r := range app.Routes() {
		if r.Name == "user.show" {
			found = true
			if r.Pattern != "/api/v1/users/{id:int}" || r.Group != "/api/v1" || len(r.Tags) != 1 || r.Tags[0] != "api" {
				t.Errorf("route info %+v", r)
			}
			if len(r.Params) != 1 || r.Params[0].Name != "id" || r.Params[0].Kind != covet.ParamInt {
				t.Errorf("params %+v", r.Params)
			}
			if !strings.HasSuffix(r.File, "app_test.go") || r.Line == 0 {
				t.Errorf("registration site %s:%d", r.File, r.Line)
			}
		}
	}
	if !found {
		t.Fatal("named route missing from Routes()")
	}
}

func TestURLReversal(t *testing.T) {
	app := covet.New()
	app.GET("/users/{id:int}/files/{p:path}", ok("x")).Name("file")
	app.GET("/tags/{name}", ok("x")).Name("tag")
	app.GET("/", ok("x")).Name("home")
	tests := []struct {
		name  string
		args  []any
		want  string
		error string
	}{
		{"file", []any{"id", 42, "p", "a b/c.txt"}, "/users/42/files/a%20b/c.txt", ""},
		{"tag", []any{"name", "go web?"}, "/tags/go%20web%3F", ""},
		{"tag", []any{"name", "go/web"}, "", "does not fit"},
		{"home", nil, "/", ""},
		{"file", []any{"id", "x", "p", "y"}, "", "does not fit"},
		{"file", []any{"id", 1}, "", "missing parameter"},
		{"tag", []any{"name", "a", "extra", 1}, "", "unknown parameter"},
		{"nope", nil, "", "no route named"},
		{"tag", []any{"name"}, "", "odd number"},
	}
	for _, tt := range tests {
		got, err := app.URL(tt.name, tt.args...)
		if tt.error != "" {
			if err == nil || !strings.Contains(err.Error(), tt.error) {
				t.Errorf("URL(%s, %v) error %v, want %q", tt.name, tt.args, err, tt.error)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("URL(%s, %v) = %q, %v; want %q", tt.name, tt.args, got, err, tt.want)
		}
	}
	msg := mustPanic(t, func() { app.GET("/other", ok("x")).Name("tag") })
	if !strings.Contains(msg, `name "tag" is already used`) {
		t.Errorf("panic %q", msg)
	}
}

func TestMethodsHeadOptions405(t *testing.T) {
	app := covet.New()
	app.GET("/r", ok("get"))
	app.PUT("/r", ok("put"))
	app.OPTIONS("/custom", ok("custom options"))
	app.GET("/custom", ok("c"))
	cl := covettest.New(t, app)
	r := cl.Head("/r").Do().ExpectStatus(200)
	if len(r.Body) != 0 {
		t.Errorf("HEAD body %q", r.Body)
	}
	cl.Post("/r").Do().ExpectStatus(405).ExpectHeader("Allow", "GET, HEAD, PUT, OPTIONS")
	p := cl.Delete("/r").Do().ExpectStatus(405).Problem()
	if p.Status != 405 {
		t.Errorf("problem %+v", p)
	}
	cl.Options("/r").Do().ExpectStatus(204).ExpectHeader("Allow", "GET, HEAD, PUT, OPTIONS")
	cl.Options("/custom").Do().ExpectStatus(200).ExpectBody("custom options")
	if got := strings.Join(app.Methods("/r"), ","); got != "GET,HEAD,PUT,OPTIONS" {
		t.Errorf("Methods = %s", got)
	}
	if got := app.Methods("/none"); len(got) != 0 {
		t.Errorf("Methods(/none) = %v", got)
	}

	off := covet.New(covet.WithAutoOptions(false))
	off.GET("/r", ok("get"))
	covettest.New(t, off).Options("/r").Do().ExpectStatus(405).ExpectHeader("Allow", "GET, HEAD")
}

func TestCustomHandlers(t *testing.T) {
	app := covet.New(
		covet.WithNotFound(func(c *covet.Context) error { return c.Text(404, "custom 404 "+c.Request().URL.Path) }),
		covet.WithMethodNotAllowed(func(c *covet.Context) error {
			return c.Text(405, "custom 405: "+strings.Join(c.AllowedMethods(), " "))
		}),
	)
	app.GET("/x", ok("x"))
	cl := covettest.New(t, app)
	cl.Get("/y").Do().ExpectStatus(404).ExpectBody("custom 404 /y")
	cl.Post("/x").Do().ExpectStatus(405).ExpectBody("custom 405: GET HEAD OPTIONS")
}

func TestTrailingSlashPolicy(t *testing.T) {
	app := covet.New()
	app.GET("/a", ok("a"))
	app.POST("/b/", ok("b"))
	app.GET("/c/{id}", echoRoute("c"))
	cl := covettest.New(t, app)
	cl.Get("/a/").Do().ExpectStatus(301).ExpectHeader("Location", "/a")
	cl.Get("/a/?q=1").Do().ExpectStatus(301).ExpectHeader("Location", "/a?q=1")
	cl.Post("/b").Do().ExpectStatus(308).ExpectHeader("Location", "/b/")
	cl.Get("/c/1/").Do().ExpectStatus(301).ExpectHeader("Location", "/c/1")
	cl.Get("/x/../a").Do().ExpectStatus(301).ExpectHeader("Location", "/a")
	cl.Get("/./a").Do().ExpectStatus(301).ExpectHeader("Location", "/a")

	strict := covet.New(covet.WithTrailingSlash(covet.TrailingSlashStrict))
	strict.GET("/a", ok("a"))
	covettest.New(t, strict).Get("/a/").Do().ExpectStatus(404)
}

// TestNoOpenRedirect: path cleaning and trailing-slash redirects never send
// the client to another host (gin and echo shipped this bug).
func TestNoOpenRedirect(t *testing.T) {
	app := covet.New()
	app.GET("/{p:path}", echoRoute("catch"))
	app.GET("/evil.com", ok("local"))
	app.GET("/x/{a}", echoRoute("x"))
	cl := covettest.New(t, app)
	for _, p := range []string{"//evil.com", "//evil.com/", "/\\evil.com", "/%5Cevil.com", "/%5C%5Cevil.com/", "///evil.com/", "/%2F%2Fevil.com", "//evil.com/x/..", "/x//evil.com"} {
		res := cl.Get(p).Do()
		if loc := res.Header.Get("Location"); loc != "" {
			if strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") || strings.Contains(loc, "://") || !strings.HasPrefix(loc, "/") {
				t.Errorf("GET %s redirected off-site to %q", p, loc)
			}
		}
		if res.StatusCode >= 500 {
			t.Errorf("GET %s: %d", p, res.StatusCode)
		}
	}
	bare := covet.New()
	bare.GET("/evil.com/", ok("x"))
	bare.GET("/a/{b}", echoRoute("ab"))
	cl = covettest.New(t, bare)
	for _, p := range []string{"//evil.com", "/\\evil.com", "//evil.com/", "/a//evil.com"} {
		res := cl.Get(p).Do()
		if loc := res.Header.Get("Location"); strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
			t.Errorf("GET %s redirected off-site to %q", p, loc)
		}
	}
}

func TestMount(t *testing.T) {
	app := covet.New()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", r.Method, r.URL.Path)
	})
	app.Mount("/legacy", mux)
	g := app.Group("/g")
	g.Mount("/m", mux)
	cl := covettest.New(t, app)
	cl.Get("/legacy/a/b").Do().ExpectStatus(200).ExpectBody("GET /a/b")
	cl.Post("/legacy").Do().ExpectStatus(200).ExpectBody("POST /")
	cl.Delete("/g/m/x").Do().ExpectStatus(200).ExpectBody("DELETE /x")
	for _, r := range app.Routes() {
		if strings.HasPrefix(r.Pattern, "/legacy") && !r.Hidden {
			t.Errorf("mount route %s should be hidden from docs", r.Pattern)
		}
	}
}

func TestPreMiddlewareRewrites(t *testing.T) {
	app := covet.New()
	app.Pre(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			if c.Route() != nil {
				t.Error("route set before routing")
			}
			if m := c.Request().Header.Get("X-HTTP-Method-Override"); m != "" {
				r := c.Request().Clone(c.Context())
				r.Method = m
				c.SetRequest(r)
			}
			return next(c)
		}
	})
	app.DELETE("/x", ok("deleted"))
	covettest.New(t, app).Post("/x").Header("X-HTTP-Method-Override", "DELETE").Do().ExpectStatus(200).ExpectBody("deleted")
}

func quiet() covet.Option { return covet.WithLogger(slog.New(slog.DiscardHandler)) }

func TestErrorsBecomeProblems(t *testing.T) {
	app := covet.New(quiet())
	app.GET("/teapot", func(c *covet.Context) error {
		return covet.NewError(http.StatusTeapot, "short and stout").WithHeader("X-Why", "tea").WithExtension("pot", "blue")
	})
	app.GET("/internal", func(c *covet.Context) error {
		return errors.New("db password is hunter2")
	})
	app.GET("/panic", func(c *covet.Context) error { panic("secret panic detail") })
	app.GET("/wrapped", func(c *covet.Context) error {
		return fmt.Errorf("loading: %w", covet.NewError(http.StatusConflict, "version mismatch"))
	})
	cl := covettest.New(t, app)
	r := cl.Get("/teapot").Do().ExpectStatus(418).ExpectHeader("X-Why", "tea")
	var m map[string]any
	r.Decode(&m)
	if m["detail"] != "short and stout" || m["pot"] != "blue" || m["type"] != "about:blank" || m["instance"] != "/teapot" {
		t.Errorf("problem %v", m)
	}
	for _, p := range []string{"/internal", "/panic"} {
		r := cl.Get(p).Do().ExpectStatus(500)
		if strings.Contains(r.Text(), "hunter2") || strings.Contains(r.Text(), "secret") || strings.Contains(r.Text(), "goroutine") {
			t.Errorf("%s leaked internals: %s", p, r.Text())
		}
		if pr := r.Problem(); pr.Title != "Internal Server Error" {
			t.Errorf("%s problem %+v", p, pr)
		}
	}
	if pr := cl.Get("/wrapped").Do().ExpectStatus(409).Problem(); pr.Detail != "version mismatch" {
		t.Errorf("wrapped problem %+v", pr)
	}
}

func TestDevelopmentErrorPage(t *testing.T) {
	app := covet.New(covet.WithDevelopment(true), quiet())
	app.GET("/panic", func(c *covet.Context) error { panic("kaboom <script>") })
	cl := covettest.New(t, app)
	r := cl.Get("/panic").Header("Accept", "text/html").Header("Authorization", "Bearer xyz").Do().ExpectStatus(500)
	body := r.Text()
	for _, want := range []string{"kaboom &lt;script&gt;", "goroutine", "app_test.go", "GET", "/panic", "(hidden)"} {
		if !strings.Contains(body, want) {
			t.Errorf("dev page lacks %q", want)
		}
	}
	if strings.Contains(body, "xyz") || strings.Contains(body, "<script>") {
		t.Error("dev page shows the Authorization header or unescaped HTML")
	}
	// API clients still get problem+json in development.
	cl.Get("/panic").Header("Accept", "application/json").Do().ExpectStatus(500).ExpectHeader("Content-Type", "application/problem+json")
}

func TestContextMisuseDetectedInDevelopment(t *testing.T) {
	app := covet.New(covet.WithDevelopment(true))
	var kept *covet.Context
	app.GET("/", func(c *covet.Context) error { kept = c; return c.NoContent(204) })
	covettest.New(t, app).Get("/").Do().ExpectStatus(204)
	msg := mustPanic(t, func() { _ = kept.Request() })
	if !strings.Contains(msg, "used after its handler returned") {
		t.Errorf("panic %q", msg)
	}
}

type recPlugin struct {
	name    string
	log     *[]string
	fail    string
	health  covet.HealthStatus
	install func(*covet.App) error
}

func (p *recPlugin) Name() string { return p.name }
func (p *recPlugin) Install(a *covet.App) error {
	*p.log = append(*p.log, "install "+p.name)
	if p.install != nil {
		return p.install(a)
	}
	return nil
}
func (p *recPlugin) Start(context.Context) error {
	*p.log = append(*p.log, "start "+p.name)
	if p.fail == "start" {
		return errors.New("cannot start")
	}
	return nil
}
func (p *recPlugin) Stop(context.Context) error {
	*p.log = append(*p.log, "stop "+p.name)
	return nil
}
func (p *recPlugin) CheckHealth(_ context.Context, kind covet.HealthKind) covet.HealthReport {
	return covet.HealthReport{Status: p.health, Details: map[string]any{"kind": kind.String()}}
}
func (p *recPlugin) ObserveRoutes(routes []covet.RouteInfo) error {
	*p.log = append(*p.log, fmt.Sprintf("observe %s %d", p.name, len(routes)))
	return nil
}

func TestPluginLifecycle(t *testing.T) {
	var log []string
	app := covet.New(covet.WithHealth(), covet.WithHealthDetails())
	a := &recPlugin{name: "a", log: &log, health: covet.HealthOK}
	b := &recPlugin{name: "b", log: &log, health: covet.HealthDegraded, install: func(app *covet.App) error {
		app.GET("/b", ok("from b"))
		return nil
	}}
	if err := app.Install(a, b); err != nil {
		t.Fatal(err)
	}
	err := app.Install(&recPlugin{name: "a", log: &log})
	if err == nil || !strings.Contains(err.Error(), `plugin "a"`) || !strings.Contains(err.Error(), "already installed") {
		t.Errorf("duplicate install error %v", err)
	}
	// A failing install is rolled back.
	bad := &recPlugin{name: "bad", log: &log, install: func(app *covet.App) error {
		app.GET("/bad", ok("x"))
		app.Use(func(next covet.HandlerFunc) covet.HandlerFunc { return next })
		return errors.New("no config")
	}}
	if err := app.Install(bad); err == nil || !strings.Contains(err.Error(), "no config") {
		t.Errorf("failed install error %v", err)
	}
	if app.Plugin("bad") != nil {
		t.Error("failed plugin stayed installed")
	}
	cl := covettest.New(t, app)
	cl.Get("/bad").Do().ExpectStatus(404)
	cl.Get("/b").Do().ExpectStatus(200).ExpectBody("from b")
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var hr covet.HealthResponse
	cl.Get("/readyz").Do().ExpectStatus(200).Decode(&hr)
	if hr.Status != covet.HealthDegraded || hr.Plugins["a"].Status != covet.HealthOK || hr.Plugins["b"].Details["kind"] != "readiness" {
		t.Errorf("readyz %+v", hr)
	}
	if err := app.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := "install a,install b,install bad,observe a 3,observe b 3,start a,start b,stop b,stop a"
	if got := strings.Join(log, ","); got != want {
		t.Errorf("lifecycle\n got  %s\n want %s", got, want)
	}
}

func TestPluginStartFailureStopsStarted(t *testing.T) {
	var log []string
	app := covet.New()
	must(t, app.Install(&recPlugin{name: "a", log: &log}, &recPlugin{name: "b", log: &log, fail: "start"}, &recPlugin{name: "c", log: &log}))
	err := app.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), `start plugin "b"`) {
		t.Fatalf("start error %v", err)
	}
	if got := strings.Join(log, ","); !strings.HasSuffix(got, "start a,start b,stop a") {
		t.Errorf("lifecycle %s", got)
	}
}

func TestHealthDown(t *testing.T) {
	var log []string
	app := covet.New(covet.WithHealth())
	must(t, app.Install(&recPlugin{name: "db", log: &log, health: covet.HealthDown}))
	covettest.New(t, app).Get("/readyz").Do().ExpectStatus(503).ExpectHeader("Cache-Control", "no-store")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestStandardMiddlewareAdapter(t *testing.T) {
	type key struct{}
	std := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Std", "1")
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, "v")))
		})
	}
	app := covet.New()
	app.Use(covet.WrapMiddleware(std))
	app.GET("/", func(c *covet.Context) error { return c.Text(200, c.Context().Value(key{}).(string)) })
	app.GET("/err", func(c *covet.Context) error { return covet.NewError(409, "conflict") })
	app.GET("/plain", covet.WrapHandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("plain")) }))
	cl := covettest.New(t, app)
	cl.Get("/").Do().ExpectStatus(200).ExpectHeader("X-Std", "1").ExpectBody("v")
	cl.Get("/err").Do().ExpectStatus(409).ExpectHeader("X-Std", "1")
	cl.Get("/plain").Do().ExpectStatus(200).ExpectBody("plain")
}

func TestRouteFrozenAfterServing(t *testing.T) {
	app := covet.New()
	r := app.GET("/", ok("x"))
	covettest.New(t, app).Get("/").Do()
	if msg := mustPanic(t, func() { app.GET("/late", ok("x")) }); !strings.Contains(msg, "after the app started serving") {
		t.Errorf("panic %q", msg)
	}
	if msg := mustPanic(t, func() { r.Summary("late") }); !strings.Contains(msg, "changed after the app started serving") {
		t.Errorf("panic %q", msg)
	}
}

func TestGroupEmptyAndSlashPatterns(t *testing.T) {
	app := covet.New()
	g := app.Group("/tasks")
	g.GET("", ok("collection"))
	g.GET("/", ok("collection/"))
	g.GET("/{id:int}", echoRoute("one"))
	cl := covettest.New(t, app)
	cl.Get("/tasks").Do().ExpectStatus(200).ExpectBody("collection")
	cl.Get("/tasks/").Do().ExpectStatus(200).ExpectBody("collection/")
	cl.Get("/tasks/3").Do().ExpectStatus(200).ExpectBody("one id=3")
	root := covet.New()
	root.Group("").GET("", ok("root"))
	covettest.New(t, root).Get("/").Do().ExpectStatus(200).ExpectBody("root")
}

func TestWrapMiddlewareBuiltOnceAndRestores(t *testing.T) {
	type key struct{}
	built := 0
	std := func(next http.Handler) http.Handler {
		built++
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, "inner")))
		})
	}
	var outerSaw []any
	outer := func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			func() {
				defer func() { recover() }()
				_ = next(c)
			}()
			outerSaw = append(outerSaw, c.Context().Value(key{}))
			return c.Text(200, "outer done")
		}
	}
	app := covet.New(quiet())
	app.Use(outer, covet.WrapMiddleware(std))
	app.GET("/ok", func(c *covet.Context) error { return nil })
	app.GET("/panic", func(c *covet.Context) error { panic("boom") })
	cl := covettest.New(t, app)
	cl.Get("/ok").Do()
	cl.Get("/panic").Do()
	cl.Get("/ok").Do()
	if built != 1 {
		t.Errorf("standard middleware built %d times, want once", built)
	}
	for i, v := range outerSaw {
		if v != nil {
			t.Errorf("request %d: outer middleware sees the inner request's context value %v", i, v)
		}
	}
}

func TestMatchAndUseAt(t *testing.T) {
	app := covet.New()
	var order []string
	mark := func(name string) covet.Middleware {
		return func(next covet.HandlerFunc) covet.HandlerFunc {
			return func(c *covet.Context) error { order = append(order, name); return next(c) }
		}
	}
	app.Use(mark("a"))
	app.UseAt(covet.PhaseApp-1, mark("first"))
	app.Use(mark("b"))
	app.UseAt(covet.PhaseApp-2, mark("outer"))
	app.GET("/users/me", ok("me")).Name("me")
	app.GET("/users/{id:int}", ok("id")).Name("byid")
	covettest.New(t, app).Get("/users/me").Do().ExpectStatus(200)
	if got := strings.Join(order, ","); got != "outer,first,a,b" {
		t.Errorf("order %s", got)
	}
	tests := []struct{ method, path, name string }{
		{"GET", "/users/me", "me"}, {"HEAD", "/users/7", "byid"}, {"GET", "/users/x", ""}, {"POST", "/users/me", ""},
	}
	for _, tt := range tests {
		ri, ok := app.Match(tt.method, tt.path)
		if ok != (tt.name != "") || ri.Name != tt.name {
			t.Errorf("Match(%s %s) = %q %v, want %q", tt.method, tt.path, ri.Name, ok, tt.name)
		}
	}
}
