package cors

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"

	covet "github.com/covetgo/covet/core"
)

// override is the route metadata Override and Disable store.
type override struct {
	opts     []Option
	disabled bool
	// compiled caches the policy built on top of one engine's options.
	compiled atomic.Pointer[compiledOverride]
}

type compiledOverride struct {
	eng *engine
	pol *policy
	err error
}

var overrideKey = covet.NewMetaKey[*override]("cors.policy")

// Override returns a route option that gives the routes it is applied to
// (with Route.With, or Group.With for a whole group) their own policy: the
// plugin's (or middleware's) options, then opts on top. Options not given
// keep the app's values. The override applies to the route's actual
// requests and to preflights for its path and method. The last Override or
// Disable applied to a route wins.
//
//	api.Group("/public").With(cors.Override(cors.WithOrigins("*"), cors.WithCredentials(false)))
func Override(opts ...Option) covet.RouteOption {
	return overrideKey.Set(&override{opts: opts})
}

// Disable returns a route option that turns CORS off for the routes it is
// applied to: no CORS headers, and preflights for their paths are not
// answered (the browser then refuses cross-origin calls to them).
func Disable() covet.RouteOption {
	return overrideKey.Set(&override{disabled: true})
}

// policyOf returns the policy of an override on top of e's options (nil when
// disabled).
func (e *engine) policyOf(o *override) (*policy, error) {
	if o.disabled {
		return nil, nil
	}
	if co := o.compiled.Load(); co != nil && co.eng == e {
		return co.pol, co.err
	}
	cfg := defaultConfig()
	for _, opt := range e.opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	for _, opt := range o.opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	pol, err := compile(cfg)
	o.compiled.Store(&compiledOverride{eng: e, pol: pol, err: err})
	return pol, err
}

// policyFor returns the policy for the request, or nil when CORS is off for it.
func (e *engine) policyFor(c *covet.Context, preflight bool) *policy {
	if rt := c.Route(); rt != nil && !preflight {
		o, ok := overrideKey.Get(rt)
		if !ok {
			return e.base
		}
		p, err := e.policyOf(o)
		if err != nil {
			// Reported by ObserveRoutes when the plugin is installed; plain
			// middleware meets it here.
			c.Logger().ErrorContext(c.Context(), "cors: invalid override policy; CORS is off for the route", "route", rt.Pattern, "error", err)
			return nil
		}
		return p
	}
	t := e.table(c.App())
	if t == nil || t.shadow == nil {
		return e.base
	}
	r := c.Request()
	method := r.Method
	if preflight {
		method = r.Header.Get("Access-Control-Request-Method")
	}
	o, found := t.lookup(method, r.URL.Path)
	if !found {
		methods := c.AllowedMethods()
		if methods == nil {
			methods = c.App().Methods(r.URL.Path)
		}
		for _, m := range methods {
			if o, found = t.lookup(m, r.URL.Path); found {
				break
			}
		}
	}
	if !found || o == nil {
		return e.base
	}
	p, err := e.policyOf(o)
	if err != nil {
		return nil
	}
	return p
}

// table finds a route's override for a method and path without a matched
// route: for preflights (which match no route, or the path's own OPTIONS
// route) and for 404/405 answers. It replays the app's routes in a private
// App used only as a matcher, so the match is exactly the router's.
type table struct {
	shadow *covet.App // nil when no route has an override
}

// tableSet maps apps to their tables (one engine may serve several apps).
// It is copied on write, so reads take no lock.
type tableSet map[*covet.App]*table

func (e *engine) table(app *covet.App) *table {
	if ts := e.tables.Load(); ts != nil {
		if t, ok := (*ts)[app]; ok {
			return t
		}
	}
	t, err := e.buildTable(app.Routes())
	if err != nil {
		app.Logger().Error("cors: cannot index route overrides; preflights use the app policy", "error", err)
		t = &table{}
	}
	e.storeTable(app, t)
	return t
}

func (e *engine) storeTable(app *covet.App, t *table) {
	e.mu.Lock()
	defer e.mu.Unlock()
	next := tableSet{}
	if ts := e.tables.Load(); ts != nil {
		for k, v := range *ts {
			next[k] = v
		}
	}
	next[app] = t
	e.tables.Store(&next)
}

// observe validates every override and indexes the app's routes before it
// serves (the plugin's RouteObserver hook).
func (e *engine) observe(app *covet.App, routes []covet.RouteInfo) error {
	var errs []error
	for i := range routes {
		o, ok := overrideKey.Get(&routes[i])
		if !ok {
			continue
		}
		if _, err := e.policyOf(o); err != nil {
			errs = append(errs, fmt.Errorf("cors: route %s: %w", routes[i].String(), err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if app != nil {
		t, err := e.buildTable(routes)
		if err != nil {
			return err
		}
		e.storeTable(app, t)
	}
	return nil
}

// probeWriter is the ResponseWriter the matcher app answers into: the
// matched route's handler records the route's override there.
type probeWriter struct {
	found bool
	o     *override
	h     http.Header
}

func (w *probeWriter) Header() http.Header {
	if w.h == nil {
		w.h = http.Header{}
	}
	return w.h
}
func (w *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *probeWriter) WriteHeader(int)             {}

func (e *engine) buildTable(routes []covet.RouteInfo) (t *table, err error) {
	t = &table{}
	hasOverride := false
	for i := range routes {
		if _, ok := overrideKey.Get(&routes[i]); ok {
			hasOverride = true
			break
		}
	}
	if !hasOverride {
		return t, nil
	}
	defer func() {
		if v := recover(); v != nil {
			t, err = nil, fmt.Errorf("cors: replaying routes: %v", v)
		}
	}()
	none := func(*covet.Context) error { return nil }
	shadow := covet.New(
		covet.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		covet.WithDevelopment(false),
		covet.WithAutoOptions(false),
		covet.WithTrailingSlash(covet.TrailingSlashStrict),
		covet.WithNotFound(none),
		covet.WithMethodNotAllowed(none),
	)
	for i := range routes {
		o, _ := overrideKey.Get(&routes[i])
		shadow.Handle(routes[i].Method, routes[i].Pattern, func(c *covet.Context) error {
			if w, ok := c.Response().Writer().(*probeWriter); ok {
				w.found, w.o = true, o
			}
			return nil
		})
	}
	t.shadow = shadow
	return t, nil
}

// lookup returns the override of the route that matches method and path
// (nil when that route has none) and whether a route matched.
func (t *table) lookup(method, path string) (*override, bool) {
	if method == "" {
		return nil, false
	}
	w := &probeWriter{}
	r := &http.Request{Method: method, URL: &url.URL{Path: path}, Header: http.Header{}, RemoteAddr: "127.0.0.1:0"}
	t.shadow.ServeHTTP(w, r)
	return w.o, w.found
}
