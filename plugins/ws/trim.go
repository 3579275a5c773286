package ws

import (
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Idle trim. Every handshake leaves ~10 KB of garbage behind (net/http's
// connection state, the hijacked reader and writer, the request), while
// what an idle WebSocket keeps is ~1 KB. During a burst of handshakes the
// Go heap grows to twice its live size (GOGC=100) and those pages stay
// resident after the burst: measured, 2.1–2.6 KB of RSS per idle
// connection at 10,000 where 1.2–1.7 KB are live. Once at least trimAfter
// handshakes were made since the last trim and none for trimQuiet, the hub
// returns that memory to the OS (debug.FreeOSMemory: one garbage
// collection, then the free pages are released). A server that keeps
// accepting never goes quiet and is not trimmed; its garbage is reused.
type trimmer struct {
	pending atomic.Int64 // handshakes since the last trim
	last    atomic.Int64 // unix nanos of the last handshake
	count   atomic.Int64 // trims done

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

// noteHandshake counts an upgraded connection and arms the trim timer when
// the count reaches the threshold.
func (h *Hub) noteHandshake() {
	if h.cfg.trimAfter <= 0 {
		return
	}
	h.trim.last.Store(time.Now().UnixNano())
	if h.trim.pending.Add(1) == int64(h.cfg.trimAfter) {
		h.armTrim(h.cfg.trimQuiet)
	}
}

func (h *Hub) armTrim(d time.Duration) {
	t := &h.trim
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	if t.timer == nil {
		t.timer = time.AfterFunc(d, h.trimCheck)
	} else {
		t.timer.Reset(d)
	}
}

// trimCheck runs on the timer: trim if the hub has been quiet long enough,
// otherwise look again when it will have been.
func (h *Hub) trimCheck() {
	quiet := time.Duration(time.Now().UnixNano() - h.trim.last.Load())
	if quiet < h.cfg.trimQuiet {
		h.armTrim(h.cfg.trimQuiet - quiet)
		return
	}
	h.trim.mu.Lock()
	stopped := h.trim.stopped
	h.trim.mu.Unlock()
	if stopped {
		return
	}
	h.trim.pending.Store(0)
	debug.FreeOSMemory()
	h.trim.count.Add(1)
}

// stopTrim stops the timer (Hub.Stop); startTrim allows it again (Start).
func (h *Hub) stopTrim() {
	t := &h.trim
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	if t.timer != nil {
		t.timer.Stop()
	}
}

func (h *Hub) startTrim() {
	t := &h.trim
	t.mu.Lock()
	t.stopped = false
	t.mu.Unlock()
	if h.cfg.trimAfter > 0 && t.pending.Load() >= int64(h.cfg.trimAfter) {
		h.armTrim(h.cfg.trimQuiet)
	}
}
