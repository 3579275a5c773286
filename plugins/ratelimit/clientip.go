package ratelimit

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/proxy"
)

// IPHeader names the header a trusted proxy records the client chain in.
type IPHeader uint8

const (
	// XForwardedFor reads X-Forwarded-For: "client, proxy1, proxy2". The default.
	XForwardedFor IPHeader = iota
	// Forwarded reads the standard Forwarded header (RFC 7239): "for=client, for=proxy1".
	Forwarded
)

// ipResolver finds the client's IP through core's trusted proxies: the
// limiter's own (WithTrustedProxies, WithIPHeader) when it has some, else
// the app's (covet.WithTrustedProxies). The walk itself (right-most
// untrusted hop, RFC 7239, spoofing rules) is core's, in one place.
type ipResolver struct {
	cidrs    []string
	header   IPHeader
	own      *proxy.Trusted // built by New from cidrs and header
	v6Prefix int
	noIP     atomic.Bool // warned of a request without a client address
}

// warnNoIP logs, once per limiter, that requests without a client address
// share one IP budget.
func (r *ipResolver) warnNoIP(c *covet.Context) {
	if r.noIP.Swap(true) {
		return
	}
	c.App().Logger().Warn("ratelimit: a request has no client IP address (its peer " + strconv.Quote(c.Request().RemoteAddr) +
		" is not an IP, as on a Unix socket, and no trusted proxy forwarded one): every such request shares one IP budget; " +
		"trust the proxy in front with covet.WithTrustedProxies(\"unix\") (or the limiter's WithTrustedProxies)")
}

func (r *ipResolver) build() error {
	if len(r.cidrs) == 0 {
		r.own = nil
		return nil
	}
	name := "X-Forwarded-For"
	if r.header == Forwarded {
		name = "Forwarded"
	}
	tp, err := proxy.New(name, r.cidrs...)
	if err != nil {
		return fmt.Errorf("ratelimit: %w", err)
	}
	r.own = tp
	return nil
}

// proxies returns the trusted proxies in force for a request of app (nil:
// none).
func (r *ipResolver) proxies(app *covet.App) *proxy.Trusted {
	if r.own != nil {
		return r.own
	}
	return app.TrustedProxies()
}

// clientIP returns the client's address as the proxies tp tell it.
func clientIP(req *http.Request, tp *proxy.Trusted) netip.Addr {
	return tp.Resolve(req).ClientIP
}

// prefixSet parses IP addresses and CIDR prefixes ("10.0.0.0/8",
// "127.0.0.1") with core's parser, the one behind the app's trusted
// proxies, into a set whose Trusts method tells membership (its header is
// unused). The error names the first entry that is neither.
func prefixSet(list []string) (*proxy.Trusted, error) {
	set, err := proxy.New("", list...)
	if err == nil {
		return set, nil
	}
	for _, s := range list {
		if _, e := proxy.New("", s); e != nil {
			return nil, fmt.Errorf("ratelimit: %q is not an IP or CIDR prefix", strings.TrimSpace(s))
		}
	}
	return nil, fmt.Errorf("ratelimit: %w", err)
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
