package ws_test

import (
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/ws"
	"github.com/gorilla/websocket"
)

// TestShutdownUnderLoad starts a server process (ServeContext, shutdown
// deadline 10 s), opens N WebSockets that keep sending while it runs,
// sends it SIGTERM and checks that every connection got close 1001 and the
// process exited well within its deadline. N is 200 by default;
//
//	COVET_WS_SHUTDOWN=10000 go test -run TestShutdownUnderLoad -v .
//
// is the 10k run.
func TestShutdownUnderLoad(t *testing.T) {
	n := 200
	if v, _ := strconv.Atoi(os.Getenv("COVET_WS_SHUTDOWN")); v > 0 {
		n = v
	}
	c := startChild(t, "covet-serve")
	conns := dialMany(t, c.addr, n)
	codes := make([]atomic.Int32, n)
	var wg sync.WaitGroup
	for i, wc := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, _, err := wc.ReadMessage(); err != nil {
					if ce, ok := err.(*websocket.CloseError); ok {
						codes[i].Store(int32(ce.Code))
					}
					return
				}
			}
		}()
	}
	// Load: one message per connection every 100 ms, until the end.
	stopLoad := make(chan struct{})
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		msg := []byte("load")
		for {
			for _, wc := range conns {
				select {
				case <-stopLoad:
					return
				default:
				}
				_ = wc.WriteMessage(websocket.TextMessage, msg)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- c.cmd.Wait() }()
	var exitErr error
	select {
	case exitErr = <-exited:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		t.Fatal("server process did not exit within 15 s (shutdown deadline 10 s)")
	}
	took := time.Since(start)
	close(stopLoad)
	<-loadDone
	wg.Wait()
	for _, wc := range conns {
		wc.Close()
	}
	if exitErr != nil {
		t.Fatalf("server exited with %v", exitErr)
	}
	bad := map[int32]int{}
	for i := range codes {
		if code := codes[i].Load(); code != ws.CloseGoingAway {
			bad[code]++
		}
	}
	if len(bad) > 0 {
		t.Fatalf("%d connections: close codes other than 1001: %v (0 = no close frame)", n, bad)
	}
	if took > 10*time.Second {
		t.Fatalf("exit took %v, past the 10 s deadline", took)
	}
	t.Logf("%d connections under load: all got 1001, process exited %v after SIGTERM", n, took.Round(time.Millisecond))
}
