package ws_test

import (
	"os"
	"strconv"
	"strings"
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
// process exited well within its deadline, leaving no goroutine and no file
// descriptor of the app behind (the server process checks itself after
// ServeContext returned). N is 500 by default;
//
//	COVET_WS_SHUTDOWN=10000 go test -run TestShutdownUnderLoad -v .
//
// is the 10k run.
func TestShutdownUnderLoad(t *testing.T) {
	n := 500
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
	// Read the child's last lines (DONE, or what the shutdown left behind)
	// to the end before Wait, which closes the pipe.
	exited := make(chan error, 1)
	var tail []string
	go func() {
		for {
			l, err := c.out.ReadString('\n')
			if err != nil {
				break
			}
			tail = append(tail, strings.TrimSpace(l))
		}
		exited <- c.cmd.Wait()
	}()
	var exitErr error
	select {
	case exitErr = <-exited:
	case <-time.After(60 * time.Second):
		_ = c.cmd.Process.Kill()
		t.Fatal("server process did not exit within 60 s (shutdown deadline 10 s)")
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
	done := false
	var served time.Duration = -1
	for _, l := range tail {
		if v, ok := strings.CutPrefix(l, "SERVED "); ok {
			ns, _ := strconv.ParseInt(v, 10, 64)
			served = time.Duration(ns)
		} else if l == "DONE" {
			done = true
		} else if strings.HasPrefix(l, "LEFT ") {
			t.Fatalf("after the shutdown the server process still had %s", strings.TrimPrefix(l, "LEFT "))
		}
	}
	if !done {
		t.Fatalf("server process ended without DONE: %q", tail)
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
	if served < 0 || served > 10*time.Second {
		t.Fatalf("ServeContext returned %v after SIGTERM, past the 10 s shutdown deadline", served)
	}
	t.Logf("%d connections under load: all got 1001, ServeContext returned %v after SIGTERM, process exited after %v, no goroutine or fd left",
		n, served.Round(time.Millisecond), took.Round(time.Millisecond))
}
