package covet_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
)

func fuzzApp() *covet.App {
	app := covet.New(quiet())
	app.GET("/", ok("root"))
	app.GET("/users/me", ok("me"))
	app.GET("/users/{id:int}", echoRoute("int"))
	app.GET("/users/{name}", echoRoute("name"))
	app.GET("/users/{name}/posts", echoRoute("posts"))
	app.GET("/files/readme", ok("readme"))
	app.GET("/files/{p:path}", echoRoute("files"))
	app.GET("/items/{id:uuid}", echoRoute("uuid"))
	app.GET("/prices/{v:float}/", echoRoute("float"))
	app.POST("/a/{x}/c", echoRoute("axc"))
	app.POST("/a/b/{y}", echoRoute("aby"))
	return app
}

// FuzzRouterMatch sends arbitrary paths and methods: routing never panics,
// never answers 5xx, and never redirects off-site.
//
//	go test -run '^$' -fuzz FuzzRouterMatch -fuzztime 60s .
func FuzzRouterMatch(f *testing.F) {
	for _, s := range []string{"/", "/users/me", "/users/42", "/users/x/posts", "/files/a/b", "//evil.com/", "/\\evil.com",
		"/users/42/", "/prices/1.5", "/a/b/c", "/a/../users/me", "/%2e%2e/", "/users/%00", "/files/"} {
		f.Add("GET", s)
		f.Add("POST", s)
	}
	app := fuzzApp()
	f.Fuzz(func(t *testing.T, method, path string) {
		if method == "" || !validToken(method) || path == "" || path[0] != '/' {
			return
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.Method = method
		req.URL = &url.URL{Path: path}
		req.RequestURI = path
		w := httptest.NewRecorder()
		app.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %q: %d %s", method, path, w.Code, w.Body)
		}
		if loc := w.Header().Get("Location"); loc != "" && (!strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\")) {
			t.Fatalf("%s %q redirected off-site to %q", method, path, loc)
		}
	})
}

func validToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", rune(c)) {
			return false
		}
	}
	return true
}

// FuzzPatternRegistration registers arbitrary patterns: a bad one panics
// with a "covet: route" message (never another panic), and a good one is
// reachable through its own reversed URL.
//
//	go test -run '^$' -fuzz FuzzPatternRegistration -fuzztime 60s .
func FuzzPatternRegistration(f *testing.F) {
	for _, s := range []string{"/", "/users/{id}", "/users/{id:int}/files/{p:path}", "/a/{x:float}/", "/{u:uuid}", "/x//y", "/{", "/{a}{b}", "/a/{b:path}/c", "/:x", "/é/{ü}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		app := covet.New(quiet())
		var registered bool
		func() {
			defer func() {
				if v := recover(); v != nil {
					if msg, ok := v.(string); !ok || !strings.HasPrefix(msg, "covet: route ") {
						t.Fatalf("pattern %q: unexpected panic %v", pattern, v)
					}
				}
			}()
			app.GET(pattern, func(c *covet.Context) error { return c.Text(200, "hit") }).Name("r")
			registered = true
		}()
		if !registered {
			return
		}
		var args []any
		for _, p := range app.Routes()[0].Params {
			v := "v1"
			switch p.Kind {
			case covet.ParamInt:
				v = "12"
			case covet.ParamFloat:
				v = "1.5"
			case covet.ParamUUID:
				v = "123e4567-e89b-12d3-a456-426614174000"
			case covet.ParamPath:
				v = "a/b"
			}
			args = append(args, p.Name, v)
		}
		u, err := app.URL("r", args...)
		if err != nil {
			t.Fatalf("pattern %q: URL: %v", pattern, err)
		}
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatalf("pattern %q: reversed URL %q does not parse: %v", pattern, u, err)
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.URL = pu
		w := httptest.NewRecorder()
		app.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Body.String() != "hit" {
			t.Fatalf("pattern %q: reversed URL %q answered %d %q", pattern, u, w.Code, w.Body)
		}
	})
}
