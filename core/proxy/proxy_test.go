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
