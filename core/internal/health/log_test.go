package health

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLogChange(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	LogChange(l, "orm", "down", "readiness", 1.5, "dial tcp: refused", map[string]any{"db": "main"}, false)
	out := buf.String()
	for _, want := range []string{"level=WARN", "health check failing", "plugin=orm", "status=down", "kind=readiness", "latency_ms=1.5", `error="dial tcp: refused"`, "details=map[db:main]"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
	buf.Reset()
	LogChange(l, "orm", "ok", "liveness", 0.2, "", nil, true)
	if out := buf.String(); !strings.Contains(out, "level=INFO") || !strings.Contains(out, "recovered") || strings.Contains(out, "error=") || strings.Contains(out, "details=") {
		t.Errorf("recovery log %q", out)
	}
}
