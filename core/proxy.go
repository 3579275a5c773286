package covet

import (
	"fmt"
	"net/http"
	"net/netip"

	"github.com/covetgo/covet/core/internal/forwarded"
)

// TrustedProxies is the set of proxies in front of an app whose forwarding
// headers are believed, and the header they record the client chain in.
// The app's (WithTrustedProxies) drives Context.ClientIP, Scheme and Host;
// plugins with their own list use NewTrustedProxies.
//
// The header is read only when the peer is a trusted proxy, and walked from
// the right: the first entry that is not a trusted proxy is the client
// (entries left of it are the client's own and never believed); an entry
// that is not an address stops the walk at the last trusted hop.
type TrustedProxies struct {
	prefixes []netip.Prefix
	header   string // canonical header name
}

const headerXFF = forwarded.HeaderXFF // the default header

// NewTrustedProxies returns the set of proxies (IP addresses or CIDR
// prefixes, such as "10.0.0.0/8" or "::1") and the header they record the
// client in: "X-Forwarded-For" (also when header is ""), "Forwarded"
// (RFC 7239), or a header holding the client's address alone ("X-Real-IP").
// With X-Forwarded-For and single-address headers, the scheme and host come
// from X-Forwarded-Proto and X-Forwarded-Host; with Forwarded, from the
// client's element's proto= and host=.
func NewTrustedProxies(header string, cidrs ...string) (*TrustedProxies, error) {
	t := &TrustedProxies{header: headerXFF}
	if header != "" {
		t.header = http.CanonicalHeaderKey(header)
	}
	ps, bad := forwarded.ParsePrefixes(cidrs)
	if bad != "" {
		return nil, fmt.Errorf("covet: trusted proxy %q is not an IP or CIDR prefix", bad)
	}
	t.prefixes = ps
	return t, nil
}

// WithTrustedProxies names the proxies (IP addresses or CIDR prefixes) in
// front of the app whose forwarding headers are believed, for
// Context.ClientIP, Scheme and Host and what builds on them (cookie Secure,
// HSTS, access log, rate limits). By default none: a client cannot pose as
// another address or as HTTPS. An invalid entry panics in New.
func WithTrustedProxies(cidrs ...string) Option {
	return func(c *config) {
		header := headerXFF
		if c.proxies != nil {
			header = c.proxies.header
		}
		t, err := NewTrustedProxies(header, cidrs...)
		if err != nil {
			panic(err.Error())
		}
		c.proxies = t
	}
}

// WithClientIPHeader sets the header the trusted proxies record the client
// in (default "X-Forwarded-For"; "Forwarded"; or a single-address header
// such as "X-Real-IP"). It must be one your proxies overwrite or append to:
// another passes through from the client.
func WithClientIPHeader(name string) Option {
	return func(c *config) {
		if c.proxies == nil {
			c.proxies = &TrustedProxies{}
		}
		c.proxies.header = http.CanonicalHeaderKey(name)
		if name == "" {
			c.proxies.header = headerXFF
		}
	}
}

// TrustedProxies returns the app's trusted proxies (WithTrustedProxies), or
// nil when it trusts none.
func (a *App) TrustedProxies() *TrustedProxies {
	if p := a.cfg.proxies; p != nil && len(p.prefixes) > 0 {
		return p
	}
	return nil
}

// Trusts reports whether a is one of the proxies.
func (t *TrustedProxies) Trusts(a netip.Addr) bool {
	return t != nil && forwarded.Contains(t.prefixes, a)
}

// Origin is what a request says about its client once the forwarding
// headers of trusted proxies are applied.
type Origin struct {
	// ClientIP is the peer's address or the one trusted proxies forwarded
	// (the zero Addr when the peer is not an IP, as a Unix socket).
	ClientIP netip.Addr
	Scheme   string // "https" or "http"
	Host     string // the host (and port) the client asked for
	Proxied  bool   // the peer is a trusted proxy
}

// Resolve applies the forwarding headers of r, when its peer is one of the
// proxies; t may be nil (no proxy trusted).
func (t *TrustedProxies) Resolve(r *http.Request) Origin {
	o := Origin{Scheme: "http", Host: r.Host}
	if r.TLS != nil {
		o.Scheme = "https"
	}
	o.ClientIP = ParseAddrPort(r.RemoteAddr)
	if t == nil || len(t.prefixes) == 0 || !o.ClientIP.IsValid() || !t.Trusts(o.ClientIP) {
		return o
	}
	o.Proxied = true
	o.ClientIP, o.Scheme, o.Host = forwarded.Resolve(r, t.header, o.ClientIP, o.Scheme, t.Trusts)
	return o
}

// ParseAddrPort parses "ip", "ip:port", "[ipv6]" or "[ipv6]:port" as found
// in RemoteAddr and forwarding headers; IPv4-mapped IPv6 addresses are
// unmapped. It returns the zero Addr for anything else (zones included).
func ParseAddrPort(s string) netip.Addr { return forwarded.ParseAddrPort(s) }

// origin resolves the request through the app's trusted proxies.
func (c *Context) origin() Origin { return c.app.cfg.proxies.Resolve(c.req) }

// ClientIP returns the client's IP address: the peer's, or the client a
// trusted proxy forwarded (WithTrustedProxies); RemoteIP is always the peer.
func (c *Context) ClientIP() string {
	c.live()
	p := c.app.cfg.proxies
	if p == nil || len(p.prefixes) == 0 {
		return c.RemoteIP()
	}
	o := p.Resolve(c.req)
	if !o.ClientIP.IsValid() {
		return c.RemoteIP()
	}
	return o.ClientIP.String()
}

// ClientAddr is ClientIP as a netip.Addr (the zero Addr when the peer
// address is not an IP).
func (c *Context) ClientAddr() netip.Addr {
	c.live()
	return c.origin().ClientIP
}

// Scheme returns the scheme the client used, "https" or "http": from the
// connection, or as a trusted proxy forwarded it (X-Forwarded-Proto).
func (c *Context) Scheme() string {
	c.live()
	if p := c.app.cfg.proxies; p == nil || len(p.prefixes) == 0 {
		if c.req.TLS != nil {
			return "https"
		}
		return "http"
	}
	return c.origin().Scheme
}

// Host returns the host (and port) the client asked for: the request's, or
// a well-formed one a trusted proxy forwarded (X-Forwarded-Host).
func (c *Context) Host() string {
	c.live()
	if p := c.app.cfg.proxies; p == nil || len(p.prefixes) == 0 {
		return c.req.Host
	}
	return c.origin().Host
}
