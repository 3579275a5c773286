package middleware_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	covet "github.com/covetgo/covet/core"
)

// logBuffer collects JSON log lines; it is safe for concurrent writers.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// records decodes every line as a JSON object.
func (l *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// find returns the records whose msg is msg.
func (l *logBuffer) find(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range l.records(t) {
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

// newApp returns a production-mode app logging JSON (debug level included)
// into the returned buffer.
func newApp(opts ...covet.Option) (*covet.App, *logBuffer) {
	logs := &logBuffer{}
	l := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	base := []covet.Option{covet.WithDevelopment(false), covet.WithLogger(l)}
	return covet.New(append(base, opts...)...), logs
}

// statusProbe is middleware that records the status and error it sees after
// the handlers below it return.
type statusProbe struct {
	status int
	err    error
	calls  int
}

func (p *statusProbe) mw(next covet.HandlerFunc) covet.HandlerFunc {
	return func(c *covet.Context) error {
		err := next(c)
		p.calls++
		p.status, p.err = c.Response().Status(), err
		return err
	}
}

// serve runs one request through h in-process.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}
