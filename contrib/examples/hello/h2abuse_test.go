package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"golang.org/x/sys/unix"
)

// HTTP/2 abuse (issue 13): the server a Covet app runs on (app.Server,
// net/http's HTTP/2) keeps Go's limits in force against the known attacks,
// over TLS and with the H2C option, and a well-behaved client is served
// throughout. Frames are crafted with golang.org/x/net/http2's Framer. Each
// test takes a few seconds at most.

// h2Target is a served app and a way to open raw HTTP/2 connections to it.
type h2Target struct {
	name   string
	srv    *httptest.Server
	client *http.Client // a well-behaved HTTP/2 client
	dial   func(t *testing.T) net.Conn
	dialer *net.Dialer  // for dial
	active atomic.Int64 // /slow handlers running
	peak   atomic.Int64
	conns  *serverConns // the server's side of each accepted connection
}

// serverConns records the server's side of each connection it accepts, so a
// test can look at the server's socket: whether bytes wait there unread.
type serverConns struct {
	net.Listener
	mu    sync.Mutex
	conns []*net.TCPConn
}

func (l *serverConns) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		l.mu.Lock()
		l.conns = append(l.conns, tc)
		l.mu.Unlock()
	}
	return c, err
}

// unread reports how many bytes the client conn c has delivered to the
// server's socket that the server has not read yet (the server socket's
// receive queue), and false when the server's side is not found.
func (l *serverConns) unread(c net.Conn) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, sc := range l.conns {
		if sc.RemoteAddr().String() != c.LocalAddr().String() {
			continue
		}
		rc, err := sc.SyscallConn()
		if err != nil {
			return 0, false
		}
		n, ok := 0, false
		rc.Control(func(fd uintptr) {
			v, err := unix.IoctlGetInt(int(fd), unix.SIOCINQ)
			n, ok = v, err == nil
		})
		return n, ok
	}
	return 0, false
}

func h2App(tg *h2Target, h2c bool) *covet.App {
	app := covet.New(covet.WithServer(covet.ServerConfig{H2C: h2c}))
	app.GET("/ok", func(c *covet.Context) error { return c.Text(http.StatusOK, "ok") })
	app.GET("/slow", func(c *covet.Context) error {
		n := tg.active.Add(1)
		defer tg.active.Add(-1)
		for {
			p := tg.peak.Load()
			if n <= p || tg.peak.CompareAndSwap(p, n) {
				break
			}
		}
		select {
		case <-c.Context().Done():
		case <-time.After(2 * time.Second):
		}
		return c.NoContent(http.StatusNoContent)
	})
	return app
}

func h2Targets(t *testing.T) []*h2Target {
	tlsT := &h2Target{name: "TLS", dialer: &net.Dialer{}}
	app := h2App(tlsT, false)
	tlsT.srv = httptest.NewUnstartedServer(app)
	tlsT.conns = &serverConns{Listener: tlsT.srv.Listener}
	tlsT.srv.Listener = tlsT.conns
	tlsT.srv.Config = app.Server("")
	tlsT.srv.EnableHTTP2 = true
	tlsT.srv.StartTLS()
	tlsT.client = tlsT.srv.Client()
	tlsT.dial = func(t *testing.T) net.Conn {
		c, err := tls.DialWithDialer(tlsT.dialer, "tcp", tlsT.srv.Listener.Addr().String(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
		if err != nil {
			t.Fatal(err)
		}
		if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
			t.Fatalf("ALPN %q, want h2", p)
		}
		return c
	}

	h2cT := &h2Target{name: "H2C", dialer: &net.Dialer{}}
	app = h2App(h2cT, true)
	h2cT.srv = httptest.NewUnstartedServer(app)
	h2cT.conns = &serverConns{Listener: h2cT.srv.Listener}
	h2cT.srv.Listener = h2cT.conns
	h2cT.srv.Config = app.Server("")
	h2cT.srv.Start()
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	h2cT.client = &http.Client{Transport: &http.Transport{Protocols: p}, Timeout: 5 * time.Second}
	h2cT.dial = func(t *testing.T) net.Conn {
		c, err := h2cT.dialer.Dial("tcp", h2cT.srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tg := range []*h2Target{tlsT, h2cT} {
		t.Cleanup(tg.srv.Close)
	}
	return []*h2Target{tlsT, h2cT}
}

// served checks a well-behaved client gets its answer over HTTP/2, promptly.
func (tg *h2Target) served(t *testing.T) {
	t.Helper()
	start := time.Now()
	res, err := tg.client.Get(tg.srv.URL + "/ok")
	if err != nil {
		t.Fatalf("%s: well-behaved client: %v", tg.name, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "ok" || res.ProtoMajor != 2 {
		t.Fatalf("%s: well-behaved client got %s %d %q", tg.name, res.Proto, res.StatusCode, body)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("%s: well-behaved client waited %v", tg.name, d)
	}
}

// h2Conn opens a raw connection: preface, our SETTINGS, and the server's.
func (tg *h2Target) h2Conn(t *testing.T) (net.Conn, *http2.Framer, http2.SettingsFrame) {
	t.Helper()
	c := tg.dial(t)
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(c, bufio.NewReader(c))
	fr.ReadMetaHeaders = nil
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := fr.ReadFrame()
	if err != nil {
		t.Fatalf("%s: no server SETTINGS: %v", tg.name, err)
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok {
		t.Fatalf("%s: first frame %v, want SETTINGS", tg.name, f)
	}
	return c, fr, *sf
}

func headerBlock(path string, extra ...string) []byte {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	for _, f := range []hpack.HeaderField{{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "https"}, {Name: ":authority", Value: "127.0.0.1"}, {Name: ":path", Value: path}} {
		enc.WriteField(f)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		enc.WriteField(hpack.HeaderField{Name: extra[i], Value: extra[i+1]})
	}
	return buf.Bytes()
}

// closedBy reads frames until the server ends the connection (GOAWAY, EOF or
// reset) or goes quiet for the given time; it reports whether it ended and
// how. (Acks queued before the end are read first: the deadline restarts
// with each frame, up to 30 s in all.)
func closedBy(c net.Conn, fr *http2.Framer, quiet time.Duration) (bool, string) {
	limit := time.Now().Add(30 * time.Second)
	for time.Now().Before(limit) {
		c.SetReadDeadline(time.Now().Add(quiet))
		f, err := fr.ReadFrame()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return false, "still open"
			}
			return true, err.Error()
		}
		if ga, ok := f.(*http2.GoAwayFrame); ok {
			return true, "GOAWAY " + ga.ErrCode.String()
		}
	}
	return false, "still sending after 30 s"
}

// Rapid reset (CVE-2023-44487): streams opened and reset at once, far more
// than SETTINGS_MAX_CONCURRENT_STREAMS. The handlers running at once never
// exceed the advertised limit, and others are served meanwhile.
func TestH2RapidReset(t *testing.T) {
	skipFloodShort(t)
	for _, tg := range h2Targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			c, fr, sf := tg.h2Conn(t)
			maxStreams, ok := sf.Value(http2.SettingMaxConcurrentStreams)
			if !ok || maxStreams == 0 || maxStreams > 1000 {
				t.Fatalf("server advertises SETTINGS_MAX_CONCURRENT_STREAMS %d (%v), want a limit", maxStreams, ok)
			}
			block := headerBlock("/slow")
			const n = 5000
			done := make(chan error, 1)
			go func() {
				for i := uint32(0); i < n; i++ {
					id := 2*i + 1
					if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndStream: true, EndHeaders: true}); err != nil {
						done <- err // the server closed the connection: allowed
						return
					}
					if err := fr.WriteRSTStream(id, http2.ErrCodeCancel); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			go io.Copy(io.Discard, c)
			tg.served(t)
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the attacker's writes hung")
			}
			tg.served(t)
			if p := tg.peak.Load(); p > int64(maxStreams) {
				t.Errorf("%d /slow handlers ran at once, above the advertised %d streams", p, maxStreams)
			}
			t.Logf("%s: %d streams opened and reset; peak handlers %d (limit %d)", tg.name, n, tg.peak.Load(), maxStreams)
		})
	}
}

// CONTINUATION flood (CVE-2024-27316 class): a header block that never
// ends. The server cuts the connection once the block passes its header
// limit instead of buffering it, and serves others.
func TestH2ContinuationFlood(t *testing.T) {
	skipFloodShort(t)
	for _, tg := range h2Targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			c, fr, _ := tg.h2Conn(t)
			if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: headerBlock("/ok"), EndStream: true}); err != nil {
				t.Fatal(err)
			}
			var chunk bytes.Buffer
			enc := hpack.NewEncoder(&chunk)
			for chunk.Len() < 15000 {
				enc.WriteField(hpack.HeaderField{Name: "x-flood", Value: strings.Repeat("a", 1000), Sensitive: true})
			}
			sent := make(chan int64, 1)
			go func() {
				var total int64
				for total < 64<<20 { // 64 MiB, far past the 1 MiB header limit
					if err := fr.WriteContinuation(1, false, chunk.Bytes()); err != nil {
						break
					}
					total += int64(chunk.Len())
				}
				sent <- total
			}()
			ended, how := closedBy(c, fr, 10*time.Second)
			if !ended {
				t.Fatalf("%s: connection still open after a CONTINUATION flood", tg.name)
			}
			c.Close()
			total := <-sent
			if total >= 64<<20 {
				t.Errorf("%s: the server took all %d bytes of an endless header block", tg.name, total)
			}
			t.Logf("%s: closed (%s) after %d KiB of CONTINUATION", tg.name, how, total>>10)
			tg.served(t)
		})
	}
}

// SETTINGS and PING floods: a client that sends control frames and never
// reads the acknowledgements is cut off (Go bounds the queued control
// frames at 10,000) or, for SETTINGS, answered by coalesced acks, instead of
// growing the server's memory.
func TestH2ControlFrameFlood(t *testing.T) {
	skipFloodShort(t)
	for _, kind := range []string{"PING", "SETTINGS"} {
		for _, tg := range h2Targets(t) {
			t.Run(kind+"/"+tg.name, func(t *testing.T) {
				// A small receive buffer, set before the handshake so the
				// window stays small: the server's acks back up at once.
				tg.dialer = &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
					return rc.Control(func(fd uintptr) {
						syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
					})
				}}
				c, fr, _ := tg.h2Conn(t)
				tg.dialer = &net.Dialer{}
				// 600,000 frames in one write: their acks (5-10 MB) outgrow
				// the socket buffers, so they back up in the server.
				const n = 600000
				var flood bytes.Buffer
				ff := http2.NewFramer(&flood, nil)
				for range n {
					if kind == "PING" {
						ff.WritePing(false, [8]byte{})
					} else {
						ff.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 65535})
					}
				}
				start := time.Now()
				// A server that keeps reading takes 4-7 s for the 9 MB on a
				// loaded 2-core machine (far longer when valgrind shares
				// it); one that stopped reading never ends. So the flood
				// goes in 64 KiB pieces, and only a piece that makes no
				// headway in 30 s counts as the server no longer reading.
				werr := writeWithHeadway(c, flood.Bytes(), 64<<10, 30*time.Second)
				if werr == nil && kind == "SETTINGS" {
					// Go acknowledges SETTINGS frames received before it
					// could write as one (it keeps a flag, not a queue), so
					// the unread acks cost nothing: count them.
					acks := 0
					for {
						c.SetReadDeadline(time.Now().Add(2 * time.Second))
						f, err := fr.ReadFrame()
						if err != nil {
							break
						}
						if sf, ok := f.(*http2.SettingsFrame); ok && sf.IsAck() {
							acks++
						}
					}
					if acks > n/2 {
						t.Errorf("%s: %d SETTINGS acks for %d unread frames: queued one by one", tg.name, acks, n)
					}
					t.Logf("%s: %d SETTINGS frames unread, answered by %d acks", tg.name, n, acks)
				} else if werr == nil {
					// All written: the server must still end the connection
					// rather than queue every answer.
					ended, how := closedBy(c, fr, 5*time.Second)
					if !ended {
						t.Fatalf("%s: %d unread %s acks and the connection is still open", tg.name, n, kind)
					}
					t.Logf("%s: closed (%s) after %d %s frames", tg.name, how, n, kind)
				} else {
					var ne net.Error
					if errors.As(werr, &ne) && ne.Timeout() {
						// No headway for 30 s. The server stopped reading
						// only if what reached its socket waits there
						// unread; an empty receive queue means it reads
						// all it gets and the bytes are stuck in TCP on
						// the way (a client that reads nothing with a
						// small receive buffer starves its own acks when
						// the machine is loaded: seen in CI).
						q, ok := tg.conns.unread(c)
						if !ok || q > 0 {
							t.Fatalf("%s: the server stopped reading %s frames but kept the connection (%d bytes unread on its socket): %v", tg.name, kind, q, werr)
						}
						t.Logf("%s: the %s flood stalled in TCP after %v with the server's receive queue empty (it reads what arrives): %v", tg.name, kind, time.Since(start).Round(time.Millisecond), werr)
						tg.served(t)
						return
					}
					t.Logf("%s: cut off during the %s flood after %v: %v", tg.name, kind, time.Since(start).Round(time.Millisecond), werr)
				}
				tg.served(t)
			})
		}
	}
}

// h2c upgrade smuggling: with the H2C option, an HTTP/1.1 request asking to
// upgrade to h2c (what a proxy may pass through unchecked) is answered as
// HTTP/1.1, never switched to an HTTP/2 connection that would tunnel
// requests past the proxy; prior-knowledge h2c works. Without the option,
// the HTTP/2 preface is not served.
func TestH2CUpgradeSmuggling(t *testing.T) {
	targets := h2Targets(t)
	h2cT := targets[1]
	c := h2cT.dial(t)
	defer c.Close()
	io.WriteString(c, "GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode == http.StatusSwitchingProtocols || res.ProtoMajor != 1 {
		t.Fatalf("Upgrade: h2c answered %s %d: the connection was switched to HTTP/2", res.Proto, res.StatusCode)
	}
	h2cT.served(t) // prior knowledge

	app := h2App(&h2Target{}, false)
	plain := httptest.NewUnstartedServer(app)
	plain.Config = app.Server("")
	plain.Start()
	defer plain.Close()
	pc, err := net.Dial("tcp", plain.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	io.WriteString(pc, http2.ClientPreface)
	fr := http2.NewFramer(pc, bufio.NewReader(pc))
	fr.WriteSettings()
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if f, err := fr.ReadFrame(); err == nil {
		if _, ok := f.(*http2.SettingsFrame); ok {
			t.Fatal("without H2C, the server spoke HTTP/2 over cleartext")
		}
	}
}

// writeWithHeadway writes b in pieces of size n, each with its own deadline
// of d: a slow reader passes, one that stopped reading times out.
func writeWithHeadway(c net.Conn, b []byte, n int, d time.Duration) error {
	for len(b) > 0 {
		k := min(n, len(b))
		c.SetWriteDeadline(time.Now().Add(d))
		w, err := c.Write(b[:k])
		if err != nil {
			return err
		}
		b = b[w:]
	}
	return c.SetWriteDeadline(time.Time{})
}

// skipFloodShort skips the flood tests under -short (megabytes of frames,
// up to a minute on a loaded machine; the release check's pass over each
// module alone uses -short, the main run has them).
func skipFloodShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: HTTP/2 flood tests are skipped")
	}
}
