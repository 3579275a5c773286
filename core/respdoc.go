package covet

import "slices"

// ResponseDocumenter returns the responses a plugin causes on a route (a
// rate limiter's 429, a guard's 401), read from its metadata; nil for the
// routes it does not touch. See App.DocumentResponses.
type ResponseDocumenter func(ri *RouteInfo) []ResponseDoc

// DocumentResponses registers a documenter (typically in a plugin's
// Install; before the app serves): App.Routes appends its responses to
// each route's own, in registration order, skipping statuses already
// documented, so an application's Route.Response wins.
func (a *App) DocumentResponses(fn ResponseDocumenter) {
	a.configuring("DocumentResponses")
	if fn != nil {
		a.documenters = append(a.documenters, fn)
	}
}

// HeaderDoc documents a response header (a string), for ResponseDoc.Headers.
type HeaderDoc struct {
	Name        string // "Retry-After"
	Description string // what it carries
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
