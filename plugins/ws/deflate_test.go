package ws_test

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
)

// teeConn records the bytes the client reads (the server's frames).
type teeConn struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *teeConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.buf.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

// frames returns the first byte and payload length of each server frame
// after the handshake (server frames are unmasked; lengths < 64 KiB here).
func (c *teeConn) frames(t *testing.T) [][2]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.buf.Bytes()
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		t.Fatal("no handshake response")
	}
	b = b[i+4:]
	var out [][2]int
	for len(b) >= 2 {
		n, h := int(b[1]&0x7f), 2
		if n == 126 {
			n, h = int(b[2])<<8|int(b[3]), 4
		}
		out = append(out, [2]int{int(b[0]), n})
		if len(b) < h+n {
			break
		}
		b = b[h+n:]
	}
	return out
}

func teeDial() (*teeConn, wstest.DialOption) {
	tc := &teeConn{}
	return tc, wstest.WithNetDial(func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		tc.Conn = c
		return tc, err
	})
}

func deflateApp(t *testing.T, opts ...ws.Option) (*covet.App, *ws.Hub, *closeRec) {
	t.Helper()
	app := covet.New()
	hub := ws.NewHub(opts...)
	if err := app.Install(hub); err != nil {
		t.Fatal(err)
	}
	rec := newCloseRec()
	ws.Handle(app, "/echo", ws.Handler[[]byte]{Hub: hub,
		Accept:    func(_ *covet.Context, c *ws.Conn) error { c.Join("all"); return nil },
		OnMessage: func(c *ws.Conn, m *[]byte) error { return c.SendText(*m) },
		OnClose:   func(_ *ws.Conn, code int, _ string) { rec.add(code) }})
	return app, hub, rec
}

func TestDeflateNegotiatedAndUsed(t *testing.T) {
	app, hub, _ := deflateApp(t, ws.WithCompression(1, 64))
	srv := wstest.NewServer(t, app)
	tc, dial := teeDial()
	c := srv.Dial(t, "/echo", wstest.WithCompression(), dial)
	if ext := c.Response.Header.Get("Sec-Websocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Fatalf("extension not negotiated: %q", ext)
	}
	plain := srv.Dial(t, "/echo") // no offer: gets plain frames

	big := strings.Repeat(`{"task":7,"column":"done"},`, 150) // 4,050 bytes, compresses well
	c.SendText(big)                                           // the client compresses it: the server inflates
	if got := string(c.Read()); got != big {
		t.Fatalf("echo of a compressed message differs (%d bytes)", len(got))
	}
	c.SendText("short")
	if got := string(c.Read()); got != "short" {
		t.Fatalf("echo %q", got)
	}
	msg := map[string]string{"text": strings.Repeat("broadcast ", 100)}
	if err := hub.Broadcast(context.Background(), "all", msg); err != nil {
		t.Fatal(err)
	}
	want := `{"text":"` + strings.Repeat("broadcast ", 100) + `"}`
	for _, cl := range []*wstest.Conn{c, plain} {
		if got := string(cl.Read()); got != want {
			t.Fatalf("broadcast differs: %q", got)
		}
	}
	f := tc.frames(t)
	if len(f) != 3 {
		t.Fatalf("frames %v", f)
	}
	if f[0][0] != 0xC1 || f[0][1] > len(big)/10 {
		t.Fatalf("echo of 4,050 bytes: first byte %#x, payload %d: want RSV1 set and < 405 bytes", f[0][0], f[0][1])
	}
	if f[1][0] != 0x81 {
		t.Fatalf("a 5-byte message (under the 64-byte threshold) has first byte %#x, want 0x81 (uncompressed)", f[1][0])
	}
	if f[2][0] != 0xC1 || f[2][1] >= len(want) {
		t.Fatalf("broadcast frame %#x, %d bytes of %d", f[2][0], f[2][1], len(want))
	}
}

func TestDeflateOffByDefault(t *testing.T) {
	app, _, _ := deflateApp(t)
	srv := wstest.NewServer(t, app)
	tc, dial := teeDial()
	c := srv.Dial(t, "/echo", wstest.WithCompression(), dial)
	if ext := c.Response.Header.Get("Sec-Websocket-Extensions"); ext != "" {
		t.Fatalf("extension negotiated without WithCompression: %q", ext)
	}
	big := strings.Repeat("x", 2000)
	c.SendText(big)
	if string(c.Read()) != big {
		t.Fatal("echo differs")
	}
	if f := tc.frames(t); f[0][0] != 0x81 {
		t.Fatalf("first byte %#x", f[0][0])
	}
}

// TestDeflateBombRefused: 1 MiB of zeros compresses to ~1 KiB; inflated it
// is over the 64 KiB read limit, so the connection is closed with 1009
// without inflating it all.
func TestDeflateBombRefused(t *testing.T) {
	app, _, rec := deflateApp(t, ws.WithCompression(1, 64))
	srv := wstest.NewServer(t, app)
	c := srv.Dial(t, "/echo", wstest.WithCompression())
	c.SendText(strings.Repeat("\x00", 1<<20))
	c.ExpectClose(ws.CloseTooBig)
	if code := rec.wait(t); code != ws.CloseTooBig {
		t.Fatalf("OnClose %d", code)
	}
}

// TestDeflateSmallWindowDeclined: an offer asking the server for a window
// smaller than 32 KiB cannot be honoured (nbio's answer does not carry the
// parameter), so the handshake succeeds without the extension.
func TestDeflateSmallWindowDeclined(t *testing.T) {
	app, _, _ := deflateApp(t, ws.WithCompression(1, 64))
	srv := wstest.NewServer(t, app)
	for _, tc := range []struct{ offer, want string }{
		{"permessage-deflate; server_max_window_bits=10", ""},
		{"permessage-deflate; server_max_window_bits=10, permessage-deflate", "permessage-deflate"},
		{"permessage-deflate; client_max_window_bits", "permessage-deflate"},
	} {
		nc, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		req := "GET /echo HTTP/1.1\r\nHost: " + srv.Addr() + "\r\nOrigin: " + srv.URL +
			"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Extensions: " + tc.offer + "\r\n\r\n"
		if _, err := nc.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		nc.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := resp.Header.Get("Sec-Websocket-Extensions")
		if resp.StatusCode != http.StatusSwitchingProtocols || !strings.HasPrefix(got, tc.want) || (tc.want == "" && got != "") {
			t.Errorf("offer %q: status %d, extensions %q, want %q", tc.offer, resp.StatusCode, got, tc.want)
		}
	}
}
