package otel_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/covetgo/covet/plugins/otel"
	"github.com/covetgo/covet/plugins/otel/oteltest"
)

// diffRoutes are handlers that use what a server span offers: attributes
// of every kind, events, status, names, links, child spans, errors and
// panics, the limits.
func diffRoutes(app *covet.App) {
	app.GET("/ok/{n}", func(c *covet.Context) error { return c.Text(200, "ok") })
	app.POST("/ok/{n}", func(c *covet.Context) error { return c.Text(201, "made") })
	app.GET("/fail/{n}", func(c *covet.Context) error { return covet.NewError(http.StatusConflict, "taken") })
	app.GET("/broken/{n}", func(c *covet.Context) error { return errBroken })
	app.GET("/unavailable/{n}", func(c *covet.Context) error { return c.Text(503, "later") })
	app.GET("/boom/{n}", func(c *covet.Context) error { panic("boom") })
	app.GET("/attrs/{n}", func(c *covet.Context) error {
		span := trace.SpanFromContext(c.Context())
		span.SetAttributes(
			attribute.String("s", "x"), attribute.String("empty", ""), attribute.Bool("t", true), attribute.Bool("f", false),
			attribute.Int64("i", -42), attribute.Int("zero", 0), attribute.Float64("pi", math.Pi), attribute.Float64("nan", math.Inf(1)),
			attribute.StringSlice("ss", []string{"a", "", "c"}), attribute.Int64Slice("is", []int64{1, -2}),
			attribute.Float64Slice("fs", []float64{0.5}), attribute.BoolSlice("bs", []bool{true, false}),
			attribute.KeyValue{Key: "bytes", Value: attribute.ByteSliceValue([]byte{0, 1, 2})},
			attribute.KeyValue{Key: "nothing"},
			attribute.KeyValue{},                 // invalid: dropped and counted
			attribute.String("s", "overwritten"), // duplicate: the last value wins
		)
		span.AddEvent("cache miss", trace.WithAttributes(attribute.String("key", "u:1"), attribute.String("key", "dup kept")))
		span.AddEvent("at", trace.WithTimestamp(time.Unix(1700000000, 5)))
		span.SetStatus(codes.Ok, "ignored for Ok")
		span.SetStatus(codes.Error, "cannot lower Ok")
		span.SetName("renamed")
		// A child span through the SDK (as bunotel, redisotel, otelhttp make them).
		_, child := span.TracerProvider().Tracer("child").Start(c.Context(), "SELECT users")
		child.SetAttributes(attribute.String("db.system", "postgresql"))
		child.End()
		return c.Text(200, "attrs")
	})
	app.GET("/many/{n}", func(c *covet.Context) error {
		span := trace.SpanFromContext(c.Context())
		for i := range 140 {
			span.SetAttributes(attribute.Int("a"+strconv.Itoa(i), i))
		}
		span.SetAttributes(attribute.Int("a3", -3)) // an update past the limit is kept
		for i := range 130 {
			span.AddEvent("e" + strconv.Itoa(i))
		}
		kvs := make([]attribute.KeyValue, 130)
		for i := range kvs {
			kvs[i] = attribute.Int("k", i)
		}
		span.AddEvent("wide", trace.WithAttributes(kvs...))
		return c.Text(200, "many")
	})
	app.GET("/complex/{n}", func(c *covet.Context) error {
		span := trace.SpanFromContext(c.Context())
		span.SetAttributes(attribute.String("before", "x"))
		span.AddEvent("before")
		span.SetAttributes(attribute.Map("m", attribute.String("k", "1"), attribute.String("k", "2")),
			attribute.Slice("sl", attribute.StringValue("x"), attribute.IntValue(1)))
		span.SetAttributes(attribute.String("after", "y"))
		return c.Text(200, "complex")
	})
	app.GET("/link/{n}", func(c *covet.Context) error {
		span := trace.SpanFromContext(c.Context())
		span.AddLink(trace.Link{SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{9, 9}, SpanID: trace.SpanID{8}, TraceFlags: trace.FlagsSampled,
		}), Attributes: []attribute.KeyValue{attribute.String("why", "batch")}})
		return c.Text(200, "link")
	})
}

type diffReq struct {
	method, path, traceparent, tracestate string
}

func diffRequests() []diffReq {
	var reqs []diffReq
	paths := []string{"/ok/%d", "/fail/%d", "/broken/%d", "/unavailable/%d", "/boom/%d", "/attrs/%d", "/many/%d", "/complex/%d", "/link/%d", "/nope/%d"}
	n := 0
	for _, p := range paths {
		for variant := range 3 {
			n++
			r := diffReq{method: "GET", path: fmt.Sprintf(p, n)}
			switch variant {
			case 1: // a remote parent, sampled, with trace state
				r.traceparent = fmt.Sprintf("00-%032x-%016x-01", n+1000, n+7)
				r.tracestate = "vendor=v" + strconv.Itoa(n)
			case 2: // a remote parent, sampled, other flags
				r.traceparent = fmt.Sprintf("00-%032x-%016x-03", n+2000, n+9)
			}
			reqs = append(reqs, r)
		}
	}
	reqs = append(reqs, diffReq{method: "POST", path: "/ok/999"}, diffReq{method: "BREW", path: "/ok/998"})
	return reqs
}

// serveDiff starts an app exporting to a fresh receiver with opts, serves
// reqs and stops it; it returns the receiver.
func serveDiff(t *testing.T, reqs []diffReq, opts ...otel.Option) (*oteltest.Receiver, *otel.Plugin) {
	t.Helper()
	rv := &oteltest.Receiver{}
	srv := httptest.NewServer(rv)
	t.Cleanup(srv.Close)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	p := otel.New(append([]otel.Option{otel.WithServiceName("diff")}, opts...)...)
	if err := app.Install(p); err != nil {
		t.Fatal(err)
	}
	diffRoutes(app)
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, dr := range reqs {
		r := httptest.NewRequest(dr.method, dr.path, nil)
		r.Header.Set("User-Agent", "difftest/1")
		if dr.traceparent != "" {
			r.Header.Set("Traceparent", dr.traceparent)
		}
		if dr.tracestate != "" {
			r.Header.Set("Tracestate", dr.tracestate)
		}
		app.ServeHTTP(httptest.NewRecorder(), r)
	}
	if err := app.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	return rv, p
}

// exported is one span as received, with the resource and scope of its
// request.
type exported struct {
	span     *tracepb.Span
	resource proto.Message
	rsSchema string
	scope    proto.Message
	ssSchema string
}

func received(rv *oteltest.Receiver) []exported {
	var out []exported
	for _, req := range rv.Requests() {
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					out = append(out, exported{s, rs.Resource, rs.SchemaUrl, ss.Scope, ss.SchemaUrl})
				}
			}
		}
	}
	return out
}

func attr(s *tracepb.Span, key string) string {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value.GetStringValue()
		}
	}
	return ""
}

// TestFastPathMatchesSDK is the fast path's differential test: the same
// requests served by an app on the fast path and by one on the SDK's
// path (WithFastPath(false): the SDK's span, batch processor and the
// official otlptracehttp exporter), both exporting to a local OTLP/HTTP
// receiver, are decoded into the OTLP proto messages and compared field
// by field. Span IDs (and trace IDs of new roots) are random and only
// checked for shape and consistency; times are checked to lie within the
// run; stack traces to be stacks. Everything else must be equal: names,
// kind, parent, trace state, flags, attributes in order, dropped counts,
// events, links, status, resource, scope and schema URLs.
func TestFastPathMatchesSDK(t *testing.T) {
	t.Setenv("OTEL_TRACES_SAMPLER", "")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cret%20v, x-tenant = a ,bad key=1")
	t.Setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
	reqs := diffRequests()
	before := uint64(time.Now().UnixNano())
	fastRv, fastP := serveDiff(t, reqs, otel.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))
	sdkRv, sdkP := serveDiff(t, reqs, otel.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())), otel.WithFastPath(false))
	after := uint64(time.Now().UnixNano())
	if st := fastP.ExportStats(); st.Exported == 0 || st.Dropped != 0 || st.Failed != 0 {
		t.Errorf("fast path stats %+v: want every span exported", st)
	}
	if st := sdkP.ExportStats(); st != (otel.ExportStats{}) {
		t.Errorf("WithFastPath(false) stats %+v: want the fast path off", st)
	}
	// The same HTTP request headers as the official exporter's.
	fh, sh := fastRv.Headers(), sdkRv.Headers()
	if len(fh) == 0 || len(sh) == 0 {
		t.Fatalf("%d and %d export requests", len(fh), len(sh))
	}
	for _, name := range []string{"Content-Type", "User-Agent", "Content-Encoding", "Api-Key", "X-Tenant", "Bad Key"} {
		if fh[0].Get(name) != sh[0].Get(name) {
			t.Errorf("header %s: fast path %q, SDK %q", name, fh[0].Get(name), sh[0].Get(name))
		}
	}
	if fh[0].Get("Api-Key") != "s3cret v" || fh[0].Get("Content-Encoding") != "gzip" {
		t.Errorf("headers %v", fh[0])
	}
	fast, sdk := received(fastRv), received(sdkRv)
	if len(fast) != len(sdk) || len(fast) != len(reqs)+3 { // + the 3 child spans
		t.Fatalf("fast path sent %d spans, SDK %d; want %d", len(fast), len(sdk), len(reqs)+3)
	}
	key := func(e exported, all []exported) string {
		if p := attr(e.span, "url.path"); p != "" {
			return p
		}
		for _, o := range all { // a child: keyed by its parent's path
			if slices.Equal(o.span.SpanId, e.span.ParentSpanId) {
				return "child of " + attr(o.span, "url.path")
			}
		}
		// Past the attribute limit, url.path is dropped: the name and the
		// remote parent tell the three requests apart.
		return fmt.Sprintf("%s, parent %x", e.span.Name, e.span.ParentSpanId)
	}
	byKey := map[string]exported{}
	for _, e := range sdk {
		byKey[key(e, sdk)] = e
	}
	fastIDs := map[string]bool{}
	for _, f := range fast {
		k := key(f, fast)
		s, ok := byKey[k]
		if !ok {
			t.Errorf("%s: no SDK span", k)
			continue
		}
		delete(byKey, k)
		fastIDs[string(f.span.SpanId)] = true
		compareSpans(t, k, f, s, before, after)
	}
	for k := range byKey {
		t.Errorf("%s: SDK span the fast path did not send", k)
	}
	if len(fastIDs) != len(fast) {
		t.Errorf("%d distinct span IDs among %d spans", len(fastIDs), len(fast))
	}
}

func compareSpans(t *testing.T, k string, f, s exported, before, after uint64) {
	t.Helper()
	if !proto.Equal(f.resource, s.resource) || f.rsSchema != s.rsSchema {
		t.Errorf("%s: resource %v (schema %q), SDK %v (%q)", k, f.resource, f.rsSchema, s.resource, s.rsSchema)
	}
	if !proto.Equal(f.scope, s.scope) || f.ssSchema != s.ssSchema {
		t.Errorf("%s: scope %v (schema %q), SDK %v (%q)", k, f.scope, f.ssSchema, s.scope, s.ssSchema)
	}
	fs, ss := proto.Clone(f.span).(*tracepb.Span), proto.Clone(s.span).(*tracepb.Span)
	for _, sp := range []*tracepb.Span{fs, ss} {
		if len(sp.TraceId) != 16 || len(sp.SpanId) != 8 || slices.Equal(sp.TraceId, make([]byte, 16)) || slices.Equal(sp.SpanId, make([]byte, 8)) {
			t.Errorf("%s: IDs %x %x", k, sp.TraceId, sp.SpanId)
		}
		if sp.StartTimeUnixNano < before || sp.EndTimeUnixNano > after || sp.EndTimeUnixNano < sp.StartTimeUnixNano {
			t.Errorf("%s: times %d..%d outside the run %d..%d", k, sp.StartTimeUnixNano, sp.EndTimeUnixNano, before, after)
		}
		sp.SpanId, sp.StartTimeUnixNano, sp.EndTimeUnixNano = nil, 0, 0
		if sp.ParentSpanId == nil {
			sp.TraceId = nil // a new root draws its trace ID; a remote parent's is compared
		}
		if strings.HasPrefix(k, "child") {
			// Its parent is the server span of its own run (key found it
			// by ID), random in each.
			sp.TraceId, sp.ParentSpanId = nil, nil
		}
		for _, e := range sp.Events {
			if e.TimeUnixNano != 1700000000_000000005 {
				if e.TimeUnixNano < before || e.TimeUnixNano > after {
					t.Errorf("%s: event %s at %d outside the run", k, e.Name, e.TimeUnixNano)
				}
				e.TimeUnixNano = 0
			}
			for _, kv := range e.Attributes {
				if kv.Key == "exception.stacktrace" {
					if !strings.HasPrefix(kv.Value.GetStringValue(), "goroutine ") {
						t.Errorf("%s: stack trace %q", k, kv.Value.GetStringValue())
					}
					kv.Value = nil
				}
			}
		}
	}
	if !proto.Equal(fs, ss) {
		t.Errorf("%s: fast path and SDK differ\nfast: %v\nSDK:  %v", k, fs, ss)
	}
}

// fastApp starts an app on the fast path exporting to url, with the test's
// environment.
func fastApp(t *testing.T, url string) (*covet.App, *otel.Plugin) {
	t.Helper()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
	t.Setenv("OTEL_TRACES_SAMPLER", "")
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	p := otel.New(otel.WithSampler(sdktrace.AlwaysSample()))
	if err := app.Install(p); err != nil {
		t.Fatal(err)
	}
	app.GET("/ok/{n}", func(c *covet.Context) error { return c.Text(200, "ok") })
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return app, p
}

// TestFastPathStopFlushes: every span ended before Stop reaches the
// collector, in batches of OTEL_BSP_MAX_EXPORT_BATCH_SIZE, with the
// configured headers and gzip; nothing is left running.
func TestFastPathStopFlushes(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	rv := &oteltest.Receiver{}
	srv := httptest.NewServer(rv)
	defer srv.Close()
	t.Setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "100")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cret%20value,x-tenant = a ")
	t.Setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
	app, p := fastApp(t, srv.URL)
	const n = 1234
	for i := range n {
		app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/ok/"+strconv.Itoa(i), nil))
	}
	if err := app.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range rv.Spans() {
		seen[attr(s, "url.path")] = true
	}
	if len(seen) != n || len(rv.Spans()) != n {
		t.Fatalf("collector got %d spans (%d distinct), want %d", len(rv.Spans()), len(seen), n)
	}
	if st := p.ExportStats(); st != (otel.ExportStats{Exported: n}) {
		t.Errorf("stats %+v, want %d exported", st, n)
	}
	reqs := rv.Requests()
	if len(reqs) != (n+99)/100 {
		t.Errorf("%d requests, want %d batches of 100", len(reqs), (n+99)/100)
	}
	for _, h := range rv.Headers() {
		if h.Get("Api-Key") != "s3cret value" || h.Get("X-Tenant") != "a" || h.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(h.Get("User-Agent"), "OTel OTLP Exporter Go/") {
			t.Fatalf("headers %v", h)
		}
	}
	// Ended after Stop: dropped, counted.
	app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/ok/late", nil))
	if got := p.ExportStats().Dropped; got > 1 {
		t.Errorf("dropped %d", got)
	}
}

// TestFastPathFailingCollector: a collector that answers 503 (retried
// until the export timeout) and then not at all: requests are served
// without waiting for it, at most the queue's spans are held, the rest are
// dropped and counted, and Stop returns the failure without hanging.
func TestFastPathFailingCollector(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var posts atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if posts.Add(1) > 2 {
			select { // hang until the exporter gives up
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Header().Set("Retry-After", "0")
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	defer close(release)
	t.Setenv("OTEL_BSP_MAX_QUEUE_SIZE", "20")
	t.Setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10")
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "300")
	app, p := fastApp(t, srv.URL)
	const n = 500
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/ok/"+strconv.Itoa(i), nil))
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("requests blocked on a failing collector")
	}
	mid := p.ExportStats()
	if mid.Dropped == 0 {
		t.Errorf("stats %+v: nothing dropped with a queue of 20 and a stuck collector", mid)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := app.Stop(ctx)
	if err == nil {
		t.Error("Stop: no error from a failing collector")
	}
	st := p.ExportStats()
	if st.Exported != 0 || st.Dropped+st.Failed != n {
		t.Errorf("stats %+v: want every one of %d spans dropped or failed, none exported", st, n)
	}
	if ctx.Err() != nil {
		t.Errorf("Stop waited for its deadline: %v", err)
	}
}

// TestFastPathConcurrent: requests from many goroutines while the
// exporter's timer flushes every millisecond (run with -race): every span
// arrives exactly once.
func TestFastPathConcurrent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	rv := &oteltest.Receiver{}
	srv := httptest.NewServer(rv)
	defer srv.Close()
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "1")
	t.Setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "7")
	t.Setenv("OTEL_BSP_MAX_QUEUE_SIZE", "100000")
	app, p := fastApp(t, srv.URL)
	const workers, each = 8, 150
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r := httptest.NewRequest("GET", fmt.Sprintf("/ok/%d-%d", w, i), nil)
				app.ServeHTTP(httptest.NewRecorder(), r)
			}
		}()
	}
	wg.Wait()
	if err := app.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, s := range rv.Spans() {
		seen[attr(s, "url.path")]++
	}
	for w := range workers {
		for i := range each {
			if n := seen[fmt.Sprintf("/ok/%d-%d", w, i)]; n != 1 {
				t.Fatalf("/ok/%d-%d received %d times", w, i, n)
			}
		}
	}
	if st := p.ExportStats(); st != (otel.ExportStats{Exported: workers * each}) {
		t.Errorf("stats %+v", st)
	}
}

// TestFastPathEnvSampler: a sampler named by OTEL_TRACES_SAMPLER is
// presampled and takes the fast path too; one the SDK would reject is left
// to it (the SDK path, spans still exported).
func TestFastPathEnvSampler(t *testing.T) {
	for _, tc := range []struct {
		sampler string
		fast    bool
	}{{"always_on", true}, {"parentbased_traceidratio", true}, {"traceidratio", true}, {"nonsense", false}} {
		t.Run(tc.sampler, func(t *testing.T) {
			rv := &oteltest.Receiver{}
			srv := httptest.NewServer(rv)
			defer srv.Close()
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
			t.Setenv("OTEL_TRACES_SAMPLER", tc.sampler)
			t.Setenv("OTEL_TRACES_SAMPLER_ARG", "")
			app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
			p := otel.New()
			if err := app.Install(p); err != nil {
				t.Fatal(err)
			}
			app.GET("/ok/{n}", func(c *covet.Context) error { return c.Text(200, "ok") })
			if err := app.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/ok/"+strconv.Itoa(i), nil))
			}
			if err := app.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(rv.Spans()) != 5 {
				t.Fatalf("%d spans exported, want 5", len(rv.Spans()))
			}
			if got := p.ExportStats().Exported; (got == 5) != tc.fast {
				t.Errorf("fast path exported %d, fast path expected: %v", got, tc.fast)
			}
		})
	}
}
