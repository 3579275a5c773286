// Package redisstore is the ratelimit plugin's Redis backend: limits shared
// between instances through Redis (github.com/redis/go-redis/v9). It is its
// own package so that an app on the in-memory limiter links no Redis client.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
//	limiter := ratelimit.New(ratelimit.WithBackend(redisstore.New(rdb)))
package redisstore

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ratelimit"
	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

//go:embed script.lua
var scriptSource string

// Store is the backend that shares limits between instances through Redis
// (github.com/redis/go-redis/v9). Each check is one round trip: one EVALSHA
// of a Lua script that checks every limit of the request and consumes from
// all only if all allow it, atomically, on the Redis server's clock (so
// instances with skewed clocks still agree). When the script is not cached
// yet (a restarted or flushed server) go-redis falls back to EVAL once.
//
// Keys are PREFIX{client-key}:policy/limit/algorithm. The braces are a Redis
// Cluster hash tag: a request's limits on one client key live in one slot,
// so a cluster can run the script. On a cluster (or ring) client, limits of
// one request with different client keys are checked in one call per key,
// each all-or-nothing on its own.
//
// When Redis cannot answer within the check timeout (a deadline on the
// command's context: no goroutine per check), Take fails and the
// policy's FailureMode decides. A circuit breaker (github.com/sony/gobreaker)
// opens after consecutive failures: while open, Take fails at once instead
// of waiting for the timeout; after the open period one probe request is let
// through, and its success closes the breaker again.
//
// The backend logs through the app's logger. go-redis prints its own lines
// (failed dials) through its process-wide logger, which the backend leaves
// alone: set it with redis.SetLogger in main (see the README).
type Store struct {
	client  redis.UniversalClient
	owned   bool
	prefix  string
	timeout time.Duration
	sharded bool
	script  *redis.Script
	cb      *gobreaker.CircuitBreaker[[]int64]
	openFor time.Duration
	logger  atomic.Pointer[slog.Logger]
	errs    atomic.Uint64
	// nowUS pins the clock in tests; nil uses the Redis server's TIME. Keys
	// written on a pinned clock do not expire (see script.lua).
	nowUS func() int64
}

// Option configures a Store.
type Option func(*config)

type config struct {
	prefix   string
	timeout  time.Duration
	failures uint32
	openFor  time.Duration
}

// WithKeyPrefix sets the prefix of every key the backend writes (default
// "covet:ratelimit:"). Apps that must not share counters use different
// prefixes.
func WithKeyPrefix(p string) Option {
	return func(c *config) { c.prefix = p }
}

// WithCheckTimeout bounds each check, connection and retries included
// (default 100ms). A check that takes longer fails, and counts towards
// opening the circuit breaker.
func WithCheckTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithBreaker sets the circuit breaker: it opens after failures consecutive
// failed checks (default 3) and stays open for openFor (default 2s) before
// it lets one probe through.
func WithBreaker(failures int, openFor time.Duration) Option {
	return func(c *config) {
		if failures > 0 {
			c.failures = uint32(failures)
		}
		if openFor > 0 {
			c.openFor = openFor
		}
	}
}

// New returns a Redis backend on a client the caller owns (and closes).
// Any go-redis client works: *redis.Client, *redis.ClusterClient,
// *redis.Ring, or a failover client, created with ContextTimeoutEnabled:
// true in its options (the check timeout is a deadline on the command's
// context; Start refuses a client that ignores it).
func New(client redis.UniversalClient, opts ...Option) *Store {
	cfg := config{prefix: "covet:ratelimit:", timeout: 100 * time.Millisecond, failures: 3, openFor: 2 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	r := &Store{client: client, prefix: cfg.prefix, timeout: cfg.timeout, script: redis.NewScript(scriptSource), openFor: cfg.openFor}
	switch client.(type) {
	case *redis.ClusterClient, *redis.Ring:
		r.sharded = true
	}
	r.logger.Store(slog.New(slog.DiscardHandler))
	r.cb = gobreaker.NewCircuitBreaker[[]int64](gobreaker.Settings{
		Name:        "ratelimit-redis",
		MaxRequests: 1,
		Timeout:     cfg.openFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= cfg.failures },
		IsSuccessful: func(err error) bool {
			// A reply error (a script error, a wrong type) came from a
			// working server: it is not a reason to stop asking it.
			var re redis.Error
			return err == nil || errors.As(err, &re)
		},
		// A client that went away is not Redis's fault.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			l := r.logger.Load()
			switch to {
			case gobreaker.StateOpen:
				l.Warn("ratelimit: redis unreachable; circuit breaker open, requests follow their policy's failure mode",
					"open_for", cfg.openFor.String(), "errors", r.errs.Load())
			case gobreaker.StateClosed:
				l.Info("ratelimit: redis reachable again; circuit breaker closed")
			}
		},
	})
	return r
}

// NewURL returns a Redis backend with its own client, configured from a
// redis:// or rediss:// URL (see redis.ParseURL); Stop closes the client.
func NewURL(url string, opts ...Option) (*Store, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisstore: redis URL: %w", err)
	}
	o.ContextTimeoutEnabled = true // the check timeout is a context deadline
	r := New(redis.NewClient(o), opts...)
	r.owned = true
	return r, nil
}

// SetLogger implements ratelimit.LoggerSetter: the limiter gives the store
// the app's logger when it is installed.
func (r *Store) SetLogger(l *slog.Logger) { r.logger.Store(l) }

// Client returns the backend's Redis client.
func (r *Store) Client() redis.UniversalClient { return r.client }

// Take implements Backend.
func (r *Store) Take(ctx context.Context, reqs []ratelimit.Request, out []ratelimit.Decision) (bool, error) {
	if !r.sharded || len(reqs) == 1 {
		return r.takeGroup(ctx, reqs, out)
	}
	// A cluster can only run a script on keys of one slot: one call per
	// client key (its hash tag).
	all := true
	done := make([]bool, len(reqs))
	for i := range reqs {
		if done[i] {
			continue
		}
		var group []ratelimit.Request
		var idx []int
		for j := i; j < len(reqs); j++ {
			if !done[j] && reqs[j].Key == reqs[i].Key {
				group, idx = append(group, reqs[j]), append(idx, j)
				done[j] = true
			}
		}
		gout := make([]ratelimit.Decision, len(group))
		ok, err := r.takeGroup(ctx, group, gout)
		if err != nil {
			return false, err
		}
		for k, j := range idx {
			out[j] = gout[k]
		}
		all = all && ok
	}
	return all, nil
}

func (r *Store) takeGroup(ctx context.Context, reqs []ratelimit.Request, out []ratelimit.Decision) (bool, error) {
	keys := make([]string, len(reqs))
	args := make([]any, 1, 1+3*len(reqs))
	args[0] = int64(0)
	if r.nowUS != nil {
		args[0] = r.nowUS()
	}
	for i := range reqs {
		keys[i] = r.key(&reqs[i])
		l := reqs[i].Limit
		periodUS := int64(l.Period() / time.Microsecond)
		if l.Algorithm() == ratelimit.SlidingWindow {
			args = append(args, 1, periodUS, int64(l.Count()))
		} else {
			args = append(args, 0, periodUS/int64(l.Count()), int64(l.BurstSize()))
		}
	}
	res, err := r.cb.Execute(func() ([]int64, error) { return r.run(ctx, keys, args) })
	if err != nil {
		r.errs.Add(1)
		if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
			return false, fmt.Errorf("%w: redis circuit breaker open", ratelimit.ErrUnavailable)
		}
		return false, fmt.Errorf("%w: redis: %w", ratelimit.ErrUnavailable, err)
	}
	if len(res) != 1+4*len(reqs) {
		return false, fmt.Errorf("%w: redis: unexpected script reply of %d values", ratelimit.ErrUnavailable, len(res))
	}
	for i := range reqs {
		v := res[1+4*i:]
		out[i] = ratelimit.Decision{Allowed: v[0] == 1, Remaining: v[1],
			Reset: time.Duration(v[2]) * time.Microsecond, RetryAfter: time.Duration(v[3]) * time.Microsecond}
	}
	return res[0] == 1, nil
}

// run runs the script under the check timeout, a deadline on the call's
// context: the client gives up at the deadline (dial, pool wait, write and
// read included) and returns. This needs a client that honours context
// deadlines (ContextTimeoutEnabled in its options; Start refuses one that
// is known not to, and NewURL sets it): no goroutine races a timer.
func (r *Store) run(ctx context.Context, keys []string, args []any) ([]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.script.Run(ctx, r.client, keys, args...).Int64Slice()
}

// ErrIgnoresDeadlines is returned (wrapped) by Store.Start when the client's
// options say it ignores context deadlines (go-redis's default): the check
// timeout could then not bound a check.
var ErrIgnoresDeadlines = errors.New("redisstore: redis client ignores context deadlines; set ContextTimeoutEnabled: true in its options")

// ignoresDeadlines reports whether a client of a known type has
// ContextTimeoutEnabled off. Other UniversalClient implementations are
// trusted to honour the context.
func ignoresDeadlines(c redis.UniversalClient) bool {
	switch c := c.(type) {
	case *redis.Client:
		return !c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return !c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return !c.Options().ContextTimeoutEnabled
	}
	return false
}

// key returns PREFIX{client-key}:scope, with braces in the client key
// escaped so the hash tag is always the whole client key.
func (r *Store) key(q *ratelimit.Request) string {
	k := q.Key
	if strings.ContainsAny(k, "{}%") {
		k = tagEscaper.Replace(k)
	}
	var b strings.Builder
	b.Grow(len(r.prefix) + len(k) + len(q.Scope) + 3)
	b.WriteString(r.prefix)
	b.WriteByte('{')
	b.WriteString(k)
	b.WriteString("}:")
	b.WriteString(q.Scope)
	return b.String()
}

var tagEscaper = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D")

// Start loads the script into Redis so the first checks need one round trip
// too. A Redis that is down at start-up is logged, not fatal: requests
// follow their policies' failure mode until it is reachable. A client whose
// options ignore context deadlines is refused (ErrIgnoresDeadlines): the
// check timeout is a deadline on each command's context.
func (r *Store) Start(ctx context.Context) error {
	if ignoresDeadlines(r.client) {
		return ErrIgnoresDeadlines
	}
	ctx, cancel := context.WithTimeout(ctx, 5*r.timeout)
	defer cancel()
	if err := r.script.Load(ctx, r.client).Err(); err != nil {
		r.logger.Load().Warn("ratelimit: redis unreachable at start; limits follow their failure mode until it is", "error", err.Error())
	}
	return nil
}

// Stop closes the client if the backend created it (NewURL).
func (r *Store) Stop(context.Context) error {
	if r.owned {
		return r.client.Close()
	}
	return nil
}

// Cleanup closes the client if the backend created it (NewURL) and
// Stop did not: the app was never started, or its Start failed. It is
// harmless after Stop.
func (r *Store) Cleanup() error {
	if r.owned {
		if err := r.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
			return err
		}
	}
	return nil
}

// CheckHealth pings Redis. An unreachable Redis (or an open breaker) is
// "degraded", not "down": requests still get answers, per their policies'
// failure mode.
func (r *Store) CheckHealth(ctx context.Context, kind covet.HealthKind) covet.HealthReport {
	rep := covet.HealthReport{Status: covet.HealthOK, Details: map[string]any{
		"breaker": r.cb.State().String(),
		"errors":  r.errs.Load(),
	}}
	if kind == covet.Liveness {
		return rep
	}
	if err := r.ping(ctx); err != nil {
		rep.Status = covet.HealthDegraded
		rep.Error = "redis: " + err.Error()
		return rep
	}
	if st := r.cb.State(); st != gobreaker.StateClosed {
		rep.Status = covet.HealthDegraded
		rep.Error = "redis circuit breaker " + st.String()
	}
	return rep
}

// ping pings Redis, giving up after a second (a context deadline on the
// call) whatever the client's own timeouts are: a hung server must not hold
// the health check.
func (r *Store) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, max(r.timeout, time.Second))
	defer cancel()
	return r.client.Ping(ctx).Err()
}

// BreakerState returns the circuit breaker's state: "closed", "half-open" or "open".
func (r *Store) BreakerState() string { return r.cb.State().String() }

var (
	_ ratelimit.Backend      = (*Store)(nil)
	_ ratelimit.LoggerSetter = (*Store)(nil)
	_ covet.Starter          = (*Store)(nil)
	_ covet.Stopper          = (*Store)(nil)
	_ covet.Cleaner          = (*Store)(nil)
	_ covet.HealthChecker    = (*Store)(nil)
)
