package covet

import (
	"net/http"
	"slices"

	"github.com/covetgo/covet/core/internal/pathx"
)

// Group is a set of routes under a common prefix sharing middleware and route
// options; groups nest. Group middleware runs after app middleware and before
// route middleware, for requests that matched a route of the group.
type Group struct {
	app    *App
	parent *Group
	prefix string
	mw     []Middleware
	opts   []RouteOption
	routes []*Route // of this group and its subgroups
}

func newGroup(a *App, parent *Group, prefix string, mw []Middleware) *Group {
	a.configuring("Group")
	if prefix != "" {
		if _, err := parsePattern(prefix); err != nil {
			file, line := callerOutside()
			panic("covet: group prefix " + prefix + " (" + file + ":" + itoa(line) + "): " + err.Error())
		}
	}
	g := &Group{app: a, parent: parent, prefix: pathx.TrimSlash(prefix), mw: slices.Clone(mw)}
	a.groups = append(a.groups, g)
	return g
}

func (g *Group) fullPrefix() string {
	if g.parent == nil {
		return g.prefix
	}
	return g.parent.fullPrefix() + g.prefix
}

// Prefix returns the group's full prefix.
func (g *Group) Prefix() string { return g.fullPrefix() }

// Group returns a nested group.
func (g *Group) Group(prefix string, mw ...Middleware) *Group { return newGroup(g.app, g, prefix, mw) }

// Use adds group middleware; it applies to every route of the group and its
// subgroups, registered before or after the call.
func (g *Group) Use(mw ...Middleware) *Group {
	g.app.configuring("Group.Use")
	g.mw = append(g.mw, mw...)
	return g
}

// With applies route options to every route of the group and its subgroups,
// registered before or after the call.
func (g *Group) With(opts ...RouteOption) *Group {
	g.app.configuring("Group.With")
	g.opts = append(g.opts, opts...)
	for _, r := range g.routes {
		for _, o := range opts {
			o(r)
		}
	}
	return g
}

// Handle registers a route under the group's prefix.
func (g *Group) Handle(method, pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return g.app.register(g, method, pattern, h, mw)
}

// GET registers a GET route under the group's prefix.
func (g *Group) GET(pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return g.app.register(g, http.MethodGet, pattern, h, mw)
}

// HEAD registers a HEAD route under the group's prefix.
func (g *Group) HEAD(pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return g.app.register(g, http.MethodHead, pattern, h, mw)
}

// POST registers a POST route under the group's prefix.
func (g *Group) POST(pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return g.app.register(g, http.MethodPost, pattern, h, mw)
}

// PUT registers a PUT route under the group's prefix.
func (g *Group) PUT(pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return g.app.register(g, http.MethodPut, pattern, h, mw)
}

// PATCH registers a PATCH route under the group's prefix.
func (g *Group) PATCH(pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return g.app.register(g, http.MethodPatch, pattern, h, mw)
}

// DELETE registers a DELETE route under the group's prefix.
func (g *Group) DELETE(pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return g.app.register(g, http.MethodDelete, pattern, h, mw)
}

// OPTIONS registers an OPTIONS route under the group's prefix.
func (g *Group) OPTIONS(pattern string, h HandlerFunc, mw ...Middleware) *Route {
	return g.app.register(g, http.MethodOptions, pattern, h, mw)
}

// Mount serves h for prefix and every path below it, under the group's prefix.
func (g *Group) Mount(prefix string, h http.Handler) { mount(g.app, g, prefix, h) }

// Router is App or Group: typed-handler helpers and plugins take one.
type Router interface {
	Handle(method, pattern string, h HandlerFunc, mw ...Middleware) *Route
}
