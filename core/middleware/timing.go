package middleware

import (
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
			t := newTiming()
			t.start = time.Now()
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

// timingSlabs hands out the requests' timing states (see slab).
var timingSlabs slab[timing]

func newTiming() *timing { return timingSlabs.get() }

type timing struct {
	start time.Time
	hv    [1]string // the header's value slice
	buf   [40]byte  // the header's value: "total;dur=" + milliseconds
}

// BeforeWrite sets Server-Timing (t is a covet.BeforeHook). The value and
// its slice live in t, which belongs to this request alone and is never
// changed after this call (it runs once): no allocation of its own.
func (t *timing) BeforeWrite(res *covet.Response) {
	v := t.format(time.Since(t.start).Microseconds())
	h := res.Header()
	if prev := h["Server-Timing"]; len(prev) > 0 {
		h["Server-Timing"] = append(prev, v)
		return
	}
	t.hv[0] = v
	h["Server-Timing"] = t.hv[:1:1]
}

// format writes "total;dur=" and us microseconds as milliseconds with three
// decimals ("total;dur=12.345") into t.buf and returns it. Digits by hand,
// without strconv: this runs on every request, and TestTimingFormat checks
// it against strconv.
func (t *timing) format(us int64) string {
	const prefix = "total;dur="
	if us < 0 {
		us = 0 // a clock cannot go back, but never write a broken value
	}
	b := &t.buf
	copy(b[:len(prefix)], prefix)
	ms := uint64(us) / 1000
	frac := uint64(us) - ms*1000
	end := len(prefix) + 1 // after the milliseconds' digits
	for x := ms; x >= 10; x /= 10 {
		end++
	}
	i := end
	for x := ms; ; x /= 10 {
		i--
		b[i] = byte('0' + x%10)
		if x < 10 {
			break
		}
	}
	b[end] = '.'
	b[end+1] = byte('0' + frac/100)
	b[end+2] = byte('0' + frac/10%10)
	b[end+3] = byte('0' + frac%10)
	return unsafe.String(&b[0], end+4)
}
