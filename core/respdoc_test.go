package covet_test

import (
	"net/http"
	"testing"

	covet "github.com/covetgo/covet/core"
)

var limitedKey = covet.NewMetaKey[bool]("test.limited")

func TestDocumentResponses(t *testing.T) {
	app := covet.New()
	app.GET("/free", func(c *covet.Context) error { return nil })
	app.GET("/limited", func(c *covet.Context) error { return nil }).With(limitedKey.Set(true))
	app.GET("/own", func(c *covet.Context) error { return nil }).With(limitedKey.Set(true)).
		Response(http.StatusTooManyRequests, "slow down, says the app", nil)
	app.DocumentResponses(func(ri *covet.RouteInfo) []covet.ResponseDoc {
		if on, _ := limitedKey.Get(ri); !on {
			return nil
		}
		return []covet.ResponseDoc{{Status: http.StatusTooManyRequests, Description: "limited",
			Headers: []covet.HeaderDoc{{Name: "Retry-After", Description: "seconds to wait"}}}}
	})
	app.DocumentResponses(func(ri *covet.RouteInfo) []covet.ResponseDoc {
		return []covet.ResponseDoc{{Status: http.StatusTooManyRequests, Description: "second"}, {Status: http.StatusServiceUnavailable}}
	})
	got := map[string][]covet.ResponseDoc{}
	for _, ri := range app.Routes() {
		got[ri.Pattern] = ri.Responses
	}
	if r := got["/free"]; len(r) != 2 || r[0].Description != "second" || r[1].Status != 503 {
		t.Errorf("/free: %+v", r)
	}
	if r := got["/limited"]; len(r) != 2 || r[0].Description != "limited" || r[0].Headers[0].Name != "Retry-After" {
		t.Errorf("/limited: %+v", r)
	}
	if r := got["/own"]; len(r) != 2 || r[0].Description != "slow down, says the app" {
		t.Errorf("/own: the route's own 429 must win: %+v", r)
	}
	// The routes themselves are unchanged: documenting twice adds nothing.
	for _, ri := range app.Routes() {
		if len(ri.Responses) != len(got[ri.Pattern]) {
			t.Errorf("%s: %d responses on the second call, %d on the first", ri.Pattern, len(ri.Responses), len(got[ri.Pattern]))
		}
	}
}
