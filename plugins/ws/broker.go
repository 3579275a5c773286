package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

type msgKind uint8

const (
	kindRoom msgKind = iota + 1
	kindUser
	kindAll
)

// envelope is a broadcast as it travels between instances: a JSON object,
// versioned so that instances of different releases read each other's
// messages during a rolling upgrade.
//
//	version 1 (no "v"; every release): k, t, e, d, f, s and i, the event id
//	         as a decimal number (0 or absent: none).
//	"r"      the Redis stream id ("ms-seq") of an event stored and
//	         published by one script; builds of 0.1.0 before the release
//	         sent it without "i" (an older instance then delivered the
//	         event with an id of its own, and clients resumed wrongly).
//
// A sender writes the oldest version that carries the message: today
// every message is version 1, and the combined replay+publish script puts
// the event id in "i" (packed in Lua, exactly) as well as in "r". A
// receiver reads "i", else "r". A message whose "v" is above
// envelopeVersion (a newer release that had to change what fields mean)
// is not delivered (its fields may mean something else): it is counted in
// Stats.BrokerDropped and logged.
type envelope struct {
	// V is the format version; 0 (absent) is version 1.
	V      uint8           `json:"v,omitempty"`
	Kind   msgKind         `json:"k"`
	Target string          `json:"t,omitempty"`
	Event  string          `json:"e,omitempty"`
	Data   json.RawMessage `json:"d"`
	// From is the publishing instance, Seq its sequence number: receivers
	// skip their own messages and count gaps per publisher.
	From string `json:"f,omitempty"`
	Seq  uint64 `json:"s,omitempty"`
	// ID is the event id given by the replay store (0: none).
	ID uint64 `json:"i,omitempty"`
	// RID is the Redis stream entry id ("ms-seq") of an event stored and
	// published by one script (RedisReplay with a RedisBroker on the same
	// client), with ID; a receiver packs it into ID when ID is absent.
	RID string `json:"r,omitempty"`
}

// envelopeVersion is the newest envelope version this release reads.
const envelopeVersion = 1

// errNewerEnvelope is decodeEnvelope's error for a message of a newer
// release's format.
var errNewerEnvelope = errors.New("ws: broker message of a newer format version")

// decodeEnvelope reads a broker message of any version this release knows.
func decodeEnvelope(msg []byte) (envelope, error) {
	var env envelope
	if err := json.Unmarshal(msg, &env); err != nil {
		return env, err
	}
	if env.V > envelopeVersion {
		return env, fmt.Errorf("%w (%d; this release reads %d)", errNewerEnvelope, env.V, envelopeVersion)
	}
	if env.RID != "" && env.ID == 0 {
		id, err := packStreamID(env.RID)
		if err != nil {
			return env, err
		}
		env.ID = id
	}
	return env, nil
}

// Broker carries broadcasts between the instances of an app. The hub
// publishes every broadcast once and delivers what other instances publish
// to its local members. Implementations: RedisBroker and NATSBroker.
//
// Delivery is at most once: a message published while an instance is cut
// off from the broker does not reach it. Every message carries its
// publisher's sequence number, so a receiving hub counts each lost message
// (Stats.BrokerDropped) and logs the gap; nothing is lost silently.
type Broker interface {
	// Publish sends one message to every subscribed instance (this one
	// included; the hub skips its own).
	Publish(ctx context.Context, msg []byte) error
	// Subscribe calls ready once the subscription is in place, then deliver
	// for every message, in the order each publisher sent them, until ctx
	// ends (it then returns nil) or the subscription breaks (it returns the
	// error; the hub subscribes again with backoff).
	Subscribe(ctx context.Context, ready func(), deliver func(msg []byte)) error
	// Close releases the broker's connections.
	Close() error
}

type brokerState struct {
	mu      sync.Mutex
	pubSeq  uint64
	lastSeq map[string]uint64
	ready   chan struct{}
	once    sync.Once
}

func (h *Hub) startBroker(ctx context.Context) {
	h.bs = &brokerState{lastSeq: map[string]uint64{}, ready: make(chan struct{})}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			err := h.cfg.broker.Subscribe(ctx,
				func() {
					h.bs.once.Do(func() { close(h.bs.ready) })
					backoff = 100 * time.Millisecond
				},
				h.fromBroker)
			if ctx.Err() != nil {
				return
			}
			h.log.Warn("ws: broker subscription broke; subscribing again", "err", err, "in", backoff.String())
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 2*time.Second)
		}
	}()
}

// BrokerReady is closed once the hub's first broker subscription is in
// place (at once when there is no broker). Broadcasts made by other
// instances before it are not received.
func (h *Hub) BrokerReady() <-chan struct{} {
	if h.bs == nil {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	return h.bs.ready
}

func (h *Hub) publishBroker(ctx context.Context, env envelope) error {
	h.bs.mu.Lock()
	h.bs.pubSeq++
	env.Seq = h.bs.pubSeq
	h.bs.mu.Unlock()
	env.From = h.instance
	data, err := json.Marshal(env)
	if err == nil {
		err = h.cfg.broker.Publish(ctx, data)
	}
	if err != nil {
		h.stats.brokerFailed.Add(1)
		h.log.Warn("ws: broadcast not published to other instances", "err", err)
	}
	return err
}

// appendAndPublish stores a room broadcast in the Redis replay store and
// publishes it on the Redis broker in one round trip (both on one client),
// then delivers it locally. A failure is counted as both a replay and a
// broker failure and not retried (the broker's delivery is at most once;
// a retry after a lost reply would publish the event twice).
func (h *Hub) appendAndPublish(ctx context.Context, rr *RedisReplay, rb *RedisBroker, env envelope) error {
	h.bs.mu.Lock()
	h.bs.pubSeq++
	env.Seq = h.bs.pubSeq
	h.bs.mu.Unlock()
	env.From = h.instance
	data, err := json.Marshal(env)
	if err == nil {
		var id uint64
		id, err = rr.appendPublish(ctx, env.Target, ReplayEvent{Event: env.Event, Data: env.Data}, rb.channel, data[1:])
		env.ID = id
	}
	if err != nil {
		h.stats.replayFailed.Add(1)
		h.stats.brokerFailed.Add(1)
		h.log.Warn("ws: broadcast neither stored for replay nor published to other instances", "room", env.Target, "err", err)
	}
	h.deliverLocal(env)
	return err
}

// redisPair returns the replay store and the broker when both are on Redis
// through the same client, so one script can serve a room broadcast.
func (h *Hub) redisPair() (*RedisReplay, *RedisBroker, bool) {
	rr, ok1 := h.cfg.replayStore.(*RedisReplay)
	rb, ok2 := h.cfg.broker.(*RedisBroker)
	if !ok1 || !ok2 || h.bs == nil || rr.client != rb.client {
		return nil, nil, false
	}
	return rr, rb, true
}

func (h *Hub) fromBroker(msg []byte) {
	env, err := decodeEnvelope(msg)
	if errors.Is(err, errNewerEnvelope) {
		if env.From == h.instance {
			return
		}
		h.stats.brokerDropped.Add(1)
		h.log.Warn("ws: broadcast from an instance of a newer release not delivered; finish the upgrade", "from", env.From, "err", err)
		return
	}
	if err != nil {
		h.log.Warn("ws: bad broker message", "err", err)
		return
	}
	if env.From == h.instance {
		return
	}
	h.bs.mu.Lock()
	last, seen := h.bs.lastSeq[env.From]
	h.bs.lastSeq[env.From] = env.Seq
	h.bs.mu.Unlock()
	if seen && env.Seq > last+1 {
		lost := env.Seq - last - 1
		h.stats.brokerDropped.Add(int64(lost))
		h.log.Warn("ws: broadcasts from another instance were lost", "from", env.From, "lost", lost)
	}
	h.stats.brokerReceived.Add(1)
	h.deliverLocal(env)
}
