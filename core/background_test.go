package covet_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// lockedBuffer is a log sink safe for the concurrent writes of tasks.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func bufferLogger(buf *lockedBuffer) covet.Option {
	return covet.WithLogger(slog.New(slog.NewJSONHandler(buf, nil)))
}

var bgTenantKey = covet.NewKey[string]("test.tenant")

// TestAfterRunsAfterResponse: the client has its answer while the task is
// still blocked; the task's context outlives the request and carries the
// request's values, ID and logger.
func TestAfterRunsAfterResponse(t *testing.T) {
	var logs lockedBuffer
	app := covet.New(bufferLogger(&logs))
	gate := make(chan struct{})
	type seen struct {
		tenant, id string
		ctxErr     error
	}
	got := make(chan seen, 1)
	app.GET("/t", func(c *covet.Context) error {
		c.SetRequestID("req-42")
		bgTenantKey.Set(c, "acme")
		if err := c.After(func(ctx context.Context) {
			<-gate
			tenant, _ := bgTenantKey.FromContext(ctx)
			covet.LoggerFrom(ctx).InfoContext(ctx, "task ran")
			got <- seen{tenant: tenant, id: covet.RequestIDFrom(ctx), ctxErr: ctx.Err()}
		}); err != nil {
			return err
		}
		return c.Text(http.StatusOK, "queued")
	})
	cl := covettest.NewServer(t, app)
	cl.Get("/t").Do().ExpectStatus(http.StatusOK).ExpectBody("queued")
	close(gate) // the response came back while the task waited
	s := <-got
	if s.tenant != "acme" || s.id != "req-42" || s.ctxErr != nil {
		t.Fatalf("task saw tenant=%q id=%q ctx err=%v; want acme, req-42, nil", s.tenant, s.id, s.ctxErr)
	}
	must(t, app.Stop(context.Background()))
	if !strings.Contains(logs.String(), `"msg":"task ran","request_id":"req-42"`) {
		t.Fatalf("task log record lacks the request ID:\n%s", logs.String())
	}
}

// TestAfterPanicIsLogged: a panicking task is logged with its route and the
// app serves on.
func TestAfterPanicIsLogged(t *testing.T) {
	var logs lockedBuffer
	app := covet.New(bufferLogger(&logs))
	app.GET("/boom", func(c *covet.Context) error {
		must(t, c.After(func(context.Context) { panic("kaboom") }))
		return c.NoContent(http.StatusNoContent)
	})
	cl := covettest.New(t, app)
	cl.Get("/boom").Do().ExpectStatus(http.StatusNoContent)
	must(t, app.Stop(context.Background())) // waits for the task
	out := logs.String()
	if !strings.Contains(out, "background task panicked") || !strings.Contains(out, "kaboom") || !strings.Contains(out, "after GET /boom") {
		t.Fatalf("panic not logged with its task:\n%s", out)
	}
}

// TestAfterLimitPolicies: at the limit, Reject refuses with a 503 and
// RunInline runs the task before the request's goroutine returns.
func TestAfterLimitPolicies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy covet.WhenFull
	}{{"reject", covet.Reject}, {"inline", covet.RunInline}} {
		t.Run(tc.name, func(t *testing.T) {
			app := covet.New(quiet(), covet.WithBackgroundLimit(1, tc.policy))
			hold := make(chan struct{})
			var ran atomic.Int32
			first := true
			app.GET("/t", func(c *covet.Context) error {
				blocking := first
				first = false
				if err := c.After(func(context.Context) {
					if blocking {
						<-hold
					}
					ran.Add(1)
				}); err != nil {
					return err
				}
				return c.NoContent(http.StatusNoContent)
			})
			cl := covettest.New(t, app)
			cl.Get("/t").Do().ExpectStatus(http.StatusNoContent) // takes the one slot
			if tc.policy == covet.Reject {
				cl.Get("/t").Do().ExpectStatus(http.StatusServiceUnavailable)
				if n := ran.Load(); n != 0 {
					t.Fatalf("%d tasks ran; the rejected one must not", n)
				}
			} else {
				cl.Get("/t").Do().ExpectStatus(http.StatusNoContent)
				if n := ran.Load(); n != 1 {
					t.Fatalf("inline task: %d tasks ran when the request returned, want 1", n)
				}
			}
			close(hold)
			must(t, app.Stop(context.Background()))
			want := int32(2)
			if tc.policy == covet.Reject {
				want = 1
			}
			if n := ran.Load(); n != want {
				t.Fatalf("%d tasks ran, want %d", n, want)
			}
		})
	}
}

// TestAfterDrain100: 100 requests each schedule a task, then the server is
// told to stop (ServeContext; the SIGTERM path is TestAfterDrainSIGTERM):
// half the tasks finish once the shutdown begins, half never do on their
// own. Every task either completes or is logged as abandoned at the
// deadline, and the abandoned ones see their context canceled.
func TestAfterDrain100(t *testing.T) {
	var logs lockedBuffer
	app := covet.New(bufferLogger(&logs), covet.WithServer(covet.ServerConfig{ShutdownTimeout: time.Second}))
	var completed, canceled atomic.Int32
	var wg sync.WaitGroup
	draining := app.Draining()
	app.GET("/job/{n:int}", func(c *covet.Context) error {
		n, _ := c.ParamInt("n")
		c.SetRequestID(fmt.Sprintf("job-%d", n))
		wg.Add(1)
		return errors.Join(c.After(func(ctx context.Context) {
			defer wg.Done()
			if n%2 == 0 {
				<-draining // finishes once the shutdown has begun
				completed.Add(1)
				return
			}
			<-ctx.Done() // stubborn: only the abandonment ends it
			canceled.Add(1)
		}), c.NoContent(http.StatusNoContent))
	})
	base, stop, served := serveApp(t, app)
	getWhenUp(t, base+"/job/0").Body.Close()
	for i := 1; i < 100; i++ {
		res, err := http.Get(fmt.Sprintf("%s/job/%d", base, i))
		must(t, err)
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	stop()
	err := waitServed(t, served)
	if err == nil || !strings.Contains(err.Error(), "50 background task(s)") {
		t.Fatalf("ServeContext returned %v; want the 50 abandoned tasks reported", err)
	}
	wg.Wait()
	if completed.Load() != 50 || canceled.Load() != 50 {
		t.Fatalf("completed %d, canceled %d; want 50 and 50", completed.Load(), canceled.Load())
	}
	out := logs.String()
	if n := strings.Count(out, "abandoning background task"); n != 50 {
		t.Fatalf("%d abandoned tasks logged, want 50:\n%s", n, out)
	}
	for i := 1; i < 100; i += 2 {
		if !strings.Contains(out, fmt.Sprintf(`"request_id":"job-%d"`, i)) {
			t.Fatalf("abandoned task of request job-%d not named in the log", i)
		}
	}
}

// TestGoLifecycle: an App.Go goroutine registered before the start runs
// from Start, its context ends at shutdown, Stop waits for it, and a
// panicking one is logged. Go after the shutdown is refused.
func TestGoLifecycle(t *testing.T) {
	var logs lockedBuffer
	app := covet.New(bufferLogger(&logs))
	started := make(chan struct{})
	var finished atomic.Bool
	must(t, app.Go("consumer", func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		covet.LoggerFrom(ctx).Info("consumer stopping")
		finished.Store(true)
	}))
	must(t, app.Go("crasher", func(context.Context) { panic("go boom") }))
	select {
	case <-started:
		t.Fatal("App.Go ran before the app started")
	default:
	}
	must(t, app.Start(context.Background()))
	<-started
	must(t, app.Stop(context.Background()))
	if !finished.Load() {
		t.Fatal("Stop returned before the goroutine finished")
	}
	out := logs.String()
	if !strings.Contains(out, `"task":"consumer","msg":"consumer stopping"`) && !strings.Contains(out, `"msg":"consumer stopping","task":"consumer"`) {
		t.Fatalf("goroutine logger lacks its task name:\n%s", out)
	}
	if !strings.Contains(out, "go boom") {
		t.Fatalf("panic not logged:\n%s", out)
	}
	if err := app.Go("late", func(context.Context) {}); !errors.Is(err, covet.ErrBackgroundClosed) {
		t.Fatalf("Go after shutdown: %v, want ErrBackgroundClosed", err)
	}
}

// TestGoAbandonedAtDeadline: Stop gives up at its context's deadline and
// names the goroutine that did not return.
func TestGoAbandonedAtDeadline(t *testing.T) {
	var logs lockedBuffer
	app := covet.New(bufferLogger(&logs))
	release := make(chan struct{})
	defer close(release)
	must(t, app.Go("stuck", func(context.Context) { <-release }))
	must(t, app.Start(context.Background()))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := app.Stop(ctx)
	if err == nil || !strings.Contains(err.Error(), "1 background task(s)") {
		t.Fatalf("Stop: %v; want one abandoned task", err)
	}
	if !strings.Contains(logs.String(), `"task":"go stuck"`) {
		t.Fatalf("abandoned goroutine not named:\n%s", logs.String())
	}
}
