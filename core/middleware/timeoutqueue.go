package middleware

import (
	"net/http"
	"sync"
	"time"
)

// timeoutQueue holds the running requests of one Timeout, oldest first, and
// one timer for all of them. Every request gets the same duration, so the
// queue is in deadline order (to within the microseconds between reading the
// clock and taking the lock) and the timer only needs the oldest deadline.
// The timer is not re-armed per request: while it is armed for an earlier
// deadline than a new request's, the request just joins the queue; when it
// fires it answers what expired and re-arms for the oldest request left. A
// steady stream of requests costs a lock to join and one to leave, not a
// timer each.
type timeoutQueue struct {
	mu         sync.Mutex
	head, tail *timeoutEntry
	timer      *time.Timer
	armed      bool
	d          time.Duration // every request's

	// The entries and the handlers' header maps come from here, under mu:
	// the current slab of entries (the requests take mu to join the queue
	// anyway), and the emptied maps of finished requests (taken by the
	// handlers that set headers before they start the response).
	slab  *timeoutSlab
	spare []http.Header
}

// maxSpareHeaders bounds the maps kept for the next requests: as many as
// requests ran at once under one Timeout, up to this.
const maxSpareHeaders = 256

// timeoutSlab holds timeoutSlabSize entries: one allocation for that many
// requests. An entry is used by one request only and never reused (it is
// the request's context, which a goroutine may keep after the request); the
// garbage collector frees a slab once no entry in it is referenced. An entry
// drops its writer when the request ends, so a context kept long does not
// keep the other requests' writers alive.
type timeoutSlab struct {
	next int
	es   [timeoutSlabSize]timeoutEntry
}

const timeoutSlabSize = 16

// clockBase is the origin of the entries' start times: a monotonic reading
// (time.Since) costs less than time.Now.
var clockBase = time.Now()

func clock() time.Duration { return time.Since(clockBase) }

func newTimeoutQueue(d time.Duration) *timeoutQueue {
	q := &timeoutQueue{d: d}
	q.timer = time.AfterFunc(time.Hour, q.fire)
	q.timer.Stop()
	return q
}

// enter starts a timed request r: its entry joins the queue, ready for the
// timer. The clock is read under the lock, so the queue is in deadline
// order.
func (q *timeoutQueue) enter(r timeoutRequest) *timeoutEntry {
	q.mu.Lock()
	s := q.slab
	if s == nil || s.next == timeoutSlabSize {
		s = new(timeoutSlab)
		q.slab = s
	}
	e := &s.es[s.next]
	s.next++
	e.timeoutRequest = r
	q.linkLocked(e, clock())
	q.mu.Unlock()
	return e
}

// header returns an empty header map: a finished request's, or a new one.
func (q *timeoutQueue) header() http.Header {
	q.mu.Lock()
	if n := len(q.spare); n > 0 {
		h := q.spare[n-1]
		q.spare[n-1] = nil
		q.spare = q.spare[:n-1]
		q.mu.Unlock()
		return h
	}
	q.mu.Unlock()
	return make(http.Header, 8)
}

// linkLocked queues e, started at start (its deadline is start + q.d).
func (q *timeoutQueue) linkLocked(e *timeoutEntry, start time.Duration) {
	e.q, e.start = q, start
	e.queued = true
	e.prev, e.next = q.tail, nil
	if q.tail == nil {
		q.head = e
	} else {
		q.tail.next = e
	}
	q.tail = e
	if !q.armed {
		q.armed = true
		q.timer.Reset(q.d - (clock() - start))
	}
}

// leave takes e out of the queue, if the timer did not already, and keeps
// h (empty, or nil) for a later request.
func (q *timeoutQueue) leave(e *timeoutEntry, h http.Header) {
	q.mu.Lock()
	if e.queued {
		q.unlinkLocked(e)
	}
	if h != nil && len(q.spare) < maxSpareHeaders {
		q.spare = append(q.spare, h)
	}
	q.mu.Unlock()
}

func (q *timeoutQueue) unlinkLocked(e *timeoutEntry) {
	if e.prev == nil {
		q.head = e.next
	} else {
		e.prev.next = e.next
	}
	if e.next == nil {
		q.tail = e.prev
	} else {
		e.next.prev = e.prev
	}
	e.prev, e.next, e.queued = nil, nil, false
}

// fire runs in the timer's goroutine: it takes the expired requests out of
// the queue, re-arms the timer for the oldest one left, then expires them.
func (q *timeoutQueue) fire() {
	q.expire(clock(), false)
}

// expire expires the requests whose deadline is not after now, or all of
// them.
func (q *timeoutQueue) expire(now time.Duration, all bool) {
	var due []*timeoutEntry
	q.mu.Lock()
	for e := q.head; e != nil && (all || now-e.start >= q.d); e = q.head {
		q.unlinkLocked(e)
		due = append(due, e)
	}
	if q.head != nil {
		q.armed = true
		q.timer.Reset(q.d - (clock() - q.head.start))
	} else {
		q.armed = false
	}
	q.mu.Unlock()
	for _, e := range due {
		e.expire()
	}
}
