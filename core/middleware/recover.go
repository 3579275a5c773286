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
// happened, no error answer is possible: the *covet.PanicError is still
// returned, the error handler logs it with its stack, and the app aborts the
// response (the connection is broken, HTTP/2's stream reset), so the client
// does not take the truncated body for a complete one.
//
// Core's ServeHTTP recovers panics as a last resort too (and aborts a
// started response the same way); use Recover inside the middleware that
// must see the 500.
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
				err = covet.NewPanicError(v)
			}()
			return next(c)
		}
	}
}
