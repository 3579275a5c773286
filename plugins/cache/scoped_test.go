package cache

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// scopedWorld is three cache instances on the real Redis (each with its own
// client, as separate processes), in front of a "database" of n versioned
// items: item i is key item:i, tagged item:i and list.
type scopedWorld struct {
	inst  [3]*Cache
	rdb   *redis.Client
	pfx   string
	db    []atomic.Int64 // the committed versions
	acked []atomic.Int64 // the version whose write has answered (invalidation done)
	loads atomic.Int64
}

func newScopedWorld(t *testing.T, n int, pubsub bool) *scopedWorld {
	t.Helper()
	rdb := realRedis(t)
	w := &scopedWorld{rdb: rdb, pfx: testPrefix(t, rdb), db: make([]atomic.Int64, n), acked: make([]atomic.Int64, n)}
	for i := range w.inst {
		own := redis.NewClient(rdb.Options())
		t.Cleanup(func() { own.Close() })
		opts := []Option{WithRedis(own), WithPrefix(w.pfx), WithRedisTimeout(5 * time.Second), WithL1Check(0)}
		if !pubsub {
			opts = append(opts, WithoutInvalidation()) // only the check can notice a write
		}
		w.inst[i] = newTestCache(t, opts...)
	}
	if pubsub {
		for _, c := range w.inst {
			waitFor(t, "subscription", c.Subscribed)
		}
	}
	return w
}

func (w *scopedWorld) read(c *Cache, i int) (int64, error) {
	return GetOrLoad(bg, c, fmt.Sprintf("item:%d", i), time.Minute, func(context.Context) (int64, error) {
		w.loads.Add(1)
		return w.db[i].Load(), nil
	}, Tags(fmt.Sprintf("item:%d", i), "list"))
}

// write commits a new version of item i on c and invalidates its tag (the
// write's answer is when InvalidateTags returned).
func (w *scopedWorld) write(c *Cache, i int) {
	v := w.db[i].Add(1)
	c.InvalidateTags(bg, fmt.Sprintf("item:%d", i))
	for {
		old := w.acked[i].Load()
		if old >= v || w.acked[i].CompareAndSwap(old, v) {
			return
		}
	}
}

// TestScopedNoStaleReadThreeInstances: three instances on the real Redis,
// writers on every instance, readers on every instance, concurrently. A read
// that starts after a write's invalidation returned never returns an older
// version, on any instance — with pub/sub off (only the L1 check guards) and
// on. It fails with the check off (pub/sub arrives after the answer).
func TestScopedNoStaleReadThreeInstances(t *testing.T) {
	for _, pubsub := range []bool{false, true} {
		t.Run(fmt.Sprintf("pubsub=%v", pubsub), func(t *testing.T) {
			const n = 8
			w := newScopedWorld(t, n, pubsub)
			ops := 400
			if testing.Short() {
				ops = 100
			}
			var wg sync.WaitGroup
			var stale, reads atomic.Int64
			stop := make(chan struct{})
			for r := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := w.inst[r%3]
					for {
						select {
						case <-stop:
							return
						default:
						}
						i := rand.IntN(n)
						lo := w.acked[i].Load()
						got, err := w.read(c, i)
						if err != nil {
							t.Error(err)
							return
						}
						reads.Add(1)
						if got < lo && stale.Add(1) <= 5 {
							t.Errorf("instance %d read item %d version %d after version %d was acknowledged", r%3, i, got, lo)
						}
					}
				}()
			}
			for k := range ops {
				w.write(w.inst[k%3], rand.IntN(n))
				// Sequential: every instance reads the item just written.
			}
			close(stop)
			wg.Wait()
			for i := range n {
				for j, c := range w.inst {
					if got, _ := w.read(c, i); got != w.db[i].Load() {
						t.Errorf("at rest, instance %d reads item %d version %d, want %d", j, i, got, w.db[i].Load())
					}
				}
			}
			t.Logf("%d writes, %d concurrent reads, %d stale, %d loads", ops, reads.Load(), stale.Load(), w.loads.Load())
			if stale.Load() > 0 {
				t.Errorf("%d stale reads", stale.Load())
			}
		})
	}
}

// TestScopedWriteOutdatesOnlyItsTags: a write to one item's tag makes the
// next check of that item's L1 entries outdated on the other instances, and
// leaves every other item's entries current there (no refetch, no load);
// a write to the shared tag (list) outdates them all; a write in the format
// of a release before the generations (the epoch bumped alone) outdates
// them all too, so an old and a new instance can share a Redis during a
// rolling restart.
func TestScopedWriteOutdatesOnlyItsTags(t *testing.T) {
	const n = 10
	w := newScopedWorld(t, n, false)
	a, b := w.inst[0], w.inst[1]
	for i := range n {
		if _, err := w.read(a, i); err != nil {
			t.Fatal(err)
		}
		_, _ = w.read(b, i) // from Redis into b's L1
		_, _ = w.read(b, i) // a checked L1 hit
	}
	readAll := func() (outdated, loads int64) {
		s0, l0 := b.Stats().L1Outdated, w.loads.Load()
		for i := range n {
			if got, _ := w.read(b, i); got != w.db[i].Load() {
				t.Errorf("b read item %d version %d, want %d", i, got, w.db[i].Load())
			}
		}
		return b.Stats().L1Outdated - s0, w.loads.Load() - l0
	}
	if o, l := readAll(); o != 0 || l != 0 {
		t.Fatalf("no write: %d outdated, %d loads on b (want 0, 0)", o, l)
	}
	w.write(a, 3)
	if o, l := readAll(); o != 1 || l != 1 {
		t.Errorf("a write of item 3: %d entries outdated on b, %d loads (want 1, 1: item 3 only)", o, l)
	}
	a.InvalidateTags(bg, "list")
	if o, _ := readAll(); o != n {
		t.Errorf("a write of the list tag: %d entries outdated on b (want %d)", o, n)
	}
	// An older release's write: INCR epoch and the new entry in Redis, no
	// generations. b must not serve its L1 copy of item 5.
	w.db[5].Add(1)
	e := &entry{fresh: time.Now().Add(time.Minute).UnixNano(), tags: []string{"item:5", "list"}}
	e.raw, _ = b.cfg.codec.Marshal(w.db[5].Load())
	if err := w.rdb.Incr(bg, w.pfx+"epoch").Err(); err != nil {
		t.Fatal(err)
	}
	if err := w.rdb.Set(bg, w.pfx+"k:item:5", encodeEntry(e), time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if o, _ := readAll(); o != n {
		t.Errorf("an old-format write: %d entries outdated on b (want %d: the epoch alone moved)", o, n)
	}
	if o, l := readAll(); o != 0 || l != 0 {
		t.Errorf("after the refetch: %d outdated, %d loads (want 0, 0)", o, l)
	}
}

// TestScopedLoadRacingOtherTagIsKept: a load that overlaps a write to
// another tag is stored (the global epoch voided it before); one that
// overlaps a write to its own tag is not.
func TestScopedLoadRacingOtherTagIsKept(t *testing.T) {
	w := newScopedWorld(t, 2, false)
	a, b := w.inst[0], w.inst[1]
	for _, tc := range []struct {
		other bool
		key   string
	}{{true, "x1"}, {false, "x2"}} {
		before := a.Stats().StaleWritesSkipped
		_, err := GetOrLoad(bg, a, tc.key, time.Minute, func(context.Context) (int, error) {
			if tc.other {
				b.InvalidateTags(bg, "other")
			} else {
				b.InvalidateTags(bg, "mine")
			}
			return 1, nil
		}, Tags("mine"))
		if err != nil {
			t.Fatal(err)
		}
		skipped := a.Stats().StaleWritesSkipped - before
		if tc.other && skipped != 0 {
			t.Errorf("a load racing another tag's write was not stored")
		}
		if !tc.other && skipped != 1 {
			t.Errorf("a load racing its own tag's write was stored (skipped %d)", skipped)
		}
	}
}

// TestTagWithNULAcrossInstances: a tag containing NUL invalidated on one
// instance evicts exactly the entries with that tag from the others' L1
// through pub/sub (it was split at NUL, evicting "a" and "b" instead).
func TestTagWithNULAcrossInstances(t *testing.T) {
	rdb := realRedis(t)
	p := testPrefix(t, rdb)
	var inst [3]*Cache
	for i := range inst {
		own := redis.NewClient(rdb.Options())
		t.Cleanup(func() { own.Close() })
		inst[i] = newTestCache(t, WithRedis(own), WithPrefix(p), WithRedisTimeout(5*time.Second))
	}
	for _, c := range inst {
		waitFor(t, "subscription", c.Subscribed)
	}
	for _, c := range inst[1:] { // keys of its own: a Set evicts the key on the others
		_ = c.Set(bg, "nul"+c.id, 1, time.Minute, Tags("a\x00b"))
		_ = c.Set(bg, "plain"+c.id, 2, time.Minute, Tags("a"))
	}
	remote := inst[1].Stats().RemoteInvalidations
	inst[0].InvalidateTags(bg, "a\x00b")
	waitFor(t, "the message", func() bool { return inst[1].Stats().RemoteInvalidations > remote })
	for _, c := range inst[1:] {
		waitFor(t, "eviction", func() bool {
			e, ok := c.l1.GetIfPresent("nul" + c.id)
			return !ok || !c.valid(e)
		})
		if e, ok := c.l1.GetIfPresent("plain" + c.id); !ok || !c.valid(e) {
			t.Errorf("the entry tagged \"a\" was evicted by the tag \"a\\x00b\"")
		}
	}
}

// TestL1CheckRedisDown: the check's failure policy with a private Redis
// stopped. FailOpen serves the L1 entry unchecked (counted) without calling
// the loader; FailClosed makes the hit a miss: the loader answers (here with
// the newer value a write on another instance committed just before Redis
// went down). Every call answers without error either way, and after a
// restart hits are checked again.
func TestL1CheckRedisDown(t *testing.T) {
	for _, mode := range []FailureMode{FailOpen, FailClosed} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			srv := startOwnRedis(t)
			rdb := redis.NewClient(&redis.Options{Addr: srv.addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
			t.Cleanup(func() { rdb.Close() })
			c := newTestCache(t, WithRedis(rdb), WithRedisTimeout(50*time.Millisecond), WithRedisBackoff(100*time.Millisecond),
				WithL1Check(0), WithCheckFailure(mode))
			var db atomic.Int64
			db.Store(1)
			var loads atomic.Int64
			load := func(context.Context) (int64, error) { loads.Add(1); return db.Load(), nil }
			if v, err := GetOrLoad(bg, c, "a", time.Minute, load); err != nil || v != 1 {
				t.Fatalf("first load: %d %v", v, err)
			}
			db.Store(2) // committed; its invalidation would have needed Redis
			srv.stop()
			for range 20 {
				v, err := GetOrLoad(bg, c, "a", time.Minute, load)
				if err != nil {
					t.Fatalf("with Redis down: %v", err)
				}
				if mode == FailOpen && v != 1 {
					t.Fatalf("fail-open served %d, want the L1 entry (1)", v)
				}
				if mode == FailClosed && v != 2 {
					t.Fatalf("fail-closed served %d, want the loader's value (2)", v)
				}
			}
			st := c.Stats()
			if mode == FailOpen && (st.L1Unchecked == 0 || loads.Load() != 1) {
				t.Errorf("fail-open: %d unchecked serves, %d loads (want > 0, 1)", st.L1Unchecked, loads.Load())
			}
			if mode == FailClosed && (st.L1Unchecked != 0 || loads.Load() < 2) {
				t.Errorf("fail-closed: %d unchecked serves, %d loads (want 0, > 1)", st.L1Unchecked, loads.Load())
			}
			srv.start()
			waitFor(t, "checked again", func() bool {
				before := c.Stats().L1Checks
				_, _ = GetOrLoad(bg, c, "a", time.Minute, load)
				return c.Stats().L1Checks > before
			})
		})
	}
}

func (m FailureMode) String() string {
	if m == FailClosed {
		return "FailClosed"
	}
	return "FailOpen"
}
