package otel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	covet "github.com/covetgo/covet/core"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of the spans the plugin starts.
const ScopeName = "github.com/covetgo/covet/plugins/otel"

// RequestIDKey is the span attribute carrying core's request ID (set by
// core/middleware.RequestID), so a trace leads to the request's log lines.
const RequestIDKey = attribute.Key("covet.request_id")

// Plugin starts a server span for every request. Create it with New and
// install it with App.Install.
type Plugin struct {
	cfg    *config
	app    *covet.App
	tracer atomic.Pointer[tracerBox]
	sdk    *sdktrace.TracerProvider // the provider the plugin made, shut down in Stop
	fx     *fastExporter            // the fast path's exporter, shut down in Stop

	// starts caches the span name and start options per route and method:
	// an immutable map replaced on a miss, read without a lock.
	starts atomic.Pointer[map[startKey]*spanStart]
	// byRoute is the common case of starts, a route's own method: keyed by
	// the route alone, found without hashing the method.
	byRoute atomic.Pointer[map[*covet.RouteInfo]*spanStart]
	mu      sync.Mutex

	inst  *instruments // HTTP server metrics, with WithMeterProvider
	stats *pluginStats // plugin figures on the meter provider, from Start to Stop
}

// tracerBox is what starting spans takes, swapped whole when Start makes
// the provider.
type tracerBox struct {
	t  trace.Tracer
	ps *presampler          // the provider's sampler mirrored, or nil
	tp trace.TracerProvider // the provider, for presampled-out spans
	fx *fastExporter        // the fast path for sampled spans, or nil
}

// New returns the tracing plugin. With no options it creates, in Start, an
// SDK tracer provider exporting in batches over OTLP/HTTP to
// OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT), with the sampler
// OTEL_TRACES_SAMPLER names (parent-based always-on by default), and shuts
// it down, flushing, in Stop. When neither variable names an endpoint,
// spans are created (trace IDs reach the logs and outgoing calls) but not
// exported.
func New(opts ...Option) *Plugin {
	p := &Plugin{cfg: newConfig(opts)}
	if p.cfg.meter != nil {
		inst, err := newInstruments(p.cfg.meter)
		if err != nil {
			p.cfg.errs = append(p.cfg.errs, err)
		}
		p.inst = inst
	}
	empty := map[startKey]*spanStart{}
	p.starts.Store(&empty)
	emptyRoutes := map[*covet.RouteInfo]*spanStart{}
	p.byRoute.Store(&emptyRoutes)
	tp := p.cfg.provider
	if tp == nil {
		tp = noop.NewTracerProvider() // until Start makes the SDK provider
	}
	p.tracer.Store(&tracerBox{t: tp.Tracer(ScopeName, trace.WithInstrumentationVersion(Version))})
	return p
}

// Name returns "otel".
func (p *Plugin) Name() string { return "otel" }

// Install adds the tracing middleware at covet.PhaseObserve, outside the
// app's own middleware whatever the install order (so a span covers them,
// and the access log inside it sees the trace).
func (p *Plugin) Install(app *covet.App) error {
	if len(p.cfg.errs) > 0 {
		return errors.Join(p.cfg.errs...)
	}
	p.app = app
	app.UseAt(covet.PhaseObserve, p.Middleware())
	return nil
}

// Start creates the SDK tracer provider and its exporter, unless
// WithTracerProvider gave one.
func (p *Plugin) Start(ctx context.Context) error {
	if p.cfg.meter != nil && !p.cfg.noStats && p.app != nil && p.stats == nil {
		ps, err := registerStats(p.cfg.meter, p.app)
		if err != nil {
			return err
		}
		p.stats = ps
	}
	err := p.startTracing(ctx)
	if err != nil {
		_ = p.stats.unregister()
		p.stats = nil
	}
	return err
}

// startTracing creates the SDK tracer provider, unless one was given.
func (p *Plugin) startTracing(ctx context.Context) error {
	if p.cfg.provider != nil {
		return nil
	}
	exp := p.cfg.exporter
	envExport := exp == nil && (os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "")
	if envExport {
		var hopts []otlptracehttp.Option
		if p.cfg.client != nil {
			hopts = append(hopts, otlptracehttp.WithHTTPClient(p.cfg.client))
		}
		e, err := otlptracehttp.New(ctx, hopts...)
		if err != nil {
			return fmt.Errorf("otel: OTLP exporter: %w", err)
		}
		exp = e
	}
	ropts := []resource.Option{resource.WithTelemetrySDK()}
	if p.cfg.service != "" {
		ropts = append(ropts, resource.WithAttributes(semconv.ServiceName(p.cfg.service)))
	}
	ropts = append(ropts, resource.WithFromEnv())
	res, err := resource.New(ctx, ropts...)
	if err != nil {
		return fmt.Errorf("otel: resource: %w", err)
	}
	topts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if exp != nil {
		topts = append(topts, sdktrace.WithBatcher(exp))
	} else if p.app != nil {
		p.app.Logger().Info("otel: no exporter and no OTEL_EXPORTER_OTLP_ENDPOINT: spans are not exported")
	}
	sampler := p.cfg.sampler
	if sampler == nil {
		sampler = envSampler() // nil when OTEL_TRACES_SAMPLER is unset or left to the SDK
	}
	if sampler != nil {
		topts = append(topts, sdktrace.WithSampler(sampler))
	} else if os.Getenv("OTEL_TRACES_SAMPLER") == "" {
		sampler = sdktrace.ParentBased(sdktrace.AlwaysSample()) // the SDK's default
	}
	// A sampler the plugin recognises is decided before tracer.Start
	// (presample.go); the ID generator hands the SDK the trace ID a new
	// root was sampled on.
	ps := recognise(sampler)
	if ps != nil {
		topts = append(topts, sdktrace.WithIDGenerator(idGenerator{}))
	}
	p.sdk = sdktrace.NewTracerProvider(topts...)
	tb := &tracerBox{t: p.sdk.Tracer(ScopeName, trace.WithInstrumentationVersion(Version)), ps: ps, tp: p.sdk}
	if envExport && ps != nil && !p.cfg.noFast {
		// Sampled server spans skip the SDK (fastspan.go), unless the
		// configuration is one the fast path cannot send as the SDK would.
		if fc, why := fastConfigFromEnv(p.cfg.client); fc != nil {
			p.fx = newFastExporter(fc, res, tb.t, p.sdk, p.logExportError)
			tb.fx = p.fx
		} else if p.app != nil {
			p.app.Logger().Debug("otel: sampled spans go through the SDK", "reason", why)
		}
	}
	p.tracer.Store(tb)
	return nil
}

func (p *Plugin) logExportError(err error) {
	if p.app != nil {
		p.app.Logger().Warn("otel: exporting spans failed", "error", err)
	}
}

// Stop removes the plugin figures' instruments, then flushes and shuts
// down the provider the plugin created and the fast path's exporter: every
// span ended before Stop is sent (or counted as failed in ExportStats when
// the collector refuses it).
func (p *Plugin) Stop(ctx context.Context) error {
	errs := []error{p.stats.unregister()}
	p.stats = nil
	if p.fx != nil {
		errs = append(errs, p.fx.shutdown(ctx))
	}
	if p.sdk != nil {
		errs = append(errs, p.sdk.Shutdown(ctx))
		p.sdk = nil
	}
	return errors.Join(errs...)
}

// ExportStats returns the counts of the fast path's server spans
// (exported, dropped, failed); zero when the fast path is off.
func (p *Plugin) ExportStats() ExportStats {
	if p.fx == nil {
		return ExportStats{}
	}
	return p.fx.stats()
}

// TracerProvider returns the provider spans come from: the one given with
// WithTracerProvider, the one Start created, or a no-op one before Start.
// Give it to the instrumentation of the other layers (bunotel, redisotel,
// otelhttp) so their spans share the exporter.
func (p *Plugin) TracerProvider() trace.TracerProvider {
	if p.cfg.provider != nil {
		return p.cfg.provider
	}
	if p.sdk != nil {
		return p.sdk
	}
	return noop.NewTracerProvider()
}

// Propagator returns the propagator the plugin reads requests with; give
// it to otelhttp's transport for outgoing calls.
func (p *Plugin) Propagator() propagation.TextMapPropagator { return p.cfg.propagator }

// Middleware returns the tracing middleware (and, with WithMeterProvider,
// the HTTP server metrics inside the span). Install adds it; use it
// directly only to trace a group or a route.
func (p *Plugin) Middleware() covet.Middleware {
	return p.traceMiddleware()
}

func (p *Plugin) traceMiddleware() covet.Middleware {
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			// Outermost: nothing is pending yet, so c.Request() copies
			// nothing; r serves for its fields only from here on.
			r := c.Request()
			parent := c.Context()
			ctx := parent
			// link: on a public endpoint, the caller's span the new root
			// links to.
			var link trace.SpanContext
			public := p.cfg.public || (p.cfg.publicFn != nil && p.cfg.publicFn(r))
			if (!p.cfg.w3cOnly || len(r.Header["Traceparent"]) > 0 || len(r.Header["Baggage"]) > 0) &&
				(p.cfg.trusted == nil || p.cfg.trusted(r)) {
				// (The default propagators find nothing in a request
				// without these: most requests from outside skip them.)
				if public {
					link = remoteSpan(p.cfg.propagator, r.Header)
				} else {
					ctx = p.cfg.propagator.Extract(parent, headerCarrier(r.Header))
				}
			}
			if public && trace.SpanContextFromContext(parent).IsValid() {
				// A new root whatever span the context already holds, as
				// trace.WithNewRoot starts one (and the presampler then
				// decides as for a root).
				ctx = trace.ContextWithSpanContext(parent, trace.SpanContext{})
			}
			if p.cfg.skip != nil && p.cfg.skip(r.URL.Path) {
				if ctx != parent {
					c.SetContext(ctx)
				}
				if p.inst != nil {
					return p.measure(c, r.Method, next)
				}
				return next(c)
			}
			tb := p.tracer.Load()
			var span trace.Span
			var st *spanStart // the name and start attributes
			late := false     // the start attributes are set at the end
			if tb.ps == nil {
				st = p.start(c.Route(), r.Method)
				opts := st.opts
				if link.IsValid() {
					opts = append(opts[:len(opts):len(opts)], trace.WithLinks(trace.Link{SpanContext: link}))
				}
				ctx, span = tb.t.Start(ctx, st.name, opts...)
			} else if sctx, _, sampled := presample(ctx, tb.ps, tb.tp); !sampled {
				// Presampled out: the span records nothing and its End
				// does nothing, so neither a deferred end (for a panic)
				// nor one at the end is needed.
				c.SetContext(sctx)
				if p.inst != nil {
					return p.measure(c, r.Method, next)
				}
				return next(c)
			} else if st = p.start(c.Route(), r.Method); tb.fx != nil {
				ctx, span = tb.fx.startFast(ctx, sctx, st.name)
				late = true
				if link.IsValid() {
					span.AddLink(trace.Link{SpanContext: link}) // hands the span to the SDK
				}
			} else {
				var started context.Context
				// The sampler is decided (ratio, on, off: it reads no
				// attributes), so method and route join the attributes set
				// at the end: one slice for all of them in the span.
				opts := st.lateOpts
				if link.IsValid() {
					opts = append(opts[:len(opts):len(opts)], trace.WithLinks(trace.Link{SpanContext: link}))
				}
				started, span = tb.t.Start(sctx, st.name, opts...)
				late = true
				if sctx != ctx {
					// Leave the trace ID handed to the SDK out of the
					// handler's context (a new root started there must draw
					// its own).
					started = trace.ContextWithSpan(ctx, span)
				}
				ctx = started
			}
			// The span reaches the handler's context without a request
			// copy (made only if someone asks for the request).
			c.SetContext(ctx)
			returned := false
			defer func() {
				if !returned {
					// A panic is unwinding: end the span as a 500 and let it go on.
					v := recover()
					p.end(c, r, st, late, span, fmt.Errorf("panic: %v", v), true)
					panic(v)
				}
			}()
			var err error
			if p.inst != nil {
				err = p.measure(c, r.Method, next)
			} else {
				err = next(c)
			}
			returned = true
			if err != nil {
				// Rendered further out: end the span with the status the
				// client got, once the request is over.
				c.OnDone(func() { p.end(c, r, st, late, span, err, false) })
				return err
			}
			p.end(c, r, st, late, span, nil, false)
			return nil
		}
	}
}

// endAttrs holds the attributes a recorded span gets at its end: one
// SetAttributes call (the SDK grows the span's slice once), from a pooled
// buffer (the SDK copies them; a variadic slice passed through the
// interface would be allocated per request).
type endAttrs struct{ kv [14]attribute.KeyValue }

var endAttrsPool = sync.Pool{New: func() any { return new(endAttrs) }}

// end sets the request and response attributes and the status and ends
// the span.
func (p *Plugin) end(c *covet.Context, r *http.Request, st *spanStart, late bool, span trace.Span, err error, panicking bool) {
	if !span.IsRecording() {
		span.End()
		return
	}
	status := c.Response().Status()
	if status == 0 {
		status = http.StatusOK
		if panicking {
			status = http.StatusInternalServerError
		}
	}
	buf := endAttrsPool.Get().(*endAttrs)
	kv := append(buf.kv[:0],
		semconv.HTTPResponseStatusCode(status),
		semconv.URLPath(r.URL.Path),
		schemeAttr(r),
		semconv.ServerAddress(r.Host),
		protoAttr(r),
		semconv.ClientAddress(c.ClientIP()),
	)
	if ua := r.Header["User-Agent"]; len(ua) > 0 && ua[0] != "" { // r.UserAgent() without canonicalizing
		kv = append(kv, semconv.UserAgentOriginal(ua[0]))
	}
	if late {
		kv = append(kv, st.attrs...)
	}
	if st.other {
		kv = append(kv, semconv.HTTPRequestMethodOriginal(r.Method))
	}
	if id := c.RequestID(); id != "" {
		kv = append(kv, RequestIDKey.String(id))
	}
	if status >= 500 {
		// Server spans: 5xx are errors, 4xx are the client's (semantic
		// conventions, HTTP spans, status).
		if err != nil {
			span.RecordError(err, trace.WithStackTrace(panicking))
			et := "panic"
			if !panicking {
				et = errorType(err, status)
			}
			kv = append(kv, semconv.ErrorTypeKey.String(et))
		} else {
			kv = append(kv, semconv.ErrorTypeKey.String(strconv.Itoa(status)))
		}
		setEndAttrs(span, kv)
		span.SetStatus(codes.Error, http.StatusText(status))
	} else {
		setEndAttrs(span, kv)
	}
	clear(kv)
	endAttrsPool.Put(buf)
	span.End()
}

// setEndAttrs sets the end attributes (distinct keys, scalar values).
func setEndAttrs(span trace.Span, kv []attribute.KeyValue) {
	if fs, ok := span.(*fastSpan); ok {
		fs.setDistinct(kv)
		return
	}
	span.SetAttributes(kv...)
}

// errorType is the error.type value: the Go type of err, or the status.
func errorType(err error, status int) string {
	var pe *covet.PanicError
	if errors.As(err, &pe) {
		return "panic" // recovered by core/middleware.Recover further in
	}
	if _, ok := err.(*covet.Error); ok {
		return strconv.Itoa(status)
	}
	return fmt.Sprintf("%T", err)
}

// spanStart is what starting a route's span takes: its name ("METHOD
// /pattern", or "METHOD" when no route matched: the semantic conventions'
// low-cardinality names) and the options with the attributes samplers may
// read (method and route), made once per route and method.
type spanStart struct {
	name string
	opts []trace.SpanStartOption
	// lateOpts start the span without attributes, which are then set
	// with the others at the end, when the plugin decided the sampling.
	lateOpts []trace.SpanStartOption
	attrs    []attribute.KeyValue
	other    bool // the method is not a standard one
}

type startKey struct {
	route  *covet.RouteInfo
	method string
}

func (p *Plugin) start(ri *covet.RouteInfo, method string) *spanStart {
	if ri != nil && method == ri.Method {
		if st, ok := (*p.byRoute.Load())[ri]; ok {
			return st
		}
	}
	ma := methodAttr(method)
	if ma == semconv.HTTPRequestMethodOther {
		method = "_OTHER" // one cache entry for every unknown method
	}
	k := startKey{ri, method}
	if ri != nil && method == ri.Method {
		k.method = "" // the route's own method: the common case, a pointer key
	}
	if st, ok := (*p.starts.Load())[k]; ok {
		return st
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old := *p.starts.Load()
	if st, ok := old[k]; ok {
		return st
	}
	st := &spanStart{name: methodName(method), other: ma == semconv.HTTPRequestMethodOther}
	attrs := []attribute.KeyValue{ma}
	if ri != nil {
		st.name += " " + ri.Pattern
		attrs = append(attrs, semconv.HTTPRoute(ri.Pattern))
	}
	st.opts = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...)}
	st.lateOpts = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}
	st.attrs = attrs
	next := make(map[startKey]*spanStart, len(old)+1)
	for kk, v := range old {
		next[kk] = v
	}
	next[k] = st
	p.starts.Store(&next)
	if ri != nil && k.method == "" {
		oldR := *p.byRoute.Load()
		nextR := make(map[*covet.RouteInfo]*spanStart, len(oldR)+1)
		for kk, v := range oldR {
			nextR[kk] = v
		}
		nextR[ri] = st
		p.byRoute.Store(&nextR)
	}
	return st
}

func methodAttr(m string) attribute.KeyValue {
	switch m {
	case http.MethodGet:
		return semconv.HTTPRequestMethodGet
	case http.MethodHead:
		return semconv.HTTPRequestMethodHead
	case http.MethodPost:
		return semconv.HTTPRequestMethodPost
	case http.MethodPut:
		return semconv.HTTPRequestMethodPut
	case http.MethodPatch:
		return semconv.HTTPRequestMethodPatch
	case http.MethodDelete:
		return semconv.HTTPRequestMethodDelete
	case http.MethodOptions:
		return semconv.HTTPRequestMethodOptions
	case http.MethodConnect:
		return semconv.HTTPRequestMethodConnect
	case http.MethodTrace:
		return semconv.HTTPRequestMethodTrace
	}
	return semconv.HTTPRequestMethodOther
}

// methodName is the method for span names: "HTTP" for unknown methods.
func methodName(m string) string {
	if m == "_OTHER" || methodAttr(m) == semconv.HTTPRequestMethodOther {
		return "HTTP"
	}
	return m
}

var (
	schemeHTTP  = semconv.URLScheme("http")
	schemeHTTPS = semconv.URLScheme("https")
	proto11     = semconv.NetworkProtocolVersion("1.1")
	proto2      = semconv.NetworkProtocolVersion("2")
	proto10     = semconv.NetworkProtocolVersion("1.0")
	proto3      = semconv.NetworkProtocolVersion("3")
)

func schemeAttr(r *http.Request) attribute.KeyValue {
	if r.TLS != nil {
		return schemeHTTPS
	}
	return schemeHTTP
}

func protoAttr(r *http.Request) attribute.KeyValue {
	switch {
	case r.ProtoMajor == 1 && r.ProtoMinor == 1:
		return proto11
	case r.ProtoMajor == 2:
		return proto2
	case r.ProtoMajor == 1 && r.ProtoMinor == 0:
		return proto10
	case r.ProtoMajor == 3:
		return proto3
	}
	return semconv.NetworkProtocolVersion(strconv.Itoa(r.ProtoMajor) + "." + strconv.Itoa(r.ProtoMinor))
}

var (
	_ covet.Plugin  = (*Plugin)(nil)
	_ covet.Starter = (*Plugin)(nil)
	_ covet.Stopper = (*Plugin)(nil)
)

// remoteSpan returns the remote span context the request's headers carry
// (invalid when none), read with the propagator but kept out of the
// request's context: a public endpoint links to it (WithPublicEndpoint).
func remoteSpan(prop propagation.TextMapPropagator, h http.Header) trace.SpanContext {
	sc := trace.SpanContextFromContext(prop.Extract(context.Background(), headerCarrier(h)))
	if !sc.IsRemote() {
		return trace.SpanContext{}
	}
	return sc
}

// headerCarrier reads propagation fields from request headers without
// canonicalizing the propagators' lower-case names on each request
// (http.Header.Get would allocate for "traceparent").
type headerCarrier http.Header

func (h headerCarrier) Get(key string) string {
	var ck string
	switch key {
	case "traceparent":
		ck = "Traceparent"
	case "tracestate":
		ck = "Tracestate"
	case "baggage":
		ck = "Baggage"
	default:
		return http.Header(h).Get(key)
	}
	if v := h[ck]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (h headerCarrier) Set(key, value string) { http.Header(h).Set(key, value) }

func (h headerCarrier) Keys() []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	return keys
}
