package middleware

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

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

// TestAppendRFC3339Nano: the access log's cached time text is what
// time.RFC3339Nano writes, across seconds, locations and fractions
// (trailing zeros dropped, no dot for a whole second).
func TestAppendRFC3339Nano(t *testing.T) {
	locs := []*time.Location{time.UTC, time.Local, time.FixedZone("", 5*3600+1800), time.FixedZone("", -8*3600)}
	r := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC).UnixNano()
	fracs := []int64{0, 1, 10, 100_000_000, 123_456_789, 999_999_999, 500_000}
	for i := range 20000 {
		ns := base + r.Int64N(3*int64(time.Second))
		if i%3 == 0 {
			ns = ns - ns%int64(time.Second) + fracs[i%len(fracs)]
		}
		tm := time.Unix(0, ns).In(locs[i%len(locs)])
		if got, want := string(AppendRFC3339Nano([]byte("x"), tm)), "x"+tm.Format(time.RFC3339Nano); got != want {
			t.Fatalf("%v: got %q, want %q", tm, got, want)
		}
	}
	for _, tm := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 5, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), {}} {
		if got, want := string(AppendRFC3339Nano(nil, tm)), tm.Format(time.RFC3339Nano); got != want {
			t.Fatalf("%v: got %q, want %q", tm, got, want)
		}
	}
}
