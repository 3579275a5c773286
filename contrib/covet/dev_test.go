package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const devMain = `package main

import (
	"log"
	"os"

	covet "github.com/covetgo/covet/core"
)

func main() {
	app := covet.New()
	app.GET("/", func(c *covet.Context) error { return c.Text(200, "VERSION") })
	if err := app.Main("127.0.0.1:1", os.Args[1:]); err != nil {
		log.Fatal(err)
	}
}
`

// TestDevRebuildsWithoutRefusingConnections: covet dev serves the app,
// rebuilds it on a change while a client keeps sending requests (none is
// refused or fails), prints a failed build clearly and keeps the last good
// build serving, and stops the app when it stops.
func TestDevRebuildsWithoutRefusingConnections(t *testing.T) {
	app := newLocalApp(t, "devapp")
	t.Chdir(app)
	os.Remove("app.go")
	os.Remove("app_test.go")
	writeFile(t, "main.go", strings.Replace(devMain, "VERSION", "v1", 1))

	var out syncBuffer
	d, err := newDevServer(".", "127.0.0.1:0", &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + d.ln.Addr().String() + "/"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	client := &http.Client{Timeout: 60 * time.Second}
	get := func() (string, error) {
		res, err := client.Get(url)
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return string(b), err
	}
	// The first request waits in the backlog while the first build runs.
	if body, err := get(); err != nil || body != "v1" {
		t.Fatalf("first request: %q, %v\n%s", body, err, out.String())
	}

	var failures, requests atomic.Int64
	var lastErr atomic.Value
	var seenV2 atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			body, err := get()
			requests.Add(1)
			if err != nil {
				failures.Add(1)
				lastErr.Store(err.Error())
				continue
			}
			if body == "v2" {
				seenV2.Store(true)
			}
		}
	}()
	writeFile(t, "main.go", strings.Replace(devMain, "VERSION", "v2", 1))
	waitFor(t, 90*time.Second, seenV2.Load, "the rebuilt app to answer v2", &out)

	// A broken build: printed, and v2 keeps serving.
	writeFile(t, "main.go", strings.Replace(devMain, "VERSION", "v3", 1)+"func broken( {\n")
	waitFor(t, 90*time.Second, func() bool { return strings.Contains(out.String(), "BUILD FAILED") }, "the failed build to be reported", &out)
	close(stop)
	wg.Wait()
	if body, err := get(); err != nil || body != "v2" {
		t.Fatalf("after a failed build: %q, %v", body, err)
	}
	if !strings.Contains(out.String(), "main.go:") {
		t.Errorf("the failed build's report lacks the file and line:\n%s", out.String())
	}
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d of %d requests failed across the restart (last: %v)\n%s", n, requests.Load(), lastErr.Load(), out.String())
	}
	t.Logf("%d requests across the restart, none failed", requests.Load())

	child := d.child
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil // for the deferred receive
	select {
	case <-child.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the app is still running after covet dev stopped")
	}
}

func waitFor(t *testing.T, d time.Duration, cond func() bool, what string, out *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\n%s", what, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
