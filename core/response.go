package covet

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"

	"github.com/covetgo/covet/core/internal/lazyconn"
)

// Response wraps the request's http.ResponseWriter and tracks the status,
// the body bytes written, and whether headers were sent. It implements
// http.Flusher, http.Hijacker, http.Pusher and io.ReaderFrom through the
// underlying writer (http.ErrNotSupported where it lacks the feature), and
// Unwrap for http.ResponseController.
type Response struct {
	w       http.ResponseWriter
	status  int
	size    int64
	written bool
	// refused: the writer refused a write with http.ErrHandlerTimeout (a
	// wrapper such as middleware.Timeout answered), so a later error does
	// not abort the wrapper's answer.
	refused bool
	head    bool // a HEAD request: body writes are dropped
	// before holds the Before hooks; beforeBuf spares allocating the first two.
	before     []BeforeHook
	beforeBuf  [2]BeforeHook
	beforeDone bool
	// wrapped: SetWriter installed w, which may be a responseStarter.
	wrapped bool
}

// responseStarter is a writer that keeps the handlers' headers apart from
// the real ones until the response starts (middleware.Timeout, whose timer
// may answer meanwhile). StartResponse tells it the response starts now:
// the headers set from then on go straight to the real map, instead of
// being set apart and moved there when the status is sent.
type responseStarter interface{ StartResponse() }

// start tells a wrapping writer that the response starts, before the
// helpers (Text, JSON, Blob) set their Content-Type.
func (r *Response) start() {
	if r.wrapped && !r.written {
		if s, ok := r.w.(responseStarter); ok {
			s.StartResponse()
		}
	}
}

// Before registers fn to run once, just before the status line and headers
// are sent (by WriteHeader, the first Write or Flush, or at the request's
// end when nothing was written), so it may still change the headers:
// session cookies, cache headers, compression decisions. Hooks run in
// registration order and must not write the body; fn is not called if the
// headers were already sent. Reset arms the hooks again. A closure costs an
// allocation per request: hot-path middleware uses OnBeforeWrite.
func (r *Response) Before(fn func()) {
	if fn == nil {
		return
	}
	r.OnBeforeWrite(funcHook(fn))
}

// BeforeHook is a hook registered with Response.OnBeforeWrite; BeforeWrite
// runs as a function given to Before does. Middleware implements it on the
// pointer to its per-request state: registering that pointer allocates
// nothing, where Before(state.method) allocates a method value.
type BeforeHook interface {
	// BeforeWrite may change r's headers; it must not write the body.
	BeforeWrite(r *Response)
}

// funcHook adapts a func() to BeforeHook (a func value in an interface
// allocates nothing).
type funcHook func()

func (f funcHook) BeforeWrite(*Response) { f() }

// OnBeforeWrite is Before for a BeforeHook. A nil h or a response already
// started is ignored.
func (r *Response) OnBeforeWrite(h BeforeHook) {
	if r.written || h == nil {
		return
	}
	if r.before == nil {
		r.before = r.beforeBuf[:0]
	}
	r.before = append(r.before, h)
}

// runBefore runs the Before hooks once.
func (r *Response) runBefore() {
	if r.beforeDone {
		return
	}
	r.beforeDone = true
	// A hook may register another: it runs too.
	for i := 0; i < len(r.before); i++ {
		r.before[i].BeforeWrite(r)
	}
}

// Header returns the response headers to be sent.
func (r *Response) Header() http.Header { return r.w.Header() }

// WriteHeader sends the status line and headers (1xx other than 101 may
// precede the final status). A second call is ignored. A code outside
// 100-999 panics as net/http's does, but before the response counts as
// started, so the panic is answered with a 500 instead of a cut connection.
func (r *Response) WriteHeader(code int) {
	if r.written {
		return
	}
	if code < 100 || code > 999 {
		panic("covet: invalid WriteHeader code " + strconv.Itoa(code))
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		r.w.WriteHeader(code) // 103 Early Hints
		return
	}
	if len(r.before) > 0 && !r.beforeDone {
		r.runBefore()
		if r.written {
			return // a hook wrote the status itself
		}
	}
	r.status = code
	r.written = true
	r.w.WriteHeader(code)
}

// Write writes body bytes, sending a 200 status first if none was sent.
func (r *Response) Write(b []byte) (int, error) {
	if !r.written {
		r.WriteHeader(http.StatusOK)
	}
	if r.head {
		return len(b), nil
	}
	n, err := r.w.Write(b)
	r.size += int64(n)
	if err != nil {
		r.noteRefused(err)
	}
	return n, err
}

func (r *Response) noteRefused(err error) {
	if errors.Is(err, http.ErrHandlerTimeout) {
		r.refused = true
	}
}

// WriteString writes a string body, without a copy where the writer allows.
func (r *Response) WriteString(s string) (int, error) {
	if !r.written {
		r.WriteHeader(http.StatusOK)
	}
	if r.head {
		return len(s), nil
	}
	var n int
	var err error
	if sw, ok := r.w.(interface{ WriteString(string) (int, error) }); ok {
		n, err = sw.WriteString(s)
	} else {
		n, err = r.w.Write([]byte(s))
	}
	r.size += int64(n)
	if err != nil {
		r.noteRefused(err)
	}
	return n, err
}

// ReadFrom copies from src to the response, letting the underlying writer
// use sendfile(2) where it can (net/http does for files).
func (r *Response) ReadFrom(src io.Reader) (int64, error) {
	if !r.written {
		r.WriteHeader(http.StatusOK)
	}
	if r.head {
		return io.Copy(io.Discard, src)
	}
	var n int64
	var err error
	if rf, ok := r.w.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(onlyWriter{r.w}, src)
	}
	r.size += n
	if err != nil {
		r.noteRefused(err)
	}
	return n, err
}

// onlyWriter hides a writer's ReadFrom so io.Copy does not loop back.
type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(b []byte) (int, error) { return o.w.Write(b) }

// Reset points the Response at w with nothing sent, for middleware that
// buffers a response and may discard it (a failed commit). Headers set on
// the old writer are not carried over; Before hooks are kept and run again.
func (r *Response) Reset(w http.ResponseWriter) {
	var before []BeforeHook
	if len(r.before) > 0 {
		// Copied out first: the slice may live in r.beforeBuf.
		before = append([]BeforeHook{}, r.before...)
	}
	*r = Response{w: w, head: r.head}
	if len(before) > 0 {
		r.before = append(r.beforeBuf[:0], before...)
	}
}

// Status returns the status sent, or 0 if headers were not sent yet.
func (r *Response) Status() int { return r.status }

// Size returns the number of body bytes written.
func (r *Response) Size() int64 { return r.size }

// Written reports whether the status and headers were sent.
func (r *Response) Written() bool { return r.written }

// Writer returns the underlying writer.
func (r *Response) Writer() http.ResponseWriter { return r.w }

// SetWriter replaces the underlying writer, for middleware that wraps it
// (compression, buffering).
func (r *Response) SetWriter(w http.ResponseWriter) { r.w, r.wrapped = w, true }

// Unwrap returns the underlying writer, for http.ResponseController.
func (r *Response) Unwrap() http.ResponseWriter { return r.w }

// Flush sends buffered data to the client (a 200 status first if none was
// sent); it does nothing if the underlying writer cannot flush.
func (r *Response) Flush() { _ = r.FlushError() }

// FlushError is Flush returning the error, as http.ResponseController expects.
func (r *Response) FlushError() error {
	if !r.written {
		r.WriteHeader(http.StatusOK)
	}
	return http.NewResponseController(r.w).Flush()
}

// Hijack takes over the connection (HTTP/1 only), as http.Hijacker does.
func (r *Response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(r.w).Hijack()
	if err == nil {
		conn = lazyconn.Detach(conn) // the socket itself, not the server's wrapper
		r.written = true
		if r.status == 0 {
			r.status = http.StatusSwitchingProtocols
		}
	}
	return conn, rw, err
}

// Push initiates an HTTP/2 server push where the underlying writer supports it.
func (r *Response) Push(target string, opts *http.PushOptions) error {
	for w := r.w; w != nil; {
		if p, ok := w.(http.Pusher); ok {
			return p.Push(target, opts)
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	return http.ErrNotSupported
}
