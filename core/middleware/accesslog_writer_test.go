package middleware

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// TestAccessLogWriterMatchesSlog: the direct JSON lines carry the same keys
// and values as slog's JSON handler records for the same requests.
func TestAccessLogWriterMatchesSlog(t *testing.T) {
	var direct, viaSlog bytes.Buffer
	build := func(opt AccessLogOption) *covet.App {
		app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
		app.Use(RequestID(WithRequestIDGenerator(func() string { return "fixed-id" })), AccessLog(opt))
		app.GET("/users/{id:int}", func(c *covet.Context) error { return c.Text(200, "user \"<é>\"") })
		app.GET("/fail", func(c *covet.Context) error { return covet.NewError(409, "no") })
		return app
	}
	apps := []*covet.App{
		build(WithAccessLogWriter(&direct)),
		build(WithAccessLogger(slog.New(slog.NewJSONHandler(&viaSlog, nil)))),
	}
	for _, app := range apps {
		cl := covettest.New(t, app)
		cl.Get("/users/7?q=1").Header("User-Agent", "tester \"quoted\"\n\x01<script>").Do().ExpectStatus(200)
		cl.Get("/fail").Do().ExpectStatus(409)
		cl.Get("/nope/\xff").Do()
	}
	dl := strings.Split(strings.TrimSpace(direct.String()), "\n")
	sl := strings.Split(strings.TrimSpace(viaSlog.String()), "\n")
	if len(dl) != 3 || len(sl) != 3 {
		t.Fatalf("lines: direct %d, slog %d", len(dl), len(sl))
	}
	for i := range dl {
		var d, s map[string]any
		if err := json.Unmarshal([]byte(dl[i]), &d); err != nil {
			t.Fatalf("direct line %d is not JSON: %v: %s", i, err, dl[i])
		}
		if err := json.Unmarshal([]byte(sl[i]), &s); err != nil {
			t.Fatal(err)
		}
		for _, m := range []map[string]any{d, s} {
			delete(m, "time")
			delete(m, "duration")
		}
		db, _ := json.Marshal(d)
		sb, _ := json.Marshal(s)
		if !bytes.Equal(db, sb) {
			t.Errorf("line %d differs:\n direct %s\n slog   %s", i, db, sb)
		}
	}
}
