package ws

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisBroker carries broadcasts over Redis pub/sub on one channel.
//
// Why pub/sub and not Streams: a broadcast to a room is live state (a task
// moved), worth delivering now or not at all; pub/sub adds no storage, no
// trimming and no per-instance cursors, and one PUBLISH reaches every
// instance. Its weakness is that Redis disconnects a subscriber that falls
// behind (client-output-buffer-limit pubsub 32mb 8mb 60) and messages
// published while an instance is disconnected are gone. Both are made
// visible: the broken subscription is logged and resubscribed, and the
// per-publisher sequence numbers count every message lost
// (Stats.BrokerDropped). SSE clients that must not miss events resume from
// the replay buffer of the instance they reconnect to.
type RedisBroker struct {
	client  redis.UniversalClient
	channel string
	own     bool
}

// NewRedisBroker returns a broker on client publishing on channel (one
// channel per app: "myapp:ws"). Close closes the client only if own is set.
func NewRedisBroker(client redis.UniversalClient, channel string, own bool) *RedisBroker {
	return &RedisBroker{client: client, channel: channel, own: own}
}

// Publish publishes msg on the channel.
func (b *RedisBroker) Publish(ctx context.Context, msg []byte) error {
	return b.client.Publish(ctx, b.channel, msg).Err()
}

// Subscribe subscribes to the channel and delivers messages until ctx ends
// or the connection breaks.
func (b *RedisBroker) Subscribe(ctx context.Context, ready func(), deliver func([]byte)) error {
	ps := b.client.Subscribe(ctx, b.channel)
	// go-redis does not end a blocked read when ctx ends: closing does.
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer stop()
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil { // the subscription confirmation
		return err
	}
	ready()
	for {
		m, err := ps.ReceiveMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// go-redis reconnects by itself inside ReceiveMessage; messages
			// published meanwhile are lost. Return, so that the hub logs it.
			return err
		}
		deliver([]byte(m.Payload))
	}
}

// Close closes the client if the broker owns it.
func (b *RedisBroker) Close() error {
	if b.own {
		if err := b.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
			return err
		}
	}
	return nil
}

func (b *RedisBroker) presenceKey(instance string) string {
	return b.channel + ":presence:" + instance
}

// SetPresence stores instance's rooms as one key with a TTL
// (<channel>:presence:<instance>).
func (b *RedisBroker) SetPresence(ctx context.Context, instance string, rooms map[string][]string, ttl time.Duration) error {
	data, err := json.Marshal(rooms)
	if err != nil {
		return err
	}
	return b.client.Set(ctx, b.presenceKey(instance), data, ttl).Err()
}

// RemovePresence deletes instance's key.
func (b *RedisBroker) RemovePresence(ctx context.Context, instance string) error {
	return b.client.Del(ctx, b.presenceKey(instance)).Err()
}

// Presence reads every live instance's key (SCAN + MGET) and returns the
// sorted union of room's members.
func (b *RedisBroker) Presence(ctx context.Context, room string) ([]string, error) {
	var keys []string
	iter := b.client.Scan(ctx, 0, b.presenceKey("*"), 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, nil
	}
	vals, err := b.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue // expired between SCAN and MGET
		}
		var rooms map[string][]string
		if json.Unmarshal([]byte(s), &rooms) != nil {
			continue
		}
		for _, u := range rooms[room] {
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

var (
	_ Broker        = (*RedisBroker)(nil)
	_ PresenceStore = (*RedisBroker)(nil)
)
