package cors

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	covet "github.com/covetgo/covet/core"
)

// policy is a compiled configuration: everything the request path needs,
// precomputed.
type policy struct {
	anyOrigin    bool // "*" without credentials: a fixed "*" answer
	exact        map[string]struct{}
	wildcards    []wildcard
	originFunc   OriginFunc
	allowNull    bool
	methods      map[string]struct{} // nil: every method the router has
	anyHeader    bool
	headers      map[string]struct{} // lower-case names
	credentials  bool
	exposed      []string // Access-Control-Expose-Headers value, or nil
	maxAge       []string // Access-Control-Max-Age value, or nil
	privateNet   bool
	preVary      []string // Vary tokens of a preflight answer
	preVaryValue []string // the same, as one shared field value
}

// wildcard is a compiled "scheme://*.domain[:port]" pattern.
type wildcard struct {
	prefix string // "https://"
	suffix string // ".example.com" or ".example.com:8443"
}

// Shared header values: never mutated, and of len == cap, so an append by
// later code (Header.Add) copies instead of writing into them. They save an
// allocation per response; code that overwrote an element in place
// (h["Vary"][0] = ...) instead of calling Set would change them for every
// response, which no net/http code does.
var (
	valTrue   = []string{"true"}
	valStar   = []string{"*"}
	valOrigin = []string{"Origin"}
	valZero   = []string{"0"}
)

func compile(c config) (*policy, error) {
	p := &policy{
		originFunc:  c.originFunc,
		credentials: c.credentials,
		privateNet:  c.privateNet,
	}
	var errs []error
	for _, o := range c.origins {
		switch {
		case o == "*":
			if c.credentials {
				errs = append(errs, errors.New(`cors: origin "*" cannot be combined with credentials (list the origins, or use a wildcard pattern or an origin function)`))
				continue
			}
			p.anyOrigin = true
		case o == "null":
			p.allowNull = true
		case strings.Contains(o, "*"):
			w, err := parseWildcard(o)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			p.wildcards = append(p.wildcards, w)
		default:
			norm, err := normalizeOrigin(o)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if p.exact == nil {
				p.exact = map[string]struct{}{}
			}
			p.exact[norm] = struct{}{}
		}
	}
	if !p.anyOrigin && len(p.exact) == 0 && len(p.wildcards) == 0 && p.originFunc == nil && !p.allowNull {
		errs = append(errs, errors.New("cors: no origin is allowed: use WithOrigins or WithOriginFunc"))
	}
	if c.methods != nil {
		p.methods = map[string]struct{}{}
		for _, m := range c.methods {
			if !isToken(m) {
				errs = append(errs, fmt.Errorf("cors: invalid method %q", m))
				continue
			}
			p.methods[m] = struct{}{}
		}
	}
	p.headers = map[string]struct{}{}
	for _, h := range c.headers {
		if h == "*" {
			p.anyHeader = true
			continue
		}
		if !isToken(h) {
			errs = append(errs, fmt.Errorf("cors: invalid header name %q", h))
			continue
		}
		p.headers[strings.ToLower(h)] = struct{}{}
	}
	if len(c.exposed) > 0 {
		for _, h := range c.exposed {
			if h == "*" && c.credentials {
				errs = append(errs, errors.New(`cors: exposed header "*" cannot be combined with credentials (browsers read it as a header named "*"); list the headers`))
			} else if h != "*" && !isToken(h) {
				errs = append(errs, fmt.Errorf("cors: invalid exposed header name %q", h))
			}
		}
		p.exposed = []string{strings.Join(c.exposed, ", ")}
	}
	if c.maxAge != 0 {
		secs := int64(0)
		if c.maxAge > 0 {
			secs = int64((c.maxAge + time.Second - 1) / time.Second)
		}
		p.maxAge = []string{strconv.FormatInt(secs, 10)}
	}
	p.preVary = []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}
	if p.privateNet {
		p.preVary = append(p.preVary, "Access-Control-Request-Private-Network")
	}
	p.preVaryValue = []string{strings.Join(p.preVary, ", ")}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// normalizeOrigin checks that s is a serialized origin (scheme://host[:port])
// and returns it in lower case.
func normalizeOrigin(s string) (string, error) {
	l := strings.ToLower(s)
	scheme, rest, ok := strings.Cut(l, "://")
	if !ok || scheme == "" || rest == "" || !isScheme(scheme) {
		return "", fmt.Errorf("cors: origin %q is not scheme://host[:port]", s)
	}
	if strings.ContainsAny(rest, "/?#@ ") {
		return "", fmt.Errorf("cors: origin %q must not have a path, query, fragment or user info", s)
	}
	if !validHostPort(rest) {
		return "", fmt.Errorf("cors: origin %q has an invalid host or port", s)
	}
	return scheme + "://" + stripDefaultPort(scheme, rest), nil
}

// stripDefaultPort removes the scheme's default port from host:port: a
// browser's Origin never has it (the URL Standard's serialization), so
// "https://app.example.com:443" would otherwise never match.
func stripDefaultPort(scheme, hostport string) string {
	if p, ok := defaultPorts[scheme]; ok {
		if h, found := strings.CutSuffix(hostport, p); found && !strings.HasSuffix(h, ":") {
			return h
		}
	}
	return hostport
}

var defaultPorts = map[string]string{"http": ":80", "https": ":443", "ws": ":80", "wss": ":443"}

func parseWildcard(s string) (wildcard, error) {
	l := strings.ToLower(s)
	scheme, rest, ok := strings.Cut(l, "://")
	if !ok || !isScheme(scheme) || !strings.HasPrefix(rest, "*.") || strings.Count(rest, "*") != 1 {
		return wildcard{}, fmt.Errorf("cors: origin pattern %q must be scheme://*.domain[:port]", s)
	}
	suffix := rest[1:] // ".example.com[:port]"
	if strings.ContainsAny(suffix, "/?#@ ") || !validHostPort(suffix[1:]) || !strings.Contains(hostOf(suffix[1:]), ".") && hostOf(suffix[1:]) != "localhost" {
		return wildcard{}, fmt.Errorf("cors: origin pattern %q: %q is not a domain with at least two labels", s, suffix[1:])
	}
	return wildcard{prefix: scheme + "://", suffix: stripDefaultPort(scheme, suffix)}, nil
}

func hostOf(hostport string) string {
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.HasSuffix(hostport, "]") {
		return hostport[:i]
	}
	return hostport
}

func validHostPort(hp string) bool {
	host, port := hp, ""
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return false
		}
		host, port = hp[:end+1], hp[end+1:]
		if port != "" {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
			if port == "" {
				return false
			}
		}
		if len(host) < 3 {
			return false
		}
	} else if i := strings.LastIndexByte(hp, ':'); i >= 0 {
		host, port = hp[:i], hp[i+1:]
		if port == "" {
			return false
		}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 || port[0] == '+' {
			return false
		}
	}
	if strings.HasPrefix(host, "[") {
		return true
	}
	return validHostname(host)
}

// validHostname reports whether h is a dot-separated list of labels of
// letters, digits and hyphens (no leading or trailing hyphen).
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for h != "" {
		label, rest, _ := strings.Cut(h, ".")
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			b := label[i]
			if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-') {
				return false
			}
		}
		if rest == "" && len(label) != len(h) {
			return false // a trailing dot
		}
		h = rest
	}
	return true
}

func isScheme(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '-' || b == '.') {
			return false
		}
	}
	return true
}

// isToken reports whether s is an HTTP token (RFC 9110 section 5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b <= 0x20 || b >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", b) >= 0 {
			return false
		}
	}
	return true
}

// allowOrigin reports whether the request's origin is allowed. origin is
// the Origin header as sent.
func (p *policy) allowOrigin(c *covet.Context, origin string) bool {
	if origin == "null" {
		// Listed, or a public "*" policy (never with credentials): a
		// fixed answer for everyone, preflights included.
		return p.allowNull || (p.anyOrigin && !p.credentials)
	}
	if p.anyOrigin {
		return true
	}
	if len(p.exact) > 0 {
		if _, ok := p.exact[origin]; ok {
			return true
		}
		if hasUpper(origin) {
			if _, ok := p.exact[strings.ToLower(origin)]; ok {
				return true
			}
		}
	}
	for _, w := range p.wildcards {
		if w.match(origin) {
			return true
		}
	}
	if p.originFunc != nil {
		return p.originFunc(c, origin)
	}
	return false
}

// match reports whether origin is prefix + one or more DNS labels + suffix.
func (w wildcard) match(origin string) bool {
	if len(origin) <= len(w.prefix)+len(w.suffix) {
		return false
	}
	if !strings.EqualFold(origin[:len(w.prefix)], w.prefix) || !strings.EqualFold(origin[len(origin)-len(w.suffix):], w.suffix) {
		return false
	}
	sub := origin[len(w.prefix) : len(origin)-len(w.suffix)]
	return validHostname(sub)
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// allowHeader reports whether a request header (lower case, as browsers list
// them in Access-Control-Request-Headers) may be sent.
func (p *policy) allowHeader(name string) bool {
	if p.anyHeader {
		return true
	}
	if _, ok := p.headers[name]; ok {
		return true
	}
	if hasUpper(name) {
		_, ok := p.headers[strings.ToLower(name)]
		return ok
	}
	return false
}
