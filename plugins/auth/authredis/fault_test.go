package authredis_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authredis"
	"github.com/covetgo/covet/plugins/auth/authtest"
	"github.com/redis/go-redis/v9"
)

// TestRedisFault runs a load against two instances with Redis revocation,
// one failing closed and one failing open, on a private redis-server, and
// breaks Redis under it: connections killed (CLIENT KILL), the server
// stalled (SIGSTOP), resumed, and killed. Every request must be answered
// within the bound, per the declared policy: 200 when Redis answered,
// else 503 (closed) or 200 with the fail-open counter moving (open). The
// client's own timeouts are a minute: a request that waited on them
// instead of the store's context deadline could not meet the bound.
//
// Phases end when what they wait for has happened (with a deadline), not
// after fixed sleeps.
func TestRedisFault(t *testing.T) {
	rs := startOwnRedis(t)
	const (
		timeout  = 200 * time.Millisecond
		openFor  = 300 * time.Millisecond
		bound    = 40 * timeout // a loaded 2-core machine can hold a goroutine for seconds
		deadline = 30 * time.Second
	)
	newClientFor := func(name string) *redis.Client {
		c := redis.NewClient(&redis.Options{
			Addr: rs.addr, ClientName: name, ContextTimeoutEnabled: true, MaxRetries: 1,
			DialTimeout: time.Minute, ReadTimeout: time.Minute, WriteTimeout: time.Minute, PoolTimeout: time.Minute,
		})
		t.Cleanup(func() { c.Close() })
		return c
	}
	type inst struct {
		a   *auth.Auth
		app *covet.App
		tok string
	}
	mk := func(name string, mode auth.FailureMode) inst {
		rev, err := authredis.NewRevocation(newClientFor(name), authredis.WithTimeout(timeout), authredis.WithBreaker(3, openFor))
		if err != nil {
			t.Fatal(err)
		}
		a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithRevocation(rev), auth.WithFailureMode(mode))
		app := covet.New(covet.WithLogger(quietLogger()))
		app.GET("/me", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required())
		if err := app.Install(a); err != nil {
			t.Fatal(err)
		}
		return inst{a: a, app: app, tok: authtest.Token(t, a, "alice")}
	}
	closed, open := mk("auth-closed", auth.FailClosed), mk("auth-open", auth.FailOpen)

	type result struct {
		open   bool
		status int
		took   time.Duration
	}
	var mu sync.Mutex
	var results []result
	var inFlight [4]atomic.Int64
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-quit:
					return
				default:
				}
				in := closed
				if (g+i)%2 == 1 {
					in = open
				}
				req := httptest.NewRequest("GET", "/me", nil)
				req.Header.Set("Authorization", "Bearer "+in.tok)
				rec := httptest.NewRecorder()
				start := time.Now()
				inFlight[g].Store(start.UnixNano())
				in.app.ServeHTTP(rec, req)
				inFlight[g].Store(0)
				mu.Lock()
				results = append(results, result{open: in.a == open.a, status: rec.Code, took: time.Since(start)})
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		}(g)
	}
	stopLoad := func() {
		close(quit)
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * bound):
			t.Fatalf("requests still unanswered %s after the load stopped", 2*bound)
		}
	}
	defer func() {
		select {
		case <-quit:
		default:
			close(quit)
		}
	}()
	stuck := func() time.Duration {
		var oldest time.Duration
		now := time.Now().UnixNano()
		for i := range inFlight {
			if s := inFlight[i].Load(); s != 0 {
				oldest = max(oldest, time.Duration(now-s))
			}
		}
		return oldest
	}
	until := func(what string, cond func() bool) {
		t.Helper()
		end := time.Now().Add(deadline)
		for !cond() {
			if d := stuck(); d > bound {
				t.Fatalf("%s: a request has waited %s, more than the bound %s", what, d, bound)
			}
			if time.Now().After(end) {
				t.Fatalf("%s: not within %s", what, deadline)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	count := func(f func(r result) bool) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, r := range results {
			if f(r) {
				n++
			}
		}
		return n
	}
	ok200 := func(open bool) func(r result) bool {
		return func(r result) bool { return r.open == open && r.status == 200 }
	}
	closed503 := func(r result) bool { return !r.open && r.status == 503 }
	admin := redis.NewClient(&redis.Options{Addr: rs.addr})
	defer admin.Close()

	// Phase 1: healthy.
	until("requests served with Redis up", func() bool { return count(ok200(false)) >= 20 && count(ok200(true)) >= 20 })

	// Phase 2: CLIENT KILL of the stores' connections: go-redis reconnects.
	n0 := count(ok200(false))
	if err := admin.Do(context.Background(), "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	until("requests served after CLIENT KILL", func() bool { return count(ok200(false)) >= n0+20 })

	// Phase 3: Redis stalls (SIGSTOP): closed answers 503, open answers 200
	// and counts.
	if err := rs.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	c0, fo0 := count(closed503), open.a.Stats().FailedOpen
	until("both policies applied with Redis stalled", func() bool {
		return count(closed503) > c0+5 && open.a.Stats().FailedOpen > fo0+5
	})

	// Phase 4: Redis resumes: requests are checked again.
	if err := rs.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	n1 := count(ok200(false))
	until("closed instance serving after Redis resumed", func() bool { return count(ok200(false)) >= n1+20 })

	// Phase 5: Redis dies.
	if err := rs.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = rs.cmd.Wait()
	c1, fo1 := count(closed503), open.a.Stats().FailedOpen
	until("both policies applied with Redis dead", func() bool {
		return count(closed503) > c1+5 && open.a.Stats().FailedOpen > fo1+5
	})
	stopLoad()

	var slowest time.Duration
	for _, r := range results {
		slowest = max(slowest, r.took)
		if r.took > bound {
			t.Errorf("a request took %s, more than the bound %s", r.took, bound)
		}
		switch {
		case r.status == 200:
		case !r.open && r.status == 503:
		default:
			t.Errorf("instance open=%v answered %d", r.open, r.status)
		}
	}
	if count(func(r result) bool { return r.open && r.status != 200 }) > 0 {
		t.Error("the fail-open instance refused requests")
	}
	t.Logf("%d requests, %d refused (fail closed), %d let through (fail open, counted), slowest %s",
		len(results), count(closed503), open.a.Stats().FailedOpen, slowest)
	if st := closed.a.Stats(); st.FailedClosed == 0 || st.FailedOpen != 0 {
		t.Errorf("closed instance stats %+v", st)
	}
}
