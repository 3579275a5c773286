package middleware

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	covet "github.com/covetgo/covet/core"
)

// SecureHeadersOption configures SecureHeaders.
type SecureHeadersOption func(*secureConfig)

type secureConfig struct {
	csp, cspReportOnly string
	frameOptions       string
	referrerPolicy     string
	coop, corp         string
	permissionsPolicy  string
	hstsMaxAge         time.Duration
	hstsSubdomains     bool
	hstsPreload        bool
	trustedProxies     []netip.Prefix
}

// DefaultCSP is the Content-Security-Policy SecureHeaders sends unless
// WithCSP sets one: it only forbids framing the page, the CSP form of
// X-Frame-Options: DENY. A real policy depends on the app's scripts and
// styles, so only the app can write it.
const DefaultCSP = "frame-ancestors 'none'"

// WithCSP sets the Content-Security-Policy (default DefaultCSP; "" sends
// none). Include a frame-ancestors directive: the policy replaces the default
// one, which only has that directive.
func WithCSP(policy string) SecureHeadersOption {
	return func(c *secureConfig) { c.csp = policy }
}

// WithCSPReportOnly sets a Content-Security-Policy-Report-Only policy, to try
// a policy out before enforcing it (default none).
func WithCSPReportOnly(policy string) SecureHeadersOption {
	return func(c *secureConfig) { c.cspReportOnly = policy }
}

// WithFrameOptions sets X-Frame-Options (default "DENY"; "SAMEORIGIN"
// allows the app's own pages to frame it; "" sends none).
func WithFrameOptions(v string) SecureHeadersOption {
	return func(c *secureConfig) { c.frameOptions = v }
}

// WithReferrerPolicy sets Referrer-Policy (default
// "strict-origin-when-cross-origin"; "" sends none).
func WithReferrerPolicy(v string) SecureHeadersOption {
	return func(c *secureConfig) { c.referrerPolicy = v }
}

// WithCrossOriginOpenerPolicy sets Cross-Origin-Opener-Policy (default
// "same-origin-allow-popups": other sites' pages cannot reach the app's
// windows, and the popups the app opens, such as OAuth sign-in windows, can
// still report back to it; "same-origin" isolates those popups too; ""
// sends none).
func WithCrossOriginOpenerPolicy(v string) SecureHeadersOption {
	return func(c *secureConfig) { c.coop = v }
}

// WithCrossOriginResourcePolicy sets Cross-Origin-Resource-Policy ("same-origin",
// "same-site" or "cross-origin"; default none, since it stops other sites
// from embedding the app's images and scripts).
func WithCrossOriginResourcePolicy(v string) SecureHeadersOption {
	return func(c *secureConfig) { c.corp = v }
}

// WithPermissionsPolicy sets Permissions-Policy, for example
// "camera=(), microphone=(), geolocation=()" (default none).
func WithPermissionsPolicy(v string) SecureHeadersOption {
	return func(c *secureConfig) { c.permissionsPolicy = v }
}

// WithHSTSMaxAge sets the max-age of Strict-Transport-Security (default two
// years, the preload list's recommendation; 0 sends no HSTS header).
func WithHSTSMaxAge(d time.Duration) SecureHeadersOption {
	return func(c *secureConfig) { c.hstsMaxAge = d }
}

// WithHSTSSubdomains sets whether HSTS covers subdomains (includeSubDomains,
// default true).
func WithHSTSSubdomains(on bool) SecureHeadersOption {
	return func(c *secureConfig) { c.hstsSubdomains = on }
}

// WithHSTSPreload adds the preload directive, asking browsers to ship the
// domain in their HTTPS-only list. It is hard to undo: read
// https://hstspreload.org first. Preloading needs includeSubDomains and a
// max-age of at least a year; SecureHeaders panics otherwise.
func WithHSTSPreload() SecureHeadersOption {
	return func(c *secureConfig) { c.hstsPreload = true }
}

// WithTrustedProxies names the proxies (IP addresses or CIDR prefixes, such as
// "10.0.0.0/8") whose X-Forwarded-Proto header is believed: a request they
// forward with X-Forwarded-Proto: https counts as HTTPS for HSTS. The header
// is ignored from any other peer. An invalid entry panics.
//
// Deprecated: configure the proxies once for the whole app with
// covet.WithTrustedProxies; SecureHeaders follows Context.Scheme, and this
// list only adds to it.
func WithTrustedProxies(proxies ...string) SecureHeadersOption {
	return func(c *secureConfig) {
		for _, p := range proxies {
			c.trustedProxies = append(c.trustedProxies, mustPrefix("SecureHeaders", p))
		}
	}
}

func mustPrefix(who, s string) netip.Prefix {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			panic(fmt.Sprintf("middleware: %s: invalid proxy prefix %q: %v", who, s, err))
		}
		return p.Masked()
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		panic(fmt.Sprintf("middleware: %s: invalid proxy address %q: %v", who, s, err))
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen())
}

type headerPair struct{ key, value string }

// SecureHeaders sets the OWASP-recommended security headers on every
// response:
//
//	X-Content-Type-Options: nosniff
//	X-Frame-Options: DENY
//	Content-Security-Policy: frame-ancestors 'none'   (or the app's, WithCSP)
//	Referrer-Policy: strict-origin-when-cross-origin
//	Cross-Origin-Opener-Policy: same-origin-allow-popups
//	Strict-Transport-Security: max-age=63072000; includeSubDomains   (HTTPS only)
//
// and, when configured, Content-Security-Policy-Report-Only,
// Cross-Origin-Resource-Policy and Permissions-Policy. HSTS is sent only on
// requests whose scheme is https (Context.Scheme: over TLS, or forwarded
// with X-Forwarded-Proto: https by one of the app's trusted proxies, see
// covet.WithTrustedProxies); browsers ignore it over plain HTTP anyway.
//
// The headers are set before the handler runs, and only where the response
// has no such header yet: a handler (or an outer middleware) that sets its
// own value keeps it, and a handler may delete one it does not want.
func SecureHeaders(opts ...SecureHeadersOption) covet.Middleware {
	cfg := secureConfig{
		csp:            DefaultCSP,
		frameOptions:   "DENY",
		referrerPolicy: "strict-origin-when-cross-origin",
		coop:           "same-origin-allow-popups",
		hstsMaxAge:     2 * 365 * 24 * time.Hour,
		hstsSubdomains: true,
	}
	for _, o := range opts {
		o(&cfg)
	}
	pairs := []headerPair{{"X-Content-Type-Options", "nosniff"}}
	add := func(k, v string) {
		if v != "" {
			pairs = append(pairs, headerPair{k, v})
		}
	}
	add("X-Frame-Options", cfg.frameOptions)
	add("Content-Security-Policy", cfg.csp)
	add("Content-Security-Policy-Report-Only", cfg.cspReportOnly)
	add("Referrer-Policy", cfg.referrerPolicy)
	add("Cross-Origin-Opener-Policy", cfg.coop)
	add("Cross-Origin-Resource-Policy", cfg.corp)
	add("Permissions-Policy", cfg.permissionsPolicy)

	hsts := ""
	if cfg.hstsMaxAge > 0 {
		secs := int64(cfg.hstsMaxAge / time.Second)
		if cfg.hstsPreload && (!cfg.hstsSubdomains || secs < 31536000) {
			panic("middleware: SecureHeaders: HSTS preload needs includeSubDomains and a max-age of at least a year")
		}
		hsts = "max-age=" + strconv.FormatInt(secs, 10)
		if cfg.hstsSubdomains {
			hsts += "; includeSubDomains"
		}
		if cfg.hstsPreload {
			hsts += "; preload"
		}
	} else if cfg.hstsPreload {
		panic("middleware: SecureHeaders: HSTS preload needs a max-age")
	}
	trusted := cfg.trustedProxies
	n := len(pairs) + 1
	slabs := &stringSlabs{n: n}

	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			h := c.Response().Header()
			// The values' slices are this request's alone (a handler may
			// write into one), carved from a slab shared with other
			// requests: one allocation per slabRequests requests.
			vals := slabs.get()
			if len(h) <= 4 && !hasAnyKey(h, pairs) {
				// None of them is set (the usual case: only a request ID
				// or so yet): set them all without a lookup each.
				for i, p := range pairs {
					vals[i] = p.value
					h[p.key] = vals[i : i+1 : i+1]
				}
			} else {
				for i, p := range pairs {
					if _, ok := h[p.key]; !ok {
						vals[i] = p.value
						h[p.key] = vals[i : i+1 : i+1]
					}
				}
			}
			if hsts != "" {
				if _, ok := h["Strict-Transport-Security"]; !ok && (c.Scheme() == "https" || len(trusted) > 0 && isHTTPS(c.Request(), trusted)) {
					vals[n-1] = hsts
					h["Strict-Transport-Security"] = vals[n-1 : n : n]
				}
			}
			return next(c)
		}
	}
}

// hasAnyKey reports whether h (a few keys) has one of pairs' keys: a walk
// over h with string comparisons, cheaper than a map lookup per pair.
func hasAnyKey(h http.Header, pairs []headerPair) bool {
	for k := range h {
		for _, p := range pairs {
			if k == p.key {
				return true
			}
		}
	}
	return false
}

// isHTTPS reports whether the request came over TLS, directly or through a
// trusted proxy that says so in X-Forwarded-Proto.
func isHTTPS(r *http.Request, trusted []netip.Prefix) bool {
	if r.TLS != nil {
		return true
	}
	if len(trusted) == 0 {
		return false
	}
	vs := r.Header["X-Forwarded-Proto"]
	if len(vs) == 0 {
		return false
	}
	// The first value is the scheme the client used.
	proto, _, _ := strings.Cut(vs[0], ",")
	if !strings.EqualFold(strings.TrimSpace(proto), "https") {
		return false
	}
	return fromTrusted(r.RemoteAddr, trusted)
}

func fromTrusted(remoteAddr string, trusted []netip.Prefix) bool {
	ap, err := netip.ParseAddrPort(remoteAddr)
	var addr netip.Addr
	if err == nil {
		addr = ap.Addr()
	} else if addr, err = netip.ParseAddr(remoteAddr); err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
