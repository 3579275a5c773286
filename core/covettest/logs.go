package covettest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// LogBuffer collects an app's log output for assertions; it is safe for
// concurrent writers (requests served in parallel, plugin goroutines).
//
//	logs := &covettest.LogBuffer{}
//	app := covet.New(covet.WithLogger(logs.Logger()))
//	...
//	if recs := logs.Find(t, "request"); len(recs) != 1 { ... }
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Logger returns a logger writing JSON lines into the buffer, debug level
// included.
func (l *LogBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Records decodes every line as a JSON object; a line that is not one
// fails the test.
func (l *LogBuffer) Records(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("covettest: log line is not JSON: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// Find returns the records whose msg is msg.
func (l *LogBuffer) Find(t testing.TB, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range l.Records(t) {
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}
