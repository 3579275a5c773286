package covet_test

import (
	"bufio"
	"io"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// tickReader yields n chunks, pausing before each.
type tickReader struct {
	n     int
	pause time.Duration
}

func (r *tickReader) Read(b []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	r.n--
	time.Sleep(r.pause)
	return copy(b, "chunk\n"), nil
}

// TestStreamsOutliveServerTimeouts: c.Stream and c.SSE responses that last
// several times the server's ReadTimeout and WriteTimeout reach the client
// whole: each write gets the write timeout anew (without it, both are cut
// at WriteTimeout).
func TestStreamsOutliveServerTimeouts(t *testing.T) {
	const timeout, pause, n = 250 * time.Millisecond, 50 * time.Millisecond, 20 // 1 s of streaming
	app := covet.New(quiet(), covet.WithServer(covet.ServerConfig{ReadTimeout: timeout, WriteTimeout: timeout}))
	app.GET("/stream", func(c *covet.Context) error {
		return c.Stream(200, "text/plain", &tickReader{n: n, pause: pause})
	})
	app.GET("/events", func(c *covet.Context) error {
		s := c.SSE()
		for i := 0; i < n; i++ {
			time.Sleep(pause)
			if err := s.Send(covet.Event{Data: "chunk"}); err != nil {
				return err
			}
		}
		return nil
	})
	base, _, _ := serveApp(t, app)
	getWhenUp(t, base+"/none").Body.Close()
	for path, want := range map[string]string{
		"/stream": strings.Repeat("chunk\n", n),
		"/events": strings.Repeat("data: chunk\n\n", n),
	} {
		t.Run(path, func(t *testing.T) {
			res := getWhenUp(t, base+path)
			defer res.Body.Close()
			b, err := io.ReadAll(bufio.NewReader(res.Body))
			if err != nil || string(b) != want {
				t.Errorf("got %d of %d bytes (%v): the stream was cut", len(b), len(want), err)
			}
		})
	}
}

// TestWithServerNoTimeout: a zero field keeps the default, NoTimeout turns
// the timeout off (http.Server's 0).
func TestWithServerNoTimeout(t *testing.T) {
	app := covet.New(covet.WithServer(covet.ServerConfig{WriteTimeout: covet.NoTimeout, ReadTimeout: covet.NoTimeout, IdleTimeout: 0}))
	s := app.Server(":0")
	if s.WriteTimeout != 0 || s.ReadTimeout != 0 {
		t.Errorf("NoTimeout not honored: write %v read %v", s.WriteTimeout, s.ReadTimeout)
	}
	if s.IdleTimeout != 120*time.Second || s.ReadHeaderTimeout != 5*time.Second {
		t.Errorf("zero fields lost their defaults: idle %v read-header %v", s.IdleTimeout, s.ReadHeaderTimeout)
	}
}

// TestShutdownWithoutTimeout: ShutdownTimeout NoTimeout waits for the
// requests and returns nil.
func TestShutdownWithoutTimeout(t *testing.T) {
	app := covet.New(quiet(), covet.WithServer(covet.ServerConfig{ShutdownTimeout: covet.NoTimeout, StopTimeout: covet.NoTimeout}))
	rec := &stopCtxRecorder{name: "rec"}
	must(t, app.Install(rec))
	entered, release := make(chan struct{}), make(chan struct{})
	app.GET("/slow", func(c *covet.Context) error {
		close(entered)
		<-release
		return c.Text(200, "done")
	})
	base, cancel, served := serveApp(t, app)
	getWhenUp(t, base+"/none").Body.Close()
	got := make(chan string, 1)
	go func() {
		res, err := getOnce(base + "/slow")
		got <- res + errString(err)
	}()
	<-entered
	cancel()
	close(release)
	if err := waitServed(t, served); err != nil {
		t.Fatalf("ServeContext returned %v", err)
	}
	if s := <-got; s != "done" {
		t.Errorf("the request in flight got %q", s)
	}
	if rec.err.Load() != nil {
		t.Errorf("Stop's context: %v", rec.err.Load())
	}
}
