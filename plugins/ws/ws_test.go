package ws_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
)

type chatIn struct {
	Type string `json:"type" enum:"say,join,boom,fail"`
	Text string `json:"text" maxLength:"20" required:"false"`
}

type chatOut struct {
	Type string `json:"type"`
	Text string `json:"text,omitempty"`
	Room string `json:"room,omitempty"`
}

type closeRec struct {
	mu    sync.Mutex
	codes []int
	done  chan struct{}
}

func newCloseRec() *closeRec { return &closeRec{done: make(chan struct{}, 100)} }
func (r *closeRec) add(code int) {
	r.mu.Lock()
	r.codes = append(r.codes, code)
	r.mu.Unlock()
	r.done <- struct{}{}
}
func (r *closeRec) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		t.Fatal("OnClose was not called")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.codes[len(r.codes)-1]
}

var boardKey = ws.NewKey[int]("board")

func chatApp(t testing.TB, hubOpts []ws.Option, routeOpts ...ws.Option) (*covet.App, *ws.Hub, *closeRec) {
	t.Helper()
	app := covet.New()
	hub := ws.NewHub(hubOpts...)
	if err := app.Install(hub); err != nil {
		t.Fatal(err)
	}
	rec := newCloseRec()
	ws.Handle(app, "/boards/{id:int}/live", ws.Handler[chatIn]{
		Hub: hub,
		Accept: func(c *covet.Context, conn *ws.Conn) error {
			id, _ := c.ParamInt("id")
			if id == 403 {
				return covet.NewError(http.StatusForbidden, "not your board")
			}
			boardKey.Set(conn, id)
			conn.Join("board:" + c.Param("id"))
			if u := c.Query("user"); u != "" {
				conn.SetUser(u)
			}
			return nil
		},
		OnOpen: func(conn *ws.Conn) {
			id, _ := boardKey.Get(conn)
			_ = conn.Send(chatOut{Type: "hello", Room: "board:" + itoa(id)})
		},
		OnMessage: func(conn *ws.Conn, m *chatIn) error {
			switch m.Type {
			case "boom":
				panic("boom")
			case "fail":
				return covet.NewError(http.StatusConflict, "cannot do that")
			}
			id, _ := boardKey.Get(conn)
			return conn.Hub().Broadcast(context.Background(), "board:"+itoa(id), chatOut{Type: "said", Text: m.Text})
		},
		OnClose: func(conn *ws.Conn, code int, reason string) { rec.add(code) },
	}, routeOpts...)
	return app, hub, rec
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestEchoRoomAndValidation(t *testing.T) {
	app, _, rec := chatApp(t, nil)
	srv := wstest.NewServer(t, app)
	a := srv.Dial(t, "/boards/1/live")
	a.ExpectJSON(chatOut{Type: "hello", Room: "board:1"})
	b := srv.Dial(t, "/boards/1/live")
	b.ExpectJSON(chatOut{Type: "hello", Room: "board:1"})
	other := srv.Dial(t, "/boards/2/live")
	other.ExpectJSON(chatOut{Type: "hello", Room: "board:2"})

	a.Send(chatIn{Type: "say", Text: "hi"})
	a.ExpectJSON(chatOut{Type: "said", Text: "hi"})
	b.ExpectJSON(chatOut{Type: "said", Text: "hi"})

	// Invalid message: an error message, the connection stays.
	a.Send(map[string]any{"type": "dance"})
	var em struct {
		Type  string `json:"type"`
		Error struct {
			Status int `json:"status"`
			Errors []struct {
				Location string `json:"location"`
			} `json:"errors"`
		} `json:"error"`
	}
	a.ReadJSON(&em)
	if em.Type != "error" || em.Error.Status != 422 || len(em.Error.Errors) == 0 {
		t.Fatalf("error message: %+v", em)
	}
	a.SendText(`{"type":`)
	a.ReadJSON(&em)
	if em.Error.Status != 400 {
		t.Fatalf("malformed: %+v", em)
	}
	// A handler error becomes an error message.
	a.Send(chatIn{Type: "fail"})
	a.ReadJSON(&em)
	if em.Error.Status != 409 {
		t.Fatalf("handler error: %+v", em)
	}
	// Still alive.
	a.Send(chatIn{Type: "say", Text: "again"})
	a.ExpectJSON(chatOut{Type: "said", Text: "again"})
	b.ExpectJSON(chatOut{Type: "said", Text: "again"})

	// A panic closes with 1011, never crashes.
	a.Send(chatIn{Type: "boom"})
	a.ExpectClose(ws.CloseInternalError)
	if code := rec.wait(t); code != ws.CloseInternalError {
		t.Fatalf("OnClose code %d", code)
	}
	// The other room never saw room 1's messages.
	other.Send(chatIn{Type: "say", Text: "two"})
	other.ExpectJSON(chatOut{Type: "said", Text: "two"})
}

func TestInvalidClosePolicy(t *testing.T) {
	app, _, _ := chatApp(t, nil, ws.WithInvalidMessages(ws.InvalidClose))
	srv := wstest.NewServer(t, app)
	a := srv.Dial(t, "/boards/1/live")
	a.Read()
	a.SendText(`not json`)
	a.ExpectClose(ws.CloseInvalidPayload)
	b := srv.Dial(t, "/boards/1/live")
	b.Read()
	b.Send(map[string]any{"type": "dance"})
	b.ExpectClose(ws.ClosePolicyViolation)
}

func TestHandshakeRefusals(t *testing.T) {
	app, _, _ := chatApp(t, []ws.Option{ws.WithMaxConnsPerClient(2)})
	srv := wstest.NewServer(t, app)
	tests := []struct {
		name   string
		path   string
		opts   []wstest.DialOption
		status int
	}{
		{"cross origin", "/boards/1/live", []wstest.DialOption{wstest.WithOrigin("https://evil.example")}, 403},
		{"no origin", "/boards/1/live", []wstest.DialOption{wstest.WithoutOrigin()}, 403},
		{"accept refuses", "/boards/403/live", nil, 403},
		{"not an int", "/boards/x/live", nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, resp, err := srv.TryDial(tt.path, tt.opts...)
			if err == nil || resp == nil || resp.StatusCode != tt.status {
				st := 0
				if resp != nil {
					st = resp.StatusCode
				}
				t.Fatalf("want %d, got %d (%v)", tt.status, st, err)
			}
			if tt.status == 403 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
			}
		})
	}
	t.Run("plain GET", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/boards/1/live")
		if err != nil || resp.StatusCode != http.StatusUpgradeRequired {
			t.Fatalf("%v %v", resp, err)
		}
		resp.Body.Close()
	})
	t.Run("per client", func(t *testing.T) {
		srv.Dial(t, "/boards/1/live")
		srv.Dial(t, "/boards/1/live")
		_, resp, err := srv.TryDial("/boards/1/live")
		if err == nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("want 429, got %v %v", resp, err)
		}
	})
}

func TestMaxConnsAndAllowlist(t *testing.T) {
	app, _, _ := chatApp(t, []ws.Option{ws.WithMaxConns(1), ws.WithOrigins("https://app.example"), ws.WithAllowNoOrigin()})
	srv := wstest.NewServer(t, app)
	srv.Dial(t, "/boards/1/live", wstest.WithOrigin("https://app.example"))
	_, resp, err := srv.TryDial("/boards/1/live", wstest.WithoutOrigin())
	if err == nil || resp.StatusCode != 503 {
		t.Fatalf("want 503, got %v %v", resp, err)
	}
}

func TestReadLimitAndRate(t *testing.T) {
	app, _, _ := chatApp(t, nil, ws.WithReadLimit(100), ws.WithMessageRate(1, 3))
	srv := wstest.NewServer(t, app)
	a := srv.Dial(t, "/boards/1/live")
	a.Read()
	a.SendText(`{"type":"say","text":"` + strings.Repeat("x", 200) + `"}`)
	a.ExpectClose(ws.CloseTooBig)

	b := srv.Dial(t, "/boards/2/live")
	b.Read()
	for i := 0; i < 10; i++ {
		_ = b.WS.WriteMessage(1, []byte(`{"type":"say","text":"x"}`))
	}
	b.ExpectClose(ws.ClosePolicyViolation)
}

func TestSubprotocol(t *testing.T) {
	app, _, _ := chatApp(t, nil, ws.WithSubprotocols("v2.json", "v1.json"))
	srv := wstest.NewServer(t, app)
	c := srv.Dial(t, "/boards/1/live", wstest.WithSubprotocols("v1.json", "token.abc"))
	if c.Subprotocol() != "v1.json" {
		t.Fatalf("subprotocol %q", c.Subprotocol())
	}
}

func TestDeadPeerTimeout(t *testing.T) {
	app, _, rec := chatApp(t, []ws.Option{ws.WithPing(50*time.Millisecond, 50*time.Millisecond)})
	srv := wstest.NewServer(t, app)
	c := srv.Dial(t, "/boards/1/live")
	// A gorilla client answers pings only while reading; this one never
	// reads again, so it never pongs: the server must give up on it.
	_ = c
	code := rec.wait(t)
	if code != 1006 {
		t.Fatalf("dead peer closed with %d, want 1006 (no close handshake with a dead peer)", code)
	}
}

func TestClientCloseReachesOnClose(t *testing.T) {
	app, hub, rec := chatApp(t, nil)
	srv := wstest.NewServer(t, app)
	c := srv.Dial(t, "/boards/1/live")
	c.Read()
	c.Close()
	if code := rec.wait(t); code != ws.CloseNormal {
		t.Fatalf("OnClose code %d", code)
	}
	if n := hub.Members("board:1"); n != 0 {
		t.Fatalf("room still has %d members", n)
	}
}

func TestShutdownSendsGoingAway(t *testing.T) {
	app, hub, _ := chatApp(t, nil)
	srv := wstest.NewServer(t, app)
	var conns []*wstest.Conn
	for i := 0; i < 5; i++ {
		c := srv.Dial(t, "/boards/1/live")
		c.Read()
		conns = append(conns, c)
	}
	done := make(chan struct{})
	go func() { srv.Stop(t); close(done) }()
	for _, c := range conns {
		c.ExpectClose(ws.CloseGoingAway)
	}
	<-done
	if s := hub.Stats(); s.Conns != 0 {
		t.Fatalf("%d connections left", s.Conns)
	}
}

// TestPingPerRoute: WithPing as a route option works with the hub's pings
// off; a client that answers pings stays, one that does not is closed.
func TestPingPerRoute(t *testing.T) {
	// A wait long enough for a pong on this loaded shared machine.
	app, hub, rec := chatApp(t, []ws.Option{ws.WithPing(0, 0)}, ws.WithPing(100*time.Millisecond, 400*time.Millisecond))
	srv := wstest.NewServer(t, app)
	alive := srv.Dial(t, "/boards/1/live")
	go func() { // gorilla answers pings while it reads
		for {
			if _, _, err := alive.WS.ReadMessage(); err != nil {
				return
			}
		}
	}()
	_ = srv.Dial(t, "/boards/1/live") // never reads: never pongs
	if code := rec.wait(t); code != 1006 {
		t.Fatalf("silent peer closed with %d, want 1006", code)
	}
	time.Sleep(700 * time.Millisecond) // 7 more intervals for the live one
	if n := hub.Stats().Conns; n != 1 {
		t.Fatalf("%d connections open, want the one answering pings", n)
	}
}
