package compress_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// TestHijack: a handler behind the middleware takes over the connection, as
// gorilla/websocket does, and talks its own protocol on it.
func TestHijack(t *testing.T) {
	for _, withPlugin := range []bool{false, true} {
		app := covet.New()
		if withPlugin {
			app = newApp(t)
		}
		app.GET("/raw", func(c *covet.Context) error {
			conn, brw, err := c.Response().Hijack()
			if err != nil {
				return err
			}
			defer conn.Close()
			brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
			brw.Flush()
			line, _ := brw.ReadString('\n')
			brw.WriteString("echo: " + line)
			brw.Flush()
			return nil
		})
		srv := httptest.NewServer(app)
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "GET /raw HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, br\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		r := bufio.NewReader(conn)
		res, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("plugin=%v: %v", withPlugin, err)
		}
		if res.StatusCode != 101 || res.Header.Get("Content-Encoding") != "" {
			t.Fatalf("plugin=%v: %d %v", withPlugin, res.StatusCode, res.Header)
		}
		fmt.Fprintf(conn, "ping\n")
		line, err := r.ReadString('\n')
		if err != nil || line != "echo: ping\n" {
			t.Fatalf("plugin=%v: %q %v", withPlugin, line, err)
		}
		conn.Close()
		srv.Close()
	}
}
