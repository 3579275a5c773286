package cache

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis layout, under the prefix P:
//
//	P k:<key>     the entry (see encodeEntry), PX = TTL + stale windows
//	P t:<tag>     a set of the Redis keys tagged <tag>, expiring with the longest
//	P invalidate  the pub/sub channel of invalidations
//	P epoch       a counter bumped by every write, delete and invalidation
//	P sepoch      a counter bumped with epoch by every scoped write (below)
//	P g:<tag>     the epoch of the tag's last invalidation, PX genTTL
//	P kg:<n>      the epoch of the last write or delete of a key in bucket n
//	              (FNV-1a of the key mod keyBuckets), PX genTTL
//
// Scoped writes. A write (Set, Delete, InvalidateTags, a response-cache
// eviction) runs one script that takes E = INCR epoch, bumps sepoch, and sets
// the generation of every tag and key bucket it concerns to E. An entry read
// from Redis together with (epoch, sepoch) = (E0, S0) is current as long as
//
//	no generation of its key bucket or tags is above E0, and
//	epoch - sepoch is still E0 - S0 (no unscoped write since: pending.go's
//	flushes, and the writes of releases before the generations, bump only
//	the epoch, and outdate every entry as the epoch did before), and
//	epoch >= E0 (Redis lost its data: the subscriber empties L1 when it
//	reconnects, this covers the reads before it does).
//
// The generations are epoch values, so one number per entry is compared, and
// a generation that expired (genTTL after its last bump, longer than any L1
// entry lives) is as good as 0: every entry that read the old value is gone.
//
// A loader takes (E0, S0) before it loads (on a miss, in the lookup's MGET)
// and its set script stores the value only if the entry is still current as
// of (E0, S0) by the rule above: a value loaded before a concurrent write
// that concerns it is returned to its caller but never written to Redis or
// L1; writes to other tags or keys no longer void it.
//
// Every call is bounded by WithRedisTimeout. A failure (not a miss) is
// counted, logged once per episode, and makes the cache skip Redis for
// WithRedisBackoff: reads then fall through to L1 and the loader, writes are
// skipped. Nothing is retried within a request; writes and invalidations
// that did not reach Redis are applied before Redis is read again
// (pending.go).

// keyBuckets is the number of key generations (P kg:<n>): a write of one
// key outdates the L1 copies of the keys of its bucket (1 in 4,096 of the
// others, refetched on their next check).
const keyBuckets = 4096

// currentLua is the rule above as a Lua function: KEYS[first..] are the
// generations to compare, e0 and s0 the entry's epochs, e and s Redis's now.
const currentLua = `
local function current(e, s, e0, s0, first)
  if e - s ~= e0 - s0 or e < e0 then return false end
  for i = first, #KEYS do
    local g = redis.call('GET', KEYS[i])
    if g and tonumber(g) > e0 then return false end
  end
  return true
end
local function num(k) return tonumber(redis.call('GET', k) or '0') end
`

// bumpLua bumps the epochs for a scoped write and sets the generations
// KEYS[first..] to the new epoch; ttl is their PX.
const bumpLua = `
local function bump(epoch, sepoch, first, ttl)
  local e = redis.call('INCR', epoch)
  redis.call('INCR', sepoch)
  for i = first, #KEYS do redis.call('SET', KEYS[i], e, 'PX', ttl) end
  return e
end
`

// setScript stores an entry. KEYS: the entry, its n tag sets, then the
// generations of its key bucket and its n tags. ARGV[5] is ” (no check)
// or the epoch its loader read before loading, ARGV[8] the sepoch: the value
// is stored only if the entry is still current as of them (returns 0
// otherwise). ARGV[6] '1': a write, which bumps the epochs and the key's
// generation (ARGV[10] its PX).
var setScript = redis.NewScript(currentLua + `
local n = (#KEYS - 2) / 2
local first = n + 2
if ARGV[5] ~= '' and not current(num(ARGV[7]), num(ARGV[9]), tonumber(ARGV[5]), tonumber(ARGV[8]), first) then return 0 end
if ARGV[6] == '1' then
  local e = redis.call('INCR', ARGV[7])
  redis.call('INCR', ARGV[9])
  redis.call('SET', KEYS[first], e, 'PX', ARGV[10])
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 2, n + 1 do
  redis.call('SADD', KEYS[i], KEYS[1])
  redis.call('PEXPIRE', KEYS[i], ARGV[2], 'NX')
  redis.call('PEXPIRE', KEYS[i], ARGV[2], 'GT')
end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return 1
`)

// checkScript is WithL1Check's question for one L1 entry. KEYS: the entry,
// the epoch, the sepoch, then the generations of its key bucket and tags;
// ARGV: the entry's epochs. Still current: 0 (a short answer). Outdated:
// {epoch, sepoch, the entry Redis holds now or nil}, read together.
var checkScript = redis.NewScript(currentLua + `
local e, s = num(KEYS[2]), num(KEYS[3])
if current(e, s, tonumber(ARGV[1]), tonumber(ARGV[2]), 4) then return 0 end
return {e, s, redis.call('GET', KEYS[1])}
`)

func (c *Cache) rkey(key string) string { return c.cfg.prefix + "k:" + key }
func (c *Cache) rtag(tag string) string { return c.cfg.prefix + "t:" + tag }
func (c *Cache) repoch() string         { return c.cfg.prefix + "epoch" }
func (c *Cache) rsepoch() string        { return c.cfg.prefix + "sepoch" }
func (c *Cache) rtagGen(tag string) string {
	return c.cfg.prefix + "g:" + tag
}

// rkeyGen is the generation of key's bucket.
func (c *Cache) rkeyGen(key string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return c.cfg.prefix + "kg:" + strconv.FormatUint(uint64(h.Sum32()%keyBuckets), 10)
}

// gens appends the generation keys of key and tags to dst.
func (c *Cache) gens(dst []string, key string, tags []string) []string {
	dst = append(dst, c.rkeyGen(key))
	for _, t := range tags {
		dst = append(dst, c.rtagGen(t))
	}
	return dst
}

// genTTL is how long a generation lives after its last bump: longer than
// any L1 entry that may have read the value before it (WithL1TTL).
func (c *Cache) genTTL() int64 {
	return max(time.Hour, 2*c.cfg.l1TTL).Milliseconds()
}

// epochs is what a reader saw of Redis's epoch and sepoch.
type epochs struct{ e, s int64 }

// parseEpochs reads two MGET values (nil: 0).
func parseEpochs(e, s any) epochs {
	var ep epochs
	if v, ok := e.(string); ok {
		ep.e, _ = strconv.ParseInt(v, 10, 64)
	}
	if v, ok := s.(string); ok {
		ep.s, _ = strconv.ParseInt(v, 10, 64)
	}
	return ep
}

// stamp is what a value's reader saw before producing it: the L1
// generation and, for loaders (check), the Redis epochs.
type stamp struct {
	gen    uint64
	epochs epochs
	check  bool // store in Redis only if the entry is current as of epochs
	skipL2 bool // the epochs could not be read: no Redis write
	taken  bool // set by l2GetStamp: the lookup's MGET read the epochs
}

// stampNow returns the stamp for a value about to be loaded. With Redis,
// it reads the epochs (one round trip).
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
	vals, err := c.rdb.MGet(cctx, c.repoch(), c.rsepoch()).Result()
	c.l2result(ctx, "epoch", err)
	if err != nil {
		st.skipL2 = true
		return st
	}
	st.epochs = parseEpochs(vals[0], vals[1])
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

// l2GetStamp is l2Get that also reads the epochs in the same round trip
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
	vals, err := c.rdb.MGet(cctx, c.rkey(key), c.repoch(), c.rsepoch()).Result()
	c.l2result(ctx, "get", err)
	*st = stamp{gen: gen, check: true, taken: true}
	if err != nil {
		st.skipL2 = true
		return nil
	}
	st.epochs = parseEpochs(vals[1], vals[2])
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
	keys := make([]string, 1, 2+2*len(e.tags))
	keys[0] = c.rkey(key)
	for _, t := range e.tags {
		keys = append(keys, c.rtag(t))
	}
	keys = c.gens(keys, key, e.tags)
	msg := ""
	if announce && c.cfg.invalidates {
		msg = c.message('k', []string{key})
	}
	ms := max(keep.Milliseconds(), 1)
	expectE, expectS, bump := "", "", "1"
	if st.check {
		expectE, expectS, bump = strconv.FormatInt(st.epochs.e, 10), strconv.FormatInt(st.epochs.s, 10), "0"
	}
	n, err := setScript.Run(cctx, c.rdb, keys, encodeEntry(e), ms, c.cfg.channel, msg, expectE, bump, c.repoch(),
		expectS, c.rsepoch(), c.genTTL()).Int()
	c.l2result(ctx, "set", err)
	if err != nil && !st.check {
		c.deferWrite([]string{key}, nil)
	}
	return err != nil || n != 0
}

// invalidateScript deletes entries and tagged entries and announces it, a
// scoped write: KEYS are ARGV[2] entry keys, ARGV[6] tag sets whose members
// are deleted with them, then the generations of those keys and tags, set to
// the epoch it bumps (ARGV[5], the sepoch ARGV[7], PX ARGV[8]); the 'k' and
// 't' messages (ARGV[3], ARGV[4], when not empty) are published.
var invalidateScript = redis.NewScript(bumpLua + `
local nk, nt = tonumber(ARGV[2]), tonumber(ARGV[6])
bump(ARGV[5], ARGV[7], nk + nt + 1, ARGV[8])
for i = 1, nk do redis.call('DEL', KEYS[i]) end
local n = 0
for i = nk + 1, nk + nt do
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

// l2Invalidate deletes keys and the entries tagged with tags in Redis,
// bumps their generations and announces both, in one script (one round
// trip). Delete and InvalidateTags use it too.
func (c *Cache) l2Invalidate(ctx context.Context, keys, tags []string) {
	cctx, cancel, ok := c.l2ctx(ctx)
	if !ok {
		if c.rdb != nil {
			c.deferWrite(keys, tags)
		}
		return
	}
	defer cancel()
	rkeys := make([]string, 0, 2*(len(keys)+len(tags)))
	for _, k := range keys {
		rkeys = append(rkeys, c.rkey(k))
	}
	for _, t := range tags {
		rkeys = append(rkeys, c.rtag(t))
	}
	for _, k := range keys {
		rkeys = append(rkeys, c.rkeyGen(k))
	}
	for _, t := range tags {
		rkeys = append(rkeys, c.rtagGen(t))
	}
	kmsg, tmsg := "", ""
	if len(keys) > 0 && c.cfg.invalidates {
		kmsg = c.message('k', keys)
	}
	if len(tags) > 0 {
		tmsg = c.message('t', tags)
	}
	err := invalidateScript.Run(cctx, c.rdb, rkeys, c.cfg.channel, len(keys), kmsg, tmsg, c.repoch(),
		len(tags), c.rsepoch(), c.genTTL()).Err()
	c.l2result(ctx, "invalidate", err)
	if err != nil {
		c.deferWrite(keys, tags)
	}
}

func (c *Cache) l2Delete(ctx context.Context, key string) { c.l2Invalidate(ctx, []string{key}, nil) }

func (c *Cache) l2InvalidateTags(ctx context.Context, tags []string) { c.l2Invalidate(ctx, nil, tags) }

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
