package proxy_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/covetgo/covet/core/proxy"
)

func TestNewInvalid(t *testing.T) {
	if _, err := proxy.New("", "10.0.0.0/33"); err == nil || !strings.Contains(err.Error(), `"10.0.0.0/33"`) {
		t.Errorf("error %v", err)
	}
}

// TestResolve checks a trusted peer's forwarded client, and that a nil set
// (no proxy trusted) answers the peer.
func TestResolve(t *testing.T) {
	tp, err := proxy.New("", "10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.1.2.3:9"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	r.Header.Set("X-Forwarded-Proto", "https")
	if o := tp.Resolve(r); !o.Proxied || o.ClientIP.String() != "198.51.100.1" || o.Scheme != "https" {
		t.Errorf("Resolve: %+v", o)
	}
	var none *proxy.Trusted
	if o := none.Resolve(r); o.Proxied || o.ClientIP.String() != "10.1.2.3" || o.Scheme != "http" {
		t.Errorf("nil Resolve: %+v", o)
	}
	if none.Trusts(netip.MustParseAddr("10.1.2.3")) || !tp.Trusts(netip.MustParseAddr("10.1.2.3")) {
		t.Error("Trusts")
	}
}

// TestUnixPeer: a peer that is not an IP (a Unix socket's "@" or "") is a
// proxy only with the "unix" entry; then its forwarding headers give the
// client, else the request has no client address and the headers are
// ignored. "unix" does not make any IP peer trusted.
func TestUnixPeer(t *testing.T) {
	ipOnly, err := proxy.New("", "10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	unix, err := proxy.New("", " unix ", "10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	unixOnly, err := proxy.New("", proxy.Unix)
	if err != nil {
		t.Fatal(err)
	}
	for _, remote := range []string{"@", ""} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", "203.0.113.9, 198.51.100.1")
		r.Header.Set("X-Forwarded-Proto", "https")
		if o := ipOnly.Resolve(r); o.Proxied || o.ClientIP.IsValid() || o.Scheme != "http" {
			t.Errorf("%q without unix: %+v", remote, o)
		}
		for name, tp := range map[string]*proxy.Trusted{"unix+cidr": unix, "unix": unixOnly} {
			if o := tp.Resolve(r); !o.Proxied || o.ClientIP.String() != "198.51.100.1" || o.Scheme != "https" {
				t.Errorf("%q %s: %+v", remote, name, o)
			}
		}
		r.Header.Del("X-Forwarded-For")
		if o := unixOnly.Resolve(r); !o.Proxied || o.ClientIP.IsValid() {
			t.Errorf("%q unix, no header: %+v", remote, o)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "192.0.2.7:4000"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	if o := unixOnly.Resolve(r); o.Proxied || o.ClientIP.String() != "192.0.2.7" {
		t.Errorf("an IP peer trusted through unix: %+v", o)
	}
	if unixOnly.Trusts(netip.MustParseAddr("127.0.0.1")) {
		t.Error("unix trusts 127.0.0.1")
	}
	if _, err := proxy.New("", "unix:/run/app.sock"); err == nil || !strings.Contains(err.Error(), `"unix:/run/app.sock"`) {
		t.Errorf("a socket path: %v", err)
	}
}
