package cache

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis layout, under the prefix P:
//
//	P k:<key>   the entry (see encodeEntry), PX = TTL + stale windows
//	P t:<tag>   a set of the Redis keys tagged <tag>, expiring with the longest
//	P invalidate  the pub/sub channel of invalidations
//	P epoch       a counter bumped by every write, delete and tag invalidation
//
// A loader reads the epoch before it loads (one GET, on a miss only) and
// stores its value only if the epoch is unchanged (checked in the set
// script): a value loaded before a concurrent invalidation is returned to
// its caller but never written to Redis or L1 after the invalidation.
//
// Every call is bounded by WithRedisTimeout. A failure (not a miss) is
// counted, logged once per episode, and makes the cache skip Redis for
// WithRedisBackoff: reads then fall through to L1 and the loader, writes are
// skipped. Nothing is retried within a request; writes and invalidations
// that did not reach Redis are applied before Redis is read again
// (pending.go).

// setScript stores an entry. ARGV[5], when not empty, is '=' and the
// invalidation epoch its loader read before loading: a different epoch now means an
// invalidation or write happened meanwhile, and the (maybe stale) value is
// not stored (returns 0). ARGV[6] '1' bumps the epoch: a write.
var setScript = redis.NewScript(`
if ARGV[5] ~= '' and '=' .. (redis.call('GET', ARGV[7]) or '') ~= ARGV[5] then return 0 end
if ARGV[6] == '1' then redis.call('INCR', ARGV[7]) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[1])
  redis.call('PEXPIRE', KEYS[i], ARGV[2], 'NX')
  redis.call('PEXPIRE', KEYS[i], ARGV[2], 'GT')
end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return 1
`)

var invalidateScript = redis.NewScript(`
redis.call('INCR', ARGV[3])
local n = 0
for i = 1, #KEYS do
  local m = redis.call('SMEMBERS', KEYS[i])
  for j = 1, #m, 500 do
    redis.call('DEL', unpack(m, j, math.min(j + 499, #m)))
  end
  n = n + #m
  redis.call('DEL', KEYS[i])
end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return n
`)

func (c *Cache) rkey(key string) string { return c.cfg.prefix + "k:" + key }
func (c *Cache) rtag(tag string) string { return c.cfg.prefix + "t:" + tag }
func (c *Cache) repoch() string         { return c.cfg.prefix + "epoch" }

// stamp is what a value's reader saw before producing it: the L1
// generation and, for loaders (check), the Redis epoch.
type stamp struct {
	gen    uint64
	epoch  string
	check  bool // store in Redis only if the epoch is still epoch
	skipL2 bool // the epoch could not be read: no Redis write
	taken  bool // set by l2GetStamp: the lookup's MGET read the epoch
}

// stampNow returns the stamp for a value about to be loaded. With Redis,
// it reads the epoch (one round trip).
func (c *Cache) stampNow(ctx context.Context) stamp {
	st := stamp{gen: c.gen.Load(), check: true}
	if c.rdb == nil {
		return st
	}
	cctx, cancel, ok := c.l2ctx(ctx)
	if !ok {
		st.skipL2 = true
		return st
	}
	defer cancel()
	v, err := c.rdb.Get(cctx, c.repoch()).Result()
	c.l2result(ctx, "epoch", err)
	if err != nil && !errors.Is(err, redis.Nil) {
		st.skipL2 = true
	}
	st.epoch = v
	return st
}

// l2ctx returns a context bounded by the Redis timeout, or ok false when
// Redis is not used now (none, or backing off after a failure).
func (c *Cache) l2ctx(ctx context.Context) (context.Context, context.CancelFunc, bool) {
	if c.rdb == nil {
		return nil, nil, false
	}
	if until := c.l2DownUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		return nil, nil, false
	}
	if c.pend.has.Load() && !c.flushPending(ctx) {
		return nil, nil, false // Redis may hold what failed writes replaced
	}
	cctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	return cctx, cancel, true
}

// l2result records the outcome of a Redis call.
func (c *Cache) l2result(ctx context.Context, op string, err error) {
	if err == nil || errors.Is(err, redis.Nil) {
		if c.l2Down.Load() && c.l2Down.CompareAndSwap(true, false) {
			c.l2DownUntil.Store(0)
			c.cfg.logger.Info("cache: redis is back", "op", op)
		}
		return
	}
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return // the caller gave up; Redis is not to blame
	}
	c.st.redisErrors.Add(1)
	c.l2DownUntil.Store(time.Now().Add(c.cfg.backoff).UnixNano())
	if c.l2Down.CompareAndSwap(false, true) {
		c.cfg.logger.Warn("cache: redis failed; using L1 and loaders, skipping writes",
			"op", op, "error", err, "retry_after", c.cfg.backoff)
	}
}

func (c *Cache) l2Get(ctx context.Context, key string) *entry {
	cctx, cancel, ok := c.l2ctx(ctx)
	if !ok {
		return nil
	}
	defer cancel()
	b, err := c.rdb.Get(cctx, c.rkey(key)).Bytes()
	c.l2result(ctx, "get", err)
	if err != nil {
		return nil
	}
	e, ok := decodeEntry(b)
	if !ok {
		return nil
	}
	return e
}

// l2GetStamp is l2Get that also reads the epoch in the same round trip
// (one MGET) and, when it could ask Redis, fills st as stampNow would have
// right then: a miss's later load needs no epoch GET of its own. Taking the
// stamp before the lookup instead of after it only makes the store's epoch
// check stricter (an invalidation in between voids the store too).
func (c *Cache) l2GetStamp(ctx context.Context, key string, st *stamp) *entry {
	gen := c.gen.Load()
	cctx, cancel, ok := c.l2ctx(ctx)
	if !ok {
		return nil
	}
	defer cancel()
	vals, err := c.rdb.MGet(cctx, c.rkey(key), c.repoch()).Result()
	c.l2result(ctx, "get", err)
	*st = stamp{gen: gen, check: true, taken: true}
	if err != nil {
		st.skipL2 = true
		return nil
	}
	st.epoch, _ = vals[1].(string)
	b, ok := vals[0].(string)
	if !ok {
		return nil
	}
	e, ok := decodeEntry([]byte(b))
	if !ok {
		return nil
	}
	return e
}

// l2Set writes e to Redis and reports false when the write was refused
// because the epoch changed since st was taken (the value may be stale).
func (c *Cache) l2Set(ctx context.Context, key string, e *entry, keep time.Duration, announce bool, st stamp) bool {
	if st.skipL2 {
		return true
	}
	cctx, cancel, ok := c.l2ctx(ctx)
	if !ok {
		if !st.check {
			c.deferWrite([]string{key}, nil) // Redis may hold the old value
		}
		return true
	}
	defer cancel()
	keys := make([]string, 1, 1+len(e.tags))
	keys[0] = c.rkey(key)
	for _, t := range e.tags {
		keys = append(keys, c.rtag(t))
	}
	msg := ""
	if announce && c.cfg.invalidates {
		msg = c.message('k', []string{key})
	}
	ms := max(keep.Milliseconds(), 1)
	expect, bump := "", "1"
	if st.check {
		// "=" + epoch: never empty, so "no epoch yet" is checked too.
		expect, bump = "="+st.epoch, "0"
	}
	n, err := setScript.Run(cctx, c.rdb, keys, encodeEntry(e), ms, c.cfg.channel, msg, expect, bump, c.repoch()).Int()
	c.l2result(ctx, "set", err)
	if err != nil && !st.check {
		c.deferWrite([]string{key}, nil)
	}
	return err != nil || n != 0
}

// invalidateKeysTagsScript is l2Delete and l2InvalidateTags in one round
// trip: KEYS[1..ARGV[2]] are entries to delete, the rest tag sets whose
// members are deleted with them; the epoch is bumped once, and the 'k' and
// 't' messages (ARGV[3], ARGV[4], when not empty) are published.
var invalidateKeysTagsScript = redis.NewScript(`
redis.call('INCR', ARGV[5])
local nk = tonumber(ARGV[2])
for i = 1, nk do redis.call('DEL', KEYS[i]) end
local n = 0
for i = nk + 1, #KEYS do
  local m = redis.call('SMEMBERS', KEYS[i])
  for j = 1, #m, 500 do
    redis.call('DEL', unpack(m, j, math.min(j + 499, #m)))
  end
  n = n + #m
  redis.call('DEL', KEYS[i])
end
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[3]) end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[4]) end
return n
`)

// l2Invalidate deletes keys and the entries tagged with tags in Redis and
// announces both, in one script (one round trip).
func (c *Cache) l2Invalidate(ctx context.Context, keys, tags []string) {
	cctx, cancel, ok := c.l2ctx(ctx)
	if !ok {
		if c.rdb != nil {
			c.deferWrite(keys, tags)
		}
		return
	}
	defer cancel()
	rkeys := make([]string, 0, len(keys)+len(tags))
	for _, k := range keys {
		rkeys = append(rkeys, c.rkey(k))
	}
	for _, t := range tags {
		rkeys = append(rkeys, c.rtag(t))
	}
	kmsg, tmsg := "", ""
	if len(keys) > 0 && c.cfg.invalidates {
		kmsg = c.message('k', keys)
	}
	if len(tags) > 0 {
		tmsg = c.message('t', tags)
	}
	err := invalidateKeysTagsScript.Run(cctx, c.rdb, rkeys, c.cfg.channel, len(keys), kmsg, tmsg, c.repoch()).Err()
	c.l2result(ctx, "invalidate", err)
	if err != nil {
		c.deferWrite(keys, tags)
	}
}

func (c *Cache) l2Delete(ctx context.Context, key string) {
	cctx, cancel, ok := c.l2ctx(ctx)
	if !ok {
		if c.rdb != nil {
			c.deferWrite([]string{key}, nil)
		}
		return
	}
	defer cancel()
	_, err := c.rdb.TxPipelined(cctx, func(p redis.Pipeliner) error {
		p.Del(cctx, c.rkey(key))
		p.Incr(cctx, c.repoch())
		if c.cfg.invalidates {
			p.Publish(cctx, c.cfg.channel, c.message('k', []string{key}))
		}
		return nil
	})
	c.l2result(ctx, "delete", err)
	if err != nil {
		c.deferWrite([]string{key}, nil)
	}
}

func (c *Cache) l2InvalidateTags(ctx context.Context, tags []string) {
	cctx, cancel, ok := c.l2ctx(ctx)
	if !ok {
		if c.rdb != nil {
			c.deferWrite(nil, tags)
		}
		return
	}
	defer cancel()
	keys := make([]string, len(tags))
	for i, t := range tags {
		keys[i] = c.rtag(t)
	}
	err := invalidateScript.Run(cctx, c.rdb, keys, c.cfg.channel, c.message('t', tags), c.repoch()).Err()
	c.l2result(ctx, "invalidate", err)
	if err != nil {
		c.deferWrite(nil, tags)
	}
}

// Invalidation messages, versioned by their kind byte so that instances of
// different versions coexist during a rolling restart. A message is the
// sender's instance id, NUL, the kind, then the names:
//
//	'k', 't'  keys, tags: each name preceded by NUL (version 1, every release)
//	'K', 'T'  keys, tags: each name as NUL, decimal length, ':', the name
//	          (version 2: names may contain NUL; response-cache keys do)
//	'a'       everything under the prefix (pending.go's flush)
//
// The sender uses the oldest kind that can carry the names: 'k' and 't'
// unless a name contains NUL, so an instance of an older release applies
// every message it can represent (an older instance cannot evict a key or tag
// with NUL in it at all: it split them at NUL). A receiver applies every kind
// above; a kind it does not know (sent by a newer release) empties its L1,
// since it cannot tell what was invalidated.
func (c *Cache) message(kind byte, names []string) string {
	var b strings.Builder
	b.WriteString(c.id)
	b.WriteByte(0)
	if (kind == 'k' || kind == 't') && slices.ContainsFunc(names, hasNUL) {
		b.WriteByte(kind - 'a' + 'A')
		for _, n := range names {
			b.WriteByte(0)
			b.WriteString(strconv.Itoa(len(n)))
			b.WriteByte(':')
			b.WriteString(n)
		}
		return b.String()
	}
	b.WriteByte(kind)
	for _, n := range names {
		b.WriteByte(0)
		b.WriteString(n)
	}
	return b.String()
}

func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

// unknownKind is what parseMessage returns for a kind this release does not
// know: the receiver empties its L1.
const unknownKind = '?'

// parseMessage splits a message into its sender, kind ('K' is returned as
// 'k', 'T' as 't', an unknown kind as unknownKind) and names; ok is false
// for a malformed one.
func parseMessage(payload string) (id string, kind byte, names []string, ok bool) {
	id, rest, ok := strings.Cut(payload, "\x00")
	if !ok || rest == "" {
		return "", 0, nil, false
	}
	kind = rest[0]
	rest = rest[1:]
	switch kind {
	case 'k', 't', 'a':
		if rest == "" {
			return id, kind, nil, true
		}
		if rest[0] != 0 {
			return "", 0, nil, false
		}
		return id, kind, strings.Split(rest[1:], "\x00"), true
	case 'K', 'T':
	default:
		return id, unknownKind, nil, true
	}
	for rest != "" {
		if rest[0] != 0 {
			return "", 0, nil, false
		}
		num, after, found := strings.Cut(rest[1:], ":")
		n, err := strconv.Atoi(num)
		if !found || err != nil || n < 0 || n > len(after) {
			return "", 0, nil, false
		}
		names = append(names, after[:n])
		rest = after[n:]
	}
	return id, kind - 'A' + 'a', names, true
}

// handleMessage applies another instance's invalidation to L1.
func (c *Cache) handleMessage(payload string) {
	id, kind, names, ok := parseMessage(payload)
	if !ok || id == c.id {
		return
	}
	c.st.remote.Add(1)
	switch kind {
	case 'k':
		for _, k := range names {
			c.l1.Invalidate(k)
		}
	case 't':
		c.invalidateLocal(names)
	case 'a', unknownKind: // a flush of the whole prefix (pending.go), or a newer release's message
		c.l1.InvalidateAll()
	}
	c.hooksM.Lock()
	obs := c.observers
	c.hooksM.Unlock()
	for _, o := range obs {
		o(kind, names)
	}
}

// encodeEntry lays out an entry for Redis: a version byte, flags, the fresh
// deadline, the tags (count, then length-prefixed), then the value.
func encodeEntry(e *entry) []byte {
	n := 1 + 1 + 8 + 2 + len(e.raw)
	for _, t := range e.tags {
		n += 2 + len(t)
	}
	b := make([]byte, 0, n)
	b = append(b, 1)
	var flags byte
	if e.neg {
		flags |= 1
	}
	b = append(b, flags)
	b = binary.BigEndian.AppendUint64(b, uint64(e.fresh))
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.tags)))
	for _, t := range e.tags {
		b = binary.BigEndian.AppendUint16(b, uint16(len(t)))
		b = append(b, t...)
	}
	return append(b, e.raw...)
}

func decodeEntry(b []byte) (*entry, bool) {
	if len(b) < 12 || b[0] != 1 {
		return nil, false
	}
	e := &entry{neg: b[1]&1 != 0, fresh: int64(binary.BigEndian.Uint64(b[2:10]))}
	nt := int(binary.BigEndian.Uint16(b[10:12]))
	b = b[12:]
	for range nt {
		if len(b) < 2 {
			return nil, false
		}
		l := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+l {
			return nil, false
		}
		e.tags = append(e.tags, string(b[2:2+l]))
		b = b[2+l:]
	}
	if !e.neg {
		e.raw = b
	}
	return e, true
}
