package tmpl_test

import (
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/tmpl"
)

// One typed route answers the page to browsers, the fragment to htmx and
// JSON to API clients.
func TestTypedRouteNegotiatesHTML(t *testing.T) {
	app := covet.New(covet.WithEncoders(tmpl.HTMLEncoder()))
	app.GET("/tasks/{id:int}", func(c *covet.Context) error { return nil }).Name("task.show")
	if err := app.Install(tmpl.New(testFS())); err != nil {
		t.Fatal(err)
	}
	covet.Get(app, "/tasks", func(c *covet.Context, in *struct{}) (*Page, error) {
		return &Page{Tasks: []Task{{ID: 7, Title: "seven"}}}, nil
	}).With(tmpl.Page("tasks/index", "list"))
	covet.Get(app, "/plain", func(c *covet.Context, in *struct{}) (*Page, error) { return &Page{}, nil })
	cl := covettest.New(t, app)
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	body := cl.Get("/tasks").Header("Accept", browser).Do().ExpectStatus(200).
		ExpectHeader("Content-Type", "text/html; charset=utf-8").ExpectHeader("Vary", hxVary).Text()
	if !strings.Contains(body, "<!doctype html>") || !strings.Contains(body, "seven") {
		t.Errorf("page: %s", body)
	}
	frag := cl.Get("/tasks").Header("Accept", browser).Header("HX-Request", "true").Do().ExpectStatus(200).Text()
	if strings.Contains(frag, "<!doctype") || !strings.Contains(frag, `id="task-7"`) {
		t.Errorf("fragment: %s", frag)
	}
	cl.Get("/tasks").Header("Accept", "application/json").Do().ExpectStatus(200).
		ExpectJSON(`{"Tasks":[{"ID":7,"Title":"seven","Link":""}]}`)
	cl.Get("/plain").Header("Accept", browser).Do().ExpectStatus(406)
}
