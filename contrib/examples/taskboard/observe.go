package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/metrics"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/otel"
	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun/extra/bunotel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// MetricsAllowEnv lists, comma-separated, the addresses and CIDR ranges
// allowed to scrape /metrics ("10.0.0.0/8,192.0.2.7"). Unset: loopback
// only (127.0.0.0/8 and ::1).
const MetricsAllowEnv = "TASKBOARD_METRICS_ALLOW"

// observability is the taskboard's metrics and traces: plugins/metrics on
// /metrics (RED metrics per route, the runtime, and the installed plugins'
// figures: database pools, rate limiter, cache, WebSocket, auth), and,
// when OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set,
// plugins/otel server spans with SQL (bunotel) and Redis (redisotel) child
// spans, exported over OTLP/HTTP in batches.
type observability struct {
	tp *sdktrace.TracerProvider // nil: no OTLP endpoint, no tracing
}

// newObservability creates the tracer provider when an OTLP endpoint is
// configured (the standard OTEL_* variables say where and how) and
// instruments rdb with it.
func newObservability(rdb *redis.Client) (*observability, error) {
	o := &observability{}
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return o, nil
	}
	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("taskboard: OTLP exporter: %w", err)
	}
	res, err := resource.New(ctx, resource.WithAttributes(semconv.ServiceName("taskboard"), semconv.ServiceVersion(Version)),
		resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("taskboard: trace resource: %w", err)
	}
	// The sampler is OTEL_TRACES_SAMPLER's (parent-based always-on by default).
	o.tp = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	if rdb != nil {
		if err := redisotel.InstrumentTracing(rdb, redisotel.WithTracerProvider(o.tp)); err != nil {
			return nil, fmt.Errorf("taskboard: Redis tracing: %w", err)
		}
	}
	return o, nil
}

// ormOptions are the orm plugin's options for tracing: bunotel's SQL spans.
func (o *observability) ormOptions() []orm.Option {
	if o.tp == nil {
		return nil
	}
	return []orm.Option{orm.WithQueryHook(bunotel.NewQueryHook(bunotel.WithTracerProvider(o.tp), bunotel.WithFormattedQueries(true)))}
}

// install adds the metrics plugin (and the tracing plugin with the
// provider) to app.
func (o *observability) install(app *covet.App) error {
	allow := []string{"127.0.0.0/8", "::1"}
	if v := os.Getenv(MetricsAllowEnv); v != "" {
		allow = nil
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				allow = append(allow, s)
			}
		}
	}
	// The plugins' figures (orm pools and statements, ratelimit, cache, ws,
	// auth) are exported through covet.StatsReporter: nothing to wire.
	mopts := []metrics.Option{metrics.WithAllowedIPs(allow...)}
	if o.tp != nil {
		mopts = append(mopts, metrics.WithExemplars(otel.TraceID))
		tracing := otel.New(otel.WithTracerProvider(o.tp),
			otel.WithSkip(func(p string) bool { return p == "/metrics" || p == "/healthz" || p == "/readyz" }))
		if err := app.Install(tracing, tracerShutdown{o.tp}); err != nil {
			return err
		}
	}
	return app.Install(metrics.New(mopts...))
}

// tracerShutdown flushes and shuts the tracer provider down when the app
// stops (the otel plugin leaves a provider it was given alone).
type tracerShutdown struct{ tp *sdktrace.TracerProvider }

func (tracerShutdown) Name() string                     { return "taskboard-tracing" }
func (tracerShutdown) Install(*covet.App) error         { return nil }
func (s tracerShutdown) Stop(ctx context.Context) error { return s.tp.Shutdown(ctx) }
func (tracerShutdown) Start(ctx context.Context) error  { return nil }

var (
	_ covet.Starter = tracerShutdown{}
	_ covet.Stopper = tracerShutdown{}
)
