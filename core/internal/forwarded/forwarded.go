// Package forwarded reads the forwarding headers of trusted proxies
// (X-Forwarded-For, X-Forwarded-Proto/Host, RFC 7239 Forwarded) for
// core/proxy.Trusted: the walks from the right that find the client, and
// the parsing of addresses and elements. It does not import covet.
package forwarded

import (
	"net/http"
	"net/netip"
	"strings"
)

// WalkXFF returns the client of an X-Forwarded-For chain forwarded by the
// trusted peer, and its position from the right (1 for the last entry; 0
// when the peer itself is the client as far as can be told).
func WalkXFF(values []string, peer netip.Addr, trusts func(netip.Addr) bool) (netip.Addr, int) {
	last, lastHop, hop := peer, 0, 0
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		for v != "" {
			j := strings.LastIndexByte(v, ',')
			item := v[j+1:]
			v = v[:max(j, 0)]
			item = strings.TrimSpace(item)
			if item == "" && j >= 0 {
				continue // "a, , b"
			}
			hop++
			a := ParseAddrPort(item)
			if !a.IsValid() {
				return last, lastHop
			}
			if !trusts(a) {
				return a, hop
			}
			last, lastHop = a, hop
		}
	}
	return last, lastHop
}

// WalkForwarded walks Forwarded elements from the right as WalkXFF does,
// and returns the proto= and host= of the client's element (of the last
// one when the walk stopped at the peer).
func WalkForwarded(values []string, peer netip.Addr, trusts func(netip.Addr) bool) (netip.Addr, string, string) {
	last := peer
	var lastProto, lastHost string
	first := true
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		for v != "" {
			var elem string
			elem, v = lastElement(v)
			f, proto, host := forwardedParams(elem)
			if first {
				// The peer's own element: what it received.
				lastProto, lastHost, first = proto, host, false
			}
			a := ParseAddrPort(f)
			if !a.IsValid() {
				return last, lastProto, lastHost
			}
			if !trusts(a) {
				return a, proto, host
			}
			last, lastProto, lastHost = a, proto, host
		}
	}
	return last, lastProto, lastHost
}

// lastElement splits the last element off a Forwarded field value (commas
// inside quoted strings do not count).
func lastElement(v string) (elem, rest string) {
	inQuote, cut := false, -1
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			inQuote = !inQuote
		case '\\':
			if inQuote {
				i++
			}
		case ',':
			if !inQuote {
				cut = i
			}
		}
	}
	if cut < 0 {
		return v, ""
	}
	return v[cut+1:], v[:cut]
}

// forwardedParams returns an element's for=, proto= and host= values
// ("unknown" for a missing for=).
func forwardedParams(elem string) (forv, proto, host string) {
	forv = "unknown"
	for pair := range strings.SplitSeq(elem, ";") {
		name, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = val[1 : len(val)-1]
		}
		switch strings.ToLower(name) {
		case "for":
			forv = val
		case "proto":
			proto = val
		case "host":
			host = val
		}
	}
	return forv, proto, host
}

// AtHop returns the entry of a comma-separated header list at position hop
// from the right (at least 1), or its leftmost entry when it is shorter:
// proxies that overwrite the header leave one value, and proxies that append
// put theirs on the right.
func AtHop(values []string, hop int) string {
	if len(values) == 0 {
		return ""
	}
	hop = max(hop, 1)
	var items []string
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			items = append(items, strings.TrimSpace(item))
		}
	}
	i := len(items) - hop
	if i < 0 {
		i = 0
	}
	return items[i]
}

// ValidHost accepts a host[:port] made of the characters a host name, an
// IPv4 or a bracketed IPv6 address may hold.
func ValidHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == ':', c == '[', c == ']', c == '_':
		default:
			return false
		}
	}
	return true
}

// ParseAddrPort parses "ip", "ip:port", "[ipv6]" or "[ipv6]:port" as found
// in RemoteAddr and forwarding headers; IPv4-mapped IPv6 addresses are
// unmapped. It returns the zero Addr for anything else (zones included).
func ParseAddrPort(s string) netip.Addr {
	host := s
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.Addr{}
		}
		host = s[1:end]
	} else if strings.Count(s, ":") == 1 {
		host, _, _ = strings.Cut(s, ":")
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}
	}
	return a.Unmap()
}

// The headers Resolve knows the format of; any other is read as a single
// address set by the proxy (X-Real-IP, CF-Connecting-IP).
const (
	HeaderXFF       = "X-Forwarded-For"
	HeaderForwarded = "Forwarded"
)

// ParsePrefixes parses IP addresses and CIDR prefixes ("10.0.0.0/8",
// "::1"); bad is the first entry that is neither.
func ParsePrefixes(cidrs []string) (ps []netip.Prefix, bad string) {
	for _, s := range cidrs {
		s = strings.TrimSpace(s)
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, s
			}
			ps = append(ps, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil, s
		}
		a = a.Unmap()
		ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
	}
	return ps, ""
}

// Contains reports whether a (unmapped) is in one of the prefixes.
func Contains(ps []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Resolve applies the forwarding header (canonical name) of r, whose peer
// is a trusted proxy at address peer: it returns the client's address, and
// the scheme and host when the proxies forwarded valid ones (else scheme
// and host as given).
func Resolve(r *http.Request, header string, peer netip.Addr, scheme string, trusts func(netip.Addr) bool) (client netip.Addr, outScheme, host string) {
	client, outScheme, host = peer, scheme, r.Host
	var proto, fhost string
	switch header {
	case HeaderForwarded:
		client, proto, fhost = WalkForwarded(r.Header["Forwarded"], peer, trusts)
	case HeaderXFF:
		var hop int
		client, hop = WalkXFF(r.Header[HeaderXFF], peer, trusts)
		proto = AtHop(r.Header["X-Forwarded-Proto"], hop)
		fhost = AtHop(r.Header["X-Forwarded-Host"], hop)
	default:
		if vs := r.Header[header]; len(vs) > 0 {
			if a := ParseAddrPort(strings.TrimSpace(vs[len(vs)-1])); a.IsValid() {
				client = a
			}
		}
		proto = AtHop(r.Header["X-Forwarded-Proto"], 1)
		fhost = AtHop(r.Header["X-Forwarded-Host"], 1)
	}
	switch {
	case strings.EqualFold(proto, "https"):
		outScheme = "https"
	case strings.EqualFold(proto, "http"):
		outScheme = "http"
	}
	if ValidHost(fhost) {
		host = fhost
	}
	return client, outScheme, host
}
