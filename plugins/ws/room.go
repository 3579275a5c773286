package ws

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// member is what a room holds: a WebSocket Conn or an SSE Stream.
type member interface {
	deliver(m *outMsg) bool // false: not delivered (closed, overflowed, behind)
	memberRooms() *[]string
}

// outMsg is one broadcast as delivered on this instance: the JSON payload,
// the event id SSE streams see, and the WebSocket frame, built once for all
// receivers.
type outMsg struct {
	id    uint64
	event string
	data  []byte

	once  sync.Once
	frame []byte

	zonce  sync.Once
	zframe []byte // compressed (RSV1) frame, built once for all deflate receivers
}

func (m *outMsg) wsFrame() []byte {
	m.once.Do(func() { m.frame = appendFrame(make([]byte, 0, len(m.data)+10), 0x1, m.data) })
	return m.frame
}

// frameFor is the message's frame for c: compressed once per message for
// every receiver that negotiated permessage-deflate (no context takeover
// makes the compressed bytes the same for all of them).
func (m *outMsg) frameFor(c *Conn) []byte {
	cfg := &c.route.cfg
	if !c.deflate || len(m.data) < cfg.compressMin {
		return m.wsFrame()
	}
	m.zonce.Do(func() {
		if z, ok := deflatePayload(m.data, cfg.compressLevel); ok {
			m.zframe = appendFrame(make([]byte, 0, len(z)+10), 0x1, z)
			m.zframe[0] |= 0x40
		}
	})
	if m.zframe == nil {
		return m.wsFrame()
	}
	return m.zframe
}

type room struct {
	members map[member]struct{}
	// replay is a ring of the last events for SSE resumption.
	replay []*outMsg
	head   int
	last   int64 // unix nanos of the newest remembered event
}

// roomSweepEvery is how many rooms are made between two sweeps of the
// expired ones (see WithReplayRetention).
const roomSweepEvery = 1024

// newRoom makes and registers a room; every roomSweepEvery rooms it first
// drops those without members whose newest event is older than the
// retention. h.mu is held.
func (h *Hub) newRoom(name string) *room {
	h.roomsMade++
	if h.roomsMade >= roomSweepEvery {
		h.roomsMade = 0
		cutoff := time.Now().Add(-h.cfg.replayKeep).UnixNano()
		for n, r := range h.rooms {
			if len(r.members) == 0 && r.last < cutoff {
				delete(h.rooms, n)
			}
		}
	}
	r := &room{members: map[member]struct{}{}}
	h.rooms[name] = r
	return r
}

func (r *room) remember(m *outMsg, size int) {
	if size <= 0 {
		return
	}
	r.last = time.Now().UnixNano()
	if len(r.replay) < size {
		r.replay = append(r.replay, m)
		return
	}
	r.replay[r.head] = m
	r.head = (r.head + 1) % size
}

// since returns the remembered events with an id above after, oldest first.
func (r *room) since(after uint64) []*outMsg {
	var out []*outMsg
	n := len(r.replay)
	for i := 0; i < n; i++ {
		m := r.replay[(r.head+i)%n]
		if m.id > after {
			out = append(out, m)
		}
	}
	return out
}

func (c *Conn) memberRooms() *[]string { return &c.rooms }

func (c *Conn) deliver(m *outMsg) bool { return c.writeFrame(m.frameFor(c)) == nil }

func (h *Hub) join(m member, name string) {
	h.mu.Lock()
	r := h.rooms[name]
	if r == nil {
		r = h.newRoom(name)
	}
	_, already := r.members[m]
	r.members[m] = struct{}{}
	h.mu.Unlock()
	if already {
		return
	}
	h.lockMember(m, func(rooms *[]string) { *rooms = append(*rooms, name) })
	h.presenceChanged(name)
}

func (h *Hub) leave(m member, name string) {
	h.mu.Lock()
	r := h.rooms[name]
	if r == nil {
		h.mu.Unlock()
		return
	}
	delete(r.members, m)
	if len(r.members) == 0 && len(r.replay) == 0 {
		delete(h.rooms, name)
	}
	h.mu.Unlock()
	h.lockMember(m, func(rooms *[]string) {
		for i, n := range *rooms {
			if n == name {
				*rooms = append((*rooms)[:i], (*rooms)[i+1:]...)
				break
			}
		}
	})
	h.presenceChanged(name)
}

func (h *Hub) lockMember(m member, f func(*[]string)) {
	switch v := m.(type) {
	case *Conn:
		v.mu.Lock()
		f(&v.rooms)
		v.mu.Unlock()
	case *Stream:
		v.mu.Lock()
		f(&v.rooms)
		v.mu.Unlock()
	}
}

// removeMember takes m out of every room and its user.
func (h *Hub) removeMember(m member, user string) {
	var rooms []string
	h.lockMember(m, func(rs *[]string) { rooms = append(rooms, *rs...); *rs = nil })
	h.mu.Lock()
	for _, name := range rooms {
		if r := h.rooms[name]; r != nil {
			delete(r.members, m)
			if len(r.members) == 0 && len(r.replay) == 0 {
				delete(h.rooms, name)
			}
		}
	}
	if user != "" {
		if set := h.users[user]; set != nil {
			delete(set, m)
			if len(set) == 0 {
				delete(h.users, user)
			}
		}
	}
	h.mu.Unlock()
	for _, name := range rooms {
		h.presenceChanged(name)
	}
}

func (h *Hub) setUser(c *Conn, id string) {
	c.mu.Lock()
	old := c.user
	c.user = id
	c.mu.Unlock()
	h.mu.Lock()
	if old != "" {
		delete(h.users[old], c)
		if len(h.users[old]) == 0 {
			delete(h.users, old)
		}
	}
	if id != "" {
		set := h.users[id]
		if set == nil {
			set = map[member]struct{}{}
			h.users[id] = set
		}
		set[c] = struct{}{}
	}
	h.mu.Unlock()
}

// Members returns the number of local WebSocket connections and SSE streams
// in a room (this instance only; Presence is the cross-instance view).
func (h *Hub) Members(room string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if r := h.rooms[room]; r != nil {
		return len(r.members)
	}
	return 0
}

// Broadcast sends v, encoded as JSON once, to every member of room on this
// instance and, with a broker, on every other instance. SSE streams receive
// it as an event of type "message". Local delivery does not wait for the
// broker and happens even when the broker is down (the failure is counted
// in Stats.BrokerFailed and returned).
func (h *Hub) Broadcast(ctx context.Context, room string, v any) error {
	return h.publish(ctx, envelope{Kind: kindRoom, Target: room}, v)
}

// BroadcastEvent is Broadcast with an SSE event type (WebSocket clients get
// the same JSON as a text message). An event type containing a line break
// (CR or LF) is refused with an error: its text would add fields (data:,
// id:, retry:) to every stream of the room.
func (h *Hub) BroadcastEvent(ctx context.Context, room, event string, v any) error {
	if strings.ContainsAny(event, "\r\n") {
		return fmt.Errorf("ws: SSE event type %q contains a line break", event)
	}
	return h.publish(ctx, envelope{Kind: kindRoom, Target: room, Event: event}, v)
}

// BroadcastAll sends v to every connection and stream of the hub (and of
// every instance, with a broker).
func (h *Hub) BroadcastAll(ctx context.Context, v any) error {
	return h.publish(ctx, envelope{Kind: kindAll}, v)
}

// SendToUser sends v to every connection whose SetUser was user, on every
// instance.
func (h *Hub) SendToUser(ctx context.Context, user string, v any) error {
	return h.publish(ctx, envelope{Kind: kindUser, Target: user}, v)
}

func (h *Hub) publish(ctx context.Context, env envelope, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	env.Data = data
	if env.Kind == kindRoom {
		if rr, rb, ok := h.redisPair(); ok {
			return h.appendAndPublish(ctx, rr, rb, env)
		}
	}
	if st := h.cfg.replayStore; st != nil && env.Kind == kindRoom {
		id, err := st.Append(ctx, env.Target, ReplayEvent{Event: env.Event, Data: data})
		if err != nil {
			h.stats.replayFailed.Add(1)
			h.log.Warn("ws: replay store append failed", "room", env.Target, "err", err)
		}
		env.ID = id
	}
	h.deliverLocal(env)
	if h.cfg.broker == nil {
		return nil
	}
	return h.publishBroker(ctx, env)
}

// deliverLocal fans a message out to the local members. The frame is built
// once; each member gets one non-blocking write.
func (h *Hub) deliverLocal(env envelope) {
	var m *outMsg
	if env.ID != 0 {
		h.seenID(env.ID)
		m = &outMsg{id: env.ID, event: env.Event, data: env.Data}
	} else {
		m = &outMsg{id: h.eventID(), event: env.Event, data: env.Data}
	}
	var targets []member
	h.mu.Lock()
	switch env.Kind {
	case kindRoom:
		r := h.rooms[env.Target]
		if r == nil && h.cfg.replaySize > 0 {
			r = h.newRoom(env.Target)
		}
		if r != nil {
			r.remember(m, h.cfg.replaySize)
			targets = make([]member, 0, len(r.members))
			for mb := range r.members {
				targets = append(targets, mb)
			}
		}
	case kindUser:
		for mb := range h.users[env.Target] {
			targets = append(targets, mb)
		}
	case kindAll:
		targets = make([]member, 0, len(h.conns)+len(h.streams))
		for c := range h.conns {
			targets = append(targets, c)
		}
		for s := range h.streams {
			targets = append(targets, s)
		}
	}
	h.mu.Unlock()
	var sent, dropped int64
	for _, t := range targets {
		if t.deliver(m) {
			sent++
		} else {
			dropped++
		}
	}
	h.stats.broadcasts.Add(1)
	if sent > 0 {
		h.stats.sent.Add(sent)
	}
	if dropped > 0 {
		h.stats.dropped.Add(dropped)
	}
}

// replay returns the events of rooms after id, in id order: from the
// replay store when there is one (every instance's events, across
// restarts), else (or when it fails) from this instance's memory.
func (h *Hub) replay(ctx context.Context, rooms []string, after uint64) []*outMsg {
	if st := h.cfg.replayStore; st != nil {
		evs, err := st.Since(ctx, rooms, after)
		if err == nil {
			out := make([]*outMsg, len(evs))
			for i, ev := range evs {
				out[i] = &outMsg{id: ev.ID, event: ev.Event, data: ev.Data}
			}
			return out
		}
		h.stats.replayFailed.Add(1)
		h.log.Warn("ws: replay store read failed; replaying from memory", "err", err)
	}
	return h.replaySince(rooms, after)
}

// replaySince returns the events of rooms after id, in id order.
func (h *Hub) replaySince(rooms []string, after uint64) []*outMsg {
	h.mu.RLock()
	var out []*outMsg
	for _, name := range rooms {
		if r := h.rooms[name]; r != nil {
			out = append(out, r.since(after)...)
		}
	}
	h.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}
