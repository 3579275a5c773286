package ratelimit

import (
	"context"
	"net/http"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// TestAppTrustedProxies checks that, without proxies of its own, the
// limiter keys clients as core resolves them from the app's trusted
// proxies, and that a client cannot spoof its key past them.
func TestAppTrustedProxies(t *testing.T) {
	app := covet.New(covet.WithLogger(discardLogger()), covet.WithTrustedProxies("10.0.0.0/8"))
	lim := New(WithBackend(NewMemory()))
	app.GET("/", func(c *covet.Context) error { return c.Text(200, lim.ClientIP(c).String()) }).
		With(Apply(NewPolicy("app-proxies", WithLimits(PerHour(1)))))
	if err := app.Install(lim); err != nil {
		t.Fatal(err)
	}
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	cl := covettest.New(t, app)
	get := func(remote, xff string) *covettest.Response {
		return cl.Get("/").RemoteAddr(remote).Header("X-Forwarded-For", xff).Do()
	}
	get("10.0.0.1:1", "198.51.100.1").ExpectStatus(200).ExpectBody("198.51.100.1")
	get("10.0.0.2:1", "198.51.100.1").ExpectStatus(http.StatusTooManyRequests) // same client, other proxy
	get("10.0.0.1:1", "198.51.100.2").ExpectStatus(200).ExpectBody("198.51.100.2")
	// A client-written entry left of the real client does not change its key.
	get("10.0.0.1:1", "1.1.1.1, 198.51.100.2").ExpectStatus(http.StatusTooManyRequests)
	// An untrusted peer's header is ignored: its key is the peer.
	get("203.0.113.1:1", "198.51.100.3").ExpectStatus(200).ExpectBody("203.0.113.1")
	get("203.0.113.1:1", "198.51.100.4").ExpectStatus(http.StatusTooManyRequests)
}
