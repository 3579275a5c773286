package middleware

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	covet "github.com/covetgo/covet/core"
)

// TimeoutOption configures Timeout.
type TimeoutOption func(*timeoutConfig)

type timeoutConfig struct {
	status int
	detail string     // the timeout problem's detail
	keys   headerKeys // the header keys its handlers set
}

// WithTimeoutStatus sets the status of the timeout answer (default 503
// Service Unavailable; 504 Gateway Timeout suits a handler that waits on an
// upstream). It must be a 4xx or 5xx status; Timeout panics otherwise.
func WithTimeoutStatus(code int) TimeoutOption {
	return func(c *timeoutConfig) { c.status = code }
}

// Timeout gives the handlers below it d to answer.
//
// The request's context gets the deadline (c.Context() is canceled when it
// passes), so database calls and outgoing requests made with it stop. If the
// handler has not started its response when the deadline passes, the client
// gets a 503 problem+json at once (WithTimeoutStatus changes the status)
// with Connection: close, so a keep-alive client's next request goes to a
// new connection instead of queuing behind the handler (net/http closes
// this one when the handler returns); the handler's later writes fail with
// http.ErrHandlerTimeout and are dropped, and its return is awaited as usual
// (the handler runs in the request's goroutine; only the answer is written
// from the timer, under a lock). A handler returning the context's error
// (context.DeadlineExceeded) after the deadline, or the write error, is
// answered the same way. A response the handler had already started when the
// deadline passed is left to finish: its context is canceled, but a status
// cannot be taken back.
//
// The timeout answer carries the response headers set before Timeout ran
// (a request ID, security headers), not those the handlers below set, nor
// those Response.Before hooks would add when the status is sent (such as
// Timing's Server-Timing): the hooks belong to the request's goroutine,
// which is still running the handler when the timer answers.
//
// Middleware outside sees the status the client got. Errors of the
// handlers below are handled (by the app's error handler) inside Timeout,
// which then returns nil. Timeout is meant for request/response handlers:
// do not use it on streaming or WebSocket routes. A d <= 0 panics.
//
// Timeout starts no goroutine and no timer per request: the requests under
// one Timeout share one timer, armed for the oldest of them.
func Timeout(d time.Duration, opts ...TimeoutOption) covet.Middleware {
	mw, _ := newTimeout(d, opts...)
	return mw
}

// newTimeout is Timeout, also returning the queue its requests wait in
// (tests expire them deterministically).
func newTimeout(d time.Duration, opts ...TimeoutOption) (covet.Middleware, *timeoutQueue) {
	if d <= 0 {
		panic("middleware: Timeout: the duration must be positive, not " + d.String())
	}
	cfg := timeoutConfig{status: http.StatusServiceUnavailable}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.status < 400 || cfg.status > 599 {
		panic("middleware: Timeout: status " + strconv.Itoa(cfg.status) + " is not a 4xx or 5xx status")
	}
	cfg.detail = "the request did not finish within " + d.String()
	q := newTimeoutQueue(d)
	mw := func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			res := c.Response()
			req := c.Request()
			w := res.Writer()
			e := q.enter(timeoutRequest{
				w:      w,
				cfg:    &cfg,
				method: req.Method,
				path:   req.URL.Path,
				id:     c.RequestID(),
				parent: req.Context(),
			})
			// The request is copied to carry e only if something asks for
			// the request (c.Request()); c.Context() returns e without it.
			c.SetContext(e)
			res.SetWriter(e)
			defer e.finish(c, res, req)
			if err := next(c); err != nil {
				if errors.Is(err, http.ErrHandlerTimeout) ||
					errors.Is(err, context.DeadlineExceeded) && e.Err() != nil {
					err = covet.NewError(cfg.status, cfg.detail).WithCause(context.DeadlineExceeded)
				}
				// Handled here, so its answer goes through the guard: refused
				// if the timer answered first.
				c.HandleError(err)
			}
			e.returned = true
			return nil
		}
	}
	return mw, q
}

// The states of a timed request's response. The handler's goroutine moves
// it from running to writing, hijacked or done; the timer from running to
// timedOut, holding the entry's lock. Whoever moves it first owns the
// writer.
const (
	stateRunning  int32 = iota
	stateWriting        // the handler started its response
	stateHijacked       // the handler took the connection
	stateTimedOut       // the timer answered
	stateDone           // the handler returned before the deadline
)

// timeoutEntry is one timed request: its place in the queue, its context
// (the request's, with the deadline) and the writer its handlers write
// through. Until they start the response the handlers see a header map of
// their own (made when they first ask for it), moved to the real one then
// (after it, the real one: the timer no longer touches it); the timer
// writes its answer to the real writer.
// It has no Unwrap on purpose: a raw writer would escape the guard.
type timeoutEntry struct {
	// Queue links, guarded by the queue's lock, and the start time.
	q          *timeoutQueue
	prev, next *timeoutEntry
	queued     bool
	start      time.Duration // since clockBase; the deadline is start + q.d

	state atomic.Int32
	// mu is held by the timer while it answers, and by the handler's
	// goroutine for what it passes to the real writer without owning it
	// (informational statuses, hijacks, connection deadlines, pushes).
	mu sync.Mutex

	timeoutRequest
	h                 http.Header // the handlers' header map, nil until asked for
	body              []byte      // the timeout answer, once written
	returned          bool        // the handler chain returned (did not panic)
	expired, finished atomic.Bool
	ctxMu             sync.Mutex
	inner             atomic.Pointer[timeoutInner]
}

// timeoutRequest is what a timed request's entry is given when it starts.
type timeoutRequest struct {
	w                http.ResponseWriter // the writer outside Timeout
	cfg              *timeoutConfig
	method, path, id string
	parent           context.Context
}

// timeoutInner is the entry's context made real: a context.WithDeadline of
// the request's, made the first time a caller needs a Done channel.
type timeoutInner struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// Deadline is the earlier of Timeout's deadline and the request's own.
func (e *timeoutEntry) Deadline() (time.Time, bool) {
	deadline := clockBase.Add(e.start + e.q.d)
	if d, ok := e.parent.Deadline(); ok && d.Before(deadline) {
		return d, true
	}
	return deadline, true
}

// Done makes the context real (a context.WithDeadline of the request's) the
// first time it is called: a handler that never waits on it costs no timer
// of its own.
func (e *timeoutEntry) Done() <-chan struct{} { return e.real().Done() }

func (e *timeoutEntry) real() context.Context {
	if in := e.inner.Load(); in != nil {
		return in.ctx
	}
	e.ctxMu.Lock()
	defer e.ctxMu.Unlock()
	if in := e.inner.Load(); in != nil {
		return in.ctx
	}
	ctx, cancel := context.WithDeadline(e.parent, clockBase.Add(e.start+e.q.d))
	// Stored before finished is read, as finish stores finished before it
	// reads inner: one of the two sees the other, and cancels.
	e.inner.Store(&timeoutInner{ctx, cancel})
	if e.finished.Load() {
		cancel()
	}
	return ctx
}

// Err is context.DeadlineExceeded once the deadline passed, context.Canceled
// once the handler returned, else the request context's error.
func (e *timeoutEntry) Err() error {
	if in := e.inner.Load(); in != nil {
		return in.ctx.Err()
	}
	if e.expired.Load() {
		return context.DeadlineExceeded
	}
	if e.finished.Load() {
		return context.Canceled
	}
	return e.parent.Err()
}

// Value looks in the real context once there is one, so contexts derived
// from this one are canceled with it by the context package itself (no
// goroutine watching it).
func (e *timeoutEntry) Value(key any) any {
	if in := e.inner.Load(); in != nil {
		return in.ctx.Value(key)
	}
	return e.parent.Value(key)
}

// String describes the context, as the context package's own do.
func (e *timeoutEntry) String() string { return "middleware.Timeout(" + e.cfg.detail + ")" }

// Header returns the handlers' header map, which only the handler's
// goroutine touches; once the handler owns the real writer (it started the
// response), the real map, so trailers set after the body reach net/http.
// A handler that starts its response with c.Text, c.JSON or c.Blob owns
// the writer before it sets a header (StartResponse), so it never needs a
// map of its own.
func (e *timeoutEntry) Header() http.Header {
	if e.state.Load() == stateWriting {
		return e.w.Header()
	}
	if e.h == nil {
		e.h = e.newHeader()
	}
	return e.h
}

// newHeader makes the handlers' header map: the entries of the real one
// (the headers set before Timeout ran), in an empty map of a finished
// request's.
func (e *timeoutEntry) newHeader() http.Header {
	h := e.q.header()
	e.mu.Lock()
	if e.state.Load() == stateRunning {
		// Under e.mu, so the timer is not writing its answer to the real
		// map. Past the running state the map is only a sink: the timer
		// answered, or the connection was hijacked.
		e.cfg.keys.copy(h, e.w.Header())
	}
	e.mu.Unlock()
	return h
}

// StartResponse makes the handler the owner of the real writer before it
// sets the headers of its response (covet.Response calls it in c.Text,
// c.JSON and c.Blob), so they go straight to the real map: the same as the
// own of the WriteHeader that follows, earlier. Does nothing once the timer
// answered.
func (e *timeoutEntry) StartResponse() { e.own() }

// own makes the handler the owner of the real writer, moving its headers
// there; false when the timer answered or the connection was hijacked.
func (e *timeoutEntry) own() bool {
	if e.state.Load() == stateWriting {
		return true
	}
	if e.state.CompareAndSwap(stateRunning, stateWriting) {
		if e.h != nil {
			e.syncHeader()
			clear(e.h)
		}
		return true
	}
	return false
}

// syncHeader makes the real header map's entries the handlers', if they
// asked for a map of their own. The caller owns the real writer, or holds
// e.mu while the state is running.
func (e *timeoutEntry) syncHeader() {
	if e.h == nil {
		return // the real map is as the handlers would see it
	}
	dst := e.w.Header()
	e.cfg.keys.copy(dst, e.h)
	if len(dst) != len(e.h) {
		// dst has every key of e.h now, and more: keys set before Timeout
		// ran that the handlers deleted.
		clear(dst)
		e.cfg.keys.copy(dst, e.h)
	}
}

func (e *timeoutEntry) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		// Informational (103 Early Hints): the final answer is still open.
		e.mu.Lock()
		defer e.mu.Unlock()
		switch e.state.Load() {
		case stateRunning:
			e.syncHeader()
			e.w.WriteHeader(code)
		case stateWriting:
			e.w.WriteHeader(code)
		}
		return
	}
	if e.own() {
		e.w.WriteHeader(code)
	}
}

func (e *timeoutEntry) Write(b []byte) (int, error) {
	if !e.own() {
		return 0, http.ErrHandlerTimeout
	}
	return e.w.Write(b)
}

func (e *timeoutEntry) WriteString(s string) (int, error) {
	if !e.own() {
		return 0, http.ErrHandlerTimeout
	}
	if sw, ok := e.w.(interface{ WriteString(string) (int, error) }); ok {
		return sw.WriteString(s)
	}
	return e.w.Write([]byte(s))
}

// FlushError sends buffered data, or fails with http.ErrHandlerTimeout once
// the timeout answer went out.
func (e *timeoutEntry) FlushError() error {
	if !e.own() {
		return http.ErrHandlerTimeout
	}
	return http.NewResponseController(e.w).Flush()
}

// Flush is FlushError without the error, for http.Flusher.
func (e *timeoutEntry) Flush() { _ = e.FlushError() }

// Hijack takes over the connection, unless the timeout answer went out; the
// timer does not answer a hijacked connection.
func (e *timeoutEntry) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state.Load() == stateTimedOut {
		return nil, nil, http.ErrHandlerTimeout
	}
	conn, rw, err := http.NewResponseController(e.w).Hijack()
	if err == nil {
		e.state.CompareAndSwap(stateRunning, stateHijacked)
		e.state.CompareAndSwap(stateWriting, stateHijacked)
	}
	return conn, rw, err
}

// SetReadDeadline is http.ResponseController's read deadline, passed on.
func (e *timeoutEntry) SetReadDeadline(t time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return http.NewResponseController(e.w).SetReadDeadline(t)
}

// SetWriteDeadline is http.ResponseController's write deadline, passed on.
func (e *timeoutEntry) SetWriteDeadline(t time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return http.NewResponseController(e.w).SetWriteDeadline(t)
}

// EnableFullDuplex is http.ResponseController's full duplex switch, passed on.
func (e *timeoutEntry) EnableFullDuplex() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return http.NewResponseController(e.w).EnableFullDuplex()
}

// Push initiates an HTTP/2 server push where the writer supports it.
func (e *timeoutEntry) Push(target string, opts *http.PushOptions) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.w.(http.Pusher); ok {
		return p.Push(target, opts)
	}
	return http.ErrNotSupported
}

// expire runs in the timer's goroutine when the deadline passed: the
// context reports it, and the client gets the timeout problem unless the
// handler returned or started its answer.
func (e *timeoutEntry) expire() {
	if !e.finished.Load() {
		e.expired.Store(true)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.state.CompareAndSwap(stateRunning, stateTimedOut) {
		return
	}
	status := e.cfg.status
	body, err := json.Marshal(covet.Problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    e.cfg.detail,
		Instance:  e.path,
		RequestID: e.id,
	})
	if err != nil {
		body = nil
	}
	e.body = body
	h := e.w.Header()
	h["Content-Type"] = []string{"application/problem+json"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	h["X-Content-Type-Options"] = []string{"nosniff"}
	h["Cache-Control"] = []string{"no-store"}
	// The handler still holds the connection: without this a keep-alive
	// client's next request would queue behind it (issue 13 #9). net/http
	// closes the connection once the handler returns.
	h["Connection"] = []string{"close"}
	e.w.WriteHeader(status)
	if e.method != http.MethodHead {
		_, _ = e.w.Write(body)
	}
	// Send it now: net/http would hold it in its buffer until the handler returns.
	_ = http.NewResponseController(e.w).Flush()
}

// finish runs in the handler's goroutine when the handler chain returned
// (or panicked): the entry leaves the queue, the middleware outside gets
// its request and writer back, and the Response records the timeout answer
// when the timer sent one. After it the timer does nothing more.
func (e *timeoutEntry) finish(c *covet.Context, res *covet.Response, req *http.Request) {
	e.finished.Store(true)
	timedOut := false
	if e.state.CompareAndSwap(stateRunning, stateDone) {
		// The handler set headers but wrote nothing: net/http's implicit
		// 200 (or the error answer written further out) carries them.
		if e.h != nil {
			e.syncHeader()
			clear(e.h)
		}
	} else if e.state.Load() == stateTimedOut {
		// Wait until the timer's answer is out.
		e.mu.Lock()
		timedOut = true
		e.mu.Unlock()
	}
	// finished was stored first: a real context made from now on cancels
	// itself (see real).
	if in := e.inner.Load(); in != nil {
		in.cancel()
	}
	c.SetRequest(req)
	if timedOut {
		e.q.leave(e, nil)
		// The middleware outside sees what the client got. The writer stays
		// the guard, which refuses what they might still write.
		res.Reset(discardWriter{h: http.Header{}})
		res.WriteHeader(e.cfg.status)
		_, _ = res.Write(e.body)
		res.SetWriter(e)
		return
	}
	res.SetWriter(e.w)
	// The entry may outlive the request as its context (in a slab with
	// others): it keeps no writer. The timer no longer uses it (the state
	// is not running), nor does anything else once the handler returned.
	e.w = nil
	if e.returned {
		// Nothing refers to the handlers' map any more: the writer outside
		// has the headers, moved there (the map is empty unless the
		// connection was hijacked). Nil if they never asked for one.
		h := e.h
		e.h = nil
		if len(h) > 0 {
			clear(h)
		}
		e.q.leave(e, h)
	} else {
		e.q.leave(e, nil)
	}
}

// discardWriter takes the Response's record of the timeout answer, which
// the timer already sent.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}
