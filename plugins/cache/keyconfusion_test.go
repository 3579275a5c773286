package cache

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// TestHTTPEncodedQuestionMarkIsNotAQuery: a path with an encoded '?'
// (%3F) decodes to a Path containing '?'. Keyed by the decoded path, its
// response was stored under the key of the path before the '?' with the
// rest as a query string, and served to every client asking that URL.
func TestHTTPEncodedQuestionMarkIsNotAQuery(t *testing.T) {
	ta := newTestApp(t, nil)
	ta.app.GET("/hello/{name}", func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "public, max-age=60")
		return c.Text(200, "hello "+c.Param("name"))
	})
	srv := httptest.NewServer(ta.app)
	t.Cleanup(srv.Close)
	get := func(target string) string {
		t.Helper()
		res, err := http.Get(srv.URL + target) // #nosec G107 -- the test server's URL
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := get("/hello/bob%3Fadmin=1"); got != "hello bob?admin=1" {
		t.Fatalf("attacker's request answered %q", got)
	}
	if got := get("/hello/bob?admin=1"); got != "hello bob" {
		t.Fatalf("the encoded path's response was served for the path with a query: %q", got)
	}
	// An unsafe request to the encoded path evicts its own entry, not the other.
	if w := ta.do("GET", "/hello/bob%3Fadmin=1"); w.Body.String() != "hello bob?admin=1" {
		t.Fatalf("in process: %q", w.Body)
	}
}

// TestHTTPGuardedRoutesNotShared: route guards (auth's Required, Optional,
// Roles) run inside the response cache, so a response stored for a request
// the guard let through was served to requests the guard never saw. An API
// key in its own header (not Authorization, not a cookie) made the key's
// response everyone's. Routes that declare security requirements are now
// passed through unless KeyBy says whose response it is.
func TestHTTPGuardedRoutesNotShared(t *testing.T) {
	ta := newTestApp(t, nil)
	guard := func(optional bool) covet.Middleware {
		return func(next covet.HandlerFunc) covet.HandlerFunc {
			return func(c *covet.Context) error {
				if c.Request().Header.Get("X-Api-Key") != "k-secret" && !optional {
					return covet.NewError(401, "authentication required")
				}
				return next(c)
			}
		}
	}
	secret := func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "max-age=60")
		if c.Request().Header.Get("X-Api-Key") == "k-secret" {
			return c.Text(200, "the key holder's data")
		}
		return c.Text(200, "public data")
	}
	ta.app.GET("/required", secret).Security("apiKey").Use(guard(false))
	ta.app.GET("/optional", secret).Security("").Security("apiKey").Use(guard(true))
	ta.app.GET("/guarded-for", secret).Security("apiKey").Use(guard(false)).With(Route(For(time.Minute)))
	ta.app.GET("/keyed", secret).Security("apiKey").Use(guard(false)).
		With(Route(KeyBy(func(c *covet.Context) string { return c.Request().Header.Get("X-Api-Key") })))
	srv := httptest.NewServer(ta.app)
	t.Cleanup(srv.Close)
	get := func(path, key string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("GET", srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if key != "" {
			req.Header.Set("X-Api-Key", key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, path := range []string{"/required", "/optional", "/guarded-for"} {
		if code, body := get(path, "k-secret"); code != 200 || body != "the key holder's data" {
			t.Fatalf("%s with the key: %d %q", path, code, body)
		}
		code, body := get(path, "")
		if body == "the key holder's data" {
			t.Fatalf("%s: the key holder's response served to a request without a key (%d)", path, code)
		}
		if path == "/required" && code != 401 {
			t.Fatalf("%s without a key: %d %q", path, code, body)
		}
	}
	// KeyBy still opts a guarded route in, per key.
	before := ta.h.Stats().Hits
	get("/keyed", "k-secret")
	get("/keyed", "k-secret")
	if code, _ := get("/keyed", ""); code != 401 {
		t.Fatalf("KeyBy route without a key: %d", code)
	}
	if ta.h.Stats().Hits != before+1 {
		t.Fatalf("KeyBy on a guarded route: hits %d, want %d", ta.h.Stats().Hits, before+1)
	}
}

// TestHTTPGetWithBodyNotShared: a GET with a body (a search API taking its
// query as JSON) is not answered from, nor stored in, the cache: the key
// holds no body, so the first query's results were every query's.
func TestHTTPGetWithBodyNotShared(t *testing.T) {
	ta := newTestApp(t, nil)
	ta.app.GET("/search", func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "public, max-age=60")
		b, _ := io.ReadAll(c.Request().Body)
		return c.Text(200, "results for "+string(b))
	}).With(Route(KeyBy(func(*covet.Context) string { return "everyone" })))
	ta.app.GET("/search2", func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "public, max-age=60")
		b, _ := io.ReadAll(c.Request().Body)
		return c.Text(200, "results for "+string(b))
	})
	srv := httptest.NewServer(ta.app)
	t.Cleanup(srv.Close)
	for _, path := range []string{"/search", "/search2"} {
		for _, chunked := range []bool{false, true} {
			for _, q := range []string{`{"q":"alice"}`, `{"q":"bob"}`} {
				var body io.Reader = strings.NewReader(q)
				if chunked {
					body = io.MultiReader(body) // unknown length: sent chunked
				}
				req, err := http.NewRequest("GET", srv.URL+path, body)
				if err != nil {
					t.Fatal(err)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if string(b) != "results for "+q {
					t.Fatalf("%s (chunked %v) query %s answered %q", path, chunked, q, b)
				}
			}
		}
	}
	// Without a body the route is cached as before.
	ta.do("GET", "/search2")
	n := ta.h.Stats().Hits
	ta.do("GET", "/search2")
	if ta.h.Stats().Hits != n+1 {
		t.Fatal("a GET without a body was not answered from the cache")
	}
}

// TestHTTPUpgradeNotAnsweredFromCache: a WebSocket handshake to the URL of
// a cached page (a chat page that upgrades on the same path) reaches the
// handler; it got the stored page, and the socket never opened.
func TestHTTPUpgradeNotAnsweredFromCache(t *testing.T) {
	ta := newTestApp(t, nil)
	ta.app.GET("/chat", func(c *covet.Context) error {
		if c.Request().Header.Get("Upgrade") != "" {
			c.SetHeader("Cache-Control", "no-store")
			return c.Text(http.StatusOK, "upgrade")
		}
		return c.Text(200, "chat page")
	}).With(Route(For(time.Minute)))
	ta.do("GET", "/chat")
	if w := ta.do("GET", "/chat"); w.Body.String() != "chat page" || w.Header().Get("Age") == "" {
		t.Fatalf("page not cached: %q %v", w.Body, w.Header())
	}
	if w := ta.do("GET", "/chat", "Connection", "Upgrade", "Upgrade", "websocket"); w.Body.String() != "upgrade" {
		t.Fatalf("handshake answered from the cache: %q", w.Body)
	}
}
