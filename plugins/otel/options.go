package otel

import (
	"net/http"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Option configures the plugin.
type Option func(*config)

type config struct {
	provider   trace.TracerProvider
	meter      metric.MeterProvider
	noStats    bool
	propagator propagation.TextMapPropagator
	// w3cOnly: the propagator is the default W3C trace context and
	// baggage, which read nothing from a request without their headers.
	w3cOnly  bool
	exporter sdktrace.SpanExporter
	sampler  sdktrace.Sampler
	service  string
	skip     func(path string) bool
	errs     []error
	noFast   bool         // WithFastPath(false)
	client   *http.Client // WithHTTPClient
	// trusted: the requests whose trace context is read (nil: all).
	trusted func(*http.Request) bool
	// public, publicFn: the requests served as a public endpoint
	// (WithPublicEndpoint, WithPublicEndpointFn).
	public   bool
	publicFn func(*http.Request) bool
}

func newConfig(opts []Option) *config {
	cfg := &config{
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		w3cOnly:    true,
	}
	for _, o := range opts {
		o(cfg)
	}
	return cfg
}

// WithTracerProvider uses tp (for example the application's SDK provider,
// or one with a tracetest.SpanRecorder in tests). The plugin then creates
// no provider and no exporter, and does not shut tp down. The plugin
// cannot see tp's sampler, so every request goes through tp's
// tracer.Start; with WithSampler or WithSampleRatio and WithExporter
// instead, the plugin builds the provider and decides sampling before the
// SDK (README, "Sampling decided before the SDK").
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.provider = tp }
}

// WithPropagator sets how trace context is read from requests (W3C
// traceparent/tracestate and baggage by default).
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) { c.propagator, c.w3cOnly = p, false }
}

// WithExporter sets the exporter of the provider the plugin creates when no
// WithTracerProvider is given (spans are batched). Without it, the plugin
// exports over OTLP/HTTP as the standard OTEL_EXPORTER_OTLP_* variables
// say; pass otlptracegrpc.New(ctx) for gRPC, so that only apps that use
// gRPC link it.
func WithExporter(e sdktrace.SpanExporter) Option {
	return func(c *config) { c.exporter = e }
}

// WithSampler sets the sampler of the provider the plugin creates. The
// SDK's standard samplers (AlwaysSample, NeverSample, TraceIDRatioBased,
// and ParentBased of them with the default parent rules) are decided by
// the plugin before tracer.Start, which dropped requests then skip. The
// default is parent-based: a request whose caller sampled it is sampled,
// others as OTEL_TRACES_SAMPLER says (always on when unset). Use
// WithSampleRatio for the usual "a share of new traces".
func WithSampler(s sdktrace.Sampler) Option {
	return func(c *config) { c.sampler = s }
}

// WithSampleRatio samples the given share (0 to 1) of traces that start
// here, and follows the caller's decision for the others:
// ParentBased(TraceIDRatioBased(ratio)).
func WithSampleRatio(ratio float64) Option {
	return func(c *config) { c.sampler = sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio)) }
}

// WithServiceName sets service.name on the provider the plugin creates
// (OTEL_SERVICE_NAME overrides it, as the specification says).
func WithServiceName(name string) Option {
	return func(c *config) { c.service = name }
}

// WithTrustedTraceContext reads the trace context (traceparent, tracestate
// and baggage, or what WithPropagator reads) only from requests fn
// accepts; the others start a trace of their own, sampled as a new root is.
// By default every request's context is followed, which suits a service
// that only its own gateway or services call. On a public endpoint it lets
// any client choose the trace its request joins and, under the default
// parent-based sampler, have it sampled whatever the ratio (a flood of
// "sampled" requests is a flood of exported spans), and send baggage the
// app's code reads. fn runs before the handler, once per request; for
// example, trust the app's own proxies' peers, or a header a gateway sets
// and strips from outside requests:
//
//	otel.WithTrustedTraceContext(func(r *http.Request) bool {
//		return app.TrustedProxies().Trusts(covet.ParseAddrPort(r.RemoteAddr))
//	})
func WithTrustedTraceContext(fn func(r *http.Request) bool) Option {
	return func(c *config) { c.trusted = fn }
}

// WithPublicEndpoint serves every request as a public endpoint's, as
// otelhttp's option of the same name does: its server span starts a new
// trace, sampled as a new root is, and links to the caller's span when the
// request carries one (traceparent, or what WithPropagator reads), so a
// trace backend still shows where the request came from while the client
// chooses neither the trace its request joins nor whether it is sampled.
// Unlike otelhttp, the request's baggage is not read either: the app's
// code sees none of a client's baggage. WithTrustedTraceContext still
// applies first: a request it refuses gets no link. Use
// WithPublicEndpointFn to follow the context of some requests (those of
// the app's own gateway) and not of others.
func WithPublicEndpoint() Option {
	return func(c *config) { c.public = true }
}

// WithPublicEndpointFn serves the requests fn accepts as WithPublicEndpoint
// serves every request (a new root linked to the caller's span, no
// baggage), and follows the trace context of the others. fn runs before
// the handler, once per request; for example, public unless the peer is
// one of the app's trusted proxies:
//
//	otel.WithPublicEndpointFn(func(r *http.Request) bool {
//		return !app.TrustedProxies().Trusts(covet.ParseAddrPort(r.RemoteAddr))
//	})
func WithPublicEndpointFn(fn func(r *http.Request) bool) Option {
	return func(c *config) { c.publicFn = fn }
}

// WithSkip leaves requests whose path fn accepts untraced (health checks,
// /metrics). Their trace context is still read, so calls they make are
// parented by the caller.
func WithSkip(fn func(path string) bool) Option {
	return func(c *config) { c.skip = fn }
}

// WithMeterProvider records the HTTP server metrics of the semantic
// conventions on mp: http.server.request.duration (histogram, seconds, by
// http.request.method, http.route and http.response.status_code) and
// http.server.active_requests (by method). It is the OTLP alternative to
// plugins/metrics' Prometheus exposition: give it an SDK MeterProvider with
// a periodic reader on an OTLP exporter (otlpmetrichttp). Off by default;
// the plugin does not shut mp down. The figures of installed plugins that
// implement covet.StatsReporter go to the same provider (WithPluginStats);
// other counters with Figures.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.meter = mp }
}

// WithFastPath turns the fast path for sampled server spans on (the
// default) or off. On, when the plugin builds the provider and exports over
// OTLP/HTTP as the OTEL_EXPORTER_OTLP_* variables say (no WithExporter,
// protocol http/protobuf, no client certificates) with a standard sampler,
// the server span of a sampled request is recorded and encoded as OTLP by
// the plugin itself and posted in batches, instead of going through the
// SDK (README, "Sampled spans without the SDK"); other spans (bunotel,
// redisotel, otelhttp children) still go through the SDK. Off, every span
// goes through the SDK.
func WithFastPath(on bool) Option {
	return func(c *config) { c.noFast = !on }
}

// WithHTTPClient sets the HTTP client OTLP/HTTP exports are posted with,
// by the fast path and by the SDK's exporter the plugin creates (the
// default client otherwise).
func WithHTTPClient(client *http.Client) Option {
	return func(c *config) { c.client = client }
}

// WithPluginStats turns on (the default) or off, with WithMeterProvider,
// the export of the figures of every installed plugin that implements
// covet.StatsReporter, as observable instruments "covet.<plugin>.<name>"
// (counters and gauges, labels as attributes), read at each collection.
// The instruments are made when the app starts and removed when it stops.
func WithPluginStats(on bool) Option { return func(c *config) { c.noStats = !on } }
