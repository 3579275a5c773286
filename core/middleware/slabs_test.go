package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/middleware"
)

// Timing and Timeout take their per-request state from shared slabs: these
// tests check that no state is ever handed to two requests (values kept from
// earlier requests stay as they were, under concurrency too) and that the
// slabs spare the per-request allocation.

// TestTimingStateNotReused keeps the Server-Timing values of many concurrent
// requests (more than a slab holds) and checks that none changed after the
// others ran: net/http may write a response's headers after its handlers
// returned, so a state must never go to another request.
func TestTimingStateNotReused(t *testing.T) {
	app, _ := newApp()
	app.Use(middleware.Timing())
	app.GET("/", func(c *covet.Context) error { return c.Text(200, "ok") })
	const workers, each = 4, 100 // 400 requests, a dozen slabs
	type kept struct{ v, copy string }
	var mu sync.Mutex
	var all []kept
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				rec := httptest.NewRecorder()
				app.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
				v := rec.Header().Get("Server-Timing")
				if !totalTiming.MatchString(v) {
					t.Errorf("Server-Timing = %q", v)
					return
				}
				mu.Lock()
				all = append(all, kept{v, string([]byte(v))})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i, k := range all {
		if k.v != k.copy {
			t.Fatalf("request %d's Server-Timing changed from %q to %q after later requests", i, k.copy, k.v)
		}
	}
}

// TestTimingAllocations: Timing allocates nothing per request (one slab for
// many).
func TestTimingAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation count")
	}
	count := func(mw ...covet.Middleware) float64 { return allocsPerRequest(320, mw...) }
	bare, timed := count(), count(middleware.Timing())
	t.Logf("allocations per request: %.1f bare, %.1f with Timing", bare, timed)
	if timed != bare {
		t.Errorf("Timing adds %.1f allocations per request (%.1f vs %.1f), want none", timed-bare, timed, bare)
	}
}

type slabTestKey struct{}

// TestTimeoutContextsOutliveRequests keeps the contexts of more requests
// than a slab holds after they ended, as a goroutine may: each still has its
// own request's values, reports the request as over, and is not touched by
// the requests that came after it.
func TestTimeoutContextsOutliveRequests(t *testing.T) {
	app, _ := newApp()
	app.Use(middleware.Timeout(time.Minute))
	var ctxs []context.Context
	app.GET("/", func(c *covet.Context) error {
		ctxs = append(ctxs, c.Context())
		return c.Text(200, "ok")
	})
	const n = 50 // three slabs and more
	for i := range n {
		req := httptest.NewRequest("GET", "/", nil)
		req = req.WithContext(context.WithValue(req.Context(), slabTestKey{}, i))
		if rec := serve(app, req); rec.Code != http.StatusOK {
			t.Fatalf("request %d: status %d", i, rec.Code)
		}
	}
	if len(ctxs) != n {
		t.Fatalf("%d contexts kept, want %d", len(ctxs), n)
	}
	for i, ctx := range ctxs {
		if v, _ := ctx.Value(slabTestKey{}).(int); v != i {
			t.Errorf("context %d carries the value of request %d", i, v)
		}
		if err := ctx.Err(); err != context.Canceled {
			t.Errorf("context %d: Err() = %v after its request ended, want context.Canceled", i, err)
		}
		select {
		case <-ctx.Done():
		default:
			t.Errorf("context %d: Done() not closed after its request ended", i)
		}
		if d, ok := ctx.Deadline(); !ok || d.IsZero() {
			t.Errorf("context %d: Deadline() = %v, %v", i, d, ok)
		}
	}
}

// allocsPerRequest is the average allocations of runs GET / requests to a
// route behind mw, served in process. The collector is off while it counts:
// a collection empties the sync.Pools (Timeout's and Timing's slabs, core's
// Contexts), and refilling them would show up as allocations of the
// request that happens to follow it, so the count is exact.
func allocsPerRequest(runs int, mw ...covet.Middleware) float64 {
	return allocsPerRequestOf(runs, func(c *covet.Context) error { return c.Text(200, "hello") }, mw...)
}

// allocsPerRequestOf is allocsPerRequest with the route's handler h.
func allocsPerRequestOf(runs int, h covet.HandlerFunc, mw ...covet.Middleware) float64 {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	app, _ := newApp()
	app.GET("/", h, mw...)
	req := httptest.NewRequest("GET", "/", nil)
	w := httptest.NewRecorder()
	return testing.AllocsPerRun(runs, func() {
		clear(w.Header())
		app.ServeHTTP(w, req)
	})
}

// TestSlabValuesNotShared: SecureHeaders' values and RequestID's IDs come
// from slabs; over more requests than a slab holds, concurrently, each
// response keeps its own: a handler that writes into its header value
// slices changes no other response, and an ID kept from an earlier
// request stays as it was.
func TestSlabValuesNotShared(t *testing.T) {
	app, _ := newApp()
	app.Use(middleware.RequestID(), middleware.SecureHeaders())
	app.GET("/", func(c *covet.Context) error {
		h := c.Response().Header()
		// Writing into the slices SecureHeaders set (a handler may).
		h["X-Frame-Options"][0] = "SAMEORIGIN"
		h["Referrer-Policy"][0] = c.RequestID()
		return c.Text(200, "ok")
	})
	const workers, each = 4, 100 // 400 requests, a dozen slabs
	type kept struct {
		h           http.Header
		id, idCopy  string
		ref, refCpy string
	}
	var mu sync.Mutex
	var all []kept
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				rec := httptest.NewRecorder()
				app.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
				h := rec.Header()
				id := h.Get("X-Request-ID")
				mu.Lock()
				all = append(all, kept{h, id, string([]byte(id)), h.Get("Referrer-Policy"), string([]byte(h.Get("Referrer-Policy")))})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, k := range all {
		if k.id != k.idCopy || k.ref != k.refCpy || k.ref != k.id {
			t.Fatalf("request %d: ID %q (was %q), Referrer-Policy %q (was %q) after later requests", i, k.id, k.idCopy, k.ref, k.refCpy)
		}
		if seen[k.id] {
			t.Fatalf("request %d: ID %q given twice", i, k.id)
		}
		seen[k.id] = true
		if got := k.h.Get("X-Frame-Options"); got != "SAMEORIGIN" {
			t.Fatalf("request %d: X-Frame-Options %q", i, got)
		}
		if got := k.h.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Fatalf("request %d: X-Content-Type-Options %q", i, got)
		}
	}
	// A fresh response still gets the defaults: nothing was written into
	// a shared value.
	rec := httptest.NewRecorder()
	app2, _ := newApp()
	app2.Use(middleware.SecureHeaders())
	app2.GET("/", func(c *covet.Context) error { return c.Text(200, "ok") })
	app2.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Header().Get("X-Frame-Options"); got != "DENY" {
		t.Fatalf("X-Frame-Options %q on a fresh app", got)
	}
}

// TestSlabMiddlewareAllocations: RequestID (generating IDs) and
// SecureHeaders allocate nothing per request of their own (one slab for
// many).
func TestSlabMiddlewareAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation count")
	}
	count := func(mw ...covet.Middleware) float64 { return allocsPerRequest(320, mw...) }
	bare := count()
	for name, mw := range map[string]covet.Middleware{
		"RequestID":     middleware.RequestID(),
		"SecureHeaders": middleware.SecureHeaders(),
	} {
		if got := count(mw); got != bare {
			t.Errorf("%s adds %.1f allocations per request (%.1f vs %.1f), want none", name, got-bare, got, bare)
		}
	}
}
