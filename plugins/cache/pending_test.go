package cache

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// linkProxy forwards TCP connections to a Redis server and can cut them:
// one instance's network path failing while Redis itself (and what it
// holds) stays up for the others.
type linkProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

func newLinkProxy(t *testing.T, target string) *linkProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &linkProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *linkProxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[up] = struct{}{}
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

// cut closes every forwarded connection and refuses new ones.
func (p *linkProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *linkProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// waitLong polls cond until it holds or a minute passes (CI is loaded).
func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pendingPair is instance a, whose link to the shared Redis can be cut,
// and instance b, connected directly, on one prefix.
func pendingPair(t *testing.T) (a, b *Cache, link *linkProxy, rdb *redis.Client) {
	t.Helper()
	if os.Getenv("COVET_SKIP_FAULT") != "" {
		t.Skip("COVET_SKIP_FAULT set")
	}
	rdb = realRedis(t)
	prefix := testPrefix(t, rdb)
	link = newLinkProxy(t, rdb.Options().Addr)
	opts := *rdb.Options()
	opts.Addr, opts.MaxRetries, opts.DialTimeout = link.ln.Addr().String(), -1, 200*time.Millisecond
	ra := redis.NewClient(&opts)
	rb := redis.NewClient(rdb.Options())
	t.Cleanup(func() { ra.Close(); rb.Close() })
	a = newTestCache(t, WithRedis(ra), WithPrefix(prefix), WithRedisTimeout(100*time.Millisecond), WithRedisBackoff(200*time.Millisecond))
	b = newTestCache(t, WithRedis(rb), WithPrefix(prefix), WithRedisTimeout(5*time.Second))
	waitLong(t, "subscriptions", func() bool { return a.Subscribed() && b.Subscribed() })
	return a, b, link, rdb
}

// TestWritesDuringOutageReachRedis: instance a loses its link to Redis
// (Redis stays up, holding the old values, and b keeps using it). a's Set,
// Delete and InvalidateTags made meanwhile fail; before this change they
// were dropped, so once the link was back both instances read the replaced
// values from Redis until their TTL. Now they are applied when a uses Redis
// again: the old values are gone from Redis, b drops them from L1 (the
// flush publishes), and neither instance serves them.
func TestWritesDuringOutageReachRedis(t *testing.T) {
	a, b, link, rdb := pendingPair(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.Set(bg, "k", "v1", time.Hour))
	must(a.Set(bg, "d", "old", time.Hour))
	must(a.Set(bg, "tagged", "old", time.Hour, Tags("T")))
	for _, k := range []string{"k", "d", "tagged"} {
		if _, ok := Get[string](bg, b, k); !ok { // b's L1 now holds them too
			t.Fatalf("b does not see %q through Redis", k)
		}
	}

	link.cut()
	must(a.Set(bg, "k", "v2", time.Hour))
	a.Delete(bg, "d")
	a.InvalidateTags(bg, "T")
	if a.Stats().RedisErrors == 0 {
		t.Fatal("the writes over the cut link did not fail")
	}
	if n, _ := rdb.Exists(bg, a.rkey("k"), a.rkey("d"), a.rkey("tagged")).Result(); n != 3 {
		t.Fatalf("%d of the old entries in Redis during the outage, want 3 (the test's premise)", n)
	}

	link.restore()
	// Any call after the backoff flushes first.
	waitLong(t, "the deferred invalidations in Redis", func() bool {
		Get[string](bg, a, "unrelated")
		n, _ := rdb.Exists(bg, a.rkey("k"), a.rkey("d"), a.rkey("tagged")).Result()
		return n == 0
	})
	if got := a.Stats().DeferredInvalidations; got != 3 {
		t.Errorf("DeferredInvalidations %d, want 3 (k, d, tag T)", got)
	}
	waitLong(t, "b to drop the old values from L1", func() bool {
		_, k := Get[string](bg, b, "k")
		_, d := Get[string](bg, b, "d")
		_, tg := Get[string](bg, b, "tagged")
		return !k && !d && !tg
	})
	// a's Set over the cut link became an invalidation in Redis; a keeps
	// v2 in L1 until it resubscribes (which empties L1): v2 or a miss.
	if v, ok := Get[string](bg, a, "k"); ok && v != "v2" {
		t.Errorf("a reads %q for k, want its write v2 or a miss", v)
	}
	load := func(v string) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { return v, nil }
	}
	for _, c := range []*Cache{a, b} {
		if v, err := GetOrLoad(bg, c, "d", time.Minute, load("new")); err != nil || v != "new" {
			t.Errorf("deleted key d read %q, %v; want the loader's value", v, err)
		}
	}
	if v, err := GetOrLoad(bg, b, "tagged", time.Minute, load("new")); err != nil || v != "new" {
		t.Errorf("invalidated tag's entry read %q, %v; want the loader's value", v, err)
	}
}

// TestDeferredOverflowFlushesPrefix: more failed writes than pendingLimit
// are not remembered one by one; the flush deletes every entry under the
// prefix and the other instance empties its L1.
func TestDeferredOverflowFlushesPrefix(t *testing.T) {
	old := pendingLimit
	pendingLimit = 3
	t.Cleanup(func() { pendingLimit = old })
	a, b, link, rdb := pendingPair(t)
	for i := range 5 {
		if err := a.Set(bg, fmt.Sprint("k", i), "old", time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, ok := Get[string](bg, b, fmt.Sprint("k", i)); !ok {
			t.Fatalf("b does not see k%d", i)
		}
	}
	link.cut()
	for i := range 5 {
		a.Delete(bg, fmt.Sprint("k", i))
	}
	link.restore()
	waitLong(t, "the prefix flushed", func() bool {
		Get[string](bg, a, "unrelated")
		keys, _ := rdb.Keys(bg, escapeGlob(a.cfg.prefix)+"k:*").Result()
		return len(keys) == 0
	})
	waitLong(t, "b's L1 emptied", func() bool {
		for i := range 5 {
			if _, ok := Get[string](bg, b, fmt.Sprint("k", i)); ok {
				return false
			}
		}
		return true
	})
	if n, _ := rdb.Exists(bg, a.repoch()).Result(); n != 1 {
		t.Error("the epoch key went with the flush")
	}
}
