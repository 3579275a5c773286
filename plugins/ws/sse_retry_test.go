package ws_test

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/compress"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
)

func retryIn(s string, lo, hi int) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= lo && n < hi
}

// Each stream gets its own retry: hint, WithRetry plus up to 50 %, so the
// clients of an instance that dies do not all reconnect in one instant.
func TestSSERetryJitter(t *testing.T) {
	app, _ := sseApp(t, ws.WithRetry(2*time.Second))
	srv := wstest.NewServer(t, app)
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		s := srv.SSE(t, "/rooms/a/events")
		ev := s.Next()
		if !retryIn(ev.Retry, 2000, 3000) {
			t.Fatalf("stream %d: retry %q, want 2000 to 2999", i, ev.Retry)
		}
		seen[ev.Retry] = true
		s.Close()
	}
	if len(seen) < 5 {
		t.Fatalf("20 streams got %d distinct retry values: %v", len(seen), seen)
	}
}

// An SSE response names no content coding (it sent "identity", which is
// not one to send and confuses proxies); the compress plugin leaves
// text/event-stream alone, and each event arrives as it is sent.
func TestSSENotCompressed(t *testing.T) {
	app := covet.New()
	hub := ws.NewHub()
	if err := app.Install(compress.New(compress.WithMinSize(1))); err != nil {
		t.Fatal(err)
	}
	if err := app.Install(hub); err != nil {
		t.Fatal(err)
	}
	ws.SSE(app, "/rooms/{name}/events", ws.SSEHandler{Hub: hub,
		Accept: func(c *covet.Context, s *ws.Stream) error { s.Join(c.Param("name")); return nil }})
	srv := wstest.NewServer(t, app)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/rooms/a/events", nil)
	req.Header.Set("Accept-Encoding", "gzip, br, zstd")
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ce, ok := resp.Header["Content-Encoding"]; ok {
		t.Fatalf("Content-Encoding %q on an SSE response", ce)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	waitMembers(t, hub, "a", 1)
	br := bufio.NewReader(resp.Body)
	for n := 1; n <= 3; n++ {
		if err := hub.Broadcast(t.Context(), "a", map[string]int{"n": n}); err != nil {
			t.Fatal(err)
		}
		want := `data: {"n":` + strconv.Itoa(n) + `}`
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("event %d: %v", n, err)
			}
			if strings.TrimRight(line, "\n") == want {
				break
			}
		}
	}
}
