package middleware

import "sync"

// slabRequests is how many requests share one slab.
const slabRequests = 32

// slab hands out values of T from arrays of slabRequests: one allocation
// per slabRequests requests instead of one per request. A value belongs to
// one request and is never reused (a header value in it may be read by
// net/http after the handlers returned, or kept by a handler or a log
// record); the garbage collector frees an array once nothing in it is
// referenced. Pooled per P, so concurrent requests do not contend.
type slab[T any] struct{ pool sync.Pool }

type slabArray[T any] struct {
	next int
	vs   [slabRequests]T
}

// get returns a zero T that belongs to the caller alone.
func (s *slab[T]) get() *T {
	a, _ := s.pool.Get().(*slabArray[T])
	if a == nil {
		a = new(slabArray[T])
	}
	v := &a.vs[a.next]
	a.next++
	if a.next < slabRequests {
		s.pool.Put(a)
	}
	return v
}

// stringSlabs hands out per-request []string of one length, n, carved from
// arrays of slabRequests*n: one allocation per slabRequests requests instead
// of one per request. A slice is handed out once and never reused (a header
// value slice may be read by net/http after the handlers returned, or kept
// by a handler), so requests never share a value; the garbage collector
// frees an array once nothing in it is referenced. Pooled per P, so
// concurrent requests do not contend.
type stringSlabs struct {
	pool sync.Pool
	n    int
}

type stringSlab struct {
	vals []string
	next int
}

// get returns n empty strings that belong to the caller alone, with a
// capacity of n (an append copies them).
func (s *stringSlabs) get() []string {
	sl, _ := s.pool.Get().(*stringSlab)
	if sl == nil {
		sl = &stringSlab{vals: make([]string, s.n*slabRequests)}
	}
	v := sl.vals[sl.next : sl.next+s.n : sl.next+s.n]
	sl.next += s.n
	if sl.next < len(sl.vals) {
		s.pool.Put(sl)
	}
	return v
}
