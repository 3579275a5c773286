package ws_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
)

// checkedApp echoes text messages on /echo, allows only the origin
// https://app.example and counts the handshakes Accept saw.
func checkedApp(t *testing.T, accepted *atomic.Int32) *covet.App {
	t.Helper()
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	hub := ws.NewHub(ws.WithOrigins("https://app.example"))
	if err := app.Install(hub); err != nil {
		t.Fatal(err)
	}
	ws.Handle(app, "/echo", ws.Handler[[]byte]{
		Hub: hub,
		Accept: func(*covet.Context, *ws.Conn) error {
			accepted.Add(1)
			return nil
		},
		OnMessage: func(c *ws.Conn, m *[]byte) error { return c.SendText(*m) },
	}, ws.WithMessageRate(0, 0))
	return app
}

// transports serve an app on each kind of connection the plugin handles:
// TCP (nbio's upgrader, the poller), a Unix socket (the plugin's upgrade,
// the poller), a wrapped listener and crypto/tls (nbio's blocking mode).
// Each returns a dialer of raw connections.
var transports = map[string]func(t *testing.T, app *covet.App) func() net.Conn{
	"tcp": func(t *testing.T, app *covet.App) func() net.Conn {
		srv := wstest.NewServer(t, app)
		return func() net.Conn { return mustDial(t, "tcp", strings.TrimPrefix(srv.URL, "http://")) }
	},
	"unix": func(t *testing.T, app *covet.App) func() net.Conn {
		ln, path := unixListener(t)
		serveOn(t, app, ln)
		return func() net.Conn { return mustDial(t, "unix", path) }
	},
	"wrapped": func(t *testing.T, app *covet.App) func() net.Conn {
		url := serveWrapped(t, app)
		return func() net.Conn { return mustDial(t, "tcp", strings.TrimPrefix(url, "http://")) }
	},
	"tls": func(t *testing.T, app *covet.App) func() net.Conn {
		if err := app.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewUnstartedServer(app)
		hs.StartTLS()
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = app.Stop(ctx)
			hs.Close()
		})
		cfg := hs.Client().Transport.(*http.Transport).TLSClientConfig
		return func() net.Conn {
			c, err := tls.Dial("tcp", hs.Listener.Addr().String(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
	},
}

func mustDial(t *testing.T, network, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// request sends a raw handshake request and returns the response (its
// reader for what follows).
func request(t *testing.T, conn net.Conn, raw string) (*http.Response, *bufio.Reader) {
	t.Helper()
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(wstest.Timeout))
	if _, err := conn.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp, br
}

const goodKey = "dGhlIHNhbXBsZSBub25jZQ=="

// handshakeWith builds a handshake request from a base that every check
// accepts, with header lines replaced (name: "" drops one).
func handshakeWith(requestLine string, set map[string]string) string {
	h := [][2]string{
		{"Host", "covet.test"}, {"Upgrade", "websocket"}, {"Connection", "Upgrade"},
		{"Sec-WebSocket-Key", goodKey}, {"Sec-WebSocket-Version", "13"}, {"Origin", "https://app.example"},
	}
	var b strings.Builder
	b.WriteString(requestLine + "\r\n")
	for _, kv := range h {
		v, ok := set[kv[0]]
		if !ok {
			v = kv[1]
		}
		if v != "" {
			b.WriteString(kv[0] + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

// TestSameChecksInEveryMode: the RFC 6455 §4.2.1 checks of the handshake
// request (method and HTTP version, Upgrade and Connection tokens,
// version, a key of 16 base64-encoded bytes, the Origin policy) and the
// checks of every client frame header (§5: masking, reserved bits,
// control frames; empty messages delivered) give the same answers on every
// kind of connection; connections nbio serves in its blocking mode (TLS,
// wrapped listeners) were parsed by nbio alone, which accepts unmasked
// client frames.
func TestSameChecksInEveryMode(t *testing.T) {
	const get = "GET /echo HTTP/1.1"
	handshakes := []struct {
		name   string
		req    string
		status int
	}{
		{"valid", handshakeWith(get, nil), http.StatusSwitchingProtocols},
		{"no Upgrade", handshakeWith(get, map[string]string{"Upgrade": ""}), http.StatusUpgradeRequired},
		{"Connection without upgrade", handshakeWith(get, map[string]string{"Connection": "keep-alive"}), http.StatusUpgradeRequired},
		{"version 8", handshakeWith(get, map[string]string{"Sec-WebSocket-Version": "8"}), http.StatusBadRequest},
		{"no key", handshakeWith(get, map[string]string{"Sec-WebSocket-Key": ""}), http.StatusBadRequest},
		{"key not base64", handshakeWith(get, map[string]string{"Sec-WebSocket-Key": "not base64!"}), http.StatusBadRequest},
		{"key of 8 bytes", handshakeWith(get, map[string]string{"Sec-WebSocket-Key": "AAAAAAAAAAA="}), http.StatusBadRequest},
		{"foreign origin", handshakeWith(get, map[string]string{"Origin": "https://evil.example"}), http.StatusForbidden},
		{"no origin", handshakeWith(get, map[string]string{"Origin": ""}), http.StatusForbidden},
		{"HTTP/1.0", handshakeWith("GET /echo HTTP/1.0", nil), http.StatusBadRequest},
		{"POST", handshakeWith("POST /echo HTTP/1.1", map[string]string{"Content-Length": ""}), http.StatusMethodNotAllowed},
	}
	frames := []struct {
		name  string
		send  [][]byte
		echo  []string
		close int
	}{
		{"masked text", [][]byte{frame(true, 0, 1, []byte("hi"), true)}, []string{"hi"}, 0},
		{"empty text", [][]byte{frame(true, 0, 1, nil, true), frame(true, 0, 1, []byte("after"), true)}, []string{"", "after"}, 0},
		{"unmasked text", [][]byte{frame(true, 0, 1, []byte("ok"), true), frame(true, 0, 1, []byte("plain"), false)}, []string{"ok"}, ws.CloseProtocolError},
		{"reserved bit", [][]byte{frame(true, 2, 1, []byte("rsv"), true)}, nil, ws.CloseProtocolError},
		{"oversized ping", [][]byte{frame(true, 0, 9, make([]byte, 126), true)}, nil, ws.CloseProtocolError},
		{"stray continuation", [][]byte{frame(true, 0, 0, []byte("x"), true)}, nil, ws.CloseProtocolError},
	}
	for name, serve := range transports {
		t.Run(name, func(t *testing.T) {
			var accepted atomic.Int32
			dial := serve(t, checkedApp(t, &accepted))
			for _, hc := range handshakes {
				t.Run("handshake/"+hc.name, func(t *testing.T) {
					before := accepted.Load()
					resp, _ := request(t, dial(), hc.req)
					resp.Body.Close()
					if resp.StatusCode != hc.status {
						t.Fatalf("status %d, want %d", resp.StatusCode, hc.status)
					}
					ran := accepted.Load() - before
					if hc.status == http.StatusSwitchingProtocols {
						if resp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
							t.Fatalf("Sec-WebSocket-Accept %q", resp.Header.Get("Sec-WebSocket-Accept"))
						}
					} else if ran != 0 {
						t.Fatal("Accept ran for a refused handshake")
					}
				})
			}
			for _, fc := range frames {
				t.Run("frames/"+fc.name, func(t *testing.T) {
					conn := dial()
					resp, br := request(t, conn, handshakeWith(get, nil))
					if resp.StatusCode != http.StatusSwitchingProtocols {
						t.Fatalf("handshake: %d", resp.StatusCode)
					}
					// A round trip first: on TCP, frames that arrive before the
					// plugin hooks the poller's reads are parsed by nbio alone
					// (README, nbio deviations).
					if _, err := conn.Write(frame(true, 0, 1, []byte("sync"), true)); err != nil {
						t.Fatal(err)
					}
					expectEcho(t, br, "sync")
					for _, f := range fc.send {
						if _, err := conn.Write(f); err != nil {
							t.Fatal(err)
						}
					}
					for _, want := range fc.echo {
						expectEcho(t, br, want)
					}
					if fc.close != 0 {
						expectCloseFrame(t, br, fc.close)
					}
				})
			}
		})
	}
}
