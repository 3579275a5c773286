package authredis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// Option configures a store.
type Option func(*config)

type config struct {
	prefix   string
	timeout  time.Duration
	failures uint32
	openFor  time.Duration
	stall    time.Duration
	retain   time.Duration
}

// WithKeyPrefix sets the prefix of every key (default "covet:auth:").
func WithKeyPrefix(p string) Option { return func(c *config) { c.prefix = p } }

// WithTimeout bounds every command, connection and retries included
// (default 100 ms).
func WithTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithBreaker opens the circuit breaker after failures consecutive failed
// commands (default 3) for openFor (default 2 s); then one probe is let through.
//
// A command that could not reach Redis (connection refused, reset, closed)
// counts at once. Timed-out commands open it only once commands have been
// failing, none answered, for the stall window (WithStallWindow):
// on a loaded machine a goroutine can be held past the deadline while Redis
// answered in time, and a few such timeouts in a row must not shut every
// request out for openFor.
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

// WithStallWindow sets how long commands must have been failing, none
// answered, before timed-out commands open the breaker (default 1 s). Each timed-out command
// still fails (fail closed or open, by the auth plugin's policy); only the
// breaker's fast refusal waits for the stall to be real.
func WithStallWindow(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.stall = d
		}
	}
}

// WithRetention sets how long "log out everywhere" cut-offs are kept
// (default 30 days): the longest lifetime of a token the app issues.
func WithRetention(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.retain = d
		}
	}
}

// base is what the three stores share: the client, the key prefix, the
// deadline and the breaker.
type base struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
	retain  time.Duration
	cb      *gobreaker.CircuitBreaker[any]
	// failingSince is when the first of the commands failed since Redis
	// last answered one (Unix nanoseconds, 0: the last one was answered);
	// unreachable whether the last failed command could not reach Redis.
	failingSince atomic.Int64
	unreachable  atomic.Bool
}

func newBase(name string, client redis.UniversalClient, opts []Option) (*base, error) {
	cfg := config{prefix: "covet:auth:", timeout: 100 * time.Millisecond, failures: 3, openFor: 2 * time.Second,
		stall: time.Second, retain: 30 * 24 * time.Hour}
	for _, o := range opts {
		o(&cfg)
	}
	if client == nil {
		return nil, fmt.Errorf("authredis: %s: nil client", name)
	}
	if !contextTimeouts(client) {
		return nil, fmt.Errorf("authredis: %s: the client must set ContextTimeoutEnabled: true, so that request deadlines bound its commands", name)
	}
	b := &base{client: client, prefix: cfg.prefix, timeout: cfg.timeout, retain: cfg.retain}
	b.cb = gobreaker.NewCircuitBreaker[any](gobreaker.Settings{
		Name:        "authredis-" + name,
		MaxRequests: 1,
		Timeout:     cfg.openFor,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			if c.ConsecutiveFailures < cfg.failures {
				return false
			}
			// Unreachable: open now. Timed out: open once commands have
			// failed, none answered, for the stall window.
			fs := b.failingSince.Load()
			return b.unreachable.Load() || (fs != 0 && time.Since(time.Unix(0, fs)) >= cfg.stall)
		},
		IsSuccessful: func(err error) bool {
			var re redis.Error
			if err == nil || errors.Is(err, redis.Nil) || errors.As(err, &re) {
				b.failingSince.Store(0)
				return true
			}
			b.failingSince.CompareAndSwap(0, time.Now().UnixNano())
			b.unreachable.Store(!isTimeout(err))
			return false
		},
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
	})
	return b, nil
}

// isTimeout reports whether err is a deadline that passed (the command's
// context, or a network deadline derived from it) rather than Redis being
// unreachable.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func contextTimeouts(c redis.UniversalClient) bool {
	switch x := c.(type) {
	case *redis.Client:
		return x.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return x.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return x.Options().ContextTimeoutEnabled
	}
	return true // another implementation: its own business
}

// NewClient returns a client for a redis:// URL with context deadlines
// enabled, for the stores' constructors.
func NewClient(url string) (*redis.Client, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("authredis: %w", err)
	}
	o.ContextTimeoutEnabled = true
	return redis.NewClient(o), nil
}

// do runs f under the deadline and the breaker; failures wrap
// auth.ErrStoreUnavailable.
func (b *base) do(ctx context.Context, f func(ctx context.Context) error) error {
	_, err := b.cb.Execute(func() (any, error) {
		cctx, cancel := context.WithTimeout(ctx, b.timeout)
		defer cancel()
		return nil, f(cctx)
	})
	if err == nil || errors.Is(err, redis.Nil) {
		return err
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return err
	}
	return fmt.Errorf("%w: redis: %w", auth.ErrStoreUnavailable, err)
}

// tag returns the key part of a value inside a hash tag, braces escaped.
func tag(s string) string {
	if strings.ContainsAny(s, "{}%") {
		s = tagEscaper.Replace(s)
	}
	return "{" + s + "}"
}

var tagEscaper = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D")

// BreakerState returns "closed", "half-open" or "open".
func (b *base) BreakerState() string { return b.cb.State().String() }

// CheckHealth pings Redis within the store's timeout (at least a second).
func (b *base) CheckHealth(ctx context.Context, kind covet.HealthKind) covet.HealthReport {
	rep := covet.HealthReport{Status: covet.HealthOK, Details: map[string]any{"breaker": b.cb.State().String()}}
	if kind == covet.Liveness {
		return rep
	}
	cctx, cancel := context.WithTimeout(ctx, max(b.timeout, time.Second))
	defer cancel()
	if err := b.client.Ping(cctx).Err(); err != nil {
		rep.Status, rep.Error = covet.HealthDown, "redis: "+err.Error()
	}
	return rep
}

// UseOnce implements auth.OnceStore (one-time login states across
// instances) for every store of this package: SET PREFIX:once:<key> NX
// with the value's expiry, one round trip.
func (b *base) UseOnce(ctx context.Context, key string, expires time.Time) (bool, error) {
	ttl := time.Until(expires)
	if ttl < time.Second {
		ttl = time.Second
	}
	var fresh bool
	err := b.do(ctx, func(ctx context.Context) error {
		var err error
		fresh, err = b.client.SetNX(ctx, b.prefix+"once:"+key, "1", ttl).Result()
		return err
	})
	return fresh, err
}

var (
	_ auth.OnceStore = (*Sessions)(nil)
	_ auth.OnceStore = (*Revocation)(nil)
	_ auth.OnceStore = (*Refresh)(nil)
)
