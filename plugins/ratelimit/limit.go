package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Algorithm is how a limit counts requests.
type Algorithm uint8

const (
	// GCRA is the generic cell rate algorithm (a token bucket kept as one
	// timestamp): requests are spread at the limit's rate, and up to Burst
	// may arrive at once. It is smooth, exact and needs one value per key.
	// It is the default.
	GCRA Algorithm = iota
	// SlidingWindow counts requests in fixed windows and weighs the previous
	// window's count by how much of it still overlaps the sliding window
	// ending now (Cloudflare's sliding-window counter). It never allows more
	// than the limit in any window-aligned period and allows no burst
	// beyond the limit.
	SlidingWindow
)

// String returns "gcra" or "sliding-window".
func (a Algorithm) String() string {
	if a == SlidingWindow {
		return "sliding-window"
	}
	return "gcra"
}

// Limit is a number of requests per period, with a burst for GCRA: build
// one with PerSecond, PerMinute, PerHour, PerDay, Per or ParseLimit and
// refine it with its methods, which return a changed copy:
//
//	ratelimit.PerMinute(100).Burst(20)                 // GCRA, 100 a minute, 20 at once
//	ratelimit.PerDay(1000).SlidingWindow().Named("daily")
//	ratelimit.PerSecond(5).By(ratelimit.APIKey("X-API-Key"))
//
// A Limit built from invalid values (a rate of 0, a burst with a sliding
// window) keeps the error; NewPolicy reports it.
type Limit struct {
	rate   int64
	period time.Duration
	burst  int64
	algo   Algorithm
	key    *Key
	name   string
	err    error
}

// Per returns a limit of n requests per period, counted with GCRA and a
// burst of n.
func Per(n int, period time.Duration) Limit {
	l := Limit{rate: int64(n), period: period}
	switch {
	case n < 1:
		l.err = fmt.Errorf("ratelimit: limit %d per %s: the count must be at least 1", n, period)
	case n > math.MaxInt32:
		l.err = fmt.Errorf("ratelimit: limit %d per %s: the count must be at most %d", n, period, math.MaxInt32)
	case period < time.Millisecond:
		l.err = fmt.Errorf("ratelimit: limit %d per %s: the period must be at least 1ms", n, period)
	case period/time.Microsecond/time.Duration(n) < 1:
		l.err = fmt.Errorf("ratelimit: limit %d per %s: more than one request per microsecond", n, period)
	}
	return l
}

// PerSecond returns a limit of n requests per second.
func PerSecond(n int) Limit { return Per(n, time.Second) }

// PerMinute returns a limit of n requests per minute.
func PerMinute(n int) Limit { return Per(n, time.Minute) }

// PerHour returns a limit of n requests per hour.
func PerHour(n int) Limit { return Per(n, time.Hour) }

// PerDay returns a limit of n requests per day (24 hours).
func PerDay(n int) Limit { return Per(n, 24*time.Hour) }

// Burst sets how many requests GCRA lets through at once, from a key that
// has been quiet (default: the limit's count). After a burst, requests are
// allowed again at the limit's rate. A sliding window has no burst.
func (l Limit) Burst(n int) Limit {
	if n < 1 || n > math.MaxInt32 {
		l.setErr(fmt.Errorf("ratelimit: limit %s: burst %d must be between 1 and %d", l, n, math.MaxInt32))
		return l
	}
	if l.algo == SlidingWindow {
		l.setErr(fmt.Errorf("ratelimit: limit %s: a sliding window has no burst", l))
		return l
	}
	l.burst = int64(n)
	return l
}

// SlidingWindow counts the limit with the sliding-window counter instead of GCRA.
func (l Limit) SlidingWindow() Limit {
	if l.burst != 0 {
		l.setErr(fmt.Errorf("ratelimit: limit %s: a sliding window has no burst", l))
	}
	l.algo = SlidingWindow
	return l
}

// By sets the key this limit counts by, instead of the policy's key (for
// example per API key per second, but per IP per day).
func (l Limit) By(k Key) Limit {
	l.key = &k
	return l
}

// Named names the limit in the RateLimit-Policy and RateLimit headers and in
// storage keys. Names are letters, digits and ".-_". The default is the
// policy's name, followed for policies with several limits by the period
// ("api.second", "api.day").
func (l Limit) Named(name string) Limit {
	if !validName(name) {
		l.setErr(fmt.Errorf("ratelimit: limit name %q: use letters, digits and .-_", name))
		return l
	}
	l.name = name
	return l
}

func (l *Limit) setErr(err error) {
	if l.err == nil {
		l.err = err
	}
}

// Count returns the number of requests allowed per period.
func (l Limit) Count() int { return int(l.rate) }

// Period returns the limit's period.
func (l Limit) Period() time.Duration { return l.period }

// BurstSize returns how many requests may arrive at once (the count for a
// sliding window, or a GCRA limit without Burst).
func (l Limit) BurstSize() int {
	if l.burst == 0 || l.algo == SlidingWindow {
		return int(l.rate)
	}
	return int(l.burst)
}

// Algorithm returns the limit's algorithm.
func (l Limit) Algorithm() Algorithm { return l.algo }

// Name returns the name set with Named, or "".
func (l Limit) Name() string { return l.name }

// Err returns the error of an invalid limit, or nil.
func (l Limit) Err() error { return l.err }

// String formats the limit as ParseLimit reads it: "100/minute burst 20",
// "1000/day sliding".
func (l Limit) String() string {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(l.rate, 10))
	b.WriteByte('/')
	b.WriteString(periodName(l.period))
	if l.burst != 0 && l.burst != l.rate && l.algo == GCRA {
		b.WriteString(" burst ")
		b.WriteString(strconv.FormatInt(l.burst, 10))
	}
	if l.algo == SlidingWindow {
		b.WriteString(" sliding")
	}
	return b.String()
}

func periodName(d time.Duration) string {
	switch d {
	case time.Second:
		return "second"
	case time.Minute:
		return "minute"
	case time.Hour:
		return "hour"
	case 24 * time.Hour:
		return "day"
	}
	return d.String()
}

// ParseLimit reads a limit written as COUNT/PERIOD, optionally followed by
// "burst N" and/or "sliding": "100/minute", "100/min burst 20",
// "5/s", "1000/day sliding", "10/30s". PERIOD is second, minute, hour or day
// (s, sec, m, min, h, hr, d also work, and plural forms), or a Go duration.
func ParseLimit(s string) (Limit, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return Limit{}, errors.New("ratelimit: empty limit")
	}
	countStr, periodStr, ok := strings.Cut(fields[0], "/")
	if !ok {
		return Limit{}, fmt.Errorf("ratelimit: limit %q: want COUNT/PERIOD, such as 100/minute", s)
	}
	n, err := strconv.Atoi(countStr)
	if err != nil {
		return Limit{}, fmt.Errorf("ratelimit: limit %q: count %q is not a number", s, countStr)
	}
	period, err := parsePeriod(periodStr)
	if err != nil {
		return Limit{}, fmt.Errorf("ratelimit: limit %q: %w", s, err)
	}
	l := Per(n, period)
	rest := fields[1:]
	for len(rest) > 0 {
		switch strings.ToLower(rest[0]) {
		case "burst":
			if len(rest) < 2 {
				return Limit{}, fmt.Errorf("ratelimit: limit %q: burst needs a number", s)
			}
			b, err := strconv.Atoi(rest[1])
			if err != nil {
				return Limit{}, fmt.Errorf("ratelimit: limit %q: burst %q is not a number", s, rest[1])
			}
			l = l.Burst(b)
			rest = rest[2:]
		case "sliding":
			l = l.SlidingWindow()
			rest = rest[1:]
		default:
			return Limit{}, fmt.Errorf("ratelimit: limit %q: unexpected %q", s, rest[0])
		}
	}
	return l, l.err
}

// MustParseLimit is ParseLimit for limits written in the program; it panics
// on an error.
func MustParseLimit(s string) Limit {
	l, err := ParseLimit(s)
	if err != nil {
		panic(err.Error())
	}
	return l
}

func parsePeriod(s string) (time.Duration, error) {
	switch strings.ToLower(s) {
	case "s", "sec", "secs", "second", "seconds":
		return time.Second, nil
	case "m", "min", "mins", "minute", "minutes":
		return time.Minute, nil
	case "h", "hr", "hrs", "hour", "hours":
		return time.Hour, nil
	case "d", "day", "days":
		return 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("period %q is not second, minute, hour, day or a duration", s)
	}
	return d, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '-' || b == '_') {
			return false
		}
	}
	return true
}
