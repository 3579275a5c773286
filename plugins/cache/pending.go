package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Writes that did not reach Redis — a Set, Delete or InvalidateTags made
// while the cache was backing off after a failure, or whose call failed —
// leave Redis holding the values they replaced, which every instance would
// read once Redis answers again. So they are remembered (pendingLimit names
// at most) and applied before Redis is used again: the first call after the
// backoff deletes those keys and the keys of those tags, bumps the epoch and
// publishes the invalidation (so other instances drop them from L1 too), in
// one script. Until that succeeds, Redis is not read. Past pendingLimit
// names the flush deletes every key under the prefix instead.

// pendingLimit bounds the names remembered while Redis fails.
var pendingLimit = 10000 // a variable for the overflow test

// pendingWrites is the set of keys and tags whose invalidation has not
// reached Redis.
type pendingWrites struct {
	mu       sync.Mutex
	keys     map[string]struct{}
	tags     map[string]struct{}
	all      bool        // more than pendingLimit: flush the whole prefix
	has      atomic.Bool // something is pending (or being flushed)
	flushing atomic.Bool
}

// add remembers keys and tags whose write did not reach Redis.
func (p *pendingWrites) add(keys, tags []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.has.Store(true)
	if p.all {
		return
	}
	if p.keys == nil {
		p.keys, p.tags = map[string]struct{}{}, map[string]struct{}{}
	}
	for _, k := range keys {
		p.keys[k] = struct{}{}
	}
	for _, t := range tags {
		p.tags[t] = struct{}{}
	}
	if len(p.keys)+len(p.tags) > pendingLimit {
		p.all, p.keys, p.tags = true, nil, nil
	}
}

// take empties the set and returns what it held; has stays set until done.
func (p *pendingWrites) take() (keys, tags []string, all bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.keys {
		keys = append(keys, k)
	}
	for t := range p.tags {
		tags = append(tags, t)
	}
	all = p.all
	p.keys, p.tags, p.all = nil, nil, false
	return keys, tags, all
}

// done ends a flush: on failure what was taken is pending again.
func (p *pendingWrites) done(keys, tags []string, all bool, ok bool) {
	if !ok {
		if all {
			p.mu.Lock()
			p.all, p.keys, p.tags = true, nil, nil
			p.mu.Unlock()
		}
		p.add(keys, tags)
		return
	}
	p.mu.Lock()
	if !p.all && len(p.keys) == 0 && len(p.tags) == 0 {
		p.has.Store(false)
	}
	p.mu.Unlock()
}

// flushScript applies pending invalidations. KEYS: ARGV[2] tag sets, then
// entry keys (an unscoped write: it bumps the epoch alone, which outdates
// every entry WithL1Check checks, see redis.go). ARGV[1] the epoch key, ARGV[3] the channel, ARGV[4] and
// ARGV[5] the messages (keys, tags; empty: none).
var flushScript = redis.NewScript(`
redis.call('INCR', ARGV[1])
local nt = tonumber(ARGV[2])
for i = 1, nt do
  local m = redis.call('SMEMBERS', KEYS[i])
  for j = 1, #m, 500 do
    redis.call('DEL', unpack(m, j, math.min(j + 499, #m)))
  end
  redis.call('DEL', KEYS[i])
end
for i = nt + 1, #KEYS, 500 do
  redis.call('DEL', unpack(KEYS, i, math.min(i + 499, #KEYS)))
end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[5]) end
return 1
`)

// deferWrite remembers that a write of keys/tags did not reach Redis.
func (c *Cache) deferWrite(keys, tags []string) {
	c.pend.add(keys, tags)
}

// flushPending applies the pending invalidations and reports whether Redis
// may be used now. A call that finds another flushing does not use Redis.
func (c *Cache) flushPending(ctx context.Context) bool {
	if !c.pend.flushing.CompareAndSwap(false, true) {
		return false
	}
	defer c.pend.flushing.Store(false)
	keys, tags, all := c.pend.take()
	budget := c.cfg.timeout
	if all {
		budget = max(10*c.cfg.timeout, 5*time.Second) // a SCAN of the prefix
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer cancel()
	var err error
	if all {
		err = c.flushPrefix(cctx)
	} else if len(keys)+len(tags) > 0 {
		rkeys := make([]string, 0, len(tags)+len(keys))
		for _, t := range tags {
			rkeys = append(rkeys, c.rtag(t))
		}
		for _, k := range keys {
			rkeys = append(rkeys, c.rkey(k))
		}
		kmsg, tmsg := "", ""
		if c.cfg.invalidates {
			if len(keys) > 0 {
				kmsg = c.message('k', keys)
			}
			if len(tags) > 0 {
				tmsg = c.message('t', tags)
			}
		}
		err = flushScript.Run(cctx, c.rdb, rkeys, c.repoch(), len(tags), c.cfg.channel, kmsg, tmsg).Err()
	}
	c.l2result(context.Background(), "flush", err)
	ok := err == nil || errors.Is(err, redis.Nil)
	c.pend.done(keys, tags, all, ok)
	if ok {
		c.st.deferred.Add(int64(len(keys) + len(tags)))
		if all {
			c.st.deferred.Add(1)
		}
	}
	return ok
}

// flushPrefix deletes every entry and tag set under the prefix (the
// pending set overflowed), bumps the epoch and tells other instances to
// empty their L1.
func (c *Cache) flushPrefix(ctx context.Context) error {
	epoch := c.repoch()
	iter := c.rdb.Scan(ctx, 0, escapeGlob(c.cfg.prefix)+"*", 1000).Iterator()
	batch := make([]string, 0, 500)
	del := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := c.rdb.Del(ctx, batch...).Err()
		batch = batch[:0]
		return err
	}
	for iter.Next(ctx) {
		if k := iter.Val(); k != epoch && k != c.cfg.channel {
			batch = append(batch, k)
		}
		if len(batch) == cap(batch) {
			if err := del(); err != nil {
				return err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if err := del(); err != nil {
		return err
	}
	if err := c.rdb.Incr(ctx, epoch).Err(); err != nil {
		return err
	}
	if c.cfg.invalidates {
		return c.rdb.Publish(ctx, c.cfg.channel, c.message('a', nil)).Err()
	}
	return nil
}

// escapeGlob escapes the glob metacharacters of a Redis MATCH pattern.
func escapeGlob(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(b)
}
