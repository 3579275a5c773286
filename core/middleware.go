package covet

import (
	"context"
	"net/http"

	iphase "github.com/covetgo/covet/core/internal/phase"
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
			defer func() { c.res, c.req = prevRes, prevReq; c.keys.DropContext() }()
			if w != http.ResponseWriter(prevRes) {
				// The middleware wrapped the writer: handlers write through it.
				c.res = &Response{w: w, head: prevRes.head}
			}
			c.req = r
			c.keys.DropContext()
			if err := next(c); err != nil {
				c.app.handleError(c, err)
			}
		}))
		return func(c *Context) error {
			// SetContext's context, the request ID and the keys set so far
			// reach the standard middleware on r.Context().
			c.req = c.Request()
			outerRes, outerReq := c.res, c.req
			defer func() { c.res, c.req = outerRes, outerReq; c.keys.DropContext() }()
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
		c.req = c.Request() // with the request ID and keys on its context
		h.ServeHTTP(c.res, c.req)
		return nil
	}
}

// WrapHandlerFunc adapts a plain http.HandlerFunc to a HandlerFunc.
func WrapHandlerFunc(h func(http.ResponseWriter, *http.Request)) HandlerFunc {
	return WrapHandler(http.HandlerFunc(h))
}

// Phase says where app middleware sits, whatever the order it was added in
// (App.UseAt): lower phases wrap higher ones; within a phase, the order
// added. Any integer is a phase. The named ones, outermost first:
//
//	PhaseObserve   metrics, tracing: see every request, its final status and duration
//	PhaseEdge      CORS: its headers on every answer, preflights answered before guards
//	PhaseApp       App.Use: the application's own middleware
//	PhaseEncode    compression: encodes what the phases inside it answer
//	PhaseGuard     authentication, rate limits: reject before work is done
//	PhaseCache     response caching: only what passed the guards is cached or served
//	PhaseResource  per-request resources (a database transaction): opened last
//
// Pre middleware runs before routing, outside all phases; group and route
// middleware inside all of them.
type Phase int

// The named phases; see Phase.
const (
	PhaseObserve  Phase = -300
	PhaseEdge     Phase = -200
	PhaseApp      Phase = 0
	PhaseEncode   Phase = 100
	PhaseGuard    Phase = 200
	PhaseCache    Phase = 300
	PhaseResource Phase = 400
)

// String names the phase ("guard"), or gives its number and the named
// phase it follows ("guard+5").
func (p Phase) String() string { return iphase.Name(int(p), phaseNames) }

var phaseNames = []iphase.Named{
	{P: int(PhaseObserve), Name: "observe"}, {P: int(PhaseEdge), Name: "edge"}, {P: int(PhaseApp), Name: "app"},
	{P: int(PhaseEncode), Name: "encode"}, {P: int(PhaseGuard), Name: "guard"}, {P: int(PhaseCache), Name: "cache"},
	{P: int(PhaseResource), Name: "resource"},
}

// phasedMiddleware is a middleware added with UseAt (core/internal/phase).
type phasedMiddleware = iphase.Item[Middleware, Phase]

// UseAt adds app-level middleware at a phase; Use is UseAt(PhaseApp, ...).
func (a *App) UseAt(phase Phase, mw ...Middleware) {
	a.configuring("UseAt")
	if phase == PhaseApp {
		a.mw = append(a.mw, mw...)
		return
	}
	for _, m := range mw {
		a.phased = append(a.phased, phasedMiddleware{Phase: phase, M: m})
	}
}

// appChain returns the app middleware in chain order.
func (a *App) appChain() []Middleware { return iphase.Chain(a.phased, a.mw, PhaseApp) }
