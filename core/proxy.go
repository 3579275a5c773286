package covet

import (
	"net/netip"

	"github.com/covetgo/covet/core/proxy"
)

// WithTrustedProxies names the proxies (IP addresses or CIDR prefixes) in
// front of the app whose forwarding headers are believed, for
// Context.ClientIP, Scheme and Host and what builds on them (cookie Secure,
// HSTS, access log, rate limits); see package core/proxy for the rules. By
// default none: a client cannot pose as another address or as HTTPS. The
// entry "unix" (proxy.Unix) trusts a proxy that connects over a Unix
// socket (nginx's proxy_pass http://unix:/run/app.sock): such a peer has
// no IP address, so without it those requests have no client IP at all. An
// invalid entry panics in New.
func WithTrustedProxies(cidrs ...string) Option {
	return func(c *config) { c.proxyCIDRs = cidrs; c.proxies = trustedProxies(c) }
}

// WithClientIPHeader sets the header the trusted proxies record the client
// in (default "X-Forwarded-For"; "Forwarded"; or a single-address header
// such as "X-Real-IP"). It must be one your proxies overwrite or append to:
// another passes through from the client.
func WithClientIPHeader(name string) Option {
	return func(c *config) { c.proxyHeader = name; c.proxies = trustedProxies(c) }
}

// trustedProxies builds the app's proxies from the options so far (nil: none).
func trustedProxies(c *config) *proxy.Trusted {
	if len(c.proxyCIDRs) == 0 {
		return nil
	}
	t, err := proxy.New(c.proxyHeader, c.proxyCIDRs...)
	if err != nil {
		panic(err.Error())
	}
	return t
}

// TrustedProxies returns the app's trusted proxies (WithTrustedProxies), or
// nil when it trusts none; plugins resolve requests with it.
func (a *App) TrustedProxies() *proxy.Trusted { return a.cfg.proxies }

// origin resolves the request through the app's trusted proxies.
func (c *Context) origin() proxy.Origin { return c.app.cfg.proxies.Resolve(c.req) }

// ClientIP returns the client's IP address: the peer's, or the client a
// trusted proxy forwarded (WithTrustedProxies); RemoteIP is always the peer.
func (c *Context) ClientIP() string {
	c.live()
	if c.app.cfg.proxies != nil {
		if a := c.origin().ClientIP; a.IsValid() {
			return a.String()
		}
	}
	return c.RemoteIP()
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
	if c.app.cfg.proxies != nil {
		return c.origin().Scheme
	}
	if c.req.TLS != nil {
		return "https"
	}
	return "http"
}

// Host returns the host (and port) the client asked for: the request's, or
// a well-formed one a trusted proxy forwarded (X-Forwarded-Host).
func (c *Context) Host() string {
	c.live()
	if c.app.cfg.proxies != nil {
		return c.origin().Host
	}
	return c.req.Host
}
