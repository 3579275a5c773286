package ws

import (
	"encoding/json"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

// Close codes (RFC 6455 §7.4.1) used by the plugin.
const (
	CloseNormal          = 1000
	CloseGoingAway       = 1001
	CloseProtocolError   = 1002
	CloseUnsupportedData = 1003
	CloseInvalidPayload  = 1007
	ClosePolicyViolation = 1008
	CloseTooBig          = 1009
	CloseInternalError   = 1011
	CloseTryAgainLater   = 1013
	closeAbnormal        = 1006
)

// Conn is one WebSocket connection. Its methods are safe for concurrent use
// and may be called from any goroutine, also after the connection closed
// (they then do nothing and return an error). An idle Conn holds no
// goroutine and no buffer: nbio's poller reads it when data arrives.
type Conn struct {
	wc     *websocket.Conn
	route  *route // route.hub is the hub
	id     uint64
	client string

	mu     sync.Mutex
	rooms  []string
	user   string
	values []keyValue
	tokens float64
	last   int64 // unix nanos of the last token refill

	// Ordered so that the struct has no padding (176 B, a smaller size
	// class than before: it is kept for every idle connection).
	open      atomic.Bool // wc is set
	overflow  atomic.Bool // the send queue overflowed
	closed    atomic.Bool
	closeCode atomic.Int32
	// The guard's frame-header state (scan.go; only parse uses it, one
	// read at a time): bytes left in the current frame, flags, header
	// position and the frame's first byte.
	scanLeft  uint32
	deflate   bool // permessage-deflate negotiated (set before the upgrade)
	scanFlags uint8
	scanHdr   uint8
	scanB0    uint8
	early     *[][]byte    // frames sent before the upgrade finished (under mu)
	lastRead  atomic.Int64 // unix nanos of the last bytes read: dead-peer sweep
	reason    atomic.Pointer[string]
}

type keyValue struct {
	key any
	val any
}

// ID is the connection's number, unique within its hub.
func (c *Conn) ID() uint64 { return c.id }

// ClientIP is the client address the handshake came from (trusted-proxy
// aware, as core's Context.ClientIP).
func (c *Conn) ClientIP() string { return c.client }

// Subprotocol is the negotiated subprotocol, or "".
func (c *Conn) Subprotocol() string {
	if !c.open.Load() {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wc.Subprotocol()
}

// Hub is the hub the connection belongs to.
func (c *Conn) Hub() *Hub { return c.route.hub }

// SetUser ties the connection to a user id, so Hub.SendToUser reaches it.
// Call it from Handler.Accept with the authenticated user.
func (c *Conn) SetUser(id string) {
	c.route.hub.setUser(c, id)
}

// User is the id set with SetUser.
func (c *Conn) User() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user
}

// Rooms returns the rooms the connection is in.
func (c *Conn) Rooms() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.rooms...)
}

// Join adds the connection to a room; broadcasts to the room reach it.
func (c *Conn) Join(room string) { c.route.hub.join(c, room) }

// Leave removes the connection from a room.
func (c *Conn) Leave(room string) { c.route.hub.leave(c, room) }

// Send encodes v as JSON and sends it as one text message. It does not
// block on the network: the frame is queued (see WithSendQueue).
func (c *Conn) Send(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.SendText(data)
}

// SendText sends data as one text message; it must be valid UTF-8.
func (c *Conn) SendText(data []byte) error {
	return c.send(0x1, data)
}

// SendBinary sends data as one binary message.
func (c *Conn) SendBinary(data []byte) error {
	return c.send(0x2, data)
}

// ErrClosed is returned by sends on a closed connection.
var ErrClosed = errors.New("ws: connection closed")

func (c *Conn) send(op byte, data []byte) error {
	st := &c.route.hub.stats
	if c.closed.Load() {
		st.dropped.Add(1)
		return ErrClosed
	}
	if err := c.writeFrame(c.frameFor(op, data)); err != nil {
		st.dropped.Add(1)
		return err
	}
	st.sent.Add(1)
	return nil
}

// writeFrame writes a complete frame (one write on the non-blocking socket;
// what the kernel does not take is kept in nbio's bounded write buffer).
func (c *Conn) writeFrame(frame []byte) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if !c.open.Load() {
		// Joined in Accept, before the upgrade finished: keep the frame
		// until open flushes it, so that nothing sent in between is lost.
		c.mu.Lock()
		if !c.open.Load() {
			if c.early == nil {
				c.early = new([][]byte)
			}
			*c.early = append(*c.early, frame)
			c.mu.Unlock()
			return nil
		}
		c.mu.Unlock()
	}
	_, err := c.wc.Conn.Write(frame)
	if err != nil {
		if errors.Is(err, nbio.ErrOverflow) {
			// The peer does not read: nbio has closed the socket (and may
			// have run OnClose already, which checks the same error). A
			// close frame could not reach it.
			c.overflow.Store(true)
		}
		return ErrClosed
	}
	return nil
}

// opened makes the connection writable once nbio has upgraded it, after
// writing the frames sent to it during the handshake.
func (c *Conn) opened(wc *websocket.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wc = wc
	if c.early != nil {
		for _, f := range *c.early {
			_, _ = wc.Conn.Write(f)
		}
	}
	c.early = nil
	c.open.Store(true)
	if code := c.closeCode.Load(); code != 0 {
		// Closed during the handshake (a shutdown): send it now.
		var reason string
		if p := c.reason.Load(); p != nil {
			reason = *p
		}
		go c.sendClose(int(code), reason) // c.mu is held here
	}
}

// Close sends a close frame with code and reason (at most 123 bytes) and
// closes the connection. OnClose runs once, with this code. On a connection
// still in its handshake the close frame goes out as soon as it opens.
func (c *Conn) Close(code int, reason string) error {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	if !c.closeCode.CompareAndSwap(0, int32(code)) {
		return nil
	}
	c.reason.Store(&reason)
	c.mu.Lock()
	open := c.open.Load()
	c.mu.Unlock()
	if !open {
		return nil // opened sends it
	}
	c.sendClose(code, reason)
	return nil
}

// sendClose writes the close frame and closes the socket a moment later.
func (c *Conn) sendClose(code int, reason string) {
	payload := make([]byte, 2+len(reason))
	payload[0], payload[1] = byte(code>>8), byte(code)
	copy(payload[2:], reason)
	_ = c.writeFrame(appendFrame(nil, 0x8, payload))
	c.closed.Store(true)
	// Give the peer a moment to read the close frame before the socket goes
	// (closing at once with unread input makes the kernel send RST, which
	// can discard the close frame at the peer).
	c.route.hub.engine.AfterFunc(100*time.Millisecond, func() { _ = c.wc.Conn.Close() })
}

// onData hands bytes read by the poller to parse: the plugin's check of
// every frame header (RFC 6455 §5: an unmasked frame, reserved bits,
// unknown opcodes, a fragmented or oversized control frame, a continuation
// with no message or a new message inside a fragmented one: close 1002),
// then nbio's frame parser.
func (c *Conn) onData(nc *nbio.Conn, data []byte) {
	if wc, ok := nc.Session().(*websocket.Conn); ok {
		c.parse(wc, data)
	}
}

func (c *Conn) parse(wc *websocket.Conn, data []byte) {
	if c.closed.Load() || c.scanFlags&scanFailed != 0 {
		return
	}
	c.lastRead.Store(time.Now().UnixNano())
	defer func() {
		if p := recover(); p != nil {
			c.route.hub.log.Error("ws: panic while parsing", "conn", c.id, "panic", p)
			_ = c.Close(CloseInternalError, "internal error")
		}
	}()
	for len(data) > 0 {
		// The plugin's own check of each frame header (scan.go) comes
		// first: nbio parses only the frames before a violation.
		n, ev := c.scanFrames(data)
		err := wc.Parse(data[:n])
		data = data[n:]
		if err != nil && !errors.Is(err, net.ErrClosed) {
			c.parseFailed(wc, err)
			return
		}
		if err != nil {
			return
		}
		switch ev {
		case scanEmptyText, scanEmptyBinary:
			// nbio does not deliver a message without payload (Autobahn
			// 1.1.1): deliver it in order, on the connection's executor.
			op := websocket.TextMessage
			if ev == scanEmptyBinary {
				op = websocket.BinaryMessage
			}
			deliver := func() { c.route.onMessage(wc, op, nil) }
			if !execute(wc, deliver) {
				return
			}
		case scanTooBig:
			c.scanFlags |= scanFailed
			c.closeAfter(wc, CloseTooBig, "message too big")
			return
		case scanProtocolError:
			c.scanFlags |= scanFailed
			c.closeAfter(wc, CloseProtocolError, "protocol error")
			return
		}
	}
}

// parseFailed turns an error of nbio's parser into a close: 1009 for a
// message over the read limit (nbio has written it), 1002 for any other.
func (c *Conn) parseFailed(wc *websocket.Conn, err error) {
	c.scanFlags |= scanFailed
	if errors.Is(err, websocket.ErrMessageTooLarge) || errors.Is(err, websocket.ErrControlMessageTooBig) {
		if c.closeCode.CompareAndSwap(0, CloseTooBig) {
			r := err.Error()
			c.reason.Store(&r)
		}
		c.closed.Store(true)
		c.route.hub.engine.AfterFunc(100*time.Millisecond, func() { _ = wc.Conn.Close() })
		return
	}
	c.closeAfter(wc, CloseProtocolError, "protocol error")
}

// closeAfter closes with code after the messages parsed before have been
// handled (they run on the connection's ordered executor).
func (c *Conn) closeAfter(wc *websocket.Conn, code int, reason string) {
	fail := func() { _ = c.Close(code, reason) }
	if !execute(wc, fail) {
		fail()
	}
}

// execute runs f after the messages parsed before it: on the connection's
// ordered executor, or at once in nbio's blocking mode (readBlocking),
// where nbio handles each message synchronously while parsing and has no
// executor.
func execute(wc *websocket.Conn, f func()) bool {
	if wc.Execute == nil {
		f()
		return true
	}
	return wc.Execute(f)
}

// validCloseCode says whether a peer may send code (RFC 6455 §7.4 and the
// IANA registry): 1000-1003, 1007-1014, 3000-4999.
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014, code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// allow takes a token from the connection's message bucket.
func (c *Conn) allow(cfg *config, now int64) bool {
	if cfg.rate <= 0 {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == 0 {
		c.tokens, c.last = cfg.burst, now
	}
	c.tokens += float64(now-c.last) / 1e9 * cfg.rate
	if c.tokens > cfg.burst {
		c.tokens = cfg.burst
	}
	c.last = now
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

// Key is a typed per-connection value (the user, a board id), set and read
// with Set and Get. Create one with NewKey and keep it in a package variable.
type Key[T any] struct{ name string }

// NewKey returns a key for values of type T; name is for debugging.
func NewKey[T any](name string) *Key[T] { return &Key[T]{name: name} }

// Set stores v on the connection.
func (k *Key[T]) Set(c *Conn, v T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.values {
		if c.values[i].key == k {
			c.values[i].val = v
			return
		}
	}
	c.values = append(c.values, keyValue{k, v})
}

// Get returns the value stored on the connection, and whether there was one.
func (k *Key[T]) Get(c *Conn) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, kv := range c.values {
		if kv.key == k {
			return kv.val.(T), true
		}
	}
	var zero T
	return zero, false
}

// String returns the key's name.
func (k *Key[T]) String() string { return k.name }

// dead closes a connection whose peer sent nothing for longer than
// interval+wait: no close handshake with a dead peer, OnClose gets 1006.
func (c *Conn) dead() {
	c.mu.Lock()
	wc := c.wc
	c.mu.Unlock()
	if wc == nil || !c.closed.CompareAndSwap(false, true) {
		return
	}
	_ = wc.Conn.Close()
}
