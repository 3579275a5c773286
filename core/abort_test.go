package covet_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/middleware"
)

// lockedBuf is a log sink the server's goroutines may write concurrently.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// failingReader yields some data, then an error.
type failingReader struct{ sent bool }

func (f *failingReader) Read(p []byte) (int, error) {
	if !f.sent {
		f.sent = true
		return copy(p, "first chunk;"), nil
	}
	return 0, errors.New("storage: read failed")
}

const abortMsg = "covet: response aborted: the handler failed after the response started"

// abortApp has routes that fail after their response started, and one that
// succeeds, with and without middleware.Recover.
func abortApp(logs io.Writer) *covet.App {
	app := covet.New(covet.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
	partialPanic := func(c *covet.Context) error {
		c.Response().Header().Set("Content-Type", "text/plain")
		_, _ = c.Response().Write([]byte("first chunk;"))
		_ = c.Response().FlushError()
		panic("boom after the first chunk")
	}
	app.GET("/panic", partialPanic)
	app.Group("/recover", middleware.Recover()).GET("/panic", partialPanic)
	app.GET("/stream-error", func(c *covet.Context) error {
		return c.Stream(200, "text/plain", &failingReader{})
	})
	app.GET("/ok", func(c *covet.Context) error {
		return c.Stream(200, "text/plain", strings.NewReader("complete"))
	})
	return app
}

// Issue 13 #3: a panic (with or without middleware.Recover) or a c.Stream
// reader error after the response started must not end the chunked body
// cleanly: the client sees a broken transfer, and the failure is logged.
func TestAbortAfterStartHTTP1(t *testing.T) {
	logs := &lockedBuf{}
	app := abortApp(logs)
	srv := httptest.NewUnstartedServer(app)
	srv.Config = app.Server("")
	srv.Start()
	defer srv.Close()
	checkAborts(t, srv.Client(), srv.URL, "HTTP/1.1", logs)
}

func TestAbortAfterStartHTTP2(t *testing.T) {
	logs := &lockedBuf{}
	app := abortApp(logs)
	srv := httptest.NewUnstartedServer(app)
	srv.Config = app.Server("")
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	checkAborts(t, srv.Client(), srv.URL, "HTTP/2.0", logs)
}

func checkAborts(t *testing.T, hc *http.Client, base, proto string, logs *lockedBuf) {
	t.Helper()
	for _, path := range []string{"/panic", "/recover/panic", "/stream-error"} {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			res, err := hc.Get(base + path)
			if err != nil {
				t.Fatalf("GET %s: %v (want the status, then a broken body)", path, err)
			}
			defer res.Body.Close()
			if res.Proto != proto {
				t.Fatalf("protocol %s, want %s", res.Proto, proto)
			}
			body, err := io.ReadAll(res.Body)
			if err == nil {
				t.Fatalf("body %q read to a clean end; want a broken transfer", body)
			}
			if res.StatusCode != 200 || !strings.HasPrefix(string(body), "first chunk;") {
				t.Errorf("status %d, body %q before the error %v", res.StatusCode, body, err)
			}
			if !strings.Contains(logs.String(), `"path":"`+path+`"`) {
				t.Errorf("no log record for %s; logs:\n%s", path, logs)
			}
		})
	}
	if n := strings.Count(logs.String(), abortMsg); n != 3 {
		t.Errorf("%d abort records, want 3; logs:\n%s", n, logs)
	}
	// A response that completes still ends cleanly, and the server keeps
	// serving the client.
	res, err := hc.Get(base + "/ok")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || string(body) != "complete" {
		t.Errorf("GET /ok: body %q, error %v", body, err)
	}
}
