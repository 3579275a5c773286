package otel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/covetgo/covet/plugins/otel"
)

func TestContract(t *testing.T) {
	covettest.PluginContract(t, func() covet.Plugin {
		return otel.New(otel.WithExporter(tracetest.NewInMemoryExporter()))
	})
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// spanSource is where a test reads the spans the plugin ended: the
// application's provider with a recorder, or the provider the plugin builds
// (which decides sampling itself and sets the start attributes at the end)
// with an in-memory exporter.
type spanSource struct {
	name  string
	app   func(t *testing.T) *covet.App
	ended func(t *testing.T) []sdktrace.ReadOnlySpan
	reset func()
}

func spanSources() []spanSource {
	tp, rec := recorded()
	exp := tracetest.NewInMemoryExporter()
	var built *otel.Plugin
	return []spanSource{
		{
			name:  "provider=given",
			app:   func(t *testing.T) *covet.App { return newApp(t, otel.WithTracerProvider(tp)) },
			ended: func(*testing.T) []sdktrace.ReadOnlySpan { return rec.Ended() },
			reset: rec.Reset,
		},
		{
			name: "provider=plugin",
			app: func(t *testing.T) *covet.App {
				built = otel.New(otel.WithSampler(sdktrace.AlwaysSample()), otel.WithExporter(exp))
				app := covet.New()
				if err := app.Install(built); err != nil {
					t.Fatal(err)
				}
				addRoutes(app)
				if err := app.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = app.Stop(context.Background()) })
				return app
			},
			ended: func(t *testing.T) []sdktrace.ReadOnlySpan {
				if err := built.TracerProvider().(*sdktrace.TracerProvider).ForceFlush(context.Background()); err != nil {
					t.Fatal(err)
				}
				var spans []sdktrace.ReadOnlySpan
				for _, s := range exp.GetSpans() {
					spans = append(spans, s.Snapshot())
				}
				return spans
			},
			reset: exp.Reset,
		},
	}
}

func TestServerSpans(t *testing.T) {
	for _, src := range spanSources() {
		t.Run(src.name, func(t *testing.T) { testServerSpans(t, src) })
	}
}

func testServerSpans(t *testing.T, src spanSource) {
	app := src.app(t)
	c := covettest.New(t, app)
	for _, tc := range []struct {
		name, path   string
		status       int
		span         string
		route        string
		error        bool
		errorType    string
		hasException bool
	}{
		{"route pattern", "/tasks/42", 200, "GET /tasks/{id:int}", "/tasks/{id:int}", false, "", false},
		{"client error is not a span error", "/fail", 409, "GET /fail", "/fail", false, "", false},
		{"server error recorded", "/broken", 500, "GET /broken", "/broken", true, "otel_test.brokenErr", true},
		{"panic recorded", "/boom", 500, "GET /boom", "/boom", true, "panic", true},
		{"unmatched: method only", "/nope/123", 404, "GET", "", false, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src.reset()
			c.Get(tc.path).Header("User-Agent", "probe/1").Do().ExpectStatus(tc.status)
			spans := src.ended(t)
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			s := spans[0]
			if s.Name() != tc.span || s.SpanKind() != trace.SpanKindServer {
				t.Errorf("span %q kind %v, want %q server", s.Name(), s.SpanKind(), tc.span)
			}
			a := attrs(s)
			want := map[attribute.Key]any{
				"http.request.method":       "GET",
				"http.response.status_code": int64(tc.status),
				"url.path":                  tc.path,
				"url.scheme":                "http",
				"user_agent.original":       "probe/1",
				"network.protocol.version":  "1.1",
			}
			if tc.route != "" {
				want["http.route"] = tc.route
			} else if _, ok := a["http.route"]; ok {
				t.Errorf("unmatched request has http.route %v", a["http.route"])
			}
			if tc.errorType != "" {
				want["error.type"] = tc.errorType
			}
			for k, v := range want {
				if got := a[k].AsInterface(); got != v {
					t.Errorf("%s = %v, want %v", k, got, v)
				}
			}
			if (s.Status().Code == codes.Error) != tc.error {
				t.Errorf("status %v, want error=%v", s.Status(), tc.error)
			}
			has := false
			for _, e := range s.Events() {
				if e.Name == "exception" {
					has = true
				}
			}
			if has != tc.hasException {
				t.Errorf("exception event: %v, want %v", has, tc.hasException)
			}
		})
	}
}

func TestTraceparentIn(t *testing.T) {
	tp, rec := recorded()
	app := newApp(t, otel.WithTracerProvider(tp))
	const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	covettest.New(t, app).Get("/tasks/1").Header("traceparent", parent).Header("baggage", "tenant=acme").Do().ExpectStatus(200)
	s := rec.Ended()[0]
	if got := s.SpanContext().TraceID().String(); got != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("trace ID %s, want the caller's", got)
	}
	if got := s.Parent().SpanID().String(); got != "b7ad6b7169203331" || !s.Parent().IsRemote() {
		t.Errorf("parent %s (remote %v), want the caller's span", got, s.Parent().IsRemote())
	}
}

// TestPropagationBetweenApps: app A's handler calls app B over real HTTP
// through otelhttp's transport; B's server span is a child of A's client
// span, itself a child of A's server span, in one trace; baggage arrives.
func TestPropagationBetweenApps(t *testing.T) {
	tp, rec := recorded()
	b := covet.New()
	if err := b.Install(otel.New(otel.WithTracerProvider(tp))); err != nil {
		t.Fatal(err)
	}
	var gotBaggage string
	b.GET("/inventory/{sku}", func(c *covet.Context) error {
		gotBaggage = c.Request().Header.Get("baggage")
		return c.Text(200, "7")
	})
	srvB := httptest.NewServer(b)
	defer srvB.Close()

	pa := otel.New(otel.WithTracerProvider(tp))
	a := covet.New()
	if err := a.Install(pa); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport,
		otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(pa.Propagator()))}
	a.GET("/orders/{id}", func(c *covet.Context) error {
		req, _ := http.NewRequestWithContext(c.Context(), "GET", srvB.URL+"/inventory/abc", nil)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		n, _ := io.ReadAll(res.Body)
		return c.Text(200, "stock "+string(n))
	})
	srvA := httptest.NewServer(a)
	defer srvA.Close()

	req, _ := http.NewRequest("GET", srvA.URL+"/orders/9", nil)
	req.Header.Set("baggage", "tenant=acme")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "stock 7" {
		t.Fatalf("body %q", body)
	}
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		byName[s.Name()] = s
	}
	serverA, clientA, serverB := byName["GET /orders/{id}"], byName["HTTP GET"], byName["GET /inventory/{sku}"]
	if serverA == nil || clientA == nil || serverB == nil {
		names := []string{}
		for n := range byName {
			names = append(names, n)
		}
		t.Fatalf("spans %v: want A's server span, its client span and B's server span", names)
	}
	tid := serverA.SpanContext().TraceID()
	for _, s := range []sdktrace.ReadOnlySpan{clientA, serverB} {
		if s.SpanContext().TraceID() != tid {
			t.Errorf("%s in trace %s, want %s", s.Name(), s.SpanContext().TraceID(), tid)
		}
	}
	if clientA.Parent().SpanID() != serverA.SpanContext().SpanID() {
		t.Errorf("client span's parent is not A's server span")
	}
	if serverB.Parent().SpanID() != clientA.SpanContext().SpanID() || !serverB.Parent().IsRemote() {
		t.Errorf("B's server span's parent is not A's client span")
	}
	if !strings.Contains(gotBaggage, "tenant=acme") {
		t.Errorf("baggage at B: %q", gotBaggage)
	}
}

// TestLogCorrelation: the access log line carries the request ID and the
// trace ID of the request's span.
func TestLogCorrelation(t *testing.T) {
	tp, rec := recorded()
	var buf bytes.Buffer
	app := covet.New(covet.WithLogger(slog.New(otel.LogHandler(slog.NewJSONHandler(&buf, nil)))))
	if err := app.Install(otel.New(otel.WithTracerProvider(tp))); err != nil {
		t.Fatal(err)
	}
	app.Use(middleware.RequestID(), middleware.AccessLog())
	app.GET("/tasks/{id}", func(c *covet.Context) error { return c.Text(200, "ok") })
	res := covettest.New(t, app).Get("/tasks/1").Do().ExpectStatus(200)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	s := rec.Ended()[0]
	if line["trace_id"] != s.SpanContext().TraceID().String() || line["span_id"] != s.SpanContext().SpanID().String() {
		t.Errorf("log line %v, want trace %s span %s", line, s.SpanContext().TraceID(), s.SpanContext().SpanID())
	}
	id := res.Header.Get("X-Request-ID")
	if id == "" || line["request_id"] != id {
		t.Errorf("request_id %v, want %q", line["request_id"], id)
	}
	if got := attrs(s)[otel.RequestIDKey].AsString(); got != id {
		t.Errorf("span's %s = %q, want %q", otel.RequestIDKey, got, id)
	}
}

// TestSampling: a ratio of 0 drops traces that start here, but a caller's
// sampled decision is followed (parent-based), on the provider the plugin
// creates in Start.
func TestSampling(t *testing.T) {
	exp := keptExporter{tracetest.NewInMemoryExporter()}
	p := otel.New(otel.WithExporter(exp), otel.WithSampleRatio(0))
	app := covet.New()
	if err := app.Install(p); err != nil {
		t.Fatal(err)
	}
	app.GET("/x", func(c *covet.Context) error {
		if otel.TraceID(c) == "" && trace.SpanContextFromContext(c.Context()).IsValid() && c.Request().Header.Get("traceparent") == "" {
			return c.Text(200, "unsampled")
		}
		return c.Text(200, otel.TraceID(c))
	})
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := covettest.New(t, app)
	c.Get("/x").Do().ExpectStatus(200).ExpectBody("unsampled")
	c.Get("/x").Header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").Do().ExpectBody("0af7651916cd43dd8448eb211c80319c")
	c.Get("/x").Header("traceparent", "00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00").Do().ExpectStatus(200)
	if err := app.Stop(context.Background()); err != nil { // flushes the batch
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].SpanContext.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" {
		t.Fatalf("exported %d spans, want only the one whose caller sampled it", len(spans))
	}
}

// TestDroppedErrorsAndPanics: requests presampled out run their handlers
// without the middleware's deferred end; errors and panics still reach
// the client as without tracing (a 500 from core's recovery), and nothing
// is exported, while a caller's sampled request after them is.
func TestDroppedErrorsAndPanics(t *testing.T) {
	exp := keptExporter{tracetest.NewInMemoryExporter()}
	app := newApp(t, otel.WithExporter(exp), otel.WithSampleRatio(0))
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := covettest.New(t, app)
	c.Get("/boom").Do().ExpectStatus(500)
	c.Get("/broken").Do().ExpectStatus(500)
	c.Get("/fail").Do().ExpectStatus(409)
	c.Get("/boom").Header("traceparent", "00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00").Do().ExpectStatus(500)
	c.Get("/tasks/1").Header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").Do().ExpectStatus(200)
	if err := app.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Name != "GET /tasks/{id:int}" {
		t.Fatalf("exported %d spans, want only the caller's sampled one", len(spans))
	}
}

var _ = propagation.TraceContext{}

// keptExporter keeps its spans at shutdown (the in-memory exporter drops
// them), so a test can read what Stop flushed.
type keptExporter struct{ *tracetest.InMemoryExporter }

func (keptExporter) Shutdown(context.Context) error { return nil }

// TestBaggageWithoutTraceparent: the middleware skips the propagators only
// for requests with neither header; baggage alone still arrives.
func TestBaggageWithoutTraceparent(t *testing.T) {
	tp, _ := recorded()
	app := covet.New()
	if err := app.Install(otel.New(otel.WithTracerProvider(tp))); err != nil {
		t.Fatal(err)
	}
	var got string
	app.GET("/b", func(c *covet.Context) error {
		got = baggage.FromContext(c.Context()).Member("tenant").Value()
		return c.Text(200, "b")
	})
	covettest.New(t, app).Get("/b").Header("baggage", "tenant=acme").Do().ExpectStatus(200)
	if got != "acme" {
		t.Fatalf("baggage member tenant = %q, want acme", got)
	}
}

// TestUntrustedTraceContextIsIgnored: with WithTrustedTraceContext, a
// client the app does not trust cannot join a trace of its choosing, force
// sampling past a ratio of 0, or send baggage; a trusted caller still can.
func TestUntrustedTraceContextIsIgnored(t *testing.T) {
	for _, fast := range []bool{true, false} {
		exp := keptExporter{tracetest.NewInMemoryExporter()}
		p := otel.New(otel.WithExporter(exp), otel.WithSampleRatio(0), otel.WithFastPath(fast),
			otel.WithTrustedTraceContext(func(r *http.Request) bool { return r.Header.Get("X-From-Gateway") == "yes" }))
		app := covet.New()
		if err := app.Install(p); err != nil {
			t.Fatal(err)
		}
		app.GET("/x", func(c *covet.Context) error {
			return c.Text(200, trace.SpanContextFromContext(c.Context()).TraceID().String()+" "+baggage.FromContext(c.Context()).Member("tenant").Value())
		})
		if err := app.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		c := covettest.New(t, app)
		const sampled = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
		if got := c.Get("/x").Header("traceparent", sampled).Header("baggage", "tenant=evil").Do().ExpectStatus(200).Text(); strings.Contains(got, "0af7651916cd43dd8448eb211c80319c") || strings.Contains(got, "evil") {
			t.Errorf("fast=%v: an untrusted request's context was followed: %q", fast, got)
		}
		c.Get("/x").Header("traceparent", sampled).Header("baggage", "tenant=acme").Header("X-From-Gateway", "yes").Do().
			ExpectBody("0af7651916cd43dd8448eb211c80319c acme")
		if err := app.Stop(context.Background()); err != nil { // flushes the batch
			t.Fatal(err)
		}
		if spans := exp.GetSpans(); len(spans) != 1 || spans[0].SpanContext.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" {
			t.Errorf("fast=%v: exported %d spans, want the trusted caller's only", fast, len(spans))
		}
	}
}
