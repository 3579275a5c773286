package redisstore

import (
	"context"
	"fmt"
	"github.com/covetgo/covet/plugins/ratelimit"
	"github.com/covetgo/covet/plugins/ratelimit/internal/seqtest"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/redis/go-redis/v9"
)

// TestRedisAgreesWithMemory plays the scripted sequences against the Lua
// script (on the real server and on miniredis) with a pinned clock: every
// decision must equal the memory backend's.
func TestRedisAgreesWithMemory(t *testing.T) {
	type target struct {
		name string
		b    func(t *testing.T) *Store
	}
	targets := []target{
		{"miniredis", func(t *testing.T) *Store {
			_, c := newMiniRedis(t)
			return New(c, WithCheckTimeout(roomyTimeout))
		}},
		{"redis", func(t *testing.T) *Store {
			opt := realOptions(t)
			return New(newRealRedis(t, opt), WithKeyPrefix(testPrefix(t, opt)), WithCheckTimeout(roomyTimeout))
		}},
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			for _, seq := range seqtest.Sequences {
				t.Run(seq.Name, func(t *testing.T) {
					mem, setNow := seqtest.Memory()
					want := seqtest.Run(t, mem, setNow, seq, "")
					r := tg.b(t)
					got := seqtest.Run(t, r, func(f func() int64) { r.nowUS = f }, seq, "")
					for i := range want {
						if got[i] != want[i] {
							t.Errorf("decision %d: redis %+v, memory %+v", i, got[i], want[i])
						}
					}
				})
			}
		})
	}
}

// TestRedisKeysExpire checks the expiry the script gives keys on the
// server's clock (the pinned-clock tests write keys without one): a GCRA
// key lives until its state is back at rest, a sliding-window key until its
// window no longer weighs on the next.
func TestRedisKeysExpire(t *testing.T) {
	opt := realOptions(t)
	prefix := testPrefix(t, opt)
	rdb := newRealRedis(t, opt)
	be := New(rdb, WithKeyPrefix(prefix), WithCheckTimeout(roomyTimeout))
	// slack is how much of a key's life may pass between the check and
	// reading its TTL, on a loaded machine.
	const slack = 30 * time.Second
	tests := []struct {
		name     string
		limit    ratelimit.Limit
		min, max time.Duration
	}{
		// Two requests of ten an hour: back at rest in two intervals.
		{"gcra", ratelimit.PerHour(10), 12*time.Minute - slack, 12 * time.Minute},
		// The current window, then the next one it weighs on.
		{"sliding window", ratelimit.PerHour(10).SlidingWindow(), time.Hour - slack, 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqs := []ratelimit.Request{{Scope: "ttl/" + tt.name, Key: "k", Limit: tt.limit}}
			out := make([]ratelimit.Decision, 1)
			for i := 0; i < 2; i++ {
				if ok, err := be.Take(context.Background(), reqs, out); err != nil || !ok {
					t.Fatalf("take %d: %v %v", i, ok, err)
				}
			}
			ttl, err := rdb.PTTL(context.Background(), be.key(&reqs[0])).Result()
			if err != nil {
				t.Fatal(err)
			}
			if ttl < tt.min || ttl > tt.max {
				t.Errorf("key expires in %s, want between %s and %s", ttl, tt.min, tt.max)
			}
		})
	}
}

// instances returns n apps sharing the real Redis through their own
// clients, each with the limiter installed and routes limited by policy.
func instances(t *testing.T, n int, policy *ratelimit.Policy, ropts ...Option) ([]*covet.App, []*ratelimit.Limiter) {
	t.Helper()
	opt := realOptions(t)
	prefix := testPrefix(t, opt)
	var apps []*covet.App
	var lims []*ratelimit.Limiter
	for i := 0; i < n; i++ {
		be := New(newRealRedis(t, opt), append([]Option{WithKeyPrefix(prefix), WithCheckTimeout(roomyTimeout)}, ropts...)...)
		lim := ratelimit.New(ratelimit.WithBackend(be))
		app := covet.New(covet.WithLogger(discardLogger()))
		app.Group("/api").With(ratelimit.Apply(policy)).GET("/items", func(c *covet.Context) error { return c.Text(200, "ok") })
		if err := app.Install(lim); err != nil {
			t.Fatal(err)
		}
		if err := app.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		apps = append(apps, app)
		lims = append(lims, lim)
	}
	return apps, lims
}

// awayFromWindowEdge waits, if needed, so that a test of a sliding window
// of size w that takes less than need does not straddle a window boundary
// of the Redis clock.
func awayFromWindowEdge(t *testing.T, w time.Duration, need time.Duration) {
	t.Helper()
	c := newRealRedis(t, realOptions(t))
	now, err := c.Time(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	left := w - time.Duration(now.UnixNano())%w
	if left < need {
		time.Sleep(left + 10*time.Millisecond)
	}
}

// TestRedisThreeInstancesExactCount spreads one client over three app
// instances (real servers, sharing the real Redis): exactly the allowed
// number gets through, counted once globally. The limits are per day, so
// no scheduling delay lets GCRA free a request during the test (one every
// 72 minutes), and the sliding window's edge (midnight UTC) is at most
// waited for, rarely and briefly.
func TestRedisThreeInstancesExactCount(t *testing.T) {
	for _, lim := range []ratelimit.Limit{ratelimit.PerDay(20), ratelimit.PerDay(20).SlidingWindow()} {
		t.Run(lim.Algorithm().String(), func(t *testing.T) {
			if lim.Algorithm() == ratelimit.SlidingWindow {
				awayFromWindowEdge(t, 24*time.Hour, 30*time.Second)
			}
			apps, lims := instances(t, 3, ratelimit.NewPolicy("three", ratelimit.WithLimits(lim)))
			var clients []*covettest.Client
			for _, app := range apps {
				clients = append(clients, covettest.NewServer(t, app))
			}
			okCount, limited := 0, 0
			perInstance := make([]int, 3)
			for i := 0; i < 60; i++ {
				res := clients[i%3].Get("/api/items").Do()
				switch res.StatusCode {
				case 200:
					okCount++
					perInstance[i%3]++
				case 429:
					limited++
					if res.Header.Get("Retry-After") == "" {
						t.Errorf("429 without Retry-After")
					}
				default:
					t.Fatalf("status %d: %s", res.StatusCode, res.Body)
				}
			}
			if okCount != 20 || limited != 40 {
				t.Fatalf("allowed %d and limited %d of 60, want exactly 20 and 40 (per instance %v)", okCount, limited, perInstance)
			}
			for i, n := range perInstance {
				if n == 0 {
					t.Errorf("instance %d let nothing through: the requests were not spread", i)
				}
			}
			var failed uint64
			for _, l := range lims {
				failed += l.Stats().FailedOpen
			}
			if failed != 0 {
				t.Errorf("%d requests failed open", failed)
			}
		})
	}
}

// TestRedisConcurrentOneKey hits one key from 100 goroutines over three
// instances: exactly the limit gets through, never more (per day: GCRA
// frees one request every 29 minutes, far beyond any scheduling delay).
func TestRedisConcurrentOneKey(t *testing.T) {
	apps, _ := instances(t, 3, ratelimit.NewPolicy("hot", ratelimit.WithLimits(ratelimit.PerDay(50))))
	var allowed, refused atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 100; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest("GET", "/api/items", nil)
				req.RemoteAddr = "198.51.100.7:4000"
				apps[(g+i)%3].ServeHTTP(rec, req)
				switch rec.Code {
				case 200:
					allowed.Add(1)
				case 429:
					refused.Add(1)
				default:
					t.Errorf("status %d: %s", rec.Code, rec.Body)
				}
			}
		}(g)
	}
	wg.Wait()
	if allowed.Load() != 50 || refused.Load() != 250 {
		t.Fatalf("allowed %d, refused %d of 300; want exactly 50 and 250", allowed.Load(), refused.Load())
	}
}

// TestRedisOneRoundTripPerCheck counts the writes on the limiter's
// connections: a check of a policy with two limits is one EVALSHA.
func TestRedisOneRoundTripPerCheck(t *testing.T) {
	opt := realOptions(t)
	prefix := testPrefix(t, opt)
	d := &countingDialer{}
	copt := *opt
	copt.Dialer = d.dial
	client := redis.NewClient(&copt)
	t.Cleanup(func() { client.Close() })
	var cmds []string
	var mu sync.Mutex
	client.AddHook(cmdRecorder{func(name string) { mu.Lock(); cmds = append(cmds, name); mu.Unlock() }})

	be := New(client, WithKeyPrefix(prefix), WithCheckTimeout(roomyTimeout))
	lim := ratelimit.New(ratelimit.WithBackend(be))
	app := covet.New(covet.WithLogger(discardLogger()))
	app.GET("/x", func(c *covet.Context) error { return c.Text(200, "ok") }).
		With(ratelimit.Apply(ratelimit.NewPolicy("rt", ratelimit.WithLimits(ratelimit.PerSecond(1000), ratelimit.PerDay(100000)))))
	if err := app.Install(lim); err != nil {
		t.Fatal(err)
	}
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := covettest.New(t, app)
	c.Get("/x").Do().ExpectStatus(200) // warm: connection set up, script cached
	w0, d0 := d.writes.Load(), d.dials.Load()
	mu.Lock()
	cmds = nil
	mu.Unlock()
	const n = 25
	for i := 0; i < n; i++ {
		c.Get("/x").Do().ExpectStatus(200).ExpectHeader("Ratelimit-Policy", `"rt.second";q=1000;w=1, "rt.day";q=100000;w=86400`)
	}
	writes, dials := d.writes.Load()-w0, d.dials.Load()-d0
	if writes != n || dials != 0 {
		t.Fatalf("%d checks wrote %d times over %d new connections; want %d writes, no new connection", n, writes, dials, n)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, name := range cmds {
		if name != "evalsha" {
			t.Fatalf("commands %v, want only evalsha", cmds)
		}
	}
	if len(cmds) != n {
		t.Fatalf("%d commands for %d checks", len(cmds), n)
	}
}

type cmdRecorder struct{ f func(string) }

func (h cmdRecorder) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h cmdRecorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.f(cmd.Name())
		return next(ctx, cmd)
	}
}
func (h cmdRecorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			h.f("pipeline:" + c.Name())
		}
		return next(ctx, cmds)
	}
}

// TestRedisScriptFallback checks that a flushed script cache costs one EVAL
// and then works again (on miniredis: flushing the shared server's scripts
// would disturb other tests).
func TestRedisScriptFallback(t *testing.T) {
	mr, c := newMiniRedis(t)
	be := New(c, WithCheckTimeout(roomyTimeout))
	reqs := []ratelimit.Request{{Scope: "p/p/g", Key: "k", Limit: ratelimit.PerDay(2)}}
	out := make([]ratelimit.Decision, 1)
	if ok, err := be.Take(context.Background(), reqs, out); err != nil || !ok {
		t.Fatalf("first take: %v %v", ok, err)
	}
	mr.FlushAll()
	c.ScriptFlush(context.Background())
	if ok, err := be.Take(context.Background(), reqs, out); err != nil || !ok {
		t.Fatalf("take after SCRIPT FLUSH: %v %v", ok, err)
	}
	if ok, err := be.Take(context.Background(), reqs, out); err != nil || !ok || out[0].Remaining != 0 {
		t.Fatalf("second take after flush: %v %v %+v", ok, err, out[0])
	}
	if ok, _ := be.Take(context.Background(), reqs, out); ok {
		t.Fatal("third take allowed; the limit is 2")
	}
}

func TestRedisKeysShareAHashTag(t *testing.T) {
	be := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), WithKeyPrefix("p:"))
	tests := []struct {
		name string
		req  ratelimit.Request
		want string
	}{
		{"plain", ratelimit.Request{Scope: "api/api.second/g", Key: "203.0.113.9"}, "p:{203.0.113.9}:api/api.second/g"},
		{"braces escaped", ratelimit.Request{Scope: "s", Key: "user={42}%"}, "p:{user=%7B42%7D%25}:s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := be.key(&tt.req); got != tt.want {
				t.Errorf("key = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRedisFault cuts Redis off mid-load (CLIENT KILL of the limiter's
// connections, then a proxy that stops, then one that hangs) and brings it
// back: every request is answered per its policy's failure mode within a
// bound that no request waiting on the client's own timeouts could meet,
// the breaker opens and keeps the hung Redis from being asked more than once
// per open period, and limiting resumes exactly.
//
// Nothing here depends on how fast the machine is: phases end when what
// they wait for has happened (with a deadline), not after fixed sleeps, and
// the latency bound is many times the check timeout, while the client's own
// timeouts (a minute) would make a request that waited on them take far
// longer: the check timeout is a deadline on the command's context, which
// the client honours (ContextTimeoutEnabled), with no goroutine per check.
func TestRedisFault(t *testing.T) {
	opt := realOptions(t)
	prefix := testPrefix(t, opt)
	px := newProxy(t, opt.Addr)
	const (
		// timeout is the backend's check timeout, openFor its breaker's
		// open period.
		timeout = 250 * time.Millisecond
		openFor = 400 * time.Millisecond
		// clientTimeout is every timeout of the go-redis client: a check
		// that waited on the client instead of the backend's own timeout
		// would take at least that long.
		clientTimeout = time.Minute
		// bound is the longest any request may take: 40 times the check
		// timeout, so that a goroutine the scheduler of a loaded 2-core
		// machine leaves waiting for seconds still meets it, and a sixth of
		// clientTimeout, so that a request held by the client cannot.
		bound = 40 * timeout
		// deadline is how long a phase may wait for what it waits for.
		deadline = 30 * time.Second
	)
	copt := *opt
	copt.Addr = px.addr
	copt.ClientName = strings.ReplaceAll(prefix, ":", "-") + "limiter"
	copt.MaxRetries = 1
	copt.DialTimeout, copt.ReadTimeout, copt.WriteTimeout, copt.PoolTimeout = clientTimeout, clientTimeout, clientTimeout, clientTimeout
	copt.ContextTimeoutEnabled = true
	client := redis.NewClient(&copt)
	t.Cleanup(func() { client.Close() })
	// calls counts the scripts the backend hands to the client: checks that
	// reached Redis (or tried to) rather than being answered by the breaker.
	var calls atomic.Int64
	client.AddHook(cmdRecorder{func(name string) {
		if name == "evalsha" || name == "eval" {
			calls.Add(1)
		}
	}})

	be := New(client, WithKeyPrefix(prefix), WithCheckTimeout(timeout), WithBreaker(3, openFor))
	lim := ratelimit.New(ratelimit.WithBackend(be))
	app := covet.New(covet.WithLogger(discardLogger()))
	ok := func(c *covet.Context) error { return c.Text(200, "ok") }
	app.GET("/open", ok).With(ratelimit.Apply(ratelimit.NewPolicy("open", ratelimit.WithLimits(ratelimit.PerHour(1_000_000)))))
	app.GET("/closed", ok).With(ratelimit.Apply(ratelimit.NewPolicy("closed", ratelimit.WithLimits(ratelimit.PerHour(1_000_000)), ratelimit.WithFailureMode(ratelimit.FailClosed))))
	app.GET("/tight", ok).With(ratelimit.Apply(ratelimit.NewPolicy("tight", ratelimit.WithLimits(ratelimit.PerDay(3)))))
	if err := app.Install(lim); err != nil {
		t.Fatal(err)
	}
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}

	type result struct {
		path    string
		status  int
		checked bool // the limiter answered (RateLimit header)
		took    time.Duration
	}
	do := func(path, remote string) result {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = remote
		start := time.Now()
		app.ServeHTTP(rec, req)
		return result{path, rec.Code, rec.Header().Get("Ratelimit") != "", time.Since(start)}
	}
	// load fires requests from 4 goroutines until stop is called, which
	// returns every answer, failing the test if a request is still
	// unanswered well after the bound. stuck says how long the oldest
	// request in flight has been waiting.
	load := func() (stop func() []result, stuck func() time.Duration) {
		const n = 4
		done := make(chan []result, 1)
		quit := make(chan struct{})
		var once sync.Once
		t.Cleanup(func() { once.Do(func() { close(quit) }) })
		var started [n]atomic.Int64 // UnixNano of the request in flight, 0 if none
		var mu sync.Mutex
		var all []result
		var wg sync.WaitGroup
		for g := 0; g < n; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				paths := []string{"/open", "/closed"}
				for i := 0; ; i++ {
					select {
					case <-quit:
						return
					default:
					}
					started[g].Store(time.Now().UnixNano())
					r := do(paths[(g+i)%2], "192.0.2.1:1000")
					started[g].Store(0)
					mu.Lock()
					all = append(all, r)
					mu.Unlock()
					time.Sleep(2 * time.Millisecond)
				}
			}(g)
		}
		go func() { wg.Wait(); done <- all }()
		stop = func() []result {
			once.Do(func() { close(quit) })
			select {
			case rs := <-done:
				return rs
			case <-time.After(2 * bound):
				t.Fatalf("requests still unanswered %s after the load stopped: a check is not bounded by the backend's timeout", 2*bound)
				return nil
			}
		}
		stuck = func() time.Duration {
			var oldest time.Duration
			now := time.Now().UnixNano()
			for g := range started {
				if s := started[g].Load(); s != 0 {
					oldest = max(oldest, time.Duration(now-s))
				}
			}
			return oldest
		}
		return stop, stuck
	}
	checkAnswers := func(phase string, rs []result) (failedOpen, failedClosed int) {
		t.Helper()
		var slowest time.Duration
		for _, r := range rs {
			slowest = max(slowest, r.took)
			if r.took > bound {
				t.Errorf("%s: %s took %s, more than the bound %s", phase, r.path, r.took, bound)
			}
			switch {
			case r.status == 200 && r.checked:
			case r.path == "/open" && r.status == 200:
				failedOpen++
			case r.path == "/closed" && r.status == 503:
				failedClosed++
			default:
				t.Errorf("%s: %s answered %d (checked %v)", phase, r.path, r.status, r.checked)
			}
		}
		t.Logf("%s: %d requests, %d failed open, %d failed closed, slowest %s", phase, len(rs), failedOpen, failedClosed, slowest)
		return
	}
	// until waits for cond while load runs, failing the test after the
	// deadline, or at once when a request has been waiting longer than the
	// bound.
	until := func(what string, stuck func() time.Duration, cond func() bool) {
		t.Helper()
		if !waitFor(deadline, func() bool {
			if d := stuck(); d > bound {
				t.Fatalf("%s: a request has been waiting %s, more than the bound %s: a check is not bounded by the backend's timeout", what, d, bound)
			}
			return cond()
		}) {
			t.Fatalf("%s: not within %s", what, deadline)
		}
	}

	// Phase 1: CLIENT KILL of the limiter's connections by a second client,
	// under load. go-redis reconnects; requests keep being checked.
	stop, stuck := load()
	allowed := func() uint64 { return lim.Stats().Allowed }
	a0 := allowed()
	until("checked requests before the kill", stuck, func() bool { return allowed() >= a0+20 })
	admin := newRealRedis(t, opt)
	killed := killClients(t, admin, copt.ClientName)
	if killed == 0 {
		stop()
		t.Fatal("CLIENT KILL found none of the limiter's connections")
	}
	a1 := allowed()
	until("checked requests after the kill", stuck, func() bool { return allowed() >= a1+20 })
	checkAnswers(fmt.Sprintf("client kill (%d connections)", killed), stop())

	// Phase 2: Redis goes away (connections refused) mid-load: the breaker
	// opens, and both failure modes apply.
	s0 := lim.Stats()
	stop, stuck = load()
	px.stop()
	sawOpen := false
	until("breaker open and both failure modes applied with Redis down", stuck, func() bool {
		sawOpen = sawOpen || be.BreakerState() == "open"
		s := lim.Stats()
		return sawOpen && s.FailedOpen > s0.FailedOpen && s.FailedClosed > s0.FailedClosed
	})
	fo, fc := checkAnswers("redis down", stop())
	if fo == 0 || fc == 0 {
		t.Errorf("redis down: %d failed open and %d failed closed; want both policies to apply", fo, fc)
	}

	// Phase 3: Redis hangs (accepts, never answers): a check the breaker
	// lets through waits for the check timeout; the others are answered at
	// once. Wait for two half-open probes (so one timed out and reopened the
	// breaker) and both failure modes.
	px.blackhole.Store(true)
	px.restart()
	s0 = lim.Stats()
	c0 := calls.Load()
	hstart := time.Now()
	stop, stuck = load()
	until("two probes of the hung Redis and both failure modes", stuck, func() bool {
		s := lim.Stats()
		return calls.Load()-c0 >= 2 && s.FailedOpen > s0.FailedOpen && s.FailedClosed > s0.FailedClosed
	})
	rs := stop()
	elapsed := time.Since(hstart)
	fo, fc = checkAnswers("redis hung", rs)
	if fo == 0 || fc == 0 {
		t.Errorf("redis hung: %d failed open and %d failed closed; want both policies to apply", fo, fc)
	}
	// The breaker lets one probe through per open period: without it every
	// request would wait on the hung Redis.
	probes := calls.Load() - c0
	if maxProbes := 1 + int64(elapsed/openFor); probes > maxProbes {
		t.Errorf("redis hung: %d checks reached Redis in %s; the breaker (open for %s) allows at most %d", probes, elapsed, openFor, maxProbes)
	}
	if probes >= int64(len(rs)) {
		t.Errorf("redis hung: all %d requests reached Redis; the breaker should answer most at once", len(rs))
	}
	t.Logf("redis hung: %d of %d requests reached Redis in %s", probes, len(rs), elapsed)
	hstart = time.Now()
	if rep := lim.CheckHealth(context.Background(), covet.Readiness); rep.Status != covet.HealthDegraded {
		t.Errorf("readiness with Redis hung = %+v, want degraded", rep)
	}
	if d := time.Since(hstart); d > bound {
		t.Errorf("readiness check with Redis hung took %s, more than the bound %s", d, bound)
	}

	// Phase 4: Redis is back: limiting resumes, exactly. A check that
	// timed out on a loaded machine fails open and spoils a round: then a
	// new client tries again.
	px.stop()
	px.blackhole.Store(false)
	px.restart()
	idle := func() time.Duration { return 0 }
	until("limiting resumed after Redis came back", idle, func() bool { return do("/open", "192.0.2.1:1000").checked })
	var codes []int
	round := 0
	until("an exact round on /tight", idle, func() bool {
		round++
		f0 := lim.Stats().FailedOpen
		codes = codes[:0]
		for i := 0; i < 5; i++ {
			codes = append(codes, do("/tight", fmt.Sprintf("198.51.100.%d:1000", round)).status)
		}
		return lim.Stats().FailedOpen == f0
	})
	if fmt.Sprint(codes) != "[200 200 200 429 429]" {
		t.Errorf("after recovery /tight answered %v, want [200 200 200 429 429]", codes)
	}
	if be.BreakerState() != "closed" {
		t.Errorf("breaker %s after recovery, want closed", be.BreakerState())
	}
}

func killClients(t *testing.T, admin *redis.Client, name string) int {
	t.Helper()
	list, err := admin.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, " name="+name+" ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if id, ok := strings.CutPrefix(f, "id="); ok {
				if err := admin.Do(context.Background(), "CLIENT", "KILL", "ID", id).Err(); err == nil {
					n++
				}
			}
		}
	}
	return n
}

func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

// TestRedisSpoofedForwardingHeaders sends requests from one peer with a
// different X-Forwarded-For (and Forwarded, X-Real-IP) each time, through
// the real Redis: without trusted proxies they count against the peer, and
// Redis holds one counter for it.
func TestRedisSpoofedForwardingHeaders(t *testing.T) {
	opt := realOptions(t)
	prefix := testPrefix(t, opt)
	rdb := newRealRedis(t, opt)
	lim := ratelimit.New(ratelimit.WithBackend(New(rdb, WithKeyPrefix(prefix), WithCheckTimeout(roomyTimeout))))
	app := covet.New(covet.WithLogger(discardLogger()))
	app.GET("/a", func(c *covet.Context) error { return c.Text(200, "ok") }).With(ratelimit.Apply(ratelimit.NewPolicy("spoof", ratelimit.WithLimits(ratelimit.PerHour(5)))))
	if err := app.Install(lim); err != nil {
		t.Fatal(err)
	}
	client := covettest.New(t, app)
	allowed := 0
	for i := 0; i < 50; i++ {
		res := client.Get("/a").RemoteAddr("203.0.113.77:5555").
			Header("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i)).
			Header("Forwarded", fmt.Sprintf("for=198.51.100.%d", i)).
			Header("X-Real-IP", fmt.Sprintf("198.51.100.%d", i)).Do()
		if res.StatusCode == 200 {
			allowed++
		}
	}
	if allowed != 5 {
		t.Fatalf("%d of 50 spoofed requests allowed, want 5", allowed)
	}
	keys, err := rdb.Keys(context.Background(), prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !strings.Contains(keys[0], "{203.0.113.77}") {
		t.Fatalf("keys %v, want one counter for the peer 203.0.113.77", keys)
	}
}

// TestRedisShardedGroupsByClientKey exercises the Cluster/Ring path on a
// single node: limits with different client keys go in one script call per
// key (so each call's keys share a hash slot), and the answers land in the
// right places.
func TestRedisShardedGroupsByClientKey(t *testing.T) {
	_, c := newMiniRedis(t)
	var calls []string
	var mu sync.Mutex
	c.AddHook(cmdRecorder{func(name string) { mu.Lock(); calls = append(calls, name); mu.Unlock() }})
	be := New(c, WithCheckTimeout(roomyTimeout))
	be.sharded = true
	if err := be.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	calls = nil
	mu.Unlock()
	reqs := []ratelimit.Request{
		{Scope: "p/ip/g", Key: "203.0.113.1", Limit: ratelimit.PerHour(3)},
		{Scope: "p/user/g", Key: "user=ann", Limit: ratelimit.PerHour(1)},
		{Scope: "p/ip.day/g", Key: "203.0.113.1", Limit: ratelimit.PerDay(10)},
	}
	out := make([]ratelimit.Decision, 3)
	if ok, err := be.Take(context.Background(), reqs, out); err != nil || !ok {
		t.Fatalf("first take: %v %v", ok, err)
	}
	if out[0].Remaining != 2 || out[1].Remaining != 0 || out[2].Remaining != 9 {
		t.Errorf("remaining %d %d %d, want 2 0 9", out[0].Remaining, out[1].Remaining, out[2].Remaining)
	}
	mu.Lock()
	if fmt.Sprint(calls) != "[evalsha evalsha]" {
		t.Errorf("commands %v for two client keys, want one evalsha per key", calls)
	}
	mu.Unlock()
	if ok, _ := be.Take(context.Background(), reqs, out); ok || out[1].Allowed {
		t.Errorf("second take allowed; the user limit is 1 (%+v)", out)
	}
}
