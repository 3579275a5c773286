package middleware

import (
	"strconv"
	"time"
	"unsafe"

	covet "github.com/covetgo/covet/core"
)

var timingKey = covet.NewKey[*timing]("middleware.timing")

// Timing records when the request reached it, for StartTime and Elapsed,
// and adds a Server-Timing header with the time spent until the response
// started, in milliseconds:
//
//	Server-Timing: total;dur=12.345
//
// Browsers show it in their developer tools' network panel. The header is
// added (beside any Server-Timing metrics the handler adds itself) just
// before the status is written, through Response.Before: the writer is not
// wrapped, so flushing, hijacking, sendfile and http.ResponseController work
// as without Timing, and an error answered further out gets the header too.
// Put it early in the chain: it measures what runs below it.
func Timing() covet.Middleware {
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			t := &timing{start: time.Now()}
			c.Response().OnBeforeWrite(t) // t is the hook: no method value to allocate
			timingKey.Set(c, t)
			return next(c)
		}
	}
}

// StartTime returns when Timing saw the request, or the zero time when
// Timing does not run for it.
func StartTime(c *covet.Context) time.Time {
	if t, ok := timingKey.Get(c); ok {
		return t.start
	}
	return time.Time{}
}

// Elapsed returns the time since Timing saw the request, or 0 when Timing
// does not run for it.
func Elapsed(c *covet.Context) time.Duration {
	if t, ok := timingKey.Get(c); ok {
		return time.Since(t.start)
	}
	return 0
}

type timing struct {
	start time.Time
	hv    [1]string // the header's value slice
	buf   [40]byte  // the header's value: "total;dur=" + milliseconds
}

// BeforeWrite sets Server-Timing (t is a covet.BeforeHook). The value and
// its slice live in t, which is allocated for this request and never changed
// after this call (it runs once): one allocation for the whole middleware.
func (t *timing) BeforeWrite(res *covet.Response) {
	us := time.Since(t.start).Microseconds()
	b := append(t.buf[:0], "total;dur="...)
	b = strconv.AppendInt(b, us/1000, 10)
	frac := us % 1000
	b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	v := unsafe.String(unsafe.SliceData(b), len(b))
	h := res.Header()
	if prev := h["Server-Timing"]; len(prev) > 0 {
		h["Server-Timing"] = append(prev, v)
		return
	}
	t.hv[0] = v
	h["Server-Timing"] = t.hv[:1:1]
}
