package covet_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// TestTrustedProxies checks ClientIP, Scheme, Host and the cookie Secure
// default with and without trusted proxies, including the spoofing
// attempts a client can make.
func TestTrustedProxies(t *testing.T) {
	type hdr = map[string]string
	tests := []struct {
		name             string
		opts             []covet.Option
		remote           string
		headers          hdr
		ip, scheme, host string
		secureCookie     bool
	}{
		{name: "no proxy trusted: headers ignored", remote: "203.0.113.5:1234",
			headers: hdr{"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example", "Forwarded": "for=1.2.3.4;proto=https"},
			ip:      "203.0.113.5", scheme: "http", host: "app.test"},
		{name: "untrusted peer: headers ignored", opts: []covet.Option{covet.WithTrustedProxies("10.0.0.0/8")}, remote: "203.0.113.5:1234",
			headers: hdr{"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"},
			ip:      "203.0.113.5", scheme: "http", host: "app.test"},
		{name: "trusted peer", opts: []covet.Option{covet.WithTrustedProxies("10.0.0.0/8")}, remote: "10.0.0.1:1234",
			headers: hdr{"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example"},
			ip:      "198.51.100.1", scheme: "https", host: "shop.example", secureCookie: true},
		{name: "client-written entries left of the client are not believed", opts: []covet.Option{covet.WithTrustedProxies("10.0.0.0/8")}, remote: "10.0.0.1:1",
			headers: hdr{"X-Forwarded-For": "6.6.6.6, 198.51.100.1, 10.0.0.2"},
			ip:      "198.51.100.1", scheme: "http", host: "app.test"},
		{name: "appending proxies: the proto at the client's hop", opts: []covet.Option{covet.WithTrustedProxies("10.0.0.0/8")}, remote: "10.0.0.1:1",
			headers: hdr{"X-Forwarded-For": "198.51.100.1, 10.0.0.2", "X-Forwarded-Proto": "https, http"},
			ip:      "198.51.100.1", scheme: "https", host: "app.test", secureCookie: true},
		{name: "spoof: the client's own X-Forwarded-Proto before the proxy's", opts: []covet.Option{covet.WithTrustedProxies("10.0.0.0/8")}, remote: "10.0.0.1:1",
			headers: hdr{"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https, http"},
			ip:      "198.51.100.1", scheme: "http", host: "app.test"},
		{name: "spoof: a host that is not a host", opts: []covet.Option{covet.WithTrustedProxies("10.0.0.0/8")}, remote: "10.0.0.1:1",
			headers: hdr{"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Host": "evil.example/path?x"},
			ip:      "198.51.100.1", scheme: "http", host: "app.test"},
		{name: "garbage stops the walk", opts: []covet.Option{covet.WithTrustedProxies("10.0.0.0/8")}, remote: "10.0.0.1:1",
			headers: hdr{"X-Forwarded-For": "198.51.100.1, garbage, 10.0.0.2"},
			ip:      "10.0.0.2", scheme: "http", host: "app.test"},
		{name: "Forwarded", opts: []covet.Option{covet.WithTrustedProxies("10.0.0.0/8"), covet.WithClientIPHeader("forwarded")}, remote: "10.0.0.1:1",
			headers: hdr{"Forwarded": `for=6.6.6.6;proto=https;host=evil.example, for="198.51.100.1:4711";proto=https;host=shop.example, for=10.0.0.2;proto=http`, "X-Forwarded-For": "7.7.7.7"},
			ip:      "198.51.100.1", scheme: "https", host: "shop.example", secureCookie: true},
		{name: "Forwarded: unknown stops the walk", opts: []covet.Option{covet.WithClientIPHeader("Forwarded"), covet.WithTrustedProxies("10.0.0.0/8")}, remote: "10.0.0.1:1",
			headers: hdr{"Forwarded": `for=198.51.100.1;proto=https, for=unknown;proto=http`},
			ip:      "10.0.0.1", scheme: "http", host: "app.test"},
		{name: "X-Real-IP", opts: []covet.Option{covet.WithTrustedProxies("127.0.0.1"), covet.WithClientIPHeader("X-Real-IP")}, remote: "127.0.0.1:1",
			headers: hdr{"X-Real-IP": "198.51.100.9", "X-Forwarded-For": "7.7.7.7", "X-Forwarded-Proto": "https"},
			ip:      "198.51.100.9", scheme: "https", host: "app.test", secureCookie: true},
		{name: "IPv6 proxy and client", opts: []covet.Option{covet.WithTrustedProxies("fd00::/8")}, remote: "[fd00::1]:80",
			headers: hdr{"X-Forwarded-For": "[2001:db8::7]:5555"},
			ip:      "2001:db8::7", scheme: "http", host: "app.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := covet.New(tt.opts...)
			app.GET("/", func(c *covet.Context) error {
				c.SetCookie("s", "v")
				return c.Text(200, c.ClientIP()+" "+c.Scheme()+" "+c.Host())
			})
			req := covettest.New(t, app).Get("/").Host("app.test").RemoteAddr(tt.remote)
			for k, v := range tt.headers {
				req.Header(k, v)
			}
			r := req.Do().ExpectBody(tt.ip + " " + tt.scheme + " " + tt.host)
			if got := strings.Contains(r.Header.Get("Set-Cookie"), "Secure"); got != tt.secureCookie {
				t.Errorf("cookie %q: Secure %v, want %v", r.Header.Get("Set-Cookie"), got, tt.secureCookie)
			}
		})
	}
}

// TestTrustedProxiesInvalid checks that an entry that is not an IP or CIDR
// prefix panics in New, naming it.
func TestTrustedProxiesInvalid(t *testing.T) {
	defer func() {
		if v := recover(); v == nil || !strings.Contains(v.(string), "not-an-ip") {
			t.Errorf("New with a bad proxy: panic %v", v)
		}
	}()
	covet.New(covet.WithTrustedProxies("not-an-ip"))
}

// TestAppTrustedProxies checks App.TrustedProxies: nil without proxies (a
// header alone trusts none), else the set the options describe.
func TestAppTrustedProxies(t *testing.T) {
	if tp := covet.New(covet.WithClientIPHeader("X-Real-IP")).TrustedProxies(); tp != nil {
		t.Errorf("no proxies: %v", tp)
	}
	app := covet.New(covet.WithClientIPHeader("x-real-ip"), covet.WithTrustedProxies("10.0.0.0/8"))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.1.2.3:9"
	r.Header.Set("X-Real-IP", "198.51.100.1")
	if o := app.TrustedProxies().Resolve(r); !o.Proxied || o.ClientIP.String() != "198.51.100.1" {
		t.Errorf("Resolve: %+v", o)
	}
}
