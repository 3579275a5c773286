package ratelimit

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// roomy never refuses in a benchmark: a high rate and a huge burst.
var roomy = PerSecond(1_000_000).Burst(math.MaxInt32)

// BenchmarkMemoryTake is one allowed check of one key: the target is
// <= 200 ns and 0 allocations.
func BenchmarkMemoryTake(b *testing.B) {
	for _, l := range []Limit{roomy, Per(math.MaxInt32, time.Hour).SlidingWindow()} {
		b.Run(l.Algorithm().String(), func(b *testing.B) {
			m := NewMemory()
			reqs := []Request{{Scope: "bench/bench/g", Key: "203.0.113.9", Limit: l}}
			out := make([]Decision, 1)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if ok, _ := m.Take(ctx, reqs, out); !ok {
					b.Fatal("refused")
				}
			}
		})
	}
}

// BenchmarkMemoryTakeParallel spreads allowed checks over many keys from
// every core.
func BenchmarkMemoryTakeParallel(b *testing.B) {
	m := NewMemory()
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "client-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		reqs := []Request{{Scope: "bench/bench/g", Limit: roomy}}
		out := make([]Decision, 1)
		i := 0
		for pb.Next() {
			reqs[0].Key = keys[i&1023]
			i++
			m.Take(context.Background(), reqs, out)
		}
	})
}

// BenchmarkMemoryManyKeys fills a Memory backend with COVET_BENCH_KEYS
// distinct keys (default 1,000,000), reports the heap bytes per key, then
// measures checks cycling over all of them.
func BenchmarkMemoryManyKeys(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("COVET_BENCH_KEYS")); err == nil && v > 0 {
		n = v
	}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "198.51." + strconv.Itoa(i>>8&0xffff) + "." + strconv.Itoa(i&0xff)
	}
	m := NewMemory(WithMaxKeys(n))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	reqs := []Request{{Scope: "bench/bench/g", Limit: PerDay(100)}} // long-lived state: nothing expires
	out := make([]Decision, 1)
	for _, k := range keys {
		reqs[0].Key = k
		m.Take(context.Background(), reqs, out)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if got := m.Len(); got < n*95/100 {
		b.Fatalf("%d keys kept of %d", got, n)
	}
	perKey := float64(after.HeapAlloc-before.HeapAlloc) / float64(m.Len())
	kept := m.Len()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		reqs[0].Key = keys[i%n]
		i++
		m.Take(context.Background(), reqs, out)
	}
	b.ReportMetric(perKey, "B/key")
	b.ReportMetric(float64(kept), "keys")
	runtime.KeepAlive(keys)
}

// BenchmarkMiddleware is a plaintext request through an app, without and
// with a limit (memory backend, client IP key).
func BenchmarkMiddleware(b *testing.B) {
	for _, limited := range []bool{false, true} {
		name := "none"
		if limited {
			name = "limited"
		}
		b.Run(name, func(b *testing.B) {
			app := covet.New(covet.WithLogger(discardLogger()))
			r := app.GET("/plaintext", func(c *covet.Context) error { return c.Text(200, "Hello, World!") })
			if limited {
				r.With(Apply(NewPolicy("bench", WithLimits(roomy))))
			}
			if err := app.Install(New()); err != nil {
				b.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/plaintext", nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.code = 0
				app.ServeHTTP(w, req)
				if w.code != 200 {
					b.Fatalf("status %d", w.code)
				}
			}
		})
	}
}

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
