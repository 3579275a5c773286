package ws_test

import (
	"context"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
)

// TestRouteOriginsDoNotLeakBetweenRoutes: WithOrigins given to one route
// must not change what another route allows (the hub's list is shared).
func TestRouteOriginsDoNotLeakBetweenRoutes(t *testing.T) {
	app := covet.New()
	hub := ws.NewHub(ws.WithOrigins("https://a.example", "https://b.example", "https://c.example"),
		ws.WithOrigins("https://d.example"))
	if err := app.Install(hub); err != nil {
		t.Fatal(err)
	}
	ws.Handle(app, "/one", ws.Handler[[]byte]{Hub: hub}, ws.WithOrigins("https://one.example"))
	ws.Handle(app, "/two", ws.Handler[[]byte]{Hub: hub}, ws.WithOrigins("https://two.example"))
	srv := wstest.NewServer(t, app)
	if c, resp, err := srv.TryDial("/one", wstest.WithOrigin("https://one.example")); err != nil {
		st := 0
		if resp != nil {
			st = resp.StatusCode
		}
		t.Errorf("/one refused its own origin: %d %v", st, err)
	} else {
		c.Close()
	}
	if c, _, err := srv.TryDial("/one", wstest.WithOrigin("https://two.example")); err == nil {
		c.Close()
		t.Error("/one accepted the origin given to /two only")
	}
}

// TestSSEFutureLastEventID: an id the hub has not reached (forged, or from
// an instance whose clock is ahead) must not silence the stream.
func TestSSEFutureLastEventID(t *testing.T) {
	app, hub := sseApp(t)
	srv := wstest.NewServer(t, app)
	s := srv.SSE(t, "/rooms/f/events", "Last-Event-ID", "18446744073709551615")
	waitMembers(t, hub, "f", 1)
	_ = hub.Broadcast(context.Background(), "f", map[string]int{"n": 1})
	if ev := s.NextData(); ev.Data != `{"n":1}` {
		t.Fatalf("event %+v", ev)
	}
}

// TestSSEEventNameInjection: an event type with a line break would let its
// text add fields (data:, id:) to the stream.
func TestSSEEventNameInjection(t *testing.T) {
	app, hub := sseApp(t)
	srv := wstest.NewServer(t, app)
	s := srv.SSE(t, "/rooms/g/events")
	waitMembers(t, hub, "g", 1)
	for _, ev := range []string{"x\ndata: forged", "x\rid: 99", "x\r\nretry: 1"} {
		if err := hub.BroadcastEvent(context.Background(), "g", ev, 1); err == nil {
			t.Errorf("BroadcastEvent(%q) accepted a line break", ev)
		}
	}
	_ = hub.BroadcastEvent(context.Background(), "g", "ok", 2)
	for {
		ev := s.NextData()
		if strings.Contains(ev.Data, "forged") || ev.ID == "99" {
			t.Fatalf("injected event %+v", ev)
		}
		if ev.Event == "ok" {
			break
		}
	}
}
