package middleware

import (
	"net/http/httptest"
	"testing"
	"time"
)

// TestTimeoutQueue: requests leave the queue when they finish, and expire
// answers exactly those whose deadline passed, oldest first, leaving the
// rest queued (explicit clock readings: nothing here waits on a timer).
func TestTimeoutQueue(t *testing.T) {
	q := newTimeoutQueue(time.Hour)
	defer q.timer.Stop()
	base := time.Now()
	cfg := &timeoutConfig{status: 503, detail: "test"}
	var es []*timeoutEntry
	for i := range 5 {
		e := &timeoutEntry{timeoutRequest: timeoutRequest{w: httptest.NewRecorder(), cfg: cfg, method: "GET", path: "/"}}
		q.add(e, base.Add(time.Duration(i)*time.Second))
		es = append(es, e)
	}
	q.leave(es[1], nil) // finished early
	q.leave(es[4], nil) // the tail
	q.leave(es[1], nil) // removing twice is harmless
	order := func() []*timeoutEntry {
		var got []*timeoutEntry
		for e := q.head; e != nil; e = e.next {
			got = append(got, e)
		}
		return got
	}
	if got := order(); len(got) != 3 || got[0] != es[0] || got[1] != es[2] || got[2] != es[3] || q.tail != es[3] {
		t.Fatalf("queue after removals: %v", got)
	}
	q.expire(base.Add(time.Hour+2*time.Second).Sub(clockBase), false) // es[0] and es[2] are due
	for i, want := range []int32{stateTimedOut, stateRunning, stateTimedOut, stateRunning, stateRunning} {
		if got := es[i].state.Load(); got != want {
			t.Errorf("entry %d: state %d, want %d", i, got, want)
		}
	}
	if got := order(); len(got) != 1 || got[0] != es[3] || !q.armed {
		t.Errorf("queue after expiry: %v, armed %v; want entry 3 left, timer armed", got, q.armed)
	}
	if rec := es[0].w.(*httptest.ResponseRecorder); rec.Code != 503 || rec.Header().Get("Connection") != "close" {
		t.Errorf("expired entry answered %d, headers %v", rec.Code, rec.Header())
	}
	q.leave(es[3], nil)
	if q.head != nil || q.tail != nil {
		t.Errorf("queue not empty: head %p, tail %p", q.head, q.tail)
	}
	q.expire(0, true)
	if q.armed {
		t.Error("timer still armed with nothing queued")
	}
}

// add queues e as started at start.
func (q *timeoutQueue) add(e *timeoutEntry, start time.Time) {
	q.mu.Lock()
	q.linkLocked(e, start.Sub(clockBase))
	q.mu.Unlock()
}
