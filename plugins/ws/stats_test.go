package ws_test

import (
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
)

func TestContract(t *testing.T) {
	covettest.PluginContract(t, func() covet.Plugin { return ws.NewHub() })
}

func hubStat(t *testing.T, h *ws.Hub, name string) float64 {
	t.Helper()
	for _, s := range h.AppendStats(nil) {
		if s.Name == name {
			return s.Value
		}
	}
	t.Fatalf("no figure %q", name)
	return 0
}

// TestAppendStatsFollowTraffic: real clients move the connection and room
// gauges and the message counters.
func TestAppendStatsFollowTraffic(t *testing.T) {
	app, hub, rec := chatApp(t, nil)
	srv := wstest.NewServer(t, app)
	a := srv.Dial(t, "/boards/1/live")
	a.ExpectJSON(chatOut{Type: "hello", Room: "board:1"}) // sent 1
	if c, r := hubStat(t, hub, "connections"), hubStat(t, hub, "rooms"); c != 1 || r != 1 {
		t.Errorf("connections %v rooms %v with one client, want 1 1", c, r)
	}
	b := srv.Dial(t, "/boards/2/live")
	b.ExpectJSON(chatOut{Type: "hello", Room: "board:2"}) // sent 2
	a.Send(chatIn{Type: "say", Text: "hi"})
	a.ExpectJSON(chatOut{Type: "said", Text: "hi"}) // a broadcast to one member: sent 3
	if c, r := hubStat(t, hub, "connections"), hubStat(t, hub, "rooms"); c != 2 || r != 2 {
		t.Errorf("connections %v rooms %v with two clients in two rooms, want 2 2", c, r)
	}
	// The hub counts a broadcast once its fan-out loop is done, which may
	// be just after the member already read the message: wait for it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		s, bc, d := hubStat(t, hub, "messages_sent"), hubStat(t, hub, "broadcasts"), hubStat(t, hub, "messages_dropped")
		if s == 3 && bc == 1 && d == 0 {
			break
		}
		if s > 3 || bc > 1 || d > 0 || time.Now().After(deadline) {
			t.Fatalf("messages_sent %v broadcasts %v dropped %v, want 3 1 0", s, bc, d)
		}
	}
	_ = a.WS.Close()
	rec.wait(t)
	if c := hubStat(t, hub, "connections"); c != 1 {
		t.Errorf("connections after a client left = %v, want 1", c)
	}
}
