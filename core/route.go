package covet

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"

	irouter "github.com/covetgo/covet/core/internal/router"
)

// Route is one registered route. Registration methods return it so that its
// metadata can be set in a chain:
//
//	app.GET("/users/{id:int}", getUser).Name("user.show").Summary("Get a user").Tags("users")
//
// Setters panic once the app serves (first request, Start or Run). Plugins
// read routes as RouteInfo snapshots (App.Routes).
type Route struct {
	app     *App
	group   *Group
	method  string
	pat     *pattern
	handler HandlerFunc
	mw      []Middleware
	info    RouteInfo
	inner   HandlerFunc   // handler with group and route middleware
	typed   *typedRoute   // typed handlers only
	bind    *routeBind    // route-level binding options
	ent     irouter.Entry // the router's entry (DotSegments: AllowDotSegments)
}

// RouteInfo is a read-only description of a route for plugins and tooling
// (documentation, metrics labels, security).
type RouteInfo struct {
	Method  string      // GET, POST, ...
	Pattern string      // the full pattern, group prefixes included ("/api/users/{id:int}")
	Name    string      // the name for URL reversal; "" when unnamed
	Group   string      // the innermost group's prefix ("" for the app)
	Params  []PathParam // the path parameters in order
	// Input and Output are a typed handler's input and output struct types
	// (nil for plain handlers, or when it takes or returns nothing).
	Input, Output reflect.Type
	// Provided lists the indices of Input's fields filled by providers
	// (Provide); ProviderParams are the input types whose parameters those
	// providers read, documented as the route's own.
	Provided       []int
	ProviderParams []reflect.Type
	SuccessStatus  int  // a typed handler's success status (0: 200, or 204 without output)
	Typed          bool // registered with HandleTyped (Get, Post...): Input, Output and SuccessStatus describe it

	Summary, Description, OperationID string // documentation
	Tags                              []string
	Deprecated                        bool
	Security                          []SecurityRequirement // alternatives: any one suffices
	Responses                         []ResponseDoc         // additional responses (errors the handler returns)
	Hidden                            bool                  // served, left out of generated documentation
	File                              string                // where the route was registered
	Line                              int

	meta map[any]any
}

// ResponseDoc documents one possible response of a route.
type ResponseDoc struct {
	Status      int
	Description string      // when the response is sent
	Body        any         // a value of the body's type (nil: none; problems use Problem)
	ContentType string      // "" means application/json (application/problem+json for 4xx/5xx)
	Headers     []HeaderDoc // response headers (Retry-After on a 429)
}

// SecurityRequirement names a security scheme and the scopes a route needs
// from it (set by auth plugins, read by documentation plugins).
type SecurityRequirement struct {
	Scheme string
	Scopes []string
}

// String returns "METHOD /pattern (file:line)", for messages.
func (ri *RouteInfo) String() string {
	return fmt.Sprintf("%s %s (%s:%d)", ri.Method, ri.Pattern, ri.File, ri.Line)
}

// Meta returns a metadata value set with a MetaKey. Prefer MetaKey.Get, which is typed.
func (ri *RouteInfo) Meta(key any) (any, bool) {
	v, ok := ri.meta[key]
	return v, ok
}

// MetaKey is a typed key for plugin-defined route metadata, declared as a
// package variable (covet.NewMetaKey[[]string]("auth.scopes")), set with
// route.With(key.Set(v)) and read with key.Get(info).
type MetaKey[T any] struct{ name string }

// NewMetaKey returns a new key; name is used in messages only, identity is the pointer.
func NewMetaKey[T any](name string) *MetaKey[T] { return &MetaKey[T]{name: name} }

// String returns the key's name.
func (k *MetaKey[T]) String() string { return k.name }

// Set returns a RouteOption that stores v under the key.
func (k *MetaKey[T]) Set(v T) RouteOption {
	return func(r *Route) {
		if r.info.meta == nil {
			r.info.meta = map[any]any{}
		}
		r.info.meta[k] = v
	}
}

// Get returns the value stored under the key, if any.
func (k *MetaKey[T]) Get(ri *RouteInfo) (T, bool) {
	v, ok := ri.meta[k]
	if !ok {
		var zero T
		return zero, false
	}
	return v.(T), true
}

// RouteOption changes a route: plugins return ones that set metadata and add
// middleware together (a guard that requires a scope and documents it).
// Apply them with Route.With or Group.With.
type RouteOption func(*Route)

func (r *Route) mutable() {
	if r.app.frozen.Load() {
		panic("covet: route " + r.info.String() + " changed after the app started serving")
	}
}

// Name sets the route's name, used by App.URL. Names are unique in an app: a
// second route with the same name panics with both registration sites.
func (r *Route) Name(name string) *Route {
	r.mutable()
	if old := r.app.names[name]; old != nil && old != r {
		panic(fmt.Sprintf("covet: route %s: name %q is already used by route %s", r.info.String(), name, old.info.String()))
	}
	if r.info.Name != "" {
		delete(r.app.names, r.info.Name)
	}
	r.info.Name = name
	r.app.names[name] = r
	return r
}

// Summary sets a one-line summary for documentation.
func (r *Route) Summary(s string) *Route { r.mutable(); r.info.Summary = s; return r }

// Description sets a longer description for documentation.
func (r *Route) Description(s string) *Route { r.mutable(); r.info.Description = s; return r }

// OperationID sets the route's operation id for documentation; it defaults to
// one derived from the route's name or method and pattern.
func (r *Route) OperationID(id string) *Route { r.mutable(); r.info.OperationID = id; return r }

// Tags adds documentation tags.
func (r *Route) Tags(tags ...string) *Route {
	r.mutable()
	for _, t := range tags {
		if !slices.Contains(r.info.Tags, t) {
			r.info.Tags = append(r.info.Tags, t)
		}
	}
	return r
}

// Deprecated marks the route as deprecated in documentation.
func (r *Route) Deprecated() *Route { r.mutable(); r.info.Deprecated = true; return r }

// Hidden leaves the route out of generated documentation.
func (r *Route) Hidden() *Route { r.mutable(); r.info.Hidden = true; return r }

// Security adds a security requirement (any one of a route's requirements suffices).
func (r *Route) Security(scheme string, scopes ...string) *Route {
	r.mutable()
	r.info.Security = append(r.info.Security, SecurityRequirement{Scheme: scheme, Scopes: scopes})
	return r
}

// Status sets the status a typed handler answers with on success (201 for a create).
func (r *Route) Status(code int) *Route {
	r.mutable()
	if code < 100 || code > 599 {
		panic(fmt.Sprintf("covet: route %s: invalid status %d", r.info.String(), code))
	}
	r.info.SuccessStatus = code
	return r
}

// Response documents an additional response. body is a value of the body's
// type, or nil; for a 4xx/5xx status with a nil body the Problem type is documented.
func (r *Route) Response(status int, description string, body any) *Route {
	r.mutable()
	r.info.Responses = append(r.info.Responses, ResponseDoc{Status: status, Description: description, Body: body})
	return r
}

// Use adds route-level middleware, run after app and group middleware.
func (r *Route) Use(mw ...Middleware) *Route { r.mutable(); r.mw = append(r.mw, mw...); return r }

// With applies route options.
func (r *Route) With(opts ...RouteOption) *Route {
	r.mutable()
	for _, o := range opts {
		o(r)
	}
	return r
}

// Info returns a snapshot of the route's description.
func (r *Route) Info() RouteInfo { return r.info }

// Tag returns a RouteOption adding documentation tags, for Group.With.
func Tag(tags ...string) RouteOption { return func(r *Route) { r.Tags(tags...) } }

// Secured returns a RouteOption adding a security requirement, for Group.With.
func Secured(scheme string, scopes ...string) RouteOption {
	return func(r *Route) { r.Security(scheme, scopes...) }
}

// UseMiddleware returns a RouteOption adding route-level middleware.
func UseMiddleware(mw ...Middleware) RouteOption { return func(r *Route) { r.Use(mw...) } }

// standard methods in the order Allow headers list them.
var knownMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions,
	http.MethodConnect, http.MethodTrace,
}

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
