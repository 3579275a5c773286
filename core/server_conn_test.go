package covet_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// The slow-client tests: app.Serve keeps net/http's timeouts exact while
// re-arming the socket's timers lazily (internal/lazyconn). Each test checks
// that a slow client is cut no earlier than the configured time and well
// before it would be without the timeout (the upper bounds are generous:
// the machine is shared).

// slowServer serves app and returns its host:port once it answers.
func slowServer(t *testing.T, app *covet.App) string {
	t.Helper()
	app.GET("/ok", func(c *covet.Context) error { return c.Text(200, "ok") })
	base, _, _ := serveApp(t, app)
	getWhenUp(t, base+"/ok").Body.Close()
	return strings.TrimPrefix(base, "http://")
}

// waitClosed reads from conn until the server closes it, and returns how
// long that took from start; it fails after limit.
func waitClosed(t *testing.T, conn net.Conn, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	_ = conn.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %s", limit)
	}
	return time.Since(start)
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	must(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// doRequest sends one GET /ok on conn and reads its answer.
func doRequest(t *testing.T, conn net.Conn, br *bufio.Reader) {
	t.Helper()
	_, err := io.WriteString(conn, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
	must(t, err)
	res, err := http.ReadResponse(br, nil)
	must(t, err)
	b, err := io.ReadAll(res.Body)
	must(t, err)
	if res.StatusCode != 200 || string(b) != "ok" {
		t.Fatalf("got %d %q", res.StatusCode, b)
	}
}

// TestSlowlorisCutAtReadHeaderTimeout: headers trickling in are cut at
// ReadHeaderTimeout, on a fresh connection and on a keep-alive one whose
// earlier requests and idle time made the socket's timer fire and re-arm.
func TestSlowlorisCutAtReadHeaderTimeout(t *testing.T) {
	const rht = 300 * time.Millisecond
	addr := slowServer(t, covet.New(quiet(), covet.WithServer(covet.ServerConfig{ReadHeaderTimeout: rht, IdleTimeout: 10 * time.Second})))
	for _, reused := range []bool{false, true} {
		t.Run(fmt.Sprintf("keepalive=%v", reused), func(t *testing.T) {
			// A new connection's first request is timed by the server from
			// its accept, which may come before dial returns here: start
			// counts from before the dial. A reused connection's request is
			// timed from its first byte, sent after the restart below.
			start := time.Now()
			conn := dial(t, addr)
			if reused {
				br := bufio.NewReader(conn)
				for i := 0; i < 4; i++ {
					doRequest(t, conn, br)
					time.Sleep(rht / 2) // idle: the lazy timer fires in between
				}
				start = time.Now()
			}
			_, err := io.WriteString(conn, "GET /ok HTTP/1.1\r\nHost: x\r\n")
			must(t, err)
			stop := make(chan struct{})
			defer close(stop)
			go func() { // one header byte every 50 ms, for ever
				for {
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond):
						if _, err := io.WriteString(conn, "X"); err != nil {
							return
						}
					}
				}
			}()
			if d := waitClosed(t, conn, start, rht+5*time.Second); d < rht {
				t.Errorf("cut after %s, before ReadHeaderTimeout %s", d, rht)
			}
		})
	}
}

// TestSlowBodyCutAtReadTimeout: a body trickling in fails the handler's read
// at ReadTimeout, counted from the start of the request.
func TestSlowBodyCutAtReadTimeout(t *testing.T) {
	const rt = 500 * time.Millisecond
	app := covet.New(quiet(), covet.WithServer(covet.ServerConfig{ReadHeaderTimeout: 100 * time.Millisecond, ReadTimeout: rt}))
	readErr := make(chan error, 1)
	app.POST("/upload", func(c *covet.Context) error {
		_, err := io.Copy(io.Discard, c.Request().Body)
		readErr <- err
		return err
	})
	addr := slowServer(t, app)
	// The server times the request from its accept of the connection,
	// which may come before dial returns here: start counts from before.
	start := time.Now()
	conn := dial(t, addr)
	_, err := io.WriteString(conn, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
	must(t, err)
	go func() {
		for i := 0; i < 1000; i++ {
			time.Sleep(20 * time.Millisecond)
			if _, err := io.WriteString(conn, "b"); err != nil {
				return
			}
		}
	}()
	select {
	case err := <-readErr:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("handler's body read ended with %v, want a timeout", err)
		}
		if d := time.Since(start); d < rt {
			t.Errorf("body read cut after %s, before ReadTimeout %s", d, rt)
		}
	case <-time.After(rt + 5*time.Second):
		t.Fatal("slow body not cut")
	}
}

// TestSlowReaderCutAtWriteTimeout: a client that does not read a large
// answer makes the handler's write fail at WriteTimeout.
func TestSlowReaderCutAtWriteTimeout(t *testing.T) {
	const wt = 400 * time.Millisecond
	app := covet.New(quiet(), covet.WithServer(covet.ServerConfig{ReadHeaderTimeout: 100 * time.Millisecond, WriteTimeout: wt}))
	type result struct {
		err error
		d   time.Duration
	}
	done := make(chan result, 1)
	app.GET("/big", func(c *covet.Context) error {
		start := time.Now()
		chunk := make([]byte, 64<<10)
		w := c.Response()
		w.WriteHeader(200)
		var err error
		for i := 0; i < 4096 && err == nil; i++ { // 256 MiB: far more than the socket buffers
			_, err = w.Write(chunk)
		}
		done <- result{err, time.Since(start)}
		return nil
	})
	addr := slowServer(t, app)
	conn := dial(t, addr)
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4 << 10)
	}
	_, err := io.WriteString(conn, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	must(t, err)
	select {
	case r := <-done:
		var ne net.Error
		if !errors.As(r.err, &ne) || !ne.Timeout() {
			t.Errorf("write ended with %v after %s, want a timeout", r.err, r.d)
		}
	case <-time.After(wt + 10*time.Second):
		t.Fatal("slow reader not cut")
	}
}

// TestIdleCutAtIdleTimeout: an idle keep-alive connection is closed at
// IdleTimeout, not at the shorter ReadHeaderTimeout at which the lazy timer
// fires and re-arms.
func TestIdleCutAtIdleTimeout(t *testing.T) {
	const idle = 600 * time.Millisecond
	addr := slowServer(t, covet.New(quiet(), covet.WithServer(covet.ServerConfig{ReadHeaderTimeout: 100 * time.Millisecond, IdleTimeout: idle})))
	conn := dial(t, addr)
	doRequest(t, conn, bufio.NewReader(conn))
	start := time.Now()
	if d := waitClosed(t, conn, start, idle+5*time.Second); d < idle-50*time.Millisecond {
		// (start is taken after the answer was read: the server's idle
		// period began a little earlier.)
		t.Errorf("idle connection closed after %s, before IdleTimeout %s", d, idle)
	}
}

// TestKeepAliveAcrossLazyRearms: requests spread over many multiples of the
// shortest timeout on one connection, and a handler running longer than
// it, all succeed: the early timer firings are invisible.
func TestKeepAliveAcrossLazyRearms(t *testing.T) {
	const step = 100 * time.Millisecond
	app := covet.New(quiet(), covet.WithServer(covet.ServerConfig{ReadHeaderTimeout: step, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, IdleTimeout: 2 * time.Second}))
	app.POST("/slowecho", func(c *covet.Context) error {
		time.Sleep(3 * step)
		b, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		return c.Text(200, string(b))
	})
	addr := slowServer(t, app)
	conn := dial(t, addr)
	br := bufio.NewReader(conn)
	for i := 0; i < 8; i++ {
		doRequest(t, conn, br)
		time.Sleep(step * 3 / 2)
	}
	// A body arriving in pieces slower than the step, well inside ReadTimeout.
	_, err := io.WriteString(conn, "POST /slowecho HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabc")
	must(t, err)
	time.Sleep(step * 2)
	_, err = io.WriteString(conn, "def")
	must(t, err)
	res, err := http.ReadResponse(br, nil)
	must(t, err)
	b, err := io.ReadAll(res.Body)
	must(t, err)
	if res.StatusCode != 200 || string(b) != "abcdef" {
		t.Fatalf("got %d %q", res.StatusCode, b)
	}
	doRequest(t, conn, br)
}
