package covet

import "net/http"

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
// gorilla/handlers, rs/cors, ...) to Covet. The standard middleware sees the
// Context's Request and Response; if it replaces the request (for example to
// add a context value) or the writer, the next handler sees the new ones. An
// error returned downstream is handed back up unchanged.
func WrapMiddleware(m func(http.Handler) http.Handler) Middleware {
	return func(next HandlerFunc) HandlerFunc {
		return func(c *Context) error {
			var err error
			outerRes, outerReq := c.res, c.req
			h := m(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if w != http.ResponseWriter(outerRes) {
					// The middleware wrapped the writer: track the wrapper so
					// handlers write through it.
					c.res = &Response{w: w}
				}
				c.req = r
				err = next(c)
				// Handle the error while the (possibly wrapped) writer is current.
				if err != nil {
					c.app.handleError(c, err)
					err = nil
				}
				c.res = outerRes
			}))
			h.ServeHTTP(outerRes, outerReq)
			c.res = outerRes
			return err
		}
	}
}

// WrapHandler adapts a plain http.Handler to a HandlerFunc.
func WrapHandler(h http.Handler) HandlerFunc {
	return func(c *Context) error {
		h.ServeHTTP(c.res, c.req)
		return nil
	}
}

// WrapHandlerFunc adapts a plain http.HandlerFunc to a HandlerFunc.
func WrapHandlerFunc(h func(http.ResponseWriter, *http.Request)) HandlerFunc {
	return WrapHandler(http.HandlerFunc(h))
}
