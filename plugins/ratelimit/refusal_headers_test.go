package ratelimit

import (
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
)

// TestRouteMiddlewareRefusalKeepsHeaders (issue 13): a 429 from the limiter
// used as group or route middleware carries the same RateLimit-Policy,
// RateLimit and Retry-After headers as one from the installed plugin, so a
// client can back off either way.
func TestRouteMiddlewareRefusalKeepsHeaders(t *testing.T) {
	now := start
	lim := New(WithBackend(fixedMemory(&now)))
	app := covet.New(covet.WithLogger(discardLogger()))
	pol := NewPolicy("mw", WithLimits(PerHour(1)))
	app.Group("/api", lim.Middleware(pol)).GET("/group", ok)
	app.GET("/route", ok).Use(lim.Middleware(NewPolicy("rt", WithLimits(PerHour(1)))))
	// Behind middleware that answers for the handler (Timeout runs it on a
	// buffered writer) the headers must survive too.
	app.Group("/slow", middleware.Timeout(time.Minute), lim.Middleware(NewPolicy("slow", WithLimits(PerHour(1))))).GET("/x", ok)
	client := covettest.New(t, app)
	for _, tc := range []struct{ path, policy, limit string }{
		{"/api/group", `"mw";q=1;w=3600`, `"mw";r=0;t=3600`},
		{"/route", `"rt";q=1;w=3600`, `"rt";r=0;t=3600`},
		{"/slow/x", `"slow";q=1;w=3600`, `"slow";r=0;t=3600`},
	} {
		client.Get(tc.path).Do().ExpectStatus(200).ExpectHeader("RateLimit-Policy", tc.policy)
		client.Get(tc.path).Do().ExpectStatus(429).
			ExpectHeader("RateLimit-Policy", tc.policy).
			ExpectHeader("RateLimit", tc.limit).
			ExpectHeader("Retry-After", "3600")
	}
}
