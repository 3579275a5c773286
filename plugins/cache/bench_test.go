package cache

import (
	"net/http"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// nullWriter is a ResponseWriter that keeps headers and drops the body; the
// benchmarks clear its header map between requests (clear keeps the map's
// storage, as a server's would be warm).
type nullWriter struct {
	h    http.Header
	code int
}

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nullWriter) WriteHeader(code int)        { w.code = code }

const helloBody = "Hello, World!"

// benchResponseApp returns an app with GET /plaintext, through the
// response cache or not.
func benchResponseApp(b *testing.B, cached bool) *covet.App {
	app := covet.New()
	if cached {
		c, err := New()
		if err != nil {
			b.Fatal(err)
		}
		if err := app.Install(NewHTTP(c)); err != nil {
			b.Fatal(err)
		}
		app.GET("/plaintext", func(c *covet.Context) error {
			return c.Text(200, helloBody)
		}).With(Route(For(time.Hour)))
	} else {
		app.GET("/plaintext", func(c *covet.Context) error {
			return c.Text(200, helloBody)
		})
	}
	return app
}

// BenchmarkResponse compares a static plaintext route (plain) with the same
// route answered from the response cache (hit) and a conditional hit (304).
//
//	scripts/instr-per-op.sh ./plugins/cache 'Response/(plain|hit)$' 2000
func BenchmarkResponse(b *testing.B) {
	for _, tc := range []struct {
		name   string
		cached bool
		inm    bool
	}{{"plain", false, false}, {"hit", true, false}, {"hit304", true, true}} {
		b.Run(tc.name, func(b *testing.B) {
			app := benchResponseApp(b, tc.cached)
			req, _ := http.NewRequest(http.MethodGet, "/plaintext", nil)
			w := &nullWriter{h: http.Header{}}
			app.ServeHTTP(w, req) // fill
			if tc.inm {
				clear(w.h)
				app.ServeHTTP(w, req) // a hit: carries the stored ETag
				req.Header.Set("If-None-Match", w.h.Get("Etag"))
				clear(w.h)
				app.ServeHTTP(w, req)
				if w.code != 304 {
					b.Fatalf("status %d", w.code)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				app.ServeHTTP(w, req)
			}
		})
	}
}
