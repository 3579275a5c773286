package ws_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

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

func roomCount(hub *ws.Hub) int {
	for _, s := range hub.AppendStats(nil) {
		if s.Name == "rooms" {
			return int(s.Value)
		}
	}
	return -1
}

// TestRoomsWithoutMembersExpire: broadcasts to ever new rooms without
// members (per-entity rooms, "task:<id>") must not keep every room's
// replay buffer forever; a room with members is kept.
func TestRoomsWithoutMembersExpire(t *testing.T) {
	app, hub := sseApp(t, ws.WithReplayRetention(time.Nanosecond))
	srv := wstest.NewServer(t, app)
	s := srv.SSE(t, "/rooms/kept/events")
	waitMembers(t, hub, "kept", 1)
	ctx := context.Background()
	_ = hub.Broadcast(ctx, "kept", 0)
	for i := range 5000 {
		_ = hub.Broadcast(ctx, "task:"+strconv.Itoa(i), i)
	}
	if n := roomCount(hub); n > 1100 {
		t.Fatalf("%d rooms after 5,000 broadcasts to rooms without members", n)
	}
	if hub.Members("kept") != 1 {
		t.Fatal("a room with a member was dropped")
	}
	_ = hub.Broadcast(ctx, "kept", 1)
	if ev := s.NextData(); ev.Data != "0" {
		t.Fatalf("event %+v", ev)
	}
	if ev := s.NextData(); ev.Data != "1" {
		t.Fatalf("event %+v", ev)
	}

	// Within the retention (default 10 minutes) every room is kept.
	app2, hub2 := sseApp(t)
	_ = app2
	for i := range 3000 {
		_ = hub2.Broadcast(ctx, "task:"+strconv.Itoa(i), i)
	}
	if n := roomCount(hub2); n != 3000 {
		t.Fatalf("%d rooms, want 3000 (all within the retention)", n)
	}
}

// TestListedOriginDefaultPort: an origin listed with its scheme's default
// port, or with a trailing slash (as copied from an address bar), matches
// the browser's Origin, which has neither; another port does not.
func TestListedOriginDefaultPort(t *testing.T) {
	app := covet.New()
	hub := ws.NewHub(ws.WithOrigins("https://app.example:443", "https://other.example/"))
	if err := app.Install(hub); err != nil {
		t.Fatal(err)
	}
	ws.Handle(app, "/live", ws.Handler[[]byte]{Hub: hub})
	srv := wstest.NewServer(t, app)
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"https://app.example", true},
		{"https://APP.example", true},
		{"https://other.example", true},
		{"https://app.example:8443", false},
		{"http://app.example", false},
	} {
		c, resp, err := srv.TryDial("/live", wstest.WithOrigin(tc.origin))
		if c != nil {
			c.Close()
		}
		if (err == nil) != tc.ok {
			st := 0
			if resp != nil {
				st = resp.StatusCode
			}
			t.Errorf("origin %s: status %d (%v), want accepted %v", tc.origin, st, err, tc.ok)
		}
	}
}

// TestSSEOutlivesWriteTimeout: served by the app's own server, whose
// WriteTimeout (default 60 s) is a deadline set when the request is read,
// an SSE stream must push the deadline forward before each write (as
// core's Context.SSE does), or every stream is cut WriteTimeout after it
// opened.
func TestSSEOutlivesWriteTimeout(t *testing.T) {
	app := covet.New(covet.WithServer(covet.ServerConfig{WriteTimeout: 500 * time.Millisecond}))
	hub := ws.NewHub(ws.WithHeartbeat(100 * time.Millisecond))
	if err := app.Install(hub); err != nil {
		t.Fatal(err)
	}
	ws.SSE(app, "/events", ws.SSEHandler{Hub: hub, Accept: func(c *covet.Context, s *ws.Stream) error {
		s.Join("r")
		return nil
	}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.ServeContext(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	srv := wstest.Remote("http://" + ln.Addr().String())
	s := srv.SSE(t, "/events")
	waitMembers(t, hub, "r", 1)
	// Well past the write timeout (a lower bound: more load only waits longer).
	time.Sleep(1500 * time.Millisecond)
	_ = hub.Broadcast(context.Background(), "r", 7)
	if ev := s.NextData(); ev.Data != "7" {
		t.Fatalf("event %+v", ev)
	}
}
