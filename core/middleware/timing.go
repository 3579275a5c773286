package middleware

import (
	"net/http"
	"strconv"
	"time"

	covet "github.com/covetgo/covet/core"
)

var timingKey = covet.NewKey[*timingWriter]("middleware.timing")

// Timing records when the request reached it, for StartTime and Elapsed,
// and adds a Server-Timing header with the time spent until the response
// started, in milliseconds:
//
//	Server-Timing: total;dur=12.345
//
// Browsers show it in their developer tools' network panel. The header is
// added (beside any Server-Timing metrics the handler adds itself) when the
// status is written, so Timing wraps the response writer; flushing,
// hijacking and http.ResponseController keep working through it. Put it
// early in the chain: it measures what runs below it.
func Timing() covet.Middleware {
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			res := c.Response()
			tw := &timingWriter{ResponseWriter: res.Writer(), start: time.Now()}
			res.SetWriter(tw)
			timingKey.Set(c, tw)
			err := next(c)
			if err == nil && !res.Written() {
				// Nothing was written: net/http will send 200 once the
				// chain returns, with the headers as they are now.
				tw.stamp()
			}
			// The writer stays wrapped: an error handled further out is
			// written through it and gets the header too.
			return err
		}
	}
}

// StartTime returns when Timing saw the request, or the zero time when
// Timing does not run for it.
func StartTime(c *covet.Context) time.Time {
	if tw, ok := timingKey.Get(c); ok {
		return tw.start
	}
	return time.Time{}
}

// Elapsed returns the time since Timing saw the request, or 0 when Timing
// does not run for it.
func Elapsed(c *covet.Context) time.Duration {
	if tw, ok := timingKey.Get(c); ok {
		return time.Since(tw.start)
	}
	return 0
}

// timingWriter adds the Server-Timing header when the final status is
// written. It unwraps to the writer it wraps, so http.ResponseController
// (and core's Response, which uses it) reach Hijack, deadlines and the like.
type timingWriter struct {
	http.ResponseWriter
	start   time.Time
	stamped bool
}

func (w *timingWriter) stamp() {
	if w.stamped {
		return
	}
	w.stamped = true
	us := time.Since(w.start).Microseconds()
	// Milliseconds with three decimals, formatted from integers (cheaper
	// than a float conversion): "total;dur=12.345".
	var buf [48]byte
	b := append(buf[:0], "total;dur="...)
	b = strconv.AppendInt(b, us/1000, 10)
	frac := us % 1000
	b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	h := w.ResponseWriter.Header()
	h["Server-Timing"] = append(h["Server-Timing"], string(b))
}

func (w *timingWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.stamp()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *timingWriter) Write(b []byte) (int, error) {
	w.stamp()
	return w.ResponseWriter.Write(b)
}

func (w *timingWriter) WriteString(s string) (int, error) {
	w.stamp()
	if sw, ok := w.ResponseWriter.(interface{ WriteString(string) (int, error) }); ok {
		return sw.WriteString(s)
	}
	return w.ResponseWriter.Write([]byte(s))
}

// FlushError stamps the header (a flush sends the headers) and flushes.
func (w *timingWriter) FlushError() error {
	w.stamp()
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Flush is FlushError without the error, for http.Flusher.
func (w *timingWriter) Flush() { _ = w.FlushError() }

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *timingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
