package covet

import (
	"fmt"

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

// AllowDotSegments lets the route see paths as sent, for routes that forward
// them verbatim (a proxy): its parameters may hold dot-segments and empty
// segments, and an unclean path matching it is not redirected. By default
// such paths match no route and are redirected to their clean form.
func AllowDotSegments() RouteOption {
	return func(r *Route) { r.mutable(); r.ent.DotSegments = true }
}
