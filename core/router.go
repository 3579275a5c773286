package covet

import (
	"fmt"

	irouter "github.com/covetgo/covet/core/internal/router"
)

// router is the app's route table: core/internal/router's matcher, holding
// Routes, with conflicts turned into registration panics.
type router struct{ irouter.Router }

func newRouter() *router { return &router{*irouter.New()} }

// add inserts a route; it panics with a precise message on a real conflict.
func (r *router) add(rt *Route) {
	rt.ent.Method, rt.ent.Pat, rt.ent.Route = rt.method, rt.pat.Pattern, rt
	old, err := r.Add(&rt.ent)
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
	e, ps := r.Find(&c.probe, method, path)
	c.params = ps
	if e == nil {
		return nil
	}
	return e.Route.(*Route)
}

// AllowDotSegments lets the route see paths as sent, for routes that forward
// them verbatim (a proxy): its parameters may hold dot-segments and empty
// segments, and an unclean path matching it is not redirected. By default
// such paths match no route and are redirected to their clean form.
func AllowDotSegments() RouteOption {
	return func(r *Route) { r.mutable(); r.ent.DotSegments = true }
}
