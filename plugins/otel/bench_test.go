package otel_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

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
//	scripts/instr-per-op.sh ./plugins/otel 'Request/trace=dropped$' 10000  (one variant per run)
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
		// The plugin builds the provider: its sampler is recognised and
		// decided before tracer.Start (presample.go).
		{"trace=dropped", func() *covet.App {
			return started(b, otel.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample())), otel.WithExporter(nopExporter{}))
		}},
		{"trace=sampled", func() *covet.App {
			return started(b, otel.WithSampler(sdktrace.AlwaysSample()), otel.WithExporter(nopExporter{}))
		}},
		// As apps use it by default (OTLP/HTTP from the environment): the
		// fast path, posted to a client that reads and answers 200.
		{"trace=fast", func() *covet.App {
			b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
			return started(b, otel.WithSampler(sdktrace.AlwaysSample()), otel.WithHTTPClient(&http.Client{Transport: discardTransport{}}))
		}},
		{"trace=ratio", func() *covet.App { // half sampled, half dropped
			return started(b, otel.WithSampleRatio(0.5), otel.WithExporter(nopExporter{}))
		}},
		// The application's provider: every request goes through tracer.Start.
		{"trace=dropped-tp", func() *covet.App {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample())), sdktrace.WithBatcher(nopExporter{}))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			return started(b, otel.WithTracerProvider(tp))
		}},
		{"trace=sampled-tp", func() *covet.App {
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(nopExporter{}))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			return started(b, otel.WithTracerProvider(tp))
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			app := tc.app()
			app.GET("/users/{id:int}", route)
			if err := app.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = app.Stop(context.Background()) })
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

// started returns an app with the plugin installed (started, as its
// plugins are, once the route is added).
func started(b *testing.B, opts ...otel.Option) *covet.App {
	app := covet.New()
	if err := app.Install(otel.New(opts...)); err != nil {
		b.Fatal(err)
	}
	return app
}

// discardTransport reads each export and answers 200, without a network.
type discardTransport struct{}

func (discardTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
}
