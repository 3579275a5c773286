package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// UnmatchedRoute is the route label of requests no route matched (404, 405,
// automatic OPTIONS, trailing-slash redirects): whatever their paths, they
// share one series per method and status class.
const UnmatchedRoute = "unmatched"

// OtherMethod is the method label of requests whose method is not one of
// the standard methods, so arbitrary methods cannot create series.
const OtherMethod = "OTHER"

// Plugin records RED metrics for every request and exposes the registry.
// Create it with New and install it with App.Install.
type Plugin struct {
	cfg      *config
	app      *covet.App
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	reqSize  *prometheus.HistogramVec
	resSize  *prometheus.HistogramVec
	inFlight prometheus.Gauge

	// byRoute caches the children of the vectors for each route and its
	// own method; series those of other (route, method) pairs (HEAD served
	// by a GET route); unmatched those of unmatched requests by method.
	// The maps are immutable, replaced on a miss, so a hit is one lookup
	// without a lock and without allocating.
	byRoute   atomic.Pointer[map[*covet.RouteInfo]*routeSeries]
	series    atomic.Pointer[map[seriesKey]*routeSeries]
	unmatched [len(methodLabels)]atomic.Pointer[routeSeries]
	mu        sync.Mutex

	srv  *http.Server
	addr atomic.Value // string: the separate listener's address

	// registered are the collectors Install put in the registry, for
	// Cleanup to take out again when core rolled the Install back.
	registered []prometheus.Collector
}

type seriesKey struct {
	route  *covet.RouteInfo // nil: unmatched
	method string
}

type routeSeries struct {
	method   string
	route    string
	byClass  [6]atomic.Pointer[counter] // 1xx..5xx, [0] for anything else; made on first use
	duration prometheus.Observer
	reqSize  prometheus.Observer
	resSize  prometheus.Observer
}

// New returns the metrics plugin. With no options it records
// covet_http_requests_total, covet_http_request_duration_seconds,
// covet_http_request_size_bytes, covet_http_response_size_bytes and
// covet_http_requests_in_flight, plus the Go runtime and process
// collectors, in a registry of its own exposed on GET /metrics.
func New(opts ...Option) *Plugin {
	cfg := newConfig(opts)
	p := &Plugin{cfg: cfg}
	ns := cfg.namespace
	p.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Subsystem: "http", Name: "requests_total",
		Help: "HTTP requests served, by method, route pattern and status class.",
	}, []string{"method", "route", "code"})
	dopts := prometheus.HistogramOpts{
		Namespace: ns, Subsystem: "http", Name: "request_duration_seconds",
		Help:    "Time from the request reaching the app's middleware to the handler's return, by method and route pattern.",
		Buckets: cfg.buckets,
	}
	if cfg.native > 0 {
		dopts.NativeHistogramBucketFactor = cfg.native
		dopts.NativeHistogramMaxBucketNumber = 160
		dopts.NativeHistogramMinResetDuration = time.Hour
	}
	p.duration = prometheus.NewHistogramVec(dopts, []string{"method", "route"})
	if cfg.sizes {
		p.reqSize = prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: "http", Name: "request_size_bytes",
			Help:    "Request body sizes announced by Content-Length, by method and route pattern.",
			Buckets: cfg.sizeBuckets,
		}, []string{"method", "route"})
		p.resSize = prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: "http", Name: "response_size_bytes",
			Help:    "Response body bytes written by the handlers (before compression by a writer they wrap), by method and route pattern.",
			Buckets: cfg.sizeBuckets,
		}, []string{"method", "route"})
	}
	p.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: ns, Subsystem: "http", Name: "requests_in_flight",
		Help: "HTTP requests being served.",
	})
	empty := map[seriesKey]*routeSeries{}
	p.series.Store(&empty)
	emptyRoutes := map[*covet.RouteInfo]*routeSeries{}
	p.byRoute.Store(&emptyRoutes)
	return p
}

// Name returns "metrics".
func (p *Plugin) Name() string { return "metrics" }

// Registry returns the registry the plugin's metrics are in; register the
// application's own metrics there.
func (p *Plugin) Registry() *prometheus.Registry { return p.cfg.registry }

// Install registers the collectors, adds the middleware outside all app
// middleware added so far, and the exposition route unless WithListener or
// an empty WithPath says otherwise.
func (p *Plugin) Install(app *covet.App) error {
	if len(p.cfg.errs) > 0 {
		return errors.Join(p.cfg.errs...)
	}
	if p.cfg.profiling && p.cfg.user == "" && p.cfg.pass == "" && len(p.cfg.allow) == 0 {
		return errProfilingOpen
	}
	reg := p.cfg.registry
	cs := []prometheus.Collector{p.requests, p.duration, p.inFlight}
	if p.cfg.sizes {
		cs = append(cs, p.reqSize, p.resSize)
	}
	if p.cfg.runtime {
		cs = append(cs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if !p.cfg.noStats {
		cs = append(cs, &pluginStats{ns: p.cfg.namespace, app: app})
	}
	cs = append(cs, p.cfg.collectors...)
	var done []prometheus.Collector
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, d := range done {
				reg.Unregister(d)
			}
			return errors.New("metrics: register collector: " + err.Error())
		}
		done = append(done, c)
	}
	p.registered = done
	p.app = app
	app.UseAt(covet.PhaseObserve, p.Middleware())
	if p.cfg.listen == "" && p.cfg.path != "" {
		h := p.Handler()
		app.GET(p.cfg.path, func(c *covet.Context) error {
			if !p.allowed(c.Request(), c.ClientIP()) {
				return p.deny(c.Response(), c.Request())
			}
			h.ServeHTTP(c.Response(), c.Request())
			return nil
		}).Hidden()
	}
	if p.cfg.listen == "" && p.cfg.profiling {
		p.installProfiling(app)
	}
	return nil
}

// Cleanup undoes Install's registrations when core rolled the Install back
// (a plugin that installed this one failed): the collectors Install put in
// the registry, those of WithCollector included, are unregistered, so the
// registry is as it was and the plugin, or a new one on the same registry,
// can be installed again. When the plugin is still installed (Cleanup after
// App.Stop or after a failed App.Start) it keeps them: the registry can
// still be gathered, and the app started again.
func (p *Plugin) Cleanup() error {
	if p.app == nil || p.app.Plugin(p.Name()) == covet.Plugin(p) {
		return nil
	}
	for _, c := range p.registered {
		p.cfg.registry.Unregister(c)
	}
	p.registered = nil
	p.app = nil
	return nil
}

// Start opens the separate listener when WithListener is set.
func (p *Plugin) Start(ctx context.Context) error {
	if p.cfg.listen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", p.cfg.listen)
	if err != nil {
		return errors.New("metrics: listen: " + err.Error())
	}
	p.addr.Store(ln.Addr().String())
	h := p.Handler()
	path := p.cfg.path
	if path == "" {
		path = "/metrics"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		if !p.allowed(r, host) {
			_ = p.deny(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
	if p.cfg.profiling {
		ph := p.profilingHandler()
		mux.HandleFunc(ProfilingPath, func(w http.ResponseWriter, r *http.Request) {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			if !p.allowed(r, host) {
				_ = p.deny(w, r)
				return
			}
			ph.ServeHTTP(w, r)
		})
	}
	// The goroutine gets its own reference: Stop clears p.srv, possibly
	// before the goroutine runs (found by TestFailedStartLeavesNothing).
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: nil}
	p.srv = srv
	go func() { _ = srv.Serve(ln) }()
	return nil
}

// Stop closes the separate listener.
func (p *Plugin) Stop(ctx context.Context) error {
	if p.srv == nil {
		return nil
	}
	err := p.srv.Shutdown(ctx)
	p.srv = nil
	return err
}

// ListenerAddr returns the separate listener's address once started
// (useful with WithListener(":0")), or "".
func (p *Plugin) ListenerAddr() string {
	s, _ := p.addr.Load().(string)
	return s
}

// Middleware returns the recording middleware. Install adds it; use it
// directly only to measure a group or a single route.
func (p *Plugin) Middleware() covet.Middleware {
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			start := time.Now()
			p.inFlight.Inc()
			returned := false
			defer func() {
				if !returned {
					// A panic is unwinding: count it as a 500 unless a status
					// was sent, without stopping it.
					p.inFlight.Dec()
					p.record(c, start, http.StatusInternalServerError)
				}
			}()
			err := next(c)
			returned = true
			if err != nil {
				// The error is rendered further out: record once the
				// request is over, with the status the client got (a
				// closure per failed request only).
				c.OnDone(func() {
					p.inFlight.Dec()
					p.record(c, start, 0)
				})
				return err
			}
			p.inFlight.Dec()
			p.record(c, start, 0)
			return nil
		}
	}
}

// record observes one request. fallback is the status when none was sent
// (0: net/http's 200).
func (p *Plugin) record(c *covet.Context, start time.Time, fallback int) {
	elapsed := time.Since(start).Seconds()
	r := c.Request()
	res := c.Response()
	status := res.Status()
	if status == 0 {
		status = http.StatusOK
		if fallback != 0 {
			status = fallback
		}
	}
	s := p.seriesFor(c.Route(), r.Method)
	class := status / 100
	if class < 1 || class > 5 {
		class = 0
	}
	if ctr := s.byClass[class].Load(); ctr != nil {
		ctr.c.Inc()
	} else {
		p.counterFor(s, class).Inc()
	}
	if p.cfg.exemplar != nil {
		if id := p.cfg.exemplar(c); id != "" {
			if eo, ok := s.duration.(prometheus.ExemplarObserver); ok {
				eo.ObserveWithExemplar(elapsed, prometheus.Labels{"trace_id": id})
				goto sizes
			}
		}
	}
	s.duration.Observe(elapsed)
sizes:
	if s.reqSize != nil {
		if n := r.ContentLength; n >= 0 {
			s.reqSize.Observe(float64(n))
		}
		s.resSize.Observe(float64(res.Size()))
	}
}

var classLabels = [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

// seriesFor returns the series of a route and method, creating them on
// first use.
func (p *Plugin) seriesFor(ri *covet.RouteInfo, method string) *routeSeries {
	if ri == nil {
		i := methodIndex(method)
		if s := p.unmatched[i].Load(); s != nil {
			return s
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if s := p.unmatched[i].Load(); s != nil {
			return s
		}
		s := p.newSeries(methodLabels[i], UnmatchedRoute)
		p.unmatched[i].Store(s)
		return s
	}
	if method == ri.Method {
		if s, ok := (*p.byRoute.Load())[ri]; ok {
			return s
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		old := *p.byRoute.Load()
		if s, ok := old[ri]; ok {
			return s
		}
		s := p.newSeries(methodLabels[methodIndex(ri.Method)], ri.Pattern)
		next := make(map[*covet.RouteInfo]*routeSeries, len(old)+1)
		for k, v := range old {
			next[k] = v
		}
		next[ri] = s
		p.byRoute.Store(&next)
		return s
	}
	// Another method on a route (HEAD on a GET route): keyed by the method's
	// label, so arbitrary methods cannot grow the map.
	k := seriesKey{route: ri, method: methodLabels[methodIndex(method)]}
	if s, ok := (*p.series.Load())[k]; ok {
		return s
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old := *p.series.Load()
	if s, ok := old[k]; ok {
		return s
	}
	s := p.newSeries(k.method, ri.Pattern)
	next := make(map[seriesKey]*routeSeries, len(old)+1)
	for kk, v := range old {
		next[kk] = v
	}
	next[k] = s
	p.series.Store(&next)
	return s
}

// newSeries takes the children of the vectors for a method and route label.
func (p *Plugin) newSeries(method, route string) *routeSeries {
	s := &routeSeries{method: method, route: route, duration: p.duration.WithLabelValues(method, route)}
	if p.cfg.sizes {
		s.reqSize = p.reqSize.WithLabelValues(method, route)
		s.resSize = p.resSize.WithLabelValues(method, route)
	}
	return s
}

// counter wraps a Counter for an atomic.Pointer.
type counter struct{ c prometheus.Counter }

// counterFor makes the request counter of a status class on first use, so
// that only classes that happened are exposed.
func (p *Plugin) counterFor(s *routeSeries, class int) prometheus.Counter {
	ctr := &counter{c: p.requests.WithLabelValues(s.method, s.route, classLabels[class])}
	// Two requests may race here: WithLabelValues returned the same child.
	s.byClass[class].Store(ctr)
	return ctr.c
}

// methodLabels are the method label values; the last is OtherMethod.
var methodLabels = [...]string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace, OtherMethod,
}

func methodIndex(m string) int {
	switch m {
	case http.MethodGet:
		return 0
	case http.MethodHead:
		return 1
	case http.MethodPost:
		return 2
	case http.MethodPut:
		return 3
	case http.MethodPatch:
		return 4
	case http.MethodDelete:
		return 5
	case http.MethodOptions:
		return 6
	case http.MethodConnect:
		return 7
	case http.MethodTrace:
		return 8
	}
	return len(methodLabels) - 1
}

var (
	_ covet.Plugin  = (*Plugin)(nil)
	_ covet.Starter = (*Plugin)(nil)
	_ covet.Stopper = (*Plugin)(nil)
	_ covet.Cleaner = (*Plugin)(nil)
)
