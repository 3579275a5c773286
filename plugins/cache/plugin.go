package cache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/redis/go-redis/v9"
)

// Name returns "cache".
func (c *Cache) Name() string { return "cache" }

// Install gives the cache the App's logger (unless WithLogger set one). It
// registers nothing; the invalidation subscriber starts in Start.
func (c *Cache) Install(app *covet.App) error {
	if !c.userLogger {
		c.cfg.logger = app.Logger()
	}
	return nil
}

// subscriber listens for invalidations on the Redis channel.
type subscriber struct {
	ps         *redis.PubSub
	cancel     context.CancelFunc
	done       chan struct{}
	subscribed atomic.Bool
	once       sync.Once
}

// Start starts L1's periodic clean-up (New starts no goroutine) and
// subscribes to the invalidation channel (with WithRedis, unless
// WithoutInvalidation). It does not fail when Redis is down: the
// subscriber keeps reconnecting, readiness reports degraded meanwhile, and
// on every (re)subscription L1 is emptied, since messages sent while it was
// away are lost. ctx is the app's: the subscriber ends with it or in Stop.
func (c *Cache) Start(ctx context.Context) error {
	c.startJanitor()
	if c.rdb == nil || !c.cfg.invalidates || c.sub != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &subscriber{ps: c.rdb.Subscribe(ctx), cancel: cancel, done: make(chan struct{})}
	c.sub = s
	go c.listen(ctx, s)
	sctx, scancel := context.WithTimeout(ctx, c.cfg.timeout*10)
	defer scancel()
	if err := s.ps.Subscribe(sctx, c.cfg.channel); err != nil {
		c.cfg.logger.Warn("cache: cannot subscribe to invalidations yet; L1 TTL bounds staleness", "error", err)
	}
	return nil
}

func (c *Cache) listen(ctx context.Context, s *subscriber) {
	defer close(s.done)
	for {
		msg, err := s.ps.Receive(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if s.subscribed.CompareAndSwap(true, false) {
				c.cfg.logger.Warn("cache: invalidation channel lost; L1 TTL bounds staleness until it is back", "error", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(c.cfg.backoff / 4):
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				// Messages sent while unsubscribed are lost: drop L1.
				c.l1.InvalidateAll()
				if s.subscribed.CompareAndSwap(false, true) {
					c.cfg.logger.Info("cache: subscribed to invalidations", "channel", m.Channel)
				}
			}
		case *redis.Message:
			c.handleMessage(m.Payload)
		}
	}
}

// startJanitor starts L1's periodic clean-up (expired entries dropped every
// second, otter's own period), unless it runs.
func (c *Cache) startJanitor() {
	j := &c.janitor
	j.Lock()
	defer j.Unlock()
	if j.stop != nil {
		return
	}
	j.stop, j.done = make(chan struct{}), make(chan struct{})
	go func(stop, done chan struct{}) {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				c.l1.CleanUp()
			}
		}
	}(j.stop, j.done)
}

// stopJanitor ends the clean-up goroutine and waits for it.
func (c *Cache) stopJanitor() {
	j := &c.janitor
	j.Lock()
	defer j.Unlock()
	if j.stop == nil {
		return
	}
	close(j.stop)
	<-j.done
	j.stop, j.done = nil, nil
}

// Stop ends the subscriber and L1's periodic clean-up.
func (c *Cache) Stop(ctx context.Context) error {
	c.stopJanitor()
	s := c.sub
	if s == nil {
		return nil
	}
	var err error
	s.once.Do(func() {
		s.cancel()
		err = s.ps.Close()
		select {
		case <-s.done:
		case <-ctx.Done():
		}
	})
	return err
}

// Cleanup runs when the app's life ends (after Stop, after a failed Start,
// or when an Install that installed the cache failed): it ends the
// invalidation subscriber and L1's periodic clean-up if Stop did not, so
// nothing the cache started outlives the app. The cache stays usable:
// expired L1 entries are then dropped when read, or by the size bound.
func (c *Cache) Cleanup() error {
	return c.Stop(context.Background())
}

// Subscribed reports whether the invalidation subscriber is subscribed (it
// is false before Start, without Redis, and while the channel is lost).
func (c *Cache) Subscribed() bool { return c.sub != nil && c.sub.subscribed.Load() }

// CheckHealth reports the cache: degraded (never down: the app serves from
// loaders) while Redis fails or, for readiness, while the invalidation
// channel is lost. Details carry the Stats.
func (c *Cache) CheckHealth(ctx context.Context, kind covet.HealthKind) covet.HealthReport {
	rep := covet.HealthReport{Status: covet.HealthOK, Details: map[string]any{"stats": c.Stats()}}
	if c.rdb == nil {
		return rep
	}
	if c.l2Down.Load() {
		rep.Status, rep.Error = covet.HealthDegraded, "redis unreachable: serving from L1 and loaders"
		return rep
	}
	if kind == covet.Readiness && c.cfg.invalidates && c.sub != nil && !c.sub.subscribed.Load() {
		rep.Status, rep.Error = covet.HealthDegraded, "invalidation channel lost: L1 entries may be stale up to the L1 TTL"
	}
	return rep
}

var (
	_ covet.Plugin        = (*Cache)(nil)
	_ covet.Starter       = (*Cache)(nil)
	_ covet.Cleaner       = (*Cache)(nil)
	_ covet.Stopper       = (*Cache)(nil)
	_ covet.HealthChecker = (*Cache)(nil)
)

// AppendStats appends the cache's figures (covet.StatsReporter): hits,
// misses, stale_serves, loads, load_errors, evictions, invalidations,
// redis_errors, remote_invalidations, stale_writes_skipped,
// deferred_invalidations (counters) and entries (L1's estimated size).
func (c *Cache) AppendStats(dst []covet.Stat) []covet.Stat {
	s := c.Stats()
	return append(dst,
		covet.Stat{Name: "hits", Help: "Lookups answered from L1 or Redis.", Kind: covet.StatCounter, Value: float64(s.Hits)},
		covet.Stat{Name: "misses", Help: "Lookups that found nothing fresh.", Kind: covet.StatCounter, Value: float64(s.Misses)},
		covet.Stat{Name: "stale_serves", Help: "Lookups answered with a stale value while it reloaded.", Kind: covet.StatCounter, Value: float64(s.StaleServes)},
		covet.Stat{Name: "loads", Help: "Loader calls.", Kind: covet.StatCounter, Value: float64(s.Loads)},
		covet.Stat{Name: "load_errors", Help: "Loader calls that failed.", Kind: covet.StatCounter, Value: float64(s.LoadErrors)},
		covet.Stat{Name: "evictions", Help: "Entries L1 evicted to stay within its size.", Kind: covet.StatCounter, Value: float64(s.Evictions)},
		covet.Stat{Name: "invalidations", Help: "Keys and tags invalidated by this instance.", Kind: covet.StatCounter, Value: float64(s.Invalidations)},
		covet.Stat{Name: "redis_errors", Help: "Failed Redis calls (each fell back to L1 or the loader, or skipped a write).", Kind: covet.StatCounter, Value: float64(s.RedisErrors)},
		covet.Stat{Name: "remote_invalidations", Help: "Invalidation messages received from other instances.", Kind: covet.StatCounter, Value: float64(s.RemoteInvalidations)},
		covet.Stat{Name: "stale_writes_skipped", Help: "Loaded values not stored because an invalidation happened while they loaded.", Kind: covet.StatCounter, Value: float64(s.StaleWritesSkipped)},
		covet.Stat{Name: "deferred_invalidations", Help: "Writes and invalidations applied to Redis later, when it answered again.", Kind: covet.StatCounter, Value: float64(s.DeferredInvalidations)},
		covet.Stat{Name: "entries", Help: "Entries in L1 (estimated).", Kind: covet.StatGauge, Value: float64(s.Entries)},
	)
}

// AppendStats appends the response cache's figures (covet.StatsReporter):
// hits, misses, stores, bypasses and not_modified (304s).
func (h *HTTPCache) AppendStats(dst []covet.Stat) []covet.Stat {
	s := h.Stats()
	return append(dst,
		covet.Stat{Name: "hits", Help: "Responses served from the cache.", Kind: covet.StatCounter, Value: float64(s.Hits)},
		covet.Stat{Name: "misses", Help: "Cacheable requests the cache could not answer.", Kind: covet.StatCounter, Value: float64(s.Misses)},
		covet.Stat{Name: "stores", Help: "Responses stored.", Kind: covet.StatCounter, Value: float64(s.Stores)},
		covet.Stat{Name: "bypasses", Help: "Requests that bypassed the cache.", Kind: covet.StatCounter, Value: float64(s.Bypasses)},
		covet.Stat{Name: "not_modified", Help: "Conditional requests answered 304 from the cache.", Kind: covet.StatCounter, Value: float64(s.NotModified)},
	)
}

var (
	_ covet.StatsReporter = (*Cache)(nil)
	_ covet.StatsReporter = (*HTTPCache)(nil)
)
