package redisstore

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/ratelimit"
	"github.com/redis/go-redis/v9"
)

// roomy never refuses in a benchmark: a high rate and a huge burst.
var roomy = ratelimit.PerSecond(1_000_000).Burst(math.MaxInt32)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// BenchmarkRedisTake is one check against the real Redis; it reports the
// writes (round trips) per check, which must be 1.
func BenchmarkRedisTake(b *testing.B) {
	opt := realOptions(b)
	prefix := testPrefix(b, opt)
	d := &countingDialer{}
	copt := *opt
	copt.Dialer = d.dial
	client := redis.NewClient(&copt)
	defer client.Close()
	be := New(client, WithKeyPrefix(prefix), WithCheckTimeout(time.Second))
	if err := be.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	reqs := []ratelimit.Request{{Scope: "bench/bench.second/g", Key: "203.0.113.9", Limit: roomy}, {Scope: "bench/bench.day/g", Key: "203.0.113.9", Limit: ratelimit.PerDay(math.MaxInt32)}}
	out := make([]ratelimit.Decision, 2)
	ctx := context.Background()
	be.Take(ctx, reqs, out)
	w0 := d.writes.Load()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ok, err := be.Take(ctx, reqs, out); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(d.writes.Load()-w0)/float64(b.N), "roundtrips/op")
}

func TestRedisContractAndHealth(t *testing.T) {
	opt := realOptions(t)
	prefix := testPrefix(t, opt)
	covettest.PluginContract(t, func() covet.Plugin {
		be, err := NewURL(covettest.RedisURL(), WithKeyPrefix(prefix))
		if err != nil {
			t.Fatal(err)
		}
		return ratelimit.New(ratelimit.WithBackend(be))
	})
	be := New(newRealRedis(t, opt), WithKeyPrefix(prefix), WithCheckTimeout(roomyTimeout))
	if rep := be.CheckHealth(context.Background(), covet.Readiness); rep.Status != covet.HealthOK || rep.Details["breaker"] != "closed" {
		t.Errorf("health = %+v", rep)
	}
	down, err := NewURL("redis://127.0.0.1:1/0", WithBreaker(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer down.Stop(context.Background())
	_, terr := down.Take(context.Background(), []ratelimit.Request{{Scope: "s", Key: "k", Limit: ratelimit.PerSecond(1)}}, make([]ratelimit.Decision, 1))
	if !errors.Is(terr, ratelimit.ErrUnavailable) {
		t.Errorf("take on a dead Redis: %v, want ratelimit.ErrUnavailable", terr)
	}
	if rep := down.CheckHealth(context.Background(), covet.Readiness); rep.Status != covet.HealthDegraded {
		t.Errorf("health of a dead Redis = %+v, want degraded", rep)
	}
	if _, err := NewURL("mysql://nope"); err == nil || !strings.HasPrefix(err.Error(), "redisstore: ") {
		t.Errorf("bad URL error = %v", err)
	}
}
