package compress

import (
	"net/http"

	covet "github.com/covetgo/covet/core"
)

// Plugin is the compression plugin. Create it with New and install it with
// App.Install: it adds app-level middleware (at covet.PhaseEncode) that compresses the
// responses of every route, 404/405 and error answers included, and, when
// WithRequestDecompression is given, decompresses request bodies.
type Plugin struct {
	e   *engine
	err error
}

// New returns the plugin configured by opts. A configuration error (an
// unknown encoding, a level out of range) is returned by App.Install.
func New(opts ...Option) *Plugin {
	e, err := newEngine(opts)
	return &Plugin{e: e, err: err}
}

// Name returns "compress".
func (p *Plugin) Name() string { return "compress" }

// Install checks the configuration and adds the middleware at
// covet.PhaseEncode, whatever the install order: the app's own middleware
// (App.Use: logging, recovery), CORS and metrics see the response as sent,
// with its Content-Encoding; guards, caches, group and route middleware and
// handlers write plain bytes.
func (p *Plugin) Install(app *covet.App) error {
	if p.err != nil {
		return p.err
	}
	app.UseAt(covet.PhaseEncode, p.e.middleware)
	return nil
}

// Middleware returns the compression middleware configured by opts, for
// apps that do not use the plugin or that compress one group only. It
// panics on an invalid configuration, which is fixed at start-up.
func Middleware(opts ...Option) covet.Middleware {
	e, err := newEngine(opts)
	if err != nil {
		panic(err.Error())
	}
	return e.middleware
}

// disabledKey marks routes whose responses are never compressed.
var disabledKey = covet.NewMetaKey[bool]("compress.disabled")

// Disable returns a route option that turns response compression off for
// the routes it is applied to (Route.With, or Group.With for a group). Use it
// for BREACH: a response that carries a secret (a CSRF token, a session
// value) and also reflects attacker-chosen input (a search query, a form
// value echoed back) must not be compressed over TLS, because the coded
// length then leaks the secret byte by byte. Such routes get no
// Vary: Accept-Encoding either, and no 406. Request decompression still
// applies.
//
//	app.GET("/account", account).With(compress.Disable())
func Disable() covet.RouteOption { return disabledKey.Set(true) }

// Skip turns compression off for the current response, for a handler that
// decides per request (a BREACH-prone answer on an otherwise safe route). It
// must be called before the first body byte is written; it does nothing when
// the middleware is not active.
func Skip(c *covet.Context) {
	for w := c.Response().Writer(); w != nil; {
		if rw, ok := w.(*responseWriter); ok {
			rw.skip = true
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// engine is a validated configuration with its encoder pools.
type engine struct {
	codings    []*coding // in server preference order
	names      []string
	minSize    int
	types      typeMatcher
	decompress bool
	limit      int64
}

func newEngine(opts []Option) (*engine, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	cfg.encodings = append([]string(nil), cfg.encodings...)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	e := &engine{
		minSize:    cfg.minSize,
		types:      newTypeMatcher(cfg.types),
		decompress: cfg.decompress,
		limit:      cfg.decompLimit,
	}
	for _, n := range cfg.encodings {
		e.codings = append(e.codings, newCoding(n, &cfg))
		e.names = append(e.names, n)
	}
	return e, nil
}

// middleware compresses the response and, if configured, decompresses the
// request body.
//
// An error returned by the handlers below is handed to the app's error
// handler here, while the compressing writer is in place (so a large
// problem+json is compressed too), and nil is returned: middleware outside
// sees the error's response (its status) rather than the error.
func (e *engine) middleware(next covet.HandlerFunc) covet.HandlerFunc {
	return func(c *covet.Context) error {
		r := c.Request()
		if e.decompress && len(r.Header["Content-Encoding"]) > 0 {
			body, err := e.decodeRequest(r)
			if err != nil {
				return err
			}
			if body != nil {
				defer body.release()
			}
		}
		if rt := c.Route(); rt != nil {
			if off, _ := disabledKey.Get(rt); off {
				return next(c)
			}
		}
		if im := r.Header["If-Match"]; len(im) > 0 {
			e.stripIfMatch(im)
		}
		res := c.Response()
		ae, ok := r.Header["Accept-Encoding"]
		if !ok || len(r.Header["Range"]) > 0 {
			// No header: the client did not ask for a coding (RFC 9110
			// allows any, but clients that decode always send one).
			// Range: ranges are of the plain body.
			addVary(res.Header())
			return next(c)
		}
		a := parseAcceptEncoding(ae, e.names)
		i, force, notAcceptable := a.choose(len(e.codings))
		if notAcceptable {
			addVary(res.Header())
			return covet.NewError(http.StatusNotAcceptable,
				"none of the content codings this server produces ("+e.list()+") is acceptable, and identity is excluded").
				WithHeader("Vary", "Accept-Encoding")
		}
		if i < 0 {
			addVary(res.Header())
			return next(c)
		}
		rw := writerPool.Get().(*responseWriter)
		orig := res.Writer()
		*rw = responseWriter{w: orig, e: e, c: e.codings[i], force: force, head: r.Method == http.MethodHead, buf: rw.buf[:0]}
		if inm := r.Header["If-None-Match"]; len(inm) > 0 {
			for j, v := range inm {
				if s, changed := stripETags(v, rw.c.suffix); changed {
					inm[j] = s
					rw.etagStripped = true
				}
			}
		}
		res.SetWriter(rw)
		defer func() {
			if v := recover(); v != nil {
				// Send what the handler had committed to, as it would
				// have gone out without compression, and let the panic
				// reach the recovery above. The writer is not reused.
				res.SetWriter(orig)
				_ = rw.finish()
				panic(v)
			}
		}()
		if err := next(c); err != nil {
			c.HandleError(err)
		}
		ferr := rw.finish()
		res.SetWriter(orig)
		*rw = responseWriter{buf: rw.buf[:0]}
		if cap(rw.buf) <= 64<<10 {
			writerPool.Put(rw)
		}
		if ferr != nil {
			// The client went away while the coded body was sent.
			c.Logger().DebugContext(r.Context(), "compress: finishing the response", "error", ferr)
		}
		return nil
	}
}

// stripIfMatch removes the codings' suffixes from the strong tags of an
// If-Match field, in place: the tag a client got with a coded GET ("v1-br")
// is the one it sends back on its PUT, whatever coding (if any) the PUT's
// answer gets, and the handler compares it with its own ("v1"), as for
// If-None-Match. If-Range keeps its suffix: the bytes a client holds of a
// coded body are not a range of the plain one.
func (e *engine) stripIfMatch(values []string) {
	for j, v := range values {
		for _, cd := range e.codings {
			if s, changed := stripETags(v, cd.suffix); changed {
				v = s
			}
		}
		values[j] = v
	}
}

// list returns the codings as a comma-separated list.
func (e *engine) list() string {
	s := ""
	for i, n := range e.names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

var _ covet.Plugin = (*Plugin)(nil)
