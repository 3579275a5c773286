// Package wstest is a test client for WebSocket and SSE routes of a Covet
// app, in the spirit of FastAPI's websocket_connect: start the app on a
// loopback listener, dial, send and expect JSON, expect close codes, and
// read SSE streams.
//
//	srv := wstest.NewServer(t, app)
//	c := srv.Dial(t, "/boards/1/live")
//	c.Send(map[string]any{"type": "ping"})
//	c.ExpectJSON(map[string]any{"type": "pong"})
package wstest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/gorilla/websocket"
)

// Timeout bounds every expectation.
const Timeout = 5 * time.Second

// Server is an app served on a loopback listener, its plugins started.
type Server struct {
	URL  string // http://127.0.0.1:port
	srv  *httptest.Server
	app  *covet.App
	once sync.Once
}

// NewServer starts app's plugins and serves it on 127.0.0.1; both stop at
// the end of the test (plugins with a 5 s deadline).
func NewServer(t testing.TB, app *covet.App) *Server {
	t.Helper()
	if err := app.Start(context.Background()); err != nil {
		t.Fatalf("wstest: start app: %v", err)
	}
	srv := httptest.NewServer(app)
	s := &Server{URL: srv.URL, srv: srv, app: app}
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// Stop stops the app's plugins (the ws hub closes every connection with
// 1001) and then the listener. It may be called once before the cleanup does.
func (s *Server) Stop(t testing.TB) {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.app.Stop(ctx); err != nil {
			t.Errorf("wstest: stop app: %v", err)
		}
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// Remote returns a Server for an app already served at baseURL
// ("http://127.0.0.1:8080") by someone else: Dial and SSE work, Stop does
// nothing.
func Remote(baseURL string) *Server {
	s := &Server{URL: baseURL}
	s.once.Do(func() {})
	return s
}

// Addr is the listener's host:port.
func (s *Server) Addr() string { return strings.TrimPrefix(s.URL, "http://") }

// DialOption changes a handshake.
type DialOption func(*dialConfig)

type dialConfig struct {
	header    http.Header
	noOrigin  bool
	protocols []string
	compress  bool
	netDial   func(ctx context.Context, network, addr string) (net.Conn, error)
}

// WithHeader adds a request header to the handshake (Authorization, Cookie).
func WithHeader(name, value string) DialOption {
	return func(c *dialConfig) { c.header.Add(name, value) }
}

// WithOrigin sets the Origin header (default: the server's own URL).
func WithOrigin(origin string) DialOption {
	return func(c *dialConfig) { c.header.Set("Origin", origin) }
}

// WithoutOrigin sends no Origin header, as a non-browser client.
func WithoutOrigin() DialOption { return func(c *dialConfig) { c.noOrigin = true } }

// WithSubprotocols offers subprotocols.
func WithSubprotocols(p ...string) DialOption {
	return func(c *dialConfig) { c.protocols = append(c.protocols, p...) }
}

// WithCompression offers permessage-deflate (no context takeover, as
// gorilla/websocket does) and compresses the messages the client sends.
func WithCompression() DialOption { return func(c *dialConfig) { c.compress = true } }

// WithNetDial dials the TCP connection with fn (to watch the raw frames).
func WithNetDial(fn func(ctx context.Context, network, addr string) (net.Conn, error)) DialOption {
	return func(c *dialConfig) { c.netDial = fn }
}

// Conn is a client connection.
type Conn struct {
	t  testing.TB
	WS *websocket.Conn // the gorilla/websocket client connection
	// Response is the handshake's HTTP response.
	Response *http.Response
}

// Dial opens a WebSocket to path and fails the test when the handshake does
// not succeed. It is closed at the end of the test.
func (s *Server) Dial(t testing.TB, path string, opts ...DialOption) *Conn {
	t.Helper()
	c, resp, err := s.TryDial(path, opts...)
	if err != nil {
		st := 0
		if resp != nil {
			st = resp.StatusCode
		}
		t.Fatalf("wstest: dial %s: %v (status %d)", path, err, st)
	}
	c.t = t
	t.Cleanup(func() { _ = c.WS.Close() })
	return c
}

// TryDial opens a WebSocket and returns the error and the HTTP response of a
// refused handshake (its status: 403, 429, 503), for tests of refusals.
func (s *Server) TryDial(path string, opts ...DialOption) (*Conn, *http.Response, error) {
	cfg := dialConfig{header: http.Header{}}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.header.Get("Origin") == "" && !cfg.noOrigin {
		cfg.header.Set("Origin", s.URL)
	}
	d := websocket.Dialer{HandshakeTimeout: Timeout, Subprotocols: cfg.protocols,
		EnableCompression: cfg.compress, NetDialContext: cfg.netDial}
	ws, resp, err := d.Dial("ws://"+s.Addr()+path, cfg.header)
	if err != nil {
		return nil, resp, err
	}
	return &Conn{WS: ws, Response: resp}, resp, nil
}

// Subprotocol is the negotiated subprotocol.
func (c *Conn) Subprotocol() string { return c.WS.Subprotocol() }

// Send sends v as a JSON text message.
func (c *Conn) Send(v any) {
	c.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		c.t.Fatalf("wstest: encode: %v", err)
	}
	c.SendText(string(data))
}

// SendText sends a text message.
func (c *Conn) SendText(s string) {
	c.t.Helper()
	_ = c.WS.SetWriteDeadline(time.Now().Add(Timeout))
	if err := c.WS.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		c.t.Fatalf("wstest: send: %v", err)
	}
}

// Read returns the next data message, failing the test on a close or
// timeout.
func (c *Conn) Read() []byte {
	c.t.Helper()
	_ = c.WS.SetReadDeadline(time.Now().Add(Timeout))
	_, data, err := c.WS.ReadMessage()
	if err != nil {
		c.t.Fatalf("wstest: read: %v", err)
	}
	return data
}

// ReadJSON decodes the next message into v.
func (c *Conn) ReadJSON(v any) {
	c.t.Helper()
	data := c.Read()
	if err := json.Unmarshal(data, v); err != nil {
		c.t.Fatalf("wstest: decode %s: %v", data, err)
	}
}

// ExpectJSON reads the next message and fails the test unless it is equal,
// as JSON, to want (a struct, a map or a JSON string).
func (c *Conn) ExpectJSON(want any) {
	c.t.Helper()
	got := c.Read()
	if !jsonEqual(got, want) {
		w, _ := marshalWant(want)
		c.t.Fatalf("wstest: got message %s, want %s", got, w)
	}
}

// ExpectClose reads until the server closes and fails the test unless the
// close code is code. It returns the reason.
func (c *Conn) ExpectClose(code int) string {
	c.t.Helper()
	got, reason := c.ReadClose()
	if got != code {
		c.t.Fatalf("wstest: close code %d (%q), want %d", got, reason, code)
	}
	return reason
}

// ReadClose reads (discarding data messages) until the connection ends and
// returns the close code and reason (1006 when the TCP connection went
// without a close frame).
func (c *Conn) ReadClose() (int, string) {
	c.t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		_ = c.WS.SetReadDeadline(deadline)
		_, _, err := c.WS.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Text
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.t.Fatalf("wstest: no close within %v", Timeout)
		}
		return 1006, err.Error()
	}
}

// Close sends a close frame with code 1000 and closes the connection.
func (c *Conn) Close() {
	_ = c.WS.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
	_ = c.WS.Close()
}

func marshalWant(want any) ([]byte, error) {
	switch w := want.(type) {
	case string:
		return []byte(w), nil
	case []byte:
		return w, nil
	}
	return json.Marshal(want)
}

func jsonEqual(got []byte, want any) bool {
	w, err := marshalWant(want)
	if err != nil {
		return false
	}
	var a, b any
	if json.Unmarshal(got, &a) != nil || json.Unmarshal(w, &b) != nil {
		return bytes.Equal(got, w)
	}
	return reflect.DeepEqual(a, b)
}

// Event is one Server-Sent Event.
type Event struct {
	ID, Event, Data string
	Retry           string
}

// SSEStream reads a Server-Sent Events response.
type SSEStream struct {
	t        testing.TB
	Response *http.Response
	r        *bufio.Reader
	cancel   context.CancelFunc
	events   chan Event
	errc     chan error
}

// SSE opens an event stream at path; header pairs (name, value) are sent
// with the request (Last-Event-ID). It fails the test unless the answer is
// 200 text/event-stream.
func (s *Server) SSE(t testing.TB, path string, header ...string) *SSEStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("wstest: SSE %s: %v", path, err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		resp.Body.Close()
		t.Fatalf("wstest: SSE %s: status %d, content type %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	st := &SSEStream{t: t, Response: resp, r: bufio.NewReader(resp.Body), cancel: cancel,
		events: make(chan Event, 1024), errc: make(chan error, 1)}
	go st.loop()
	t.Cleanup(st.Close)
	return st
}

func (s *SSEStream) loop() {
	var ev Event
	var data []string
	seen := false
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.errc <- err
			close(s.events)
			return
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if seen {
				ev.Data = strings.Join(data, "\n")
				s.events <- ev
			}
			ev, data, seen = Event{}, nil, false
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		name, val, _ := strings.Cut(line, ":")
		val = strings.TrimPrefix(val, " ")
		switch name {
		case "id":
			ev.ID = val
		case "event":
			ev.Event = val
		case "data":
			data = append(data, val)
		case "retry":
			ev.Retry = val
		}
		seen = true
	}
}

// Next returns the next event (a retry-only block is an event too, with
// only Retry set); it fails the test after Timeout.
func (s *SSEStream) Next() Event {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			s.t.Fatalf("wstest: SSE stream ended: %v", <-s.errc)
		}
		return ev
	case <-time.After(Timeout):
		s.t.Fatalf("wstest: no SSE event within %v", Timeout)
	}
	return Event{}
}

// NextData returns the next event that has data, skipping retry-only blocks.
func (s *SSEStream) NextData() Event {
	s.t.Helper()
	for {
		if ev := s.Next(); ev.Data != "" {
			return ev
		}
	}
}

// ExpectEnd waits for the server to end the stream.
func (s *SSEStream) ExpectEnd() {
	s.t.Helper()
	deadline := time.After(Timeout)
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return
			}
		case <-deadline:
			s.t.Fatalf("wstest: SSE stream did not end within %v", Timeout)
		}
	}
}

// Close ends the stream from the client side.
func (s *SSEStream) Close() {
	s.cancel()
	s.Response.Body.Close()
}
