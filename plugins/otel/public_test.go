package otel_test

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/covetgo/covet/plugins/otel"
)

const (
	publicTraceID = "0af7651916cd43dd8448eb211c80319c"
	publicSpanID  = "b7ad6b7169203331"
	// publicSampled is a caller's traceparent that asks for sampling.
	publicSampled = "00-" + publicTraceID + "-" + publicSpanID + "-01"
)

// TestPublicEndpoint: with WithPublicEndpoint the server span is a new
// root, linked to the caller's span, and the handler sees neither the
// caller's trace nor its baggage; without a traceparent there is no link;
// a span already in the request's context is not the parent either (as
// trace.WithNewRoot).
func TestPublicEndpoint(t *testing.T) {
	tp, rec := recorded()
	app := covet.New()
	if err := app.Install(otel.New(otel.WithTracerProvider(tp), otel.WithPublicEndpoint())); err != nil {
		t.Fatal(err)
	}
	var seen string
	app.GET("/x", func(c *covet.Context) error {
		seen = trace.SpanContextFromContext(c.Context()).TraceID().String() + " " + baggage.FromContext(c.Context()).Member("tenant").Value()
		return c.Text(200, "x")
	})
	c := covettest.New(t, app)
	c.Get("/x").Header("traceparent", publicSampled).Header("tracestate", "vendor=v").Header("baggage", "tenant=evil").Do().ExpectStatus(200)
	if seen[:32] == publicTraceID || seen[33:] != "" {
		t.Errorf("the handler saw %q: the caller's trace or baggage", seen)
	}
	c.Get("/x").Do().ExpectStatus(200)

	outer, inProcess := tp.Tracer("outer").Start(context.Background(), "outer")
	r := httptest.NewRequest(http.MethodGet, "/x", nil).WithContext(outer)
	app.ServeHTTP(httptest.NewRecorder(), r)
	inProcess.End()

	var server []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == "GET /x" {
			server = append(server, s)
		}
	}
	if len(server) != 3 {
		t.Fatalf("%d server spans, want 3", len(server))
	}
	linked := server[0]
	if linked.Parent().IsValid() || linked.SpanContext().TraceID().String() == publicTraceID || linked.SpanContext().TraceState().Len() != 0 {
		t.Errorf("the span joined the caller's trace: parent %v, trace %v", linked.Parent(), linked.SpanContext().TraceID())
	}
	if l := linked.Links(); len(l) != 1 || l[0].SpanContext.TraceID().String() != publicTraceID ||
		l[0].SpanContext.SpanID().String() != publicSpanID || !l[0].SpanContext.IsRemote() ||
		l[0].SpanContext.TraceState().String() != "vendor=v" {
		t.Errorf("links %+v, want one to the caller's span", l)
	}
	if l := server[1].Links(); len(l) != 0 {
		t.Errorf("a request without traceparent has links %+v", l)
	}
	if p := server[2].Parent(); p.IsValid() || server[2].SpanContext().TraceID() == inProcess.SpanContext().TraceID() {
		t.Errorf("a span in the request's context became the parent: %v", p)
	}
}

// TestPublicEndpointFn: WithPublicEndpointFn links the requests fn accepts
// and follows the others' trace context; WithTrustedTraceContext still
// refuses first (no link either).
func TestPublicEndpointFn(t *testing.T) {
	tp, rec := recorded()
	app := covet.New()
	p := otel.New(otel.WithTracerProvider(tp),
		otel.WithPublicEndpointFn(func(r *http.Request) bool { return r.Header.Get("X-From-Gateway") != "yes" }),
		otel.WithTrustedTraceContext(func(r *http.Request) bool { return r.Header.Get("X-Banned") == "" }))
	if err := app.Install(p); err != nil {
		t.Fatal(err)
	}
	app.GET("/x", func(c *covet.Context) error { return c.Text(200, "x") })
	c := covettest.New(t, app)
	c.Get("/x").Header("traceparent", publicSampled).Do().ExpectStatus(200)
	c.Get("/x").Header("traceparent", publicSampled).Header("X-From-Gateway", "yes").Do().ExpectStatus(200)
	c.Get("/x").Header("traceparent", publicSampled).Header("X-Banned", "1").Do().ExpectStatus(200)
	spans := rec.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3", len(spans))
	}
	if s := spans[0]; s.Parent().IsValid() || len(s.Links()) != 1 {
		t.Errorf("public request: parent %v, %d links; want a linked new root", s.Parent(), len(s.Links()))
	}
	if s := spans[1]; s.Parent().SpanID().String() != publicSpanID || s.SpanContext().TraceID().String() != publicTraceID || len(s.Links()) != 0 {
		t.Errorf("gateway request: parent %v, %d links; want the caller's span as parent", s.Parent(), len(s.Links()))
	}
	if s := spans[2]; s.Parent().IsValid() || len(s.Links()) != 0 {
		t.Errorf("untrusted request: parent %v, %d links; want a new root without a link", s.Parent(), len(s.Links()))
	}
}

// TestPublicEndpointExported: on the plugin's own provider (presample, the
// fast path and the SDK's path), a caller's sampled traceparent does not
// force sampling past a ratio of 0, and a sampled request's exported span
// is a root with one link to the caller's span.
func TestPublicEndpointExported(t *testing.T) {
	t.Setenv("OTEL_TRACES_SAMPLER", "")
	for _, fast := range []bool{true, false} {
		reqs := []diffReq{{method: "GET", path: "/ok/1", traceparent: publicSampled, tracestate: "vendor=v"}}
		rv, _ := serveDiff(t, reqs, otel.WithPublicEndpoint(), otel.WithSampleRatio(0), otel.WithFastPath(fast))
		if got := received(rv); len(got) != 0 {
			t.Errorf("fast=%v: ratio 0 exported %d spans for a caller asking for sampling", fast, len(got))
		}
		rv, _ = serveDiff(t, reqs, otel.WithPublicEndpoint(), otel.WithSampler(sdktrace.AlwaysSample()), otel.WithFastPath(fast))
		got := received(rv)
		if len(got) != 1 {
			t.Fatalf("fast=%v: %d spans exported, want 1", fast, len(got))
		}
		s := got[0].span
		if len(s.ParentSpanId) != 0 || hex.EncodeToString(s.TraceId) == publicTraceID {
			t.Errorf("fast=%v: exported span has parent %x in trace %x, want a new root", fast, s.ParentSpanId, s.TraceId)
		}
		if len(s.Links) != 1 || hex.EncodeToString(s.Links[0].TraceId) != publicTraceID ||
			hex.EncodeToString(s.Links[0].SpanId) != publicSpanID {
			t.Errorf("fast=%v: links %v, want one to the caller's span", fast, s.Links)
		}
		if s.TraceState != "" {
			t.Errorf("fast=%v: trace state %q taken from the caller", fast, s.TraceState)
		}
	}
}
