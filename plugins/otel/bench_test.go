package otel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	covet "github.com/covetgo/covet/core"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/covetgo/covet/plugins/otel"
)

// nopExporter drops batches: the cost measured is the plugin, the SDK and
// the batch processor, not a network.
type nopExporter struct{}

func (nopExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (nopExporter) Shutdown(context.Context) error                             { return nil }

// BenchmarkRequest serves a plain parameter route in process: without
// tracing (a no-op app middleware in its place), with a sampler that drops
// every trace, and with every request sampled and exported in batches.
//
//	scripts/instr-per-op.sh ./plugins/otel 'Request/trace=(off|dropped|sampled)$' 20000
func BenchmarkRequest(b *testing.B) {
	route := func(c *covet.Context) error { return c.Text(200, "user") }
	for _, tc := range []struct {
		name string
		app  func() *covet.App
	}{
		{"trace=off", func() *covet.App {
			app := covet.New()
			app.Use(func(next covet.HandlerFunc) covet.HandlerFunc { return func(c *covet.Context) error { return next(c) } })
			return app
		}},
		{"trace=dropped", func() *covet.App {
			app := covet.New()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample())), sdktrace.WithBatcher(nopExporter{}))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			if err := app.Install(otel.New(otel.WithTracerProvider(tp))); err != nil {
				b.Fatal(err)
			}
			return app
		}},
		{"trace=sampled", func() *covet.App {
			app := covet.New()
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(nopExporter{}))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			if err := app.Install(otel.New(otel.WithTracerProvider(tp))); err != nil {
				b.Fatal(err)
			}
			return app
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			app := tc.app()
			app.GET("/users/{id:int}", route)
			req := httptest.NewRequest("GET", "/users/42", nil)
			w := &discard{h: http.Header{}}
			app.ServeHTTP(w, req)
			b.ReportAllocs()
			for b.Loop() {
				app.ServeHTTP(w, req)
			}
		})
	}
}

var _ = tracetest.NewInMemoryExporter
