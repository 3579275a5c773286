package middleware_test

import (
	"crypto/tls"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
)

var defaultSecureHeaders = map[string]string{
	"X-Content-Type-Options":     "nosniff",
	"X-Frame-Options":            "DENY",
	"Content-Security-Policy":    "frame-ancestors 'none'",
	"Referrer-Policy":            "strict-origin-when-cross-origin",
	"Cross-Origin-Opener-Policy": "same-origin-allow-popups", // OAuth popups keep working
}

const defaultHSTS = "max-age=63072000; includeSubDomains"

func secureApp(opts ...middleware.SecureHeadersOption) *covet.App {
	app, _ := newApp()
	app.Use(middleware.SecureHeaders(opts...))
	app.GET("/", func(c *covet.Context) error { return c.Text(200, "ok") })
	app.GET("/own", func(c *covet.Context) error {
		c.SetHeader("X-Frame-Options", "SAMEORIGIN")
		c.SetHeader("Content-Security-Policy", "default-src 'self'")
		c.Response().Header().Del("Referrer-Policy")
		return c.Text(200, "ok")
	})
	return app
}

func TestSecureHeadersDefaults(t *testing.T) {
	cl := covettest.New(t, secureApp())
	for _, path := range []string{"/", "/missing"} { // a 404 problem carries them too
		res := cl.Get(path).Do()
		for k, v := range defaultSecureHeaders {
			res.ExpectHeader(k, v)
		}
		res.ExpectNoHeader("Strict-Transport-Security").ExpectNoHeader("Permissions-Policy").
			ExpectNoHeader("Cross-Origin-Resource-Policy").ExpectNoHeader("Content-Security-Policy-Report-Only")
	}
}

func TestSecureHeadersHandlerValuesWin(t *testing.T) {
	res := covettest.New(t, secureApp()).Get("/own").Do()
	res.ExpectHeader("X-Frame-Options", "SAMEORIGIN").ExpectHeader("Content-Security-Policy", "default-src 'self'").
		ExpectNoHeader("Referrer-Policy").ExpectHeader("X-Content-Type-Options", "nosniff")
	if n := len(res.Header.Values("X-Frame-Options")); n != 1 {
		t.Errorf("X-Frame-Options sent %d times", n)
	}
}

func TestSecureHeadersOuterValuesWin(t *testing.T) {
	app, _ := newApp()
	app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			c.SetHeader("Content-Security-Policy", "default-src 'none'")
			return next(c)
		}
	}, middleware.SecureHeaders())
	app.GET("/", func(c *covet.Context) error { return c.NoContent(204) })
	covettest.New(t, app).Get("/").Do().ExpectHeader("Content-Security-Policy", "default-src 'none'")
}

func TestSecureHeadersHSTS(t *testing.T) {
	tests := []struct {
		name    string
		opts    []middleware.SecureHeadersOption
		tls     bool
		remote  string
		proto   string
		want    string
		present bool
	}{
		{name: "plain HTTP", present: false},
		{name: "TLS", tls: true, want: defaultHSTS, present: true},
		{name: "forwarded by a trusted proxy", opts: []middleware.SecureHeadersOption{middleware.WithTrustedProxies("10.0.0.0/8")},
			remote: "10.1.2.3:4000", proto: "https", want: defaultHSTS, present: true},
		{name: "forwarded, value case and list", opts: []middleware.SecureHeadersOption{middleware.WithTrustedProxies("10.1.2.3")},
			remote: "10.1.2.3:4000", proto: "HTTPS, http", want: defaultHSTS, present: true},
		{name: "trusted IPv6 proxy", opts: []middleware.SecureHeadersOption{middleware.WithTrustedProxies("fd00::/8")},
			remote: "[fd00::5]:4000", proto: "https", want: defaultHSTS, present: true},
		{name: "forwarded by an untrusted peer", opts: []middleware.SecureHeadersOption{middleware.WithTrustedProxies("10.0.0.0/8")},
			remote: "203.0.113.9:4000", proto: "https", present: false},
		{name: "forwarded without trusted proxies", remote: "10.1.2.3:4000", proto: "https", present: false},
		{name: "forwarded http", opts: []middleware.SecureHeadersOption{middleware.WithTrustedProxies("10.0.0.0/8")},
			remote: "10.1.2.3:4000", proto: "http", present: false},
		{name: "preload", opts: []middleware.SecureHeadersOption{middleware.WithHSTSPreload()}, tls: true,
			want: defaultHSTS + "; preload", present: true},
		{name: "max-age without subdomains", opts: []middleware.SecureHeadersOption{
			middleware.WithHSTSMaxAge(24 * time.Hour), middleware.WithHSTSSubdomains(false)}, tls: true,
			want: "max-age=86400", present: true},
		{name: "disabled", opts: []middleware.SecureHeadersOption{middleware.WithHSTSMaxAge(0)}, tls: true, present: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := secureApp(tt.opts...)
			req := covettest.New(t, app).Get("/").Build()
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			if tt.remote != "" {
				req.RemoteAddr = tt.remote
			}
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			got, present := serve(app, req).Header()["Strict-Transport-Security"]
			if present != tt.present || (present && got[0] != tt.want) {
				t.Errorf("Strict-Transport-Security = %q (present %v), want %q (present %v)", got, present, tt.want, tt.present)
			}
		})
	}
}

func TestSecureHeadersOptions(t *testing.T) {
	app := secureApp(
		middleware.WithCSP("default-src 'self'; frame-ancestors 'self'"),
		middleware.WithCSPReportOnly("script-src 'none'"),
		middleware.WithFrameOptions("SAMEORIGIN"),
		middleware.WithReferrerPolicy("no-referrer"),
		middleware.WithCrossOriginOpenerPolicy("same-origin"),
		middleware.WithCrossOriginResourcePolicy("same-site"),
		middleware.WithPermissionsPolicy("camera=(), geolocation=()"),
	)
	covettest.New(t, app).Get("/").Do().
		ExpectHeader("Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'").
		ExpectHeader("Content-Security-Policy-Report-Only", "script-src 'none'").
		ExpectHeader("X-Frame-Options", "SAMEORIGIN").
		ExpectHeader("Referrer-Policy", "no-referrer").
		ExpectHeader("Cross-Origin-Opener-Policy", "same-origin").
		ExpectHeader("Cross-Origin-Resource-Policy", "same-site").
		ExpectHeader("Permissions-Policy", "camera=(), geolocation=()").
		ExpectHeader("X-Content-Type-Options", "nosniff")

	off := secureApp(middleware.WithCSP(""), middleware.WithFrameOptions(""), middleware.WithReferrerPolicy(""),
		middleware.WithCrossOriginOpenerPolicy(""))
	covettest.New(t, off).Get("/").Do().ExpectNoHeader("Content-Security-Policy").ExpectNoHeader("X-Frame-Options").
		ExpectNoHeader("Referrer-Policy").ExpectNoHeader("Cross-Origin-Opener-Policy").
		ExpectHeader("X-Content-Type-Options", "nosniff")
}

func TestSecureHeadersBadConfigurationPanics(t *testing.T) {
	tests := []struct {
		name string
		opts []middleware.SecureHeadersOption
	}{
		{"preload without subdomains", []middleware.SecureHeadersOption{middleware.WithHSTSPreload(), middleware.WithHSTSSubdomains(false)}},
		{"preload with a short max-age", []middleware.SecureHeadersOption{middleware.WithHSTSPreload(), middleware.WithHSTSMaxAge(time.Hour)}},
		{"preload without HSTS", []middleware.SecureHeadersOption{middleware.WithHSTSPreload(), middleware.WithHSTSMaxAge(0)}},
		{"bad proxy", []middleware.SecureHeadersOption{middleware.WithTrustedProxies("10.0.0.300")}},
		{"bad prefix", []middleware.SecureHeadersOption{middleware.WithTrustedProxies("10.0.0.0/33")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			middleware.SecureHeaders(tt.opts...)
		})
	}
}

// TestSecureHeadersOuterValuesWinManyHeaders: with more headers already set
// than the quick check walks, the outer value is kept too, and the others
// are set.
func TestSecureHeadersOuterValuesWinManyHeaders(t *testing.T) {
	app, _ := newApp()
	app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			for _, k := range []string{"X-A", "X-B", "X-C", "X-D", "X-E"} {
				c.SetHeader(k, "1")
			}
			c.SetHeader("X-Frame-Options", "SAMEORIGIN")
			return next(c)
		}
	}, middleware.SecureHeaders())
	app.GET("/", func(c *covet.Context) error { return c.NoContent(204) })
	covettest.New(t, app).Get("/").Do().
		ExpectHeader("X-Frame-Options", "SAMEORIGIN").
		ExpectHeader("X-Content-Type-Options", "nosniff").
		ExpectHeader("X-A", "1")
}
