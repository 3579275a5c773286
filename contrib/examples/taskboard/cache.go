package main

import (
	"context"
	"strconv"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/cache"
	"github.com/redis/go-redis/v9"
)

// The response cache (plugins/cache) answers the anonymous task list and
// task detail (GET /api/v1/tasks and /api/v1/tasks/{id}) from memory and,
// when Redis is configured, from Redis shared by the instances. Every task
// write (API or UI: each one calls noteChange) invalidates the list's tag
// and the task's tag on every instance once the handler returned, so after
// the transaction committed. Requests with a session cookie or an
// Authorization header bypass the cache (plugins/cache's default): nothing
// per-user is ever stored.

// responseCacheTTL bounds how long a stored response lives; invalidation,
// not the TTL, keeps it current. Clients and CDNs get
// "public, max-age=0, s-maxage=60": they revalidate with the ETag.
const responseCacheTTL = time.Minute

// boardTag tags every stored task list; taskTag one task's detail.
const boardTag = "board"

func taskTag(id int64) string { return "task:" + strconv.FormatInt(id, 10) }

// responseCache is the taskboard's response cache and its data cache.
type responseCache struct {
	data *cache.Cache
	http *cache.HTTPCache
}

// installCache installs the response cache (unless cfg turns it off) with
// Redis as L2 and the invalidation channel when rdb is set (keys and
// channel under prefix+"cache:"), memory only otherwise, and the
// middleware that invalidates after writes. It returns the route options of
// the list and detail routes (none when the cache is off).
func installCache(app *covet.App, cfg Config, rdb *redis.Client, prefix string) (list, detail []covet.RouteOption, err error) {
	if cfg.NoResponseCache {
		return nil, nil, nil
	}
	opts := []cache.Option{cache.WithPrefix(prefix + "cache:"), cache.WithMaxEntries(50_000)}
	if rdb != nil {
		// A write's invalidation reaches the other instances only if its
		// Redis call (delete the tagged keys, publish) succeeds: a timeout
		// leaves their L1 and Redis stale up to the TTL. So a generous
		// bound, not the plugin's 100 ms that a loaded host overruns; a
		// Redis outage costs one such wait, then the plugin skips Redis
		// for its backoff.
		opts = append(opts, cache.WithRedis(rdb), cache.WithRedisTimeout(time.Second))
		// Invalidation messages reach the other instances after the
		// write's answer, so a read there right after it could be served
		// from memory, stale. The check (one round trip per in-memory hit,
		// or per entry per CacheMaxStale: are the generations of the
		// entry's key and tags newer than the entry?) bounds that; a task
		// write outdates the lists and that task's detail only.
		if cfg.CacheMaxStale >= 0 {
			opts = append(opts, cache.WithL1Check(cfg.CacheMaxStale))
		}
	}
	data, err := cache.New(opts...)
	if err != nil {
		return nil, nil, err
	}
	// Every write that changes a stored response invalidates it by tag
	// (noteChange: the lists' tag and the task's), so the eviction of the
	// write's own URL that the response cache adds by default (RFC 9111
	// §4.4) is redundant: without it a create's invalidation is one
	// PUBLISH, not two, and every instance receives one message for it.
	rc := &responseCache{data: data, http: cache.NewHTTP(data, cache.WithoutUnsafeInvalidation())}
	if err := app.Install(data); err != nil {
		return nil, nil, err
	}
	if err := app.Install(rc.http); err != nil {
		return nil, nil, err
	}
	app.Use(rc.invalidateChanges)
	// Keyset pages (cursor=) bypass the cache: one index range scan of
	// limit+1 rows and no count, they cost about what the cache's round
	// trips cost, and every task write voids them. Measured under the
	// scaleout comparison's mix (20 % creates; contrib/scaleout/docs/
	// scaling.md, "tbperf"): caching them cost 0.35-0.4 ms more CPU per
	// request than it saved. Offset pages, whose total counts every task,
	// stay cached.
	list = []covet.RouteOption{cache.Route(cache.For(responseCacheTTL),
		cache.BypassIf(func(c *covet.Context) bool { return c.QueryValues().Has("cursor") }),
		cache.TagsFrom(func(*covet.Context) []string { return []string{boardTag} }))}
	// A task's detail is cached once it is read a second time within the
	// TTL on this instance: reads of a long tail of tasks (most of them
	// read once) would each pay a lookup and a store in Redis for an
	// entry nobody reads again (under the scaleout mix, reads of random
	// tasks, nearly all of them).
	detail = []covet.RouteOption{cache.Route(cache.For(responseCacheTTL), cache.AdmitRepeats(responseCacheTTL),
		cache.TagsFrom(func(c *covet.Context) []string {
			id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
			return []string{taskTag(id)}
		}))}
	return list, detail, nil
}

// invalidateChanges runs inside broadcastChanges: the tags of the tasks a
// write changes (noteChange) and the lists' tag are handed to the response
// cache (cache.InvalidateAfter), which invalidates them with the write's
// own URL in one Redis round trip once the handler returned, so after the
// transaction committed, whatever the handler's outcome (a rolled-back
// change costs only a refill). Changes the response cache could not take
// are invalidated here after the handler. Either way this instance's
// entries are evicted before the answer leaves this middleware, so the
// writer's next read is fresh; other instances get it through Redis
// pub/sub.
func (rc *responseCache) invalidateChanges(next covet.HandlerFunc) covet.HandlerFunc {
	return func(c *covet.Context) error {
		p, ok := liveKey.Get(c)
		if ok {
			p.cache = rc.data
		}
		err := next(c)
		if !ok || len(p.unhanded) == 0 {
			return err
		}
		tags := make([]string, 0, len(p.unhanded)+1)
		tags = append(tags, boardTag)
		for _, ev := range p.unhanded {
			tags = append(tags, taskTag(ev.ID))
		}
		rc.data.InvalidateTags(context.WithoutCancel(c.Context()), tags...)
		return err
	}
}
