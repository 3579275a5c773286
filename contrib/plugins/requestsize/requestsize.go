package requestsize

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	covet "github.com/covetgo/covet/core"
)

// Interface guards: the hooks this plugin implements.
var (
	_ covet.Plugin        = (*Plugin)(nil)
	_ covet.Starter       = (*Plugin)(nil)
	_ covet.Stopper       = (*Plugin)(nil)
	_ covet.HealthChecker = (*Plugin)(nil)
	_ covet.RouteObserver = (*Plugin)(nil)
)

// DefaultPath is where the figures are served unless WithPath changes it.
const DefaultPath = "/debug/sizes"

// unmatchedKey collects requests that matched no route (404, 405, OPTIONS).
const unmatchedKey = "unmatched"

// Option configures a Plugin; pass options to New. Options set fields of an
// unexported config whose defaults are set in one place (defaultConfig):
// the one option style of every Covet module.
type Option func(*config)

// config is what the options set.
type config struct {
	path     string
	logEvery time.Duration
	maxBody  int64
}

func defaultConfig() config { return config{path: DefaultPath} }

// WithPath serves the figures at path instead of DefaultPath. An empty path
// serves no endpoint: read the figures with Plugin.Snapshot.
func WithPath(path string) Option { return func(c *config) { c.path = path } }

// WithMaxBody limits every request body to n bytes (0, the default, sets no
// limit); a route's own MaxBody overrides it. A body over the limit is
// answered 413 Content Too Large as a problem+json response: at once when
// Content-Length announces it, or when the handler reads past the limit.
//
// Deprecated: use covet.WithBodyLimit(n) (or middleware.BodyLimit(n) for
// handlers that read the raw body): Covet has one way to limit a body, and
// a plugin should not add its own (issue 12). It keeps working.
func WithMaxBody(n int64) Option { return func(c *config) { c.maxBody = n } }

// WithLogEvery logs a one-line summary of the busiest routes through the
// app's logger every d while the app runs (0, the default, logs nothing).
func WithLogEvery(d time.Duration) Option { return func(c *config) { c.logEvery = d } }

// Plugin counts request and response body bytes per route. Create it with
// New and install it with App.Install. It is safe for concurrent use.
type Plugin struct {
	config

	app   *covet.App
	stats atomic.Pointer[map[string]*counters] // fixed once routes are observed

	mu      sync.Mutex
	started time.Time
	running bool
	done    chan struct{}
}

// New returns a plugin configured by opts.
func New(opts ...Option) *Plugin {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	return &Plugin{config: cfg}
}

// Name returns "requestsize".
func (p *Plugin) Name() string { return "requestsize" }

// Install adds the measuring middleware and the figures endpoint to app.
func (p *Plugin) Install(app *covet.App) error {
	if p.logEvery < 0 {
		return errors.New("requestsize: WithLogEvery needs a positive duration")
	}
	if p.maxBody < 0 {
		return errors.New("requestsize: WithMaxBody needs a positive size, or 0 for no limit")
	}
	p.app = app
	app.Use(p.measure)
	if p.path != "" {
		app.GET(p.path, p.serveStats).
			Name("requestsize.stats").
			Summary("Request and response sizes per route").
			Tags("requestsize")
	}
	return nil
}

// ObserveRoutes creates a row for every route, so the figures list routes
// that got no traffic yet, and fixes the table: the request path only reads it.
func (p *Plugin) ObserveRoutes(routes []covet.RouteInfo) error {
	m := make(map[string]*counters, len(routes)+1)
	for i := range routes {
		r := &routes[i]
		limit := p.maxBody
		if n, ok := MaxBodyKey.Get(r); ok {
			limit = n
		}
		m[routeKey(r.Method, r.Pattern)] = &counters{limit: limit}
	}
	m[unmatchedKey] = &counters{}
	p.stats.Store(&m)
	return nil
}

// Start records the start time and starts the summary logger, if enabled.
func (p *Plugin) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.started = time.Now()
	p.running = true
	p.done = make(chan struct{})
	if p.logEvery > 0 {
		go p.logLoop(ctx, p.done)
	}
	return nil
}

// Stop ends the summary logger.
func (p *Plugin) Stop(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		close(p.done)
		p.running = false
	}
	return nil
}

// CheckHealth reports liveness as ok. Readiness is ok while the plugin runs
// (between Start and Stop) and down otherwise, with the figures' totals in
// the details.
func (p *Plugin) CheckHealth(ctx context.Context, kind covet.HealthKind) covet.HealthReport {
	snap := p.Snapshot()
	details := map[string]any{"routes": len(snap.Routes), "requests": snap.Requests}
	if kind == covet.Liveness {
		return covet.HealthReport{Status: covet.HealthOK, Details: details}
	}
	p.mu.Lock()
	running := p.running
	p.mu.Unlock()
	if !running {
		return covet.HealthReport{Status: covet.HealthDown, Error: "requestsize: not started", Details: details}
	}
	return covet.HealthReport{Status: covet.HealthOK, Details: details}
}

// MaxBodyKey is the route metadata key under which MaxBody stores a route's
// body limit. It is exported so that other tooling (an OpenAPI document, a
// gateway config generator) can read the limit from covet.RouteInfo:
//
//	if n, ok := requestsize.MaxBodyKey.Get(&info); ok { ... }
var MaxBodyKey = covet.NewMetaKey[int64]("requestsize.max_body")

// MaxBody returns a route option that limits the route's request body to n
// bytes (0 lifts the plugin-wide WithMaxBody limit for the route):
//
//	app.POST("/upload", upload).With(requestsize.MaxBody(10 << 20))
//
// Deprecated: use the route option covet.BodyLimit(n), the one per-route
// body limit of Covet. It keeps working.
func MaxBody(n int64) covet.RouteOption { return MaxBodyKey.Set(max(n, 0)) }

// limitKey holds the body limit applied to the current request.
var limitKey = covet.NewKey[int64]("requestsize.limit")

// Limit returns the body limit applied to the request, if any: handlers use
// it to tell clients how much they may send.
func Limit(c *covet.Context) (int64, bool) { return limitKey.Get(c) }

// counters are one route's figures, updated atomically.
type counters struct {
	limit         int64
	rejected      atomic.Int64
	requests      atomic.Int64
	requestBytes  atomic.Int64
	maxRequest    atomic.Int64
	responseBytes atomic.Int64
	maxResponse   atomic.Int64
}

func (c *counters) add(req, res int64) {
	c.requests.Add(1)
	c.requestBytes.Add(req)
	c.responseBytes.Add(res)
	storeMax(&c.maxRequest, req)
	storeMax(&c.maxResponse, res)
}

func storeMax(v *atomic.Int64, n int64) {
	for {
		old := v.Load()
		if n <= old || v.CompareAndSwap(old, n) {
			return
		}
	}
}

func routeKey(method, pattern string) string { return method + " " + pattern }

// countingBody counts the bytes a handler reads from the request body and
// stops it at the limit, if any.
type countingBody struct {
	io.ReadCloser
	n        int64
	limit    int64 // 0: none
	exceeded bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.limit > 0 {
		if b.exceeded {
			return 0, tooLarge(b.limit)
		}
		// Read one byte past the limit to tell "exactly at the limit" from "over it".
		if room := b.limit + 1 - b.n; int64(len(p)) > room {
			p = p[:room]
		}
	}
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if b.limit > 0 && b.n > b.limit {
		b.exceeded = true
		over := int(b.n - b.limit)
		b.n = b.limit
		return n - over, tooLarge(b.limit)
	}
	return n, err
}

func tooLarge(limit int64) error {
	return covet.Errorf(http.StatusRequestEntityTooLarge, "the request body exceeds the limit of %d bytes", limit)
}

// limitFor returns the body limit of the matched route (0: none). Requests
// no route matched are not limited: they get their 404 or 405.
func (p *Plugin) limitFor(c *covet.Context) int64 {
	ri := c.Route()
	if ri == nil {
		return 0
	}
	if n, ok := MaxBodyKey.Get(ri); ok {
		return n
	}
	return p.maxBody
}

// measure is the middleware: it counts the body the handler reads and the
// bytes written, and hands a returned error to the app's error handler first,
// so that error responses are measured too.
func (p *Plugin) measure(next covet.HandlerFunc) covet.HandlerFunc {
	return func(c *covet.Context) error {
		r := c.Request()
		limit := p.limitFor(c)
		if limit > 0 {
			limitKey.Set(c, limit)
			if r.ContentLength > limit {
				// Refuse before reading anything.
				c.HandleError(tooLarge(limit))
				p.record(c, 0, c.Response().Size(), true)
				return nil
			}
		}
		var body *countingBody
		if r.Body != nil && r.Body != http.NoBody {
			body = &countingBody{ReadCloser: r.Body, limit: limit}
			r.Body = body
		}
		err := next(c)
		rejected := body != nil && body.exceeded
		if rejected && !c.Response().Written() {
			// The handler read past the limit and did not answer with the
			// limit's error (it may have wrapped or replaced it): answer 413.
			err = tooLarge(limit)
		}
		if err != nil {
			c.HandleError(err)
		}
		var req int64
		if body != nil {
			req = body.n
		}
		if !rejected {
			req = max(req, r.ContentLength)
		}
		p.record(c, req, c.Response().Size(), rejected)
		return nil
	}
}

func (p *Plugin) record(c *covet.Context, req, res int64, rejected bool) {
	m := p.stats.Load()
	if m == nil {
		return
	}
	key := unmatchedKey
	if ri := c.Route(); ri != nil {
		key = routeKey(ri.Method, ri.Pattern)
	}
	if ctr := (*m)[key]; ctr != nil {
		ctr.add(req, res)
		if rejected {
			ctr.rejected.Add(1)
		}
	}
}

// RouteSizes is one route's figures.
type RouteSizes struct {
	// Route is "METHOD /pattern", or "unmatched" for requests no route matched.
	Route string `json:"route"`
	// Requests is how many requests were measured.
	Requests int64 `json:"requests"`
	// RequestBytes and ResponseBytes are the totals of body bytes.
	RequestBytes  int64 `json:"request_bytes"`
	ResponseBytes int64 `json:"response_bytes"`
	// MaxRequest and MaxResponse are the largest bodies seen.
	MaxRequest  int64 `json:"max_request_bytes"`
	MaxResponse int64 `json:"max_response_bytes"`
	// Rejected counts requests answered 413 for a body over the limit.
	Rejected int64 `json:"rejected"`
	// Limit is the route's body limit in bytes (0: none).
	Limit int64 `json:"limit,omitempty"`
}

// Snapshot is the figures at one moment.
type Snapshot struct {
	// Since is when the plugin started (zero before Start).
	Since time.Time `json:"since"`
	// Requests is the total over all routes.
	Requests int64 `json:"requests"`
	// Routes has one row per route, busiest first, then by route.
	Routes []RouteSizes `json:"routes"`
}

// Snapshot returns the current figures.
func (p *Plugin) Snapshot() Snapshot {
	p.mu.Lock()
	s := Snapshot{Since: p.started}
	p.mu.Unlock()
	m := p.stats.Load()
	if m == nil {
		return s
	}
	s.Routes = make([]RouteSizes, 0, len(*m))
	for k, c := range *m {
		rs := RouteSizes{
			Route: k, Requests: c.requests.Load(),
			RequestBytes: c.requestBytes.Load(), ResponseBytes: c.responseBytes.Load(),
			MaxRequest: c.maxRequest.Load(), MaxResponse: c.maxResponse.Load(),
			Rejected: c.rejected.Load(), Limit: c.limit,
		}
		s.Requests += rs.Requests
		s.Routes = append(s.Routes, rs)
	}
	sort.Slice(s.Routes, func(i, j int) bool {
		a, b := s.Routes[i], s.Routes[j]
		if a.Requests != b.Requests {
			return a.Requests > b.Requests
		}
		return a.Route < b.Route
	})
	return s
}

func (p *Plugin) serveStats(c *covet.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, p.Snapshot())
}

func (p *Plugin) logLoop(ctx context.Context, done chan struct{}) {
	t := time.NewTicker(p.logEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-t.C:
			s := p.Snapshot()
			args := []any{"requests", s.Requests}
			for i, r := range s.Routes {
				if i == 3 || r.Requests == 0 {
					break
				}
				args = append(args, r.Route, r.ResponseBytes)
			}
			p.app.Logger().InfoContext(ctx, "requestsize: response bytes per route", args...)
		}
	}
}
