package covet

import (
	"fmt"
	"net/http"

	irouter "github.com/covetgo/covet/core/internal/router"
)

// router is the app's route table: glue to core/internal/router's matcher
// that stores Routes, panics on conflicts and keeps parameters in the Context.
type router struct {
	r irouter.Router
}

// probe is the per-request scratch space of a lookup (kept in Context).
type probe = irouter.Probe

func newRouter() *router {
	return &router{r: *irouter.New()}
}

// finalize prepares the router for serving.
func (r *router) finalize() { r.r.Finalize() }

// add inserts a route; it panics with a precise message on a real conflict.
func (r *router) add(rt *Route) {
	rt.ent.Method, rt.ent.Pat, rt.ent.Route = rt.method, rt.pat.Pattern, rt
	old, err := r.r.Add(&rt.ent)
	if old != nil {
		o := old.Route.(*Route)
		panic(fmt.Sprintf("covet: route %s conflicts with route %s registered at %s:%d",
			rt.info.String(), o.info.Method+" "+o.info.Pattern, o.info.File, o.info.Line))
	}
	if err != nil {
		panic(fmt.Sprintf("covet: route %s cannot be stored by the router", rt.info.String()))
	}
}

// find resolves method and path to a route, or nil, and stores the route's
// parameters in c.
func (r *router) find(c *Context, method, path string) *Route {
	e, ps := r.r.Find(&c.probe, method, path)
	c.params = ps
	if e == nil {
		return nil
	}
	return e.Route.(*Route)
}

// allowed lists the methods that have a route matching path, in Allow order,
// with HEAD implied by GET and OPTIONS added when autoOptions is set.
func (r *router) allowed(c *Context, path string, autoOptions bool) []string {
	out := r.r.Allowed(&c.probe, knownMethods, path, autoOptions)
	c.params = nil
	return out
}

func (r *router) hasMethod(m string) bool { return r.r.HasMethod(m) }

// redirectTarget returns a path to redirect to when path has no route but its
// trailing-slash twin or its cleaned form has one; "" otherwise.
func (r *router) redirectTarget(c *Context, method, path string) string {
	t := r.r.RedirectTarget(&c.probe, method, path)
	c.params = nil
	return t
}

// AllowDotSegments lets the route see paths as sent, for routes that forward
// them verbatim (a proxy): its parameters may hold dot-segments and empty
// segments, and an unclean path matching it is not redirected. By default
// such paths match no route and are redirected to their clean form.
func AllowDotSegments() RouteOption {
	return func(r *Route) { r.mutable(); r.ent.DotSegments = true }
}

// redirectClean redirects an unclean path to its clean form (or, under
// TrailingSlashRedirect, to its twin when only that has a route).
func (a *App) redirectClean(c *Context, method, path string) {
	target := irouter.CleanPath(path)
	if a.cfg.trailingSlash == TrailingSlashRedirect {
		lookup := method
		if method == http.MethodHead && !a.router.hasMethod(http.MethodHead) {
			lookup = http.MethodGet
		}
		if a.router.find(c, lookup, target) == nil && len(a.router.allowed(c, target, false)) == 0 {
			if twin := a.router.redirectTarget(c, method, target); twin != "" {
				target = twin
			}
		}
		c.params = nil
	}
	c.route, c.dirty, c.miss = nil, true, missRedirect
	c.redirectTo = irouter.RedirectLocation(target, c.req.URL.RawQuery)
}
