package cache

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Option configures a Cache (New).
type Option func(*config)

type config struct {
	size        int
	l1TTL       time.Duration
	rdb         redis.UniversalClient
	prefix      string
	timeout     time.Duration
	backoff     time.Duration
	channel     string
	jitter      float64
	negTTL      time.Duration
	swr         time.Duration
	sie         time.Duration
	logger      *slog.Logger
	codec       Codec
	invalidates bool
	l1Check     bool
	l1CheckAge  time.Duration
	checkFail   FailureMode
}

func defaultConfig() config {
	return config{
		size:        100_000,
		l1TTL:       time.Minute,
		prefix:      "covet:cache:",
		timeout:     100 * time.Millisecond,
		backoff:     time.Second,
		jitter:      0.1,
		negTTL:      30 * time.Second,
		codec:       JSONCodec{},
		invalidates: true,
	}
}

func (c *config) validate() error {
	switch {
	case c.size <= 0:
		return fmt.Errorf("cache: WithMaxEntries(%d): want a positive count", c.size)
	case c.l1TTL <= 0:
		return fmt.Errorf("cache: WithL1TTL(%s): want a positive duration", c.l1TTL)
	case c.timeout <= 0:
		return fmt.Errorf("cache: WithRedisTimeout(%s): want a positive duration", c.timeout)
	case c.jitter < 0 || c.jitter >= 1:
		return fmt.Errorf("cache: WithJitter(%g): want a fraction in [0, 1)", c.jitter)
	case c.codec == nil:
		return fmt.Errorf("cache: WithCodec(nil)")
	}
	if c.channel == "" {
		c.channel = c.prefix + "invalidate"
	}
	return nil
}

// WithMaxEntries bounds the in-process (L1) store to n entries; the least
// valuable are evicted first (otter's W-TinyLFU policy). Default: 100,000.
func WithMaxEntries(n int) Option { return func(c *config) { c.size = n } }

// WithL1TTL caps how long an entry stays in the in-process store, whatever
// its own TTL: with Redis, it bounds the staleness an instance can show when
// an invalidation message is lost (see the README's failure policy).
// Default: one minute.
func WithL1TTL(d time.Duration) Option { return func(c *config) { c.l1TTL = d } }

// WithRedis adds a Redis second level (L2) shared by every instance, and
// cross-instance invalidation over Redis pub/sub: a Set, Delete or
// InvalidateTags on one instance evicts the entry from every instance's L1.
// The client's own timeouts and retries are not relied on: every call the
// cache makes is bounded by WithRedisTimeout.
func WithRedis(rdb redis.UniversalClient) Option { return func(c *config) { c.rdb = rdb } }

// WithPrefix sets the prefix of every Redis key and of the invalidation
// channel, so that several caches share one Redis. Default: "covet:cache:".
func WithPrefix(p string) Option { return func(c *config) { c.prefix = p } }

// WithRedisTimeout bounds every Redis call (a context deadline on the call,
// never a goroutine racing a timer). Default: 100 ms.
func WithRedisTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithRedisBackoff sets how long the cache stops calling Redis after a
// failed call: requests meanwhile use L1 and the loader at once instead of
// each waiting for the timeout. Default: one second.
func WithRedisBackoff(d time.Duration) Option { return func(c *config) { c.backoff = d } }

// WithJitter shortens each TTL by a random fraction up to f (0.1: TTLs fall
// in [0.9 ttl, ttl]) so entries written together do not expire together.
// Default: 0.1.
func WithJitter(f float64) Option { return func(c *config) { c.jitter = f } }

// WithNegativeTTL sets how long a loader's ErrNotFound is remembered, so a
// missing row is not looked up on every request. Zero turns negative caching
// off. Default: 30 s.
func WithNegativeTTL(d time.Duration) Option { return func(c *config) { c.negTTL = d } }

// WithStaleWhileRevalidate lets GetOrLoad answer with an expired value for d
// after its TTL while one background load refreshes it. Default: 0 (off).
func WithStaleWhileRevalidate(d time.Duration) Option { return func(c *config) { c.swr = d } }

// WithStaleIfError lets GetOrLoad answer with an expired value for d after
// its TTL when the loader fails. Default: 0 (off).
func WithStaleIfError(d time.Duration) Option { return func(c *config) { c.sie = d } }

// WithLogger sets the logger of Redis failures (one line per failure
// episode, not per call). The plugin sets the App's logger when none is set.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithCodec sets how values are encoded for Redis. Default: JSONCodec.
func WithCodec(cd Codec) Option { return func(c *config) { c.codec = cd } }

// WithoutInvalidation turns cross-instance invalidation off (a single
// instance, or L1 TTLs short enough to bound staleness).
func WithoutInvalidation() Option { return func(c *config) { c.invalidates = false } }

// SetOption configures one Set or GetOrLoad call.
type SetOption func(*setConfig)

type setConfig struct {
	tags []string
}

// Tags attaches tags to the entry; InvalidateTags with any of them removes
// it (from L1 on every instance and from Redis).
//
//	c.Set(ctx, "task:42", task, time.Minute, cache.Tags("task:42", "board:7"))
func Tags(tags ...string) SetOption {
	return func(s *setConfig) { s.tags = append(s.tags, tags...) }
}

// WithL1Check makes an L1 hit ask Redis whether the entry is still
// current before it is served: one script call that compares the
// generations of the entry's key and tags (the epoch of their last write or
// invalidation, set by the script that made it) with the epoch the entry
// was read at. Current, the entry is served and nothing else comes back;
// outdated (a write that concerns it happened on some instance since), the
// same call returns the entry Redis holds now, which is served (or a miss
// when there is none). So an entry another instance invalidated is never
// served from L1 once that invalidation's script has run, whether or not
// its pub/sub message has arrived, and a write outdates only the entries of
// its key and tags.
//
// maxAge 0 checks every hit: a read that starts after a write's
// invalidation completed (on the writer's instance, before its answer is
// sent) is never stale. maxAge > 0 is bounded staleness: an entry checked
// less than maxAge ago is served without asking, so a read may be stale for
// at most maxAge after the invalidation (plus the pub/sub delivery, which
// usually evicts it sooner), at one round trip per entry per maxAge.
// Entries a loader stored are current as of the epoch read before loading;
// those stored by Set are checked (fetched) on their first hit. While Redis
// is failing or backed off, WithCheckFailure decides: FailOpen (default)
// serves hits from L1 unchecked, as without this option (bounded by
// WithL1TTL); FailClosed makes them misses. Without Redis the option does
// nothing.
func WithL1Check(maxAge time.Duration) Option {
	return func(c *config) { c.l1Check, c.l1CheckAge = true, max(maxAge, 0) }
}

// FailureMode is what WithL1Check does with an L1 hit it cannot check
// because Redis is failing or backed off.
type FailureMode int

const (
	// FailOpen serves the hit unchecked (Stats().L1Unchecked counts it):
	// during a Redis outage a read may be stale for up to WithL1TTL, as
	// without WithL1Check; the loaders and the database see no extra load.
	FailOpen FailureMode = iota
	// FailClosed makes the hit a miss: the loader (or the handler, for the
	// response cache) runs, so no read is stale, and the database takes
	// every read while Redis is down.
	FailClosed
)

// WithCheckFailure sets WithL1Check's policy when Redis cannot be asked
// (default FailOpen).
func WithCheckFailure(m FailureMode) Option { return func(c *config) { c.checkFail = m } }
