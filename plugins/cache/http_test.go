package cache

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/redis/go-redis/v9"
)

// testApp is an app with the response cache and a few routes whose
// handlers count their calls.
type testApp struct {
	app   *covet.App
	c     *Cache
	h     *HTTPCache
	calls atomic.Int64
}

func newTestApp(t testing.TB, copts []Option, hopts ...HTTPOption) *testApp {
	t.Helper()
	ta := &testApp{}
	ta.c = newTestCache(t, copts...)
	ta.h = NewHTTP(ta.c, hopts...)
	ta.app = covet.New()
	if err := ta.app.Install(ta.h); err != nil {
		t.Fatal(err)
	}
	count := func(h covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error { ta.calls.Add(1); return h(c) }
	}
	ta.app.GET("/plain", count(func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "public, max-age=60")
		return c.Text(200, "plain "+fmt.Sprint(ta.calls.Load()))
	}))
	ta.app.GET("/for", count(func(c *covet.Context) error {
		return c.Text(200, "for "+fmt.Sprint(ta.calls.Load()))
	})).With(Route(For(time.Minute), TagsFrom(func(c *covet.Context) []string { return []string{"board:7"} })))
	ta.app.POST("/for", count(func(c *covet.Context) error { return c.Text(200, "written") }))
	ta.app.GET("/host", count(func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "max-age=60")
		// Reflects input a proxy would set: must be keyed.
		return c.Text(200, "https://"+c.Request().Header.Get("X-Forwarded-Host")+"/x")
	}))
	ta.app.GET("/vary", count(func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "max-age=60")
		c.SetHeader("Vary", "Accept-Language")
		return c.Text(200, "lang="+c.Request().Header.Get("Accept-Language"))
	}))
	ta.app.GET("/q", count(func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "max-age=60")
		return c.Text(200, "a="+c.Query("a")+" b="+c.Query("b"))
	}))
	ta.app.GET("/status/{code:int}", count(func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "max-age=60")
		code, _ := c.ParamInt("code")
		return c.Text(code, "status")
	}))
	ta.app.GET("/cookie", count(func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "max-age=60")
		c.SetCookie("s", "secret")
		return c.Text(200, "with cookie")
	}))
	ta.app.GET("/private", count(func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "private, max-age=60")
		return c.Text(200, "mine")
	}))
	ta.app.GET("/nostore", count(func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "no-store")
		return c.Text(200, "x")
	}))
	ta.app.GET("/me", count(func(c *covet.Context) error {
		return c.Text(200, "user "+c.Request().Header.Get("Authorization"))
	})).With(Route(For(time.Minute), KeyBy(func(c *covet.Context) string { return c.Request().Header.Get("Authorization") })))
	ta.app.GET("/stream", count(func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "max-age=60")
		_, _ = c.Response().Write([]byte("a"))
		c.Response().Flush()
		return nil
	}))
	ta.app.GET("/tagged", count(func(c *covet.Context) error {
		Tag(c, "task:"+c.Query("id"))
		return c.Text(200, "task "+c.Query("id"))
	})).With(Route(For(time.Minute)))
	return ta
}

func (ta *testApp) do(method, target string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	ta.app.ServeHTTP(w, r)
	return w
}

// twice requests target twice and returns the handler calls it took.
func (ta *testApp) callsFor(f func()) int64 {
	before := ta.calls.Load()
	f()
	return ta.calls.Load() - before
}

func TestHTTPHitMissAndHeaders(t *testing.T) {
	ta := newTestApp(t, nil)
	w1 := ta.do("GET", "/plain")
	w2 := ta.do("GET", "/plain")
	if ta.calls.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1", ta.calls.Load())
	}
	if w1.Body.String() != w2.Body.String() || w2.Code != 200 {
		t.Fatalf("hit %d %q vs %q", w2.Code, w2.Body, w1.Body)
	}
	if w2.Header().Get("Age") == "" || w2.Header().Get("Etag") == "" || w2.Header().Get("Content-Length") != fmt.Sprint(len(w1.Body.String())) {
		t.Fatalf("hit headers %v", w2.Header())
	}
	if w2.Header().Get("Content-Type") != w1.Header().Get("Content-Type") {
		t.Fatalf("content type %q vs %q", w2.Header().Get("Content-Type"), w1.Header().Get("Content-Type"))
	}
	// HEAD from the stored GET.
	h := ta.do("HEAD", "/plain")
	if h.Code != 200 || h.Body.Len() != 0 || h.Header().Get("Content-Length") == "" || ta.calls.Load() != 1 {
		t.Fatalf("HEAD %d %q %v calls %d", h.Code, h.Body, h.Header(), ta.calls.Load())
	}
	st := ta.h.Stats()
	if st.Hits != 2 || st.Stores != 1 {
		t.Fatalf("stats %+v", st)
	}
	if h, s := statOf(t, ta.h, "hits"), statOf(t, ta.h, "stores"); h != 2 || s != 1 {
		t.Errorf("figures hits %v stores %v, want 2 1", h, s)
	}
}

func TestHTTPConditional(t *testing.T) {
	ta := newTestApp(t, nil)
	ta.do("GET", "/plain")
	etag := ta.do("GET", "/plain").Header().Get("Etag")
	for name, hdr := range map[string][]string{
		"exact": {"If-None-Match", etag},
		"weak":  {"If-None-Match", "W/" + etag},
		"list":  {"If-None-Match", `"x", ` + etag},
		"star":  {"If-None-Match", "*"},
	} {
		if w := ta.do("GET", "/plain", hdr...); w.Code != 304 || w.Body.Len() != 0 || w.Header().Get("Etag") != etag {
			t.Errorf("%s: %d %v", name, w.Code, w.Header())
		}
	}
	if w := ta.do("GET", "/plain", "If-None-Match", `"other"`); w.Code != 200 {
		t.Errorf("non-matching etag: %d", w.Code)
	}
}

func TestHTTPLastModified(t *testing.T) {
	ta := newTestApp(t, nil)
	lm := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	ta.app.GET("/lm", func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "max-age=60")
		c.SetHeader("Last-Modified", lm.Format(http.TimeFormat))
		return c.Text(200, "lm")
	})
	ta.do("GET", "/lm")
	if w := ta.do("GET", "/lm", "If-Modified-Since", lm.Format(http.TimeFormat)); w.Code != 304 {
		t.Fatalf("If-Modified-Since same: %d", w.Code)
	}
	if w := ta.do("GET", "/lm", "If-Modified-Since", lm.Add(-time.Minute).Format(http.TimeFormat)); w.Code != 200 {
		t.Fatalf("If-Modified-Since earlier: %d", w.Code)
	}
}

func TestHTTPNotStored(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target string
		hdr    []string
	}{
		{"set-cookie", "/cookie", nil},
		{"private", "/private", nil},
		{"no-store", "/nostore", nil},
		{"404 not allowed", "/status/404", nil},
		{"500 not allowed", "/status/500", nil},
		{"stream", "/stream", nil},
		{"authorization", "/plain", []string{"Authorization", "Bearer a"}},
		{"session cookie", "/plain", []string{"Cookie", "session=abc"}},
		{"request no-store", "/plain", []string{"Cache-Control", "no-store"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ta := newTestApp(t, nil)
			if n := ta.callsFor(func() { ta.do("GET", tc.target, tc.hdr...); ta.do("GET", tc.target, tc.hdr...) }); n != 2 {
				t.Fatalf("handler ran %d times for two requests, want 2 (not cached)", n)
			}
		})
	}
}

func TestHTTPRequestNoCacheRevalidates(t *testing.T) {
	ta := newTestApp(t, nil)
	ta.do("GET", "/plain")
	for _, hdr := range [][]string{{"Cache-Control", "no-cache"}, {"Cache-Control", "max-age=0"}, {"Pragma", "no-cache"}} {
		if n := ta.callsFor(func() { ta.do("GET", "/plain", hdr...) }); n != 1 {
			t.Fatalf("%v: handler ran %d times, want 1 (revalidated)", hdr, n)
		}
	}
	if n := ta.callsFor(func() { ta.do("GET", "/plain") }); n != 0 {
		t.Fatal("the refreshed response was not stored")
	}
}

func TestHTTPRouteForAndTags(t *testing.T) {
	ta := newTestApp(t, nil)
	w := ta.do("GET", "/for")
	if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=0, s-maxage=60" {
		t.Fatalf("Cache-Control %q", cc)
	}
	if w.Header().Get("Surrogate-Key") != "board:7" || w.Header().Get("Cache-Tag") != "board:7" {
		t.Fatalf("CDN headers %v", w.Header())
	}
	hit := ta.do("GET", "/for")
	if hit.Header().Get("Surrogate-Key") != "board:7" || ta.calls.Load() != 1 {
		t.Fatalf("hit: %v calls %d", hit.Header(), ta.calls.Load())
	}
	ta.c.InvalidateTags(bg, "board:7")
	if n := ta.callsFor(func() { ta.do("GET", "/for") }); n != 1 {
		t.Fatal("served after its tag was invalidated")
	}
	// Tags added by the handler.
	ta.do("GET", "/tagged?id=1")
	ta.do("GET", "/tagged?id=2")
	ta.c.InvalidateTags(bg, "task:1")
	if n := ta.callsFor(func() { ta.do("GET", "/tagged?id=1"); ta.do("GET", "/tagged?id=2") }); n != 1 {
		t.Fatalf("handler ran %d times, want 1 (only task:1 purged)", n)
	}
}

func TestHTTPUnsafeMethodInvalidates(t *testing.T) {
	ta := newTestApp(t, nil)
	ta.do("GET", "/for")
	ta.do("POST", "/for")
	if n := ta.callsFor(func() { ta.do("GET", "/for") }); n != 1 {
		t.Fatal("a successful POST did not evict the URL's stored response")
	}
}

func TestHTTPKeyByUser(t *testing.T) {
	ta := newTestApp(t, nil)
	a := ta.do("GET", "/me", "Authorization", "alice")
	b := ta.do("GET", "/me", "Authorization", "bob")
	a2 := ta.do("GET", "/me", "Authorization", "alice")
	if a.Body.String() != "user alice" || b.Body.String() != "user bob" || a2.Body.String() != "user alice" || ta.calls.Load() != 2 {
		t.Fatalf("%q %q %q calls %d", a.Body, b.Body, a2.Body, ta.calls.Load())
	}
	// No user: bypass, never another user's response.
	if w := ta.do("GET", "/me"); w.Body.String() != "user " {
		t.Fatalf("anonymous got %q", w.Body)
	}
}

// TestHTTPPoisoning: unkeyed input never changes what another request gets.
func TestHTTPPoisoning(t *testing.T) {
	t.Run("X-Forwarded-Host", func(t *testing.T) {
		ta := newTestApp(t, nil)
		ta.do("GET", "/host", "X-Forwarded-Host", "evil.example")
		if w := ta.do("GET", "/host"); strings.Contains(w.Body.String(), "evil") {
			t.Fatalf("poisoned: %q", w.Body)
		}
		// Header case and duplicates are one canonical header, keyed with all values.
		ta.do("GET", "/host", "x-forwarded-host", "evil.example", "X-FORWARDED-HOST", "good.example")
		if w := ta.do("GET", "/host", "X-Forwarded-Host", "good.example"); strings.Contains(w.Body.String(), "evil") {
			t.Fatalf("poisoned by duplicates: %q", w.Body)
		}
	})
	for _, h := range []string{"X-Forwarded-Proto", "X-Original-URL", "X-Rewrite-URL", "Forwarded"} {
		t.Run(h, func(t *testing.T) {
			ta := newTestApp(t, nil)
			if n := ta.callsFor(func() { ta.do("GET", "/plain", h, "x"); ta.do("GET", "/plain") }); n != 2 {
				t.Fatalf("a response to a request with %s was served to one without", h)
			}
		})
	}
	t.Run("query order and semicolons", func(t *testing.T) {
		ta := newTestApp(t, nil)
		ta.do("GET", "/q?a=1&b=2")
		if n := ta.callsFor(func() { ta.do("GET", "/q?b=2&a=1") }); n != 0 {
			t.Fatal("reordered query missed")
		}
		// Repeated names keep their order: a different first value is another key.
		ta.do("GET", "/q?a=1&a=2")
		if w := ta.do("GET", "/q?a=2&a=1"); w.Body.String() != "a=2 b=" {
			t.Fatalf("repeated-name order: %q", w.Body)
		}
		// A ';' cloak is its own key.
		w := ta.do("GET", "/q?a=1;b=evil")
		if w2 := ta.do("GET", "/q?a=1"); w2.Body.String() != "a=1 b=" {
			t.Fatalf("cloaked parameter poisoned: %q (cloak answered %q)", w2.Body, w.Body)
		}
	})
	t.Run("Vary", func(t *testing.T) {
		ta := newTestApp(t, nil)
		ta.do("GET", "/vary", "Accept-Language", "fr")
		if w := ta.do("GET", "/vary", "Accept-Language", "de"); w.Body.String() != "lang=de" {
			t.Fatalf("Vary ignored: %q", w.Body)
		}
		if n := ta.callsFor(func() { ta.do("GET", "/vary", "Accept-Language", "fr") }); n != 0 {
			t.Fatal("variant not stored")
		}
		if w := ta.do("GET", "/vary"); w.Body.String() != "lang=" {
			t.Fatalf("no header got %q", w.Body)
		}
	})
	t.Run("Accept-Encoding variants", func(t *testing.T) {
		ta := newTestApp(t, nil)
		ta.app.GET("/enc", func(c *covet.Context) error {
			c.SetHeader("Cache-Control", "max-age=60")
			c.SetHeader("Vary", "Accept-Encoding")
			if strings.Contains(c.Request().Header.Get("Accept-Encoding"), "gzip") {
				c.SetHeader("Content-Encoding", "gzip")
				return c.Text(200, "GZIPPED")
			}
			return c.Text(200, "plain")
		})
		ta.do("GET", "/enc", "Accept-Encoding", "gzip")
		if w := ta.do("GET", "/enc"); w.Body.String() != "plain" || w.Header().Get("Content-Encoding") != "" {
			t.Fatalf("gzip served to a client without it: %q %v", w.Body, w.Header())
		}
	})
	t.Run("Host", func(t *testing.T) {
		ta := newTestApp(t, nil)
		r := httptest.NewRequest("GET", "http://a.example/plain", nil)
		ta.app.ServeHTTP(httptest.NewRecorder(), r)
		r = httptest.NewRequest("GET", "http://b.example/plain", nil)
		if n := ta.callsFor(func() { ta.app.ServeHTTP(httptest.NewRecorder(), r) }); n != 1 {
			t.Fatal("one host's response served to another")
		}
	})
}

func TestHTTPHitHeadersNotShared(t *testing.T) {
	ta := newTestApp(t, nil)
	// Middleware outside the cache appending to a replayed header must not
	// change what the next hit sends.
	ta.app.Use(func(next covet.HandlerFunc) covet.HandlerFunc { return next })
	ta.do("GET", "/plain")
	w := ta.do("GET", "/plain")
	w.Header().Add("Cache-Control", "mutated")
	w.Header()["Content-Type"] = append(w.Header()["Content-Type"], "mutated")
	if w2 := ta.do("GET", "/plain"); strings.Contains(strings.Join(w2.Header()["Cache-Control"], ","), "mutated") ||
		len(w2.Header()["Content-Type"]) != 1 {
		t.Fatalf("a hit's header slices were changed by a previous response: %v", w2.Header())
	}
}

func TestHTTPPurger(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := new(strings.Builder)
		_, _ = fmt.Fprint(buf, r.Header.Get("Authorization"), " ")
		b := make([]byte, 512)
		n, _ := r.Body.Read(b)
		buf.Write(b[:n])
		got.Store(buf.String())
	}))
	defer srv.Close()
	p := &HTTPPurger{URL: srv.URL, Header: http.Header{"Authorization": {"Bearer t"}}}
	ta := newTestApp(t, nil, WithPurger(p))
	ta.c.InvalidateTags(context.Background(), "board:7")
	if g, _ := got.Load().(string); g != `Bearer t {"tags":["board:7"]}` {
		t.Fatalf("purge request %q", g)
	}
	bad := &HTTPPurger{URL: srv.URL + "/x"}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(403) })
	if err := bad.Purge(context.Background(), []string{"a"}); err == nil {
		t.Fatal("403 not an error")
	}
}

func TestHTTPOnRedis(t *testing.T) {
	rdb := realRedis(t)
	p := testPrefix(t, rdb)
	a := newTestApp(t, []Option{WithRedis(rdb), WithPrefix(p)})
	b := newTestApp(t, []Option{WithRedis(rdb), WithPrefix(p)})
	w := a.do("GET", "/vary", "Accept-Language", "fr")
	w2 := b.do("GET", "/vary", "Accept-Language", "fr")
	if b.calls.Load() != 0 || w2.Body.String() != w.Body.String() || w2.Header().Get("Etag") == "" {
		t.Fatalf("instance b did not answer from Redis: calls %d %q %v", b.calls.Load(), w2.Body, w2.Header())
	}
	a.do("GET", "/for")
	b.do("GET", "/for")
	b.c.InvalidateTags(bg, "board:7")
	waitFor(t, "invalidation on a", func() bool { return a.callsFor(func() { a.do("GET", "/for") }) == 1 })
}

func TestHTTPForNotOnErrorsOrCookies(t *testing.T) {
	ta := newTestApp(t, nil)
	ta.app.GET("/fails", func(c *covet.Context) error {
		return c.Text(503, "busy")
	}).With(Route(For(time.Minute), TagsFrom(func(*covet.Context) []string { return []string{"x"} })))
	ta.app.GET("/login", func(c *covet.Context) error {
		c.SetCookie("s", "v")
		return c.Text(200, "hi")
	}).With(Route(For(time.Minute)))
	for _, p := range []string{"/fails", "/login"} {
		w := ta.do("GET", p)
		if cc := w.Header().Get("Cache-Control"); strings.Contains(cc, "s-maxage") || w.Header().Get("Surrogate-Key") != "" {
			t.Errorf("%s: a CDN would store it: Cache-Control %q, Surrogate-Key %q", p, cc, w.Header().Get("Surrogate-Key"))
		}
	}
}

// countHook counts round trips to Redis (a pipeline is one).
type countHook struct{ n atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() != "hello" { // a new connection's handshake
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(1); return next(ctx, cmds) }
}

// TestHTTPRoundTrips pins the Redis round trips of the response cache: a
// miss reads the entry and the epoch in one MGET and stores in one script
// (2); an L1 hit makes none; a write evicts its URL and the tags its
// handler asked for (InvalidateAfter) in one script (1), even when the
// handler failed, and both evictions reach Redis and the other instances.
func TestHTTPRoundTrips(t *testing.T) {
	rdb := realRedis(t)
	p := testPrefix(t, rdb)
	newInst := func() (*testApp, *countHook) {
		own := redis.NewClient(rdb.Options())
		t.Cleanup(func() { own.Close() })
		h := &countHook{}
		own.AddHook(h)
		ta := newTestApp(t, []Option{WithRedis(own), WithPrefix(p), WithRedisTimeout(5 * time.Second)})
		ta.app.POST("/board", func(c *covet.Context) error {
			if !InvalidateAfter(c, ta.c, "board:7") {
				t.Error("InvalidateAfter: no response cache serves the write")
			}
			if c.Query("fail") != "" {
				return c.Text(500, "failed after the change")
			}
			return c.Text(200, "changed")
		})
		ta.app.GET("/asks", func(c *covet.Context) error {
			if InvalidateAfter(c, ta.c, "x") {
				t.Error("InvalidateAfter accepted tags on a GET")
			}
			return c.Text(200, "ok")
		})
		return ta, h
	}
	a, ha := newInst()
	b, hb := newInst()
	trips := func(h *countHook, f func()) int64 {
		before := h.n.Load()
		f()
		return h.n.Load() - before
	}
	// Warm the scripts (a first EVALSHA may be NOSCRIPT, then EVAL).
	a.do("GET", "/tagged?id=warm")
	a.do("POST", "/board")
	b.do("GET", "/tagged?id=warm")

	if n := trips(ha, func() { a.do("GET", "/for") }); n != 2 {
		t.Errorf("miss: %d round trips, want 2 (MGET entry+epoch, store script)", n)
	}
	if n := trips(ha, func() { a.do("GET", "/for") }); n != 0 || a.calls.Load() != 2 {
		t.Errorf("L1 hit: %d round trips (want 0), handler calls %d", n, a.calls.Load())
	}
	if n := trips(hb, func() { b.do("GET", "/for") }); n != 1 || b.calls.Load() != 0 {
		t.Errorf("b from Redis: %d round trips (want 1), handler calls %d (want 0)", n, b.calls.Load())
	}
	for _, target := range []string{"/board", "/board?fail=1"} {
		if n := trips(ha, func() { a.do("POST", target) }); n != 1 {
			t.Errorf("POST %s: %d round trips, want 1 (one script: URL and tags)", target, n)
		}
		// Gone from Redis (a fresh instance loads) and from b's L1.
		c, _ := newInst()
		if calls := c.callsFor(func() { c.do("GET", "/for") }); calls != 1 {
			t.Errorf("after POST %s a fresh instance served /for from Redis", target)
		}
		waitFor(t, "b's L1 evicted by "+target, func() bool { return b.callsFor(func() { b.do("GET", "/for") }) == 1 })
		a.do("GET", "/for")
	}
	// A write to /for itself evicts the URL (and no tag): one script.
	b.do("GET", "/for")
	if n := trips(ha, func() { a.do("POST", "/for") }); n != 1 {
		t.Errorf("POST /for: %d round trips, want 1", n)
	}
	waitFor(t, "b's L1 evicted by POST /for", func() bool { return b.callsFor(func() { b.do("GET", "/for") }) == 1 })
	// A GET has no response cache's write to join.
	a.do("GET", "/asks")
}

// TestL1Check: with WithL1Check and no pub/sub at all (WithoutInvalidation,
// so only the check can notice), a read on instance b right after a write
// on instance a is fresh: the L1 hit asks Redis's epoch (one round trip)
// and, outdated, looks the entry up in Redis again. With a check age, hits
// within it make no round trip and may be stale; the first one after it is
// fresh.
func TestL1Check(t *testing.T) {
	rdb := realRedis(t)
	p := testPrefix(t, rdb)
	newInst := func(age time.Duration) (*testApp, *countHook) {
		own := redis.NewClient(rdb.Options())
		t.Cleanup(func() { own.Close() })
		h := &countHook{}
		own.AddHook(h)
		ta := newTestApp(t, []Option{WithRedis(own), WithPrefix(p), WithRedisTimeout(5 * time.Second), WithoutInvalidation(), WithL1Check(age)})
		return ta, h
	}
	trips := func(h *countHook, f func()) int64 {
		before := h.n.Load()
		f()
		return h.n.Load() - before
	}
	a, _ := newInst(0)
	b, hb := newInst(0)
	a.do("GET", "/for")
	b.do("GET", "/for") // from Redis, into b's L1 with the epochs
	b.do("GET", "/for") // loads the check script (a first EVALSHA is NOSCRIPT, then EVAL)
	if n := trips(hb, func() { b.do("GET", "/for") }); n != 1 || b.calls.Load() != 0 {
		t.Fatalf("checked L1 hit: %d round trips (want 1: the check script), handler calls %d", n, b.calls.Load())
	}
	for range 3 {
		old := b.do("GET", "/for").Body.String()  // an L1 hit, checked
		a.do("POST", "/for")                      // evicts the URL in Redis, bumps the epoch; no message
		want := a.do("GET", "/for").Body.String() // a new body, stored in Redis
		if got := b.do("GET", "/for").Body.String(); got != want || got == old {
			t.Fatalf("b after a's write (no pub/sub): %q, want %q (was %q)", got, want, old)
		}
	}
	if b.calls.Load() != 0 {
		t.Errorf("b's handler ran %d times: its reads should come from L1 or Redis", b.calls.Load())
	}
	if st := b.c.Stats(); st.L1Outdated != 3 || st.L1Checks < 7 {
		t.Errorf("stats %+v", st)
	}

	// Bounded: within the age, L1 unchecked (stale allowed); after, fresh.
	const age = 300 * time.Millisecond
	c, hc := newInst(age)
	c.do("GET", "/for")
	a.do("POST", "/for")
	if n := trips(hc, func() { c.do("GET", "/for") }); n != 0 || c.calls.Load() != 0 {
		t.Fatalf("hit within the check age: %d round trips, handler calls %d (want 0, 0)", n, c.calls.Load())
	}
	time.Sleep(age + 50*time.Millisecond)
	if calls := c.callsFor(func() { c.do("GET", "/for") }); calls != 1 {
		t.Fatalf("a hit after the check age served the entry a's write invalidated")
	}
}
