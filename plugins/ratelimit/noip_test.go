package ratelimit

import (
	"context"
	"net/http"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// TestRequestsWithoutAClientIP: behind a proxy on a Unix socket (RemoteAddr
// "@") the peer has no IP. Unless the proxy is trusted ("unix"), such
// requests share one IP budget (they were never counted: every request
// passed any IP limit) and the limiter warns once; with "unix" trusted,
// the app's or the limiter's own, each forwarded client has its own budget.
func TestRequestsWithoutAClientIP(t *testing.T) {
	setup := func(t *testing.T, appOpts []covet.Option, limOpts ...Option) (*covettest.Client, *covettest.LogBuffer) {
		logs := &covettest.LogBuffer{}
		app := covet.New(append([]covet.Option{covet.WithLogger(logs.Logger())}, appOpts...)...)
		lim := New(append([]Option{WithBackend(NewMemory())}, limOpts...)...)
		app.GET("/", func(c *covet.Context) error { return c.Text(200, "ok") }).
			With(Apply(NewPolicy("no-ip", WithLimits(PerHour(1)))))
		if err := app.Install(lim); err != nil {
			t.Fatal(err)
		}
		if err := app.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = app.Stop(context.Background()) })
		return covettest.New(t, app), logs
	}
	get := func(cl *covettest.Client, remote, xff string) *covettest.Response {
		return cl.Get("/").RemoteAddr(remote).Header("X-Forwarded-For", xff).Do()
	}

	t.Run("untrusted socket: one shared budget", func(t *testing.T) {
		for _, remote := range []string{"@", "pipe"} { // covettest sends "" as its default peer
			cl, logs := setup(t, []covet.Option{covet.WithTrustedProxies("10.0.0.0/8")})
			get(cl, remote, "198.51.100.1").ExpectStatus(200)
			get(cl, remote, "198.51.100.2").ExpectStatus(http.StatusTooManyRequests)
			get(cl, remote, "198.51.100.3").ExpectStatus(http.StatusTooManyRequests)
			if n := strings.Count(logs.String(), "has no client IP address"); n != 1 {
				t.Errorf("RemoteAddr %q: %d warnings, want 1:\n%s", remote, n, logs)
			}
			// An IP peer is unaffected by the shared budget.
			get(cl, "203.0.113.1:1", "").ExpectStatus(200)
		}
	})
	for name, opts := range map[string]struct {
		app []covet.Option
		lim []Option
	}{
		"app trusts unix":     {app: []covet.Option{covet.WithTrustedProxies("unix")}},
		"limiter trusts unix": {lim: []Option{WithTrustedProxies("unix", "10.0.0.0/8")}},
	} {
		t.Run(name, func(t *testing.T) {
			cl, logs := setup(t, opts.app, opts.lim...)
			get(cl, "@", "198.51.100.1").ExpectStatus(200)
			get(cl, "@", "198.51.100.2").ExpectStatus(200)
			get(cl, "@", "1.1.1.1, 198.51.100.1").ExpectStatus(http.StatusTooManyRequests)
			// No header: the client is unknown, counted in the shared budget.
			get(cl, "@", "").ExpectStatus(200)
			get(cl, "@", "").ExpectStatus(http.StatusTooManyRequests)
			if n := strings.Count(logs.String(), "has no client IP address"); n != 1 {
				t.Errorf("%d warnings, want 1:\n%s", n, logs)
			}
		})
	}
}
