package ratelimit_test

import (
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ratelimit"
)

// TestDocumentsTooManyRequests: a limited route documents its 429 with
// Retry-After (for openapi), an exempt or unlimited one does not.
func TestDocumentsTooManyRequests(t *testing.T) {
	h := func(c *covet.Context) error { return nil }
	app := covet.New()
	app.GET("/limited", h).With(ratelimit.Apply(ratelimit.NewPolicy("docs", ratelimit.WithLimits(ratelimit.PerMinute(3)))))
	app.GET("/exempt", h).With(ratelimit.Exempt())
	app.GET("/free", h)
	if err := app.Install(ratelimit.New()); err != nil {
		t.Fatal(err)
	}
	for _, ri := range app.Routes() {
		var has429, retry bool
		for _, rd := range ri.Responses {
			if rd.Status == 429 {
				has429 = true
				for _, hd := range rd.Headers {
					retry = retry || hd.Name == "Retry-After"
				}
			}
		}
		if want := ri.Pattern == "/limited"; has429 != want || retry != want {
			t.Errorf("%s: 429 documented %v (Retry-After %v), want %v", ri.Pattern, has429, retry, want)
		}
	}
}
