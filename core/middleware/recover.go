package middleware

import (
	"net/http"

	covet "github.com/covetgo/covet/core"
)

// Recover turns a panic in the handlers below it into a *covet.PanicError
// returned as the handler's error, so the app's error handler answers 500
// (an RFC 9457 problem with nothing internal in it in production, the
// development page with the stack in development) and logs the stack, and so
// middleware outside Recover (the access log, metrics) sees an ordinary 500.
//
// A panic with http.ErrAbortHandler is passed on: it is net/http's way to
// abort a response. If the response was already (partly) sent when the panic
// happened, no error answer is possible: Recover logs the panic and its stack
// through the app's logger and returns nil.
//
// Core's ServeHTTP recovers panics as a last resort too; use Recover inside
// the middleware that must see the 500.
func Recover() covet.Middleware {
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) (err error) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				pe := covet.NewPanicError(v)
				if !c.Response().Written() {
					err = pe
					return
				}
				r := c.Request()
				attrs := []any{"error", pe.Error(), "method", r.Method, "path", r.URL.Path}
				if rt := c.Route(); rt != nil {
					attrs = append(attrs, "route", rt.Pattern)
				}
				attrs = append(attrs, "stack", string(pe.Stack))
				c.App().Logger().ErrorContext(r.Context(), "covet: panic after the response was sent", attrs...)
				err = nil
			}()
			return next(c)
		}
	}
}
