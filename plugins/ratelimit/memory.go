package ratelimit

import (
	"context"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Memory is the in-process backend: state in sharded maps, each shard behind
// its own mutex, with a bound on the number of keys. It is the default, and
// the right one for a single instance; several instances each count on
// their own (use Redis to share limits).
//
// Memory stays bounded: expired keys are removed by a sweep of a shard that
// runs, at most once per sweep interval, when a new key is added to it; and
// when a shard is still full, adding a key evicts the key closest to
// expiring among a sample of eight (an expired one if the sample has one;
// else the one whose limit is closest to its resting state, so evicting it
// changes the least).
// Evicting a key that had not expired forgets its count: Stats reports how
// often that happened, which says the bound is too small for the traffic.
type Memory struct {
	shards      []memShard
	mask        uint64
	seed        maphash.Seed
	maxPerShard int
	sweepEvery  int64 // microseconds
	now         func() int64
	scopes      sync.Map // interned scope strings
	evictedLive atomic.Uint64
	expired     atomic.Uint64
}

type memShard struct {
	mu        sync.Mutex
	m         map[memKey]memEntry
	nextSweep int64
	_         [40]byte // keep shards on separate cache lines
}

type memKey struct {
	scope, key string
}

type memEntry struct {
	st  state
	exp int64 // microseconds
}

// MemoryOption configures a Memory backend.
type MemoryOption func(*memoryConfig)

type memoryConfig struct {
	maxKeys    int
	shards     int
	sweepEvery time.Duration
	clock      func() time.Time
}

// WithMaxKeys bounds the number of keys kept (default 1,048,576, about
// 100 MB at the measured ~100 bytes per key; see the README).
func WithMaxKeys(n int) MemoryOption {
	return func(c *memoryConfig) {
		if n > 0 {
			c.maxKeys = n
		}
	}
}

// WithShards sets the number of shards, rounded up to a power of two
// (default 256). More shards mean less lock contention and shorter sweeps.
func WithShards(n int) MemoryOption {
	return func(c *memoryConfig) {
		if n > 0 {
			c.shards = n
		}
	}
}

// WithSweepInterval sets how often each shard is swept for expired keys
// (default 30s).
func WithSweepInterval(d time.Duration) MemoryOption {
	return func(c *memoryConfig) {
		if d > 0 {
			c.sweepEvery = d
		}
	}
}

// WithClock sets the clock the backend reads (default time.Now), for tests
// and simulations that need exact, repeatable answers: a limit's state
// advances only when the clock does.
func WithClock(now func() time.Time) MemoryOption {
	return func(c *memoryConfig) {
		if now != nil {
			c.clock = now
		}
	}
}

// NewMemory returns an in-memory backend.
func NewMemory(opts ...MemoryOption) *Memory {
	cfg := memoryConfig{maxKeys: 1 << 20, shards: 256, sweepEvery: 30 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	n := 1
	for n < cfg.shards {
		n <<= 1
	}
	per := cfg.maxKeys / n // at most maxKeys in all
	if per < 1 {
		per = 1
	}
	m := &Memory{
		shards:      make([]memShard, n),
		mask:        uint64(n - 1),
		seed:        maphash.MakeSeed(),
		maxPerShard: per,
		sweepEvery:  int64(cfg.sweepEvery / time.Microsecond),
		now:         func() int64 { return time.Now().UnixMicro() },
	}
	if clock := cfg.clock; clock != nil {
		m.now = func() int64 { return clock().UnixMicro() }
	}
	for i := range m.shards {
		m.shards[i].m = map[memKey]memEntry{}
	}
	return m
}

// Take implements Backend. It never fails.
func (m *Memory) Take(_ context.Context, reqs []Request, out []Decision) (bool, error) {
	now := m.now()
	if len(reqs) == 1 {
		return m.takeOne(&reqs[0], &out[0], now), nil
	}
	return m.takeMany(reqs, out, now), nil
}

func (m *Memory) shardOf(key string) *memShard {
	return &m.shards[maphash.String(m.seed, key)&m.mask]
}

func (m *Memory) takeOne(r *Request, out *Decision, now int64) bool {
	p := paramsOf(r.Limit)
	sh := m.shardOf(r.Key)
	k := memKey{scope: r.Scope, key: r.Key}
	sh.mu.Lock()
	e, present := sh.m[k]
	st, o := take(p, e.st, present && e.exp > now, now)
	if o.allowed {
		m.store(sh, k, st, expiry(p, st), now, present)
	}
	sh.mu.Unlock()
	*out = decision(o)
	return o.allowed
}

// takeMany checks several limits at once: the shards involved are locked in
// index order (so concurrent calls cannot deadlock), every limit is
// computed, and the new states are stored only if all allow the request.
func (m *Memory) takeMany(reqs []Request, out []Decision, now int64) bool {
	var idxBuf [8]uint64
	var stBuf [8]state
	var pBuf [8]params
	var okBuf [8]bool
	var outBuf [8]outcome
	idx, sts, ps, oks, outs := idxBuf[:0], stBuf[:0], pBuf[:0], okBuf[:0], outBuf[:0]
	for i := range reqs {
		idx = append(idx, maphash.String(m.seed, reqs[i].Key)&m.mask)
	}
	locked := sortedUnique(idx)
	for _, s := range locked {
		m.shards[s].mu.Lock()
	}
	all := true
	for i := range reqs {
		r := &reqs[i]
		p := paramsOf(r.Limit)
		sh := &m.shards[maphash.String(m.seed, r.Key)&m.mask]
		e, present := sh.m[memKey{scope: r.Scope, key: r.Key}]
		st, o := take(p, e.st, present && e.exp > now, now)
		sts, ps, oks, outs = append(sts, st), append(ps, p), append(oks, present), append(outs, o)
		all = all && o.allowed
	}
	if all {
		for i := range reqs {
			r := &reqs[i]
			sh := &m.shards[maphash.String(m.seed, r.Key)&m.mask]
			m.store(sh, memKey{scope: r.Scope, key: r.Key}, sts[i], expiry(ps[i], sts[i]), now, oks[i])
		}
	}
	for _, s := range locked {
		m.shards[s].mu.Unlock()
	}
	for i := range reqs {
		o := outs[i]
		if !all && o.allowed {
			o = notTaken(ps[i], o)
		}
		out[i] = decision(o)
	}
	return all
}

// store writes a key's new state; the shard is locked. present says whether
// the key is in the map (expired or not).
func (m *Memory) store(sh *memShard, k memKey, st state, exp, now int64, present bool) {
	if present {
		sh.m[k] = memEntry{st: st, exp: exp}
		return
	}
	if now >= sh.nextSweep {
		m.sweep(sh, now)
	}
	if len(sh.m) >= m.maxPerShard {
		// Full, and swept less than a sweep interval ago: evict from a
		// sample rather than sweep the whole shard for every new key.
		m.evictOne(sh)
	}
	k.key = strings.Clone(k.key)
	k.scope = m.intern(k.scope)
	sh.m[k] = memEntry{st: st, exp: exp}
}

func (m *Memory) sweep(sh *memShard, now int64) {
	n := 0
	for k, e := range sh.m {
		if e.exp <= now {
			delete(sh.m, k)
			n++
		}
	}
	sh.nextSweep = now + m.sweepEvery
	if n > 0 {
		m.expired.Add(uint64(n))
	}
}

// evictOne removes, among a few keys the map's random iteration order
// picks, the one that expires first.
func (m *Memory) evictOne(sh *memShard) {
	var victim memKey
	best := int64(-1)
	i := 0
	for k, e := range sh.m {
		if best < 0 || e.exp < best {
			victim, best = k, e.exp
		}
		if i++; i == 8 {
			break
		}
	}
	if best >= 0 {
		delete(sh.m, victim)
		m.evictedLive.Add(1)
	}
}

func (m *Memory) intern(s string) string {
	if v, ok := m.scopes.Load(s); ok {
		return v.(string)
	}
	s = strings.Clone(s)
	v, _ := m.scopes.LoadOrStore(s, s)
	return v.(string)
}

// Len returns the number of keys stored (expired keys not yet swept included).
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// MemoryStats are counters of a Memory backend.
type MemoryStats struct {
	// Keys is the number of keys stored.
	Keys int
	// Expired counts keys removed after they expired.
	Expired uint64
	// EvictedLive counts keys removed before they expired because the
	// backend was full; a growing value means WithMaxKeys is too small.
	EvictedLive uint64
}

// Stats returns the backend's counters.
func (m *Memory) Stats() MemoryStats {
	return MemoryStats{Keys: m.Len(), Expired: m.expired.Load(), EvictedLive: m.evictedLive.Load()}
}

// sortedUnique sorts a small slice in place and drops duplicates.
func sortedUnique(s []uint64) []uint64 {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	out := s[:0]
	for _, v := range s {
		if len(out) == 0 || v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}
