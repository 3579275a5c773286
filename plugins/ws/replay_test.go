package ws_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
	"github.com/redis/go-redis/v9"
)

// TestSSEReplayRedisAcrossInstances: a client gets event 1 from instance A,
// goes away while A publishes 2 and 3, and resumes (Last-Event-ID) on
// instance B — a fresh hub, as after a restart, with nothing in memory:
// it gets 2 and 3 from the Redis stream, in order, then B's live event 4,
// each once. Real Redis; own key prefix, deleted at the end.
func TestSSEReplayRedisAcrossInstances(t *testing.T) {
	rc := redisClient(t)
	prefix := fmt.Sprintf("covet-test:ws:replay:%d", rand.Uint64())
	ctx := context.Background()
	store := ws.NewRedisReplay(rc, prefix, 50)
	t.Cleanup(func() { rc.Del(ctx, store.Keys("r")...) })
	newInstance := func() (*wstest.Server, *ws.Hub) {
		app := covet.New()
		hub := ws.NewHub(ws.WithReplayStore(store), ws.WithReplay(0))
		if err := app.Install(hub); err != nil {
			t.Fatal(err)
		}
		ws.SSE(app, "/rooms/{name}/events", ws.SSEHandler{Hub: hub,
			Accept: func(c *covet.Context, s *ws.Stream) error { s.Join(c.Param("name")); return nil }})
		return wstest.NewServer(t, app), hub
	}
	srvA, hubA := newInstance()
	s := srvA.SSE(t, "/rooms/r/events")
	waitMembers(t, hubA, "r", 1)
	if err := hubA.Broadcast(ctx, "r", map[string]int{"n": 1}); err != nil {
		t.Fatal(err)
	}
	ev1 := s.NextData()
	if ev1.Data != `{"n":1}` {
		t.Fatalf("event 1: %+v", ev1)
	}
	s.Close()
	for n := 2; n <= 3; n++ {
		if err := hubA.Broadcast(ctx, "r", map[string]int{"n": n}); err != nil {
			t.Fatal(err)
		}
	}
	srvA.Stop(t) // instance A goes away

	srvB, hubB := newInstance()
	s2 := srvB.SSE(t, "/rooms/r/events", "Last-Event-ID", ev1.ID)
	waitMembers(t, hubB, "r", 1)
	if err := hubB.Broadcast(ctx, "r", map[string]int{"n": 4}); err != nil {
		t.Fatal(err)
	}
	last, _ := strconv.ParseUint(ev1.ID, 10, 64)
	for n := 2; n <= 4; n++ {
		ev := s2.NextData()
		if want := fmt.Sprintf(`{"n":%d}`, n); ev.Data != want {
			t.Fatalf("resumed on B: got %q, want %q", ev.Data, want)
		}
		id, _ := strconv.ParseUint(ev.ID, 10, 64)
		if id <= last {
			t.Fatalf("ids not increasing: %d after %d", id, last)
		}
		last = id
	}
	if st := hubB.Stats(); st.ReplayFailed != 0 {
		t.Fatalf("ReplayFailed %d", st.ReplayFailed)
	}
}

// TestRedisReplayBounded: the stream keeps the last maxLen events and
// expires; Since is exclusive of the given id.
func TestRedisReplayBounded(t *testing.T) {
	rc := redisClient(t)
	ctx := context.Background()
	prefix := fmt.Sprintf("covet-test:ws:replay:%d", rand.Uint64())
	st := ws.NewRedisReplay(rc, prefix, 10)
	t.Cleanup(func() { rc.Del(ctx, st.Keys("a", "b")...) })
	var ids []uint64
	for i := 0; i < 25; i++ {
		room := "a"
		if i%5 == 0 {
			room = "b"
		}
		id, err := st.Append(ctx, room, ws.ReplayEvent{Event: "e", Data: []byte(strconv.Itoa(i))})
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) > 0 && id <= ids[len(ids)-1] {
			t.Fatalf("id %d not after %d", id, ids[len(ids)-1])
		}
		ids = append(ids, id)
	}
	keyA := st.Keys("a")[1]
	if n := rc.XLen(ctx, keyA).Val(); n != 10 {
		t.Fatalf("stream a holds %d entries, want the last 10", n)
	}
	if ttl := rc.PTTL(ctx, keyA).Val(); ttl <= 0 {
		t.Fatalf("no expiry on the stream (PTTL %v)", ttl)
	}
	evs, err := st.Since(ctx, []string{"a", "b"}, ids[19])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, string(ev.Data))
	}
	if fmt.Sprint(got) != "[20 21 22 23 24]" { // 20 is in room b
		t.Fatalf("since event 19: %v", got)
	}
	if evs[0].Event != "e" || evs[0].ID != ids[20] {
		t.Fatalf("first: %+v", evs[0])
	}
}

// tripHook counts round trips to Redis (connection handshakes aside).
type tripHook struct{ n atomic.Int64 }

func (h *tripHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *tripHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() != "hello" {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (h *tripHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(1); return next(ctx, cmds) }
}

// TestRedisReplayAndBrokerOneRoundTrip: with the replay store and the
// broker on one Redis client, a room broadcast is stored and published by
// one script (one round trip); the other instance's SSE client gets it
// with the same event id as this instance's, and a client resuming on the
// other instance from the first event gets the rest from the stream.
func TestRedisReplayAndBrokerOneRoundTrip(t *testing.T) {
	base := redisClient(t)
	t.Cleanup(func() { base.Close() })
	prefix := fmt.Sprintf("covet-test:ws:replay1rt:%d", rand.Uint64())
	ch := channelName(t)
	ctx := context.Background()
	t.Cleanup(func() { base.Del(ctx, ws.NewRedisReplay(base, prefix, 50).Keys("r")...) })
	newInstance := func(id string) (*wstest.Server, *ws.Hub, *tripHook) {
		rc := redis.NewClient(base.Options())
		h := &tripHook{}
		rc.AddHook(h)
		t.Cleanup(func() { rc.Close() })
		app := covet.New()
		hub := ws.NewHub(ws.WithBroker(ws.NewRedisBroker(rc, ch, false)), ws.WithReplayStore(ws.NewRedisReplay(rc, prefix, 50)),
			ws.WithReplay(0), ws.WithInstanceID(id))
		if err := app.Install(hub); err != nil {
			t.Fatal(err)
		}
		ws.SSE(app, "/rooms/{name}/events", ws.SSEHandler{Hub: hub,
			Accept: func(c *covet.Context, s *ws.Stream) error { s.Join(c.Param("name")); return nil }})
		srv := wstest.NewServer(t, app)
		<-hub.BrokerReady()
		return srv, hub, h
	}
	srvA, hubA, tripsA := newInstance("a")
	srvB, hubB, _ := newInstance("b")
	sa := srvA.SSE(t, "/rooms/r/events")
	sb := srvB.SSE(t, "/rooms/r/events")
	waitMembers(t, hubA, "r", 1)
	waitMembers(t, hubB, "r", 1)
	if err := hubA.Broadcast(ctx, "r", map[string]int{"n": 0}); err != nil { // loads the script
		t.Fatal(err)
	}
	sa.NextData()
	sb.NextData()
	var first string
	for n := 1; n <= 3; n++ {
		before := tripsA.n.Load()
		if err := hubA.BroadcastEvent(ctx, "r", "task", map[string]int{"n": n}); err != nil {
			t.Fatal(err)
		}
		if d := tripsA.n.Load() - before; d != 1 {
			t.Errorf("broadcast %d: %d round trips, want 1 (append and publish in one script)", n, d)
		}
		ea, eb := sa.NextData(), sb.NextData()
		want := fmt.Sprintf(`{"n":%d}`, n)
		if ea.Data != want || eb.Data != want || ea.ID == "" || ea.ID != eb.ID || ea.Event != "task" || eb.Event != "task" {
			t.Fatalf("broadcast %d: on A %+v, on B %+v", n, ea, eb)
		}
		if n == 1 {
			first = ea.ID
		}
	}
	s2 := srvB.SSE(t, "/rooms/r/events", "Last-Event-ID", first)
	for n := 2; n <= 3; n++ {
		if ev := s2.NextData(); ev.Data != fmt.Sprintf(`{"n":%d}`, n) {
			t.Fatalf("resumed on B: %+v", ev)
		}
	}
	if st := hubA.Stats(); st.ReplayFailed != 0 || st.BrokerFailed != 0 {
		t.Fatalf("A stats %+v", st)
	}
	if st := hubB.Stats(); st.BrokerDropped != 0 {
		t.Fatalf("B stats %+v", st)
	}
}
