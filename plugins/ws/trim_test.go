package ws_test

import (
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
)

// TestIdleTrim: the hub returns memory after a burst of handshakes once it
// has been quiet, not before the threshold, and not while handshakes go on.
func TestIdleTrim(t *testing.T) {
	const quiet = 300 * time.Millisecond
	app, hub, _ := roomApp(t, ws.WithIdleTrim(5, quiet))
	srv := wstest.NewServer(t, app)
	for i := 0; i < 4; i++ {
		srv.Dial(t, "/rooms/a")
	}
	time.Sleep(3 * quiet)
	if n := hub.Stats().Trims; n != 0 {
		t.Fatalf("%d trims after 4 handshakes (threshold 5)", n)
	}
	// The fifth arms the trim; the sixth cannot make a second one (the
	// count restarts at a trim).
	for i := 0; i < 2; i++ {
		srv.Dial(t, "/rooms/a")
	}
	deadline := time.Now().Add(30 * time.Second)
	for hub.Stats().Trims == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(3 * quiet)
	if n := hub.Stats().Trims; n != 1 {
		t.Fatalf("%d trims after 6 handshakes and a quiet period, want 1", n)
	}
	if n := hub.Stats().Conns; n != 6 {
		t.Fatalf("%d connections after the trim, want 6", n)
	}
}

// TestIdleTrimOff: handshakes <= 0 turns it off.
func TestIdleTrimOff(t *testing.T) {
	app, hub, _ := roomApp(t, ws.WithIdleTrim(0, time.Millisecond))
	srv := wstest.NewServer(t, app)
	for i := 0; i < 3; i++ {
		srv.Dial(t, "/rooms/a")
	}
	time.Sleep(100 * time.Millisecond)
	if n := hub.Stats().Trims; n != 0 {
		t.Fatalf("%d trims with the trim off", n)
	}
}
