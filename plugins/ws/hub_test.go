package ws_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
)

type countingMsg struct {
	n    *atomic.Int64
	Text string
}

func (m countingMsg) MarshalJSON() ([]byte, error) {
	m.n.Add(1)
	return json.Marshal(map[string]string{"text": m.Text})
}

func roomApp(t *testing.T, opts ...ws.Option) (*covet.App, *ws.Hub, *closeRec) {
	t.Helper()
	app := covet.New()
	hub := ws.NewHub(opts...)
	if err := app.Install(hub); err != nil {
		t.Fatal(err)
	}
	rec := newCloseRec()
	ws.Handle(app, "/rooms/{name}", ws.Handler[[]byte]{
		Hub: hub,
		Accept: func(c *covet.Context, conn *ws.Conn) error {
			conn.Join(c.Param("name"))
			if u := c.Query("user"); u != "" {
				conn.SetUser(u)
			}
			return nil
		},
		OnClose: func(conn *ws.Conn, code int, reason string) { rec.add(code) },
	})
	return app, hub, rec
}

func TestBroadcastEncodedOnce(t *testing.T) {
	app, hub, _ := roomApp(t)
	srv := wstest.NewServer(t, app)
	var conns []*wstest.Conn
	for i := 0; i < 10; i++ {
		conns = append(conns, srv.Dial(t, "/rooms/a"))
	}
	outsider := srv.Dial(t, "/rooms/b")
	waitMembers(t, hub, "a", 10)
	var n atomic.Int64
	if err := hub.Broadcast(context.Background(), "a", countingMsg{n: &n, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		c.ExpectJSON(`{"text":"hi"}`)
	}
	if n.Load() != 1 {
		t.Fatalf("encoded %d times for 10 receivers, want 1", n.Load())
	}
	// Users and everyone.
	u := srv.Dial(t, "/rooms/c?user=ann")
	waitMembers(t, hub, "c", 1)
	_ = hub.SendToUser(context.Background(), "ann", map[string]int{"to": 1})
	u.ExpectJSON(`{"to":1}`)
	_ = hub.BroadcastAll(context.Background(), map[string]int{"all": 1})
	outsider.ExpectJSON(`{"all":1}`)
	u.ExpectJSON(`{"all":1}`)
}

func waitMembers(t *testing.T, hub *ws.Hub, room string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for hub.Members(room) != n {
		if time.Now().After(deadline) {
			t.Fatalf("room %s has %d members, want %d", room, hub.Members(room), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSlowReaderIsCutOff: a client that never reads fills its bounded send
// queue and is closed (1013 reported); the others receive every message.
func TestSlowReaderIsCutOff(t *testing.T) {
	app, hub, rec := roomApp(t, ws.WithSendQueue(256<<10))
	srv := wstest.NewServer(t, app)
	slow := srv.Dial(t, "/rooms/a") // never reads
	_ = slow
	const readers, msgs = 10, 400
	payload := strings.Repeat("x", 64<<10)
	var wg sync.WaitGroup
	got := make([]int, readers)
	progress := make(chan struct{}, readers)
	for i := 0; i < readers; i++ {
		c := srv.Dial(t, "/rooms/a")
		wg.Add(1)
		go func(i int, c *wstest.Conn) {
			defer wg.Done()
			for got[i] < msgs {
				_ = c.WS.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, _, err := c.WS.ReadMessage(); err != nil {
					return
				}
				got[i]++
				progress <- struct{}{}
			}
		}(i, c)
	}
	waitMembers(t, hub, "a", readers+1)
	// Lock-step with the readers (they keep up by construction; the policy
	// under test is about the one that never reads): 400 x 64 KiB = 25 MiB
	// is more than the kernel's socket buffers plus the 256 KiB queue.
	for i := 0; i < msgs; i++ {
		_ = hub.Broadcast(context.Background(), "a", payload)
		for r := 0; r < readers; r++ {
			select {
			case <-progress:
			case <-time.After(10 * time.Second):
				t.Fatalf("round %d: a reader is stuck", i)
			}
		}
	}
	wg.Wait()
	for i, n := range got {
		if n != msgs {
			t.Fatalf("reader %d got %d of %d messages", i, n, msgs)
		}
	}
	if code := rec.wait(t); code != ws.CloseTryAgainLater {
		t.Fatalf("slow reader closed with %d, want 1013", code)
	}
	if s := hub.Stats(); s.SlowClosed != 1 {
		t.Fatalf("SlowClosed = %d", s.SlowClosed)
	}
}
