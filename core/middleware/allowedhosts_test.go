package middleware_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
)

func hostsApp(hosts ...string) *covet.App {
	app, _ := newApp()
	app.Pre(middleware.AllowedHosts(hosts...))
	app.GET("/", func(c *covet.Context) error { return c.Text(200, "hello "+c.Request().Host) })
	return app
}

func TestAllowedHosts(t *testing.T) {
	app := hostsApp("example.com", "api.example.com:8443", "*.example.org", "[::1]", "fe80::1", "127.0.0.1:8080", "Mixed.Example.NET.")
	tests := []struct {
		host string
		ok   bool
	}{
		{"example.com", true},
		{"EXAMPLE.com", true},
		{"example.com.", true},
		{"example.com:8080", true},
		{"example.com.:8080", true},
		{"evil.com", false},
		{"example.com.evil.com", false},
		{"evilexample.com", false},
		{"sub.example.com", false},
		{"api.example.com:8443", true},
		{"API.example.com:8443", true},
		{"api.example.com", false},
		{"api.example.com:443", false},
		{"a.example.org", true},
		{"A.B.Example.Org:9000", true},
		{"example.org", false},
		{"evilexample.org", false},
		{".example.org", false},
		{"a..example.org", false},
		{"[::1]", true},
		{"[::1]:3000", true},
		{"[0:0:0:0:0:0:0:1]", true},
		{"[::2]", false},
		{"::1", false},
		{"[fe80::1]:80", true},
		{"127.0.0.1:8080", true},
		{"127.0.0.1", false},
		{"127.0.0.1:8081", false},
		{"mixed.example.net", true},
		{"", false},
		{"example.com:", false},
		{"example.com:abc", false},
		{"example.com:123456", false},
		{"[::1", false},
		{"[::1]x", false},
		{"exa mple.com", false},
		{"example.com/", false},
		{"user@example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.Host = tt.host
			rec := serve(app, req)
			want := http.StatusBadRequest
			if tt.ok {
				want = http.StatusOK
			}
			if rec.Code != want {
				t.Errorf("host %q: status %d, want %d", tt.host, rec.Code, want)
			}
			if !tt.ok && rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("refusal is not a problem: %q", rec.Header().Get("Content-Type"))
			}
		})
	}
}

func TestAllowedHostsAny(t *testing.T) {
	covettest.New(t, hostsApp("*")).Get("/").Host("anything.test:1").Do().ExpectStatus(200)
}

// net/http takes the host from an absolute-form request target over the
// Host header: that is the host checked.
func TestAllowedHostsAbsoluteForm(t *testing.T) {
	srv := httptest.NewServer(hostsApp("example.com"))
	defer srv.Close()
	for target, want := range map[string]int{
		"http://evil.com/":    400,
		"http://example.com/": 200,
	} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(conn, "GET "+target+" HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		conn.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s with Host example.com: status %d, want %d", target, res.StatusCode, want)
		}
	}
}

func TestAllowedHostsBadPatternsPanic(t *testing.T) {
	for _, tt := range []struct {
		name     string
		patterns []string
	}{
		{"none", nil},
		{"empty", []string{""}},
		{"bare wildcard", []string{"*."}},
		{"double wildcard", []string{"*.*.example.com"}},
		{"inner wildcard", []string{"api.*.example.com"}},
		{"space", []string{"exa mple.com"}},
		{"bad port", []string{"example.com:http"}},
		{"open bracket", []string{"[::1"}},
		{"wildcard IP", []string{"*.[::1]"}},
		{"empty label", []string{"*..example.com"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("AllowedHosts(%q) did not panic", tt.patterns)
				}
			}()
			middleware.AllowedHosts(tt.patterns...)
		})
	}
}
