package cache_test

import (
	"context"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/cache"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// TestFailedStartLeavesNothing installs the cache with a Redis second level (the app's client) and runs
// covettest.FailedStartLeavesNothing: the app's Start fails after it and
// before it, and it is installed from an Install that fails; no goroutine is
// left behind (goleak), and the rolled-back app answers exactly as one
// without it.
func TestFailedStartLeavesNothing(t *testing.T) {
	url := covettest.RedisURL()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	admin := redis.NewClient(opt)
	t.Cleanup(func() { _ = admin.Close() })
	covettest.NeedService(t, "redis", admin.Ping(context.Background()).Err())
	newPlugin := func(t *testing.T) covet.Plugin {
		c, err := cache.New(cache.WithRedis(admin))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	covettest.FailedStartLeavesNothing(t, newPlugin,
		covettest.LeakVerify(func(t *testing.T) func() {
			ignore := goleak.IgnoreCurrent()
			return func() { goleak.VerifyNone(t, ignore) }
		}),
	)
}

// TestConstructorStartsNothing: New (memory only, and with Redis) leaves no
// goroutine behind — otter's periodic clean-up is not started by it; Start
// starts the clean-up and the subscriber, Stop ends both.
func TestConstructorStartsNothing(t *testing.T) {
	url := covettest.RedisURL()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	admin := redis.NewClient(opt)
	t.Cleanup(func() { _ = admin.Close() })
	covettest.NeedService(t, "redis", admin.Ping(context.Background()).Err())
	for _, opts := range [][]cache.Option{nil, {cache.WithRedis(admin)}} {
		ignore := goleak.IgnoreCurrent()
		c, err := cache.New(opts...)
		if err != nil {
			t.Fatal(err)
		}
		goleak.VerifyNone(t, ignore)
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if goleak.Find(ignore) == nil {
			t.Error("Start started no goroutine (the L1 clean-up)")
		}
		if err := c.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		goleak.VerifyNone(t, ignore)
	}
}
