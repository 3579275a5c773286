package ws

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	covet "github.com/covetgo/covet/core"
	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

// Handler is what a WebSocket route does. M is the type of client messages:
// each text or binary message is decoded as JSON into a new M and validated
// with core's validator (the same tags as a typed handler's Body). Use
// json.RawMessage for messages taken as they come (still checked to be JSON)
// and []byte for no decoding at all.
type Handler[M any] struct {
	// Hub is the installed hub the connections belong to (required).
	Hub *Hub
	// Accept runs in the handshake request, after the route's middleware
	// (auth, rate limits) and before the upgrade: read path and query
	// values, the authenticated user, join rooms, SetUser. An error refuses
	// the handshake with the error's status (403 for a forbidden board).
	Accept func(c *covet.Context, conn *Conn) error
	// OnOpen runs once the connection is upgraded.
	OnOpen func(conn *Conn)
	// OnMessage runs for each valid message, one at a time per connection,
	// on nbio's handler pool (do not block it for long). A returned error is
	// sent to the client as an error message; a panic closes the connection
	// with 1011.
	OnMessage func(conn *Conn, msg *M) error
	// OnClose runs once when the connection ends, with the close code
	// (1006 when the TCP connection just went, 1013 when the send queue
	// overflowed) and reason.
	OnClose func(conn *Conn, code int, reason string)
}

// ErrorMessage is what the server sends for a message it could not take:
// {"type":"error","error":{...}} with the RFC 9457 problem of the error.
type ErrorMessage struct {
	Type  string       `json:"type"`
	Error *covet.Error `json:"error"`
}

type route struct {
	hub      *Hub
	cfg      config
	upgrader *websocket.Upgrader
	onMsg    func(c *Conn, op websocket.MessageType, data []byte)
	onOpen   func(c *Conn)
	onClose  func(c *Conn, code int, reason string)
	accept   func(c *covet.Context, conn *Conn) error
	bound    atomic.Pointer[websocket.Upgrader]
	nextPing time.Time // owned by the hub's heartbeat loop
}

// upgraderFor returns the route's upgrader bound to the hub's running
// engine: one per route and engine, not a copy per handshake (nbio's
// connection keeps a pointer to its upgrader, so a per-handshake copy
// stayed alive with every connection: ~300 B each).
func (rt *route) upgraderFor(e *nbhttp.Engine) *websocket.Upgrader {
	if u := rt.bound.Load(); u != nil && u.Engine == e {
		return u
	}
	u := new(websocket.Upgrader)
	*u = *rt.upgrader
	u.Engine = e
	rt.bound.Store(u)
	return u
}

var connIDs atomic.Uint64

// Handle registers a WebSocket route on r (the app or a group) at pattern,
// as an ordinary GET route: the app's, the group's and mw middleware run for
// the handshake, so authentication, rate limits and access logs apply to
// it. Options override the hub's for this route. It returns the route for
// naming and documentation.
func Handle[M any](r covet.Router, pattern string, h Handler[M], opts ...Option) *covet.Route {
	if h.Hub == nil {
		panic(fmt.Sprintf("ws: Handle %s: Handler.Hub is nil (create one with ws.NewHub and app.Install it)", pattern))
	}
	cfg := h.Hub.cfg
	for _, o := range opts {
		o(&cfg)
	}
	rt := &route{hub: h.Hub, cfg: cfg, onOpen: h.OnOpen, onClose: h.OnClose, accept: h.Accept}
	rt.onMsg = messageFunc(rt, h.OnMessage)
	h.Hub.noteSweep(&cfg)
	rt.upgrader = rt.newUpgrader()
	return r.Handle(http.MethodGet, pattern, rt.serve)
}

func messageFunc[M any](rt *route, fn func(*Conn, *M) error) func(*Conn, websocket.MessageType, []byte) {
	var zero M
	raw := reflect.TypeOf(zero) == reflect.TypeOf([]byte(nil))
	return func(c *Conn, _ websocket.MessageType, data []byte) {
		if fn == nil {
			return
		}
		msg := new(M)
		if raw {
			*any(msg).(*[]byte) = append([]byte(nil), data...)
		} else if err := rt.hub.app.DecodeJSON(data, msg); err != nil {
			rt.invalid(c, err)
			return
		}
		if err := fn(c, msg); err != nil {
			c.replyError(err)
		}
	}
}

func (rt *route) invalid(c *Conn, err error) {
	if rt.cfg.invalid == InvalidClose {
		code := ClosePolicyViolation
		var e *covet.Error
		if errors.As(err, &e) && e.Status == http.StatusBadRequest {
			code = CloseInvalidPayload
		}
		_ = c.Close(code, "invalid message")
		return
	}
	c.replyError(err)
}

func (c *Conn) replyError(err error) {
	var e *covet.Error
	if !errors.As(err, &e) {
		st := http.StatusInternalServerError
		var sc interface{ StatusCode() int }
		if errors.As(err, &sc) {
			st = sc.StatusCode()
			e = covet.NewError(st, err.Error())
		} else {
			c.route.hub.log.Error("ws: message handler failed", "conn", c.id, "err", err)
			e = covet.NewError(st, "")
		}
	}
	_ = c.Send(ErrorMessage{Type: "error", Error: e})
}

func (rt *route) newUpgrader() *websocket.Upgrader {
	u := websocket.NewUpgrader()
	// No read deadline in nbio: it would be a runtime timer per connection
	// (~200 B). The hub's ping loop closes peers silent for longer than
	// interval+wait instead (Conn.lastRead).
	u.KeepaliveTime = 0
	u.MessageLengthLimit = rt.cfg.readLimit
	if rt.cfg.compress {
		u.EnableCompression(true)
		u.WebsocketDecompressor = inflater
	}
	u.Engine = nil // set per handshake from the hub (started in Start)
	u.Subprotocols = rt.cfg.subprotocols
	u.CheckOrigin = func(*http.Request) bool { return true } // checked before, with a problem answer
	u.OnOpen(func(wc *websocket.Conn) {
		if rt.attach(wc) == nil {
			_ = wc.Close()
		}
	})
	u.OnMessage(rt.onMessage)
	// Read activity for the dead-peer sweep is stamped by parse, on every
	// read (the poller's and readBlocking's): pongs need no handler.
	u.SetPongHandler(func(*websocket.Conn, string) {})
	u.SetCloseHandler(func(wc *websocket.Conn, code int, reason string) {
		c, _ := wc.Session().(*Conn)
		if c == nil {
			_ = wc.Close()
			return
		}
		// Echo the peer's close (RFC 6455 §5.5.1) unless we started it.
		if !utf8.ValidString(reason) {
			_ = c.Close(CloseInvalidPayload, "invalid UTF-8 in the close reason")
			return
		}
		if code == 1005 {
			code = CloseNormal
		} else if !validCloseCode(code) {
			code = CloseProtocolError
		}
		_ = c.Close(code, "")
	})
	u.OnClose(func(wc *websocket.Conn, err error) {
		c, _ := wc.Session().(*Conn)
		if c == nil {
			return
		}
		rt.closed(c, err)
	})
	return u
}

// onMessage handles one message parsed by nbio (or an empty one the
// plugin's scanner found, which nbio does not deliver).
func (rt *route) onMessage(wc *websocket.Conn, op websocket.MessageType, data []byte) {
	c := rt.attach(wc)
	if c == nil {
		_ = wc.Close()
		return
	}
	if c.closed.Load() {
		return
	}
	if op == websocket.TextMessage && !utf8.Valid(data) {
		// nbio would answer 1002; RFC 6455 §8.1 says 1007.
		_ = c.Close(CloseInvalidPayload, "invalid UTF-8 in a text message")
		return
	}
	now := time.Now().UnixNano()
	if !c.allow(&rt.cfg, now) {
		_ = c.Close(ClosePolicyViolation, "rate limit exceeded")
		return
	}
	defer func() {
		if p := recover(); p != nil {
			rt.hub.log.Error("ws: panic in OnMessage", "conn", c.id, "panic", p)
			_ = c.Close(CloseInternalError, "internal error")
		}
	}()
	rt.onMsg(c, op, data)
}

// attach ties nbio's connection to its Conn, once: at nbio's OnOpen, or at
// the first message when a client sent it right after the 101 and nbio
// parsed it before OnOpen ran.
func (rt *route) attach(wc *websocket.Conn) *Conn {
	if c, ok := wc.Session().(*Conn); ok {
		return c
	}
	h := rt.hub
	h.attachMu.Lock()
	defer h.attachMu.Unlock()
	if c, ok := wc.Session().(*Conn); ok {
		return c
	}
	key := pendingKey(wc)
	if key == nil {
		return nil
	}
	v, ok := h.pending.LoadAndDelete(key)
	if !ok {
		return nil
	}
	c := v.(*Conn)
	wc.SetSession(c)
	c.lastRead.Store(time.Now().UnixNano())
	c.opened(wc)
	if nbc, ok := wc.Conn.(*nbio.Conn); ok {
		// Read through our guard so that framing errors get a close
		// frame (nbio alone drops the TCP connection: the client would
		// see 1006 and not know why). Set after opened: parse uses c.wc.
		nbc.OnData(c.onData) // a method value: one pointer, no closure of (c, wc)
	}
	return c
}

// closed is the end of a connection: unregister, OnClose once.
func (rt *route) closed(c *Conn, err error) {
	c.closed.Store(true)
	code := int(c.closeCode.Load())
	var reason string
	if p := c.reason.Load(); p != nil {
		reason = *p
	}
	if c.overflow.Load() || errors.Is(err, nbio.ErrOverflow) {
		code, reason = CloseTryAgainLater, "send queue full"
		c.closeCode.Store(int32(code))
		rt.hub.stats.slowClosed.Add(1)
		rt.hub.log.Warn("ws: closed a connection that does not read (send queue full)",
			"conn", c.id, "client", c.client)
	}
	if code == 0 {
		code = closeAbnormal
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			code, reason = ce.Code, ce.Reason
		}
		c.closeCode.Store(int32(code))
	}
	h := rt.hub
	h.mu.Lock()
	_, ok := h.conns[c]
	delete(h.conns, c)
	h.mu.Unlock()
	if !ok {
		return
	}
	h.removeMember(c, c.User())
	h.release(c.client)
	if rt.onClose != nil {
		func() {
			defer func() {
				if p := recover(); p != nil {
					h.log.Error("ws: panic in OnClose", "conn", c.id, "panic", p)
				}
			}()
			rt.onClose(c, code, reason)
		}()
	}
}

// serve is the handshake route.
func (rt *route) serve(cc *covet.Context) error {
	r := cc.Request()
	if !isUpgrade(r) {
		return covet.NewError(http.StatusUpgradeRequired, "this is a WebSocket endpoint").
			WithHeader("Upgrade", "websocket").WithHeader("Connection", "Upgrade")
	}
	if err := checkOrigin(r, &rt.cfg); err != nil {
		return err
	}
	if err := checkHandshake(r); err != nil {
		return err
	}
	h := rt.hub
	client := cc.ClientIP()
	if err := h.admit(client, &rt.cfg); err != nil {
		return err
	}
	admitted := true
	defer func() {
		if admitted {
			h.release(client)
		}
	}()
	c := &Conn{route: rt, id: connIDs.Add(1), client: client}
	if rt.cfg.compress {
		c.deflate = acceptableDeflate(r.Header.Values("Sec-Websocket-Extensions"))
	}
	if !c.deflate && rt.cfg.compress {
		// nbio would take any offer: decline the ones we cannot honour.
		r.Header.Del("Sec-Websocket-Extensions")
	}
	if rt.accept != nil {
		if err := rt.accept(cc, c); err != nil {
			h.removeMember(c, c.User())
			return err
		}
	}
	if err := h.startEngine(); err != nil {
		h.removeMember(c, c.User())
		return err
	}
	u := rt.upgraderFor(h.engine)
	// Taken over here, not inside nbio: the upgrade is tied to this very
	// socket (see upgrade), never looked up by r.RemoteAddr.
	raw, brw, err := cc.Response().Hijack()
	if err != nil {
		h.removeMember(c, c.User())
		return covet.NewError(http.StatusInternalServerError, "this connection cannot be upgraded").WithCause(err)
	}
	// Registered before the upgrade so that no broadcast can miss a
	// connection whose client already has its 101; frames sent before nbio
	// hands the connection over wait in c.early.
	h.mu.Lock()
	h.conns[c] = struct{}{}
	h.mu.Unlock()
	wc, err := rt.upgrade(cc, u, raw, c, handshakeRest(brw))
	if err != nil || !c.open.Load() {
		c.closed.Store(true)
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
		h.removeMember(c, c.User())
		if wc != nil {
			_ = wc.Close()
		}
		if err == nil {
			err = errors.New("ws: upgrade did not open the connection")
		}
		h.log.Warn("ws: upgrade failed", "err", err)
		// The upgrader has answered the request (or hijacked it).
		return nil
	}
	admitted = false
	h.noteHandshake()
	if h.draining.Load() {
		_ = c.Close(CloseGoingAway, "server shutting down")
		return nil
	}
	if rt.onOpen != nil {
		func() {
			defer func() {
				if p := recover(); p != nil {
					h.log.Error("ws: panic in OnOpen", "conn", c.id, "panic", p)
					_ = c.Close(CloseInternalError, "internal error")
				}
			}()
			rt.onOpen(c)
		}()
	}
	return nil
}

func isUpgrade(r *http.Request) bool {
	return headerHas(r.Header, "Connection", "upgrade") && headerHas(r.Header, "Upgrade", "websocket")
}

func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// checkOrigin allows same-origin handshakes, the configured origins, and a
// missing Origin only when WithAllowNoOrigin is set.
func checkOrigin(r *http.Request, cfg *config) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		if cfg.allowNoOrigin {
			return nil
		}
		return covet.NewError(http.StatusForbidden, "the Origin header is required")
	}
	for _, o := range cfg.origins {
		if o == "*" || strings.EqualFold(o, origin) || sameOrigin(o, origin) {
			return nil
		}
	}
	u, err := url.Parse(origin)
	if err == nil && u.Host != "" && strings.EqualFold(stripDefaultPort(u.Host, u.Scheme), stripDefaultPort(r.Host, u.Scheme)) {
		return nil
	}
	return covet.NewError(http.StatusForbidden, "origin "+origin+" is not allowed")
}

// sameOrigin compares a listed origin with the request's as origins:
// scheme and host case-insensitively, without the scheme's default port
// (browsers never send it), ignoring a trailing slash in the listed one.
func sameOrigin(listed, origin string) bool {
	a, err1 := url.Parse(strings.TrimSuffix(listed, "/"))
	b, err2 := url.Parse(origin)
	if err1 != nil || err2 != nil || a.Host == "" || b.Host == "" || a.Path != "" || b.Path != "" {
		return false
	}
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(stripDefaultPort(a.Host, strings.ToLower(a.Scheme)), stripDefaultPort(b.Host, strings.ToLower(b.Scheme)))
}

func stripDefaultPort(host, scheme string) string {
	h, p, err := net.SplitHostPort(host)
	if err != nil {
		return host
	}
	if (p == "80" && (scheme == "http" || scheme == "ws")) || (p == "443" && (scheme == "https" || scheme == "wss")) {
		return h
	}
	return host
}

var _ = json.Marshal
