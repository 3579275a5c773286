package middleware

import (
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
}

func newTimeoutQueue(d time.Duration) *timeoutQueue {
	q := &timeoutQueue{d: d}
	q.timer = time.AfterFunc(time.Hour, q.fire)
	q.timer.Stop()
	return q
}

// add queues e, started at start (its deadline is start + q.d).
func (q *timeoutQueue) add(e *timeoutEntry, start time.Time) {
	e.q, e.start = q, start
	q.mu.Lock()
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
		q.timer.Reset(q.d - time.Since(start))
	}
	q.mu.Unlock()
}

// remove takes e out of the queue, if the timer did not already.
func (q *timeoutQueue) remove(e *timeoutEntry) {
	q.mu.Lock()
	if e.queued {
		q.unlinkLocked(e)
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
	q.expire(time.Now())
}

// expire expires the requests whose deadline is not after now (all of them
// for a zero now).
func (q *timeoutQueue) expire(now time.Time) {
	var due []*timeoutEntry
	q.mu.Lock()
	for e := q.head; e != nil && (now.IsZero() || now.Sub(e.start) >= q.d); e = q.head {
		q.unlinkLocked(e)
		due = append(due, e)
	}
	if q.head != nil {
		q.armed = true
		q.timer.Reset(q.d - time.Since(q.head.start))
	} else {
		q.armed = false
	}
	q.mu.Unlock()
	for _, e := range due {
		e.expire()
	}
}
