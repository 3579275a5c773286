package redisstore

import (
	"context"
	"fmt"
	"github.com/covetgo/covet/plugins/ratelimit"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestRedisCluster runs checks on a real Redis Cluster when
// COVET_TEST_REDIS_CLUSTER lists its nodes ("127.0.0.1:17001,127.0.0.1:17002");
// the README shows how to start one locally. Limits of one request with
// different client keys land in different slots: the backend must make one
// call per key, and counts must be exact.
func TestRedisCluster(t *testing.T) {
	addrs := os.Getenv("COVET_TEST_REDIS_CLUSTER")
	if addrs == "" {
		t.Skip("COVET_TEST_REDIS_CLUSTER not set")
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(addrs, ","), ContextTimeoutEnabled: true})
	defer c.Close()
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("covet-test:ratelimit:cluster:%d:", time.Now().UnixNano())
	defer c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		keys, _ := n.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			n.Del(ctx, keys...)
		}
		return nil
	})
	be := New(c, WithKeyPrefix(prefix), WithCheckTimeout(roomyTimeout))
	if !be.sharded {
		t.Fatal("a cluster client is not treated as sharded")
	}
	allowed := 0
	for i := 0; i < 10; i++ {
		reqs := []ratelimit.Request{
			{Scope: "p/ip/g", Key: "203.0.113.1", Limit: ratelimit.PerHour(100)},
			{Scope: "p/user/g", Key: "user=ann", Limit: ratelimit.PerHour(4)},
			{Scope: "p/ip.day/g", Key: "203.0.113.1", Limit: ratelimit.PerDay(1000).SlidingWindow()},
		}
		out := make([]ratelimit.Decision, len(reqs))
		ok, err := be.Take(ctx, reqs, out)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			allowed++
		}
	}
	if allowed != 4 {
		t.Fatalf("%d of 10 allowed, want 4 (the user limit)", allowed)
	}
	slotA := c.ClusterKeySlot(ctx, be.key(&ratelimit.Request{Scope: "p/ip/g", Key: "203.0.113.1"})).Val()
	slotB := c.ClusterKeySlot(ctx, be.key(&ratelimit.Request{Scope: "p/user/g", Key: "user=ann"})).Val()
	slotC := c.ClusterKeySlot(ctx, be.key(&ratelimit.Request{Scope: "p/ip.day/g", Key: "203.0.113.1"})).Val()
	if slotA != slotC || slotA == slotB {
		t.Errorf("slots %d %d %d: one client's keys must share a slot (and these two keys differ)", slotA, slotB, slotC)
	}
}
