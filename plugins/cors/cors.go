package cors

import (
	"net/http"
	"strings"

	covet "github.com/covetgo/covet/core"
)

// Plugin is the CORS plugin. Create it with New and install it with
// App.Install; it adds app-level middleware at covet.PhaseEdge, outside the
// app's own middleware and the guard phase whatever the install order, so it
// sees every request that reaches
// routing, matched or not, answers preflights before authentication or rate
// limits can turn them down, and puts its headers on their refusals (a 401
// or a 429) too, where the page can read them.
type Plugin struct {
	eng *engine
	err error
}

// New returns the plugin with a policy built from opts. A configuration
// error (an invalid origin, "*" with credentials, no origin at all) is
// returned by App.Install.
func New(opts ...Option) *Plugin {
	eng, err := newEngine(opts)
	return &Plugin{eng: eng, err: err}
}

// Name returns "cors".
func (p *Plugin) Name() string { return "cors" }

// Install checks the configuration and adds the CORS middleware to the app
// at covet.PhaseEdge: whatever order the app installs plugins and calls Use
// in, CORS headers are on every response.
func (p *Plugin) Install(app *covet.App) error {
	if p.err != nil {
		return p.err
	}
	app.UseAt(covet.PhaseEdge, p.eng.middleware)
	return nil
}

// ObserveRoutes compiles the per-group and per-route policies (see
// Override) and reports an invalid one before the app serves.
func (p *Plugin) ObserveRoutes(routes []covet.RouteInfo) error {
	return p.eng.observe(routes)
}

// Middleware returns CORS as plain middleware with a policy built from opts,
// for apps that do not use the plugin. It panics if the configuration is
// invalid: a CORS policy is fixed at start-up.
//
// Used with App.UseAt(covet.PhaseEdge, ...) it behaves as the plugin does (App.Use puts it
// inside the app middleware added before it, whose refusals then lack CORS
// headers). Used on a group or a
// route, it adds CORS headers to the requests that route matches, but it only
// sees a preflight if the path has an OPTIONS route of its own (the
// automatic OPTIONS answer runs app-level middleware only): prefer the plugin
// with Override for per-group policies.
func Middleware(opts ...Option) covet.Middleware {
	eng, err := newEngine(opts)
	if err != nil {
		panic(err.Error())
	}
	return eng.middleware
}

// engine is a base policy plus the per-route overrides.
type engine struct {
	opts []Option
	base *policy
}

func newEngine(opts []Option) (*engine, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	base, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	return &engine{opts: opts, base: base}, nil
}

// middleware is the CORS middleware.
func (e *engine) middleware(next covet.HandlerFunc) covet.HandlerFunc {
	return func(c *covet.Context) error {
		r := c.Request()
		origins := r.Header["Origin"]
		preflight := r.Method == http.MethodOptions && len(origins) > 0 && len(r.Header["Access-Control-Request-Method"]) > 0
		p := e.policyFor(c, preflight)
		if p == nil {
			return next(c)
		}
		h := c.Response().Header()
		if preflight {
			if e.preflight(c, p, h, origins) {
				return nil
			}
			return next(c)
		}
		p.actual(c, h, origins, r.Method == http.MethodOptions)
		return next(c)
	}
}

// actual adds the headers of an actual (non-preflight) request.
func (p *policy) actual(c *covet.Context, h http.Header, origins []string, options bool) {
	if options {
		addVary(h, p.preVaryValue, p.preVary...)
	}
	if p.anyOrigin && !p.credentials {
		// A fixed answer that does not depend on the Origin header: sent
		// on every response, so a cache can keep one copy for everyone.
		h["Access-Control-Allow-Origin"] = valStar
		if p.exposed != nil {
			h["Access-Control-Expose-Headers"] = p.exposed
		}
		return
	}
	addVary(h, valOrigin, "Origin")
	if len(origins) != 1 || !p.allowOrigin(c, origins[0]) {
		return
	}
	// The request's own one-element slice, capped so an append copies: no
	// allocation for the echoed origin.
	h["Access-Control-Allow-Origin"] = origins[:1:1]
	if p.credentials {
		h["Access-Control-Allow-Credentials"] = valTrue
	}
	if p.exposed != nil {
		h["Access-Control-Expose-Headers"] = p.exposed
	}
}

// preflight answers a preflight request and reports whether it did; a
// preflight from an origin that is not allowed, or for a path without routes,
// is left to the rest of the chain (the automatic OPTIONS answer, or 404),
// which gives the browser no CORS headers and so fails the preflight.
func (e *engine) preflight(c *covet.Context, p *policy, h http.Header, origins []string) bool {
	addVary(h, p.preVaryValue, p.preVary...)
	if len(origins) != 1 || !p.allowOrigin(c, origins[0]) {
		return false
	}
	r := c.Request()
	methods := c.AllowedMethods()
	if c.Route() != nil {
		// The path has an OPTIONS route of its own: ask the router.
		methods = c.App().Methods(r.URL.Path)
	}
	if len(methods) == 0 {
		return false
	}
	if p.anyOrigin && !p.credentials {
		h["Access-Control-Allow-Origin"] = valStar
	} else {
		h["Access-Control-Allow-Origin"] = origins[:1:1]
	}
	if p.credentials {
		h["Access-Control-Allow-Credentials"] = valTrue
	}
	list, mixed := e.methodList(c, p, methods, origins[0])
	h["Access-Control-Allow-Methods"] = []string{list}
	if reqHeaders := r.Header["Access-Control-Request-Headers"]; len(reqHeaders) > 0 {
		if v := p.headerList(reqHeaders); v != "" {
			h["Access-Control-Allow-Headers"] = []string{v}
		}
	}
	if p.privateNet && r.Header.Get("Access-Control-Request-Private-Network") == "true" {
		h["Access-Control-Allow-Private-Network"] = valTrue
	}
	switch {
	case mixed:
		// The path's routes have different policies: the headers allowed
		// here are p's, but a browser would reuse them (a header entry of
		// the preflight cache is not tied to a method) for a POST to a
		// route whose policy refuses them, sent then without a preflight.
		// Not cached, this answer serves only the request that asked.
		h["Access-Control-Max-Age"] = valZero
	case p.maxAge != nil:
		h["Access-Control-Max-Age"] = p.maxAge
	}
	_ = c.NoContent(http.StatusNoContent)
	return true
}

// methodList joins the router's methods for the path that the policy p
// allows and that the origin may use: browsers cache a preflight answer for
// every method it lists, so a method whose route has a stricter policy (an
// override the origin does not pass, or without credentials where p has
// them) is left out, and the browser asks again, by a preflight that
// policy answers, before it sends that method. mixed reports that the
// path's routes do not all share p.
func (e *engine) methodList(c *covet.Context, p *policy, methods []string, origin string) (list string, mixed bool) {
	var b strings.Builder
	for _, m := range methods {
		allows, same := e.methodAllows(c, p, m, origin)
		mixed = mixed || !same
		if p.methods != nil {
			if _, ok := p.methods[m]; !ok {
				continue
			}
		}
		if !allows {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m)
	}
	return b.String(), mixed
}

// methodAllows reports whether the route that method m reaches on the
// request's path has a policy at least as open to origin as p: p itself,
// or one that allows the origin and m, with credentials if p has them. A
// method without a route of its own (the automatic OPTIONS) follows p.
// same reports that the route's policy is p.
func (e *engine) methodAllows(c *covet.Context, p *policy, m, origin string) (allows, same bool) {
	rt, found := c.App().Match(m, c.Request().URL.Path)
	if !found {
		return true, true
	}
	q := e.routePolicy(c, &rt)
	if q == p {
		return true, true
	}
	if q == nil || (p.credentials && !q.credentials) || !q.allowOrigin(c, origin) {
		return false, false
	}
	if q.methods != nil {
		if _, ok := q.methods[m]; !ok {
			return false, false
		}
	}
	return true, false
}

// headerList returns the requested headers (Access-Control-Request-Headers,
// a comma-separated list) that the policy allows. A header left out makes
// the browser fail the preflight, as the Fetch standard requires.
func (p *policy) headerList(fields []string) string {
	var b strings.Builder
	for _, f := range fields {
		for item := range strings.SplitSeq(f, ",") {
			name := strings.Trim(item, " \t")
			if name == "" || !isToken(name) || !p.allowHeader(name) {
				continue
			}
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(name)
		}
	}
	return b.String()
}

// addVary adds tokens to the Vary header unless they are already listed.
// joined is the shared field value (len == cap) used when Vary is empty.
func addVary(h http.Header, joined []string, tokens ...string) {
	vary := h["Vary"]
	if len(vary) == 0 {
		h["Vary"] = joined
		return
	}
	for _, t := range tokens {
		if !hasToken(vary, t) {
			vary = append(vary, t)
		}
	}
	h["Vary"] = vary
}

func hasToken(values []string, token string) bool {
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			item = strings.Trim(item, " \t")
			if item == "*" || strings.EqualFold(item, token) {
				return true
			}
		}
	}
	return false
}

var (
	_ covet.Plugin        = (*Plugin)(nil)
	_ covet.RouteObserver = (*Plugin)(nil)
)
