package ws

import (
	"bufio"
	"crypto/sha1" // #nosec G505 -- RFC 6455 §4.2.2 defines Sec-WebSocket-Accept as base64(SHA-1(key + GUID)); not used for security
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

// socketKey names a TCP connection during its upgrade by its socket's own
// addresses (never r.RemoteAddr, which middleware may rewrite, and which
// repeats for every client of a Unix socket): no two live TCP connections
// share both, so one handshake can never find another's Conn.
type socketKey struct{ local, remote netip.AddrPort }

func keyOf(c net.Conn) socketKey {
	var k socketKey
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
		k.local = a.AddrPort()
	}
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		k.remote = a.AddrPort()
	}
	return k
}

// hijacked hands nbio's upgrader a connection the route has already taken
// over, so that the route knows which socket the upgrade is for.
type hijacked struct {
	http.ResponseWriter
	conn net.Conn
}

// Hijack returns the connection taken over before (nbio reads no buffered
// bytes from it either way).
func (h hijacked) Hijack() (net.Conn, *bufio.ReadWriter, error) { return h.conn, nil, nil }

// checkHandshake refuses, while the route can still answer with a
// problem, what RFC 6455 §4.2.1 says a server must refuse and nbio would
// refuse after taking the connection over, or let through: a request
// below HTTP/1.1, another version than 13, and a Sec-WebSocket-Key that is
// not 16 bytes in base64. It runs for every kind of connection (the
// Upgrade and Connection tokens and the Origin policy are checked before).
func checkHandshake(r *http.Request) error {
	if !r.ProtoAtLeast(1, 1) {
		return covet.NewError(http.StatusBadRequest, "a WebSocket handshake needs HTTP/1.1")
	}
	if !headerHas(r.Header, "Sec-Websocket-Version", "13") {
		return covet.NewError(http.StatusBadRequest, "unsupported WebSocket version").
			WithHeader("Sec-WebSocket-Version", "13")
	}
	key := r.Header.Values("Sec-Websocket-Key")
	if len(key) == 0 || key[0] == "" {
		return covet.NewError(http.StatusBadRequest, "missing Sec-WebSocket-Key")
	}
	if len(key) > 1 || !validKey(key[0]) {
		return covet.NewError(http.StatusBadRequest, "Sec-WebSocket-Key is not 16 bytes in base64")
	}
	return nil
}

// validKey reports whether key is 16 bytes in base64 (24 characters, the
// last two "="), as RFC 6455 §4.1 makes every client's.
func validKey(key string) bool {
	if len(key) != 24 {
		return false
	}
	var b [18]byte
	n, err := base64.StdEncoding.Decode(b[:], []byte(key))
	return err == nil && n == 16
}

// upgrade takes the connection over and hands it to the hub's poller. A
// TCP connection goes through nbio's upgrader (keyed in h.pending by its
// socket); any other socket (a Unix socket behind nginx) is upgraded here:
// nbio would serve it in its blocking mode, whose session handover never
// completes for us (SetSession in OnOpen comes before nbio arms the wait).
//
// pre is what the client sent after its request and net/http had already
// read (a client may send its first frames in the same segment as the
// handshake): it is parsed before anything read from the socket.
func (rt *route) upgrade(cc *covet.Context, u *websocket.Upgrader, raw net.Conn, c *Conn, pre []byte) (*websocket.Conn, error) {
	r := cc.Request()
	h := rt.hub
	switch raw.(type) {
	case *net.TCPConn:
		if pre != nil {
			// nbio's upgrader registers the socket with the poller before
			// the plugin can hook its reads: frames the client keeps
			// sending could be parsed before the buffered ones. Upgraded
			// here instead, hooked before the poller sees it.
			return rt.upgradeSocket(u, raw, r, c, pre)
		}
		key := keyOf(raw)
		h.pending.Store(key, c)
		wc, err := u.UpgradeAndTransferConnToPoller(hijacked{cc.Response(), raw}, r, nil)
		h.pending.CompareAndDelete(key, c)
		return wc, err
	case *net.UnixConn:
		return rt.upgradeSocket(u, raw, r, c, pre)
	}
	if pre != nil {
		// nbio's blocking mode reads the connection itself: have it read
		// the buffered bytes first.
		raw = &prefixConn{Conn: raw, pre: pre}
	}
	// Another connection type (TLS from crypto/tls, a listener's wrapper):
	// nbio serves it in its blocking mode, a goroutine reading it. Keyed
	// by the connection itself, which nbio's Conn keeps.
	if !reflect.TypeOf(raw).Comparable() {
		_ = raw.Close()
		return nil, fmt.Errorf("ws: cannot upgrade a %T", raw)
	}
	key := connKey{raw}
	h.pending.Store(key, c)
	// nbio writes the 101 and opens the connection, but does not start
	// its own reading goroutine (which would parse every frame unchecked):
	// readBlocking reads it through parse, as the poller's connections.
	wc, err := u.UpgradeWithoutHandlingReadForConnFromSTDServer(hijacked{cc.Response(), raw}, r, nil)
	h.pending.CompareAndDelete(key, c)
	if wc != nil {
		wc.SetSession(c)
		if err == nil {
			go readBlocking(c, wc, u.BlockingModReadBufferSize)
		}
	}
	return wc, err
}

// readBlocking is the reading goroutine of a connection nbio serves in
// its blocking mode (crypto/tls, a listener's wrapper): every read goes
// through parse, the plugin's check of each frame header before nbio's
// parser, as on the poller (nbio's own loop parses unchecked: unmasked
// client frames accepted, empty messages dropped). It ends when the
// connection does, and then closes it as nbio's loop would.
func readBlocking(c *Conn, wc *websocket.Conn, size int) {
	if size <= 0 {
		size = websocket.DefaultBlockingReadBufferSize
	}
	buf := make([]byte, size)
	var err error
	defer func() { wc.CloseAndClean(err) }()
	for {
		var n int
		n, err = wc.Conn.Read(buf)
		if n > 0 {
			c.parse(wc, buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// connKey names a connection nbio serves in blocking mode by its identity.
type connKey struct{ c net.Conn }

// pendingKey is the key of a connection in h.pending (see upgrade).
func pendingKey(wc *websocket.Conn) any {
	if nbc, ok := wc.Conn.(*nbio.Conn); ok {
		return keyOf(nbc)
	}
	if !reflect.TypeOf(wc.Conn).Comparable() {
		return nil
	}
	return connKey{wc.Conn}
}

// upgradeSocket upgrades a non-TCP socket (and a TCP one with bytes
// behind its handshake) as nbio does a TCP one: the 101 is written on the
// blocking socket, then a duplicate of it joins the poller, already tied
// to c and read through its guard (no lookup by address: a Unix socket has
// none). pre is parsed before anything the poller reads.
func (rt *route) upgradeSocket(u *websocket.Upgrader, raw net.Conn, r *http.Request, c *Conn, pre []byte) (*websocket.Conn, error) {
	sub := selectSubprotocol(u.Subprotocols, r)
	compress := rt.cfg.compress && c.deflate
	_ = raw.SetDeadline(time.Time{})
	if _, err := raw.Write(switchingProtocols(r.Header.Get("Sec-Websocket-Key"), sub, compress)); err != nil {
		_ = raw.Close()
		return nil, err
	}
	nbc, err := nbio.NBConn(raw) // closes raw; nbc has a duplicate of its fd
	if err != nil {
		_ = raw.Close()
		return nil, err
	}
	e := u.Engine
	wc := websocket.NewServerConn(u, nbc, sub, compress, false)
	wc.Engine = e
	wc.Execute = nbc.Execute
	if e.EpollMod == nbio.EPOLLET && e.EPOLLONESHOT == nbio.EPOLLONESHOT {
		wc.Execute = nbhttp.SyncExecutor
	}
	// Tied before the poller sees it: a frame the client sends at once
	// finds c; replies wait in c.early until opened.
	wc.SetSession(c)
	c.lastRead.Store(time.Now().UnixNano())
	nbc.SetSession(wc)
	var p *prefixed
	if pre != nil {
		p = &prefixed{c: c, pre: pre}
		nbc.OnData(p.onData)
	} else {
		nbc.OnData(c.onData)
	}
	if err := e.AddTransferredConn(nbc); err != nil {
		return nil, err // nbio closed nbc
	}
	c.opened(wc)
	if p != nil {
		p.drain(nbc)
	}
	return wc, nil
}

// prefixed reads a connection whose client sent bytes behind its
// handshake request: those bytes (pre) are parsed before the first bytes
// the poller reads, whichever goroutine comes first.
type prefixed struct {
	c   *Conn
	mu  sync.Mutex
	pre []byte
}

func (p *prefixed) onData(nc *nbio.Conn, data []byte) {
	p.drain(nc)
	p.c.onData(nc, data)
}

// drain parses pre once.
func (p *prefixed) drain(nc *nbio.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pre := p.pre; pre != nil {
		p.pre = nil
		p.c.onData(nc, pre)
	}
}

// prefixConn returns pre before what it reads from the connection (nbio's
// blocking mode reads it).
type prefixConn struct {
	net.Conn
	pre []byte
}

// Read returns the buffered bytes first.
func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// handshakeRest returns a copy of the bytes net/http read past the
// handshake request, or nil.
func handshakeRest(brw *bufio.ReadWriter) []byte {
	if brw == nil || brw.Reader == nil || brw.Reader.Buffered() == 0 {
		return nil
	}
	b, _ := brw.Reader.Peek(brw.Reader.Buffered())
	return append([]byte(nil), b...)
}

func selectSubprotocol(server []string, r *http.Request) string {
	// As nbio's upgrader: the first of the server's that the client offers.
	h := strings.TrimSpace(r.Header.Get("Sec-Websocket-Protocol"))
	if h == "" {
		return ""
	}
	offered := strings.Split(h, ",")
	for _, s := range server {
		for _, o := range offered {
			if strings.TrimSpace(o) == s {
				return s
			}
		}
	}
	return ""
}

var wsGUID = []byte("258EAFA5-E914-47DA-95CA-C5AB0DC85B11")

func switchingProtocols(key, sub string, compress bool) []byte {
	sum := sha1.New() // #nosec G401 -- the handshake accept value RFC 6455 requires (SHA-1 by definition), not a security hash
	sum.Write([]byte(key))
	sum.Write(wsGUID)
	var b strings.Builder
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
	b.WriteString(base64.StdEncoding.EncodeToString(sum.Sum(nil)))
	b.WriteString("\r\n")
	if sub != "" {
		b.WriteString("Sec-WebSocket-Protocol: " + sub + "\r\n")
	}
	if compress {
		b.WriteString("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}
