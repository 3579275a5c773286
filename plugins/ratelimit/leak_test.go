package ratelimit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/ratelimit"
	"github.com/covetgo/covet/plugins/ratelimit/redisstore"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// TestFailedStartLeavesNothing installs the limiter with a Redis backend it creates (redisstore.NewURL) and runs
// covettest.FailedStartLeavesNothing: the app's Start fails after it and
// before it, and it is installed from an Install that fails; no goroutine is
// left behind (goleak), no Redis connection, and the rolled-back app answers exactly as one
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
	clientName := fmt.Sprintf("covet-leak-ratelimit-%d", time.Now().UnixNano())
	newPlugin := func(t *testing.T) covet.Plugin {
		be, err := redisstore.NewURL(url + "?client_name=" + clientName)
		if err != nil {
			t.Fatal(err)
		}
		return ratelimit.New(ratelimit.WithBackend(be))
	}
	covettest.FailedStartLeavesNothing(t, newPlugin,
		covettest.LeakVerify(func(t *testing.T) func() {
			ignore := goleak.IgnoreCurrent()
			return func() { goleak.VerifyNone(t, ignore) }
		}),
		covettest.LeakCheck(func(t *testing.T) {
			if list, err := admin.ClientList(context.Background()).Result(); err != nil || strings.Contains(list, "name="+clientName+" ") {
				t.Errorf("a Redis connection named %s is left (or CLIENT LIST failed: %v)", clientName, err)
			}
		}),
	)
}
