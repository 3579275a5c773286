package covet

import "slices"

// ResponseDocumenter returns the responses a plugin causes on a route: a
// rate limiter's 429, an authentication guard's 401 and 403, a database's
// 409 and 503. It reads the route's metadata (the plugin's MetaKeys,
// Security) and returns nil for routes it does not touch. See
// App.DocumentResponses.
type ResponseDocumenter func(ri *RouteInfo) []ResponseDoc

// DocumentResponses registers a documenter, typically from a plugin's
// Install, so that generated documentation lists the responses the plugin
// causes without a Route.Response by hand. App.Routes (and so
// RouteObservers such as the openapi plugin) returns every route with the
// documenters' responses appended, in registration order, after the
// route's own; a status the route (or an earlier documenter) already
// documents is not documented again, so an application's Route.Response
// wins. A failed Install removes the documenters it registered. Call it
// before the app serves, as Use.
func (a *App) DocumentResponses(fn ResponseDocumenter) {
	a.configuring("DocumentResponses")
	if fn != nil {
		a.documenters = append(a.documenters, fn)
	}
}

// HeaderDoc documents a response header (a string), for
// ResponseDoc.Headers.
type HeaderDoc struct {
	// Name is the header's name ("Retry-After").
	Name string
	// Description says what the header carries.
	Description string
}

func (a *App) documentResponses(ri *RouteInfo) {
	if len(a.documenters) == 0 {
		return
	}
	ri.Responses = slices.Clone(ri.Responses)
	for _, fn := range a.documenters {
		for _, rd := range fn(ri) {
			if slices.ContainsFunc(ri.Responses, func(d ResponseDoc) bool { return d.Status == rd.Status }) {
				continue
			}
			ri.Responses = append(ri.Responses, rd)
		}
	}
}
