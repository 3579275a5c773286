// Package cache is Covet's caching plugin: a typed two-level data cache and
// an HTTP response cache.
//
// The data cache keeps entries in process (L1, on otter's W-TinyLFU store)
// and, with WithRedis, in Redis (L2) shared by every instance:
//
//	c, err := cache.New(cache.WithRedis(rdb))
//	err = app.Install(c) // starts the invalidation subscriber with the app
//	t, err := cache.GetOrLoad(ctx, c, "task:42", time.Minute, loadTask, cache.Tags("task:42", "board:7"))
//	c.InvalidateTags(ctx, "board:7") // after a write: gone on every instance
//
// GetOrLoad runs one loader per key per instance (singleflight), remembers
// ErrNotFound (negative caching), can serve stale values while one
// background load refreshes them or while the loader fails, and shortens
// TTLs by a random jitter.
//
// Redis failure policy: every Redis call is bounded by WithRedisTimeout (a
// context deadline); a failed call is counted (Stats.RedisErrors), logged
// once per episode, and Redis is skipped for WithRedisBackoff. Reads fall
// through to L1 and the loader, writes go to L1 only: the cache never turns
// a Redis failure into an error. Readiness reports degraded meanwhile.
//
// Invalidation across instances uses Redis pub/sub: Set, Delete and
// InvalidateTags publish, and every instance's subscriber evicts its L1
// entries. When the channel is lost, messages are lost: L1 entries then
// live at most WithL1TTL, the subscriber empties L1 when it subscribes
// again, and readiness reports degraded until it does.
//
// The response cache (Middleware, Plugin's route options) stores GET
// responses by RFC 9111's rules in a Cache; see Middleware.
package cache
