package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/proxy"
)

// Limiter is the rate-limiting plugin. Install it with App.Install: it adds
// app-level middleware that applies each route's policies (see Apply) or
// the default policy (see WithDefaultPolicy). Limiter.Middleware applies
// policies as plain middleware on a group or route instead.
//
// Responses of limited routes carry the IETF RateLimit-Policy and RateLimit
// headers (draft-ietf-httpapi-ratelimit-headers); a refused request gets
// 429 Too Many Requests as application/problem+json with Retry-After.
type Limiter struct {
	config
	logger atomic.Pointer[slog.Logger]

	allowed, denied, failedOpen, failedClosed atomic.Uint64
	lastFailLog                               atomic.Int64
}

// Option configures a Limiter; pass options to New. Options set an
// unexported config whose defaults are set in one place (defaultConfig),
// the option style of every Covet module.
type Option func(*config)

// config is what the options set; the first configuration error is kept
// and returned by Install.
type config struct {
	backend   Backend
	resolver  ipResolver
	def       *Policy
	exempt    map[string]bool
	exemptPre []string
	// exemptCIDRs are WithExemptIPs' entries, checked as they are given;
	// New builds exemptIPs from them.
	exemptCIDRs []string
	exemptIPs   *proxy.Trusted // nil: none
	err         error
}

func defaultConfig() config { return config{resolver: ipResolver{v6Prefix: 64}} }

// WithBackend sets where limits are counted (default: a new Memory backend).
func WithBackend(b Backend) Option {
	return func(l *config) {
		if b != nil {
			l.backend = b
		}
	}
}

// WithTrustedProxies lists the proxies (IPs or CIDR prefixes, such as
// "10.0.0.0/8" or "127.0.0.1") whose forwarding header is believed when
// finding a client's IP. The default trusts none: the client IP is the
// connection's peer, and X-Forwarded-For and Forwarded are ignored, so a
// client cannot pick its own key. List exactly the proxies in front of the
// app, or a client can claim any address.
//
// Without this option the limiter follows the app's trusted proxies
// (covet.WithTrustedProxies, the usual place to configure them, which also
// drive Context.ClientIP, Scheme and Host); with it, this list and
// WithIPHeader replace the app's for the limiter. The header is walked by
// core (package core/proxy) either way.
func WithTrustedProxies(cidrs ...string) Option {
	return func(l *config) {
		if _, err := prefixSet(cidrs); err != nil {
			l.setErr(err)
			return
		}
		l.resolver.cidrs = cidrs
	}
}

// WithIPHeader sets the header trusted proxies record the client chain in
// (default XForwardedFor). Only one is read: a header your proxies do not
// maintain passes through from the client unchanged.
func WithIPHeader(h IPHeader) Option {
	return func(l *config) { l.resolver.header = h }
}

// WithIPv6Prefix sets the prefix length IPv6 clients are counted by
// (default 64: one counter per /64, which a single client usually
// controls; 128 counts every address apart).
func WithIPv6Prefix(bits int) Option {
	return func(l *config) {
		if bits < 1 || bits > 128 {
			l.setErr(fmt.Errorf("ratelimit: IPv6 prefix /%d must be between 1 and 128", bits))
			return
		}
		l.resolver.v6Prefix = bits
	}
}

// WithDefaultPolicy applies a policy to every request that reaches routing
// (unmatched ones included) whose route has no policy of its own.
func WithDefaultPolicy(p *Policy) Option {
	return func(l *config) { l.def = p }
}

// WithExemptPaths exempts request paths from every limit: exact paths
// ("/healthz"), or prefixes ending in "/*" ("/static/*").
func WithExemptPaths(paths ...string) Option {
	return func(l *config) {
		for _, p := range paths {
			if prefix, ok := strings.CutSuffix(p, "/*"); ok {
				l.exemptPre = append(l.exemptPre, prefix+"/")
				continue
			}
			if l.exempt == nil {
				l.exempt = map[string]bool{}
			}
			l.exempt[p] = true
		}
	}
}

// WithExemptIPs exempts clients (IPs or CIDR prefixes, matched against the
// client IP as resolved through trusted proxies) from every limit.
func WithExemptIPs(cidrs ...string) Option {
	return func(l *config) {
		if _, err := prefixSet(cidrs); err != nil {
			l.setErr(err)
			return
		}
		l.exemptCIDRs = append(l.exemptCIDRs, cidrs...)
	}
}

func (l *config) setErr(err error) {
	if l.err == nil {
		l.err = err
	}
}

// New returns a limiter. Configuration errors are returned by App.Install.
func New(opts ...Option) *Limiter {
	l := &Limiter{config: defaultConfig()}
	for _, o := range opts {
		if o != nil {
			o(&l.config)
		}
	}
	if err := l.resolver.build(); err != nil {
		l.setErr(err)
	}
	if len(l.exemptCIDRs) > 0 {
		// The entries were checked by WithExemptIPs.
		l.exemptIPs, _ = prefixSet(l.exemptCIDRs)
	}
	if l.backend == nil {
		l.backend = NewMemory()
	}
	if l.def != nil && l.def.err != nil {
		l.setErr(l.def.err)
	}
	l.logger.Store(slog.New(slog.DiscardHandler))
	return l
}

// Name returns "ratelimit".
func (l *Limiter) Name() string { return "ratelimit" }

// Install checks the configuration and adds the limiter's middleware.
func (l *Limiter) Install(app *covet.App) error {
	if l.err != nil {
		return l.err
	}
	l.logger.Store(app.Logger())
	if lb, ok := l.backend.(LoggerSetter); ok {
		lb.SetLogger(app.Logger())
	}
	app.UseAt(covet.PhaseGuard, l.appMiddleware)
	app.DocumentResponses(l.documentResponses)
	return nil
}

// ObserveRoutes checks the policies routes carry (see Apply) before the app
// serves: each must be valid, and two different policies must not share a
// name, since the name identifies their counters.
func (l *Limiter) ObserveRoutes(routes []covet.RouteInfo) error {
	seen := map[string]*Policy{}
	var errs []error
	check := func(where string, p *Policy) {
		if p.err != nil {
			errs = append(errs, fmt.Errorf("ratelimit: %s: %w", where, p.err))
			return
		}
		if q, ok := seen[p.name]; ok && q != p {
			errs = append(errs, fmt.Errorf("ratelimit: %s: another policy is also named %q (the name identifies its counters)", where, p.name))
			return
		}
		seen[p.name] = p
	}
	if l.def != nil {
		check("default policy", l.def)
	}
	for i := range routes {
		if ps, ok := policiesKey.Get(&routes[i]); ok {
			for _, p := range ps {
				check("route "+routes[i].String(), p)
			}
		}
	}
	return errors.Join(errs...)
}

// Start starts the backend if it has work to do at start-up (the Redis
// backend loads its script and checks the connection).
func (l *Limiter) Start(ctx context.Context) error {
	if s, ok := l.backend.(covet.Starter); ok {
		return s.Start(ctx)
	}
	return nil
}

// Stop stops the backend if it has work to do at shutdown.
func (l *Limiter) Stop(ctx context.Context) error {
	if s, ok := l.backend.(covet.Stopper); ok {
		return s.Stop(ctx)
	}
	return nil
}

// Cleanup releases what the backend holds if the app ends without a
// successful Start and Stop (the client redisstore.NewURL created is closed).
func (l *Limiter) Cleanup() error {
	if c, ok := l.backend.(covet.Cleaner); ok {
		return c.Cleanup()
	}
	return nil
}

// CheckHealth reports the backend's health (the Redis backend pings Redis
// and reports its circuit breaker), with the limiter's counters.
func (l *Limiter) CheckHealth(ctx context.Context, kind covet.HealthKind) covet.HealthReport {
	rep := covet.HealthReport{Status: covet.HealthOK}
	if hc, ok := l.backend.(covet.HealthChecker); ok {
		rep = hc.CheckHealth(ctx, kind)
	}
	if rep.Details == nil {
		rep.Details = map[string]any{}
	}
	if m, ok := l.backend.(*Memory); ok {
		ms := m.Stats()
		rep.Details["keys"] = ms.Keys
		rep.Details["evicted_live"] = ms.EvictedLive
	}
	s := l.Stats()
	rep.Details["allowed"] = s.Allowed
	rep.Details["denied"] = s.Denied
	rep.Details["failed_open"] = s.FailedOpen
	rep.Details["failed_closed"] = s.FailedClosed
	return rep
}

// Stats are a limiter's counters since it was created.
type Stats struct {
	// Allowed and Denied count requests checked against at least one limit.
	Allowed, Denied uint64
	// FailedOpen counts requests let through because the backend could not
	// answer; FailedClosed counts those refused with 503 for that reason.
	FailedOpen, FailedClosed uint64
}

// Stats returns the limiter's counters.
func (l *Limiter) Stats() Stats {
	return Stats{Allowed: l.allowed.Load(), Denied: l.denied.Load(), FailedOpen: l.failedOpen.Load(), FailedClosed: l.failedClosed.Load()}
}

// AppendStats appends the limiter's counters (covet.StatsReporter):
// allowed, limited (refused with 429), failed_open and failed_closed
// (requests let through, or refused with 503, because the backend failed);
// with a Memory backend also memory_keys, memory_expired and
// memory_evicted_live.
func (l *Limiter) AppendStats(dst []covet.Stat) []covet.Stat {
	s := l.Stats()
	dst = append(dst,
		covet.Stat{Name: "allowed", Help: "Requests checked against a limit and allowed.", Kind: covet.StatCounter, Value: float64(s.Allowed)},
		covet.Stat{Name: "limited", Help: "Requests refused by a limit (429).", Kind: covet.StatCounter, Value: float64(s.Denied)},
		covet.Stat{Name: "failed_open", Help: "Requests let through because the limiter's backend failed.", Kind: covet.StatCounter, Value: float64(s.FailedOpen)},
		covet.Stat{Name: "failed_closed", Help: "Requests refused (503) because the limiter's backend failed.", Kind: covet.StatCounter, Value: float64(s.FailedClosed)},
	)
	if m, ok := l.backend.(*Memory); ok {
		ms := m.Stats()
		dst = append(dst,
			covet.Stat{Name: "memory_keys", Help: "Keys held by the in-memory backend.", Kind: covet.StatGauge, Value: float64(ms.Keys)},
			covet.Stat{Name: "memory_expired", Help: "Keys the in-memory backend removed after they expired.", Kind: covet.StatCounter, Value: float64(ms.Expired)},
			covet.Stat{Name: "memory_evicted_live", Help: "Keys the in-memory backend removed before they expired because it was full.", Kind: covet.StatCounter, Value: float64(ms.EvictedLive)},
		)
	}
	return dst
}

var _ covet.StatsReporter = (*Limiter)(nil)

// Backend returns the limiter's backend.
func (l *Limiter) Backend() Backend { return l.backend }

// ClientIP returns the client's IP as the limiter resolves it (through
// trusted proxies only); the zero Addr if the peer address is not an IP.
func (l *Limiter) ClientIP(c *covet.Context) netip.Addr {
	return clientIP(c.Request(), l.resolver.proxies(c.App()))
}

var policiesKey = covet.NewMetaKey[[]*Policy]("ratelimit.policies")
var exemptKey = covet.NewMetaKey[bool]("ratelimit.exempt")

// Apply returns a route option that applies policies to the routes it is
// given to (Route.With, or Group.With for a whole group), in place of the
// limiter's default policy. The last Apply on a route wins: to keep a
// group's policy and add one on a route, apply both there. The policies are
// stored in the route's metadata and enforced by the installed Limiter's
// middleware: without an installed Limiter they do nothing (use
// Limiter.Middleware then).
func Apply(policies ...*Policy) covet.RouteOption {
	var ps []*Policy
	for _, p := range policies {
		if p != nil && !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	return policiesKey.Set(ps)
}

// Exempt returns a route option that exempts routes from every limit,
// including the default policy.
func Exempt() covet.RouteOption {
	return exemptKey.Set(true)
}

// Middleware returns middleware that applies policies to the requests it
// sees, for use on groups and routes (Group.Use, Route.Use) or in apps that
// do not install the limiter. It counts in addition to what the installed
// plugin applies (a route's Apply or the default policy); exemptions apply
// to it too. It panics if a policy is invalid: policies are fixed at
// start-up.
func (l *Limiter) Middleware(policies ...*Policy) covet.Middleware {
	if l.err != nil {
		panic(l.err.Error())
	}
	for _, p := range policies {
		if p == nil {
			panic("ratelimit: Middleware: nil policy")
		}
		if p.err != nil {
			panic(p.err.Error())
		}
	}
	ps := append([]*Policy(nil), policies...)
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			if l.isExempt(c) {
				return next(c)
			}
			return l.check(c, ps, next)
		}
	}
}

// appMiddleware is the middleware the plugin installs.
func (l *Limiter) appMiddleware(next covet.HandlerFunc) covet.HandlerFunc {
	var def []*Policy
	if l.def != nil {
		def = []*Policy{l.def}
	}
	return func(c *covet.Context) error {
		ps := def
		if rt := c.Route(); rt != nil {
			if ex, _ := exemptKey.Get(rt); ex {
				return next(c)
			}
			if own, ok := policiesKey.Get(rt); ok {
				ps = own
			}
		}
		if len(ps) == 0 || l.isExempt(c) {
			return next(c)
		}
		return l.check(c, ps, next)
	}
}

func (l *Limiter) isExempt(c *covet.Context) bool {
	r := c.Request()
	if r.Method == http.MethodOptions && len(r.Header["Access-Control-Request-Method"]) > 0 && len(r.Header["Origin"]) > 0 {
		// CORS preflights are not counted: refusing one shows the page a
		// network error instead of a 429 it could read.
		return true
	}
	if l.exempt != nil && l.exempt[r.URL.Path] {
		return true
	}
	for _, p := range l.exemptPre {
		if strings.HasPrefix(r.URL.Path, p) {
			return true
		}
	}
	if l.exemptIPs != nil {
		a := clientIP(r, l.resolver.proxies(c.App()))
		if a.IsValid() && l.exemptIPs.Trusts(a) {
			return true
		}
	}
	return false
}

// maxInline is how many limits a request may meet without a heap allocation.
const maxInline = 8

// scratch is one check's working memory, pooled: the backend is an
// interface, so arrays on the stack would escape to the heap on every request.
type scratch struct {
	n     int // entries of reqs and rules in use
	rq    request
	reqs  [maxInline]Request
	rules [maxInline]*rule
	out   [maxInline]Decision
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// keyMemo is a key's value for the request being checked.
type keyMemo struct {
	id  *byte
	key string
	ok  bool
}

// check applies policies to the request.
func (l *Limiter) check(c *covet.Context, ps []*Policy, next covet.HandlerFunc) error {
	s := scratchPool.Get().(*scratch)
	s.rq = request{c: c, res: &l.resolver}
	reqs, rules := s.reqs[:0], s.rules[:0]
	method := c.Request().Method
	mode := FailOpen
	var memo [maxInline]keyMemo // keys computed for this request, by Key
	nm := 0
	for _, p := range ps {
		if !p.appliesTo(method) {
			continue
		}
		if p.mode == FailClosed {
			mode = FailClosed
		}
	rules:
		for i := range p.rules {
			r := &p.rules[i]
			for j := range nm {
				if memo[j].id == r.key.id {
					if !memo[j].ok {
						continue rules
					}
					reqs = append(reqs, Request{Scope: r.scope, Key: memo[j].key, Limit: r.limit})
					rules = append(rules, r)
					continue rules
				}
			}
			k, ok := r.key.fn(&s.rq)
			if len(k) > maxKeyLen {
				k = longKey(k)
			}
			if nm < len(memo) {
				memo[nm] = keyMemo{id: r.key.id, key: k, ok: ok}
				nm++
			}
			if !ok {
				continue
			}
			reqs = append(reqs, Request{Scope: r.scope, Key: k, Limit: r.limit})
			rules = append(rules, r)
		}
	}
	s.n = len(reqs)
	if len(reqs) == 0 {
		s.release()
		return next(c)
	}
	var out []Decision
	if len(reqs) <= maxInline {
		out = s.out[:len(reqs)]
	} else {
		out = make([]Decision, len(reqs))
	}
	h := c.Response().Header()
	for _, p := range ps {
		if p.appliesTo(method) {
			if cur := h["Ratelimit-Policy"]; cur == nil {
				h["Ratelimit-Policy"] = p.header // shared; len == cap, so appends copy
			} else {
				h["Ratelimit-Policy"] = append(cur, p.header...)
			}
		}
	}
	ok, err := l.backend.Take(c.Context(), reqs, out)
	if err != nil {
		s.release()
		return l.failed(c, mode, err, next)
	}
	h["Ratelimit"] = []string{rateLimitField(rules, out)}
	if ok {
		s.release()
		l.allowed.Add(1)
		return next(c)
	}
	l.denied.Add(1)
	var retry time.Duration
	var which *rule
	for i := range out {
		if !out[i].Allowed && out[i].RetryAfter > retry {
			retry, which = out[i].RetryAfter, rules[i]
		}
	}
	s.release()
	secs := ceilSeconds(retry)
	return covet.NewError(http.StatusTooManyRequests, "rate limit "+which.name+" ("+which.limit.String()+") exceeded; retry in "+strconv.FormatInt(secs, 10)+"s").
		WithHeader("Retry-After", strconv.FormatInt(secs, 10)).
		WithExtension("limit", which.name).
		WithExtension("retry_after", secs)
}

// release returns the scratch to the pool, dropping references to the request.
func (s *scratch) release() {
	s.rq = request{}
	n := min(s.n, maxInline)
	clear(s.reqs[:n])
	clear(s.rules[:n])
	s.n = 0
	scratchPool.Put(s)
}

// failed applies the failure mode when the backend could not answer.
func (l *Limiter) failed(c *covet.Context, mode FailureMode, err error, next covet.HandlerFunc) error {
	if mode == FailClosed {
		l.failedClosed.Add(1)
		l.logFailure(c, mode, err)
		return covet.NewError(http.StatusServiceUnavailable, "rate limiter unavailable; retry shortly").
			WithHeader("Retry-After", "1").
			WithCause(err)
	}
	l.failedOpen.Add(1)
	l.logFailure(c, mode, err)
	return next(c)
}

// logFailure logs a backend failure at most once a second, so an outage
// does not flood the logs (the backend logs its breaker's changes).
func (l *Limiter) logFailure(c *covet.Context, mode FailureMode, err error) {
	now := time.Now().UnixNano()
	last := l.lastFailLog.Load()
	if now-last < int64(time.Second) || !l.lastFailLog.CompareAndSwap(last, now) {
		return
	}
	l.logger.Load().WarnContext(c.Context(), "ratelimit: backend failed; applying the policy's failure mode",
		"mode", mode.String(), "error", err.Error(),
		"failed_open", l.failedOpen.Load(), "failed_closed", l.failedClosed.Load())
}

// rateLimitField formats the RateLimit field: one item per limit, with the
// remaining quota (r) and the seconds until it is whole (t).
func rateLimitField(rules []*rule, out []Decision) string {
	var buf [256]byte
	b := buf[:0]
	for i, r := range rules {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '"')
		b = append(b, r.name...)
		b = append(b, `";r=`...)
		b = strconv.AppendInt(b, max(out[i].Remaining, 0), 10)
		b = append(b, ";t="...)
		b = strconv.AppendInt(b, ceilSeconds(out[i].Reset), 10)
	}
	return string(b)
}

func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

var (
	_ covet.Plugin        = (*Limiter)(nil)
	_ covet.Starter       = (*Limiter)(nil)
	_ covet.Stopper       = (*Limiter)(nil)
	_ covet.Cleaner       = (*Limiter)(nil)
	_ covet.HealthChecker = (*Limiter)(nil)
	_ covet.RouteObserver = (*Limiter)(nil)
)
