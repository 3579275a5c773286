package covet_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// TestSlowClientsDoNotStarveOthers (issue 13): slowloris connections (a
// request header sent a byte at a time, never finished) and slow readers
// (a large response requested and never read) hold connections open, yet a
// well-behaved client keeps getting answers within a bound. The default run
// uses 50 of each; the full run is
//
//	COVET_SLOW_CLIENTS=1000 go test -run TestSlowClientsDoNotStarveOthers -v .
//
// (4,000 descriptors in this process: both ends of 2,000 connections).
func TestSlowClientsDoNotStarveOthers(t *testing.T) {
	n := 50
	if v := os.Getenv("COVET_SLOW_CLIENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("COVET_SLOW_CLIENTS=%q", v)
		}
	}
	big := bytes.Repeat([]byte("x"), 4<<20)
	app := covet.New(quiet())
	app.GET("/ok", func(c *covet.Context) error { return c.Text(http.StatusOK, "ok") })
	app.GET("/big", func(c *covet.Context) error {
		return c.Blob(http.StatusOK, "application/octet-stream", big)
	})
	srv := httptest.NewUnstartedServer(app)
	srv.Config = app.Server("") // the app's timeouts: ReadHeaderTimeout 5s, WriteTimeout 60s
	srv.Start()
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	var mu sync.Mutex
	var conns []net.Conn
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	small := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 2 * n {
		c, err := small.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("opening slow connection %d: %v", i, err)
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		if i%2 == 0 {
			// Slowloris: a header byte every 200 ms, never the blank line.
			io.WriteString(c, "GET /ok HTTP/1.1\r\nHost: x\r\nX-Slow: ")
			wg.Add(1)
			go func() {
				defer wg.Done()
				tick := time.NewTicker(200 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						if _, err := c.Write([]byte("a")); err != nil {
							return // the server gave up on it (ReadHeaderTimeout)
						}
					}
				}
			}()
		} else {
			// Slow reader: asks for 4 MiB and never reads it.
			io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
		}
	}
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(500 * time.Millisecond) // the server is now writing to the slow readers

	// The well-behaved client: new connections, sequential requests.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	var lat []time.Duration
	for i := 0; i < 30; i++ {
		start := time.Now()
		res, err := client.Get(srv.URL + "/ok")
		if err != nil {
			t.Fatalf("request %d of the well-behaved client: %v", i, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(body) != "ok" {
			t.Fatalf("request %d: %d %q", i, res.StatusCode, body)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	const bound = 3 * time.Second // generous: the shared 2-core CI machine
	t.Logf("%d slowloris + %d slow readers: well-behaved client latency p50 %v, max %v (bound %v)",
		n, n, lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond), bound)
	if lat[len(lat)-1] > bound {
		t.Errorf("a well-behaved request took %v with %d slow clients of each kind (bound %v)", lat[len(lat)-1], n, bound)
	}
}
