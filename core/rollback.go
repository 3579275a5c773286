package covet

import (
	"maps"
	"slices"

	"github.com/covetgo/covet/core/internal/rollback"
)

// appSnapshot is everything Install may change on an App, taken before a
// plugin's Install runs so that a failed Install can be undone completely:
// app and pre middleware, routes (and what route options did to the routes
// that were already there), groups (their middleware, options and routes),
// route names, security schemes, error translators, error-handler
// wrappers and response documenters, dependency providers, commands,
// App.Go tasks waiting for the start, and the plugins a nested Install added.
type appSnapshot struct {
	undo    rollback.Undo // core/internal/rollback
	plugins int
	routes  int
}

func (a *App) snapshot() appSnapshot {
	var u rollback.Undo
	rollback.Slice(&u, &a.pre)
	rollback.Slice(&u, &a.mw)
	rollback.Slice(&u, &a.phased)
	rollback.Map(&u, &a.names)
	rollback.Map(&u, &a.schemes)
	rollback.Map(&u, &a.providers)
	rollback.Slice(&u, &a.cfg.translators)
	rollback.Value(&u, &a.cfg.errorHandler)
	rollback.Slice(&u, &a.documenters)
	rollback.Len(&u, &a.commands)
	pending := a.background.Pending()
	u.Do(func() { a.background.TruncatePending(pending) })
	for _, g := range a.groups {
		rollback.Slice(&u, &g.mw)
		rollback.Slice(&u, &g.opts)
		rollback.Slice(&u, &g.routes)
	}
	rollback.Len(&u, &a.groups)
	// What setters and RouteOptions (Group.With included) may change on
	// the routes already there.
	for _, r := range a.routes {
		v := copyRoute(r)
		u.Do(func() { *r = v })
	}
	return appSnapshot{undo: u, plugins: len(a.plugins), routes: len(a.routes)}
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
	s.undo.Run()
	if len(a.routes) != s.routes {
		a.routes = a.routes[:s.routes]
		// Rebuild the router from the remaining routes (finalize runs at build).
		a.router = newRouter()
		for _, r := range a.routes {
			a.router.add(r)
		}
	}
	return removedPlugins
}
