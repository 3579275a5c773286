package ratelimit

import (
	"math"
	"time"
)

// The algorithms work in microseconds on int64 state, as pure functions, so
// that the memory backend and the Redis script (a line-by-line port in
// script.lua) compute the same answers; the tests hold them to it.

// params is a limit reduced to what the algorithms need.
type params struct {
	algo     Algorithm
	periodUS int64 // sliding window: the window
	interval int64 // GCRA: emission interval (period / rate)
	burst    int64 // GCRA: burst; sliding window: the limit
}

func paramsOf(l Limit) params {
	p := params{algo: l.algo, periodUS: int64(l.period / time.Microsecond)}
	if l.algo == SlidingWindow {
		p.burst = l.rate
		return p
	}
	p.interval = p.periodUS / l.rate
	p.burst = l.burst
	if p.burst == 0 {
		p.burst = l.rate
	}
	return p
}

// state is one key's stored state: GCRA keeps the theoretical arrival time
// in a; the sliding window keeps the window index in a and the current and
// previous windows' counts in b (current in the high 32 bits).
type state struct {
	a, b int64
}

// outcome is one limit's answer for one request, in microseconds.
type outcome struct {
	allowed   bool
	remaining int64
	reset     int64 // until the quota is whole again (GCRA) or the window ends
	retry     int64 // when denied: until a request would be allowed
}

// take computes the outcome of one request at now and the state to store if
// the request is let through. exists is false for a key with no state.
func take(p params, st state, exists bool, now int64) (state, outcome) {
	if p.algo == SlidingWindow {
		return slidingTake(p, st, exists, now)
	}
	return gcraTake(p, st, exists, now)
}

func gcraTake(p params, st state, exists bool, now int64) (state, outcome) {
	tat := st.a
	if !exists || tat < now {
		tat = now
	}
	newTat := tat + p.interval
	allowAt := newTat - p.interval*p.burst
	if now < allowAt {
		return st, outcome{allowed: false, remaining: 0, reset: tat - now, retry: allowAt - now}
	}
	return state{a: newTat}, outcome{allowed: true, remaining: (now - allowAt) / p.interval, reset: newTat - now}
}

// notTaken turns the outcome of an allowed limit into the one to report when
// another limit of the same request refused it, so nothing was consumed.
func notTaken(p params, o outcome) outcome {
	if p.algo == SlidingWindow {
		o.remaining++
		return o
	}
	o.remaining++
	o.reset -= p.interval
	if o.reset < 0 {
		o.reset = 0
	}
	return o
}

func slidingTake(p params, st state, exists bool, now int64) (state, outcome) {
	w := p.periodUS
	win := now / w
	var cur, prev int64
	if exists {
		switch st.a {
		case win:
			cur, prev = st.b>>32, st.b&0xffffffff
		case win - 1:
			prev = st.b >> 32
		}
	}
	elapsed := now - win*w
	weighted := float64(prev)*float64(w-elapsed)/float64(w) + float64(cur)
	limit := float64(p.burst)
	if weighted+1 > limit {
		var retry int64
		if float64(cur)+1 <= limit {
			// The previous window's share must shrink to limit-1-cur.
			at := float64(w) - (limit-1-float64(cur))*float64(w)/float64(prev)
			retry = int64(math.Ceil(at)) - elapsed
		} else {
			// This window alone is full: wait for the next one, where this
			// window's count becomes the shrinking previous share.
			at := float64(w) - (limit-1)*float64(w)/float64(cur)
			retry = w - elapsed + int64(math.Ceil(at))
		}
		if retry < 1 {
			retry = 1
		}
		return st, outcome{allowed: false, remaining: 0, reset: w - elapsed, retry: retry}
	}
	cur++
	return state{a: win, b: cur<<32 | prev}, outcome{allowed: true, remaining: int64(math.Floor(limit - weighted - 1)), reset: w - elapsed}
}

// expiry returns when a stored state no longer matters (when a fresh state
// would give the same answers), in microseconds.
func expiry(p params, st state) int64 {
	if p.algo == SlidingWindow {
		return (st.a + 2) * p.periodUS
	}
	return st.a
}
