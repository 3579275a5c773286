package cors

import (
	"errors"
	"fmt"
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
//
// An actual request that matched a route reads that route's override. A
// preflight matches no route (or the path's own OPTIONS route), and a 404
// or 405 answer none: for them the router is asked (App.Match) which route
// the requested method (Access-Control-Request-Method for a preflight) would
// reach on this path, so converters and priorities decide exactly as for
// the real request. When that method has no route (a 405, or a preflight for
// a method the path lacks), the first of the path's methods that has one
// decides, so the answer still follows the path's policy.
func (e *engine) policyFor(c *covet.Context, preflight bool) *policy {
	if rt := c.Route(); rt != nil && !preflight {
		return e.routePolicy(c, rt)
	}
	r := c.Request()
	app := c.App()
	method := r.Method
	if preflight {
		method = r.Header.Get("Access-Control-Request-Method")
	}
	var rt covet.RouteInfo
	found := false
	if method != "" {
		rt, found = app.Match(method, r.URL.Path)
	}
	if !found {
		methods := c.AllowedMethods()
		if methods == nil {
			methods = app.Methods(r.URL.Path)
		}
		for _, m := range methods {
			if rt, found = app.Match(m, r.URL.Path); found {
				break
			}
		}
	}
	if !found {
		return e.base
	}
	return e.routePolicy(c, &rt)
}

// routePolicy returns the policy of a route: its override's, or the base.
func (e *engine) routePolicy(c *covet.Context, rt *covet.RouteInfo) *policy {
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

// observe validates every override before the app serves (the plugin's
// RouteObserver hook).
func (e *engine) observe(routes []covet.RouteInfo) error {
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
	return errors.Join(errs...)
}
