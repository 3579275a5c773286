package openapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/openapi"
)

// limiterLike documents a 429 with Retry-After on routes marked limited,
// as plugins/ratelimit does (App.DocumentResponses), so the document needs
// no Route.Response by hand.
type limiterLike struct{}

var limitedRoute = covet.NewMetaKey[bool]("test.limited")

func (limiterLike) Name() string { return "limiter-like" }
func (limiterLike) Install(app *covet.App) error {
	app.DocumentResponses(func(ri *covet.RouteInfo) []covet.ResponseDoc {
		if on, _ := limitedRoute.Get(ri); !on {
			return nil
		}
		return []covet.ResponseDoc{{Status: http.StatusTooManyRequests, Description: "Rate limit exceeded.",
			Headers: []covet.ParamDoc{covet.HeaderDoc("Retry-After", "Seconds to wait.")}}}
	})
	return nil
}

func TestPluginDocumentedResponses(t *testing.T) {
	app := covet.New()
	app.GET("/limited", func(c *covet.Context) error { return nil }).With(limitedRoute.Set(true))
	app.GET("/free", func(c *covet.Context) error { return nil })
	p := openapi.New()
	if err := app.Install(p, limiterLike{}); err != nil {
		t.Fatal(err)
	}
	if rec := get(t, app, "/openapi.json"); rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	raw, err := p.Document(openapi.V31, openapi.JSON)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Description string
				Headers     map[string]struct {
					Description string
					Schema      struct{ Type string }
				}
				Content map[string]any
			}
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	r429, ok := doc.Paths["/limited"]["get"].Responses["429"]
	if !ok {
		t.Fatalf("/limited has no 429: %s", raw)
	}
	if r429.Description != "Rate limit exceeded." || r429.Headers["Retry-After"].Schema.Type != "string" || r429.Headers["Retry-After"].Description != "Seconds to wait." {
		t.Errorf("429 = %+v", r429)
	}
	if _, ok := r429.Content["application/problem+json"]; !ok {
		t.Errorf("429 has no problem body: %+v", r429.Content)
	}
	if _, ok := doc.Paths["/free"]["get"].Responses["429"]; ok {
		t.Errorf("/free documents a 429 it never answers")
	}
}
