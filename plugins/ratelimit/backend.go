package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Backend stores the limiters' state. Memory (the default) keeps it in the
// process; package redisstore's Store shares it between instances through
// Redis. A Backend must be safe for
// concurrent use.
type Backend interface {
	// Take checks one request against every limit in reqs at once: if all
	// of them allow it, it consumes one request from each and reports true;
	// if any refuses, it consumes nothing and reports false. It fills
	// out[i] (len(out) >= len(reqs)) with each limit's answer either way.
	// An error means the backend could not answer (out is then undefined);
	// the policy's FailureMode decides what happens to the request.
	Take(ctx context.Context, reqs []Request, out []Decision) (bool, error)
}

// Request is one limit to check for one request.
type Request struct {
	// Scope identifies the limit (policy and limit name, and algorithm):
	// requests with the same Scope and Key share a counter.
	Scope string
	// Key identifies the client (an IP, a user ID, a hashed API key).
	Key string
	// Limit is the limit to apply.
	Limit Limit
}

// Decision is one limit's answer for one request.
type Decision struct {
	// Allowed reports whether this limit lets the request through.
	Allowed bool
	// Remaining is how many more requests the limit allows right now.
	Remaining int64
	// Reset is how long until the limit's quota is whole again (GCRA) or
	// its current window ends (sliding window).
	Reset time.Duration
	// RetryAfter is, for a refused request, how long until one would be allowed.
	RetryAfter time.Duration
}

// LoggerSetter is implemented by a backend that logs (redisstore's): the
// limiter gives it the app's logger when it is installed.
type LoggerSetter interface {
	SetLogger(l *slog.Logger)
}

// ErrUnavailable is returned (wrapped) by a backend that cannot answer, for
// example when its circuit breaker is open.
var ErrUnavailable = errors.New("ratelimit: backend unavailable")

func decision(o outcome) Decision {
	return Decision{
		Allowed:    o.allowed,
		Remaining:  o.remaining,
		Reset:      time.Duration(o.reset) * time.Microsecond,
		RetryAfter: time.Duration(o.retry) * time.Microsecond,
	}
}
