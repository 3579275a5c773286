package tmpl_test

import (
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

func copyDir(t *testing.T, from string) string {
	dir := t.TempDir()
	entries, _ := os.ReadDir(from)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var hashed = regexp.MustCompile(`^/assets/app-[A-Z0-9]{8}\.(js|css)$`)

func TestAssetsBuildServeAndTemplate(t *testing.T) {
	a := tmpl.NewAssets("testdata/assets", []string{"app.js", "app.css"})
	app := covet.New()
	if err := app.Install(a); err != nil {
		t.Fatal(err)
	}
	if err := app.Install(tmpl.New(mapFS(map[string]string{
		"page.html": `<link rel="stylesheet" href="{{asset "app.css"}}"><script src="{{asset "app.js"}}"></script>`,
	}), tmpl.WithAssets(a))); err != nil {
		t.Fatal(err)
	}
	app.GET("/", func(c *covet.Context) error { return tmpl.Render(c, 200, "page", nil) })
	m := a.Manifest()
	for _, k := range []string{"app.js", "app.css"} {
		if !hashed.MatchString(m[k]) {
			t.Fatalf("manifest %s = %q", k, m[k])
		}
	}
	cl := covettest.New(t, app)
	body := cl.Get("/").Do().ExpectStatus(200).Text()
	if !strings.Contains(body, m["app.js"]) || !strings.Contains(body, m["app.css"]) {
		t.Errorf("page: %s", body)
	}
	js := cl.Get(m["app.js"]).Do().ExpectStatus(200).ExpectHeader("Cache-Control", "public, max-age=31536000, immutable").Text()
	if !strings.Contains(js, "greeted") || strings.Contains(js, "import") || strings.Contains(js, "\n  ") {
		t.Errorf("not bundled and minified: %s", js)
	}
	css := cl.Get(m["app.css"]).Do().ExpectStatus(200).Text()
	if !strings.Contains(css, "color:#222}") && !strings.Contains(css, "color:#222;") {
		t.Errorf("css not minified: %s", css)
	}
	cl.Get("/assets/app.js").Do().ExpectStatus(404)

	// A production build written out and loaded again serves the same URLs.
	out := t.TempDir()
	if err := a.WriteTo(out); err != nil {
		t.Fatal(err)
	}
	b, err := tmpl.LoadAssets(os.DirFS(out))
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Manifest(); got["app.js"] != m["app.js"] || got["app.css"] != m["app.css"] {
		t.Errorf("loaded manifest %v, built %v", got, m)
	}
}

func TestAssetsDevelopmentRebuildAndErrors(t *testing.T) {
	dir := copyDir(t, "testdata/assets")
	a := tmpl.NewAssets(dir, []string{"app.css"}, tmpl.WithAssetDevelopment(true))
	if err := a.Build(); err != nil {
		t.Fatal(err)
	}
	u1, _ := a.URL("app.css")
	later := time.Now().Add(time.Hour)
	if err := os.WriteFile(filepath.Join(dir, "app.css"), []byte("body { color: red }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(filepath.Join(dir, "app.css"), later, later)
	u2, err := a.URL("app.css")
	if err != nil || u2 == u1 {
		t.Fatalf("after edit: %q (before %q), %v", u2, u1, err)
	}
	// A syntax error is reported with file:line:column.
	if err := os.WriteFile(filepath.Join(dir, "app.css"), []byte("body {\n  color: red;\n  }}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(filepath.Join(dir, "app.css"), later.Add(time.Hour), later.Add(time.Hour))
	bad := tmpl.NewAssets(dir, []string{"app.js", "missing.js"})
	if err := bad.Build(); err == nil || !strings.Contains(err.Error(), "missing.js") {
		t.Errorf("missing entry: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lib.js"), []byte("export function greet( {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = tmpl.NewAssets(dir, []string{"app.js"}).Build()
	if err == nil || !strings.Contains(err.Error(), "lib.js:2:") {
		t.Errorf("syntax error: %v", err)
	}
}
