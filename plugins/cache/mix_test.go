package cache_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/cache"
	"github.com/redis/go-redis/v9"
)

// TestMixedChecks measures what WithL1Check costs under the scale-out
// harness's mix (COVET_CACHE_MIX=1; public API only, so the same file runs
// against an earlier release): three instances on the real Redis, 500 tasks
// read Zipf-distributed (s = 1.1), 5 list pages tagged "board", 20 % writes
// (each invalidates "board" and its task's tag, as the taskboard's do), 30 %
// list reads, 50 % detail reads, from 6 goroutines spread over the
// instances. It reports the checks, how many found their entry outdated
// (each carries the entry back and decodes it), the loads (database reads)
// and the operations per second (wall clock: compare runs side by side).
func TestMixedChecks(t *testing.T) {
	if os.Getenv("COVET_CACHE_MIX") == "" {
		t.Skip("COVET_CACHE_MIX not set")
	}
	opt, err := redis.ParseURL(covettest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("covet-test:cache:mix:%d:", time.Now().UnixNano())
	var inst [3]*cache.Cache
	for i := range inst {
		own := redis.NewClient(opt)
		t.Cleanup(func() { own.Close() })
		c, err := cache.New(cache.WithRedis(own), cache.WithPrefix(prefix), cache.WithRedisTimeout(5*time.Second), cache.WithL1Check(0))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Stop(context.Background()) })
		inst[i] = c
	}
	ctx := context.Background()
	var loads atomic.Int64
	body := make([]byte, 2000) // a list page's size, roughly
	load := func(context.Context) ([]byte, error) { loads.Add(1); return body, nil }
	ops := 20000
	var wg sync.WaitGroup
	start := time.Now()
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := inst[g%3]
			r := rand.New(rand.NewPCG(uint64(g), 7))
			z := rand.NewZipf(r, 1.1, 1, 499)
			for range ops / 6 {
				id := z.Uint64()
				switch p := r.IntN(100); {
				case p < 20:
					c.InvalidateTags(ctx, "board", fmt.Sprintf("task:%d", id))
				case p < 50:
					page := r.IntN(5)
					_, _ = cache.GetOrLoad(ctx, c, fmt.Sprintf("list:%d", page), time.Minute, load, cache.Tags("board"))
				default:
					_, _ = cache.GetOrLoad(ctx, c, fmt.Sprintf("task:%d", id), time.Minute, load, cache.Tags(fmt.Sprintf("task:%d", id)))
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	var checks, outdated int64
	for _, c := range inst {
		s := c.Stats()
		checks += s.L1Checks
		outdated += s.L1Outdated
	}
	t.Logf("%d ops in %s (%.0f ops/s): %d L1 checks, %d outdated (%.1f %%), %d loads",
		ops, el.Round(time.Millisecond), float64(ops)/el.Seconds(), checks, outdated, 100*float64(outdated)/float64(max(checks, 1)), loads.Load())
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if len(keys) > 0 {
		rdb.Del(ctx, keys...)
	}
}
