package middleware_test

import (
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
)

// TestAppTrustedProxies checks that SecureHeaders' HSTS decision and the
// access log's remote_ip follow the app's trusted proxies, and that a
// client cannot spoof either without them.
func TestAppTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   []covet.Option
		remote string
		ip     string
		hsts   bool
	}{
		{"trusted proxy", []covet.Option{covet.WithTrustedProxies("10.0.0.0/8")}, "10.0.0.1:1", "198.51.100.1", true},
		{"untrusted peer", []covet.Option{covet.WithTrustedProxies("10.0.0.0/8")}, "203.0.113.5:1", "203.0.113.5", false},
		{"no proxy trusted", nil, "10.0.0.1:1", "10.0.0.1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app, logs := newApp(tc.opts...)
			app.Use(middleware.AccessLog(), middleware.SecureHeaders())
			app.GET("/", func(c *covet.Context) error { return c.Text(200, "ok") })
			r := covettest.New(t, app).Get("/").RemoteAddr(tc.remote).
				Header("X-Forwarded-For", "198.51.100.1").Header("X-Forwarded-Proto", "https").Do()
			if got := r.Header.Get("Strict-Transport-Security") != ""; got != tc.hsts {
				t.Errorf("HSTS sent: %v, want %v", got, tc.hsts)
			}
			recs := logs.Find(t, "request")
			if len(recs) != 1 || recs[0]["remote_ip"] != tc.ip {
				t.Errorf("access log: %v, want remote_ip %s", recs, tc.ip)
			}
		})
	}
}
