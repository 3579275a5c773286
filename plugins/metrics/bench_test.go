package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	covet "github.com/covetgo/covet/core"

	"github.com/covetgo/covet/plugins/metrics"
)

// BenchmarkRequest serves a plain parameter route in process, with and
// without the metrics plugin (the bare app has a no-op app middleware so
// that both take the same path through core). Compare instructions with
// scripts/instr-per-op.sh ./plugins/metrics 'Request/metrics=(off|on)$' 20000.
func BenchmarkRequest(b *testing.B) {
	for _, tc := range []struct {
		name string
		app  func() http.Handler
	}{
		{"metrics=off", func() http.Handler {
			app := covet.New()
			app.Use(func(next covet.HandlerFunc) covet.HandlerFunc { return func(c *covet.Context) error { return next(c) } })
			app.GET("/users/{id:int}", userHandler)
			return app
		}},
		{"metrics=on", func() http.Handler {
			app := covet.New()
			if err := app.Install(metrics.New()); err != nil {
				b.Fatal(err)
			}
			app.GET("/users/{id:int}", userHandler)
			return app
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := tc.app()
			req := httptest.NewRequest("GET", "/users/42", nil)
			w := &discard{h: http.Header{}}
			h.ServeHTTP(w, req)
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, req)
			}
		})
	}
}

func userHandler(c *covet.Context) error { return c.Text(200, "user") }
