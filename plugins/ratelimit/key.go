package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	covet "github.com/covetgo/covet/core"
)

// maxKeyLen bounds the key text a backend stores: a longer one (a client's
// 60 KB header through Header or KeyFunc) is replaced by its hash, so the
// memory a backend holds follows the number of keys (WithMaxKeys), not
// what clients send.
const maxKeyLen = 128

// longKey is the stored form of a key longer than maxKeyLen: a NUL byte
// (no header value holds one) and 128 bits of its SHA-256.
func longKey(k string) string {
	sum := sha256.Sum256([]byte(k))
	return "\x00sha256:" + hex.EncodeToString(sum[:16])
}

// Key says what a limit counts by: the client's IP, the authenticated user,
// an API key, the route, or a combination. A key that does not apply to a
// request (no user on an anonymous request, no API key header) makes the
// limit skip that request; use FirstOf to fall back to another key.
type Key struct {
	name string
	fn   func(*request) (string, bool)
	// id tells keys apart: the limits of a request that share a key (a
	// policy's limits all count by the policy's key) compute it once.
	id *byte
}

// request is what keys read: the request's context and its client IP,
// resolved once.
type request struct {
	c      *covet.Context
	res    *ipResolver
	ipDone bool
	ipKey  string
}

// clientKey returns the client IP's key text.
func (r *request) clientKey() string {
	if !r.ipDone {
		r.ipDone = true
		remote := r.c.Request().RemoteAddr
		tp := r.res.proxies(r.c.App())
		if tp == nil {
			if host, ok := ipv4Host(remote); ok {
				// The common case needs no parsing: an IPv4 peer as the
				// server wrote it, and no proxy to look behind.
				r.ipKey = host
				return host
			}
		}
		r.ipKey = r.res.keyOf(clientIP(r.c.Request(), tp), "")
		if r.ipKey == "" {
			// A peer that is not an IP (a proxy on a Unix socket the app
			// does not trust, "unix" in WithTrustedProxies) and no address
			// forwarded: counted, all such requests together, rather than
			// never limited.
			r.ipKey = noIPKey
			r.res.warnNoIP(r.c)
		}
	}
	return r.ipKey
}

// noIPKey is the IP key of the requests whose client address is unknown;
// no address is written like it.
const noIPKey = "no-ip"

// Name returns the key's name ("ip", "user", ...).
func (k Key) Name() string { return k.name }

// IP counts by client IP address. The address is the connection's peer,
// unless the peer is one of the app's trusted proxies (covet.WithTrustedProxies,
// or the limiter's own, WithTrustedProxies): then it is the first address from the right of the
// forwarding header that is not a trusted proxy. With no trusted proxies
// (the default) forwarding headers are ignored, so a client cannot choose
// its own key. IPv6 addresses are counted per /64 by default (see
// WithIPv6Prefix). This is the default key of a policy. Requests without
// a client address (served on a Unix socket whose proxy is not trusted:
// add "unix" to the trusted proxies) share one budget, and the limiter
// logs a warning the first time; they are never let through uncounted.
func IP() Key {
	return Key{id: new(byte), name: "ip", fn: func(r *request) (string, bool) {
		k := r.clientKey()
		return k, k != ""
	}}
}

// User counts by a user identity read from the request, for example the
// user an authentication plugin attached to the context:
//
//	ratelimit.User(func(c *covet.Context) (string, bool) {
//		u, ok := auth.UserFrom(c)
//		if !ok {
//			return "", false
//		}
//		return u.ID, true
//	})
//
// Requests for which fn reports false are not counted by this key.
func User(fn func(c *covet.Context) (string, bool)) Key {
	return KeyFunc("user", fn)
}

// APIKey counts by the API key sent in a header. The key is stored as a
// SHA-256 digest, never as sent, so the limiter's storage holds no secrets.
// Requests without the header are not counted by this key.
func APIKey(header string) Key {
	header = http.CanonicalHeaderKey(header)
	return Key{id: new(byte), name: "apikey", fn: func(r *request) (string, bool) {
		v := r.c.Request().Header[header]
		if len(v) == 0 || v[0] == "" {
			return "", false
		}
		sum := sha256.Sum256([]byte(v[0]))
		return hex.EncodeToString(sum[:16]), true
	}}
}

// Header counts by a request header's value as sent (a tenant ID, a client
// name). Do not use it for secrets: see APIKey. Requests without the header
// are not counted by this key. Remember that clients choose their headers
// (a value longer than 128 bytes is counted by its hash, so long values
// cost the backend no more than short ones).
func Header(name string) Key {
	name = http.CanonicalHeaderKey(name)
	return Key{id: new(byte), name: "header", fn: func(r *request) (string, bool) {
		v := r.c.Request().Header[name]
		if len(v) == 0 || v[0] == "" {
			return "", false
		}
		return v[0], true
	}}
}

// Route counts by the matched route (method and pattern): one counter for
// all clients of the route. Requests that matched no route are not counted
// by this key.
func Route() Key {
	return Key{id: new(byte), name: "route", fn: func(r *request) (string, bool) {
		ri := r.c.Route()
		if ri == nil {
			return "", false
		}
		return ri.Method + " " + ri.Pattern, true
	}}
}

// KeyFunc returns a key computed by fn; name identifies it in combinations.
func KeyFunc(name string, fn func(c *covet.Context) (string, bool)) Key {
	return Key{id: new(byte), name: name, fn: func(r *request) (string, bool) {
		k, ok := fn(r.c)
		return k, ok && k != ""
	}}
}

// Combine counts by several keys together (the client IP on one route: a
// separate counter per IP and route). A request is counted only if every
// key applies to it.
func Combine(keys ...Key) Key {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.name
	}
	return Key{id: new(byte), name: strings.Join(names, "+"), fn: func(r *request) (string, bool) {
		var b strings.Builder
		for i, k := range keys {
			v, ok := k.fn(r)
			if !ok {
				return "", false
			}
			if i > 0 {
				b.WriteByte('|')
			}
			b.WriteString(k.name)
			b.WriteByte('=')
			b.WriteString(v)
		}
		return b.String(), true
	}}
}

// FirstOf counts by the first of keys that applies to the request: for
// example the API key when one is sent, else the IP. Values are prefixed
// with the key's name, so an API key and an IP never share a counter.
func FirstOf(keys ...Key) Key {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.name
	}
	return Key{id: new(byte), name: strings.Join(names, "|"), fn: func(r *request) (string, bool) {
		for _, k := range keys {
			if v, ok := k.fn(r); ok {
				return k.name + "=" + v, true
			}
		}
		return "", false
	}}
}
