package ws_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// TestFailedStartLeavesNothing installs the hub with a Redis broker that owns its client and runs
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
	clientName := fmt.Sprintf("covet-leak-ws-%d", time.Now().UnixNano())
	newPlugin := func(t *testing.T) covet.Plugin {
		o := *opt
		o.ClientName = clientName
		return ws.NewHub(ws.WithBroker(ws.NewRedisBroker(redis.NewClient(&o), "covet-leak-ws", true)))
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
