package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/covetgo/covet/core/covettest"
	"github.com/redis/go-redis/v9"
)

// oldEnvelope is the envelope of the previous release, as it decodes a
// broker message: it knows no "r" and no "v".
type oldEnvelope struct {
	Kind   msgKind         `json:"k"`
	Target string          `json:"t,omitempty"`
	Event  string          `json:"e,omitempty"`
	Data   json.RawMessage `json:"d"`
	From   string          `json:"f,omitempty"`
	Seq    uint64          `json:"s,omitempty"`
	ID     uint64          `json:"i,omitempty"`
}

// Hand-written messages of every format this release must read during a
// rolling upgrade, and one of a newer format it must not deliver.
func TestDecodeEnvelopeVersions(t *testing.T) {
	for _, tt := range []struct {
		name, msg string
		id        uint64
		err       error
	}{
		{"previous release, no id", `{"k":1,"t":"r","d":{"n":1},"f":"old","s":7}`, 0, nil},
		{"previous release, id", `{"k":1,"t":"r","e":"task","d":{"n":1},"f":"old","s":7,"i":1887436800000000005}`, 1887436800000000005, nil},
		{"pre-release script, r only", `{"r":"1800000000000-5","k":1,"t":"r","d":{"n":1},"f":"mid","s":2}`, 1800000000000<<20 | 5, nil},
		{"this release's script, i and r", `{"i":1887436800000000005,"r":"1800000000000-5","k":1,"t":"r","d":{"n":1},"f":"new","s":2}`, 1887436800000000005, nil},
		{"explicit version 1", `{"v":1,"k":3,"d":1,"f":"new","s":3}`, 0, nil},
		{"newer release", `{"v":2,"k":1,"t":"r","d":{"n":1},"f":"next","s":1,"i":9}`, 0, errNewerEnvelope},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env, err := decodeEnvelope([]byte(tt.msg))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err == nil && env.ID != tt.id {
				t.Fatalf("id %d, want %d", env.ID, tt.id)
			}
		})
	}
	if id, _ := packStreamID("1800000000000-5"); id != 1887436800000000005 {
		t.Fatalf("test ids disagree: %d", id)
	}
}

// A message from a newer release is counted as dropped, not delivered.
func TestNewerEnvelopeNotDelivered(t *testing.T) {
	h := NewHub(WithInstanceID("me"))
	h.bs = &brokerState{lastSeq: map[string]uint64{}, ready: make(chan struct{})}
	h.log = slog.New(slog.DiscardHandler)
	h.fromBroker([]byte(`{"v":9,"k":3,"d":{"n":1},"f":"next","s":1}`))
	if n := h.stats.brokerDropped.Load(); n != 1 {
		t.Fatalf("BrokerDropped %d, want 1", n)
	}
	if n := h.stats.brokerReceived.Load(); n != 0 {
		t.Fatalf("BrokerReceived %d, want 0", n)
	}
}

// The combined replay+publish script puts the event id in "i", packed
// exactly in Lua (doubles), so that an instance of the previous release
// (oldEnvelope) delivers the event under the id every other instance uses.
// The last-id key is set to force ids at the limb and carry boundaries.
func TestAppendPublishIDReadByPreviousRelease(t *testing.T) {
	opt, err := redis.ParseURL(covettest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opt)
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	covettest.NeedService(t, "Redis", rc.Ping(ctx).Err())
	prefix := fmt.Sprintf("covet-test:ws:envelope:%d", rand.Uint64())
	rr := NewRedisReplay(rc, prefix, 10)
	defer rc.Del(context.Background(), rr.Keys("r")...)
	channel := prefix + ":ch"
	ps := rc.Subscribe(ctx, channel)
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	env := envelope{Kind: kindRoom, Target: "r", Event: "task", Data: json.RawMessage(`{"n":1}`), From: "new", Seq: 1}
	rest, _ := json.Marshal(env)
	// Far-future ms values (the script keeps the last id's ms while the
	// clock is behind it), ascending, each with a sequence to continue.
	for _, last := range []struct{ ms, seq uint64 }{
		{4_000_000_000_000, 0},
		{4_000_009_999_999, 1048574},
		{4_000_010_000_000, 9_999},
		{4_999_999_999_999, 1048000},
		{8_796_093_022_207, 77}, // 2^43-1: ids up to 2^63
	} {
		if err := rc.HSet(ctx, rr.prefix+":last", "ms", last.ms, "seq", last.seq).Err(); err != nil {
			t.Fatal(err)
		}
		id, err := rr.appendPublish(ctx, "r", ReplayEvent{Event: "task", Data: env.Data}, channel, rest[1:])
		if err != nil {
			t.Fatal(err)
		}
		if want := last.ms<<20 | (last.seq + 1); id != want {
			t.Fatalf("script id %d, want %d", id, want)
		}
		m, err := ps.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var old oldEnvelope
		if err := json.Unmarshal([]byte(m.Payload), &old); err != nil {
			t.Fatalf("previous release cannot decode %s: %v", m.Payload, err)
		}
		if old.ID != id || old.Kind != kindRoom || old.Target != "r" || string(old.Data) != `{"n":1}` {
			t.Fatalf("previous release reads %+v from %s, want id %d", old, m.Payload, id)
		}
		got, err := decodeEnvelope([]byte(m.Payload))
		if err != nil || got.ID != id {
			t.Fatalf("this release reads id %d (%v), want %d", got.ID, err, id)
		}
	}
}
