package covet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/covetgo/covet/core/command"
	"github.com/covetgo/covet/core/internal/background"
	"github.com/covetgo/covet/core/internal/binding"
	"github.com/covetgo/covet/core/internal/inject"
	"github.com/covetgo/covet/core/internal/lifecycle"
	"github.com/covetgo/covet/core/internal/logx"
	"github.com/covetgo/covet/core/internal/pathx"
	irouter "github.com/covetgo/covet/core/internal/router"
	"github.com/covetgo/covet/core/internal/urlx"
)

// App is a Covet application: a router, middleware, an error handler and the
// installed plugins; it is an http.Handler. Create it with New, register
// routes and plugins, then call Run (or Serve, or use it as a handler).
// Configuration (routes, Use, Install) is not safe for concurrent use and
// must finish before the app serves: the first request, Start or Run
// freezes the route table.
type App struct {
	cfg    config
	logger *slog.Logger

	pre     []Middleware
	mw      []Middleware       // PhaseApp middleware (Use); all of it once built
	phased  []phasedMiddleware // UseAt with another phase
	routes  []*Route
	groups  []*Group
	names   map[string]*Route
	router  *router
	plugins []Plugin
	schemes map[string]SecurityScheme

	documenters []ResponseDocumenter       // DocumentResponses
	providers   inject.Providers[*Context] // by provided type (provide.go)

	frozen    atomic.Bool
	draining  atomic.Bool
	drain     lifecycle.Signal
	health    health
	buildOnce sync.Once
	pool      sync.Pool

	entry HandlerFunc // pre middleware + dispatch
	serve HandlerFunc // app middleware + routed

	lifecycle  lifecycle.Lifecycle[Plugin]
	background background.Tracker

	commands []command.Command // AddCommand (command.go)
	viaMain  atomic.Bool       // serving through App.Main (command.go)
}

// HandlerFunc handles a request. Returning a non-nil error hands it to the
// app's error handler, which writes the response unless one was written.
type HandlerFunc func(c *Context) error

// New returns a configured App.
func New(opts ...Option) *App {
	a := &App{names: map[string]*Route{}, router: newRouter(), schemes: map[string]SecurityScheme{}}
	a.cfg = defaultConfig()
	for _, o := range opts {
		o(&a.cfg)
	}
	a.logger = slog.New(&logx.Handler{H: a.cfg.logger.Handler()})
	a.pool.New = func() any {
		c := &Context{app: a}
		c.res = &c.resp
		return c
	}
	if a.cfg.health {
		a.registerHealth()
	}
	return a
}

// Logger returns the app's logger; records logged with a request's context
// carry the request ID.
func (a *App) Logger() *slog.Logger { return a.logger }

// Development reports whether the app runs in development mode.
func (a *App) Development() bool { return a.cfg.development }

// Use adds app-level middleware at PhaseApp (see Phase and UseAt). It runs
// for every request that reaches routing, matched or not (404, 405 and
// automatic OPTIONS included), outside group and route middleware, in the
// order added, whatever the order of Use and route registration.
func (a *App) Use(mw ...Middleware) {
	a.configuring("Use")
	a.mw = append(a.mw, mw...)
}

// Pre adds middleware that runs before routing: it may rewrite the request's
// method or path (c.SetRequest) to change which route matches.
func (a *App) Pre(mw ...Middleware) {
	a.configuring("Pre")
	a.pre = append(a.pre, mw...)
}

func (a *App) configuring(what string) {
	if a.frozen.Load() {
		panic("covet: " + what + " called after the app started serving")
	}
}

// Group returns a group of routes under prefix with its own middleware.
func (a *App) Group(prefix string, mw ...Middleware) *Group { return newGroup(a, nil, prefix, mw) }

// Handle registers a route. The pattern may use {name}, {name:str},
// {name:int}, {name:float}, {name:uuid} and, as the last segment,
// {name:path}. An invalid pattern, or a repeated method and pattern, panics
// naming both routes and where they were registered (a programming error).
func (a *App) Handle(method, pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return a.register(nil, method, pattern, h, mw)
}

// GET registers a route for GET (and, automatically, HEAD).
func (a *App) GET(pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return a.register(nil, http.MethodGet, pattern, h, mw)
}

// HEAD registers a route for HEAD.
func (a *App) HEAD(pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return a.register(nil, http.MethodHead, pattern, h, mw)
}

// POST registers a route for POST.
func (a *App) POST(pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return a.register(nil, http.MethodPost, pattern, h, mw)
}

// PUT registers a route for PUT.
func (a *App) PUT(pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return a.register(nil, http.MethodPut, pattern, h, mw)
}

// PATCH registers a route for PATCH.
func (a *App) PATCH(pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return a.register(nil, http.MethodPatch, pattern, h, mw)
}

// DELETE registers a route for DELETE.
func (a *App) DELETE(pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return a.register(nil, http.MethodDelete, pattern, h, mw)
}

// OPTIONS registers a route for OPTIONS (otherwise answered automatically).
func (a *App) OPTIONS(pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return a.register(nil, http.MethodOptions, pattern, h, mw)
}

// Mount serves h for prefix and every path below it, for every method, with
// the prefix stripped from the request path (as http.StripPrefix does).
func (a *App) Mount(prefix string, h http.Handler) { mount(a, nil, prefix, h) }

func mount(a *App, g *Group, prefix string, h http.Handler) {
	prefix = strings.TrimSuffix(prefix, "/")
	full := prefix
	if g != nil {
		full = g.fullPrefix() + prefix
	}
	serve := pathx.Mounted(full, h)
	hf := func(c *Context) error { serve(c.Response(), c.Request()); return nil }
	for _, m := range knownMethods {
		a.register(g, m, prefix+"/{path:path}", hf, nil).Hidden()
		if prefix != "" {
			a.register(g, m, prefix, hf, nil).Hidden()
		}
	}
}

func (a *App) register(g *Group, method, pat string, h HandlerFunc, mw []Middleware) *Route {
	a.configuring("route registration")
	file, line := callerOutside()
	full := pat
	if g != nil {
		full = pathx.Join(g.fullPrefix(), pat)
	}
	rt := &Route{app: a, group: g, method: method, handler: h, mw: slices.Clone(mw)}
	rt.info = RouteInfo{Method: method, Pattern: full, File: file, Line: line}
	if g != nil {
		rt.info.Group = g.fullPrefix()
	}
	if h == nil {
		panic(fmt.Sprintf("covet: route %s has a nil handler", rt.info.String()))
	}
	if method == "" || !pathx.ValidMethod(method) {
		panic(fmt.Sprintf("covet: route %s: invalid method %q", rt.info.String(), method))
	}
	p, err := parsePattern(full)
	if err != nil {
		panic(fmt.Sprintf("covet: route %s: invalid pattern: %v", rt.info.String(), err))
	}
	rt.pat = p
	rt.info.Params = p.params
	a.router.add(rt)
	a.routes = append(a.routes, rt)
	for gg := g; gg != nil; gg = gg.parent {
		gg.routes = append(gg.routes, rt)
	}
	for gg := g; gg != nil; gg = gg.parent {
		rt.With(gg.opts...)
	}
	return rt
}

var coreDir = pathx.CallerDir()

// callerOutside returns where the user registered a route: the first caller
// outside this package's non-test files.
func callerOutside() (string, int) { return pathx.CallerOutside(coreDir) }

// Routes returns a snapshot of every registered route, in registration
// order; each one's Responses lists its own (Route.Response), then those
// plugins document for it (DocumentResponses).
func (a *App) Routes() []RouteInfo {
	out := make([]RouteInfo, len(a.routes))
	for i, r := range a.routes {
		out[i] = r.info
		a.documentResponses(&out[i])
	}
	return out
}

// Match returns the route that would serve a request with this method and
// path (HEAD falls back to GET), as for a real request. Plugins use it for
// requests that matched no route, such as CORS preflights.
func (a *App) Match(method, path string) (RouteInfo, bool) {
	c := a.pool.Get().(*Context)
	defer a.pool.Put(c)
	rt := a.router.find(c, method, path)
	if rt == nil && method == http.MethodHead {
		rt = a.router.find(c, http.MethodGet, path)
	}
	c.params = nil
	if rt == nil {
		return RouteInfo{}, false
	}
	return rt.info, true
}

// Methods returns the methods that have a route matching path (HEAD when GET
// matches, and OPTIONS when automatic OPTIONS is on), as an Allow header lists them.
func (a *App) Methods(path string) []string {
	c := a.pool.Get().(*Context)
	defer a.pool.Put(c)
	return a.router.Allowed(&c.probe, knownMethods, path, a.cfg.autoOptions)
}

// URL builds the path of the named route from alternating parameter names and
// values: app.URL("user.show", "id", 42). Values are formatted with fmt,
// checked against the parameter's converter and escaped.
func (a *App) URL(name string, pairs ...any) (string, error) {
	rt := a.names[name]
	if rt == nil {
		return "", fmt.Errorf("covet: no route named %q", name)
	}
	return urlx.Build(rt.pat.Pattern, name, pairs, rt.ent.DotSegments)
}

// Install installs plugins in order. A plugin whose Install fails is rolled
// back completely (routes, groups, middleware, route options applied to
// existing routes, names, security schemes, translators, error-handler
// wrappers, the plugins it installed in turn), then Cleanup (see Cleaner)
// runs for it and those nested plugins, in reverse order; plugins installed
// before it stay. A plugin with a name already installed is refused.
func (a *App) Install(plugins ...Plugin) error {
	a.configuring("Install")
	for _, p := range plugins {
		if err := lifecycle.CheckNew(a.plugins, p); err != nil {
			return err
		}
		snap := a.snapshot()
		if err := p.Install(a); err != nil {
			nested := a.restore(snap)
			err = fmt.Errorf("covet: install plugin %q: %w", p.Name(), err)
			return errors.Join(err, lifecycle.CleanupAll(append(nested, p)))
		}
		a.plugins = append(a.plugins, p)
	}
	return nil
}

// Plugins returns the installed plugins in install order.
func (a *App) Plugins() []Plugin { return slices.Clone(a.plugins) }

// Plugin returns the installed plugin with the given name, or nil.
func (a *App) Plugin(name string) Plugin {
	for _, p := range a.plugins {
		if p.Name() == name {
			return p
		}
	}
	return nil
}

// SecurityScheme describes how clients authenticate, for documentation. Auth
// plugins register theirs with App.SecurityScheme; routes refer to them by name.
type SecurityScheme struct {
	Type             string      // "http", "apiKey", "oauth2" or "openIdConnect"
	Scheme           string      // the HTTP auth scheme for Type "http" ("bearer", "basic")
	BearerFormat     string      // a hint of the token format ("JWT")
	In, Name         string      // where an API key is ("header", "query", "cookie") and its name
	Description      string      // free text
	OpenIDConnectURL string      // the discovery URL for Type "openIdConnect"
	Flows            *OAuthFlows // the OAuth2 flows for Type "oauth2"
}

// OAuthFlows lists the OAuth2 flows a scheme supports.
type OAuthFlows struct {
	AuthorizationCode, ClientCredentials, Implicit, Password *OAuthFlow
}

// OAuthFlow is one OAuth2 flow.
type OAuthFlow struct {
	AuthorizationURL, TokenURL, RefreshURL string
	Scopes                                 map[string]string
}

// SecurityScheme registers a named security scheme (for documentation).
func (a *App) SecurityScheme(name string, s SecurityScheme) {
	a.configuring("SecurityScheme")
	a.schemes[name] = s
}

// SecuritySchemes returns the registered security schemes by name.
func (a *App) SecuritySchemes() map[string]SecurityScheme { return maps.Clone(a.schemes) }

// build freezes the app once: it tells route observers and composes the
// handler chains.
func (a *App) build() error {
	var err error
	a.buildOnce.Do(func() {
		for _, p := range a.plugins {
			if o, ok := p.(RouteObserver); ok {
				if e := o.ObserveRoutes(a.Routes()); e != nil {
					err = fmt.Errorf("covet: plugin %q: observe routes: %w", p.Name(), e)
					return
				}
			}
		}
		for _, r := range a.routes {
			h := chain(r.mw, r.handler)
			for g := r.group; g != nil; g = g.parent {
				h = chain(g.mw, h)
			}
			r.inner = h
		}
		// App middleware wraps one handler: the route's chain or the unmatched answer.
		a.mw = a.appChain()
		a.phased = nil
		a.serve = chain(a.mw, a.routed)
		a.entry = chain(a.pre, a.dispatch)
		a.router.Finalize()
		a.frozen.Store(true)
	})
	if err == nil && !a.frozen.Load() {
		err = errors.New("covet: app failed to build")
	}
	return err
}

// ServeHTTP serves a request; an error or panic is answered by the error
// handler. If the response had already started, ending the body cleanly
// would pass a truncated response off as complete, so ServeHTTP logs the
// failure and panics with http.ErrAbortHandler: net/http breaks the
// connection (HTTP/1.1) or resets the stream (HTTP/2). A stream ended by
// ErrDraining ends cleanly instead.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !a.frozen.Load() {
		if err := a.build(); err != nil {
			a.logger.Error("covet: cannot serve", "error", err)
			http.Error(w, "500 internal server error", http.StatusInternalServerError)
			return
		}
	}
	c := a.pool.Get().(*Context)
	c.req = r
	c.resp = Response{w: w, head: r.Method == http.MethodHead}
	c.released = false
	defer a.finish(c)
	var err error
	if len(a.pre) == 0 {
		err = a.dispatch(c)
	} else {
		// Pre middleware runs before routing: no route yet.
		c.route, c.params = nil, nil
		err = a.entry(c)
	}
	if err != nil {
		a.handleError(c, err)
	}
	if c.abortErr != nil {
		a.logAbort(c, c.abortErr)
		panic(http.ErrAbortHandler) // finish releases the context
	}
}

// finish recovers a panic into a 500 answer and returns the context to the pool.
func (a *App) finish(c *Context) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler {
			c.release()
			panic(v)
		}
		if a.handlePanic(c, NewPanicError(v)) {
			c.release()
			panic(http.ErrAbortHandler)
		}
		if c.abortErr != nil {
			a.logAbort(c, c.abortErr)
			c.release()
			panic(http.ErrAbortHandler)
		}
	}
	c.release()
	if a.cfg.development {
		// Development: contexts are not reused, so a use after return is caught.
		return
	}
	a.pool.Put(c)
}

// handlePanic hands a recovered panic to the error handler. A panic of the
// error handler itself is answered by handleError's fallback (the default
// problem) instead of escaping to net/http, which cut the connection; it
// reports whether the error handler aborted the response
// (http.ErrAbortHandler).
func (a *App) handlePanic(c *Context, err error) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				aborted = true
				return
			}
			a.handleError(c, NewPanicError(v))
		}
	}()
	a.handleError(c, err)
	return false
}

// logAbort logs a response that failed after it started (c.abortErr); the
// caller then aborts it (see ServeHTTP).
func (a *App) logAbort(c *Context, err error) {
	r := c.req
	attrs := []any{"error", err.Error(), "method", r.Method, "path", r.URL.Path, "status", c.res.status, "bytes", c.res.size}
	if c.route != nil {
		attrs = append(attrs, "route", c.route.info.Pattern)
	}
	a.logger.ErrorContext(c.Context(), "covet: response aborted: the handler failed after the response started", attrs...)
}

// dispatch routes the request and runs the matched handler chain.
func (a *App) dispatch(c *Context) error {
	r := c.req
	method, path := r.Method, r.URL.Path
	if len(r.URL.RawQuery) >= MaxQueryParams && binding.TooManyQueryParams(r.URL.RawQuery) {
		c.route, c.dirty, c.miss = nil, true, irouter.MissBadQuery
		return a.serve(c)
	}
	rt := a.router.find(c, method, path)
	if rt == nil && method == http.MethodHead {
		rt = a.router.find(c, http.MethodGet, path)
	}
	c.route = rt
	if rt == nil {
		a.unmatched(c, method, path)
	} else if len(a.mw) == 0 {
		return rt.inner(c)
	}
	return a.serve(c)
}

// unmatched decides the answer for a request no route matched
// (core/internal/router).
func (a *App) unmatched(c *Context, method, path string) {
	var target string
	c.miss, c.allowed, target = a.router.Unmatched(&c.probe, knownMethods, method, path,
		a.cfg.autoOptions, a.cfg.trailingSlash == TrailingSlashRedirect)
	if target != "" {
		c.redirectTo = irouter.RedirectLocation(target, c.req.URL.RawQuery)
	}
	c.dirty, c.params = true, nil
}

// routed runs the matched route's group and route chain, or the answer for
// an unmatched request; app middleware wraps it.
func (a *App) routed(c *Context) error {
	if rt := c.route; rt != nil {
		return rt.inner(c)
	}
	switch c.miss {
	case irouter.MissOptions:
		return autoOptions(c)
	case irouter.MissMethod:
		return a.cfg.methodNotAllowed(c)
	case irouter.MissRedirect:
		return redirectHandler(c)
	case irouter.MissBadQuery:
		return bindError(binding.ErrTooManyQueryParams())
	}
	return a.cfg.notFound(c)
}

func autoOptions(c *Context) error {
	c.Response().Header().Set("Allow", strings.Join(c.allowed, ", "))
	return c.NoContent(http.StatusNoContent)
}

func redirectHandler(c *Context) error {
	code := http.StatusPermanentRedirect
	if m := c.req.Method; m == http.MethodGet || m == http.MethodHead {
		code = http.StatusMovedPermanently
	}
	c.Response().Header().Set("Location", c.redirectTo)
	c.Response().WriteHeader(code)
	return nil
}

// NotFoundHandler is the default 404 handler: a problem+json answer.
func NotFoundHandler(c *Context) error {
	return NewError(http.StatusNotFound, "no route matches "+c.Request().URL.Path)
}

// MethodNotAllowedHandler is the default 405 handler: a problem+json answer
// with the Allow header.
func MethodNotAllowedHandler(c *Context) error {
	allow := strings.Join(c.AllowedMethods(), ", ")
	return NewError(http.StatusMethodNotAllowed, "method "+c.Request().Method+" is not allowed on "+c.Request().URL.Path).
		WithHeader("Allow", allow)
}

// Start freezes the route table and starts the plugins (Starter) in start
// order. Run and Serve call it; call it yourself with your own server. If a
// plugin fails to start, those started are stopped in reverse order and the
// error is returned.
func (a *App) Start(ctx context.Context) error {
	if err := a.build(); err != nil {
		return err
	}
	return a.lifecycle.Start(ctx, a.plugins, func() {
		// Serving again after a shutdown: a fresh drain signal, ready again.
		a.drain.Rearm()
		a.draining.Store(false)
	}, a.background.Start)
}

// Stop fires the drain signal (Draining) if the shutdown did not, waits
// until ctx ends for the background tasks (After, Go), then stops the
// started plugins (Stopper) in reverse order; the error joins the plugins'
// errors and names the tasks it abandoned.
func (a *App) Stop(ctx context.Context) error {
	a.beginDrain()
	bgErr := a.background.Wait(ctx, a.logger)
	return errors.Join(bgErr, a.lifecycle.Stop(ctx, a.plugins))
}

// WithPublicURL sets the app's public base URL ("https://example.com/app"),
// for AbsoluteURL (App's, and Context's in place of the request's scheme
// and host). A URL that is not absolute http(s) panics.
func WithPublicURL(base string) Option {
	u, ok := urlx.ParseBase(base)
	if !ok {
		panic("covet: WithPublicURL: " + base + " is not an absolute http(s) URL without query")
	}
	return func(c *config) { c.publicURL = u }
}

// AbsoluteURL builds the absolute URL of the named route on the app's
// public URL (WithPublicURL), with its parameters as URL does and query
// appended (nil for none):
//
//	link, err := app.AbsoluteURL("user.confirm", url.Values{"token": {tok}}, "id", 42)
func (a *App) AbsoluteURL(name string, query url.Values, pairs ...any) (string, error) {
	if a.cfg.publicURL == nil {
		return "", errors.New("covet: AbsoluteURL needs the app's public URL (WithPublicURL)")
	}
	return a.absolute(a.cfg.publicURL.Scheme, a.cfg.publicURL.Host, a.cfg.publicURL.Path, name, query, pairs)
}

// AbsoluteURL builds the absolute URL of the named route for this request's
// client (OAuth callbacks): on the app's public URL, else on the client's
// Scheme and Host.
func (c *Context) AbsoluteURL(name string, query url.Values, pairs ...any) (string, error) {
	if u := c.app.cfg.publicURL; u != nil {
		return c.app.absolute(u.Scheme, u.Host, u.Path, name, query, pairs)
	}
	return c.app.absolute(c.Scheme(), c.Host(), "", name, query, pairs)
}

func (a *App) absolute(scheme, host, prefix, name string, query url.Values, pairs []any) (string, error) {
	p, err := a.URL(name, pairs...)
	if err != nil {
		return "", err
	}
	return urlx.Absolute(scheme, host, prefix, p, query), nil
}
