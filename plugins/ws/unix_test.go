package ws_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
)

// unixDial dials the Unix socket at path whatever address the client asks.
func unixDial(path string) wstest.DialOption {
	return wstest.WithNetDial(func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	})
}

func unixListener(t *testing.T) (net.Listener, string) {
	t.Helper()
	// Short: sun_path is limited to ~108 bytes and t.TempDir can be long.
	dir, err := filepath.Abs(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Skipf("no Unix sockets here: %v", err)
	}
	return ln, path
}

// chatOverUnix checks echo and room broadcast through the chat app served
// at the Unix socket path.
func chatOverUnix(t *testing.T, path string) {
	srv := wstest.Remote("http://covet.test")
	a := srv.Dial(t, "/boards/1/live", unixDial(path))
	a.ExpectJSON(chatOut{Type: "hello", Room: "board:1"})
	b := srv.Dial(t, "/boards/1/live", unixDial(path))
	b.ExpectJSON(chatOut{Type: "hello", Room: "board:1"})
	other := srv.Dial(t, "/boards/2/live", unixDial(path))
	other.ExpectJSON(chatOut{Type: "hello", Room: "board:2"})
	for i := 0; i < 3; i++ {
		a.Send(chatIn{Type: "say", Text: "hi" + itoa(i)})
		a.ExpectJSON(chatOut{Type: "said", Text: "hi" + itoa(i)})
		b.ExpectJSON(chatOut{Type: "said", Text: "hi" + itoa(i)})
	}
	other.Send(chatIn{Type: "say", Text: "two"})
	other.ExpectJSON(chatOut{Type: "said", Text: "two"})
}

func TestUnixSocketServeContext(t *testing.T) {
	app, _, _ := chatApp(t, nil)
	ln, path := unixListener(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.ServeContext(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ServeContext: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("ServeContext did not return")
		}
	})
	chatOverUnix(t, path)
}

func TestUnixSocketHTTPServer(t *testing.T) {
	app, _, _ := chatApp(t, nil)
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, path := unixListener(t)
	hs := &http.Server{Handler: app}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = app.Stop(ctx)
		_ = hs.Close()
	})
	chatOverUnix(t, path)
}

type whoMsg struct {
	Type string `json:"type"`
	User string `json:"user"`
	Text string `json:"text,omitempty"`
}

// whoApp tells each connection who the hub thinks it is: the user set in
// Accept (from the query), in the hello and in what its room receives.
func whoApp(t *testing.T, opts ...ws.Option) *covet.App {
	t.Helper()
	app := covet.New()
	hub := ws.NewHub(opts...)
	if err := app.Install(hub); err != nil {
		t.Fatal(err)
	}
	ws.Handle(app, "/who", ws.Handler[whoMsg]{
		Hub: hub,
		Accept: func(c *covet.Context, conn *ws.Conn) error {
			conn.SetUser(c.Query("user"))
			conn.Join("u:" + c.Query("user"))
			return nil
		},
		OnOpen: func(conn *ws.Conn) { _ = conn.Send(whoMsg{Type: "hello", User: conn.User()}) },
		OnMessage: func(conn *ws.Conn, m *whoMsg) error {
			return conn.Hub().Broadcast(context.Background(), "u:"+conn.User(),
				whoMsg{Type: "echo", User: conn.User(), Text: m.Text})
		},
	})
	return app
}

// sameIdentities dials n clients at once and checks that each is itself,
// never another: in the hello, and in its own room's echo.
func sameIdentities(t *testing.T, srv *wstest.Server, n int, opts ...wstest.DialOption) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			user := "user" + itoa(i)
			c, resp, err := srv.TryDial("/who?user="+user, opts...)
			if err != nil {
				st := 0
				if resp != nil {
					st = resp.StatusCode
				}
				errs <- user + ": dial: " + err.Error() + " status " + itoa(st)
				return
			}
			defer c.WS.Close()
			_ = c.WS.SetReadDeadline(time.Now().Add(30 * time.Second))
			var m whoMsg
			if err := c.WS.ReadJSON(&m); err != nil || m != (whoMsg{Type: "hello", User: user}) {
				errs <- user + ": hello " + m.User + " " + errString(err)
				return
			}
			if err := c.WS.WriteJSON(whoMsg{Type: "say", Text: user}); err != nil {
				errs <- user + ": write " + err.Error()
				return
			}
			m = whoMsg{}
			if err := c.WS.ReadJSON(&m); err != nil || m != (whoMsg{Type: "echo", User: user, Text: user}) {
				errs <- user + ": echo " + m.User + "/" + m.Text + " " + errString(err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	var all []string
	for e := range errs {
		all = append(all, e)
	}
	if len(all) > 0 {
		t.Fatalf("%d of %d connections were not themselves:\n%s", len(all), n, strings.Join(all, "\n"))
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A proxy-header middleware may set r.RemoteAddr to the same value for
// many clients: the upgrade must still tie each socket to its own Conn.
func TestHandshakesWithSameRemoteAddr(t *testing.T) {
	app := whoApp(t)
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.RemoteAddr = "203.0.113.7:4000"
		app.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = app.Stop(ctx)
		hs.Close()
	})
	sameIdentities(t, wstest.Remote(hs.URL), 50)
}

// sameAddrListener reports one remote address for every connection.
type sameAddrListener struct{ net.Listener }

type sameAddrConn struct{ *net.TCPConn }

func (sameAddrConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(203, 0, 113, 7), Port: 4000}
}

func (l sameAddrListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return sameAddrConn{c.(*net.TCPConn)}, nil
}

// serveWrapped serves app on a listener whose connections are wrapped
// (nbio's blocking mode) and returns its URL.
func serveWrapped(t *testing.T, app *covet.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.ServeContext(ctx, sameAddrListener{ln}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Error("ServeContext did not return")
		}
	})
	return "http://" + ln.Addr().String()
}

func TestListenerWithSameRemoteAddr(t *testing.T) {
	sameIdentities(t, wstest.Remote(serveWrapped(t, whoApp(t))), 50)
}

// A wrapped connection is read by nbio's goroutine, not the poller: the
// dead-peer sweep must still see its pongs and messages.
func TestWrappedConnOutlivesPingSweep(t *testing.T) {
	srv := wstest.Remote(serveWrapped(t, whoApp(t, ws.WithPing(100*time.Millisecond, time.Second))))
	c := srv.Dial(t, "/who?user=ann")
	c.ExpectJSON(whoMsg{Type: "hello", User: "ann"})
	// Reading answers the hub's pings (gorilla replies while it reads).
	got := make(chan whoMsg, 1)
	go func() {
		var m whoMsg
		_ = c.WS.ReadJSON(&m)
		got <- m
	}()
	// Well past interval+wait and a sweep: without read stamps the hub
	// would have closed it as silent.
	time.Sleep(3 * time.Second)
	if err := c.WS.WriteJSON(whoMsg{Type: "say", Text: "still here"}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m != (whoMsg{Type: "echo", User: "ann", Text: "still here"}) {
			t.Fatalf("got %+v", m)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no echo")
	}
}

func TestUnixSocketIdentities(t *testing.T) {
	app := whoApp(t)
	ln, path := unixListener(t)
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
	sameIdentities(t, wstest.Remote("http://covet.test"), 50, unixDial(path))
}

// BenchmarkHandshake is a dial, the hello and a close over loopback TCP
// (client and server allocations together).
func BenchmarkHandshake(b *testing.B) {
	app, _, _ := chatApp(b, nil)
	srv := wstest.NewServer(b, app)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c, _, err := srv.TryDial("/boards/1/live")
		if err != nil {
			b.Fatal(err)
		}
		var m chatOut
		if err := c.WS.ReadJSON(&m); err != nil {
			b.Fatal(err)
		}
		_ = c.WS.Close()
	}
}

// Over crypto/tls nbio serves the connection in its blocking mode: echo,
// rooms and identities still hold.
func TestTLSConnections(t *testing.T) {
	app := whoApp(t)
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
	tlsCfg := hs.Client().Transport.(*http.Transport).TLSClientConfig
	dial := wstest.WithNetDial(func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := tls.Dialer{Config: tlsCfg}
		return d.DialContext(ctx, network, addr)
	})
	sameIdentities(t, wstest.Remote("http://"+hs.Listener.Addr().String()), 20, dial)
}

// A handshake nbio would refuse after taking the connection over is
// refused before, with a problem, and Accept does not run.
func TestMalformedHandshakeRefused(t *testing.T) {
	app := covet.New()
	hub := ws.NewHub()
	if err := app.Install(hub); err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	ws.Handle(app, "/x", ws.Handler[whoMsg]{Hub: hub, Accept: func(*covet.Context, *ws.Conn) error {
		accepted.Add(1)
		return nil
	}})
	srv := wstest.NewServer(t, app)
	for _, tt := range []struct {
		name, version, key string
	}{
		{"old version", "8", "dGhlIHNhbXBsZSBub25jZQ=="},
		{"no key", "13", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/x", nil)
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Origin", srv.URL)
			req.Header.Set("Sec-WebSocket-Version", tt.version)
			if tt.key != "" {
				req.Header.Set("Sec-WebSocket-Key", tt.key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("got %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		})
	}
	if n := accepted.Load(); n != 0 {
		t.Fatalf("Accept ran %d times", n)
	}
}
