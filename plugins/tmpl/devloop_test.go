package tmpl_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/tmpl"
)

// The development loop end to end, without a restart: a page linking its
// CSS through {{asset}}; after the CSS file is edited the next page names
// a new hashed URL that serves the new CSS, and after the template is
// edited the next request shows the new markup.
func TestDevelopmentLoopTemplateAndCSS(t *testing.T) {
	assetDir := copyDir(t, "testdata/assets")
	tplDir := t.TempDir()
	bump := 0
	write := func(path, s string) {
		t.Helper()
		_ = os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		bump++ // a distinct modification time even on coarse clocks
		mt := time.Now().Add(time.Duration(bump) * time.Hour)
		_ = os.Chtimes(path, mt, mt)
	}
	write(filepath.Join(tplDir, "layouts/base.html"), `<link rel="stylesheet" href="{{asset "app.css"}}">{{block "content" .}}{{end}}`)
	write(filepath.Join(tplDir, "home.html"), `{{define "content"}}<h1>v1</h1>{{end}}`)

	assets := tmpl.NewAssets(assetDir, []string{"app.css"}, tmpl.WithAssetDevelopment(true))
	app := covet.New(covet.WithDevelopment(true), covet.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err := app.Install(assets); err != nil {
		t.Fatal(err)
	}
	if err := app.Install(tmpl.New(os.DirFS(tplDir), tmpl.WithAssets(assets))); err != nil {
		t.Fatal(err)
	}
	app.GET("/", func(c *covet.Context) error { return tmpl.Render(c, 200, "home", nil) })
	cl := covettest.New(t, app)
	link := regexp.MustCompile(`href="([^"]+)"`)
	get := func() (page, cssURL, css string) {
		t.Helper()
		page = cl.Get("/").Do().ExpectStatus(200).Text()
		m := link.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no stylesheet link in %s", page)
		}
		return page, m[1], cl.Get(m[1]).Do().ExpectStatus(200).Text()
	}

	page, u1, css := get()
	if !strings.Contains(page, "<h1>v1</h1>") || !strings.Contains(css, "#222222") {
		t.Fatalf("first page %s, css %s", page, css)
	}

	write(filepath.Join(assetDir, "app.css"), "body {\n  color: #ff0000;\n}\n")
	page, u2, css := get()
	if u2 == u1 || !strings.Contains(css, "#ff0000") || strings.Contains(css, "#222222") {
		t.Fatalf("after the CSS edit: url %s (before %s), css %s", u2, u1, css)
	}
	if !strings.Contains(page, "<h1>v1</h1>") {
		t.Fatalf("page changed: %s", page)
	}

	write(filepath.Join(tplDir, "home.html"), `{{define "content"}}<h1>version 2</h1>{{end}}`)
	page, u3, _ := get()
	if !strings.Contains(page, "<h1>version 2</h1>") || u3 != u2 {
		t.Fatalf("after the template edit: %s (css url %s, before %s)", page, u3, u2)
	}
}
