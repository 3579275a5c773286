package ws

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	covet "github.com/covetgo/covet/core"
)

// SSEHandler is what a Server-Sent Events route does.
type SSEHandler struct {
	// Hub is the installed hub the streams belong to (required).
	Hub *Hub
	// Accept runs in the request, after the route's middleware: join rooms
	// (s.Join), SetUser. An error refuses the stream with its status.
	Accept func(c *covet.Context, s *Stream) error
	// OnClose runs when the stream ends.
	OnClose func(s *Stream)
}

// Stream is one SSE client. Broadcasts to its rooms reach it as events
// whose id is the hub's event id; a client that reconnects with
// Last-Event-ID first gets the events of its rooms it missed, from the
// replay buffer (WithReplay).
type Stream struct {
	hub    *Hub
	client string
	mu     sync.Mutex
	rooms  []string
	user   string
	ch     chan *outMsg
	gone   chan struct{}
	once   sync.Once
}

// Join adds the stream to a room.
func (s *Stream) Join(room string) { s.hub.join(s, room) }

// Leave removes the stream from a room.
func (s *Stream) Leave(room string) { s.hub.leave(s, room) }

// SetUser ties the stream to a user id (Hub.SendToUser reaches it).
func (s *Stream) SetUser(id string) {
	s.mu.Lock()
	old := s.user
	s.user = id
	s.mu.Unlock()
	h := s.hub
	h.mu.Lock()
	if old != "" {
		delete(h.users[old], s)
	}
	if h.users[id] == nil {
		h.users[id] = map[member]struct{}{}
	}
	h.users[id][s] = struct{}{}
	h.mu.Unlock()
}

// ClientIP is the client address (trusted-proxy aware).
func (s *Stream) ClientIP() string { return s.client }

func (s *Stream) memberRooms() *[]string { return &s.rooms }

// deliver queues an event; a stream whose queue is full is ended.
func (s *Stream) deliver(m *outMsg) bool {
	select {
	case s.ch <- m:
		return true
	default:
		s.end()
		s.hub.stats.sseDropped.Add(1)
		return false
	}
}

func (s *Stream) end() { s.once.Do(func() { close(s.gone) }) }

// SSE registers a Server-Sent Events route on r at pattern (GET, with the
// route's middleware). The response has Content-Type text/event-stream,
// Cache-Control no-cache and X-Accel-Buffering no (so nginx does not buffer
// it; the compress plugin never compresses text/event-stream); a retry:
// line (WithRetry plus up to 50 % random jitter, so that the clients of an
// instance that dies do not all reconnect at once), heartbeat comments,
// and the events of the stream's rooms.
func SSE(r covet.Router, pattern string, h SSEHandler, opts ...Option) *covet.Route {
	if h.Hub == nil {
		panic(fmt.Sprintf("ws: SSE %s: SSEHandler.Hub is nil (create one with ws.NewHub and app.Install it)", pattern))
	}
	cfg := h.Hub.cfg
	for _, o := range opts {
		o(&cfg)
	}
	return r.Handle(http.MethodGet, pattern, func(c *covet.Context) error {
		return serveSSE(c, h, &cfg)
	})
}

func serveSSE(c *covet.Context, sh SSEHandler, cfg *config) error {
	hub := sh.Hub
	client := c.ClientIP()
	if err := hub.admit(client, cfg); err != nil {
		return err
	}
	defer hub.release(client)
	s := &Stream{hub: hub, client: client, ch: make(chan *outMsg, max(cfg.sseQueue, 1)), gone: make(chan struct{})}
	hub.mu.Lock()
	hub.streams[s] = struct{}{}
	hub.mu.Unlock()
	defer func() {
		hub.mu.Lock()
		delete(hub.streams, s)
		hub.mu.Unlock()
		s.mu.Lock()
		user := s.user
		s.mu.Unlock()
		hub.removeMember(s, user)
		if sh.OnClose != nil {
			sh.OnClose(s)
		}
	}()
	if sh.Accept != nil {
		if err := sh.Accept(c, s); err != nil {
			return err
		}
	}
	after := resumeID(c.Request())
	w := c.Response()
	rc := http.NewResponseController(w)
	// extend pushes the server's write deadline (set when the request
	// was read) WriteTimeout past now, before each write: it bounds one
	// write (a client that stopped reading), not the stream's life.
	extend := func() {
		if d := hub.writeTimeout; d > 0 {
			_ = rc.SetWriteDeadline(time.Now().Add(d))
		}
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no")
	hd.Del("Content-Length")
	w.WriteHeader(http.StatusOK)
	buf := make([]byte, 0, 512)
	if cfg.retry > 0 {
		buf = fmt.Appendf(buf, "retry: %d\n\n", jitter(cfg.retry).Milliseconds())
	}
	if cur := hub.nextID.Load(); cur > 0 && after > cur && hub.cfg.replayStore == nil {
		// An id this hub has not reached (forged, or from an instance
		// whose clock is ahead) would skip every live event until the
		// counter passed it: resume from the newest event instead. (With
		// a replay store, ids come from the store's clock, which may be
		// ahead of this instance's counter: the store answers.)
		after = cur
	}
	if after > 0 {
		s.mu.Lock()
		rooms := append([]string(nil), s.rooms...)
		s.mu.Unlock()
		replayed := after
		for _, m := range hub.replay(c.Request().Context(), rooms, after) {
			buf = appendEvent(buf, m)
			replayed = max(replayed, m.id)
		}
		// Events queued since Join are in the replay too: send them once.
		after = replayed
	}
	extend()
	if _, err := w.Write(buf); err != nil {
		return nil
	}
	if err := w.FlushError(); err != nil {
		return nil
	}
	var tick <-chan time.Time
	if cfg.heartbeat > 0 {
		t := time.NewTicker(cfg.heartbeat)
		defer t.Stop()
		tick = t.C
	}
	done := c.Request().Context().Done()
	for {
		buf = buf[:0]
		select {
		case <-done:
			return nil
		case <-hub.done:
			return nil
		case <-s.gone:
			return nil
		case <-tick:
			buf = append(buf, ": ping\n\n"...)
		case m := <-s.ch:
			if m.id <= after {
				continue // already sent from the replay buffer
			}
			buf = appendEvent(buf, m)
			// Take what else is queued into the same write.
		more:
			for len(buf) < 32<<10 {
				select {
				case m := <-s.ch:
					if m.id > after {
						buf = appendEvent(buf, m)
					}
				default:
					break more
				}
			}
		}
		extend()
		if _, err := w.Write(buf); err != nil {
			return nil
		}
		if err := w.FlushError(); err != nil {
			return nil
		}
	}
}

// appendEvent frames one event (the data is JSON, so it has no newline).
// resumeID is the id a client resumes after: the Last-Event-ID header an
// EventSource sends when it reconnects by itself, else the lastEventId query
// parameter (a page that replaces a failed EventSource by a new one cannot
// set the header); 0 for none or an unparsable id.
func resumeID(r *http.Request) uint64 {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("lastEventId")
	}
	id, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
	return id
}

func appendEvent(buf []byte, m *outMsg) []byte {
	buf = append(buf, "id: "...)
	buf = strconv.AppendUint(buf, m.id, 10)
	buf = append(buf, '\n')
	if m.event != "" {
		buf = append(buf, "event: "...)
		buf = append(buf, m.event...)
		buf = append(buf, '\n')
	}
	buf = append(buf, "data: "...)
	buf = append(buf, m.data...)
	return append(buf, '\n', '\n')
}

// jitter returns d plus a random part of up to half of d: each stream's
// retry: hint differs, so the clients of an instance that goes away come
// back spread over that half instead of all in the same instant.
func jitter(d time.Duration) time.Duration {
	if d < 2 {
		return d
	}
	return d + rand.N(d/2) // #nosec G404 -- spreads reconnections, no security use
}
