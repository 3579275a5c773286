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

// WrapMiddleware adapts a standard net/http middleware (from chi,
// gorilla/handlers, rs/cors, ...) to Covet. m is called once, when the chain
// is built, as net/http code expects. The standard middleware sees the
// Context's Request and Response; if it replaces the request (for example to
// add a context value) or wraps the writer, the handlers after it see the
// new ones, and the middleware before it the old ones again when it returns
// (also after a panic). An error returned downstream is handed to the error
// handler while the wrapped writer is current, so the standard middleware
// sees the error response (a compressor compresses it); if the response had
// already started, it is aborted as ServeHTTP does (see App.ServeHTTP).
//
// Cost: the Context travels to the inner handler in the request's context,
// which costs two allocations per request.
func WrapMiddleware(m func(http.Handler) http.Handler) Middleware {
	return func(next HandlerFunc) HandlerFunc {
		h := m(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := r.Context().Value(wrapKey{}).(*Context)
			if c == nil {
				// The standard middleware served the request with a
				// context not derived from the one it was given.
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
