package covet_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// A hijacker served through app.Serve gets the socket itself, not the
// server's lazy-deadline wrapper, and no deadline left armed on it: event
// loops (nbio, gobwas) need the *net.TCPConn and its fd. This broke the ws
// plugin's shutdown once.
func TestHijackGetsTheSocket(t *testing.T) {
	app := covet.New(covet.WithServer(covet.ServerConfig{ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond}))
	got := make(chan string, 1)
	app.GET("/hijack", func(c *covet.Context) error {
		conn, rw, err := c.Response().Hijack()
		if err != nil {
			got <- err.Error()
			return nil
		}
		defer conn.Close()
		kind := fmt.Sprintf("%T", conn)
		// Past every server timeout the hijacked socket still works.
		time.Sleep(400 * time.Millisecond)
		if _, err := rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
			kind += " write: " + err.Error()
		} else if err := rw.Flush(); err != nil {
			kind += " flush: " + err.Error()
		}
		got <- kind
		return nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.ServeContext(ctx, ln) }()
	defer func() { cancel(); <-done }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n")
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "HTTP/1.1 200 OK\r\n" {
		t.Errorf("answer through the hijacked socket: %q, %v", line, err)
	}
	if k := <-got; k != "*net.TCPConn" {
		t.Errorf("hijacked connection: %s, want *net.TCPConn", k)
	}
}
