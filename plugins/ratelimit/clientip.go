package ratelimit

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// IPHeader names the header a trusted proxy records the client chain in.
type IPHeader uint8

const (
	// XForwardedFor reads X-Forwarded-For: "client, proxy1, proxy2". The default.
	XForwardedFor IPHeader = iota
	// Forwarded reads the standard Forwarded header (RFC 7239): "for=client, for=proxy1".
	Forwarded
)

// ipResolver finds the client's IP from the peer address and, when the peer
// is a trusted proxy, from the forwarding header, walking it from the
// right: each hop is the address the next proxy saw, so the first address
// from the right that is not a trusted proxy is the client. Entries left of
// it were written by the client and are never believed.
type ipResolver struct {
	trusted  []netip.Prefix
	header   IPHeader
	v6Prefix int
}

func parsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("ratelimit: %q is not an IP or CIDR prefix", s)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("ratelimit: %q is not an IP or CIDR prefix", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func contains(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP returns the client's address, and the text the address was read
// from (for the key; empty when the address must be formatted).
func (r *ipResolver) clientIP(req *http.Request) (netip.Addr, string) {
	peer, text := parseHostPort(req.RemoteAddr)
	if !peer.IsValid() || len(r.trusted) == 0 || !contains(r.trusted, peer) {
		return peer, text
	}
	// The peer is a trusted proxy: walk the chain it forwarded.
	last, lastText := peer, text
	var values []string
	if r.header == Forwarded {
		values = req.Header["Forwarded"]
	} else {
		values = req.Header["X-Forwarded-For"]
	}
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		for v != "" {
			var item string
			if r.header == Forwarded {
				item, v = lastForwardedFor(v)
			} else {
				j := strings.LastIndexByte(v, ',')
				item, v = v[j+1:], v[:max(j, 0)]
			}
			a, t := parseHostPort(strings.TrimSpace(item))
			if !a.IsValid() {
				// Not an address (garbage, "unknown", an obfuscated
				// identifier): nothing left of it can be trusted.
				return last, lastText
			}
			if !contains(r.trusted, a) {
				return a, t
			}
			last, lastText = a, t
		}
	}
	return last, lastText
}

// lastForwardedFor returns the for= value of the last element of a
// Forwarded field value, and the value before that element.
func lastForwardedFor(v string) (item, rest string) {
	// Find the last comma outside a quoted string.
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
	elem := v
	if cut >= 0 {
		elem, rest = v[cut+1:], v[:cut]
	}
	for pair := range strings.SplitSeq(elem, ";") {
		name, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || !strings.EqualFold(name, "for") {
			continue
		}
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = val[1 : len(val)-1]
		}
		return val, rest
	}
	// An element without for=: the hop is unknown.
	return "unknown", rest
}

// parseHostPort parses "ip", "ip:port", "[ipv6]" or "[ipv6]:port".
func parseHostPort(s string) (netip.Addr, string) {
	host := s
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.Addr{}, ""
		}
		host = s[1:end]
	} else if strings.Count(s, ":") == 1 {
		host, _, _ = strings.Cut(s, ":")
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, ""
	}
	if a.Is4In6() {
		return a.Unmap(), ""
	}
	if a.Is6() {
		return a, ""
	}
	return a, host
}

// keyOf returns the key text of a client address: IPv4 addresses as they
// are, IPv6 addresses masked to the configured prefix (a client usually
// controls a whole /64).
func (r *ipResolver) keyOf(a netip.Addr, text string) string {
	if !a.IsValid() {
		return ""
	}
	if a.Is4() {
		if text != "" {
			return text
		}
		return a.String()
	}
	if r.v6Prefix > 0 && r.v6Prefix < 128 {
		p, _ := a.Prefix(r.v6Prefix)
		return p.String()
	}
	return a.String()
}

// ipv4Host returns the host of "a.b.c.d:port" when it is a canonical IPv4
// address (four decimal octets without leading zeros), without parsing it
// into a netip.Addr.
func ipv4Host(hostport string) (string, bool) {
	i := strings.LastIndexByte(hostport, ':')
	if i < 7 || i > 15 {
		return "", false
	}
	host := hostport[:i]
	dots, digits, val := 0, 0, 0
	for j := 0; j < len(host); j++ {
		c := host[j]
		switch {
		case c >= '0' && c <= '9':
			if digits > 0 && val == 0 {
				return "", false // leading zero
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return "", false
			}
		case c == '.' && digits > 0:
			dots++
			digits, val = 0, 0
		default:
			return "", false
		}
	}
	if dots != 3 || digits == 0 {
		return "", false
	}
	return host, true
}
