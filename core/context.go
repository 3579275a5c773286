package covet

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/covetgo/covet/core/internal/binding"
	"github.com/covetgo/covet/core/internal/inject"
	"github.com/covetgo/covet/core/internal/keys"
	"github.com/covetgo/covet/core/internal/logx"
	irouter "github.com/covetgo/covet/core/internal/router"
	"github.com/covetgo/covet/core/internal/sse"
	"github.com/julienschmidt/httprouter"
)

// Context is one request being served: the request, the response, the
// matched route and its parameters, and values plugins attach.
//
// Lifetime: a Context is pooled and reused once the handler chain returns.
// Do not keep it or use it from another goroutine after that; copy what you
// need (returned strings are safe to keep), and give a goroutine that
// outlives the handler context.WithoutCancel(c.Context()) or use After. In
// development mode contexts are not reused and a late use panics.
type Context struct {
	app     *App
	req     *http.Request
	res     *Response
	resp    Response
	route   *Route
	params  httprouter.Params
	probe   irouter.Probe
	allowed []string

	redirectTo string
	miss       irouter.Miss // the answer to an unmatched request
	query      url.Values
	keys       keys.State // Key values and SetContext's context
	requestID  string
	logger     *slog.Logger
	released   bool
	errHandled bool
	abortErr   error                  // an error after the response started: abort it
	streaming  bool                   // the request's context ends when the app drains
	dirty      bool                   // set by every setter of the fields release clears only when set
	cleanups   []func()               // OnDone callbacks, run last first
	deps       inject.Slots[*Context] // providers' values (provide.go)
	jsonBuf    []byte                 // StdJSON's encoding buffer, pooled
}

// release clears the per-request state. Fields are only written when set,
// to spare pointer stores (and GC write barriers) on the hot path; route,
// params, request and writer are overwritten by the next request.
func (c *Context) release() {
	if res := c.res; len(res.before) > 0 && !res.written {
		// Nothing was written: net/http sends its 200 with the headers as
		// they are now, so the hooks run now.
		c.runGuarded("Response.Before", res.runBefore)
	}
	if c.res != &c.resp {
		c.res = &c.resp
	}
	if len(c.resp.before) > 0 {
		clear(c.resp.beforeBuf[:])
		c.resp.before = nil
	}
	if len(c.cleanups) > 0 {
		for i := len(c.cleanups) - 1; i >= 0; i-- {
			c.runGuarded("OnDone", c.cleanups[i])
		}
		clear(c.cleanups)
		c.cleanups = c.cleanups[:0]
	}
	if c.dirty {
		c.allowed = nil
		c.redirectTo = ""
		c.miss = 0
		c.query = nil
		c.keys.Reset()
		c.requestID = ""
		c.logger = nil
		c.errHandled = false
		c.abortErr = nil
		c.streaming = false
		if len(c.deps) > 0 {
			clear(c.deps)
			c.deps = c.deps[:0]
		}
		c.dirty = false
	}
	c.released = true
}

// OnDone registers fn to run when the request is over: after the handler
// chain and the error handler, the response complete (net/http may still
// buffer its last bytes). Callbacks run last first, as defers do, even after
// a panic; a panicking callback is logged and the others still run.
func (c *Context) OnDone(fn func()) {
	c.live()
	if fn != nil {
		c.cleanups = append(c.cleanups, fn)
	}
}

// runGuarded runs a request-end callback, logging a panic.
func (c *Context) runGuarded(what string, fn func()) {
	defer func() {
		if v := recover(); v != nil {
			c.app.logger.Error("covet: "+what+" callback panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	fn()
}

func (c *Context) live() {
	if c.released {
		panic("covet: Context used after its handler returned (see the Context documentation on lifetime)")
	}
}

// App returns the application serving the request.
func (c *Context) App() *App { return c.app }

// Request returns the request.
func (c *Context) Request() *http.Request {
	c.live()
	if c.keys.Pending() {
		c.req = c.keys.Request(c.req, c.requestID)
	}
	return c.req
}

// SetRequest replaces the request, for middleware that derives a new one.
func (c *Context) SetRequest(r *http.Request) {
	c.live()
	c.req = r
	// r has its own context; the values set stay visible from it.
	c.keys.RequestReplaced()
}

// Response returns the response writer.
func (c *Context) Response() *Response { c.live(); return c.res }

// Context returns the request's context, canceled when the client goes away
// or the handler's deadline passes.
func (c *Context) Context() context.Context {
	c.live()
	if c.keys.Pending() {
		var ctx context.Context
		c.req, ctx = c.keys.Context(c.req, c.requestID)
		return ctx
	}
	return c.req.Context()
}

// SetContext replaces the request's context with ctx, which should derive
// from c.Context() (a trace span, a deadline): cheaper than
// c.SetRequest(c.Request().WithContext(ctx)), as the request is copied only
// when someone asks for it (c.Request()).
func (c *Context) SetContext(ctx context.Context) {
	c.live()
	if ctx == nil {
		panic("covet: SetContext with a nil context")
	}
	c.dirty = true
	c.keys.SetContext(ctx) // the values set stay visible from ctx
}

// Route returns the matched route's description, or nil when no route
// matched (404, 405, automatic OPTIONS).
func (c *Context) Route() *RouteInfo {
	if c.route == nil {
		return nil
	}
	return &c.route.info
}

// AllowedMethods lists the methods the request's path has routes for; it is
// set when no route matched the request's method (405, automatic OPTIONS).
func (c *Context) AllowedMethods() []string { return c.allowed }

// Param returns the value of a path parameter, or "" if the route has none
// by that name. A {name:path} parameter has no leading slash.
func (c *Context) Param(name string) string {
	c.live()
	if c.route == nil {
		return ""
	}
	for i, p := range c.route.pat.params {
		if p.Name == name {
			if i >= len(c.params) {
				return ""
			}
			v := c.params[i].Value
			if p.Kind == ParamPath && len(v) > 0 && v[0] == '/' {
				v = v[1:]
			}
			return v
		}
	}
	return ""
}

// ParamInt returns a path parameter as an int; a failure is a 400 *Error.
func (c *Context) ParamInt(name string) (int, error) {
	return paramAs(c, name, "an integer", strconv.Atoi)
}

// ParamInt64 returns a path parameter as an int64; a failure is a 400 *Error.
func (c *Context) ParamInt64(name string) (int64, error) {
	return paramAs(c, name, "an integer", func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) })
}

// ParamFloat returns a path parameter as a float64; a failure is a 400 *Error.
func (c *Context) ParamFloat(name string) (float64, error) {
	return paramAs(c, name, "a number", func(s string) (float64, error) { return strconv.ParseFloat(s, 64) })
}

func paramAs[T any](c *Context, name, what string, parse func(string) (T, error)) (T, error) {
	v, err := parse(c.Param(name))
	if err != nil {
		var zero T
		return zero, NewError(http.StatusBadRequest, "path parameter "+name+" must be "+what)
	}
	return v, nil
}

// Params returns every path parameter as name/value pairs in pattern order.
func (c *Context) Params() []PathValue {
	if c.route == nil {
		return nil
	}
	out := make([]PathValue, 0, len(c.route.pat.params))
	for _, p := range c.route.pat.params {
		out = append(out, PathValue{Name: p.Name, Value: c.Param(p.Name)})
	}
	return out
}

// PathValue is a path parameter's name and value.
type PathValue struct{ Name, Value string }

// Query returns the first value of a query parameter, or "".
func (c *Context) Query(name string) string { return c.QueryValues().Get(name) }

// QueryValues returns the query string, parsed once per request as typed
// binding parses it: pairs holding ';' or malformed escapes are skipped (as
// url.ParseQuery does); more than MaxQueryParams pairs is a 400 before
// routing.
func (c *Context) QueryValues() url.Values {
	c.live()
	if c.query == nil {
		c.query = binding.ParseQuery(c.req.URL.RawQuery)
		c.dirty = true
	}
	return c.query
}

// Header returns the first value of a request header.
func (c *Context) Header(name string) string { return c.req.Header.Get(name) }

// SetHeader sets a response header.
func (c *Context) SetHeader(name, value string) { c.res.Header().Set(name, value) }

// RemoteIP returns the IP of the peer that sent the request (the direct peer:
// proxies' forwarding headers are not read here).
func (c *Context) RemoteIP() string {
	host, _, err := net.SplitHostPort(c.req.RemoteAddr)
	if err != nil {
		return c.req.RemoteAddr
	}
	return host
}

// RequestID returns the request's ID, set by the request ID middleware.
func (c *Context) RequestID() string { return c.requestID }

// SetRequestID sets the request's ID and puts it on the request's context,
// so log records written with that context carry it.
func (c *Context) SetRequestID(id string) {
	c.live()
	c.dirty = true
	c.requestID = id
	c.logger = nil
	c.keys.SetRequestID(id) // on the context with the key store, when next asked for
}

// Logger returns the app's logger with the request ID and route attached.
func (c *Context) Logger() *slog.Logger {
	if c.logger == nil {
		l := c.app.logger
		if c.requestID != "" {
			l = l.With(slog.String("request_id", c.requestID))
		}
		c.logger = l
		c.dirty = true
	}
	return c.logger
}

// Key is a typed key for values plugins and middleware attach to a request
// (the authenticated user, the request's transaction). Declare one as an
// unexported package variable with typed accessors around it:
//
//	var userKey = covet.NewKey[*User]("auth.user")
//	func UserFrom(c *covet.Context) (*User, bool) { return userKey.Get(c) }
//
// Values are also visible from the request's context.Context: see FromContext.
type Key[T any] struct{ name string }

// NewKey returns a new key; name is used in messages only.
func NewKey[T any](name string) *Key[T] { return &Key[T]{name: name} }

// String returns the key's name.
func (k *Key[T]) String() string { return k.name }

// Set attaches v to the request under the key. It allocates nothing until
// the request or its context is next asked for (then two allocations, once
// per request, put the values on a request copy's context).
func (k *Key[T]) Set(c *Context, v T) {
	c.live()
	if c.keys.Set(k, v) {
		c.dirty = true
	}
}

// Get returns the value attached under the key, if any.
func (k *Key[T]) Get(c *Context) (T, bool) {
	v, ok := c.keys.Get(k)
	return k.value(v, ok)
}

// FromContext returns the value attached under the key to the request
// whose context ctx derives from, for code below the handler (repositories,
// jobs). Later Sets are seen too; do not Set while another goroutine reads.
func (k *Key[T]) FromContext(ctx context.Context) (T, bool) {
	if s := keys.From(ctx); s != nil {
		return k.value(keys.Lookup(s.Vals, k))
	}
	var zero T
	return zero, false
}

func (k *Key[T]) value(v any, ok bool) (T, bool) {
	if ok {
		return v.(T), true
	}
	var zero T
	return zero, false
}

// Delete removes the value attached under the key.
func (k *Key[T]) Delete(c *Context) { c.keys.Delete(k) }

// JSON writes v as a JSON body with the given status.
func (c *Context) JSON(code int, v any) error {
	b, err := c.marshalJSON(v)
	if err != nil {
		return err
	}
	err = c.Blob(code, "application/json", b)
	c.keepJSON(b)
	return err
}

// Text writes a text/plain body.
func (c *Context) Text(code int, s string) error {
	return c.writeString(code, "text/plain; charset=utf-8", s)
}

// HTML writes a text/html body. The string is sent as is: escape untrusted
// data (or use html/template) before.
func (c *Context) HTML(code int, s string) error {
	return c.writeString(code, "text/html; charset=utf-8", s)
}

// smallBody is net/http's buffer size: a body up to it, written at once,
// gets its Content-Length from net/http (~2,300 instructions saved).
const smallBody = 2048

func (c *Context) writeString(code int, ct, s string) error {
	r := c.Response()
	r.start()
	h := r.Header()
	h["Content-Type"] = []string{ct}
	if len(s) > smallBody || r.head {
		h["Content-Length"] = []string{strconv.Itoa(len(s))}
	}
	r.WriteHeader(code)
	_, err := r.WriteString(s)
	return err
}

// Blob writes a body of the given content type.
func (c *Context) Blob(code int, contentType string, b []byte) error {
	r := c.Response()
	r.start()
	h := r.Header()
	if contentType != "" {
		h["Content-Type"] = []string{contentType}
	}
	if len(b) > smallBody || r.head {
		h["Content-Length"] = []string{strconv.Itoa(len(b))}
	}
	r.WriteHeader(code)
	_, err := r.Write(b)
	return err
}

// Stream copies rd to the client with the given status, flushing each chunk
// (constant memory); each write gets ServerConfig.WriteTimeout. It stops at
// rd's end, with the context's error when the client goes away, or with
// ErrDraining at shutdown (c.Context() is then canceled too, so a reader
// blocked on it returns). A reader error, returned, aborts the response.
func (c *Context) Stream(code int, contentType string, rd io.Reader) error {
	r := c.Response()
	if contentType != "" {
		r.Header().Set("Content-Type", contentType)
	}
	ctx := c.drainingContext()
	dl := c.startStream()
	r.WriteHeader(code)
	return sse.Copy(ctx, r, rd, dl) // core/internal/sse
}

// NoContent writes a status with no body.
func (c *Context) NoContent(code int) error {
	c.Response().WriteHeader(code)
	return nil
}

// Redirect answers with a redirect to url (3xx status).
func (c *Context) Redirect(code int, url string) error {
	if code < 300 || code > 308 {
		return NewError(http.StatusInternalServerError, "invalid redirect status "+strconv.Itoa(code))
	}
	http.Redirect(c.Response(), c.req, url, code)
	return nil
}

// File serves the named file from disk, with Range, If-Modified-Since and
// content-type handling (http.ServeFile rules). name must not come from the
// request: use Static or FileFS for user-chosen paths.
func (c *Context) File(name string) error {
	http.ServeFile(c.Response(), c.req, name)
	return nil
}

// FileFS serves a file from fsys, as File does.
func (c *Context) FileFS(fsys fs.FS, name string) error {
	http.ServeFileFS(c.Response(), c.req, fsys, name)
	return nil
}

// Attachment serves a file as a download named filename.
func (c *Context) Attachment(name, filename string) error {
	c.Response().Header().Set("Content-Disposition", contentDisposition("attachment", filename))
	return c.File(name)
}

// CookieOption changes a cookie SetCookie sends.
type CookieOption func(*http.Cookie)

// CookieMaxAge sets the cookie's lifetime (and Expires, for old clients).
func CookieMaxAge(d time.Duration) CookieOption {
	return func(ck *http.Cookie) { // #nosec G124 -- an option the caller asks for, applied to a cookie SetCookie builds HttpOnly, SameSite=Lax and Secure over HTTPS
		ck.MaxAge = int(d / time.Second)
		ck.Expires = time.Now().Add(d)
	}
}

// CookiePath sets the cookie's path (default "/").
func CookiePath(p string) CookieOption { return func(ck *http.Cookie) { ck.Path = p } } // #nosec G124 -- an option the caller asks for, applied to a cookie SetCookie builds HttpOnly, SameSite=Lax and Secure over HTTPS

// CookieDomain sets the cookie's domain (default: the request's host only).
func CookieDomain(d string) CookieOption { return func(ck *http.Cookie) { ck.Domain = d } } // #nosec G124 -- an option the caller asks for, applied to a cookie SetCookie builds HttpOnly, SameSite=Lax and Secure over HTTPS

// CookieSameSite sets the SameSite mode (default Lax).
func CookieSameSite(m http.SameSite) CookieOption { return func(ck *http.Cookie) { ck.SameSite = m } } // #nosec G124 -- an option the caller asks for, applied to a cookie SetCookie builds HttpOnly, SameSite=Lax and Secure over HTTPS

// CookieScriptReadable lets scripts read the cookie (it is HttpOnly by default).
func CookieScriptReadable() CookieOption { return func(ck *http.Cookie) { ck.HttpOnly = false } } // #nosec G124 -- an option the caller asks for, applied to a cookie SetCookie builds HttpOnly, SameSite=Lax and Secure over HTTPS

// CookieSecure forces the Secure attribute on or off (default: on when the
// client used HTTPS, as Context.Scheme tells).
func CookieSecure(on bool) CookieOption { return func(ck *http.Cookie) { ck.Secure = on } } // #nosec G124 -- an option the caller asks for, applied to a cookie SetCookie builds HttpOnly, SameSite=Lax and Secure over HTTPS

// SetCookie sets a cookie with secure defaults: Path "/", HttpOnly,
// SameSite=Lax, and Secure when the client used HTTPS (over TLS, or through
// a trusted proxy that says so: see WithTrustedProxies).
func (c *Context) SetCookie(name, value string, opts ...CookieOption) {
	http.SetCookie(c.Response(), c.cookie(name, value, opts))
}

func (c *Context) cookie(name, value string, opts []CookieOption) *http.Cookie {
	ck := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"} // #nosec G124 -- HttpOnly, SameSite=Lax; Secure when the client used HTTPS (browsers drop a Secure cookie set over plain HTTP, so it cannot be constant)
	for _, o := range opts {
		o(ck)
	}
	return ck
}

// SetHTTPCookie sets a cookie exactly as given.
func (c *Context) SetHTTPCookie(ck *http.Cookie) { http.SetCookie(c.Response(), ck) }

// Cookie returns a request cookie's value.
func (c *Context) Cookie(name string) (string, bool) {
	ck, err := c.req.Cookie(name)
	if err != nil {
		return "", false
	}
	return ck.Value, true
}

// DeleteCookie tells the client to drop a cookie; pass the path and domain
// options it was set with.
func (c *Context) DeleteCookie(name string, opts ...CookieOption) {
	ck := c.cookie(name, "", opts) // #nosec G124 -- built by cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) and expired at once
	ck.MaxAge, ck.Expires = -1, time.Unix(0, 0)
	http.SetCookie(c.Response(), ck)
}

func contentDisposition(kind, filename string) string {
	if v := mime.FormatMediaType(kind, map[string]string{"filename": filename}); v != "" {
		return v
	}
	return kind
}

// requestIDKey is the context key of the request ID (core/internal/logx).
type requestIDKey = logx.RequestIDKey

// WithRequestID returns a context carrying a request ID; records logged with
// it through the app's logger carry a request_id attribute.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request ID a context carries, or "".
func RequestIDFrom(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
