package middleware_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
)

// logSink records what reaches the underlying writer and how many
// Write calls it took.
type logSink struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	err    error
}

func (w *logSink) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	if w.err != nil {
		return 0, w.err
	}
	return w.buf.Write(p)
}

func (w *logSink) state() (string, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String(), w.writes
}

// waitFor polls cond for up to a minute (the machine may be loaded).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBufferedLogWriter(t *testing.T) {
	t.Run("batches until Flush", func(t *testing.T) {
		w := &logSink{}
		b := middleware.NewBufferedLogWriter(w, middleware.WithLogFlushInterval(time.Hour))
		var want strings.Builder
		for i := range 100 {
			line := fmt.Sprintf("line %d\n", i)
			want.WriteString(line)
			if n, err := b.Write([]byte(line)); n != len(line) || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		if got, n := w.state(); got != "" || n != 0 {
			t.Fatalf("written before a flush: %d calls", n)
		}
		if err := b.Flush(); err != nil {
			t.Fatal(err)
		}
		if got, n := w.state(); got != want.String() || n != 1 {
			t.Fatalf("after Flush: %d calls, %q", n, got)
		}
	})
	t.Run("flushes after the interval", func(t *testing.T) {
		w := &logSink{}
		b := middleware.NewBufferedLogWriter(w, middleware.WithLogFlushInterval(time.Millisecond))
		defer b.Close()
		_, _ = b.Write([]byte("a\n"))
		waitFor(t, "the timer's flush", func() bool { s, _ := w.state(); return s == "a\n" })
		// Armed again by the next line.
		_, _ = b.Write([]byte("b\n"))
		waitFor(t, "the second flush", func() bool { s, _ := w.state(); return s == "a\nb\n" })
	})
	t.Run("flushes when full", func(t *testing.T) {
		w := &logSink{}
		b := middleware.NewBufferedLogWriter(w, middleware.WithLogFlushInterval(time.Hour), middleware.WithLogBufferSize(10))
		_, _ = b.Write([]byte("12345\n"))
		_, _ = b.Write([]byte("678\n")) // 10 bytes: fits
		if s, _ := w.state(); s != "" {
			t.Fatalf("flushed before full: %q", s)
		}
		_, _ = b.Write([]byte("9\n")) // would overflow: the first two go
		if s, n := w.state(); s != "12345\n678\n" || n != 1 {
			t.Fatalf("after overflow: %d calls, %q", n, s)
		}
		_, _ = b.Write([]byte("a line longer than the buffer\n")) // straight through, after "9"
		if s, _ := w.state(); s != "12345\n678\n9\na line longer than the buffer\n" {
			t.Fatalf("long line: %q", s)
		}
	})
	t.Run("write through after Close", func(t *testing.T) {
		w := &logSink{}
		b := middleware.NewBufferedLogWriter(w, middleware.WithLogFlushInterval(time.Hour))
		_, _ = b.Write([]byte("before\n"))
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		_, _ = b.Write([]byte("after\n"))
		if s, n := w.state(); s != "before\nafter\n" || n != 2 {
			t.Fatalf("%d calls, %q", n, s)
		}
		// Start buffers again.
		if err := b.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		_, _ = b.Write([]byte("again\n"))
		if _, n := w.state(); n != 2 {
			t.Fatal("not buffering after Start")
		}
		_ = b.Close()
		if s, _ := w.state(); s != "before\nafter\nagain\n" {
			t.Fatalf("%q", s)
		}
	})
	t.Run("reports the writer's error", func(t *testing.T) {
		w := &logSink{err: errors.New("disk full")}
		b := middleware.NewBufferedLogWriter(w, middleware.WithLogFlushInterval(time.Hour))
		_, _ = b.Write([]byte("x\n"))
		if err := b.Flush(); err == nil || err.Error() != "disk full" {
			t.Fatalf("Flush = %v", err)
		}
		if err := b.Flush(); err != nil {
			t.Fatalf("error reported twice: %v", err)
		}
	})
	t.Run("concurrent writers keep whole lines", func(t *testing.T) {
		w := &logSink{}
		b := middleware.NewBufferedLogWriter(w, middleware.WithLogFlushInterval(time.Millisecond), middleware.WithLogBufferSize(256))
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 500 {
					_, _ = fmt.Fprintf(b, "g%d line %d\n", g, i)
				}
			}()
		}
		wg.Wait()
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		s, _ := w.state()
		lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		if len(lines) != 8*500 {
			t.Fatalf("%d lines, want %d", len(lines), 8*500)
		}
		next := make([]int, 8)
		for _, l := range lines {
			var g, i int
			if _, err := fmt.Sscanf(l, "g%d line %d", &g, &i); err != nil || g < 0 || g >= 8 {
				t.Fatalf("broken line %q", l)
			}
			if i != next[g] {
				t.Fatalf("goroutine %d: line %d after %d", g, i, next[g]-1)
			}
			next[g]++
		}
	})
}

// TestBufferedLogWriterGracefulShutdown: every request served before a
// graceful shutdown has its access log line written, though the flush
// interval never passed: the app's Stop flushes the installed writer after
// the in-flight requests finished.
func TestBufferedLogWriterGracefulShutdown(t *testing.T) {
	w := &logSink{}
	logs := middleware.NewBufferedLogWriter(w, middleware.WithLogFlushInterval(time.Hour))
	app := covet.New(covet.WithDevelopment(false), covet.WithLogger(slog.New(slog.DiscardHandler)))
	if err := app.Install(logs); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	app.Use(middleware.RequestID(), middleware.AccessLog(middleware.WithAccessLogWriter(logs)))
	app.GET("/fast", func(c *covet.Context) error { return c.Text(http.StatusOK, "ok") })
	app.GET("/slow", func(c *covet.Context) error {
		entered <- struct{}{}
		<-release
		return c.Text(http.StatusOK, "slow")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.ServeContext(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: time.Minute}
	const n = 50
	for range n {
		res, err := client.Get(base + "/fast")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	// One request in flight when the shutdown begins.
	slow := make(chan error, 1)
	go func() {
		res, err := client.Get(base + "/slow")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		slow <- err
	}()
	<-entered
	if s, _ := w.state(); s != "" {
		t.Fatal("lines written before the shutdown: the test would prove nothing")
	}
	cancel()
	time.Sleep(10 * time.Millisecond) // let the shutdown begin; the test holds without it
	close(release)
	if err := <-slow; err != nil {
		t.Fatalf("in-flight request: %v", err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("ServeContext: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("ServeContext did not return")
	}
	s, _ := w.state()
	if got := strings.Count(s, `"path":"/fast"`); got != n {
		t.Fatalf("%d lines for /fast, want %d", got, n)
	}
	if !strings.Contains(s, `"path":"/slow"`) {
		t.Fatal("the in-flight request's line was lost")
	}
}

func TestBufferedLogWriterPluginContract(t *testing.T) {
	covettest.PluginContract(t, func() covet.Plugin {
		return middleware.NewBufferedLogWriter(io.Discard, middleware.WithLogFlushInterval(time.Millisecond))
	})
}
