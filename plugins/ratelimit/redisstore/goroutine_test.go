package redisstore

import (
	"bytes"
	"context"
	"errors"
	"github.com/covetgo/covet/plugins/ratelimit"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/redis/go-redis/v9"
)

// goid returns the calling goroutine's ID, read from its stack header.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	n, _ := strconv.ParseUint(string(b), 10, 64)
	return n
}

type goidRecorder struct{ ids chan uint64 }

func (h goidRecorder) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h goidRecorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if n := cmd.Name(); n == "evalsha" || n == "eval" {
			h.ids <- goid()
		}
		return next(ctx, cmd)
	}
}
func (h goidRecorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestRedisCheckRunsOnTheRequestGoroutine shows that a check starts no
// goroutine: the script is sent from the goroutine serving the request,
// its timeout being a deadline on the command's context.
func TestRedisCheckRunsOnTheRequestGoroutine(t *testing.T) {
	_, c := newMiniRedis(t)
	rec := goidRecorder{ids: make(chan uint64, 4)}
	c.AddHook(rec)
	lim := ratelimit.New(ratelimit.WithBackend(New(c, WithCheckTimeout(roomyTimeout))), ratelimit.WithDefaultPolicy(ratelimit.NewPolicy("p", ratelimit.WithLimits(ratelimit.PerHour(10)))))
	app := covet.New(covet.WithLogger(discardLogger()))
	app.GET("/", func(c *covet.Context) error { return c.Text(200, "ok") })
	if err := app.Install(lim); err != nil {
		t.Fatal(err)
	}
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer app.Stop(context.Background())
	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 200 || w.Header().Get("Ratelimit") == "" {
		t.Fatalf("status %d, RateLimit %q: the limiter did not answer from Redis", w.Code, w.Header().Get("Ratelimit"))
	}
	select {
	case id := <-rec.ids:
		if me := goid(); id != me {
			t.Errorf("the script ran on goroutine %d, the request was served on %d: a goroutine per check", id, me)
		}
	default:
		t.Fatal("no script reached the client")
	}
}

// TestRedisHungLeavesNoGoroutines fires concurrent checks at a Redis that
// accepts connections and never answers: every check ends at its timeout
// (a context deadline the client honours, while the client's own timeouts
// are a minute), and once all are answered the goroutine count is back to
// what it was before, with nothing left waiting on the hung server.
func TestRedisHungLeavesNoGoroutines(t *testing.T) {
	px := newProxy(t, "127.0.0.1:1")
	px.blackhole.Store(true)
	const minute = time.Minute
	client := redis.NewClient(&redis.Options{
		Addr: px.addr, MaxRetries: -1, ContextTimeoutEnabled: true,
		DialTimeout: minute, ReadTimeout: minute, WriteTimeout: minute, PoolTimeout: minute,
	})
	t.Cleanup(func() { client.Close() })
	be := New(client, WithCheckTimeout(50*time.Millisecond), WithBreaker(1<<30, time.Hour))
	reqs := []ratelimit.Request{{Scope: "p/l/g", Key: "k", Limit: ratelimit.PerHour(10)}}
	out := make([]ratelimit.Decision, 1)
	// One check first, so the client's lazily started parts exist in the baseline.
	if _, err := be.Take(context.Background(), reqs, out); !errors.Is(err, ratelimit.ErrUnavailable) {
		t.Fatalf("check against a hung Redis: %v, want ratelimit.ErrUnavailable", err)
	}
	settle := func() int {
		runtime.GC()
		return runtime.NumGoroutine()
	}
	base := settle()
	const n = 50
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range n {
		wg.Go(func() {
			out := make([]ratelimit.Decision, 1)
			if _, err := be.Take(context.Background(), reqs, out); errors.Is(err, ratelimit.ErrUnavailable) {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() != n {
		t.Fatalf("%d of %d checks against a hung Redis failed; want all", failed.Load(), n)
	}
	var now int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if now = settle(); now <= base+2 {
			return
		}
	}
	buf := make([]byte, 1<<16)
	t.Fatalf("goroutines: %d before %d checks against a hung Redis, %d after they were all answered\n%s", base, n, now, buf[:runtime.Stack(buf, true)])
}

// TestRedisStartRefusesClientIgnoringDeadlines: a client that ignores
// context deadlines (go-redis's default) could hold a request for its own
// timeouts, so Start refuses it with a message saying what to set.
func TestRedisStartRefusesClientIgnoringDeadlines(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	err := New(c).Start(context.Background())
	if !errors.Is(err, ErrIgnoresDeadlines) {
		t.Fatalf("Start = %v, want ErrIgnoresDeadlines", err)
	}
	be, err := NewURL("redis://127.0.0.1:1/0", WithCheckTimeout(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer be.Stop(context.Background())
	if err := be.Start(context.Background()); err != nil {
		t.Fatalf("Start of a NewURL backend = %v; it sets ContextTimeoutEnabled itself", err)
	}
}
