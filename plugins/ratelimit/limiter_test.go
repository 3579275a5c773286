package ratelimit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// fixedMemory returns a memory backend whose clock the test controls.
func fixedMemory(now *int64) *Memory {
	m := NewMemory()
	m.now = func() int64 { return *now }
	return m
}

func ok(c *covet.Context) error { return c.Text(200, "ok") }

func newApp(t *testing.T, lim *Limiter, routes func(app *covet.App)) *covettest.Client {
	t.Helper()
	app := covet.New(covet.WithLogger(discardLogger()))
	if routes != nil {
		routes(app)
	}
	if err := app.Install(lim); err != nil {
		t.Fatal(err)
	}
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return covettest.New(t, app)
}

func TestHeadersAndRefusal(t *testing.T) {
	now := start
	lim := New(WithBackend(fixedMemory(&now)))
	client := newApp(t, lim, func(app *covet.App) {
		app.POST("/tasks", ok).With(Apply(NewPolicy("writes", WithLimits(PerMinute(2), PerDay(100)))))
	})
	wantPolicy := `"writes.minute";q=2;w=60, "writes.day";q=100;w=86400`
	client.Post("/tasks").Do().ExpectStatus(200).
		ExpectHeader("RateLimit-Policy", wantPolicy).
		ExpectHeader("RateLimit", `"writes.minute";r=1;t=30, "writes.day";r=99;t=864`)
	now += 1_000_000
	client.Post("/tasks").Do().ExpectStatus(200).
		ExpectHeader("RateLimit", `"writes.minute";r=0;t=59, "writes.day";r=98;t=1727`)
	res := client.Post("/tasks").Do().ExpectStatus(429).
		ExpectHeader("RateLimit-Policy", wantPolicy).
		ExpectHeader("RateLimit", `"writes.minute";r=0;t=59, "writes.day";r=98;t=1727`).
		ExpectHeader("Retry-After", "29")
	p := res.Problem()
	if p.Status != 429 || p.Title != "Too Many Requests" || !strings.Contains(p.Detail, "writes.minute (2/minute) exceeded; retry in 29s") {
		t.Errorf("problem = %+v", p)
	}
	var body map[string]any
	if err := json.Unmarshal(res.Body, &body); err != nil || body["limit"] != "writes.minute" || body["retry_after"] != float64(29) {
		t.Errorf("problem extensions = %v (%v)", body, err)
	}
	if s := lim.Stats(); s.Allowed != 2 || s.Denied != 1 {
		t.Errorf("stats = %+v", s)
	}
}

func TestPolicySelection(t *testing.T) {
	one := func(name string, opts ...PolicyOption) *Policy {
		return NewPolicy(name, append([]PolicyOption{WithLimits(PerHour(1))}, opts...)...)
	}
	tests := []struct {
		name    string
		opts    []Option
		routes  func(app *covet.App)
		method  string
		path    string
		headers map[string]string
		// second is the status of a second identical request.
		second int
	}{
		{
			name: "default policy limits every route", opts: []Option{WithDefaultPolicy(one("global"))},
			routes: func(app *covet.App) { app.GET("/a", ok) }, method: "GET", path: "/a", second: 429,
		},
		{
			name: "default policy limits unmatched paths too", opts: []Option{WithDefaultPolicy(one("global"))},
			method: "GET", path: "/missing", second: 429,
		},
		{
			name:   "no policy, no limit",
			routes: func(app *covet.App) { app.GET("/a", ok) }, method: "GET", path: "/a", second: 200,
		},
		{
			name: "route policy replaces the default", opts: []Option{WithDefaultPolicy(one("global"))},
			routes: func(app *covet.App) {
				app.GET("/a", ok).With(Apply(NewPolicy("roomy", WithLimits(PerHour(10)))))
			}, method: "GET", path: "/a", second: 200,
		},
		{
			name: "group policy", routes: func(app *covet.App) {
				app.Group("/api").With(Apply(one("api"))).GET("/a", ok)
			}, method: "GET", path: "/api/a", second: 429,
		},
		{
			name: "methods restrict a policy: reads pass", routes: func(app *covet.App) {
				app.Group("/api").With(Apply(one("writes", WithMethods("POST")))).GET("/a", ok)
			}, method: "GET", path: "/api/a", second: 200,
		},
		{
			name: "methods restrict a policy: writes count", routes: func(app *covet.App) {
				app.Group("/api").With(Apply(one("writes", WithMethods("POST")))).POST("/a", ok)
			}, method: "POST", path: "/api/a", second: 429,
		},
		{
			name: "exempt path", opts: []Option{WithDefaultPolicy(one("global")), WithExemptPaths("/healthz")},
			routes: func(app *covet.App) { app.GET("/healthz", ok) }, method: "GET", path: "/healthz", second: 200,
		},
		{
			name: "exempt prefix", opts: []Option{WithDefaultPolicy(one("global")), WithExemptPaths("/static/*")},
			routes: func(app *covet.App) { app.GET("/static/{p:path}", ok) }, method: "GET", path: "/static/app.js", second: 200,
		},
		{
			name: "exempt IP", opts: []Option{WithDefaultPolicy(one("global")), WithExemptIPs("192.0.2.0/24")},
			routes: func(app *covet.App) { app.GET("/a", ok) }, method: "GET", path: "/a", second: 200,
		},
		{
			name: "exempt route", opts: []Option{WithDefaultPolicy(one("global"))},
			routes: func(app *covet.App) { app.GET("/a", ok).With(Exempt()) }, method: "GET", path: "/a", second: 200,
		},
		{
			name: "CORS preflights are not counted", opts: []Option{WithDefaultPolicy(one("global"))},
			routes: func(app *covet.App) { app.PUT("/a", ok) }, method: "OPTIONS", path: "/a",
			headers: map[string]string{"Origin": "https://app.test", "Access-Control-Request-Method": "PUT"}, second: 204,
		},
		{
			name: "a key that does not apply skips the limit", opts: []Option{WithDefaultPolicy(one("keys", WithKey(APIKey("X-API-Key"))))},
			routes: func(app *covet.App) { app.GET("/a", ok) }, method: "GET", path: "/a", second: 200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := newApp(t, New(tt.opts...), tt.routes)
			send := func() *covettest.Response {
				r := client.Request(tt.method, tt.path)
				for k, v := range tt.headers {
					r.Header(k, v)
				}
				return r.Do()
			}
			first := send()
			if first.StatusCode == 429 {
				t.Fatalf("first request refused: %s", first.Body)
			}
			send().ExpectStatus(tt.second)
		})
	}
}

// TestKeys checks what each key counts by: two requests that differ as
// described share a counter (the second is refused) or do not.
func TestKeys(t *testing.T) {
	userKey := covet.NewKey[string]("test.user")
	type req struct {
		remote string
		header map[string]string
		user   string
		path   string
	}
	tests := []struct {
		name          string
		key           Key
		opts          []Option
		first, second req
		shared        bool
	}{
		{"ip: same client", IP(), nil, req{remote: "203.0.113.1:1000"}, req{remote: "203.0.113.1:2000"}, true},
		{"ip: different clients", IP(), nil, req{remote: "203.0.113.1:1000"}, req{remote: "203.0.113.2:1000"}, false},
		{"ip: one IPv6 /64", IP(), nil, req{remote: "[2001:db8::1]:1"}, req{remote: "[2001:db8::2]:1"}, true},
		{"ip: two IPv6 /64s", IP(), nil, req{remote: "[2001:db8::1]:1"}, req{remote: "[2001:db8:0:1::1]:1"}, false},
		{"ip: IPv6 per address", IP(), []Option{WithIPv6Prefix(128)}, req{remote: "[2001:db8::1]:1"}, req{remote: "[2001:db8::2]:1"}, false},
		{
			"spoofing: X-Forwarded-For ignored without trusted proxies", IP(), nil,
			req{remote: "203.0.113.1:1", header: map[string]string{"X-Forwarded-For": "198.51.100.1"}},
			req{remote: "203.0.113.1:1", header: map[string]string{"X-Forwarded-For": "198.51.100.2"}}, true,
		},
		{
			"spoofing: Forwarded ignored without trusted proxies", IP(), []Option{WithIPHeader(Forwarded)},
			req{remote: "203.0.113.1:1", header: map[string]string{"Forwarded": "for=198.51.100.1"}},
			req{remote: "203.0.113.1:1", header: map[string]string{"Forwarded": "for=198.51.100.2"}}, true,
		},
		{
			"trusted proxy: clients told apart", IP(), []Option{WithTrustedProxies("10.0.0.0/8")},
			req{remote: "10.0.0.1:1", header: map[string]string{"X-Forwarded-For": "198.51.100.1"}},
			req{remote: "10.0.0.1:1", header: map[string]string{"X-Forwarded-For": "198.51.100.2"}}, false,
		},
		{
			"trusted proxy: a client's own X-Forwarded-For is not believed", IP(), []Option{WithTrustedProxies("10.0.0.0/8")},
			req{remote: "10.0.0.1:1", header: map[string]string{"X-Forwarded-For": "1.1.1.1, 198.51.100.1"}},
			req{remote: "10.0.0.1:1", header: map[string]string{"X-Forwarded-For": "2.2.2.2, 198.51.100.1"}}, true,
		},
		{"user", User(func(c *covet.Context) (string, bool) { return userKey.Get(c) }), nil,
			req{remote: "203.0.113.1:1", user: "ann"}, req{remote: "203.0.113.2:1", user: "ann"}, true},
		{"user: two users on one IP", User(func(c *covet.Context) (string, bool) { return userKey.Get(c) }), nil,
			req{remote: "203.0.113.1:1", user: "ann"}, req{remote: "203.0.113.1:1", user: "bob"}, false},
		{"api key", APIKey("X-API-Key"), nil,
			req{remote: "203.0.113.1:1", header: map[string]string{"X-API-Key": "k1"}}, req{remote: "203.0.113.2:1", header: map[string]string{"X-API-Key": "k1"}}, true},
		{"api key: two keys", APIKey("X-API-Key"), nil,
			req{header: map[string]string{"X-API-Key": "k1"}}, req{header: map[string]string{"X-API-Key": "k2"}}, false},
		{"route: all clients share", Route(), nil,
			req{remote: "203.0.113.1:1", path: "/a/1"}, req{remote: "203.0.113.2:1", path: "/a/2"}, true},
		{"route: routes apart", Route(), nil, req{path: "/a/1"}, req{path: "/b"}, false},
		{"combine ip and route: same", Combine(IP(), Route()), nil,
			req{remote: "203.0.113.1:1", path: "/a/1"}, req{remote: "203.0.113.1:1", path: "/a/2"}, true},
		{"combine ip and route: other route", Combine(IP(), Route()), nil,
			req{remote: "203.0.113.1:1", path: "/a/1"}, req{remote: "203.0.113.1:1", path: "/b"}, false},
		{"first of: api key then ip, same key", FirstOf(APIKey("X-API-Key"), IP()), nil,
			req{remote: "203.0.113.1:1", header: map[string]string{"X-API-Key": "k1"}}, req{remote: "203.0.113.2:1", header: map[string]string{"X-API-Key": "k1"}}, true},
		{"first of: falls back to ip", FirstOf(APIKey("X-API-Key"), IP()), nil,
			req{remote: "203.0.113.1:1"}, req{remote: "203.0.113.1:1"}, true},
		{"first of: key and ip never share", FirstOf(APIKey("X-API-Key"), IP()), nil,
			req{remote: "203.0.113.1:1", header: map[string]string{"X-API-Key": "k1"}}, req{remote: "203.0.113.1:1"}, false},
		{"header", Header("X-Tenant"), nil,
			req{header: map[string]string{"X-Tenant": "acme"}}, req{remote: "203.0.113.9:1", header: map[string]string{"X-Tenant": "acme"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := NewMemory()
			lim := New(append([]Option{WithBackend(mem)}, tt.opts...)...)
			policy := NewPolicy("k", WithLimits(PerHour(1)), WithKey(tt.key))
			client := newApp(t, lim, func(app *covet.App) {
				app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
					return func(c *covet.Context) error {
						if u := c.Header("X-Test-User"); u != "" {
							userKey.Set(c, u)
						}
						return next(c)
					}
				})
				g := app.Group("").With(Apply(policy))
				g.GET("/a/{id}", ok)
				g.GET("/b", ok)
			})
			send := func(r req) int {
				path := r.path
				if path == "" {
					path = "/b"
				}
				b := client.Get(path)
				if r.remote != "" {
					b.RemoteAddr(r.remote)
				}
				for k, v := range r.header {
					b.Header(k, v)
				}
				if r.user != "" {
					b.Header("X-Test-User", r.user)
				}
				return b.Do().StatusCode
			}
			if got := send(tt.first); got != 200 {
				t.Fatalf("first request: %d", got)
			}
			want := 200
			if tt.shared {
				want = 429
			}
			if got := send(tt.second); got != want {
				t.Errorf("second request: %d, want %d (shared counter: %v)", got, want, tt.shared)
			}
			if strings.HasPrefix(tt.name, "api key") {
				for i := range mem.shards {
					for k := range mem.shards[i].m {
						if strings.Contains(k.key, "k1") || strings.Contains(k.key, "k2") {
							t.Errorf("the raw API key is stored: %q", k.key)
						}
					}
				}
			}
		})
	}
}

// TestSpoofedForwardingHeaders sends many requests from one peer with a
// different X-Forwarded-For each time: without trusted proxies they all
// count against the peer.
func TestSpoofedForwardingHeaders(t *testing.T) {
	lim := New()
	client := newApp(t, lim, func(app *covet.App) {
		app.GET("/a", ok).With(Apply(NewPolicy("spoof", WithLimits(PerHour(5)))))
	})
	allowed := 0
	for i := 0; i < 50; i++ {
		res := client.Get("/a").RemoteAddr("203.0.113.77:5555").
			Header("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i)).
			Header("X-Real-IP", fmt.Sprintf("198.51.100.%d", i)).
			Header("Forwarded", fmt.Sprintf("for=198.51.100.%d", i)).Do()
		if res.StatusCode == 200 {
			allowed++
		}
	}
	if allowed != 5 {
		t.Fatalf("%d of 50 spoofed requests allowed, want 5", allowed)
	}
}

type failingBackend struct{}

func (failingBackend) Take(context.Context, []Request, []Decision) (bool, error) {
	return false, fmt.Errorf("%w: test", ErrUnavailable)
}

func TestFailureModes(t *testing.T) {
	lim := New(WithBackend(failingBackend{}))
	client := newApp(t, lim, func(app *covet.App) {
		app.GET("/open", ok).With(Apply(NewPolicy("open", WithLimits(PerSecond(1)))))
		app.GET("/closed", ok).With(Apply(NewPolicy("closed", WithLimits(PerSecond(1)), WithFailureMode(FailClosed))))
	})
	for i := 0; i < 3; i++ {
		client.Get("/open").Do().ExpectStatus(200).ExpectNoHeader("RateLimit").ExpectHeader("RateLimit-Policy", `"open";q=1;w=1`)
		res := client.Get("/closed").Do().ExpectStatus(503).ExpectHeader("Retry-After", "1")
		if p := res.Problem(); p.Status != 503 || strings.Contains(p.Detail, "test") {
			t.Errorf("problem = %+v (the backend's error must not leak)", p)
		}
	}
	if s := lim.Stats(); s.FailedOpen != 3 || s.FailedClosed != 3 {
		t.Errorf("stats = %+v, want 3 failed open and 3 failed closed", s)
	}
}

func TestConfigurationErrors(t *testing.T) {
	bad := NewPolicy("bad")
	tests := []struct {
		name    string
		lim     *Limiter
		routes  func(app *covet.App)
		wantErr string
	}{
		{"bad trusted proxy", New(WithTrustedProxies("10.0.0.0/33")), nil, `"10.0.0.0/33" is not an IP or CIDR prefix`},
		{"bad exempt IP", New(WithExemptIPs("localhost")), nil, `"localhost" is not an IP or CIDR prefix`},
		{"zoned exempt IP", New(WithExemptIPs("192.0.2.1", "fe80::1%eth0")), nil, `"fe80::1%eth0" is not an IP or CIDR prefix`},
		{"zoned trusted proxy", New(WithTrustedProxies("fe80::1%eth0")), nil, `"fe80::1%eth0" is not an IP or CIDR prefix`},
		{"bad IPv6 prefix", New(WithIPv6Prefix(0)), nil, "IPv6 prefix /0"},
		{"invalid default policy", New(WithDefaultPolicy(bad)), nil, "has no limits"},
		{"invalid route policy", New(), func(app *covet.App) { app.GET("/x", ok).With(Apply(bad)) }, "route GET /x"},
		{"two policies with one name", New(), func(app *covet.App) {
			app.GET("/x", ok).With(Apply(NewPolicy("same", WithLimits(PerSecond(1)))))
			app.GET("/y", ok).With(Apply(NewPolicy("same", WithLimits(PerSecond(2)))))
		}, `another policy is also named "same"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := covet.New(covet.WithLogger(discardLogger()))
			if tt.routes != nil {
				tt.routes(app)
			}
			err := app.Install(tt.lim)
			if err == nil {
				err = app.Start(context.Background())
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "ratelimit: ") {
				t.Fatalf("error = %v, want one with %q", err, tt.wantErr)
			}
		})
	}
}

func TestMiddleware(t *testing.T) {
	lim := New()
	app := covet.New(covet.WithLogger(discardLogger()))
	g := app.Group("/api", lim.Middleware(NewPolicy("mw", WithLimits(PerHour(2)))))
	g.GET("/a", ok)
	app.GET("/free", ok)
	client := covettest.New(t, app)
	client.Get("/api/a").Do().ExpectStatus(200).ExpectHeader("RateLimit-Policy", `"mw";q=2;w=3600`)
	client.Get("/api/a").Do().ExpectStatus(200)
	client.Get("/api/a").Do().ExpectStatus(429)
	client.Get("/free").Do().ExpectStatus(200).ExpectNoHeader("RateLimit-Policy")

	defer func() {
		if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), "has no limits") {
			t.Fatalf("recovered %v, want the policy's error", v)
		}
	}()
	lim.Middleware(NewPolicy("bad"))
}

func TestMemoryHealthAndContract(t *testing.T) {
	covettest.PluginContract(t, func() covet.Plugin { return New() })
	rep := New().CheckHealth(context.Background(), covet.Readiness)
	if rep.Status != covet.HealthOK || rep.Details["allowed"] != uint64(0) {
		t.Errorf("health = %+v", rep)
	}
}

// statValue returns the value of the stat named name in stats, failing the
// test if it is not there.
func statValue(t *testing.T, stats []covet.Stat, name string) float64 {
	t.Helper()
	for _, s := range stats {
		if s.Name == name {
			return s.Value
		}
	}
	t.Fatalf("no stat %q in %+v", name, stats)
	return 0
}

func TestAppendStatsFollowsTraffic(t *testing.T) {
	now := start
	lim := New(WithBackend(fixedMemory(&now)))
	client := newApp(t, lim, func(app *covet.App) {
		app.GET("/x", ok).With(Apply(NewPolicy("x", WithLimits(PerMinute(2)))))
	})
	for range 5 {
		client.Get("/x").Do()
	}
	stats := lim.AppendStats(nil)
	if a, l := statValue(t, stats, "allowed"), statValue(t, stats, "limited"); a != 2 || l != 3 {
		t.Errorf("allowed %v limited %v, want 2 and 3", a, l)
	}
	if k := statValue(t, stats, "memory_keys"); k != 1 {
		t.Errorf("memory_keys = %v, want 1", k)
	}
}

// TestKeyComputedOncePerRequest: the limits of a policy that share its key,
// and a second policy with the same key, compute the key once per request;
// a limit with its own key computes that one once more.
func TestKeyComputedOncePerRequest(t *testing.T) {
	var calls, own int
	key := KeyFunc("user", func(c *covet.Context) (string, bool) { calls++; return "u1", true })
	other := KeyFunc("tenant", func(c *covet.Context) (string, bool) { own++; return "t1", true })
	lim := New()
	client := newApp(t, lim, func(app *covet.App) {
		app.GET("/x", ok).With(Apply(
			NewPolicy("a", WithKey(key), WithLimits(PerMinute(10), PerHour(100), PerDay(1000), PerMinute(5).By(other))),
			NewPolicy("b", WithKey(key), WithLimits(PerSecond(10))),
		))
	})
	client.Get("/x").Do().ExpectStatus(200)
	if calls != 1 || own != 1 {
		t.Errorf("key functions called %d and %d times for one request, want 1 and 1", calls, own)
	}
	if s := lim.Stats(); s.Allowed != 1 {
		t.Errorf("stats = %+v", s)
	}
	// The memoised key still counts: the fifth request of a 5/minute limit
	// on the other key passes, the sixth is refused.
	for range 4 {
		client.Get("/x").Do().ExpectStatus(200)
	}
	client.Get("/x").Do().ExpectStatus(429)
}

// keysSeen records the keys a backend is asked about.
type keysSeen struct {
	Backend
	keys []string
}

func (b *keysSeen) Take(ctx context.Context, reqs []Request, out []Decision) (bool, error) {
	for _, r := range reqs {
		b.keys = append(b.keys, r.Key)
	}
	return b.Backend.Take(ctx, reqs, out)
}

// TestLongKeysAreHashed: a key text as long as a client makes it (a 60 KB
// header) reaches the backend as a short hash, so WithMaxKeys bounds the
// memory it holds; equal long values still share a counter, different
// ones do not.
func TestLongKeysAreHashed(t *testing.T) {
	be := &keysSeen{Backend: NewMemory()}
	lim := New(WithBackend(be))
	client := newApp(t, lim, func(app *covet.App) {
		app.GET("/t", ok).With(Apply(NewPolicy("tenant", WithKey(Header("X-Tenant")), WithLimits(PerHour(1)))))
	})
	a, b := strings.Repeat("a", 60<<10), strings.Repeat("a", 60<<10-1)+"b"
	client.Get("/t").Header("X-Tenant", a).Do().ExpectStatus(200)
	client.Get("/t").Header("X-Tenant", a).Do().ExpectStatus(429)
	client.Get("/t").Header("X-Tenant", b).Do().ExpectStatus(200)
	client.Get("/t").Header("X-Tenant", "short").Do().ExpectStatus(200)
	if len(be.keys) != 4 {
		t.Fatalf("backend saw %d keys, want 4", len(be.keys))
	}
	for _, k := range be.keys {
		if len(k) > maxKeyLen {
			t.Errorf("a key of %d bytes reached the backend", len(k))
		}
	}
	if be.keys[0] != be.keys[1] || be.keys[0] == be.keys[2] || be.keys[3] != "short" {
		t.Errorf("keys = %q", be.keys)
	}
}
