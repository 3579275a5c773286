package otel_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"testing"

	covet "github.com/covetgo/covet/core"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/covetgo/covet/plugins/otel"
	"github.com/covetgo/covet/plugins/otel/oteltest"
)

// TestPresampledRequests serves requests with random traceparent headers
// through the plugin's own provider under a parent-based ratio sampler
// (decided before tracer.Start) and checks against the SDK what reaches
// the handler and the exporter: a caller's decision is followed and its
// trace continued with a new span ID; a new root gets a valid trace ID,
// sampled exactly when the SDK's ratio sampler samples that ID (so the SDK
// started the span on the ID the decision was made on); dropped requests
// still carry a span context (trace ID, tracestate, the plugin's provider)
// for outgoing calls, and only sampled ones are exported.
//
// Run twice: with an exporter passed in (sampled spans through the SDK)
// and over OTLP/HTTP from the environment (the fast path, to a receiver).
func TestPresampledRequests(t *testing.T) {
	for _, fast := range []bool{false, true} {
		for _, ratio := range []float64{0, 0.3, 1} {
			t.Run(fmt.Sprint("fast=", fast, "/ratio=", ratio), func(t *testing.T) {
				testPresampledRequests(t, fast, ratio)
			})
		}
	}
}

func testPresampledRequests(t *testing.T, fast bool, ratio float64) {
	exp := tracetest.NewInMemoryExporter()
	opts := []otel.Option{otel.WithSampleRatio(ratio), otel.WithExporter(exp)}
	rv := &oteltest.Receiver{}
	if fast {
		srv := httptest.NewServer(rv)
		t.Cleanup(srv.Close)
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
		opts = opts[:1]
	}
	p := otel.New(opts...)
	app := covet.New()
	if err := app.Install(p); err != nil {
		t.Fatal(err)
	}
	var seen trace.Span
	var recording bool
	var newRoot trace.SpanContext
	app.GET("/x", func(c *covet.Context) error {
		seen = trace.SpanFromContext(c.Context())
		recording = seen.IsRecording()
		// A new root started in the handler draws its own trace ID.
		_, s := seen.TracerProvider().Tracer("t").Start(c.Context(), "root", trace.WithNewRoot())
		newRoot = s.SpanContext()
		s.End()
		return c.Text(200, "x")
	})
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ratioSampler := sdktrace.TraceIDRatioBased(ratio)
	rng := rand.New(rand.NewPCG(7, uint64(ratio*10)))
	sampled := map[trace.SpanID]trace.TraceID{}
	var counts [2]int
	roots, rootsSampled := 0, 0
	for i := range 600 {
		req := httptest.NewRequest("GET", "/x", nil)
		tp := ""
		parentSampled := rng.IntN(2) == 0
		if rng.IntN(2) == 0 {
			tp = fmt.Sprintf("00-%016x%016x-%016x-0%d", rng.Uint64()|1, rng.Uint64(), rng.Uint64()|1, map[bool]int{false: 0, true: 1}[parentSampled])
			req.Header.Set("Traceparent", tp)
			req.Header.Set("Tracestate", "k=v")
		}
		app.ServeHTTP(httptest.NewRecorder(), req)
		sc := seen.SpanContext()
		if !sc.IsValid() {
			t.Fatalf("request %d: no valid span context in the handler: %v", i, sc)
		}
		if newRoot.TraceID() == sc.TraceID() {
			t.Fatalf("request %d: a new root in the handler reused the request's trace ID", i)
		}
		if tp != "" {
			psc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagationCarrier(tp)))
			if sc.TraceID() != psc.TraceID() || sc.SpanID() == psc.SpanID() || sc.IsSampled() != parentSampled || sc.TraceState().Get("k") != "v" {
				t.Fatalf("request %d: parent %v, handler's span context %v", i, psc, sc)
			}
		} else {
			want := ratioSampler.ShouldSample(sdktrace.SamplingParameters{ParentContext: context.Background(), TraceID: sc.TraceID()}).Decision == sdktrace.RecordAndSample
			if sc.IsSampled() != want {
				t.Fatalf("request %d: new root %s sampled %v, the SDK's ratio sampler says %v", i, sc.TraceID(), sc.IsSampled(), want)
			}
			roots++
			if want {
				rootsSampled++
			}
		}
		if recording != sc.IsSampled() {
			t.Fatalf("request %d: recording %v, sampled %v", i, recording, sc.IsSampled())
		}
		if seen.TracerProvider() != p.TracerProvider() {
			t.Fatalf("request %d: the span's provider is not the plugin's", i)
		}
		if sc.IsSampled() {
			sampled[sc.SpanID()] = sc.TraceID()
			counts[1]++
		} else {
			counts[0]++
		}
	}
	got := map[trace.SpanID]trace.TraceID{}
	if fast {
		if err := app.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, s := range rv.Spans() {
			if s.Name == "GET /x" {
				got[trace.SpanID(s.SpanId)] = trace.TraceID(s.TraceId)
			}
		}
	} else {
		// The in-memory exporter forgets its spans at shutdown: flush.
		if err := p.TracerProvider().(*sdktrace.TracerProvider).ForceFlush(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = app.Stop(context.Background()) })
		for _, s := range exp.GetSpans() {
			if s.Name == "GET /x" {
				got[s.SpanContext.SpanID()] = s.SpanContext.TraceID()
			}
		}
	}
	if len(got) != len(sampled) {
		t.Fatalf("%d server spans exported, %d requests sampled", len(got), len(sampled))
	}
	for sid, tid := range sampled {
		if got[sid] != tid {
			t.Fatalf("sampled span %s (trace %s) not exported", sid, tid)
		}
	}
	// Were the plugin's decision and the SDK's made on different
	// trace IDs, a new root would be sampled with probability
	// ratio²; bounds 4.5 standard deviations wide.
	if share := float64(rootsSampled) / float64(roots); ratio == 0.3 && (share < 0.18 || share > 0.42) {
		t.Errorf("%d of %d new roots sampled at ratio %v", rootsSampled, roots, ratio)
	}
	t.Logf("%d dropped, %d sampled; %d of %d new roots sampled", counts[0], counts[1], rootsSampled, roots)
}

type propagationCarrier string

func (c propagationCarrier) Get(key string) string {
	if key == "traceparent" {
		return string(c)
	}
	return ""
}
func (propagationCarrier) Set(string, string) {}
func (propagationCarrier) Keys() []string     { return []string{"traceparent"} }
