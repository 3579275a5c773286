package cache

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestRedisSecondLevel(t *testing.T) {
	rdb := realRedis(t)
	p := testPrefix(t, rdb)
	a := newTestCache(t, WithRedis(rdb), WithPrefix(p))
	b := newTestCache(t, WithRedis(rdb), WithPrefix(p))
	_ = a.Set(bg, "task:1", task{1, "a"}, time.Minute, Tags("board:7"))
	got, ok := Get[task](bg, b, "task:1") // from Redis
	if !ok || got.Title != "a" {
		t.Fatalf("b read %+v %v", got, ok)
	}
	// A loader on b stores to Redis; a reads it without loading.
	_, _ = GetOrLoad(bg, b, "task:2", time.Minute, func(ctx context.Context) (task, error) { return task{2, "b"}, nil }, Tags("board:7"))
	loads := a.Stats().Loads
	v, err := GetOrLoad(bg, a, "task:2", time.Minute, func(ctx context.Context) (task, error) { return task{}, fmt.Errorf("must not load") })
	if err != nil || v.Title != "b" || a.Stats().Loads != loads {
		t.Fatalf("a: %+v %v", v, err)
	}
	// Tags reach Redis: gone for a fresh instance too.
	a.InvalidateTags(bg, "board:7")
	c := newTestCache(t, WithRedis(rdb), WithPrefix(p))
	for _, k := range []string{"task:1", "task:2"} {
		if _, ok := Get[task](bg, c, k); ok {
			t.Errorf("%s survived InvalidateTags in Redis", k)
		}
	}
	// Negative entries travel too.
	_, _ = GetOrLoad(bg, a, "gone", time.Minute, func(ctx context.Context) (task, error) { return task{}, ErrNotFound })
	if _, err := GetOrLoad(bg, c, "gone", time.Minute, func(ctx context.Context) (task, error) { return task{}, fmt.Errorf("must not load") }); err != ErrNotFound {
		t.Fatalf("negative entry not shared: %v", err)
	}
}

// TestInvalidationAcrossInstances: three instances on the real Redis, each
// with the value in its L1; after a write or tag invalidation on one, none
// serves the old value once the message reached it, and the time from the
// write to the eviction on all instances is measured.
func TestInvalidationAcrossInstances(t *testing.T) {
	rdb := realRedis(t)
	p := testPrefix(t, rdb)
	var inst [3]*Cache
	for i := range inst {
		// Each instance has its own client, as separate processes would.
		own := redis.NewClient(rdb.Options())
		t.Cleanup(func() { own.Close() })
		inst[i] = newTestCache(t, WithRedis(own), WithPrefix(p), WithRedisTimeout(time.Second))
	}
	for _, c := range inst {
		waitFor(t, "subscription", c.Subscribed)
	}
	rounds := 200
	if testing.Short() {
		rounds = 30
	}
	var lat []time.Duration
	for r := range rounds {
		key := fmt.Sprintf("k%d", r) // fresh per round: no earlier message in flight
		tag := "tag:" + key
		_ = inst[0].Set(bg, key, r, time.Minute, Tags(tag))
		for _, c := range inst[1:] {
			if v, ok := Get[int](bg, c, key); !ok || v != r {
				t.Fatalf("round %d: instance read %d %v", r, v, ok)
			}
		}
		writer := inst[r%3]
		var wg sync.WaitGroup
		var done atomic.Int64
		for _, c := range inst {
			if c == writer {
				continue
			}
			wg.Add(1)
			fired := make(chan struct{})
			var once sync.Once
			c.hooksM.Lock()
			c.observers = []func(byte, []string){func(byte, []string) { once.Do(func() { close(fired) }) }}
			c.hooksM.Unlock()
			go func() { defer wg.Done(); <-fired; done.Add(1) }()
		}
		start := time.Now()
		if r%2 == 0 {
			_ = writer.Set(bg, key, r+1000, time.Minute, Tags(tag))
		} else {
			writer.InvalidateTags(bg, tag)
		}
		wg.Wait()
		lat = append(lat, time.Since(start))
		for i, c := range inst {
			if v, ok := Get[int](bg, c, key); ok && v == r {
				t.Fatalf("round %d: instance %d served the old value after the invalidation reached it", r, i)
			}
		}
	}
	slices.Sort(lat)
	t.Logf("invalidation write→evicted on all instances, %d rounds: p50 %s p99 %s max %s",
		len(lat), lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
}

// TestRedisFault: a private redis-server stopped under load. Every call is
// answered (from L1 or the loader), never an error, latency bounded by the
// timeout; the counter moves and health is degraded; after a restart the
// cache uses Redis again.
func TestRedisFault(t *testing.T) {
	if os.Getenv("COVET_SKIP_FAULT") != "" {
		t.Skip("COVET_SKIP_FAULT set")
	}
	srv := startOwnRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	c := newTestCache(t, WithRedis(rdb), WithRedisTimeout(50*time.Millisecond), WithRedisBackoff(100*time.Millisecond))
	waitFor(t, "subscription", c.Subscribed)
	load := func(ctx context.Context) (string, error) { return "v", nil }
	if _, err := GetOrLoad(bg, c, "a", time.Minute, load); err != nil {
		t.Fatal(err)
	}
	srv.stop()
	var worst time.Duration
	for i := range 200 {
		start := time.Now()
		v, err := GetOrLoad(bg, c, fmt.Sprintf("k%d", i), time.Minute, load)
		if err != nil || v != "v" {
			t.Fatalf("with Redis down: %q %v", v, err)
		}
		if err := c.Set(bg, "w", i, time.Minute); err != nil {
			t.Fatalf("Set with Redis down: %v", err)
		}
		worst = max(worst, time.Since(start))
	}
	t.Logf("slowest call with Redis down: %s (timeout 50ms, backoff 100ms)", worst)
	if c.Stats().RedisErrors == 0 {
		t.Fatal("no Redis error counted")
	}
	if h := c.CheckHealth(bg, 1); h.Status != "degraded" {
		t.Fatalf("health %+v", h)
	}
	srv.start()
	waitFor(t, "Redis used again", func() bool {
		_ = c.Set(bg, "back", 1, time.Minute)
		n, _ := rdb.Exists(bg, c.rkey("back")).Result()
		return n == 1
	})
	waitFor(t, "resubscription", c.Subscribed)
	waitFor(t, "health ok", func() bool { return c.CheckHealth(bg, 1).Status == "ok" })
}

// TestNoStaleWriteAfterInvalidation: a loader on instance a reads the old
// value, then (held by the test) instance b writes the new value and
// invalidates (by tag, by key, or by Set); when a's loader returns, its
// stale value must not reach Redis nor a's L1. Before the epoch check, the
// loader's write landed after the invalidation and every instance served
// the old value until the TTL.
func TestNoStaleWriteAfterInvalidation(t *testing.T) {
	for _, how := range []string{"tag", "key", "set"} {
		t.Run(how, func(t *testing.T) {
			rdb := realRedis(t)
			p := testPrefix(t, rdb)
			a := newTestCache(t, WithRedis(rdb), WithPrefix(p))
			b := newTestCache(t, WithRedis(rdb), WithPrefix(p))
			var db atomic.Value // the "database"
			db.Store("old")
			read, release := make(chan struct{}), make(chan struct{})
			type res struct {
				v   string
				err error
			}
			got := make(chan res, 1)
			go func() {
				v, err := GetOrLoad(bg, a, "task:1", time.Minute, func(ctx context.Context) (string, error) {
					v := db.Load().(string)
					close(read) // the old value is read...
					<-release   // ...and the write and invalidation happen now
					return v, nil
				}, Tags("board:7"))
				got <- res{v, err}
			}()
			<-read
			db.Store("new")
			switch how {
			case "tag":
				b.InvalidateTags(bg, "board:7")
			case "key":
				b.Delete(bg, "task:1")
			case "set":
				_ = b.Set(bg, "task:1", "new", time.Minute, Tags("board:7"))
			}
			close(release)
			r := <-got
			if r.err != nil || r.v != "old" {
				t.Fatalf("loader's caller got %q %v", r.v, r.err)
			}
			if n := skipped(a); n != 1 {
				t.Errorf("StaleWritesSkipped = %d, want 1", n)
			}
			// Neither a fresh instance (Redis) nor a (L1) serves "old".
			c := newTestCache(t, WithRedis(rdb), WithPrefix(p))
			for name, inst := range map[string]*Cache{"fresh instance": c, "loader's instance": a} {
				v, err := GetOrLoad(bg, inst, "task:1", time.Minute, func(ctx context.Context) (string, error) {
					return db.Load().(string), nil
				}, Tags("board:7"))
				if err != nil || v != "new" {
					t.Errorf("%s served %q %v after the invalidation", name, v, err)
				}
			}
		})
	}
}

// skipped is a's count of refused stale writes.
func skipped(c *Cache) int64 { return c.Stats().StaleWritesSkipped }

// TestMessageRoundTrip: every kind of invalidation message parses back to
// what was sent, keys and tags with NUL bytes (response cache keys)
// included, each in the oldest format that can carry it; messages in the
// first release's format (written out by hand here, as an older instance
// sends them) parse too; a kind from a newer release is reported as
// unknownKind (the receiver empties L1); malformed messages are refused.
func TestMessageRoundTrip(t *testing.T) {
	c := &Cache{id: "inst1"}
	for _, tc := range []struct {
		kind  byte
		names []string
		wire  byte // the kind byte on the wire
	}{
		{'k', []string{"h\x00example.com\x00/for", "plain", ""}, 'K'},
		{'k', []string{"a:b\x00\x01c"}, 'K'},
		{'k', []string{"plain", "other"}, 'k'},
		{'t', []string{"board", "task:1"}, 't'},
		{'t', []string{"board", "a\x00b", "task:1"}, 'T'},
		{'a', nil, 'a'},
	} {
		msg := c.message(tc.kind, tc.names)
		if msg[len("inst1")+1] != tc.wire {
			t.Errorf("%c %q sent as %c, want %c", tc.kind, tc.names, msg[len("inst1")+1], tc.wire)
		}
		id, kind, names, ok := parseMessage(msg)
		if !ok || id != "inst1" || kind != tc.kind || !slices.Equal(names, tc.names) {
			t.Errorf("%c %q: parsed %v %q %c %q", tc.kind, tc.names, ok, id, kind, names)
		}
	}
	for _, tc := range []struct {
		msg   string
		kind  byte
		names []string
	}{
		{"old\x00k\x00key1\x00key2", 'k', []string{"key1", "key2"}},
		{"old\x00t\x00board\x00task:7", 't', []string{"board", "task:7"}},
		{"old\x00K\x004:k\x00ey", 'k', []string{"k\x00ey"}},
		{"old\x00a", 'a', nil},
	} {
		id, kind, names, ok := parseMessage(tc.msg)
		if !ok || id != "old" || kind != tc.kind || !slices.Equal(names, tc.names) {
			t.Errorf("old-format %q: parsed %v %q %c %q", tc.msg, ok, id, kind, names)
		}
	}
	if _, kind, _, ok := parseMessage("new\x00Zwhatever"); !ok || kind != unknownKind {
		t.Errorf("a newer kind parsed as %v %c, want unknownKind", ok, kind)
	}
	for _, bad := range []string{"", "inst1", "inst1\x00", "inst1\x00tx", "inst1\x00K\x005:abc", "inst1\x00K\x00x:abc", "inst1\x00Kabc", "inst1\x00T\x009:ab"} {
		if _, _, _, ok := parseMessage(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}
