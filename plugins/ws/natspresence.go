package ws

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATSPresence is a PresenceStore on a NATS JetStream key-value bucket:
// one key per instance holding its rooms and members, in a bucket whose
// TTL is the hub's presence TTL (WithPresenceTTL). Each instance rewrites
// its key every third of the TTL; the server removes a key not rewritten
// for a TTL, so the members of an instance that crashed (SIGKILL, a lost
// host) disappear without anyone cleaning up. The bucket is kept in memory
// (presence is rewritten constantly; nothing is worth a disk write) with
// one revision per key. Give it to the hub with WithPresenceStore, next to
// a NATSBroker. Needs a NATS server with JetStream (nats-server -js).
type NATSPresence struct {
	js     jetstream.JetStream
	bucket string

	mu sync.Mutex
	kv jetstream.KeyValue
}

// NewNATSPresence returns a presence store in bucket ("myapp-presence";
// letters, digits, - and _) on nc. The bucket is created, or its TTL
// updated, at the hub's first write.
func NewNATSPresence(nc *nats.Conn, bucket string) (*NATSPresence, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	return &NATSPresence{js: js, bucket: bucket}, nil
}

// store returns the bucket: created (or its TTL set) when ttl > 0, else
// looked up; nil without error when it does not exist yet.
func (p *NATSPresence) store(ctx context.Context, ttl time.Duration) (jetstream.KeyValue, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kv != nil {
		return p.kv, nil
	}
	var kv jetstream.KeyValue
	var err error
	if ttl > 0 {
		kv, err = p.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: p.bucket, TTL: ttl, History: 1, Storage: jetstream.MemoryStorage,
			Description: "covet plugins/ws presence: one key per instance",
		})
	} else {
		kv, err = p.js.KeyValue(ctx, p.bucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			return nil, nil
		}
	}
	if err != nil {
		return nil, err
	}
	p.kv = kv
	return kv, nil
}

// presenceKey is instance's key: base64url, as key names allow only
// letters, digits and -/_=.
func presenceKey(instance string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(instance))
}

// SetPresence writes instance's key (room -> members); the bucket's TTL,
// created from ttl, removes it unless it is written again in time.
func (p *NATSPresence) SetPresence(ctx context.Context, instance string, rooms map[string][]string, ttl time.Duration) error {
	kv, err := p.store(ctx, ttl)
	if err != nil {
		return err
	}
	data, err := json.Marshal(rooms)
	if err != nil {
		return err
	}
	_, err = kv.Put(ctx, presenceKey(instance), data)
	return err
}

// RemovePresence deletes instance's key (at a clean stop).
func (p *NATSPresence) RemovePresence(ctx context.Context, instance string) error {
	kv, err := p.store(ctx, 0)
	if err != nil || kv == nil {
		return err
	}
	return kv.Purge(ctx, presenceKey(instance))
}

// Presence reads every live instance's key and returns the sorted union of
// room's members.
func (p *NATSPresence) Presence(ctx context.Context, room string) ([]string, error) {
	kv, err := p.store(ctx, 0)
	if err != nil || kv == nil {
		return nil, err
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	defer keys.Stop()
	var names []string
	for k := range keys.Keys() {
		names = append(names, k)
	}
	seen := map[string]bool{}
	var out []string
	for _, k := range names {
		e, err := kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // expired or removed since the listing
		}
		if err != nil {
			return nil, err
		}
		var rooms map[string][]string
		if json.Unmarshal(e.Value(), &rooms) != nil {
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

var _ PresenceStore = (*NATSPresence)(nil)
