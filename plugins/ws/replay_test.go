package ws_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
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
