package cache

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// dbDelay stands for one query to a database on the local network.
const dbDelay = 500 * time.Microsecond

// BenchmarkCachingHelps serves GET /tasks/{id} (a JSON task built after a
// DB-like delay) for ids drawn from a Zipf distribution (s = 1.2, 10,000
// ids), with the response cache off and on; "hit%" is the cache's hit
// ratio. Compare the two ns/op:
//
//	go test -run '^$' -bench CachingHelps -benchtime 20000x ./plugins/cache
func BenchmarkCachingHelps(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			app := covet.New()
			var h *HTTPCache
			if on {
				c, err := New()
				if err != nil {
					b.Fatal(err)
				}
				h = NewHTTP(c)
				if err := app.Install(h); err != nil {
					b.Fatal(err)
				}
			}
			app.GET("/tasks/{id:int}", func(c *covet.Context) error {
				id, _ := c.ParamInt("id")
				time.Sleep(dbDelay)
				return c.JSON(200, task{ID: id, Title: fmt.Sprintf("task %d", id)})
			}).With(Route(For(time.Minute), TagsFrom(func(c *covet.Context) []string { return []string{"task:" + c.Param("id")} })))
			z := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.2, 1, 9_999)
			paths := make([]string, 200_000) // a trace longer than any run here
			for i := range paths {
				paths[i] = fmt.Sprintf("/tasks/%d", z.Uint64())
			}
			req, _ := http.NewRequest(http.MethodGet, "/", nil)
			w := &nullWriter{h: http.Header{}}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				clear(w.h)
				req.URL.Path = paths[i%len(paths)]
				app.ServeHTTP(w, req)
				i++
			}
			if h != nil {
				st := h.Stats()
				b.ReportMetric(100*float64(st.Hits)/float64(st.Hits+st.Misses), "hit%")
			}
		})
	}
}
