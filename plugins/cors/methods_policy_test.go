package cors_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/cors"
)

// TestPreflightListsOnlyMethodsThePolicyAllows: browsers cache a preflight
// answer per method it lists (Access-Control-Allow-Methods, for Max-Age).
// A path whose GET is open to more origins than its DELETE listed DELETE in
// the answer to a GET preflight from an origin only GET allows, so that
// origin's later DELETE went out without a preflight, credentials and all.
func TestPreflightListsOnlyMethodsThePolicyAllows(t *testing.T) {
	app := covet.New()
	h := func(c *covet.Context) error { return c.Text(http.StatusOK, "ok") }
	app.GET("/docs/{id}", h).With(cors.Override(cors.WithOrigins("https://*.example.com")))
	app.DELETE("/docs/{id}", h)
	app.PUT("/docs/{id}", h).With(cors.Override(cors.WithOrigins("https://*.example.com"), cors.WithMethods("PUT")))
	if err := app.Install(cors.New(
		cors.WithOrigins("https://admin.example.com"),
		cors.WithCredentials(true),
		cors.WithHeaders("X-Custom"),
		cors.WithMaxAge(time.Hour),
	)); err != nil {
		t.Fatal(err)
	}
	c := covettest.NewServer(t, app)
	preflight := func(origin, method string) *covettest.Response {
		return c.Options("/docs/7").Header("Origin", origin).
			Header("Access-Control-Request-Method", method).Header("Access-Control-Request-Headers", "x-custom").Do()
	}
	methods := func(res *covettest.Response) []string {
		var out []string
		for _, m := range strings.Split(res.Header.Get("Access-Control-Allow-Methods"), ",") {
			if m = strings.TrimSpace(m); m != "" {
				out = append(out, m)
			}
		}
		return out
	}
	// blog.example.com may GET and PUT, never DELETE.
	for _, m := range []string{"GET", "PUT"} {
		res := preflight("https://blog.example.com", m)
		if res.Header.Get("Access-Control-Allow-Origin") != "https://blog.example.com" {
			t.Fatalf("%s preflight from an allowed origin: %d %v", m, res.StatusCode, res.Header)
		}
		got := methods(res)
		for _, x := range got {
			if x == "DELETE" {
				t.Errorf("%s preflight from blog.example.com lists DELETE (%v): the browser caches it and sends DELETE without asking", m, got)
			}
		}
		if !contains(got, m) {
			t.Errorf("%s preflight does not list %s: %v", m, m, got)
		}
	}
	if res := preflight("https://blog.example.com", "DELETE"); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("DELETE preflight from blog.example.com allowed: %v", res.Header)
	}
	// The admin origin (base policy, and inside the wildcard) may use every method.
	for _, m := range []string{"DELETE", "GET"} {
		res := preflight("https://admin.example.com", m)
		if got := methods(res); !contains(got, "DELETE") || !contains(got, "GET") {
			t.Errorf("%s preflight from admin.example.com: %v", m, got)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestPreflightOfAMixedPathIsNotCached: a header entry of the browser's
// preflight cache holds for every method, and a POST needs no method entry,
// so a cached answer allowing Content-Type on a path whose GET is open to
// an origin let that origin POST JSON, with credentials and without a
// preflight, to the path's POST route whose policy refuses it. A path
// whose routes have different policies gets Access-Control-Max-Age: 0;
// a path with one policy keeps the configured Max-Age.
func TestPreflightOfAMixedPathIsNotCached(t *testing.T) {
	app := covet.New()
	h := func(c *covet.Context) error { return c.Text(http.StatusOK, "ok") }
	open := cors.Override(cors.WithOrigins("https://*.example.com"))
	app.GET("/notes/{id}", h).With(open)
	app.POST("/notes/{id}", h)
	app.GET("/pages/{id}", h).With(open)
	app.PUT("/pages/{id}", h).With(open)
	app.GET("/plain", h)
	app.POST("/plain", h)
	if err := app.Install(cors.New(
		cors.WithOrigins("https://admin.example.com"),
		cors.WithCredentials(true),
		cors.WithHeaders("Content-Type", "X-Custom"),
		cors.WithMaxAge(time.Hour),
	)); err != nil {
		t.Fatal(err)
	}
	c := covettest.NewServer(t, app)
	for _, tt := range []struct{ path, origin, method, maxAge string }{
		{"/notes/1", "https://blog.example.com", "GET", "0"},
		{"/notes/1", "https://admin.example.com", "POST", "0"},
		{"/pages/1", "https://blog.example.com", "PUT", "3600"},
		{"/plain", "https://admin.example.com", "POST", "3600"},
	} {
		res := c.Options(tt.path).Header("Origin", tt.origin).Header("Access-Control-Request-Method", tt.method).
			Header("Access-Control-Request-Headers", "content-type").Do()
		if res.Header.Get("Access-Control-Allow-Origin") != tt.origin {
			t.Fatalf("%s %s from %s not answered: %d %v", tt.method, tt.path, tt.origin, res.StatusCode, res.Header)
		}
		if got := res.Header.Get("Access-Control-Max-Age"); got != tt.maxAge {
			t.Errorf("%s %s from %s: Max-Age %q, want %q", tt.method, tt.path, tt.origin, got, tt.maxAge)
		}
	}
}
