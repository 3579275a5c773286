package ws_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
)

func sseApp(t *testing.T, opts ...ws.Option) (*covet.App, *ws.Hub) {
	t.Helper()
	app := covet.New()
	hub := ws.NewHub(opts...)
	if err := app.Install(hub); err != nil {
		t.Fatal(err)
	}
	ws.SSE(app, "/rooms/{name}/events", ws.SSEHandler{
		Hub: hub,
		Accept: func(c *covet.Context, s *ws.Stream) error {
			if c.Param("name") == "secret" {
				return covet.NewError(http.StatusForbidden, "no")
			}
			s.Join(c.Param("name"))
			return nil
		},
	})
	return app, hub
}

func TestSSEEventsAndResume(t *testing.T) {
	app, hub := sseApp(t, ws.WithRetry(1500*time.Millisecond), ws.WithReplay(4))
	srv := wstest.NewServer(t, app)
	s := srv.SSE(t, "/rooms/a/events")
	h := s.Response.Header
	for k, v := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
		if h.Get(k) != v {
			t.Fatalf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	if ev := s.Next(); !retryIn(ev.Retry, 1500, 2250) {
		t.Fatalf("first block %+v, want retry: 1500 plus up to 50 %% jitter", ev)
	}
	waitMembers(t, hub, "a", 1)
	ctx := context.Background()
	_ = hub.Broadcast(ctx, "a", map[string]int{"n": 1})
	_ = hub.BroadcastEvent(ctx, "a", "moved", map[string]int{"n": 2})
	e1, e2 := s.NextData(), s.NextData()
	if e1.Data != `{"n":1}` || e2.Data != `{"n":2}` || e2.Event != "moved" || e1.ID == "" || e2.ID <= e1.ID {
		t.Fatalf("events %+v %+v", e1, e2)
	}
	s.Close()
	waitMembers(t, hub, "a", 0)
	// Missed while away: 3..7; the replay buffer keeps the last 4 (4..7).
	for n := 3; n <= 7; n++ {
		_ = hub.Broadcast(ctx, "a", map[string]int{"n": n})
	}
	r := srv.SSE(t, "/rooms/a/events", "Last-Event-ID", e2.ID)
	for n := 4; n <= 7; n++ {
		ev := r.NextData()
		if want := `{"n":` + string(rune('0'+n)) + `}`; ev.Data != want {
			t.Fatalf("replayed %q, want %q", ev.Data, want)
		}
	}
	waitMembers(t, hub, "a", 1)
	_ = hub.Broadcast(ctx, "a", map[string]int{"n": 8})
	e8 := r.NextData()
	if e8.Data != `{"n":8}` {
		t.Fatalf("live after replay: %+v", e8)
	}
	r.Close()
	waitMembers(t, hub, "a", 0)
	// A client that cannot set the header resumes with ?lastEventId=.
	_ = hub.Broadcast(ctx, "a", map[string]int{"n": 9})
	q := srv.SSE(t, "/rooms/a/events?lastEventId="+e8.ID)
	if ev := q.NextData(); ev.Data != `{"n":9}` {
		t.Fatalf("resumed with ?lastEventId: %+v, want n=9", ev)
	}
}

func TestSSERefusedAndHeartbeat(t *testing.T) {
	app, _ := sseApp(t, ws.WithHeartbeat(20*time.Millisecond))
	srv := wstest.NewServer(t, app)
	resp, err := http.Get(srv.URL + "/rooms/secret/events")
	if err != nil || resp.StatusCode != 403 {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Get(srv.URL + "/rooms/a/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, ": ping") {
			break
		}
	}
}

func TestSSEEndsOnShutdown(t *testing.T) {
	app, hub := sseApp(t)
	srv := wstest.NewServer(t, app)
	s := srv.SSE(t, "/rooms/a/events")
	waitMembers(t, hub, "a", 1)
	stopped := make(chan struct{})
	go func() { srv.Stop(t); close(stopped) }()
	s.ExpectEnd()
	<-stopped
}

func TestSSESlowStreamEnded(t *testing.T) {
	app, hub := sseApp(t, ws.WithSSEQueue(1))
	srv := wstest.NewServer(t, app)
	resp, err := http.Get(srv.URL + "/rooms/a/events") // never read
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	waitMembers(t, hub, "a", 1)
	big := strings.Repeat("y", 64<<10)
	for i := 0; i < 500 && hub.Stats().SSEDropped == 0; i++ {
		_ = hub.Broadcast(context.Background(), "a", big)
	}
	if hub.Stats().SSEDropped != 1 {
		t.Fatalf("SSEDropped = %d", hub.Stats().SSEDropped)
	}
}
