// Package proxy tells what a request says about its client once the
// forwarding headers of trusted proxies are applied: Trusted is a set of
// proxies whose headers are believed (an app's, from
// covet.WithTrustedProxies and read with App.TrustedProxies, or a plugin's
// own), and Resolve gives the client's address, scheme and host. Context's
// ClientIP, Scheme and Host use the app's set. The header walks and parsing
// are core/internal/forwarded. It does not import covet.
package proxy

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/covetgo/covet/core/internal/forwarded"
)

// Trusted is a set of proxies whose forwarding headers are believed, and
// the header they record the client chain in.
//
// The header is read only when the peer is a trusted proxy, and walked from
// the right: the first entry that is not a trusted proxy is the client
// (entries left of it are the client's own and never believed); an entry
// that is not an address stops the walk at the last trusted hop. A Trusted
// is immutable and safe for concurrent use.
type Trusted struct {
	prefixes []netip.Prefix
	unix     bool   // "unix": a peer that is not an IP (a Unix socket) is a proxy
	header   string // canonical header name
}

// Unix is the entry of New's list that trusts a peer that is not an IP
// address: a proxy connected over a Unix socket (RemoteAddr "@" or "").
// Only processes on the machine can connect to a socket, so the proxy in
// front is the only peer; without the entry such requests have no client
// address (the zero Addr) and their forwarding headers are ignored.
const Unix = "unix"

// New returns the set of proxies (IP addresses or CIDR prefixes, such as
// "10.0.0.0/8" or "::1"; Unix, "unix", for a proxy on a Unix socket) and
// the header they record the client in:
// "X-Forwarded-For" (also when header is ""), "Forwarded" (RFC 7239), or a
// header holding the client's address alone ("X-Real-IP"). With
// X-Forwarded-For and single-address headers, the scheme and host come from
// X-Forwarded-Proto and X-Forwarded-Host; with Forwarded, from the client's
// element's proto= and host=. An entry that is not an IP or CIDR prefix is
// an error naming it.
func New(header string, cidrs ...string) (*Trusted, error) {
	t := &Trusted{header: forwarded.HeaderXFF}
	if header != "" {
		t.header = http.CanonicalHeaderKey(header)
	}
	addrs := make([]string, 0, len(cidrs))
	for _, c := range cidrs {
		if strings.TrimSpace(c) == Unix {
			t.unix = true
			continue
		}
		addrs = append(addrs, c)
	}
	ps, bad := forwarded.ParsePrefixes(addrs)
	if bad != "" {
		return nil, fmt.Errorf("covet: trusted proxy %q is not an IP or CIDR prefix (nor %q, a proxy on a Unix socket)", bad, Unix)
	}
	t.prefixes = ps
	return t, nil
}

// Trusts reports whether a is one of the proxies (false for a nil t).
func (t *Trusted) Trusts(a netip.Addr) bool {
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
// proxies; t may be nil (no proxy trusted): then the peer, the connection's
// scheme and the request's Host are the answer.
func (t *Trusted) Resolve(r *http.Request) Origin {
	o := Origin{Scheme: "http", Host: r.Host}
	if r.TLS != nil {
		o.Scheme = "https"
	}
	o.ClientIP = forwarded.ParseAddrPort(r.RemoteAddr)
	if t == nil {
		return o
	}
	if o.ClientIP.IsValid() {
		if !t.Trusts(o.ClientIP) {
			return o
		}
	} else if !t.unix {
		return o
	}
	o.Proxied = true
	o.ClientIP, o.Scheme, o.Host = forwarded.Resolve(r, t.header, o.ClientIP, o.Scheme, t.Trusts)
	return o
}
