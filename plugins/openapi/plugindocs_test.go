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
			Headers: []covet.HeaderDoc{{Name: "Retry-After", Description: "Seconds to wait."}}}}
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

// TestTagListedOnce: a tag given to a group and again to one of its routes,
// and described twice, is listed once on the operation and once in the
// document.
func TestTagListedOnce(t *testing.T) {
	app := covet.New()
	g := app.Group("/g").With(covet.Tag("items"))
	g.GET("/a", func(c *covet.Context) error { return nil }).Tags("items", "extra")
	g.Group("/sub").With(covet.Tag("items")).GET("/b", func(c *covet.Context) error { return nil }).Tags("items")
	p := openapi.New(openapi.WithTag("items", "Items"), openapi.WithTag("items", "All the items"))
	if err := app.Install(p); err != nil {
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
		Tags  []openapi.Tag
		Paths map[string]map[string]struct{ Tags []string }
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Tags) != 2 || doc.Tags[0] != (openapi.Tag{Name: "items", Description: "All the items"}) || doc.Tags[1].Name != "extra" {
		t.Errorf("document tags %+v, want items (described once, last wins) then extra", doc.Tags)
	}
	if got := doc.Paths["/g/a"]["get"].Tags; len(got) != 2 || got[0] != "items" || got[1] != "extra" {
		t.Errorf("/g/a tags %v", got)
	}
	if got := doc.Paths["/g/sub/b"]["get"].Tags; len(got) != 1 {
		t.Errorf("/g/sub/b tags %v", got)
	}
}
