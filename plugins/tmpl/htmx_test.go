package tmpl_test

import (
	"net/http"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/tmpl"
)

// hxVary is the Vary of a RenderHX answer: boosted and history-restore
// requests carry HX-Request too but get the whole page, so a cache must
// key on their headers as well (else the back button can restore a
// cached fragment without its layout).
const hxVary = "HX-Request, HX-Boosted, HX-History-Restore-Request"

func TestHXDetectionAndPartial(t *testing.T) {
	app, _, _ := newApp(t, testFS())
	app.GET("/", func(c *covet.Context) error {
		return tmpl.RenderHX(c, 200, "tasks/index", "list", Page{Tasks: []Task{{ID: 1, Title: "one"}}})
	})
	app.GET("/hx", func(c *covet.Context) error {
		h := tmpl.HX(c)
		return c.JSON(200, h)
	})
	cl := covettest.New(t, app)
	tests := []struct {
		name     string
		headers  map[string]string
		fragment bool
	}{
		{"browser", nil, false},
		{"htmx", map[string]string{"HX-Request": "true", "HX-Target": "list"}, true},
		{"boosted", map[string]string{"HX-Request": "true", "HX-Boosted": "true"}, false},
		{"history restore", map[string]string{"HX-Request": "true", "HX-History-Restore-Request": "true"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := cl.Get("/")
			for k, v := range tc.headers {
				r.Header(k, v)
			}
			res := r.Do().ExpectStatus(200).ExpectHeader("Vary", hxVary)
			if full := strings.Contains(res.Text(), "<!doctype html>"); full == tc.fragment {
				t.Errorf("fragment=%v, body %s", tc.fragment, res.Text())
			}
		})
	}
	var got tmpl.HXRequest
	cl.Get("/hx").Header("HX-Request", "true").Header("HX-Target", "list").Header("HX-Trigger", "btn").
		Header("HX-Trigger-Name", "go").Header("HX-Current-URL", "http://x/").Do().Decode(&got)
	want := tmpl.HXRequest{Request: true, Target: "list", Trigger: "btn", TriggerName: "go", CurrentURL: "http://x/"}
	if got != want {
		t.Errorf("got %+v", got)
	}
}

func TestHXResponseHeaders(t *testing.T) {
	app, _, _ := newApp(t, testFS())
	app.POST("/", func(c *covet.Context) error {
		if err := tmpl.HXTrigger(c, "saved", nil); err != nil {
			return err
		}
		if err := tmpl.HXTrigger(c, "toast", map[string]string{"msg": "ok"}); err != nil {
			return err
		}
		tmpl.HXPushURL(c, "/tasks/1")
		tmpl.HXRetarget(c, "#errors")
		tmpl.HXReswap(c, "innerHTML")
		tmpl.HXRedirect(c, "/login")
		return c.NoContent(http.StatusNoContent)
	})
	res := covettest.New(t, app).Post("/").Do().ExpectStatus(204).
		ExpectHeader("HX-Push-Url", "/tasks/1").ExpectHeader("HX-Retarget", "#errors").
		ExpectHeader("HX-Reswap", "innerHTML").ExpectHeader("HX-Redirect", "/login")
	if tr := res.Header.Get("HX-Trigger"); tr != `{"saved":null,"toast":{"msg":"ok"}}` {
		t.Errorf("HX-Trigger %q", tr)
	}
}

func TestVendoredHTMXServed(t *testing.T) {
	fsys := map[string]string{
		"layouts/base.html": `<head>{{htmxConfig}}<script src="{{asset "htmx.js"}}" defer></script></head>{{block "content" .}}{{end}}`,
		"home.html":         `{{define "content"}}hi{{end}}`,
	}
	app, _, _ := newApp(t, mapFS(fsys))
	app.GET("/", func(c *covet.Context) error { return tmpl.Render(c, 200, "home", nil) })
	cl := covettest.New(t, app)
	body := cl.Get("/").Do().ExpectStatus(200).Text()
	if !strings.Contains(body, `src="`+tmpl.HTMXPath()+`"`) || !strings.Contains(body, `<meta name="htmx-config" content="{&#34;responseHandling&#34;`) {
		t.Fatalf("page: %s", body)
	}
	res := cl.Get(tmpl.HTMXPath()).Do().ExpectStatus(200).
		ExpectHeader("Cache-Control", "public, max-age=31536000, immutable").
		ExpectHeader("Content-Type", "text/javascript; charset=utf-8")
	if !strings.Contains(res.Text(), "htmx") || len(res.Body) < 10000 {
		t.Errorf("htmx body %d bytes", len(res.Body))
	}
	cl.Get(tmpl.HTMXPath()).Header("If-None-Match", res.Header.Get("ETag")).Do().ExpectStatus(304)
	cl.Get("/_tmpl/htmx.js").Do().ExpectStatus(404)
}
