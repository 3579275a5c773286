package middleware

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	covet "github.com/covetgo/covet/core"
)

// AllowedHosts answers 400 Bad Request (a problem+json) to a request whose
// host is not one of hosts, guarding against Host header attacks (poisoned
// password-reset links, cache poisoning, DNS rebinding). The host checked is
// r.Host: the Host header, or the host of an absolute-form request target
// ("GET http://example.com/ HTTP/1.1"), which net/http prefers, as RFC 9112
// requires.
//
// Patterns, matched without regard to case and to a trailing dot:
//
//	"example.com"       the host on any port
//	"example.com:8443"  the host on that port only
//	"*.example.com"     any subdomain, at any depth (not example.com itself)
//	"[::1]", "::1"      an IPv6 literal (any port); "[::1]:8080" with a port
//	"*"                 any host (for development)
//
// Use it before routing, with app.Pre, so that a bad host gets a 400 and not
// a 404 or a redirect. An invalid pattern, or none, panics.
func AllowedHosts(hosts ...string) covet.Middleware {
	m := newHostMatcher(hosts)
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			if !m.allowed(c.Request().Host) {
				return covet.NewError(http.StatusBadRequest, "the request's host is not served here")
			}
			return next(c)
		}
	}
}

type hostMatcher struct {
	any       bool
	exact     map[string]struct{} // "host" (any port) and "host:port"
	wildcards []string            // ".example.com", any port
	wildPorts []string            // ".example.com:8443"
}

func newHostMatcher(hosts []string) *hostMatcher {
	if len(hosts) == 0 {
		panic("middleware: AllowedHosts: no host given")
	}
	m := &hostMatcher{exact: map[string]struct{}{}}
	for _, p := range hosts {
		if p == "*" {
			m.any = true
			continue
		}
		wild := strings.HasPrefix(p, "*.")
		rest := p
		if wild {
			rest = p[1:] // ".example.com[:port]"
		}
		host, port, ok := splitHost(rest, wild)
		if !ok || (wild && !validDNSName(host[1:])) || (!wild && host == "") {
			panic(fmt.Sprintf("middleware: AllowedHosts: invalid host pattern %q", p))
		}
		key := host
		if port != "" {
			key += ":" + port
		}
		switch {
		case wild && port != "":
			m.wildPorts = append(m.wildPorts, key)
		case wild:
			m.wildcards = append(m.wildcards, key)
		default:
			m.exact[key] = struct{}{}
		}
	}
	return m
}

func (m *hostMatcher) allowed(hostport string) bool {
	if m.any {
		return true
	}
	if len(hostport) > 0 && hostport[0] != '[' && strings.Count(hostport, ":") > 1 {
		return false // a Host header's IPv6 literal is in brackets
	}
	host, port, ok := splitHost(hostport, false)
	if !ok || host == "" {
		return false
	}
	if _, ok := m.exact[host]; ok {
		return true
	}
	if port != "" && len(m.exact) > 0 {
		key := hostport
		if len(key) != len(host)+1+len(port) || key[:len(host)] != host {
			key = host + ":" + port // the host was normalized
		}
		if _, ok := m.exact[key]; ok {
			return true
		}
	}
	for _, w := range m.wildcards {
		if subdomainOf(host, w) {
			return true
		}
	}
	for _, w := range m.wildPorts {
		suffix, wport, _ := strings.Cut(w, ":") // wildcards are DNS names: one colon
		if wport == port && subdomainOf(host, suffix) {
			return true
		}
	}
	return false
}

// subdomainOf reports whether host is a subdomain of the name suffix stands
// for (suffix is ".example.com"), with no empty label in front.
func subdomainOf(host, suffix string) bool {
	if len(host) <= len(suffix) || !strings.HasSuffix(host, suffix) {
		return false
	}
	sub := host[:len(host)-len(suffix)]
	return sub[0] != '.' && sub[len(sub)-1] != '.' && !strings.Contains(sub, "..")
}

// splitHost splits "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6
// literal into a normalized host (lower case, no trailing dot, IPv6 in its
// canonical form, in brackets) and port. It allocates only when the host
// needs changing (upper case letters, an IPv6 literal).
func splitHost(s string, wild bool) (host, port string, ok bool) {
	if s == "" {
		return "", "", false
	}
	if s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", false
		}
		host, rest := s[1:end], s[end+1:]
		if rest != "" {
			if rest[0] != ':' || !validPort(rest[1:]) {
				return "", "", false
			}
			port = rest[1:]
		}
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() || wild {
			return "", "", false
		}
		return "[" + a.String() + "]", port, true
	}
	if strings.Count(s, ":") > 1 {
		// A bare IPv6 literal (patterns only; a Host header needs brackets).
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is6() || wild {
			return "", "", false
		}
		return "[" + a.String() + "]", "", true
	}
	host = s
	if i := strings.IndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i+1:]
		if !validPort(port) {
			return "", "", false
		}
	}
	host = strings.TrimSuffix(host, ".")
	if !validHostChars(host) {
		return "", "", false
	}
	return lower(host), port, true
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// validHostChars accepts the characters of DNS names and IPv4 addresses
// (letters, digits, '-', '.', and '_' which some internal names use).
func validHostChars(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// validDNSName reports whether a wildcard's suffix is a usable name: labels
// that are not empty.
func validDNSName(h string) bool {
	if h == "" || !validHostChars(h) {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" {
			return false
		}
	}
	return true
}

// lower lower-cases ASCII, without allocating when s already is.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
