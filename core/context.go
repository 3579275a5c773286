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

	"github.com/covetgo/covet/core/internal/inject"
	"github.com/covetgo/covet/core/internal/keys"
	"github.com/covetgo/covet/core/internal/sse"
	"github.com/julienschmidt/httprouter"
)

// Context is one request being served: the request, the response, the
// matched route and its parameters, and values plugins attach.
//
// Lifetime: a Context is taken from a pool for each request and returned to
// it when the handler chain has returned. Do not keep it, nor use it from
// another goroutine, after that: copy what you need (strings returned by its
// methods are safe to keep; they are not reused). A goroutine that outlives
// the handler should take c.Request().Context() or context.WithoutCancel of
// it, and the values it needs. In development mode contexts are not reused
// and any use after return panics, so tests catch the mistake.
type Context struct {
	app     *App
	req     *http.Request
	res     *Response
	resp    Response
	route   *Route
	params  httprouter.Params
	probe   probe
	allowed []string

	redirectTo string
	miss       uint8 // the answer for an unmatched request (missNotFound, ...)
	query      url.Values
	values     []keys.Value // Key.Set values until the request's context needs them (pooled)
	keys       *keys.Store  // the values once visible from the context (not pooled)
	// keysPending: the request may not carry keys in its context yet
	// (attached when the request or its context is next asked for).
	keysPending bool
	requestID   string
	logger      *slog.Logger
	released    bool
	errHandled  bool
	// abortErr is the error that came after the response started: the
	// response is aborted when the handler chain returns.
	abortErr error
	// streaming: the request's context also ends when the app drains
	// (SSE, Stream).
	streaming bool
	// dirty is set by every setter of the fields release clears only when set.
	dirty bool
	// cleanups run when the request ends, last first (OnDone; temporary
	// upload files).
	cleanups []func()
	// deps are the values of dependency providers resolved for the
	// request (provide.go); cleared in release when dirty.
	deps inject.Slots[*Context]

	// jsonBuf is the buffer c.JSON and typed outputs encode into under
	// StdJSON, kept across requests with the pooled Context.
	jsonBuf []byte

	// pendingCtx is SetContext's context, not yet on the request (a copy
	// of the request carries it when the request is next asked for).
	pendingCtx context.Context
}

// release clears the per-request state. Fields are only written when set,
// to spare the pointer stores (and GC write barriers) on the hot path; the
// request and writer are overwritten by the next reset.
func (c *Context) release() {
	// route and params are overwritten by the next dispatch.
	if res := c.res; len(res.before) > 0 {
		if !res.written {
			// Nothing was written: net/http sends its 200 with the headers
			// as they are now, so the hooks run now.
			c.runGuarded("Response.Before", res.runBefore)
		}
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
		clear(c.values)
		c.values = c.values[:0]
		c.keys = nil
		c.keysPending = false
		c.pendingCtx = nil
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
// chain returned and the error handler ran, when the response is complete
// (net/http may still hold its last bytes in a buffer). Callbacks run last
// registered first, as defers do, even when a handler panicked; a panicking
// callback is logged and the others still run. Core removes multipart
// upload files this way; plugins close what they opened for the request.
func (c *Context) OnDone(fn func()) {
	c.live()
	if fn != nil {
		c.cleanups = append(c.cleanups, fn)
	}
}

// runGuarded runs a request-end callback, logging a panic instead of
// letting it take the others down.
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
	if c.keysPending {
		c.attachStore()
	}
	if c.pendingCtx != nil {
		c.applyContext()
	}
	return c.req
}

// SetRequest replaces the request, for middleware that derives a new one
// (for example with r.WithContext).
func (c *Context) SetRequest(r *http.Request) {
	c.live()
	c.req = r
	c.pendingCtx = nil // r is the request now, with its own context
	if c.keys != nil || len(c.values) > 0 {
		// The values set on the request stay visible from its context:
		// checked when the request is next asked for.
		c.keysPending = true
	}
}

// Response returns the response writer.
func (c *Context) Response() *Response { c.live(); return c.res }

// Context returns the request's context, canceled when the client goes away
// or the handler's deadline passes.
func (c *Context) Context() context.Context {
	c.live()
	if c.keysPending {
		c.attachStore()
	}
	if c.pendingCtx != nil {
		return c.pendingCtx
	}
	return c.req.Context()
}

// SetContext replaces the request's context with ctx, which should derive
// from c.Context(): middleware that puts a value on the context (a trace
// span, a deadline) calls it instead of
// c.SetRequest(c.Request().WithContext(ctx)). The request is copied to
// carry ctx only when someone asks for it (c.Request()); c.Context()
// returns ctx without the copy, so a request whose handler only reads the
// context pays no request copy.
func (c *Context) SetContext(ctx context.Context) {
	c.live()
	if ctx == nil {
		panic("covet: SetContext with a nil context")
	}
	c.pendingCtx = ctx
	c.dirty = true
	if c.keys != nil || len(c.values) > 0 {
		// The values set on the request stay visible from ctx: checked
		// when the request or its context is next asked for.
		c.keysPending = true
	}
}

// applyContext puts SetContext's context on a copy of the request.
func (c *Context) applyContext() {
	c.req = c.req.WithContext(c.pendingCtx)
	c.pendingCtx = nil
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

// ParamInt returns a path parameter as an int.
func (c *Context) ParamInt(name string) (int, error) {
	v, err := strconv.Atoi(c.Param(name))
	if err != nil {
		return 0, NewError(http.StatusBadRequest, "path parameter "+name+" must be an integer")
	}
	return v, nil
}

// ParamInt64 returns a path parameter as an int64.
func (c *Context) ParamInt64(name string) (int64, error) {
	v, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil {
		return 0, NewError(http.StatusBadRequest, "path parameter "+name+" must be an integer")
	}
	return v, nil
}

// ParamFloat returns a path parameter as a float64.
func (c *Context) ParamFloat(name string) (float64, error) {
	v, err := strconv.ParseFloat(c.Param(name), 64)
	if err != nil {
		return 0, NewError(http.StatusBadRequest, "path parameter "+name+" must be a number")
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
func (c *Context) Query(name string) string {
	return c.QueryValues().Get(name)
}

// QueryValues returns the parsed query string (parsed once per request) by
// the parser typed binding uses, so both see the same values: pairs holding
// ';' and pairs with malformed escapes are skipped, as url.ParseQuery does;
// a query of more than MaxQueryParams pairs is refused with a 400 before
// routing (QueryValues is then empty).
func (c *Context) QueryValues() url.Values {
	c.live()
	if c.query == nil {
		c.query = parseQuery(c.req.URL.RawQuery)
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
	// The ID reaches the request's context with the key store, when the
	// request or its context is next asked for: a request nobody asks for
	// (most handlers) pays no request copy for it.
	if c.keys != nil {
		c.keys.RequestID = id
	}
	c.keysPending = true
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
// unexported package variable and offer typed accessors around it:
//
//	var userKey = covet.NewKey[*User]("auth.user")
//	func UserFrom(c *covet.Context) (*User, bool) { return userKey.Get(c) }
//
// Values set on a request are also visible from its context.Context
// (c.Context(), c.Request().Context() and contexts derived from them), for
// code below the handler that only gets a context: see FromContext.
type Key[T any] struct{ name string }

// NewKey returns a new key; name is used in messages only.
func NewKey[T any](name string) *Key[T] { return &Key[T]{name: name} }

// String returns the key's name.
func (k *Key[T]) String() string { return k.name }

// attachStore makes sure the request's context carries the store
// (core/internal/keys). It runs when the request or its context is asked
// for after a value was set (or the request replaced), not in Set:
// middleware that took the request before setting a value and then changes
// it (r.Body = ...) changes the request handlers get.
func (c *Context) attachStore() {
	c.keysPending = false
	if c.keys == nil {
		c.keys = keys.NewStore(c.requestID, c.values)
		c.values = c.values[:0]
	}
	ctx := c.req.Context()
	if c.pendingCtx != nil {
		ctx = c.pendingCtx // SetContext's: the one request copy carries both
	}
	var attached bool
	if c.req, attached = keys.Attach(c.req, ctx, c.keys); attached {
		c.pendingCtx = nil
	}
}

// Set attaches v to the request under the key. It allocates nothing until
// the request or its context is asked for after it: then the values move to
// a store of their own and a request copy carries it in its context (two
// allocations, once per request).
func (k *Key[T]) Set(c *Context, v T) {
	c.live()
	if s := c.keys; s != nil {
		s.Vals, _ = keys.Set(s.Vals, k, v)
		return
	}
	var added bool
	if c.values, added = keys.Set(c.values, k, v); added {
		c.keysPending = true
		c.dirty = true
	}
}

// Get returns the value attached under the key, if any.
func (k *Key[T]) Get(c *Context) (T, bool) {
	vals := c.values
	if s := c.keys; s != nil {
		vals = s.Vals
	}
	return k.lookup(vals)
}

// FromContext returns the value attached under the key to the request
// whose context ctx is (or derives from), for code that gets a
// context.Context rather than the Context: repositories, services, jobs
// started by the handler. A value set later on the request is seen too;
// do not set values while another goroutine reads them.
func (k *Key[T]) FromContext(ctx context.Context) (T, bool) {
	if s := keys.From(ctx); s != nil {
		return k.lookup(s.Vals)
	}
	var zero T
	return zero, false
}

func (k *Key[T]) lookup(vals []keys.Value) (T, bool) {
	if v, ok := keys.Lookup(vals, k); ok {
		return v.(T), true
	}
	var zero T
	return zero, false
}

// Delete removes the value attached under the key.
func (k *Key[T]) Delete(c *Context) {
	vals := &c.values
	if s := c.keys; s != nil {
		vals = &s.Vals
	}
	keys.Delete(vals, k)
}

// --- response helpers ---

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

// smallBody is net/http's buffer before it switches to chunked encoding: a
// body up to this size written in one go gets its Content-Length from
// net/http itself, without the header-map round trip (about 2,300
// instructions per request, measured in tools/bench).
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

// Stream copies from rd to the client with the given status, flushing after
// each chunk so data reaches the client as it is produced, with constant
// memory. Each write gets ServerConfig.WriteTimeout from its start, so a
// long stream is not cut at WriteTimeout. It stops when rd is exhausted,
// with the context's error when the
// client goes away, or with ErrDraining when the server begins to shut down
// (checked between reads). From the call on, the request's context
// (c.Context()) is canceled on shutdown too, so a reader that blocks on it
// returns promptly. A reader error ends the response as any error returned
// after the response started does: returned, it makes ServeHTTP abort the
// response, so the client sees a broken transfer rather than a clean end.
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

// --- cookies ---

// CookieOption changes a cookie SetCookie sends.
type CookieOption func(*http.Cookie)

// CookieMaxAge sets the cookie's lifetime (and Expires, for old clients).
func CookieMaxAge(d time.Duration) CookieOption {
	return func(ck *http.Cookie) {
		ck.MaxAge = int(d / time.Second)
		ck.Expires = time.Now().Add(d)
	}
}

// CookiePath sets the cookie's path (default "/").
func CookiePath(p string) CookieOption { return func(ck *http.Cookie) { ck.Path = p } }

// CookieDomain sets the cookie's domain (default: the request's host only).
func CookieDomain(d string) CookieOption { return func(ck *http.Cookie) { ck.Domain = d } }

// CookieSameSite sets the SameSite mode (default Lax).
func CookieSameSite(m http.SameSite) CookieOption { return func(ck *http.Cookie) { ck.SameSite = m } }

// CookieScriptReadable lets scripts read the cookie (it is HttpOnly by default).
func CookieScriptReadable() CookieOption { return func(ck *http.Cookie) { ck.HttpOnly = false } }

// CookieSecure forces the Secure attribute on or off (default: on when the
// client used HTTPS, as Context.Scheme tells).
func CookieSecure(on bool) CookieOption { return func(ck *http.Cookie) { ck.Secure = on } }

// SetCookie sets a cookie with secure defaults: Path "/", HttpOnly,
// SameSite=Lax, and Secure when the client used HTTPS (over TLS, or through
// a trusted proxy that says so: see WithTrustedProxies).
func (c *Context) SetCookie(name, value string, opts ...CookieOption) {
	ck := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"}
	for _, o := range opts {
		o(ck)
	}
	http.SetCookie(c.Response(), ck)
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
	ck := &http.Cookie{Name: name, Path: "/", MaxAge: -1, Expires: time.Unix(0, 0), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"}
	for _, o := range opts {
		o(ck)
	}
	ck.MaxAge = -1
	http.SetCookie(c.Response(), ck)
}

func contentDisposition(kind, filename string) string {
	if v := mime.FormatMediaType(kind, map[string]string{"filename": filename}); v != "" {
		return v
	}
	return kind
}
