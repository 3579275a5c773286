package covet

import (
	"maps"
	"slices"

	"github.com/covetgo/covet/core/internal/inject"
)

// appSnapshot is everything Install may change on an App, taken before a
// plugin's Install runs so that a failed Install can be undone completely:
// app and pre middleware, routes (and what route options did to the routes
// that were already there), groups (their middleware, options and routes),
// route names, security schemes, error translators, error-handler
// wrappers and response documenters, dependency providers, commands,
// App.Go tasks waiting for the start, and the plugins a nested Install added.
type appSnapshot struct {
	pre, mw     []Middleware
	phased      []phasedMiddleware
	routes      []routeState
	groups      []groupState
	names       map[string]*Route
	schemes     map[string]SecurityScheme
	plugins     int
	translators []ErrorTranslator
	errHandler  ErrorHandler
	documenters []ResponseDocumenter
	providers   inject.Providers[*Context]
	commands    int
	pendingGo   int
}

// routeState is a route's mutable state: what setters and RouteOptions
// (Group.With included) may change after registration.
type routeState struct {
	r   *Route
	val Route
}

type groupState struct {
	g      *Group
	mw     []Middleware
	opts   []RouteOption
	routes []*Route
}

func (a *App) snapshot() appSnapshot {
	s := appSnapshot{
		pre:         slices.Clone(a.pre),
		mw:          slices.Clone(a.mw),
		phased:      slices.Clone(a.phased),
		names:       maps.Clone(a.names),
		schemes:     maps.Clone(a.schemes),
		plugins:     len(a.plugins),
		translators: slices.Clone(a.cfg.translators),
		errHandler:  a.cfg.errorHandler,
		documenters: slices.Clone(a.documenters),
		providers:   maps.Clone(a.providers),
		commands:    len(a.commands),
	}
	s.pendingGo = a.background.Pending()
	s.routes = make([]routeState, len(a.routes))
	for i, r := range a.routes {
		s.routes[i] = routeState{r: r, val: copyRoute(r)}
	}
	s.groups = make([]groupState, len(a.groups))
	for i, g := range a.groups {
		s.groups[i] = groupState{g: g, mw: slices.Clone(g.mw), opts: slices.Clone(g.opts), routes: slices.Clone(g.routes)}
	}
	return s
}

// copyRoute returns a copy of r that shares nothing mutable with it.
func copyRoute(r *Route) Route {
	v := *r
	v.mw = slices.Clone(r.mw)
	v.info.Tags = slices.Clone(r.info.Tags)
	v.info.Params = slices.Clone(r.info.Params)
	v.info.Responses = slices.Clone(r.info.Responses)
	v.info.Security = slices.Clone(r.info.Security)
	for i, sr := range v.info.Security {
		v.info.Security[i].Scopes = slices.Clone(sr.Scopes)
	}
	v.info.meta = maps.Clone(r.info.meta)
	if r.bind != nil {
		b := *r.bind
		v.bind = &b
	}
	return v
}

// restore puts the app back as it was when s was taken. The plugins a
// nested Install added are returned, so that their Cleanup can run.
func (a *App) restore(s appSnapshot) []Plugin {
	removedPlugins := slices.Clone(a.plugins[s.plugins:])
	a.plugins = a.plugins[:s.plugins]
	a.pre, a.mw, a.phased = s.pre, s.mw, s.phased
	a.names, a.schemes = s.names, s.schemes
	a.cfg.translators, a.cfg.errorHandler = s.translators, s.errHandler
	a.documenters = s.documenters
	a.providers = s.providers
	a.commands = a.commands[:s.commands:s.commands]
	a.background.TruncatePending(s.pendingGo)
	for _, st := range s.groups {
		st.g.mw, st.g.opts, st.g.routes = st.mw, st.opts, st.routes
	}
	a.groups = a.groups[:len(s.groups)]
	for _, st := range s.routes {
		*st.r = st.val
	}
	if len(a.routes) != len(s.routes) {
		a.routes = a.routes[:len(s.routes)]
		// Rebuild the router from the remaining routes (finalize runs at build).
		a.router = newRouter()
		for _, r := range a.routes {
			a.router.add(r)
		}
	}
	return removedPlugins
}
