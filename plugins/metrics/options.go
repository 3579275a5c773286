package metrics

import (
	"fmt"
	"net/netip"

	covet "github.com/covetgo/covet/core"
	"github.com/prometheus/client_golang/prometheus"
)

// Option configures the plugin.
type Option func(*config)

type config struct {
	namespace   string
	path        string
	listen      string
	registry    *prometheus.Registry
	buckets     []float64
	sizeBuckets []float64
	native      float64 // native histogram bucket factor; 0: classic only
	sizes       bool
	runtime     bool
	user, pass  string
	allow       []netip.Prefix
	collectors  []prometheus.Collector
	exemplar    func(c *covet.Context) string
	profiling   bool
	noStats     bool
	errs        []error
}

// DefaultBuckets are the duration histogram's bucket bounds in seconds:
// Prometheus' defaults (5 ms to 10 s).
var DefaultBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// DefaultSizeBuckets are the size histograms' bucket bounds in bytes:
// 64 B to 16 MiB, by fours.
var DefaultSizeBuckets = []float64{64, 256, 1024, 4096, 16384, 65536, 262144, 1 << 20, 4 << 20, 16 << 20}

func newConfig(opts []Option) *config {
	cfg := &config{
		namespace:   "covet",
		path:        "/metrics",
		buckets:     DefaultBuckets,
		sizeBuckets: DefaultSizeBuckets,
		sizes:       true,
		runtime:     true,
	}
	for _, o := range opts {
		o(cfg)
	}
	if cfg.registry == nil {
		cfg.registry = prometheus.NewRegistry()
	}
	return cfg
}

// WithNamespace sets the prefix of every HTTP metric name ("covet" by
// default: covet_http_requests_total). An empty namespace drops the prefix.
func WithNamespace(ns string) Option { return func(c *config) { c.namespace = ns } }

// WithPath sets the exposition path ("/metrics" by default). An empty path
// registers no route (gather from Registry yourself, or use WithListener).
func WithPath(p string) Option { return func(c *config) { c.path = p } }

// WithListener serves the exposition on its own address (for example
// "127.0.0.1:9090", or ":0"), started with the app and stopped with it,
// instead of as a route of the app. Requests to it are not counted.
func WithListener(addr string) Option { return func(c *config) { c.listen = addr } }

// WithRegistry uses reg instead of a new registry of the plugin's own; the
// plugin registers its collectors there. Pass prometheus.DefaultRegisterer's
// registry (prometheus.DefaultRegisterer.(*prometheus.Registry)) to expose
// collectors registered globally by libraries.
func WithRegistry(reg *prometheus.Registry) Option { return func(c *config) { c.registry = reg } }

// WithBuckets sets the classic bucket bounds of the duration histogram, in
// seconds, increasing.
func WithBuckets(b ...float64) Option {
	return func(c *config) {
		for i := 1; i < len(b); i++ {
			if b[i] <= b[i-1] {
				c.errs = append(c.errs, fmt.Errorf("metrics: buckets must increase: %v", b))
				return
			}
		}
		c.buckets = append([]float64(nil), b...)
	}
}

// WithSizeBuckets sets the bucket bounds of the request and response size
// histograms, in bytes.
func WithSizeBuckets(b ...float64) Option {
	return func(c *config) { c.sizeBuckets = append([]float64(nil), b...) }
}

// WithNativeHistograms makes the duration histogram a native (sparse)
// histogram as well, with the given bucket growth factor (1.1 is
// Prometheus' usual choice; factor ≤ 1 means 1.1). Classic buckets are kept
// for scrapers that do not negotiate the protobuf format. Prometheus must
// run with native histograms enabled to store them.
func WithNativeHistograms(factor float64) Option {
	return func(c *config) {
		if factor <= 1 {
			factor = 1.1
		}
		c.native = factor
	}
}

// WithSizes turns the request and response size histograms on (the
// default) or off.
func WithSizes(on bool) Option { return func(c *config) { c.sizes = on } }

// WithRuntimeMetrics turns the Go runtime and process collectors on (the
// default) or off.
func WithRuntimeMetrics(on bool) Option { return func(c *config) { c.runtime = on } }

// WithBasicAuth protects the exposition with HTTP basic authentication
// (compared in constant time). Prometheus' scrape config sets basic_auth.
func WithBasicAuth(user, password string) Option {
	return func(c *config) { c.user, c.pass = user, password }
}

// WithAllowedIPs restricts the exposition to clients in the given CIDR
// ranges or addresses ("10.0.0.0/8", "127.0.0.1"). On the app's route the
// client is Context.ClientIP (the app's trusted proxies apply); on a
// separate listener it is the peer address.
func WithAllowedIPs(cidrs ...string) Option {
	return func(c *config) {
		for _, s := range cidrs {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				a, aerr := netip.ParseAddr(s)
				if aerr != nil {
					c.errs = append(c.errs, fmt.Errorf("metrics: allowed IP %q is neither a CIDR range nor an address", s))
					continue
				}
				p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
			}
			c.allow = append(c.allow, p.Masked())
		}
	}
}

// WithCollector registers more collectors in the plugin's registry: the
// database pool (DBStats), counters read from another plugin (Figures), or
// any prometheus.Collector.
func WithCollector(cs ...prometheus.Collector) Option {
	return func(c *config) { c.collectors = append(c.collectors, cs...) }
}

// WithPluginStats turns on (the default) or off the export of the figures
// of every installed plugin that implements covet.StatsReporter, read at
// each scrape as namespace_plugin_name (counters with "_total").
func WithPluginStats(on bool) Option { return func(c *config) { c.noStats = !on } }

// WithExemplars attaches an exemplar to each duration observation for
// which fn returns a non-empty trace ID (label trace_id), so that a latency
// bucket links to a trace. plugins/otel's TraceID is such a function.
// Exemplars are exposed in the OpenMetrics and protobuf formats only.
func WithExemplars(fn func(c *covet.Context) string) Option {
	return func(c *config) { c.exemplar = fn }
}
