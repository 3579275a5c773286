package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// ErrNotFound is what a loader returns when the value does not exist (a
// missing row). GetOrLoad remembers it for WithNegativeTTL and returns it
// to later callers without calling the loader. Wrap it (fmt.Errorf("...: %w",
// cache.ErrNotFound)) or return it as is.
var ErrNotFound = errors.New("cache: not found")

// Cache is a two-level cache: an in-process store (otter, W-TinyLFU) and,
// with WithRedis, a Redis store shared by every instance. It is safe for
// concurrent use. Read it with Get and GetOrLoad, write it with Set, remove
// entries with Delete and InvalidateTags.
//
// A Cache with Redis must be started (Start, or App.Install: it is a
// plugin) for invalidations from other instances to reach its L1; until
// then, and while the channel is lost, WithL1TTL bounds staleness.
type Cache struct {
	cfg config
	l1  *otter.Cache[string, *entry]
	rdb redis.UniversalClient
	sf  singleflight.Group
	id  string // instance id: an instance ignores its own messages

	// gen counts tag invalidations; tagGen maps a tag to the gen of its
	// last invalidation (a tagRecord). An L1 entry read or loaded at gen g
	// is void once one of its tags has a record > g.
	gen      atomic.Uint64
	tagGen   sync.Map
	tagCount atomic.Int64

	l2DownUntil atomic.Int64  // unix nanos; Redis is skipped until then
	l2Down      atomic.Bool   // a failure episode is under way (for logs and health)
	pend        pendingWrites // writes that did not reach Redis (pending.go)

	sub     *subscriber
	janitor struct { // L1's periodic clean-up, run from Start to Stop
		sync.Mutex
		stop chan struct{}
		done chan struct{}
	}
	hooksM sync.Mutex
	hooks  []func(ctx context.Context, tags []string)
	// observers see every remote invalidation applied (tests measure latency).
	observers []func(kind byte, names []string)

	st         counters
	userLogger bool
}

type tagRecord struct {
	gen uint64
	at  int64
}

// entry is what both levels hold.
type entry struct {
	value any    // the value as stored or decoded (nil for negative entries)
	raw   []byte // the encoded value, for Redis and for reading as another type
	neg   bool   // a remembered ErrNotFound
	fresh int64  // unix nanos: fresh until
	gen   uint64 // tag generation when it entered L1
	tags  []string
	// epochs are Redis's epochs read with the entry (WithL1Check; epochOK
	// when known): the entry is current as of them. checked is when it was
	// last found current (unix nanos, shared by the copies decoded makes).
	epochs  epochs
	epochOK bool
	checked *atomic.Int64
}

// l1Check decides whether an L1 entry may be served (WithL1Check). Not
// checked (no check, not due, Redis failing): e itself. Checked: one script
// (checkScript) compares the generations of the entry's key and tags with
// the epochs it was read at; still current, e itself; outdated, the entry
// Redis holds now (current as of the epochs read with it, put in L1), or ok
// false when Redis holds none (a miss: st, when given, is filled for the
// fill's store, as l2GetStamp does).
func (c *Cache) l1Check(ctx context.Context, key string, e *entry, st *stamp) (*entry, bool) {
	if !c.cfg.l1Check || c.rdb == nil {
		return e, true
	}
	now := time.Now().UnixNano()
	if e.epochOK && c.cfg.l1CheckAge > 0 && now-e.checked.Load() <= int64(c.cfg.l1CheckAge) {
		return e, true
	}
	gen := c.gen.Load()
	cctx, cancel, ok := c.l2ctx(ctx)
	if !ok {
		return c.unchecked(e)
	}
	defer cancel()
	keys := make([]string, 3, 4+len(e.tags))
	keys[0], keys[1], keys[2] = c.rkey(key), c.repoch(), c.rsepoch()
	keys = c.gens(keys, key, e.tags)
	ep := e.epochs
	if !e.epochOK {
		ep = epochs{e: -1} // never current: fetch
	}
	res, err := checkScript.Run(cctx, c.rdb, keys, ep.e, ep.s).Result()
	c.l2result(ctx, "check", err)
	if err != nil {
		return c.unchecked(e)
	}
	c.st.l1Checks.Add(1)
	vals, outdated := res.([]any)
	if !outdated && e.epochOK {
		e.checked.Store(now)
		return e, true
	}
	c.st.l1Outdated.Add(1)
	var cur epochs
	if len(vals) >= 2 {
		ce, _ := vals[0].(int64)
		cs, _ := vals[1].(int64)
		cur = epochs{e: ce, s: cs}
	}
	if st != nil {
		*st = stamp{gen: gen, epochs: cur, check: true, taken: true}
	}
	if len(vals) == 3 {
		if b, ok := vals[2].(string); ok {
			if ne, ok := decodeEntry([]byte(b)); ok {
				ne.gen = gen
				ne.epochs, ne.epochOK = cur, true
				ne.checked = new(atomic.Int64)
				ne.checked.Store(now)
				if c.valid(ne) {
					c.l1.Set(key, ne)
					return ne, true
				}
			}
		}
	}
	c.l1.Invalidate(key)
	return nil, false
}

// unchecked applies WithCheckFailure to a hit Redis could not check.
func (c *Cache) unchecked(e *entry) (*entry, bool) {
	if c.cfg.checkFail == FailClosed {
		return nil, false
	}
	c.st.l1Unchecked.Add(1)
	return e, true
}

// New returns a cache configured by opts; it fails on an invalid option.
func New(opts ...Option) (*Cache, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Cache{cfg: cfg, rdb: cfg.rdb, id: strconv.FormatUint(rand.Uint64(), 36)}
	c.userLogger = c.cfg.logger != nil
	if c.cfg.logger == nil {
		c.cfg.logger = slog.New(slog.DiscardHandler)
	}
	keep := max(cfg.swr, cfg.sie)
	l1, err := otter.New(&otter.Options[string, *entry]{
		MaximumSize: cfg.size,
		// No ticks: otter's periodic clean-up goroutine, which it would
		// start here, returns at once; Start runs the clean-ups instead
		// (constructors start nothing).
		Clock: l1Clock{},
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, *entry]) time.Duration {
			return min(time.Duration(e.Value.fresh-time.Now().UnixNano())+keep, cfg.l1TTL)
		}),
		OnDeletion: func(e otter.DeletionEvent[string, *entry]) {
			if e.Cause == otter.CauseOverflow {
				c.st.evictions.Add(1)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	c.l1 = l1
	return c, nil
}

// l1Clock is otter's clock without ticks (see New and Start).
type l1Clock struct{}

func (l1Clock) NowNano() int64                      { return time.Now().UnixNano() }
func (l1Clock) Tick(time.Duration) <-chan time.Time { return nil }

// ttlFor applies the jitter to ttl.
func (c *Cache) ttlFor(ttl time.Duration) time.Duration {
	if c.cfg.jitter > 0 && ttl > 0 {
		ttl -= time.Duration(rand.Float64() * c.cfg.jitter * float64(ttl))
	}
	return ttl
}

// valid reports whether no tag of e was invalidated after e entered L1.
func (c *Cache) valid(e *entry) bool {
	if c.tagCount.Load() == 0 {
		return true
	}
	for _, t := range e.tags {
		if r, ok := c.tagGen.Load(t); ok && r.(tagRecord).gen > e.gen {
			return false
		}
	}
	return true
}

// lookup returns the entry under key from L1, else from Redis (filling
// L1), or nil. Expired-but-usable (stale) entries are returned too.
func (c *Cache) lookup(ctx context.Context, key string) *entry {
	return c.lookupStamp(ctx, key, nil)
}

// lookupStamp is lookup; with st, a Redis lookup also reads the epoch in
// the same round trip and fills st (see l2GetStamp).
func (c *Cache) lookupStamp(ctx context.Context, key string, st *stamp) *entry {
	if e, ok := c.l1.GetIfPresent(key); ok {
		if c.valid(e) {
			e, _ = c.l1Check(ctx, key, e, st)
			return e
		}
		c.l1.Invalidate(key)
	}
	if c.rdb == nil {
		return nil
	}
	if st == nil && c.cfg.l1Check {
		st = &stamp{} // the epoch is needed to check the entry's L1 hits
	}
	gen := c.gen.Load()
	var e *entry
	if st != nil {
		e = c.l2GetStamp(ctx, key, st)
		if e != nil && c.cfg.l1Check && st.taken && !st.skipL2 {
			e.epochs, e.epochOK = st.epochs, true
			e.checked = new(atomic.Int64)
			e.checked.Store(time.Now().UnixNano())
		}
	} else {
		e = c.l2Get(ctx, key)
	}
	if e == nil {
		return nil
	}
	e.gen = gen
	if c.valid(e) {
		c.l1.Set(key, e)
	}
	return e
}

// Get returns the value stored under key as a T, and whether there was a
// fresh one. A Redis failure is a miss (counted, logged), never an error.
func Get[T any](ctx context.Context, c *Cache, key string) (T, bool) {
	var zero T
	e := c.lookup(ctx, key)
	if e == nil || e.neg || e.fresh < time.Now().UnixNano() {
		c.st.misses.Add(1)
		return zero, false
	}
	v, err := as[T](c, e)
	if err != nil {
		c.st.misses.Add(1)
		return zero, false
	}
	c.st.hits.Add(1)
	return v, true
}

// as returns e's value as a T, decoding its encoded form when the stored
// value is of another type (it came from Redis, or was stored as another).
func as[T any](c *Cache, e *entry) (T, error) {
	if v, ok := e.value.(T); ok {
		return v, nil
	}
	var v T
	raw := e.raw
	if raw == nil {
		b, err := c.cfg.codec.Marshal(e.value)
		if err != nil {
			return v, fmt.Errorf("cache: encode: %w", err)
		}
		raw = b
	}
	if err := c.cfg.codec.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("cache: decode as %T: %w", v, err)
	}
	return v, nil
}

// Set stores v under key for ttl (less the jitter) in L1 and Redis, and
// evicts key from every other instance's L1. A Redis failure skips the
// Redis write (counted, logged); the error is only for a value the codec
// cannot encode.
func (c *Cache) Set(ctx context.Context, key string, v any, ttl time.Duration, opts ...SetOption) error {
	var sc setConfig
	for _, o := range opts {
		o(&sc)
	}
	return c.set(ctx, key, v, false, c.ttlFor(ttl), sc.tags, stamp{gen: c.gen.Load()}, true)
}

// set stores v in Redis and L1. A loaded value (st.check) whose Redis
// write is refused because an invalidation happened while it loaded is not
// put in L1 either.
func (c *Cache) set(ctx context.Context, key string, v any, neg bool, ttl time.Duration, tags []string, st stamp, announce bool) error {
	e := &entry{value: v, neg: neg, fresh: time.Now().Add(ttl).UnixNano(), gen: st.gen, tags: tags}
	if c.rdb != nil {
		if !neg {
			raw, err := c.cfg.codec.Marshal(v)
			if err != nil {
				return fmt.Errorf("cache: encode %q: %w", key, err)
			}
			e.raw = raw
		}
		if !c.l2Set(ctx, key, e, ttl+max(c.cfg.swr, c.cfg.sie), announce, st) {
			c.st.staleWrites.Add(1)
			return nil
		}
		c.stored(e, st)
	}
	if c.valid(e) {
		c.l1.Set(key, e)
	}
	return nil
}

// stored records on e, a loaded value Redis just stored, that it is current
// as of the epochs its loader read (its first L1 check then costs no fetch).
func (c *Cache) stored(e *entry, st stamp) {
	if c.cfg.l1Check && st.check && !st.skipL2 && c.rdb != nil {
		e.epochs, e.epochOK = st.epochs, true
		e.checked = new(atomic.Int64)
		e.checked.Store(time.Now().UnixNano())
	}
}

// Delete removes key from L1, from Redis and from every instance's L1.
func (c *Cache) Delete(ctx context.Context, key string) {
	c.l1.Invalidate(key)
	c.sf.Forget(key)
	c.st.invalidations.Add(1)
	c.l2Delete(ctx, key)
}

// InvalidateTags removes every entry tagged with one of tags: from L1 at
// once, from Redis, and from every instance's L1 when its subscriber gets
// the message. Response-cache purgers (CDN) registered with OnInvalidate
// are called too. Redis failures are counted and logged, not returned;
// then other instances' L1 entries live until WithL1TTL.
func (c *Cache) InvalidateTags(ctx context.Context, tags ...string) {
	if len(tags) == 0 {
		return
	}
	c.invalidateLocal(tags)
	c.l2InvalidateTags(ctx, tags)
	c.hooksM.Lock()
	hooks := c.hooks
	c.hooksM.Unlock()
	for _, h := range hooks {
		h(ctx, tags)
	}
}

// invalidate is Delete of keys and InvalidateTags of tags at once: one
// Redis round trip for both.
func (c *Cache) invalidate(ctx context.Context, keys, tags []string) {
	for _, k := range keys {
		c.l1.Invalidate(k)
		c.sf.Forget(k)
	}
	c.st.invalidations.Add(int64(len(keys)))
	if len(tags) > 0 {
		c.invalidateLocal(tags)
	}
	if c.rdb != nil {
		c.l2Invalidate(ctx, keys, tags)
	}
	if len(tags) == 0 {
		return
	}
	c.hooksM.Lock()
	hooks := c.hooks
	c.hooksM.Unlock()
	for _, h := range hooks {
		h(ctx, tags)
	}
}

// OnInvalidate registers fn to be called by InvalidateTags on this
// instance (a CDN purger, see HTTPPurger).
func (c *Cache) OnInvalidate(fn func(ctx context.Context, tags []string)) {
	c.hooksM.Lock()
	c.hooks = append(c.hooks, fn)
	c.hooksM.Unlock()
}

// invalidateLocal voids the L1 entries tagged with tags.
func (c *Cache) invalidateLocal(tags []string) {
	g := c.gen.Add(1)
	now := time.Now().UnixNano()
	for _, t := range tags {
		if _, loaded := c.tagGen.Swap(t, tagRecord{gen: g, at: now}); !loaded {
			if c.tagCount.Add(1)%1024 == 0 {
				c.pruneTags(now)
			}
		}
	}
	c.st.invalidations.Add(int64(len(tags)))
}

// pruneTags drops records older than the L1 TTL: no L1 entry they could
// void is still there.
func (c *Cache) pruneTags(now int64) {
	limit := now - int64(c.cfg.l1TTL) - int64(time.Second)
	c.tagGen.Range(func(k, v any) bool {
		if v.(tagRecord).at < limit {
			c.tagGen.Delete(k)
			c.tagCount.Add(-1)
		}
		return true
	})
}

// GetOrLoad returns the value under key, calling loader when there is none
// (or it expired). Concurrent callers for one key on one instance share one
// loader call (singleflight); the loader gets the first caller's context.
//
//   - A loader result is stored for ttl (less the jitter), with the tags of opts.
//   - A loader error wrapping ErrNotFound is stored for WithNegativeTTL and
//     returned (errors.Is(err, cache.ErrNotFound)) without calling the
//     loader again meanwhile.
//   - Within WithStaleWhileRevalidate after expiry, the old value is
//     returned at once and one background load refreshes it.
//   - Within WithStaleIfError after expiry, a failing loader's error is
//     dropped and the old value returned.
func GetOrLoad[T any](ctx context.Context, c *Cache, key string, ttl time.Duration, loader func(ctx context.Context) (T, error), opts ...SetOption) (T, error) {
	var zero T
	now := time.Now().UnixNano()
	var st stamp
	e := c.lookupStamp(ctx, key, &st)
	if e != nil && e.fresh >= now {
		c.st.hits.Add(1)
		if e.neg {
			return zero, ErrNotFound
		}
		return as[T](c, e)
	}
	if e != nil && !e.neg && now-e.fresh <= int64(c.cfg.swr) {
		c.st.stale.Add(1)
		// One refresh per key: singleflight.DoChan starts it unless one
		// runs; its context is detached from this request's.
		c.sf.DoChan(key, func() (any, error) {
			return c.load(context.WithoutCancel(ctx), key, ttl, loaderAny(loader), opts, stamp{})
		})
		return as[T](c, e)
	}
	c.st.misses.Add(1)
	// Callers share a load only if they saw the same Redis epochs: a caller
	// that starts after a write must not get the result of a load that
	// started before it (and may have read the old row).
	flight := key
	if st.taken && !st.skipL2 {
		flight = key + "\x00" + strconv.FormatInt(st.epochs.e, 10) + "." + strconv.FormatInt(st.epochs.s, 10)
	} else {
		st = stamp{}
	}
	r, err, _ := c.sf.Do(flight, func() (any, error) {
		return c.load(ctx, key, ttl, loaderAny(loader), opts, st)
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return zero, err
		}
		if e != nil && !e.neg && now-e.fresh <= int64(c.cfg.sie) {
			c.st.stale.Add(1)
			return as[T](c, e)
		}
		return zero, err
	}
	return as[T](c, r.(*entry))
}

func loaderAny[T any](f func(context.Context) (T, error)) func(context.Context) (any, error) {
	return func(ctx context.Context) (any, error) { return f(ctx) }
}

// load runs the loader and stores its result. st is the stamp the
// lookup took (taken), else one is taken now, before loading: a write
// meanwhile that concerns the value voids its store.
func (c *Cache) load(ctx context.Context, key string, ttl time.Duration, loader func(context.Context) (any, error), opts []SetOption, st stamp) (any, error) {
	var sc setConfig
	for _, o := range opts {
		o(&sc)
	}
	if !st.taken {
		st = c.stampNow(ctx)
	}
	c.st.loads.Add(1)
	v, err := loader(ctx)
	if err != nil {
		c.st.loadErrors.Add(1)
		if errors.Is(err, ErrNotFound) && c.cfg.negTTL > 0 {
			_ = c.set(ctx, key, nil, true, c.ttlFor(c.cfg.negTTL), sc.tags, st, false)
		}
		return nil, err
	}
	if err := c.set(ctx, key, v, false, c.ttlFor(ttl), sc.tags, st, false); err != nil {
		return nil, err
	}
	return &entry{value: v, fresh: time.Now().Add(ttl).UnixNano()}, nil
}

// Stats are a cache's counters since New.
type Stats struct {
	Hits          int64 `json:"hits"`
	Misses        int64 `json:"misses"`
	StaleServes   int64 `json:"stale_serves"`
	Loads         int64 `json:"loads"`
	LoadErrors    int64 `json:"load_errors"`
	Evictions     int64 `json:"evictions"`
	Invalidations int64 `json:"invalidations"`
	// RedisErrors counts failed Redis calls (each one fell back to L1 or
	// the loader, or skipped a write).
	RedisErrors int64 `json:"redis_errors"`
	// RemoteInvalidations counts invalidation messages from other instances.
	RemoteInvalidations int64 `json:"remote_invalidations"`
	// StaleWritesSkipped counts loaded values not stored because an
	// invalidation or write happened while they loaded.
	StaleWritesSkipped int64 `json:"stale_writes_skipped"`
	// DeferredInvalidations counts keys and tags whose write or
	// invalidation failed to reach Redis and was applied there later, when
	// Redis answered again (a whole-prefix flush counts one more).
	DeferredInvalidations int64 `json:"deferred_invalidations"`
	// L1Checks counts L1 hits checked against Redis's epoch (WithL1Check),
	// L1Outdated those found outdated (then looked up in Redis).
	L1Checks   int64 `json:"l1_checks"`
	L1Outdated int64 `json:"l1_outdated"`
	// L1Unchecked counts L1 hits served unchecked because Redis could not
	// be asked (WithL1Check, FailOpen).
	L1Unchecked int64 `json:"l1_unchecked"`
	// Entries is the L1 size (estimated).
	Entries int `json:"entries"`
}

type counters struct {
	hits, misses, stale, loads, loadErrors, evictions, invalidations, redisErrors, remote, staleWrites, deferred atomic.Int64
	l1Checks, l1Outdated, l1Unchecked                                                                            atomic.Int64
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	return Stats{
		Hits: c.st.hits.Load(), Misses: c.st.misses.Load(), StaleServes: c.st.stale.Load(),
		Loads: c.st.loads.Load(), LoadErrors: c.st.loadErrors.Load(), Evictions: c.st.evictions.Load(),
		Invalidations: c.st.invalidations.Load(), RedisErrors: c.st.redisErrors.Load(),
		RemoteInvalidations: c.st.remote.Load(), StaleWritesSkipped: c.st.staleWrites.Load(),
		DeferredInvalidations: c.st.deferred.Load(), L1Checks: c.st.l1Checks.Load(), L1Outdated: c.st.l1Outdated.Load(),
		L1Unchecked: c.st.l1Unchecked.Load(),
		Entries:     c.l1.EstimatedSize(),
	}
}
