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
