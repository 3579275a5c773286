package middleware

import "sync"

// slabRequests is how many requests share one slab.
const slabRequests = 32

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
