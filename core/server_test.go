package covet_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

type stopRecorder struct {
	stopped atomic.Bool
	during  atomic.Int64 // requests still in flight when Stop ran
	active  *atomic.Int64
}

func (s *stopRecorder) Name() string             { return "recorder" }
func (s *stopRecorder) Install(*covet.App) error { return nil }
func (s *stopRecorder) Stop(ctx context.Context) error {
	s.during.Store(s.active.Load())
	s.stopped.Store(true)
	return nil
}

// TestGracefulShutdownUnderLoad: a shutdown begun while requests are in
// flight lets every accepted request finish, and stops plugins only after.
func TestGracefulShutdownUnderLoad(t *testing.T) {
	var active atomic.Int64
	app := covet.New(quiet(), covet.WithServer(covet.ServerConfig{ShutdownTimeout: 10 * time.Second}))
	rec := &stopRecorder{active: &active}
	must(t, app.Install(rec))
	var holding atomic.Bool
	app.GET("/slow", func(c *covet.Context) error {
		active.Add(1)
		defer active.Add(-1)
		if holding.Load() {
			// In flight until the shutdown begins, however slowly the
			// other requests arrive on a loaded machine.
			<-app.Draining()
		}
		time.Sleep(150 * time.Millisecond)
		return c.Text(200, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.ServeContext(ctx, ln) }()
	url := "http://" + ln.Addr().String() + "/slow"

	client := &http.Client{Timeout: 10 * time.Second}
	// Wait until the server answers.
	for i := 0; ; i++ {
		if res, err := client.Get(url); err == nil {
			res.Body.Close()
			break
		}
		if i > 100 {
			t.Fatal("server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	holding.Store(true)
	const n = 40
	var wg sync.WaitGroup
	var okCount, failed atomic.Int64
	started := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started <- struct{}{}
			res, err := client.Get(url)
			if err != nil {
				failed.Add(1)
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == 200 && string(b) == "done" {
				okCount.Add(1)
			} else {
				failed.Add(1)
			}
		}()
	}
	for i := 0; i < n; i++ {
		<-started
	}
	// Let the requests reach the handler (they stay there until the
	// shutdown), then shut down: all of them, or as many as arrived in 5 s
	// once at least one has (60 s at most on a loaded machine).
	start := time.Now()
	for active.Load() < n && time.Since(start) < 60*time.Second && (active.Load() == 0 || time.Since(start) < 5*time.Second) {
		time.Sleep(5 * time.Millisecond)
	}
	accepted := active.Load()
	cancel()
	wg.Wait()
	if err := <-served; err != nil {
		t.Fatalf("ServeContext: %v", err)
	}
	if okCount.Load() < accepted || failed.Load() > n-accepted {
		t.Fatalf("%d requests were in flight at shutdown; %d succeeded, %d failed", accepted, okCount.Load(), failed.Load())
	}
	if accepted == 0 {
		t.Fatal("no request was in flight at shutdown; the test proved nothing")
	}
	if !rec.stopped.Load() || rec.during.Load() != 0 {
		t.Fatalf("plugin stopped=%v with %d requests still running", rec.stopped.Load(), rec.during.Load())
	}
	// After shutdown nothing listens.
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("listener still accepts connections after shutdown")
	}
}

// rawRequest sends bytes on a fresh connection and returns the status line.
func rawRequest(t *testing.T, addr, req string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	must(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		return "write error: " + err.Error()
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil && line == "" {
		return "read error: " + err.Error()
	}
	return strings.TrimSpace(line)
}

// TestBadInputOverTheWire: malformed requests get a clear 4xx, never a 500,
// and the server keeps serving.
func TestBadInputOverTheWire(t *testing.T) {
	app := covet.New(quiet())
	app.GET("/users/{id:int}", echoRoute("user"))
	app.GET("/files/{p:path}", echoRoute("files"))
	srv := httptest.NewUnstartedServer(app)
	srv.Config = app.Server("")
	srv.Start()
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	long := strings.Repeat("a", 2<<20)
	tests := []struct {
		name, req string
		want      []string // acceptable status codes
	}{
		{"bad percent encoding", "GET /users/%zz HTTP/1.1\r\nHost: x\r\n\r\n", []string{"400"}},
		{"bad percent in catch-all", "GET /files/%e0%a4%a HTTP/1.1\r\nHost: x\r\n\r\n", []string{"400"}},
		{"invalid utf8 path", "GET /files/%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n", []string{"200"}},
		{"overlong path", "GET /files/" + long + " HTTP/1.1\r\nHost: x\r\n\r\n", []string{"431", "400", "414"}},
		{"overlong header", "GET /users/1 HTTP/1.1\r\nHost: x\r\nX-Big: " + long + "\r\n\r\n", []string{"431"}},
		{"odd method token", "G(E)T /users/1 HTTP/1.1\r\nHost: x\r\n\r\n", []string{"400"}},
		{"unknown method", "BREW /users/1 HTTP/1.1\r\nHost: x\r\n\r\n", []string{"405"}},
		{"unknown route", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", []string{"404"}},
		{"converter mismatch", "GET /users/abc HTTP/1.1\r\nHost: x\r\n\r\n", []string{"404"}},
		{"absolute form", "GET http://other.example/users/5 HTTP/1.1\r\nHost: x\r\n\r\n", []string{"200"}},
		{"no host", "GET /users/1 HTTP/1.1\r\n\r\n", []string{"400"}},
		{"bad version", "GET /users/1 HTTP/9.9\r\nHost: x\r\n\r\n", []string{"505", "400"}},
		{"nul in path", "GET /users/1%00 HTTP/1.1\r\nHost: x\r\n\r\n", []string{"404", "400"}},
		{"star target", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", []string{"200", "400", "404", "405", "204"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := rawRequest(t, addr, tt.req)
			ok := false
			for _, w := range tt.want {
				if strings.Contains(line, " "+w+" ") || strings.HasSuffix(line, " "+w) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("status line %q, want one of %v", line, tt.want)
			}
		})
	}
	// Still serving.
	if line := rawRequest(t, addr, "GET /users/9 HTTP/1.1\r\nHost: x\r\n\r\n"); !strings.Contains(line, "200") {
		t.Errorf("after bad input: %q", line)
	}
}

func TestServerDefaults(t *testing.T) {
	app := covet.New()
	s := app.Server(":0")
	if s.ReadHeaderTimeout != 5*time.Second || s.ReadTimeout != 60*time.Second || s.WriteTimeout != 60*time.Second ||
		s.IdleTimeout != 120*time.Second || s.MaxHeaderBytes != 1<<20 {
		t.Errorf("server defaults %+v", s)
	}
	app2 := covet.New(covet.WithServer(covet.ServerConfig{ReadTimeout: time.Second, H2C: true}))
	s2 := app2.Server(":0")
	if s2.ReadTimeout != time.Second || s2.ReadHeaderTimeout != 5*time.Second || s2.Protocols == nil || !s2.Protocols.UnencryptedHTTP2() {
		t.Errorf("overrides %+v", s2)
	}
}

func TestH2CAndTLSHTTP2(t *testing.T) {
	app := covet.New(quiet(), covet.WithServer(covet.ServerConfig{H2C: true}))
	app.GET("/proto", func(c *covet.Context) error { return c.Text(200, c.Request().Proto) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.ServeContext(ctx, ln) }()
	defer func() { cancel(); <-done }()

	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: &http.Transport{Protocols: p}, Timeout: 5 * time.Second}
	var res *http.Response
	for i := 0; i < 100; i++ {
		if res, err = client.Get("http://" + ln.Addr().String() + "/proto"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	must(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "HTTP/2.0" {
		t.Errorf("h2c request served as %q", b)
	}

	// TLS: HTTP/2 negotiated by ALPN.
	app2 := covet.New(quiet())
	app2.GET("/proto", func(c *covet.Context) error { return c.Text(200, c.Request().Proto) })
	ts := httptest.NewUnstartedServer(app2)
	ts.EnableHTTP2 = true
	ts.StartTLS()
	defer ts.Close()
	tr := ts.Client().Transport.(*http.Transport)
	tr.TLSClientConfig.MinVersion = tls.VersionTLS12
	res2, err := ts.Client().Get(ts.URL + "/proto")
	must(t, err)
	b2, _ := io.ReadAll(res2.Body)
	res2.Body.Close()
	if string(b2) != "HTTP/2.0" {
		t.Errorf("TLS request served as %q", b2)
	}
}

func TestServeContextReportsListenerFailure(t *testing.T) {
	app := covet.New(quiet())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ln.Close()
	err = app.ServeContext(context.Background(), ln)
	if err == nil || errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("serving on a closed listener returned %v", err)
	}
	_ = fmt.Sprint()
}
