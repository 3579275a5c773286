package authredis_test

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authredis"
	"github.com/redis/go-redis/v9"
)

// stallHook fails every command with a passed deadline while on: what a
// paused Redis, or a goroutine the scheduler did not run in time, looks
// like to the store (at once, so the test needs no short timeouts that a
// loaded machine would also exceed on the answered commands).
type stallHook struct{ on atomic.Bool }

func (h *stallHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *stallHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.on.Load() {
			cmd.SetErr(context.DeadlineExceeded)
			return context.DeadlineExceeded
		}
		return next(ctx, cmd)
	}
}
func (h *stallHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestBreakerTimeouts: timeouts between answered commands (a loaded
// machine) fail those commands but do not open the breaker; timeouts that
// last the stall window (Redis really stalled) open it; an unreachable
// Redis opens it after the failure count.
func TestBreakerTimeouts(t *testing.T) {
	opt := realRedis(t)
	prefix := testPrefix(t, opt)
	ctx := context.Background()
	iat := time.Now().Add(-time.Minute)

	t.Run("short stalls do not open it", func(t *testing.T) {
		c := newClient(t, opt)
		h := &stallHook{}
		c.AddHook(h)
		rev, err := authredis.NewRevocation(c, authredis.WithKeyPrefix(prefix), authredis.WithTimeout(10*time.Second),
			authredis.WithBreaker(3, time.Hour), authredis.WithStallWindow(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		for round := range 3 {
			h.on.Store(true)
			for i := range 10 {
				if _, err := rev.Revoked(ctx, "j1", "alice", iat); !errors.Is(err, auth.ErrStoreUnavailable) {
					t.Fatalf("round %d, stalled command %d: err %v, want ErrStoreUnavailable", round, i, err)
				}
			}
			if st := rev.BreakerState(); st != "closed" {
				t.Fatalf("round %d: breaker %s after timeouts shorter than the stall window", round, st)
			}
			h.on.Store(false)
			if revoked, err := rev.Revoked(ctx, "j1", "alice", iat); err != nil || revoked {
				t.Fatalf("round %d: answered command: %v %v", round, revoked, err)
			}
		}
	})

	t.Run("a real stall opens it", func(t *testing.T) {
		c := newClient(t, opt)
		h := &stallHook{}
		c.AddHook(h)
		rev, err := authredis.NewRevocation(c, authredis.WithKeyPrefix(prefix), authredis.WithTimeout(10*time.Second),
			authredis.WithBreaker(3, time.Hour), authredis.WithStallWindow(200*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		h.on.Store(true)
		began := time.Now()
		deadline := began.Add(30 * time.Second)
		for rev.BreakerState() != "open" {
			if time.Now().After(deadline) {
				t.Fatal("breaker still closed after 30 s of a stalled Redis")
			}
			if _, err := rev.Revoked(ctx, "j1", "alice", iat); !errors.Is(err, auth.ErrStoreUnavailable) {
				t.Fatalf("stalled command: err %v", err)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if took := time.Since(began); took < 200*time.Millisecond {
			t.Errorf("breaker opened %s into the stall, before the 200 ms window", took)
		}
		// Open: refused at once, without waiting for Redis.
		h.on.Store(false)
		if _, err := rev.Revoked(ctx, "j1", "alice", iat); !errors.Is(err, auth.ErrStoreUnavailable) {
			t.Fatalf("open breaker: err %v", err)
		}
	})

	t.Run("unreachable opens it at once", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens: connections are refused
		c := newClient(t, &redis.Options{Addr: addr, ContextTimeoutEnabled: true, MaxRetries: -1})
		rev, err := authredis.NewRevocation(c, authredis.WithTimeout(5*time.Second),
			authredis.WithBreaker(3, time.Hour), authredis.WithStallWindow(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := rev.Revoked(ctx, "j1", "alice", iat); !errors.Is(err, auth.ErrStoreUnavailable) {
				t.Fatalf("command %d: err %v", i, err)
			}
		}
		if st := rev.BreakerState(); st != "open" {
			t.Fatalf("breaker %s after 3 refused connections", st)
		}
	})
}
