package covet_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// serveApp serves app on a loopback port until the returned cancel is
// called; the channel yields ServeContext's result.
func serveApp(t *testing.T, app *covet.App) (base string, cancel context.CancelFunc, served <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- app.ServeContext(ctx, ln) }()
	t.Cleanup(cancel)
	return "http://" + ln.Addr().String(), cancel, ch
}

// waitServed waits for ServeContext to return, failing (rather than hanging)
// if it does not within a minute.
func waitServed(t *testing.T, served <-chan error) error {
	t.Helper()
	select {
	case err := <-served:
		return err
	case <-time.After(time.Minute):
		t.Fatal("ServeContext did not return")
		return nil
	}
}

type stopCtxRecorder struct {
	name string
	err  atomic.Value // error (or a nil-error marker)
	seen atomic.Bool
}

func (s *stopCtxRecorder) Name() string             { return s.name }
func (s *stopCtxRecorder) Install(*covet.App) error { return nil }
func (s *stopCtxRecorder) Stop(ctx context.Context) error {
	s.seen.Store(true)
	if err := ctx.Err(); err != nil {
		s.err.Store(err)
	}
	return nil
}

// TestShutdownEndsOpenSSEStream (issue 13 #4): a shutdown with an SSE stream
// open ends the stream through the drain signal and returns nil, instead of
// running to ShutdownTimeout and reporting the deadline.
func TestShutdownEndsOpenSSEStream(t *testing.T) {
	app := covet.New(quiet(), covet.WithServer(covet.ServerConfig{ShutdownTimeout: 3 * time.Second}))
	rec := &stopCtxRecorder{name: "rec"}
	must(t, app.Install(rec))
	ended := make(chan error, 1)
	app.GET("/events", func(c *covet.Context) error {
		s := c.SSE()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-c.Context().Done():
				ended <- context.Cause(c.Context())
				return nil
			case <-tick.C:
				if err := s.Send(covet.Event{Data: "tick"}); err != nil {
					ended <- err
					return err
				}
			}
		}
	})
	base, cancel, served := serveApp(t, app)
	res := getWhenUp(t, base+"/events")
	defer res.Body.Close()
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	if err != nil || line != "data: tick\n" {
		t.Fatalf("first event %q, %v", line, err)
	}
	cancel()
	if err := waitServed(t, served); err != nil {
		t.Fatalf("shutdown with an open SSE stream returned %v, want nil", err)
	}
	if err := <-ended; !errors.Is(err, covet.ErrDraining) {
		t.Errorf("the stream ended with %v, want ErrDraining", err)
	}
	if !rec.seen.Load() || rec.err.Load() != nil {
		t.Errorf("plugin stopped=%v with context error %v", rec.seen.Load(), rec.err.Load())
	}
}

// getWhenUp retries a GET until the server answers.
func getWhenUp(t *testing.T, url string) *http.Response {
	t.Helper()
	for i := 0; ; i++ {
		res, err := http.Get(url)
		if err == nil {
			return res
		}
		if i > 200 {
			t.Fatalf("server did not start: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSSESendReturnsErrDraining: a producer that only calls Send learns of
// the shutdown from its error.
func TestSSESendReturnsErrDraining(t *testing.T) {
	app := covet.New(quiet(), covet.WithServer(covet.ServerConfig{ShutdownTimeout: 3 * time.Second}))
	ended := make(chan error, 1)
	app.GET("/events", func(c *covet.Context) error {
		s := c.SSE()
		for {
			if err := s.Send(covet.Event{Data: "x"}); err != nil {
				ended <- err
				return err
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	base, cancel, served := serveApp(t, app)
	res := getWhenUp(t, base+"/events")
	defer res.Body.Close()
	if _, err := bufio.NewReader(res.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := waitServed(t, served); err != nil {
		t.Fatalf("shutdown returned %v", err)
	}
	if err := <-ended; !errors.Is(err, covet.ErrDraining) || !errors.Is(err, context.Canceled) {
		t.Errorf("Send returned %v, want ErrDraining (which is context.Canceled)", err)
	}
}

// TestStreamEndsOnDrain: c.Stream of an endless reader stops at shutdown
// with ErrDraining.
func TestStreamEndsOnDrain(t *testing.T) {
	app := covet.New(quiet(), covet.WithServer(covet.ServerConfig{ShutdownTimeout: 3 * time.Second}))
	ended := make(chan error, 1)
	app.GET("/endless", func(c *covet.Context) error {
		err := c.Stream(200, "text/plain", &slowPattern{})
		ended <- err
		return err
	})
	base, cancel, served := serveApp(t, app)
	res := getWhenUp(t, base+"/endless")
	defer res.Body.Close()
	if _, err := io.ReadFull(res.Body, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, res.Body)
	cancel()
	if err := waitServed(t, served); err != nil {
		t.Fatalf("shutdown returned %v", err)
	}
	if err := <-ended; !errors.Is(err, covet.ErrDraining) {
		t.Errorf("Stream returned %v, want ErrDraining", err)
	}
}

// slowPattern yields a few bytes per read, with a pause, forever.
type slowPattern struct{}

func (slowPattern) Read(b []byte) (int, error) {
	time.Sleep(2 * time.Millisecond)
	return copy(b, "0123456789"), nil
}

// TestPluginStopGetsLiveContext (issue 13 #4): when a request outlives the
// shutdown deadline, its connection is cut, ServeContext reports it, and the
// plugins are still stopped with a context that is not already expired.
func TestPluginStopGetsLiveContext(t *testing.T) {
	app := covet.New(quiet(), covet.WithServer(covet.ServerConfig{ShutdownTimeout: 100 * time.Millisecond}))
	rec := &stopCtxRecorder{name: "rec"}
	must(t, app.Install(rec))
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	entered := make(chan struct{}, 1)
	app.GET("/stuck", func(c *covet.Context) error {
		entered <- struct{}{}
		<-release // ignores the drain signal
		return nil
	})
	base, cancel, served := serveApp(t, app)
	getWhenUp(t, base+"/healthz-none").Body.Close()
	go func() {
		if res, err := http.Get(base + "/stuck"); err == nil {
			res.Body.Close()
		}
	}()
	<-entered
	cancel()
	err := waitServed(t, served)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "cut off") {
		t.Errorf("ServeContext returned %v, want the deadline reported", err)
	}
	if !rec.seen.Load() {
		t.Fatal("plugin was not stopped")
	}
	if e := rec.err.Load(); e != nil {
		t.Errorf("plugin's Stop got an expired context: %v", e)
	}
}

// drainWatcher is a plugin whose background loop ends on the drain signal.
type drainWatcher struct {
	app     *covet.App
	stopped chan struct{}
}

func (d *drainWatcher) Name() string { return "watcher" }
func (d *drainWatcher) Install(a *covet.App) error {
	d.app = a
	return nil
}
func (d *drainWatcher) Start(context.Context) error {
	d.stopped = make(chan struct{})
	drain := d.app.Draining()
	go func() {
		<-drain
		close(d.stopped)
	}()
	return nil
}

// TestDrainingSignal: App.Draining is closed by Shutdown of App.Server's
// server and by Stop, readiness is down while draining, and Start arms a new
// signal.
func TestDrainingSignal(t *testing.T) {
	app := covet.New(quiet(), covet.WithHealth())
	w := &drainWatcher{}
	must(t, app.Install(w))
	must(t, app.Start(context.Background()))
	select {
	case <-app.Draining():
		t.Fatal("draining before shutdown")
	default:
	}
	cl := covettest.New(t, app)
	cl.Get("/readyz").Do().ExpectStatus(200)

	srv := app.Server("127.0.0.1:0")
	must(t, srv.Shutdown(context.Background()))
	<-w.stopped
	<-app.Draining()
	cl.Get("/readyz").Do().ExpectStatus(503)
	must(t, app.Stop(context.Background()))

	// Started again: a fresh signal, ready again; Stop fires it.
	must(t, app.Start(context.Background()))
	cl.Get("/readyz").Do().ExpectStatus(200)
	select {
	case <-app.Draining():
		t.Fatal("the new signal is already closed")
	default:
	}
	must(t, app.Stop(context.Background()))
	<-w.stopped
}
