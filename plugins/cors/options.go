package cors

import (
	"time"

	covet "github.com/covetgo/covet/core"
)

// Option configures a CORS policy. Options given to New (or Middleware) form
// the app's policy; options given to Override are applied on top of them for
// the routes that carry the override. Each option replaces what an earlier
// call of the same option set.
type Option func(*config)

// OriginFunc decides whether an origin is allowed, for origins that no
// WithOrigins entry matches. It receives the request's context (to allow per
// tenant, for example) and the Origin header exactly as sent. It is never
// asked about the origin "null".
type OriginFunc func(c *covet.Context, origin string) bool

type config struct {
	origins     []string
	originFunc  OriginFunc
	methods     []string
	headers     []string
	exposed     []string
	credentials bool
	maxAge      time.Duration
	privateNet  bool
}

// defaultHeaders are the request headers allowed when WithHeaders is not
// given: the CORS-safelisted request headers, which browsers still list in a
// preflight when their values are not safelisted (Content-Type:
// application/json, for example).
var defaultHeaders = []string{"Accept", "Accept-Language", "Content-Language", "Content-Type", "Range"}

func defaultConfig() config {
	return config{headers: defaultHeaders}
}

// WithOrigins sets the allowed origins. Each entry is one of:
//
//   - an exact origin, scheme://host[:port] with no path ("https://app.example.com",
//     "http://localhost:5173"); compared case-insensitively, a scheme's
//     default port (":443" for https, ":80" for http) dropped as browsers
//     drop it from Origin;
//   - a wildcard-subdomain pattern, scheme://*.domain[:port]
//     ("https://*.example.com"), matching any subdomain at any depth of
//     domain (a.example.com, a.b.example.com) but not domain itself, with the
//     same scheme and port;
//   - "*": any origin. The answer is then "Access-Control-Allow-Origin: *",
//     which browsers honour for every origin ("null" included: the data is
//     public) but refuse for credentialed requests, so "*" cannot be
//     combined with WithCredentials(true);
//   - "null": the opaque origin of sandboxed frames and file: pages. It is
//     refused unless listed; list it only if you know why.
func WithOrigins(origins ...string) Option {
	return func(c *config) { c.origins = append([]string(nil), origins...) }
}

// WithOriginFunc sets a function that decides about origins WithOrigins does
// not match (nil removes it).
func WithOriginFunc(fn OriginFunc) Option {
	return func(c *config) { c.originFunc = fn }
}

// WithMethods restricts the methods a preflight may allow. By default a
// preflight allows every method the router has for the request's path; with
// this option, only those of them that are listed. Methods are
// case-sensitive, as in HTTP ("PATCH", not "patch").
func WithMethods(methods ...string) Option {
	return func(c *config) { c.methods = append([]string(nil), methods...) }
}

// WithHeaders sets the request headers a preflight may allow
// (case-insensitive). "*" allows any header: the preflight then echoes the
// headers the browser asks for, which also works with credentials. The
// default allows Accept, Accept-Language, Content-Language, Content-Type and
// Range, so JSON requests work without configuration.
func WithHeaders(headers ...string) Option {
	return func(c *config) { c.headers = append([]string(nil), headers...) }
}

// WithExposedHeaders lists the response headers, beyond the CORS-safelisted
// ones, that scripts on an allowed origin may read
// (Access-Control-Expose-Headers). "*" exposes all headers, but only to
// requests without credentials (the Fetch standard's rule), so it cannot be
// combined with WithCredentials(true).
func WithExposedHeaders(headers ...string) Option {
	return func(c *config) { c.exposed = append([]string(nil), headers...) }
}

// WithCredentials allows (or, in an Override, stops allowing) requests that
// carry cookies or HTTP authentication from allowed origins
// (Access-Control-Allow-Credentials: true). Access-Control-Allow-Origin then
// always echoes the request's origin.
func WithCredentials(allow bool) Option {
	return func(c *config) { c.credentials = allow }
}

// WithMaxAge sets how long browsers may cache a preflight answer
// (Access-Control-Max-Age, whole seconds). 0, the default, sends no header
// (browsers then cache for 5 seconds); a negative duration sends 0, which
// turns the cache off. Browsers cap the value (Chromium at 2 hours, Firefox
// at 24 hours).
func WithMaxAge(d time.Duration) Option {
	return func(c *config) { c.maxAge = d }
}

// WithPrivateNetwork answers preflights that ask for private network access
// (Access-Control-Request-Private-Network: true, sent by Chromium when a
// public page calls a server on a private or local address) with
// Access-Control-Allow-Private-Network: true.
func WithPrivateNetwork(allow bool) Option {
	return func(c *config) { c.privateNet = allow }
}
