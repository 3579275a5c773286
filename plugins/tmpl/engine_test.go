package tmpl_test

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/tmpl"
)

func TestRenderLayoutPartialsURL(t *testing.T) {
	app, _, _ := newApp(t, testFS())
	app.GET("/", func(c *covet.Context) error {
		return tmpl.Render(c, http.StatusOK, "tasks/index", Page{Tasks: []Task{{ID: 1, Title: "one"}, {ID: 2, Title: "two"}}})
	})
	res := covettest.New(t, app).Get("/").Do().ExpectStatus(200)
	body := res.Text()
	for _, want := range []string{"<!doctype html>", "<title>Tasks (2)</title>", `<li id="task-1"><a href="/tasks/1" title="one">one</a></li>`, `lang="en"`} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestRenderBlock(t *testing.T) {
	app, _, _ := newApp(t, testFS())
	app.GET("/", func(c *covet.Context) error {
		return tmpl.RenderBlock(c, http.StatusOK, "tasks/index", "list", Page{Tasks: []Task{{ID: 3, Title: "three"}}})
	})
	body := covettest.New(t, app).Get("/").Do().ExpectStatus(200).Text()
	if strings.TrimSpace(body) != `<li id="task-3"><a href="/tasks/3" title="three">three</a></li>` {
		t.Errorf("block = %q", body)
	}
}

// Every value is escaped for its context: HTML text, attribute, URL
// (javascript: refused), JS, CSS and inline JSON.
func TestAutoEscapingXSS(t *testing.T) {
	app, e, _ := newApp(t, testFS())
	_ = e
	payload := `</script><script>alert(1)</script>"'><img src=x onerror=alert(1)>`
	app.GET("/", func(c *covet.Context) error {
		return tmpl.Render(c, http.StatusOK, "tasks/index", Page{Tasks: []Task{{ID: 1, Title: payload, Link: "javascript:alert(1)"}}})
	})
	app.GET("/s", func(c *covet.Context) error {
		return tmpl.Render(c, http.StatusOK, "standalone", map[string]any{"Color": "red;background:url(javascript:alert(1))", "JS": payload, "Text": payload})
	})
	body := covettest.New(t, app).Get("/").Do().ExpectStatus(200).Text()
	for _, bad := range []string{"<script>alert", "<img", `href="javascript:`, `"'>`} {
		if strings.Contains(body, bad) {
			t.Errorf("page contains %q:\n%s", bad, body)
		}
	}
	if !strings.Contains(body, `href="#ZgotmplZ"`) {
		t.Errorf("javascript: URL not neutralized:\n%s", body)
	}
	body = covettest.New(t, app).Get("/s").Do().ExpectStatus(200).Text()
	for _, bad := range []string{"<script>", "<img", "javascript:alert", "background:url"} {
		if strings.Contains(body, bad) {
			t.Errorf("standalone contains %q:\n%s", bad, body)
		}
	}
}

func TestParseErrorHasFileAndLine(t *testing.T) {
	fsys := fstest.MapFS{
		"layouts/base.html": {Data: []byte(`{{block "content" .}}{{end}}`)},
		"tasks/bad.html":    {Data: []byte("line1\nline2 {{if}}\n")},
	}
	app := covet.New()
	err := app.Install(tmpl.New(fsys))
	if err == nil || !strings.Contains(err.Error(), "tasks/bad.html:2:") {
		t.Fatalf("err = %v, want tasks/bad.html:2", err)
	}
	// An unknown function and a call of a missing template fail too.
	for name, src := range map[string]string{
		"fn.html":   "a\n{{nosuch 1}}",
		"call.html": `{{define "content"}}x {{template "partials/nope" .}}{{end}}`,
	} {
		fsys := fstest.MapFS{"layouts/base.html": {Data: []byte(`{{block "content" .}}{{end}}`)}, name: {Data: []byte(src)}}
		err := covet.New().Install(tmpl.New(fsys))
		if err == nil || !strings.Contains(err.Error(), "tmpl: ") {
			t.Errorf("%s: err = %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
}

// A missing field at render time is a 500 naming the template; nothing of
// the page is sent.
func TestRenderErrorIsWhole500(t *testing.T) {
	fsys := fstest.MapFS{
		"layouts/base.html": {Data: []byte(`<html>{{block "content" .}}{{end}}</html>`)},
		"p.html":            {Data: []byte(`{{define "content"}}` + strings.Repeat("x", 10000) + `{{.Missing}}{{end}}`)},
		"m.html":            {Data: []byte(`{{define "content"}}{{.missing}}{{end}}`)},
	}
	app, _, logs := newApp(t, fsys)
	app.GET("/p", func(c *covet.Context) error { return tmpl.Render(c, 200, "p", struct{ A int }{}) })
	app.GET("/m", func(c *covet.Context) error { return tmpl.Render(c, 200, "m", map[string]any{}) })
	app.GET("/none", func(c *covet.Context) error { return tmpl.Render(c, 200, "nope", nil) })
	cl := covettest.New(t, app)
	for _, p := range []string{"/p", "/m", "/none"} {
		res := cl.Get(p).Do().ExpectStatus(500)
		if strings.Contains(res.Text(), "xxx") || strings.Contains(res.Text(), "<html>") {
			t.Errorf("%s: half a page sent: %.100s", p, res.Text())
		}
	}
	for _, want := range []string{"p.html:1", "m.html:1", `no page \"nope\"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestDevelopmentReload(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		p := filepath.Join(dir, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		// A distinct modification time even on coarse clocks.
		mt := time.Now().Add(time.Duration(len(s)) * time.Second)
		_ = os.Chtimes(p, mt, mt)
	}
	write("layouts/base.html", `{{block "content" .}}{{end}}`)
	write("home.html", `{{define "content"}}v1{{end}}`)
	app := covet.New(covet.WithDevelopment(true), covet.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err := app.Install(tmpl.New(os.DirFS(dir))); err != nil {
		t.Fatal(err)
	}
	app.GET("/", func(c *covet.Context) error { return tmpl.Render(c, 200, "home", nil) })
	cl := covettest.New(t, app)
	if got := cl.Get("/").Do().Text(); got != "v1" {
		t.Fatalf("got %q", got)
	}
	write("home.html", `{{define "content"}}version 2{{end}}`)
	if got := cl.Get("/").Do().Text(); got != "version 2" {
		t.Fatalf("after edit got %q", got)
	}
	// A broken edit shows on the development error page with file:line.
	write("home.html", "{{define \"content\"}}\n{{if}}{{end}}")
	res := cl.Get("/").Header("Accept", "text/html").Do().ExpectStatus(500)
	if !strings.Contains(res.Text(), "home.html:2") {
		t.Fatalf("dev page lacks file:line:\n%s", res.Text())
	}
	write("home.html", `{{define "content"}}fixed again{{end}}`)
	if got := cl.Get("/").Do().Text(); got != "fixed again" {
		t.Fatalf("after fix got %q", got)
	}
}

func TestConcurrentRenders(t *testing.T) {
	app, _, _ := newApp(t, testFS())
	app.GET("/", func(c *covet.Context) error {
		return tmpl.Render(c, 200, "tasks/index", Page{Tasks: []Task{{ID: 1, Title: c.Query("t")}}})
	})
	cl := covettest.New(t, app)
	done := make(chan string, 16)
	for i := 0; i < 16; i++ {
		go func(i int) {
			q := strings.Repeat("q", i+1)
			body := cl.Get("/").Query("t", q).Do().Text()
			if !strings.Contains(body, `title="`+q+`"`) {
				done <- "mixed up: " + q
				return
			}
			done <- ""
		}(i)
	}
	for i := 0; i < 16; i++ {
		if s := <-done; s != "" {
			t.Error(s)
		}
	}
}
