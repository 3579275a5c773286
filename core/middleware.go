package covet

import (
	"context"
	"net/http"
)

// Middleware wraps a handler: it may act before and after calling next, or
// answer without calling it.
//
//	func Timing(next covet.HandlerFunc) covet.HandlerFunc {
//		return func(c *covet.Context) error {
//			start := time.Now()
//			err := next(c)
//			c.Logger().Info("took", "d", time.Since(start))
//			return err
//		}
//	}
type Middleware func(next HandlerFunc) HandlerFunc

// chain composes middleware around h; mw[0] is the outermost.
func chain(mw []Middleware, h HandlerFunc) HandlerFunc {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// Chain composes middleware into one; the first is the outermost.
func Chain(mw ...Middleware) Middleware {
	return func(next HandlerFunc) HandlerFunc { return chain(mw, next) }
}

// WrapMiddleware adapts a standard net/http middleware (chi,
// gorilla/handlers, rs/cors...); m is called once, when the chain is built.
// A request or writer it replaces is what the handlers after it see, and
// those before it see the old ones again. An error downstream is rendered
// through the wrapped writer (a compressor compresses it). Cost: two
// allocations per request.
func WrapMiddleware(m func(http.Handler) http.Handler) Middleware {
	return func(next HandlerFunc) HandlerFunc {
		h := m(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := r.Context().Value(wrapKey{}).(*Context)
			if c == nil { // the middleware did not derive the context it was given
				http.Error(w, "500 internal server error: covet: request context replaced by a wrapped middleware", http.StatusInternalServerError)
				return
			}
			prevRes, prevReq := c.res, c.req
			defer func() { c.res, c.req, c.pendingCtx = prevRes, prevReq, nil }()
			if w != http.ResponseWriter(prevRes) {
				// The middleware wrapped the writer: handlers write through it.
				c.res = &Response{w: w, head: prevRes.head}
			}
			c.req, c.pendingCtx = r, nil
			if err := next(c); err != nil {
				c.app.handleError(c, err)
			}
		}))
		return func(c *Context) error {
			if c.pendingCtx != nil {
				c.applyContext() // SetContext's context reaches the standard middleware
			}
			outerRes, outerReq := c.res, c.req
			defer func() { c.res, c.req, c.pendingCtx = outerRes, outerReq, nil }()
			h.ServeHTTP(outerRes, outerReq.WithContext(context.WithValue(outerReq.Context(), wrapKey{}, c)))
			return nil
		}
	}
}

// wrapKey carries the Context through a wrapped standard middleware.
type wrapKey struct{}

// WrapHandler adapts a plain http.Handler to a HandlerFunc.
func WrapHandler(h http.Handler) HandlerFunc {
	return func(c *Context) error {
		if c.pendingCtx != nil {
			c.applyContext()
		}
		h.ServeHTTP(c.res, c.req)
		return nil
	}
}

// WrapHandlerFunc adapts a plain http.HandlerFunc to a HandlerFunc.
func WrapHandlerFunc(h func(http.ResponseWriter, *http.Request)) HandlerFunc {
	return WrapHandler(http.HandlerFunc(h))
}
