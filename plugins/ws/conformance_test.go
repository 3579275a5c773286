package ws_test

// Protocol conformance, rebuilt from the core cases of the Autobahn
// Testsuite (which cannot run here): each case writes raw frames to the
// server and checks what comes back. Section numbers are Autobahn's.

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
)

// echoApp echoes every message as text (messages are []byte: no JSON).
func echoApp(t *testing.T) *wstest.Server {
	t.Helper()
	app := covet.New()
	hub := ws.NewHub()
	if err := app.Install(hub); err != nil {
		t.Fatal(err)
	}
	ws.Handle(app, "/echo", ws.Handler[[]byte]{
		Hub:       hub,
		OnMessage: func(c *ws.Conn, m *[]byte) error { return c.SendText(*m) },
	}, ws.WithReadLimit(1<<20), ws.WithMessageRate(0, 0))
	return wstest.NewServer(t, app)
}

// frame builds a client frame; masked unless told otherwise.
func frame(fin bool, rsv, op byte, payload []byte, masked bool) []byte {
	b0 := op | rsv<<4
	if fin {
		b0 |= 0x80
	}
	var mbit byte
	if masked {
		mbit = 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, mbit|byte(n))
	case n <= 0xFFFF:
		out = append(out, mbit|126, byte(n>>8), byte(n))
	default:
		out = append(out, mbit|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if !masked {
		return append(out, payload...)
	}
	key := []byte{0x12, 0x34, 0x56, 0x78}
	out = append(out, key...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

func closePayload(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

type rawConn struct {
	t     *testing.T
	c     *wstest.Conn
	pongs chan string
}

func dialRaw(t *testing.T, srv *wstest.Server) *rawConn {
	c := srv.Dial(t, "/echo")
	r := &rawConn{t: t, c: c, pongs: make(chan string, 10)}
	c.WS.SetPongHandler(func(s string) error { r.pongs <- s; return nil })
	// One round trip first: frames that arrive in the microseconds between
	// nbio writing the 101 and the plugin attaching its guard are parsed
	// by nbio alone (see README, nbio deviations).
	r.write(frame(true, 0, 1, []byte("sync"), true))
	r.expectText("sync")
	return r
}

func (r *rawConn) write(frames ...[]byte) {
	r.t.Helper()
	if _, err := r.c.WS.UnderlyingConn().Write(bytes.Join(frames, nil)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawConn) expectText(want string) {
	r.t.Helper()
	if got := string(r.c.Read()); got != want {
		r.t.Fatalf("echo %q, want %q", trunc(got), trunc(want))
	}
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func TestConformance(t *testing.T) {
	srv := echoApp(t)
	text := func(s string) []byte { return frame(true, 0, 1, []byte(s), true) }
	tests := []struct {
		name   string
		frames [][]byte
		// echo is the text expected back before the close (if any); close
		// the expected close code (0: the connection stays and echoes).
		echo  []string
		pong  string
		close int
	}{
		// 1.x framing
		{"1.1.1 empty text", [][]byte{text("")}, []string{""}, "", 0},
		{"1.2.1 empty binary", [][]byte{frame(true, 0, 2, nil, true)}, []string{""}, "", 0},
		{"1.1.x empty text in empty fragments", [][]byte{frame(false, 0, 1, nil, true), frame(true, 0, 0, nil, true), text("after")}, []string{"", "after"}, "", 0},
		{"1.1.x 16-bit length", [][]byte{text(strings.Repeat("m", 126)), text(strings.Repeat("n", 65535))}, []string{strings.Repeat("m", 126), strings.Repeat("n", 65535)}, "", 0},
		{"RFC 6455 5.1 unmasked text", [][]byte{text("ok"), frame(true, 0, 1, []byte("plain"), false)}, []string{"ok"}, "", ws.CloseProtocolError},
		{"RFC 6455 5.1 unmasked ping", [][]byte{frame(true, 0, 9, []byte("p"), false)}, nil, "", ws.CloseProtocolError},
		{"RFC 6455 5.1 unmasked continuation", [][]byte{frame(false, 0, 1, []byte("a"), true), frame(true, 0, 0, []byte("b"), false)}, nil, "", ws.CloseProtocolError},
		{"1.1.6 64 KiB text", [][]byte{text(strings.Repeat("*", 65536))}, []string{strings.Repeat("*", 65536)}, "", 0},
		// 2.x pings
		{"2.2 ping with payload", [][]byte{frame(true, 0, 9, []byte("hello"), true)}, nil, "hello", 0},
		{"2.4 ping 125 bytes", [][]byte{frame(true, 0, 9, bytes.Repeat([]byte{0xfe}, 125), true)}, nil, strings.Repeat("\xfe", 125), 0},
		// nbio alone answers 1009; the plugin's header check 1002, as Autobahn expects.
		{"2.5 ping 126 bytes", [][]byte{frame(true, 0, 9, bytes.Repeat([]byte{1}, 126), true)}, nil, "", ws.CloseProtocolError},
		{"2.5 echo then close 126 bytes", [][]byte{text("a"), frame(true, 0, 8, closePayload(1000, strings.Repeat("r", 124)), true)}, []string{"a"}, "", ws.CloseProtocolError},
		// 3.x reserved bits
		{"3.1 RSV2 on text", [][]byte{frame(true, 2, 1, []byte("x"), true)}, nil, "", ws.CloseProtocolError},
		{"3.2 echo then RSV3", [][]byte{text("ok"), frame(true, 4, 1, []byte("x"), true)}, []string{"ok"}, "", ws.CloseProtocolError},
		{"3.7 RSV on close", [][]byte{frame(true, 7, 8, nil, true)}, nil, "", ws.CloseProtocolError},
		{"3.x RSV1 without permessage-deflate", [][]byte{text("ok"), frame(true, 4, 1, []byte("x"), true)}, []string{"ok"}, "", ws.CloseProtocolError},
		// 4.x opcodes
		{"4.1.1 opcode 3", [][]byte{frame(true, 0, 3, nil, true)}, nil, "", ws.CloseProtocolError},
		{"4.1.3 echo then opcode 5", [][]byte{text("a"), frame(true, 0, 5, []byte("x"), true)}, []string{"a"}, "", ws.CloseProtocolError},
		{"4.2.1 opcode 11", [][]byte{frame(true, 0, 11, nil, true)}, nil, "", ws.CloseProtocolError},
		// 5.x fragmentation
		{"5.1 fragmented ping", [][]byte{frame(false, 0, 9, []byte("a"), true), frame(true, 0, 0, []byte("b"), true)}, nil, "", ws.CloseProtocolError},
		{"5.9 continuation with no message", [][]byte{text("ok"), frame(true, 0, 0, []byte("x"), true)}, []string{"ok"}, "", ws.CloseProtocolError},
		{"5.x fragmented close", [][]byte{frame(false, 0, 8, closePayload(1000, ""), true)}, nil, "", ws.CloseProtocolError},
		{"5.x binary inside fragmented text", [][]byte{frame(false, 0, 1, []byte("a"), true), frame(true, 0, 2, []byte("b"), true)}, nil, "", ws.CloseProtocolError},
		{"5.3 text in 2 fragments", [][]byte{frame(false, 0, 1, []byte("frag"), true), frame(true, 0, 0, []byte("ment"), true)}, []string{"fragment"}, "", 0},
		{"5.6 ping between fragments", [][]byte{frame(false, 0, 1, []byte("fr"), true), frame(true, 0, 9, []byte("p"), true), frame(true, 0, 0, []byte("ag"), true)}, []string{"frag"}, "p", 0},
		{"5.18 text inside fragmented text", [][]byte{frame(false, 0, 1, []byte("a"), true), frame(true, 0, 1, []byte("b"), true)}, nil, "", ws.CloseProtocolError},
		{"5.19 many fragments", [][]byte{frame(false, 0, 1, []byte("a"), true), frame(false, 0, 0, []byte("b"), true), frame(false, 0, 0, []byte("c"), true), frame(true, 0, 0, []byte("d"), true)}, []string{"abcd"}, "", 0},
		// 6.x UTF-8
		{"6.3.1 invalid UTF-8", [][]byte{text("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64")}, nil, "", ws.CloseInvalidPayload},
		{"6.4 invalid UTF-8 split over fragments", [][]byte{frame(false, 0, 1, []byte("\xce\xba\xe1"), true), frame(true, 0, 0, []byte("\xbd\xf4\x90\x80\x80"), true)}, nil, "", ws.CloseInvalidPayload},
		{"6.x valid UTF-8 split inside a code point", [][]byte{frame(false, 0, 1, []byte("\xce"), true), frame(true, 0, 0, []byte("\xba"), true)}, []string{"κ"}, "", 0},
		// 7.x close
		{"7.1.1 close 1000", [][]byte{frame(true, 0, 8, closePayload(1000, "bye"), true)}, nil, "", 1000},
		{"7.3.1 close empty payload", [][]byte{frame(true, 0, 8, nil, true)}, nil, "", 1000},
		{"7.3.2 close 1-byte payload", [][]byte{frame(true, 0, 8, []byte{0x03}, true)}, nil, "", ws.CloseProtocolError},
		{"7.5.1 close reason invalid UTF-8", [][]byte{frame(true, 0, 8, closePayload(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"), true)}, nil, "", ws.CloseInvalidPayload},
		{"7.7.x close 3000", [][]byte{frame(true, 0, 8, closePayload(3000, ""), true)}, nil, "", 3000},
		{"7.7.x close 4999", [][]byte{frame(true, 0, 8, closePayload(4999, ""), true)}, nil, "", 4999},
		{"7.9.1 close 0", [][]byte{frame(true, 0, 8, closePayload(0, ""), true)}, nil, "", ws.CloseProtocolError},
		{"7.9.x close 1004", [][]byte{frame(true, 0, 8, closePayload(1004, ""), true)}, nil, "", ws.CloseProtocolError},
		{"7.9.x close 1005", [][]byte{frame(true, 0, 8, closePayload(1005, ""), true)}, nil, "", ws.CloseProtocolError},
		{"7.9.x close 1006", [][]byte{frame(true, 0, 8, closePayload(1006, ""), true)}, nil, "", ws.CloseProtocolError},
		{"7.9.x close 1015", [][]byte{frame(true, 0, 8, closePayload(1015, ""), true)}, nil, "", ws.CloseProtocolError},
		{"7.9.x close 5000", [][]byte{frame(true, 0, 8, closePayload(5000, ""), true)}, nil, "", ws.CloseProtocolError},
		// 9.x / limits
		{"oversize message", [][]byte{text(strings.Repeat("x", 1<<20+1))}, nil, "", ws.CloseTooBig},
		{"oversize over fragments", [][]byte{frame(false, 0, 1, bytes.Repeat([]byte("x"), 600<<10), true), frame(true, 0, 0, bytes.Repeat([]byte("x"), 600<<10), true)}, nil, "", ws.CloseTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := dialRaw(t, srv)
			r.write(tt.frames...)
			for _, e := range tt.echo {
				r.expectText(e)
			}
			if tt.close != 0 {
				r.c.ExpectClose(tt.close)
				return
			}
			// Still open: one more echo (pongs are handled while reading it).
			r.write(text("still here"))
			r.expectText("still here")
			if tt.pong != "" {
				select {
				case p := <-r.pongs:
					if p != tt.pong {
						t.Fatalf("pong %q, want %q", trunc(p), trunc(tt.pong))
					}
				default:
					t.Fatal("no pong before the next message")
				}
			}
		})
	}
}

// TestFramesByteByByte feeds frames one byte per write: the plugin's
// header check keeps its state across reads (a split extended length, a
// mask key cut in two) and still finds an unmasked frame.
func TestFramesByteByByte(t *testing.T) {
	srv := echoApp(t)
	r := dialRaw(t, srv)
	long := strings.Repeat("L", 300)
	all := bytes.Join([][]byte{
		frame(false, 0, 1, []byte("fr"), true),
		frame(true, 0, 9, []byte("p"), true),
		frame(true, 0, 0, []byte("ag"), true),
		frame(true, 0, 1, []byte(long), true),
		frame(true, 0, 1, nil, true),
		frame(true, 0, 1, []byte("plain"), false),
	}, nil)
	for i := range all {
		r.write(all[i : i+1])
	}
	r.expectText("frag")
	r.expectText(long)
	r.expectText("")
	r.c.ExpectClose(ws.CloseProtocolError)
}

var _ = websocket.TextMessage
