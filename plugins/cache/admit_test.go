package cache

import (
	"fmt"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// TestAdmitRepeats: on an AdmitRepeats route a URL asked once runs the
// handler without lookup or store (a bypass); asked again within the
// window it is stored, and then served; other routes store at once.
func TestAdmitRepeats(t *testing.T) {
	for _, withRedis := range []bool{false, true} {
		t.Run(fmt.Sprintf("redis=%v", withRedis), func(t *testing.T) {
			var copts []Option
			if withRedis {
				rdb := realRedis(t)
				copts = []Option{WithRedis(rdb), WithPrefix(testPrefix(t, rdb)), WithL1Check(0)}
			}
			ta := newTestApp(t, copts)
			ta.app.GET("/item/{id:int}", func(c *covet.Context) error {
				ta.calls.Add(1)
				return c.Text(200, "item "+c.Param("id"))
			}).With(Route(For(time.Minute), AdmitRepeats(time.Minute),
				TagsFrom(func(c *covet.Context) []string { return []string{"item:" + c.Param("id")} })))

			// Many URLs, each asked once: none stored, none looked up, each
			// answered with the headers a stored response gets.
			for i := range 50 {
				w := ta.do("GET", fmt.Sprintf("/item/%d", i))
				if w.Code != 200 || w.Body.String() != fmt.Sprintf("item %d", i) {
					t.Fatalf("item %d: %d %q", i, w.Code, w.Body)
				}
				if cc, sk := w.Header().Get("Cache-Control"), w.Header().Get("Surrogate-Key"); cc != "public, max-age=0, s-maxage=60" || sk != fmt.Sprintf("item:%d", i) {
					t.Fatalf("item %d: Cache-Control %q, Surrogate-Key %q", i, cc, sk)
				}
			}
			st := ta.h.Stats()
			if st.Stores != 0 || st.Misses != 0 || st.Hits != 0 || st.Bypasses != 50 {
				t.Fatalf("after 50 one-off URLs: %+v, want 50 bypasses and nothing else", st)
			}
			// Asked again: the second request fills, the third hits.
			if n := ta.callsFor(func() { ta.do("GET", "/item/7") }); n != 1 || ta.h.Stats().Stores != 1 {
				t.Fatalf("second request: %d handler calls, stats %+v; want 1 call and a store", n, ta.h.Stats())
			}
			if n := ta.callsFor(func() { ta.do("GET", "/item/7") }); n != 0 || ta.h.Stats().Hits != 1 {
				t.Fatalf("third request: %d handler calls, stats %+v; want a hit", n, ta.h.Stats())
			}
			// Invalidated, it is refilled on the next request (it was asked
			// recently), not skipped once more.
			ta.c.InvalidateTags(t.Context(), "item:7")
			stores := ta.h.Stats().Stores
			ta.do("GET", "/item/7")
			if ta.h.Stats().Stores != stores+1 {
				t.Fatalf("after eviction: stats %+v, want a store", ta.h.Stats())
			}
			// A route without AdmitRepeats stores on the first request.
			ta.do("GET", "/for")
			if ta.h.Stats().Stores != stores+2 {
				t.Fatalf("/for: stats %+v, want a store at once", ta.h.Stats())
			}
		})
	}
}

// TestDoorkeeperWindow: a key is "seen" only within the window after it
// was last asked.
func TestDoorkeeperWindow(t *testing.T) {
	d := newDoorkeeper()
	k := []byte("example.com/item/1")
	if d.seen(k, 1000, 60) {
		t.Fatal("a key never asked was seen")
	}
	if !d.seen(k, 1030, 60) {
		t.Fatal("asked 30 s before, within a 60 s window: not seen")
	}
	if d.seen(k, 1200, 60) {
		t.Fatal("asked 170 s before, outside a 60 s window: seen")
	}
	if d.seen([]byte("example.com/item/2"), 1200, 60) {
		t.Fatal("another key was seen")
	}
}

// TestBypassIf: requests BypassIf picks run the handler every time and
// leave no entry; the route's other requests are cached.
func TestBypassIf(t *testing.T) {
	ta := newTestApp(t, nil)
	ta.app.GET("/list", func(c *covet.Context) error {
		ta.calls.Add(1)
		return c.Text(200, "list "+c.Query("cursor"))
	}).With(Route(For(time.Minute), BypassIf(func(c *covet.Context) bool { return c.QueryValues().Has("cursor") })))
	if n := ta.callsFor(func() { ta.do("GET", "/list?cursor="); ta.do("GET", "/list?cursor=") }); n != 2 {
		t.Fatalf("bypassed requests: %d handler calls, want 2", n)
	}
	if st := ta.h.Stats(); st.Bypasses != 2 || st.Stores != 0 || st.Misses != 0 {
		t.Fatalf("bypassed requests: stats %+v", st)
	}
	if n := ta.callsFor(func() { ta.do("GET", "/list"); ta.do("GET", "/list") }); n != 1 {
		t.Fatalf("cached requests: %d handler calls, want 1", n)
	}
}
