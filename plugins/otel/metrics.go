package otel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	covet "github.com/covetgo/covet/core"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// instruments are the HTTP server metrics.
type instruments struct {
	duration metric.Float64Histogram
	active   metric.Int64UpDownCounter
}

// durationBuckets are the semantic conventions' advised boundaries for
// http.server.request.duration, in seconds.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

func newInstruments(mp metric.MeterProvider) (*instruments, error) {
	m := mp.Meter(ScopeName, metric.WithInstrumentationVersion(Version))
	d, err1 := m.Float64Histogram("http.server.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP server requests."), metric.WithExplicitBucketBoundaries(durationBuckets...))
	a, err2 := m.Int64UpDownCounter("http.server.active_requests", metric.WithUnit("{request}"),
		metric.WithDescription("Number of active HTTP server requests."))
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("otel: metrics: %w", err)
	}
	return &instruments{duration: d, active: a}, nil
}

// measure records the request's duration and the in-flight count. The
// status is the one the client got: for a returned error, read once the
// request is over. It runs inside the span, called by the tracing
// middleware with the method it read (c.Request() would now copy the
// request to carry the span's context).
func (p *Plugin) measure(c *covet.Context, method string, next covet.HandlerFunc) error {
	ctx := context.WithoutCancel(c.Context())
	ma := methodAttr(method)
	activeSet := metric.WithAttributeSet(attribute.NewSet(ma))
	p.inst.active.Add(ctx, 1, activeSet)
	start := time.Now()
	record := func(status int) {
		if status == 0 {
			status = http.StatusOK
		}
		attrs := make([]attribute.KeyValue, 0, 3)
		attrs = append(attrs, ma, semconv.HTTPResponseStatusCode(status))
		if ri := c.Route(); ri != nil {
			attrs = append(attrs, semconv.HTTPRoute(ri.Pattern))
		}
		p.inst.duration.Record(ctx, time.Since(start).Seconds(), metric.WithAttributeSet(attribute.NewSet(attrs...)))
		p.inst.active.Add(ctx, -1, activeSet)
	}
	returned := false
	defer func() {
		if !returned {
			record(http.StatusInternalServerError) // a panic unwinding
		}
	}()
	err := next(c)
	returned = true
	if err != nil {
		c.OnDone(func() { record(c.Response().Status()) })
		return err
	}
	record(c.Response().Status())
	return nil
}

// Figure is one value read from another plugin at collection time. It has
// the fields of plugins/metrics' Figure, so a read function written for
// metrics.Figures serves both exporters: convert each value with
// otel.Figure(f).
type Figure struct {
	// Name is the metric name's last part ("allowed_total").
	Name string
	// Help describes it.
	Help string
	// Counter says the value only grows (since the process started);
	// otherwise it is a gauge.
	Counter bool
	// Value is the current value.
	Value float64
}

// Figures exports another plugin's counters on mp as observable
// instruments named prefix + "." + Name (for example "covet.ratelimit" and
// "allowed_total"), read by calling read at each collection. read must
// return the same names at every call: it is called once here to create the
// instruments. Unregister the returned registration to stop.
func Figures(mp metric.MeterProvider, prefix string, read func() []Figure) (metric.Registration, error) {
	m := mp.Meter(ScopeName, metric.WithInstrumentationVersion(Version))
	first := read()
	obs := make(map[string]metric.Float64Observable, len(first))
	list := make([]metric.Observable, 0, len(first))
	for _, f := range first {
		name := prefix + "." + f.Name
		var o metric.Float64Observable
		var err error
		if f.Counter {
			o, err = m.Float64ObservableCounter(name, metric.WithDescription(f.Help))
		} else {
			o, err = m.Float64ObservableGauge(name, metric.WithDescription(f.Help))
		}
		if err != nil {
			return nil, fmt.Errorf("otel: figure %q: %w", name, err)
		}
		obs[f.Name] = o
		list = append(list, o)
	}
	return m.RegisterCallback(func(_ context.Context, ob metric.Observer) error {
		for _, f := range read() {
			if o, ok := obs[f.Name]; ok {
				ob.ObserveFloat64(o, f.Value)
			}
		}
		return nil
	}, list...)
}
