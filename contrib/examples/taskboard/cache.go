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
	}
	data, err := cache.New(opts...)
	if err != nil {
		return nil, nil, err
	}
	rc := &responseCache{data: data, http: cache.NewHTTP(data)}
	if err := app.Install(data); err != nil {
		return nil, nil, err
	}
	if err := app.Install(rc.http); err != nil {
		return nil, nil, err
	}
	app.Use(rc.invalidateChanges)
	list = []covet.RouteOption{cache.Route(cache.For(responseCacheTTL),
		cache.TagsFrom(func(*covet.Context) []string { return []string{boardTag} }))}
	detail = []covet.RouteOption{cache.Route(cache.For(responseCacheTTL),
		cache.TagsFrom(func(c *covet.Context) []string {
			id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
			return []string{taskTag(id)}
		}))}
	return list, detail, nil
}

// invalidateChanges runs inside broadcastChanges: after a write handler
// returned, it invalidates the tags of the tasks it changed (noteChange),
// and the lists. It does so even when the handler failed after a change (a
// rolled-back change costs only a refill), so no write leaves a stale
// response behind. InvalidateTags evicts this instance's entries before it
// returns, so the writer's next read is fresh; other instances get it
// through Redis pub/sub.
func (rc *responseCache) invalidateChanges(next covet.HandlerFunc) covet.HandlerFunc {
	return func(c *covet.Context) error {
		err := next(c)
		p, ok := c.Context().Value(liveKey{}).(*pendingEvents)
		if !ok || len(p.events) == 0 {
			return err
		}
		tags := make([]string, 0, len(p.events)+1)
		tags = append(tags, boardTag)
		for _, ev := range p.events {
			tags = append(tags, taskTag(ev.ID))
		}
		rc.data.InvalidateTags(context.WithoutCancel(c.Context()), tags...)
		return err
	}
}
