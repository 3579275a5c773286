package cors_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/cors"
)

const (
	appOrigin     = "https://app.example.com"
	partnerOrigin = "https://partner.test"
)

// absent marks a header that must not be sent.
const absent = "<absent>"

// testApp builds an app with the CORS plugin and a route table that covers
// static and parameter paths, a path with its own OPTIONS route, and groups
// with an override and with CORS disabled. calls counts handler runs.
func testApp(t *testing.T, calls *int, opts ...cors.Option) *covet.App {
	t.Helper()
	app := covet.New()
	h := func(c *covet.Context) error {
		*calls++
		c.SetHeader("X-Total", "3")
		return c.Text(http.StatusOK, "ok")
	}
	app.GET("/items", h)
	app.POST("/items", h)
	app.PUT("/items/{id:int}", h)
	app.DELETE("/items/{id:int}", h)
	app.GET("/custom", h)
	app.OPTIONS("/custom", h)
	app.Group("/public").With(cors.Override(cors.WithOrigins("*"), cors.WithCredentials(false))).GET("/feed", h)
	app.Group("/admin").With(cors.Disable()).GET("/stats", h)
	partner := app.Group("/partner").With(cors.Override(cors.WithOrigins(partnerOrigin)))
	partner.PUT("/orders/{id}", h)
	partner.GET("/orders/{id}", h)
	if len(opts) == 0 {
		opts = []cors.Option{
			cors.WithOrigins(appOrigin, "https://*.example.org"),
			cors.WithCredentials(true),
			cors.WithHeaders("Content-Type", "X-Custom"),
			cors.WithExposedHeaders("X-Total"),
			cors.WithMaxAge(10 * time.Minute),
			cors.WithPrivateNetwork(true),
		}
	}
	if err := app.Install(cors.New(opts...)); err != nil {
		t.Fatal(err)
	}
	return app
}

type hdrs map[string]string

func TestHeaderRules(t *testing.T) {
	preVary := "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"
	tests := []struct {
		name        string
		method      string
		path        string
		req         hdrs
		multiOrigin bool
		wantStatus  int
		want        hdrs
		wantCalls   int
	}{
		{
			name: "preflight allowed origin", method: "OPTIONS", path: "/items",
			req:        hdrs{"Origin": appOrigin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-custom"},
			wantStatus: 204,
			want: hdrs{
				"Access-Control-Allow-Origin": appOrigin, "Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods": "GET, HEAD, POST, OPTIONS", "Access-Control-Allow-Headers": "content-type, x-custom",
				"Access-Control-Max-Age": "600", "Vary": preVary,
				"Access-Control-Expose-Headers": absent, "Access-Control-Allow-Private-Network": absent, "Allow": absent,
			},
		},
		{
			name: "preflight methods come from the router for a parameter path", method: "OPTIONS", path: "/items/42",
			req:        hdrs{"Origin": appOrigin, "Access-Control-Request-Method": "DELETE"},
			wantStatus: 204,
			want:       hdrs{"Access-Control-Allow-Origin": appOrigin, "Access-Control-Allow-Methods": "PUT, DELETE, OPTIONS", "Access-Control-Allow-Headers": absent},
		},
		{
			name: "preflight for a method the path lacks still lists the path's methods", method: "OPTIONS", path: "/items/42",
			req:        hdrs{"Origin": appOrigin, "Access-Control-Request-Method": "PATCH"},
			wantStatus: 204,
			want:       hdrs{"Access-Control-Allow-Origin": appOrigin, "Access-Control-Allow-Methods": "PUT, DELETE, OPTIONS"},
		},
		{
			name: "preflight from a disallowed origin falls through to the automatic OPTIONS answer", method: "OPTIONS", path: "/items",
			req:        hdrs{"Origin": "https://evil.test", "Access-Control-Request-Method": "POST"},
			wantStatus: 204,
			want: hdrs{
				"Access-Control-Allow-Origin": absent, "Access-Control-Allow-Methods": absent, "Access-Control-Allow-Credentials": absent,
				"Allow": "GET, HEAD, POST, OPTIONS", "Vary": preVary,
			},
		},
		{
			name: "preflight drops a header that is not allowed", method: "OPTIONS", path: "/items",
			req:        hdrs{"Origin": appOrigin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-secret"},
			wantStatus: 204,
			want:       hdrs{"Access-Control-Allow-Headers": "content-type"},
		},
		{
			name: "preflight header list with spaces and mixed case", method: "OPTIONS", path: "/items",
			req:        hdrs{"Origin": appOrigin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": " X-Custom , Content-Type"},
			wantStatus: 204,
			want:       hdrs{"Access-Control-Allow-Headers": "X-Custom, Content-Type"},
		},
		{
			name: "preflight asking for private network access", method: "OPTIONS", path: "/items",
			req:        hdrs{"Origin": appOrigin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Private-Network": "true"},
			wantStatus: 204,
			want:       hdrs{"Access-Control-Allow-Private-Network": "true"},
		},
		{
			name: "preflight for a path without routes is a 404 without CORS headers", method: "OPTIONS", path: "/nowhere",
			req:        hdrs{"Origin": appOrigin, "Access-Control-Request-Method": "GET"},
			wantStatus: 404,
			want:       hdrs{"Access-Control-Allow-Origin": absent},
		},
		{
			name: "preflight on a path with its own OPTIONS route is answered by the plugin", method: "OPTIONS", path: "/custom",
			req:        hdrs{"Origin": appOrigin, "Access-Control-Request-Method": "GET"},
			wantStatus: 204,
			want:       hdrs{"Access-Control-Allow-Origin": appOrigin, "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS"},
		},
		{
			name: "plain OPTIONS with an Origin is an actual request", method: "OPTIONS", path: "/custom",
			req:        hdrs{"Origin": appOrigin},
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": appOrigin, "Access-Control-Allow-Methods": absent, "Vary": preVary},
		},
		{
			name: "actual request from an allowed origin", method: "GET", path: "/items",
			req:        hdrs{"Origin": appOrigin},
			wantStatus: 200, wantCalls: 1,
			want: hdrs{
				"Access-Control-Allow-Origin": appOrigin, "Access-Control-Allow-Credentials": "true",
				"Access-Control-Expose-Headers": "X-Total", "Vary": "Origin",
				"Access-Control-Allow-Methods": absent, "Access-Control-Max-Age": absent,
			},
		},
		{
			name: "actual request from a disallowed origin is served without CORS headers", method: "GET", path: "/items",
			req:        hdrs{"Origin": "https://evil.test"},
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": absent, "Access-Control-Allow-Credentials": absent, "Access-Control-Expose-Headers": absent, "Vary": "Origin"},
		},
		{
			name: "same-origin or non-browser request still varies on Origin", method: "GET", path: "/items",
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": absent, "Vary": "Origin"},
		},
		{
			name: "null origin is refused unless listed", method: "GET", path: "/items",
			req:        hdrs{"Origin": "null"},
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": absent},
		},
		{
			name: "two Origin headers are refused", method: "GET", path: "/items",
			req: hdrs{"Origin": appOrigin}, multiOrigin: true,
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": absent},
		},
		{
			name: "upper-case origin matches and is echoed as sent", method: "GET", path: "/items",
			req:        hdrs{"Origin": "HTTPS://APP.Example.com"},
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": "HTTPS://APP.Example.com"},
		},
		{
			name: "wildcard matches a subdomain", method: "GET", path: "/items",
			req:        hdrs{"Origin": "https://shop.example.org"},
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": "https://shop.example.org"},
		},
		{
			name: "wildcard matches a deeper subdomain", method: "GET", path: "/items",
			req:        hdrs{"Origin": "https://eu.shop.example.org"},
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": "https://eu.shop.example.org"},
		},
		{
			name: "wildcard does not match the apex", method: "GET", path: "/items",
			req:        hdrs{"Origin": "https://example.org"},
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": absent},
		},
		{
			name: "wildcard does not match another scheme", method: "GET", path: "/items",
			req:        hdrs{"Origin": "http://shop.example.org"},
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": absent},
		},
		{
			name: "wildcard does not match another port", method: "GET", path: "/items",
			req:        hdrs{"Origin": "https://shop.example.org:8443"},
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": absent},
		},
		{
			name: "wildcard does not match a look-alike domain", method: "GET", path: "/items",
			req:        hdrs{"Origin": "https://evilexample.org"},
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": absent},
		},
		{
			name: "wildcard does not match junk in the subdomain", method: "GET", path: "/items",
			req:        hdrs{"Origin": "https://evil.test/x.example.org"},
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": absent},
		},
		{
			name: "405 answers carry CORS headers so the page can read them", method: "PATCH", path: "/items",
			req:        hdrs{"Origin": appOrigin},
			wantStatus: 405,
			want:       hdrs{"Access-Control-Allow-Origin": appOrigin, "Allow": "GET, HEAD, POST, OPTIONS"},
		},
		{
			name: "group override with any origin answers a fixed star", method: "GET", path: "/public/feed",
			req:        hdrs{"Origin": "https://anyone.test"},
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": absent, "Vary": absent, "Access-Control-Expose-Headers": "X-Total"},
		},
		{
			name: "fixed star is sent without an Origin too", method: "GET", path: "/public/feed",
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": "*", "Vary": absent},
		},
		{
			name: "preflight under the any-origin override", method: "OPTIONS", path: "/public/feed",
			req:        hdrs{"Origin": "https://anyone.test", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-custom"},
			wantStatus: 204,
			want:       hdrs{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": absent, "Access-Control-Allow-Headers": "x-custom", "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS"},
		},
		{
			name: "disabled group gets no CORS headers", method: "GET", path: "/admin/stats",
			req:        hdrs{"Origin": appOrigin},
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": absent, "Vary": absent},
		},
		{
			name: "disabled group preflight is not answered", method: "OPTIONS", path: "/admin/stats",
			req:        hdrs{"Origin": appOrigin, "Access-Control-Request-Method": "GET"},
			wantStatus: 204,
			want:       hdrs{"Access-Control-Allow-Origin": absent, "Allow": "GET, HEAD, OPTIONS"},
		},
		{
			name: "override origin list replaces the app's", method: "OPTIONS", path: "/partner/orders/7",
			req:        hdrs{"Origin": partnerOrigin, "Access-Control-Request-Method": "PUT"},
			wantStatus: 204,
			want:       hdrs{"Access-Control-Allow-Origin": partnerOrigin, "Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Methods": "GET, HEAD, PUT, OPTIONS"},
		},
		{
			name: "override refuses the app's origin", method: "OPTIONS", path: "/partner/orders/7",
			req:        hdrs{"Origin": appOrigin, "Access-Control-Request-Method": "PUT"},
			wantStatus: 204,
			want:       hdrs{"Access-Control-Allow-Origin": absent, "Allow": "GET, HEAD, PUT, OPTIONS"},
		},
		{
			name: "override applies to actual requests", method: "GET", path: "/partner/orders/7",
			req:        hdrs{"Origin": partnerOrigin},
			wantStatus: 200, wantCalls: 1,
			want: hdrs{"Access-Control-Allow-Origin": partnerOrigin, "Access-Control-Expose-Headers": "X-Total"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			app := testApp(t, &calls)
			req := covettest.New(t, app).Request(tt.method, tt.path)
			for k, v := range tt.req {
				req.Header(k, v)
			}
			if tt.multiOrigin {
				req.AddHeader("Origin", "https://evil.test")
			}
			res := req.Do().ExpectStatus(tt.wantStatus)
			for k, v := range tt.want {
				if v == absent {
					res.ExpectNoHeader(k)
					continue
				}
				if got := strings.Join(res.Header.Values(k), ", "); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if calls != tt.wantCalls {
				t.Errorf("handler ran %d times, want %d", calls, tt.wantCalls)
			}
		})
	}
}

func TestPolicyOptions(t *testing.T) {
	pre := func(t *testing.T, app *covet.App, origin string, extra hdrs) *covettest.Response {
		req := covettest.New(t, app).Options("/items").Header("Origin", origin).Header("Access-Control-Request-Method", "PUT")
		for k, v := range extra {
			req.Header(k, v)
		}
		return req.Do()
	}
	tests := []struct {
		name   string
		opts   []cors.Option
		origin string
		extra  hdrs
		want   hdrs
	}{
		{
			name: "methods option restricts the router's list", opts: []cors.Option{cors.WithOrigins(appOrigin), cors.WithMethods("GET", "PUT")},
			origin: appOrigin, want: hdrs{"Access-Control-Allow-Methods": "GET"},
		},
		{
			// Browsers never send a scheme's default port in Origin: a
			// listed ":443" must not make the entry dead.
			name: "an origin listed with its default port matches", opts: []cors.Option{cors.WithOrigins("https://app.example.com:443", "http://*.example.org:80")},
			origin: "https://app.example.com", want: hdrs{"Access-Control-Allow-Origin": "https://app.example.com"},
		},
		{
			name: "a wildcard listed with its default port matches", opts: []cors.Option{cors.WithOrigins("https://app.example.com:443", "http://*.example.org:80")},
			origin: "http://a.example.org", want: hdrs{"Access-Control-Allow-Origin": "http://a.example.org"},
		},
		{
			name: "max-age zero sends no header", opts: []cors.Option{cors.WithOrigins(appOrigin)},
			origin: appOrigin, want: hdrs{"Access-Control-Max-Age": absent},
		},
		{
			name: "negative max-age turns the cache off", opts: []cors.Option{cors.WithOrigins(appOrigin), cors.WithMaxAge(-1)},
			origin: appOrigin, want: hdrs{"Access-Control-Max-Age": "0"},
		},
		{
			name: "max-age rounds up to whole seconds", opts: []cors.Option{cors.WithOrigins(appOrigin), cors.WithMaxAge(1500 * time.Millisecond)},
			origin: appOrigin, want: hdrs{"Access-Control-Max-Age": "2"},
		},
		{
			name: "any header echoes the request", opts: []cors.Option{cors.WithOrigins(appOrigin), cors.WithCredentials(true), cors.WithHeaders("*")},
			origin: appOrigin, extra: hdrs{"Access-Control-Request-Headers": "authorization,x-anything"},
			want: hdrs{"Access-Control-Allow-Headers": "authorization, x-anything", "Access-Control-Allow-Origin": appOrigin},
		},
		{
			name: "default headers allow a JSON content type", opts: []cors.Option{cors.WithOrigins(appOrigin)},
			origin: appOrigin, extra: hdrs{"Access-Control-Request-Headers": "content-type"},
			want: hdrs{"Access-Control-Allow-Headers": "content-type"},
		},
		{
			name: "private network access not granted unless enabled", opts: []cors.Option{cors.WithOrigins(appOrigin)},
			origin: appOrigin, extra: hdrs{"Access-Control-Request-Private-Network": "true"},
			want: hdrs{"Access-Control-Allow-Private-Network": absent, "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"},
		},
		{
			name: "null origin allowed when listed", opts: []cors.Option{cors.WithOrigins("null")},
			origin: "null", want: hdrs{"Access-Control-Allow-Origin": "null"},
		},
		{
			name: "origin function decides", opts: []cors.Option{cors.WithOriginFunc(func(_ *covet.Context, o string) bool { return strings.HasSuffix(o, ".partner.test") })},
			origin: "https://eu.partner.test", want: hdrs{"Access-Control-Allow-Origin": "https://eu.partner.test"},
		},
		{
			name: "origin function refusal", opts: []cors.Option{cors.WithOriginFunc(func(_ *covet.Context, o string) bool { return strings.HasSuffix(o, ".partner.test") })},
			origin: "https://evil.test", want: hdrs{"Access-Control-Allow-Origin": absent},
		},
		{
			name: "origin function is not asked about null", opts: []cors.Option{cors.WithOriginFunc(func(*covet.Context, string) bool { return true })},
			origin: "null", want: hdrs{"Access-Control-Allow-Origin": absent},
		},
		{
			name: "star without credentials", opts: []cors.Option{cors.WithOrigins("*")},
			origin: "https://anyone.test", want: hdrs{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": absent},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			app := testApp(t, &calls, tt.opts...)
			res := pre(t, app, tt.origin, tt.extra)
			for k, v := range tt.want {
				if v == absent {
					res.ExpectNoHeader(k)
					continue
				}
				if got := strings.Join(res.Header.Values(k), ", "); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		opts    []cors.Option
		wantErr string
	}{
		{"no origin", nil, "no origin is allowed"},
		{"star with credentials", []cors.Option{cors.WithOrigins("*"), cors.WithCredentials(true)}, `origin "*" cannot be combined with credentials`},
		{"exposed star with credentials", []cors.Option{cors.WithOrigins(appOrigin), cors.WithCredentials(true), cors.WithExposedHeaders("*")}, `exposed header "*"`},
		{"origin with a path", []cors.Option{cors.WithOrigins("https://app.example.com/")}, "must not have a path"},
		{"origin without a scheme", []cors.Option{cors.WithOrigins("app.example.com")}, "is not scheme://host[:port]"},
		{"origin with a bad port", []cors.Option{cors.WithOrigins("https://app.example.com:99999")}, "invalid host or port"},
		{"wildcard without a scheme", []cors.Option{cors.WithOrigins("*.example.com")}, "must be scheme://*.domain[:port]"},
		{"wildcard of a top-level domain", []cors.Option{cors.WithOrigins("https://*.com")}, "at least two labels"},
		{"wildcard in the middle", []cors.Option{cors.WithOrigins("https://app.*.example.com")}, "must be scheme://*.domain[:port]"},
		{"bare wildcard host", []cors.Option{cors.WithOrigins("https://*")}, "must be scheme://*.domain[:port]"},
		{"invalid method", []cors.Option{cors.WithOrigins(appOrigin), cors.WithMethods("GE T")}, "invalid method"},
		{"invalid header", []cors.Option{cors.WithOrigins(appOrigin), cors.WithHeaders("X:Bad")}, "invalid header name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := covet.New().Install(cors.New(tt.opts...))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Install error = %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(strings.TrimPrefix(err.Error(), `covet: install plugin "cors": `), "cors: ") {
				t.Errorf("error %q is not prefixed with the package name", err)
			}
		})
	}
}

func TestInvalidOverrideFailsBeforeServing(t *testing.T) {
	app := covet.New()
	app.GET("/x", func(c *covet.Context) error { return nil }).With(cors.Override(cors.WithOrigins("*"), cors.WithCredentials(true)))
	if err := app.Install(cors.New(cors.WithOrigins(appOrigin))); err != nil {
		t.Fatal(err)
	}
	err := app.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "GET /x") || !strings.Contains(err.Error(), "credentials") {
		t.Fatalf("Start error = %v, want the route and the reason", err)
	}
}

func TestMiddlewarePanicsOnInvalidConfig(t *testing.T) {
	defer func() {
		if v := recover(); v == nil || !strings.Contains(v.(string), "cors: no origin is allowed") {
			t.Fatalf("recovered %v, want the configuration error", v)
		}
	}()
	cors.Middleware()
}

// TestMiddlewareWithoutPlugin checks the plain middleware at app level:
// preflights, overrides (without the RouteObserver hook that validates them
// up front) and actual requests behave as with the plugin.
func TestMiddlewareWithoutPlugin(t *testing.T) {
	app := covet.New()
	app.Use(cors.Middleware(cors.WithOrigins(appOrigin)))
	ok := func(c *covet.Context) error { return c.Text(200, "ok") }
	app.PUT("/a", ok)
	app.Group("/b").With(cors.Override(cors.WithOrigins(partnerOrigin))).PUT("/x", ok)
	client := covettest.New(t, app)
	client.Options("/a").Header("Origin", appOrigin).Header("Access-Control-Request-Method", "PUT").Do().
		ExpectStatus(204).ExpectHeader("Access-Control-Allow-Origin", appOrigin).ExpectHeader("Access-Control-Allow-Methods", "PUT, OPTIONS")
	client.Options("/b/x").Header("Origin", appOrigin).Header("Access-Control-Request-Method", "PUT").Do().
		ExpectStatus(204).ExpectNoHeader("Access-Control-Allow-Origin")
	client.Options("/b/x").Header("Origin", partnerOrigin).Header("Access-Control-Request-Method", "PUT").Do().
		ExpectStatus(204).ExpectHeader("Access-Control-Allow-Origin", partnerOrigin)
	client.Put("/a").Header("Origin", appOrigin).Do().ExpectStatus(200).ExpectHeader("Access-Control-Allow-Origin", appOrigin)
}

// TestVaryMerges checks that Vary values set around CORS are kept: one set
// by middleware outside it (at covet.PhaseObserve, the one phase outside
// CORS, added after the plugin) and one the handler adds.
func TestVaryMerges(t *testing.T) {
	app := covet.New()
	app.GET("/a", func(c *covet.Context) error {
		c.Response().Header().Add("Vary", "Accept")
		return c.Text(200, "ok")
	})
	if err := app.Install(cors.New(cors.WithOrigins(appOrigin))); err != nil {
		t.Fatal(err)
	}
	app.UseAt(covet.PhaseObserve, func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			c.Response().Header().Set("Vary", "Accept-Encoding")
			return next(c)
		}
	})
	res := covettest.New(t, app).Get("/a").Header("Origin", appOrigin).Do().ExpectStatus(200)
	if got := strings.Join(res.Header.Values("Vary"), ", "); got != "Accept-Encoding, Origin, Accept" {
		t.Errorf("Vary = %q, want %q", got, "Accept-Encoding, Origin, Accept")
	}
}

// TestHeadersOnRefusalsOfEarlierMiddleware installs CORS after app
// middleware that refuses requests (a rate limiter answering 429): the
// plugin still wraps it, so the refusal carries the CORS headers an allowed
// origin's page needs to read it, and preflights are answered before the
// limiter sees them.
func TestHeadersOnRefusalsOfEarlierMiddleware(t *testing.T) {
	app := covet.New()
	limited := 0
	app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			limited++
			c.Response().Header().Add("Vary", "Authorization")
			return covet.NewError(http.StatusTooManyRequests, "slow down").WithHeader("Retry-After", "7")
		}
	})
	app.PUT("/items", func(c *covet.Context) error { return c.Text(200, "ok") })
	if err := app.Install(cors.New(
		cors.WithOrigins(appOrigin),
		cors.WithCredentials(true),
		cors.WithExposedHeaders("Retry-After"),
	)); err != nil {
		t.Fatal(err)
	}
	client := covettest.New(t, app)
	tests := []struct {
		name   string
		method string
		req    hdrs
		status int
		want   hdrs
		// limited is whether the request reached the limiter.
		limited bool
	}{
		{
			name: "429 for an allowed origin carries the CORS headers", method: "PUT",
			req: hdrs{"Origin": appOrigin}, status: 429, limited: true,
			want: hdrs{
				"Access-Control-Allow-Origin": appOrigin, "Access-Control-Allow-Credentials": "true",
				"Access-Control-Expose-Headers": "Retry-After", "Retry-After": "7", "Vary": "Origin, Authorization",
			},
		},
		{
			name: "429 for a refused origin has none", method: "PUT",
			req: hdrs{"Origin": "https://evil.test"}, status: 429, limited: true,
			want: hdrs{"Access-Control-Allow-Origin": absent, "Access-Control-Allow-Credentials": absent, "Vary": "Origin, Authorization"},
		},
		{
			name: "preflight is answered before the limiter", method: "OPTIONS",
			req: hdrs{"Origin": appOrigin, "Access-Control-Request-Method": "PUT"}, status: 204,
			want: hdrs{"Access-Control-Allow-Origin": appOrigin, "Access-Control-Allow-Methods": "PUT, OPTIONS", "Retry-After": absent},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := limited
			req := client.Request(tt.method, "/items")
			for k, v := range tt.req {
				req.Header(k, v)
			}
			res := req.Do().ExpectStatus(tt.status)
			for k, v := range tt.want {
				if v == absent {
					res.ExpectNoHeader(k)
					continue
				}
				if got := strings.Join(res.Header.Values(k), ", "); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if got := limited > before; got != tt.limited {
				t.Errorf("request reached the limiter: %v, want %v", got, tt.limited)
			}
		})
	}
}

func TestPluginContract(t *testing.T) {
	covettest.PluginContract(t, func() covet.Plugin { return cors.New(cors.WithOrigins(appOrigin)) })
}

// TestOverrideLookupFollowsTheRouter checks that a preflight finds the
// override of exactly the route the router would pick: a converter decides
// between two routes at one position, and a static route beats a parameter.
func TestOverrideLookupFollowsTheRouter(t *testing.T) {
	app := covet.New()
	ok := func(c *covet.Context) error { return c.Text(200, "ok") }
	app.PUT("/files/{id:int}", ok).With(cors.Override(cors.WithOrigins(partnerOrigin)))
	app.PUT("/files/{name}", ok)
	app.PUT("/files/special", ok).With(cors.Disable())
	if err := app.Install(cors.New(cors.WithOrigins(appOrigin))); err != nil {
		t.Fatal(err)
	}
	client := covettest.New(t, app)
	tests := []struct {
		path, origin string
		allowed      bool
	}{
		{"/files/42", partnerOrigin, true},
		{"/files/42", appOrigin, false},
		{"/files/report", appOrigin, true},
		{"/files/report", partnerOrigin, false},
		{"/files/special", appOrigin, false},
	}
	for _, tt := range tests {
		t.Run(tt.path+" from "+tt.origin, func(t *testing.T) {
			res := client.Options(tt.path).Header("Origin", tt.origin).Header("Access-Control-Request-Method", "PUT").Do().ExpectStatus(204)
			if got := res.Header.Get("Access-Control-Allow-Origin") != ""; got != tt.allowed {
				t.Errorf("preflight allowed = %v, want %v", got, tt.allowed)
			}
		})
	}
}

// TestConcurrentFirstRequests sends preflights and actual requests from many
// goroutines to an app whose override policies are compiled on first use
// (plain middleware, no RouteObserver): every answer must be right.
func TestConcurrentFirstRequests(t *testing.T) {
	app := covet.New()
	app.Use(cors.Middleware(cors.WithOrigins(appOrigin)))
	ok := func(c *covet.Context) error { return c.Text(200, "ok") }
	app.PUT("/a/{id:int}", ok)
	app.Group("/p").With(cors.Override(cors.WithOrigins(partnerOrigin))).PUT("/{id:int}", ok)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				path, origin, want := "/a/1", appOrigin, appOrigin
				if (g+i)%2 == 1 {
					path, origin, want = "/p/1", partnerOrigin, partnerOrigin
				}
				if i%3 == 0 {
					origin, want = "https://evil.test", ""
				}
				req := httptest.NewRequest("OPTIONS", path, nil)
				req.Header.Set("Origin", origin)
				req.Header.Set("Access-Control-Request-Method", "PUT")
				rec := httptest.NewRecorder()
				app.ServeHTTP(rec, req)
				if got := rec.Header().Get("Access-Control-Allow-Origin"); got != want {
					select {
					case errs <- fmt.Sprintf("%s from %s: allow-origin %q, want %q", path, origin, got, want):
					default:
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
