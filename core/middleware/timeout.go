package middleware

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	covet "github.com/covetgo/covet/core"
)

// TimeoutOption configures Timeout.
type TimeoutOption func(*timeoutConfig)

type timeoutConfig struct {
	status int
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
// Middleware outside Timeout sees the status the client got. Errors of the
// handlers below are handled (by the app's error handler) inside Timeout,
// which then returns nil. Timeout is meant for request/response handlers:
// do not use it on streaming or WebSocket routes. A d <= 0 panics.
func Timeout(d time.Duration, opts ...TimeoutOption) covet.Middleware {
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
	detail := "the request did not finish within " + d.String()
	timeoutErr := func() error {
		return covet.NewError(cfg.status, detail).WithCause(context.DeadlineExceeded)
	}
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		// The handler runs under covet.WrapMiddleware, which gives it a
		// covet.Response of its own over the guarded writer: what the
		// middleware outside sees (status, size) is what reached the client.
		guarded := func(c *covet.Context) error {
			err := next(c)
			if err != nil && (errors.Is(err, http.ErrHandlerTimeout) ||
				errors.Is(err, context.DeadlineExceeded) && c.Request().Context().Err() != nil) {
				return timeoutErr()
			}
			return err
		}
		std := func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctx, cancel := context.WithTimeout(r.Context(), d)
				defer cancel()
				tw := newTimeoutWriter(w, r, &cfg, detail)
				tw.timer.Reset(d)
				returned := false
				defer func() { tw.finish(returned) }()
				h.ServeHTTP(tw, r.WithContext(ctx))
				returned = true
			})
		}
		wrapped := covet.WrapMiddleware(std)(guarded)
		return func(c *covet.Context) error {
			// Middleware outside sees its own request again, even after a
			// panic (covet.WrapMiddleware leaves the derived one in place).
			defer c.SetRequest(c.Request())
			return wrapped(c)
		}
	}
}

// timeoutWriter guards the response against the timer. The handler sees a
// header map of its own, copied to the real one when it writes its status;
// every write to the real writer (the handler's, or the timer's answer) is
// made under mu. It has no Unwrap on purpose: a raw writer would escape the
// lock. Writers are pooled with their timer, and reused only when the timer
// was stopped before it fired and the handler returned normally (so nothing
// refers to the writer any more).
type timeoutWriter struct {
	mu    sync.Mutex
	timer *time.Timer         // runs timeout; stopped between uses
	w     http.ResponseWriter // the writer outside Timeout
	h     http.Header         // the handler's headers

	cfg                *timeoutConfig
	detail, method, id string
	path               string

	wroteHeader bool // the handler started its response
	timedOut    bool // the timer answered
	hijacked    bool
	done        bool // the handler returned
}

var timeoutWriters sync.Pool

func newTimeoutWriter(w http.ResponseWriter, r *http.Request, cfg *timeoutConfig, detail string) *timeoutWriter {
	tw, _ := timeoutWriters.Get().(*timeoutWriter)
	if tw == nil {
		tw = &timeoutWriter{}
		tw.timer = time.AfterFunc(time.Hour, tw.timeout)
		tw.timer.Stop()
	}
	// The mutex orders these writes before the timer's reads.
	tw.mu.Lock()
	tw.w, tw.cfg, tw.detail = w, cfg, detail
	tw.method, tw.path, tw.id = r.Method, r.URL.Path, covet.RequestIDFrom(r.Context())
	tw.h = w.Header().Clone()
	if tw.h == nil {
		tw.h = http.Header{}
	}
	tw.wroteHeader, tw.timedOut, tw.hijacked, tw.done = false, false, false, false
	tw.mu.Unlock()
	return tw
}

// Header returns the handler's header map; only the handler's goroutine
// touches it.
func (tw *timeoutWriter) Header() http.Header { return tw.h }

func (tw *timeoutWriter) WriteHeader(code int) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	tw.writeHeaderLocked(code)
}

func (tw *timeoutWriter) writeHeaderLocked(code int) {
	if tw.timedOut || tw.wroteHeader || tw.hijacked {
		return
	}
	tw.syncHeaderLocked()
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		tw.w.WriteHeader(code) // informational (103 Early Hints)
		return
	}
	tw.wroteHeader = true
	tw.w.WriteHeader(code)
}

// syncHeaderLocked makes the real header map the handler's.
func (tw *timeoutWriter) syncHeaderLocked() {
	dst := tw.w.Header()
	clear(dst)
	maps.Copy(dst, tw.h)
}

func (tw *timeoutWriter) Write(b []byte) (int, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut {
		return 0, http.ErrHandlerTimeout
	}
	if !tw.wroteHeader {
		tw.writeHeaderLocked(http.StatusOK)
	}
	return tw.w.Write(b)
}

func (tw *timeoutWriter) WriteString(s string) (int, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut {
		return 0, http.ErrHandlerTimeout
	}
	if !tw.wroteHeader {
		tw.writeHeaderLocked(http.StatusOK)
	}
	if sw, ok := tw.w.(interface{ WriteString(string) (int, error) }); ok {
		return sw.WriteString(s)
	}
	return tw.w.Write([]byte(s))
}

// FlushError sends buffered data, or fails with http.ErrHandlerTimeout once
// the timeout answer went out.
func (tw *timeoutWriter) FlushError() error {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut {
		return http.ErrHandlerTimeout
	}
	if !tw.wroteHeader {
		tw.writeHeaderLocked(http.StatusOK)
	}
	return http.NewResponseController(tw.w).Flush()
}

// Flush is FlushError without the error, for http.Flusher.
func (tw *timeoutWriter) Flush() { _ = tw.FlushError() }

// Hijack takes over the connection, unless the timeout answer went out; the
// timer does not answer a hijacked connection.
func (tw *timeoutWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut {
		return nil, nil, http.ErrHandlerTimeout
	}
	conn, rw, err := http.NewResponseController(tw.w).Hijack()
	if err == nil {
		tw.hijacked = true
	}
	return conn, rw, err
}

// SetReadDeadline is http.ResponseController's read deadline, passed on.
func (tw *timeoutWriter) SetReadDeadline(t time.Time) error {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return http.NewResponseController(tw.w).SetReadDeadline(t)
}

// SetWriteDeadline is http.ResponseController's write deadline, passed on.
func (tw *timeoutWriter) SetWriteDeadline(t time.Time) error {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return http.NewResponseController(tw.w).SetWriteDeadline(t)
}

// EnableFullDuplex is http.ResponseController's full duplex switch, passed on.
func (tw *timeoutWriter) EnableFullDuplex() error {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return http.NewResponseController(tw.w).EnableFullDuplex()
}

// Push initiates an HTTP/2 server push where the writer supports it.
func (tw *timeoutWriter) Push(target string, opts *http.PushOptions) error {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if p, ok := tw.w.(http.Pusher); ok {
		return p.Push(target, opts)
	}
	return http.ErrNotSupported
}

// timeout runs in the timer's goroutine when the deadline passes: it answers
// with the timeout problem unless the handler returned or started its answer.
func (tw *timeoutWriter) timeout() {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.done || tw.wroteHeader || tw.hijacked || tw.w == nil {
		return
	}
	tw.timedOut = true
	status := tw.cfg.status
	body, err := json.Marshal(covet.Problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    tw.detail,
		Instance:  tw.path,
		RequestID: tw.id,
	})
	if err != nil {
		body = nil
	}
	h := tw.w.Header()
	h["Content-Type"] = []string{"application/problem+json"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	h["X-Content-Type-Options"] = []string{"nosniff"}
	h["Cache-Control"] = []string{"no-store"}
	// The handler still holds the connection: without this a keep-alive
	// client's next request would queue behind it (issue 13 #9). net/http
	// closes the connection once the handler returns.
	h["Connection"] = []string{"close"}
	tw.w.WriteHeader(status)
	if tw.method != http.MethodHead {
		_, _ = tw.w.Write(body)
	}
	// Send it now: net/http would hold it in its buffer until the handler returns.
	_ = http.NewResponseController(tw.w).Flush()
}

// finish runs in the handler's goroutine when the handler returned (or
// panicked). After it, the timer does nothing: the Context and the writer
// may be reused.
func (tw *timeoutWriter) finish(returned bool) {
	tw.mu.Lock()
	tw.done = true
	if !tw.wroteHeader && !tw.timedOut && !tw.hijacked {
		// The handler set headers but wrote nothing: net/http's implicit
		// 200 (or the error answer written further out) carries them.
		tw.syncHeaderLocked()
	}
	tw.mu.Unlock()
	// Reuse the writer only if the timer will not run for this request and
	// nothing refers to the writer any more: after a panic, the covet.Response
	// over it may still be written to by the middleware outside.
	if tw.timer.Stop() && returned {
		tw.mu.Lock()
		tw.w, tw.h, tw.cfg = nil, nil, nil
		tw.mu.Unlock()
		timeoutWriters.Put(tw)
	}
}
