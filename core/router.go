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
func AllowDotSegments() RouteOption { return func(r *Route) { r.mutable(); r.ent.DotSegments = true } }

// ParamKind is a path parameter's converter: a segment it refuses does not
// match the route (another route may), as in Starlette.
type ParamKind uint8

// The path converters, most specific first (tried first among routes that
// differ only there).
const (
	// ParamInt accepts one or more ASCII digits ({id:int}).
	ParamInt = ParamKind(irouter.Int)
	// ParamFloat accepts digits with an optional fraction ({x:float}).
	ParamFloat = ParamKind(irouter.Float)
	// ParamUUID accepts a canonical 8-4-4-4-12 hexadecimal UUID ({id:uuid}).
	ParamUUID = ParamKind(irouter.UUID)
	// ParamString accepts any non-empty segment without '/' ({name} or {name:str}).
	ParamString = ParamKind(irouter.String)
	// ParamPath accepts the rest of the path, slashes included, possibly empty
	// ({p:path}); it may only be the last segment.
	ParamPath = ParamKind(irouter.Path)
)

// String returns the converter's name as written in patterns.
func (k ParamKind) String() string { return irouter.Kind(k).Name() }

// PathParam describes one parameter of a route pattern.
type PathParam struct {
	Name string    // its name in the pattern
	Kind ParamKind // its converter
}

// pattern is a parsed route pattern with its parameters in public form.
type pattern struct {
	*irouter.Pattern
	params []PathParam
}

// parsePattern parses a FastAPI-style pattern such as /users/{id:int}/files/{p:path}.
func parsePattern(raw string) (*pattern, error) {
	p, err := irouter.Parse(raw)
	if err != nil {
		return nil, err
	}
	params := make([]PathParam, len(p.Params))
	for i, pp := range p.Params {
		params[i] = PathParam{Name: pp.Name, Kind: ParamKind(pp.Kind)}
	}
	return &pattern{Pattern: p, params: params}, nil
}

func itoa(i int) string { return irouter.Itoa(i) }
