package ratelimit

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FailureMode is what a policy does with a request when the backend cannot
// answer (Redis unreachable, or its circuit breaker open).
type FailureMode uint8

const (
	// FailOpen lets the request through, logs the failure (at most once per
	// breaker trip) and counts it in Stats.FailedOpen. The default: a
	// limiter outage does not become an application outage.
	FailOpen FailureMode = iota
	// FailClosed answers 503 Service Unavailable (problem+json, with
	// Retry-After) and counts it in Stats.FailedClosed: for limits that
	// protect something more important than availability (login attempts,
	// costly operations).
	FailClosed
)

// String returns "fail-open" or "fail-closed".
func (m FailureMode) String() string {
	if m == FailClosed {
		return "fail-closed"
	}
	return "fail-open"
}

// Policy is a named set of limits applied together to a request: all must
// allow it, and a request one of them refuses is counted by none. Apply it
// to routes and groups with Apply, to every request with WithDefaultPolicy,
// or as middleware with Limiter.Middleware. The name identifies the
// policy's counters in the backend (instances sharing Redis must use the
// same names) and appears in the RateLimit headers.
//
//	writes := ratelimit.NewPolicy("writes",
//		ratelimit.WithLimits(ratelimit.PerSecond(5).Burst(10), ratelimit.PerDay(1000)),
//		ratelimit.WithKey(ratelimit.IP()),
//		ratelimit.WithMethods("POST", "PUT", "PATCH", "DELETE"),
//	)
type Policy struct {
	name string
	policyConfig

	rules  []rule
	header []string // the RateLimit-Policy field value
	err    error
}

// rule is one compiled limit of a policy.
type rule struct {
	limit Limit
	key   Key
	name  string // in headers
	scope string // in storage
	quota int64  // q
	win   int64  // w, seconds
}

// PolicyOption configures a Policy; pass options to NewPolicy. Like
// Option, it sets an unexported config with its defaults in one place.
type PolicyOption func(*policyConfig)

// policyConfig is what the policy options set.
type policyConfig struct {
	limits  []Limit
	key     Key
	mode    FailureMode
	methods []string
}

func defaultPolicyConfig() policyConfig { return policyConfig{key: IP()} }

// WithLimits sets the policy's limits (at least one). Each limit counts by
// its own key if it has one (Limit.By), else by the policy's.
func WithLimits(limits ...Limit) PolicyOption {
	return func(p *policyConfig) { p.limits = append([]Limit(nil), limits...) }
}

// WithKey sets what the policy's limits count by (default IP()).
func WithKey(k Key) PolicyOption {
	return func(p *policyConfig) { p.key = k }
}

// WithFailureMode sets what happens when the backend cannot answer (default FailOpen).
func WithFailureMode(m FailureMode) PolicyOption {
	return func(p *policyConfig) { p.mode = m }
}

// WithMethods restricts the policy to requests with these methods, for
// example the writes of a group: WithMethods("POST", "PUT", "PATCH", "DELETE").
func WithMethods(methods ...string) PolicyOption {
	return func(p *policyConfig) { p.methods = append([]string(nil), methods...) }
}

// NewPolicy returns a policy. An invalid policy (no limits, an invalid
// limit or name) keeps its error; Err returns it, App.Install or the app's
// start reports it, and Limiter.Middleware panics with it.
func NewPolicy(name string, opts ...PolicyOption) *Policy {
	p := &Policy{name: name, policyConfig: defaultPolicyConfig()}
	for _, o := range opts {
		if o != nil {
			o(&p.policyConfig)
		}
	}
	p.err = p.compile()
	return p
}

// Name returns the policy's name.
func (p *Policy) Name() string { return p.name }

// Err returns the policy's configuration error, or nil.
func (p *Policy) Err() error { return p.err }

// Limits returns the policy's limits.
func (p *Policy) Limits() []Limit { return append([]Limit(nil), p.limits...) }

// FailureMode returns the policy's failure mode.
func (p *Policy) FailureMode() FailureMode { return p.mode }

func (p *Policy) compile() error {
	var errs []error
	if !validName(p.name) {
		errs = append(errs, fmt.Errorf("ratelimit: policy name %q: use letters, digits and .-_", p.name))
	}
	if len(p.limits) == 0 {
		errs = append(errs, fmt.Errorf("ratelimit: policy %q has no limits", p.name))
	}
	if p.key.fn == nil {
		errs = append(errs, fmt.Errorf("ratelimit: policy %q has no key", p.name))
	}
	for _, m := range p.methods {
		if m == "" || strings.ToUpper(m) != m {
			errs = append(errs, fmt.Errorf("ratelimit: policy %q: method %q must be upper case", p.name, m))
		}
	}
	used := map[string]bool{}
	var hdr strings.Builder
	for i, l := range p.limits {
		if l.err != nil {
			errs = append(errs, fmt.Errorf("ratelimit: policy %q: %w", p.name, l.err))
			continue
		}
		r := rule{limit: l, key: p.key}
		if l.key != nil {
			r.key = *l.key
			if r.key.fn == nil {
				errs = append(errs, fmt.Errorf("ratelimit: policy %q: limit %s has an empty key", p.name, l))
				continue
			}
		}
		r.name = l.name
		if r.name == "" {
			r.name = p.name
			if len(p.limits) > 1 {
				r.name = p.name + "." + periodLabel(l.period)
			}
		}
		if used[r.name] {
			if l.name != "" {
				errs = append(errs, fmt.Errorf("ratelimit: policy %q: two limits are named %q", p.name, l.name))
				continue
			}
			r.name += "-" + strconv.Itoa(i+1)
		}
		used[r.name] = true
		algo := "g"
		if l.algo == SlidingWindow {
			algo = "s"
		}
		r.scope = p.name + "/" + r.name + "/" + algo
		r.quota = l.rate
		r.win = int64((l.period + time.Second - 1) / time.Second)
		p.rules = append(p.rules, r)
		if hdr.Len() > 0 {
			hdr.WriteString(", ")
		}
		fmt.Fprintf(&hdr, "%q;q=%d;w=%d", r.name, r.quota, r.win)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	p.header = []string{hdr.String()}
	return nil
}

func periodLabel(d time.Duration) string {
	switch d {
	case time.Second, time.Minute, time.Hour, 24 * time.Hour:
		return periodName(d)
	}
	return d.String()
}

// appliesTo reports whether the policy counts requests with this method.
func (p *Policy) appliesTo(method string) bool {
	if len(p.methods) == 0 {
		return true
	}
	for _, m := range p.methods {
		if m == method {
			return true
		}
	}
	return false
}
