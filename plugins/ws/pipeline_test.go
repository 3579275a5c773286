package ws_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
)

// echoOnly is echoApp's app, not started (for other listeners).
func echoOnly(t *testing.T) *covet.App {
	t.Helper()
	app := covet.New()
	hub := ws.NewHub(ws.WithAllowNoOrigin())
	if err := app.Install(hub); err != nil {
		t.Fatal(err)
	}
	ws.Handle(app, "/echo", ws.Handler[[]byte]{
		Hub:       hub,
		OnMessage: func(c *ws.Conn, m *[]byte) error { return c.SendText(*m) },
	}, ws.WithMessageRate(0, 0))
	return app
}

// serveOn serves app with ServeContext on ln until the test ends.
func serveOn(t *testing.T, app *covet.App, ln net.Listener) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.ServeContext(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Error("ServeContext did not return")
		}
	})
}

const handshake = "GET /echo HTTP/1.1\r\nHost: covet.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// pipelined writes the handshake and frames in one write (one segment on
// loopback) and checks the 101; it returns the reader of what follows.
func pipelined(t *testing.T, conn net.Conn, frames ...[]byte) *bufio.Reader {
	t.Helper()
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(wstest.Timeout))
	msg := []byte(handshake)
	for _, f := range frames {
		msg = append(msg, f...)
	}
	if _, err := conn.Write(msg); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return br
}

// readFrame reads one unfragmented server frame (unmasked).
func readFrame(t *testing.T, br *bufio.Reader) (op byte, payload []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatalf("read frame: %v", err)
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		_, _ = io.ReadFull(br, l[:])
		n = int(l[0])<<8 | int(l[1])
	case 127:
		t.Fatal("unexpected 64-bit length")
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(br, payload); err != nil {
		t.Fatalf("read payload: %v", err)
	}
	return h[0] & 0x0f, payload
}

func expectEcho(t *testing.T, br *bufio.Reader, want string) {
	t.Helper()
	op, p := readFrame(t, br)
	if op != 1 || string(p) != want {
		t.Fatalf("got op %d %q, want text %q", op, p, want)
	}
}

func expectCloseFrame(t *testing.T, br *bufio.Reader, code int) {
	t.Helper()
	op, p := readFrame(t, br)
	if op != 8 || len(p) < 2 || int(p[0])<<8|int(p[1]) != code {
		t.Fatalf("got op %d %q, want close %d", op, p, code)
	}
}

// Frames a client sends in the same segment as its handshake request
// (net/http has read them into its buffer with the request) are handled,
// in order, before and with what comes after the 101, on every kind of
// socket: TCP (nbio's upgrader), Unix (the plugin's), and a wrapped
// connection (nbio's blocking mode).
func TestFramesBehindHandshake(t *testing.T) {
	dials := map[string]func(t *testing.T) net.Conn{
		"tcp": func(t *testing.T) net.Conn {
			srv := wstest.NewServer(t, echoOnly(t))
			c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		"unix": func(t *testing.T) net.Conn {
			ln, path := unixListener(t)
			serveOn(t, echoOnly(t), ln)
			c, err := net.Dial("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		"wrapped": func(t *testing.T) net.Conn {
			url := serveWrapped(t, echoOnly(t))
			c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
	}
	for name, dial := range dials {
		t.Run(name, func(t *testing.T) {
			conn := dial(t)
			br := pipelined(t, conn,
				frame(true, 0, 1, []byte("first"), true),
				frame(false, 0, 1, []byte("sec"), true)) // a message cut after the handshake's segment
			if _, err := conn.Write(frame(true, 0, 0, []byte("ond"), true)); err != nil {
				t.Fatal(err)
			}
			expectEcho(t, br, "first")
			expectEcho(t, br, "second")
			if _, err := conn.Write(frame(true, 0, 1, []byte("third"), true)); err != nil {
				t.Fatal(err)
			}
			expectEcho(t, br, "third")
		})
	}
}

// The plugin's frame check covers the bytes behind the handshake too: an
// unmasked frame among them closes with 1002 after the frames before it.
func TestUnmaskedFrameBehindHandshake(t *testing.T) {
	srv := wstest.NewServer(t, echoOnly(t))
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	br := pipelined(t, conn, frame(true, 0, 1, []byte("ok"), true), frame(true, 0, 1, []byte("plain"), false))
	expectEcho(t, br, "ok")
	expectCloseFrame(t, br, ws.CloseProtocolError)
}
