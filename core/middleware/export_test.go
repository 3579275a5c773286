package middleware

import (
	"time"

	covet "github.com/covetgo/covet/core"
)

// TimeoutWithTrigger is Timeout, and a function that expires every request
// running under it at once, as if its deadline had passed: tests decide when
// the deadline comes instead of racing the scheduler.
func TimeoutWithTrigger(d time.Duration, opts ...TimeoutOption) (covet.Middleware, func()) {
	mw, q := newTimeout(d, opts...)
	return mw, func() { q.expire(0, true) }
}

// HexDigits exposes hexDigits to the tests.
var HexDigits = hexDigits

// TimingFormat exposes Timing's header value formatting to the tests.
func TimingFormat(us int64) string { return new(timing).format(us) }

// AppendRFC3339Nano exposes the access log's time formatting to the tests.
var AppendRFC3339Nano = appendRFC3339Nano
