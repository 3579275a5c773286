package ws_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
	"go.uber.org/goleak"
)

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// TestGracefulShutdownLeavesNothing serves an app the real way
// (ServeContext), opens WebSocket connections and SSE streams, cancels the
// context as SIGTERM would, and checks: every WebSocket got close 1001,
// every SSE stream ended, ServeContext returned well before its deadline,
// and no goroutine or file descriptor is left.
func TestGracefulShutdownLeavesNothing(t *testing.T) {
	// nbio starts its default engine's task pool at init; everything that
	// runs now is not ours.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fds := openFDs(t)
	func() {
		app := covet.New(covet.WithServer(covet.ServerConfig{ShutdownTimeout: 10 * time.Second}))
		hub := ws.NewHub()
		if err := app.Install(hub); err != nil {
			t.Fatal(err)
		}
		ws.Handle(app, "/rooms/{name}", ws.Handler[[]byte]{Hub: hub,
			Accept: func(c *covet.Context, conn *ws.Conn) error { conn.Join(c.Param("name")); return nil }})
		ws.SSE(app, "/rooms/{name}/events", ws.SSEHandler{Hub: hub,
			Accept: func(c *covet.Context, s *ws.Stream) error { s.Join(c.Param("name")); return nil }})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- app.ServeContext(ctx, ln) }()
		srv := wstest.Remote("http://" + ln.Addr().String())
		var conns []*wstest.Conn
		for i := 0; i < 20; i++ {
			conns = append(conns, srv.Dial(t, "/rooms/a"))
		}
		var streams []*wstest.SSEStream
		for i := 0; i < 5; i++ {
			streams = append(streams, srv.SSE(t, "/rooms/a/events"))
		}
		waitMembers(t, hub, "a", 25)
		start := time.Now()
		cancel()
		for _, c := range conns {
			c.ExpectClose(ws.CloseGoingAway)
			c.Close()
		}
		for _, s := range streams {
			s.ExpectEnd()
			s.Close()
		}
		select {
		case err := <-served:
			if err != nil {
				t.Fatalf("ServeContext: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("ServeContext did not return")
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("shutdown took %v", d)
		}
		http.DefaultClient.CloseIdleConnections()
	}()
	deadline := time.Now().Add(5 * time.Second)
	for openFDs(t) > fds && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := openFDs(t); n > fds {
		t.Fatalf("%d file descriptors before, %d after", fds, n)
	}
}
