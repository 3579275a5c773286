package tmpl

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	covet "github.com/covetgo/covet/core"
)

type cTask struct {
	ID       int
	Title    string
	Link     string
	Priority int
	Done     bool
	Tags     []string
}

type cPage struct {
	User  string
	Query string
	Tasks []cTask
	HTML  template.HTML
}

func cData(payload string) cPage {
	p := cPage{User: payload, Query: "write <docs> " + payload, HTML: "<b>bold</b>"}
	for i := 1; i <= 5; i++ {
		p.Tasks = append(p.Tasks, cTask{ID: i, Title: fmt.Sprintf("Task %d: %s", i, payload), Link: payload,
			Priority: i%5 + 1, Done: i%3 == 0, Tags: []string{payload, "review"}})
	}
	return p
}

// xssFS is a layout, partials and pages with values in every context.
func xssFS() fs.FS {
	files := map[string]string{
		"layouts/base.html": `<!doctype html><title>{{block "title" .}}T{{end}}</title>` +
			`<body data-user="{{.User}}">{{block "content" .}}{{end}}<footer>{{len .Tasks}} {{.User}}</footer></body>`,
		"partials/task.html": `<li class="task{{if .Done}} done{{end}}" id="task-{{.ID}}"><a href="{{.Link}}" title='{{.Title}}'>{{.Title}}</a>` +
			`<a href="/tasks/{{.ID}}?q={{.Title}}">x</a><img srcset="{{.Link}} 2x" alt={{.Title}}>` +
			`{{range .Tags}}<i>{{.}}</i>{{else}}none{{end}}</li>`,
		"tasks/index.html": `{{define "title"}}Tasks ({{len .Tasks}}) {{.User}}{{end}}` +
			`{{define "content"}}<form><input name="q" value="{{.Query}}"><textarea>{{.Query}}</textarea></form>` +
			`<ul>{{range .Tasks}}{{template "partials/task" .}}{{end}}</ul>{{with .HTML}}<p>{{.}}</p>{{end}}{{end}}`,
		"tasks/text.html":   `{{define "content"}}<p>{{.Query}}</p><!-- {{.User}} -->{{range $.Tasks}}<b>{{$.User}}</b>{{end}}{{end}}`,
		"tasks/script.html": `{{define "content"}}<script>var q = {{.Query}}; var u = "{{.User}}";</script><p style="color: {{.User}}">x</p>{{end}}`,
	}
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return m
}

func installed(t *testing.T, fsys fs.FS, opts ...Option) *Engine {
	t.Helper()
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)), covet.WithDevelopment(false))
	e := New(fsys, opts...)
	if err := app.Install(e); err != nil {
		t.Fatal(err)
	}
	return e
}

func render(t *testing.T, e *Engine, page, block string, data any) (string, error) {
	t.Helper()
	var b bytes.Buffer
	err := e.Execute(&b, page, block, data)
	return b.String(), err
}

// compiledFor reports whether the engine has a compiled program for the
// page's target.
func compiledFor(e *Engine, page, target string) bool {
	p := e.set.Load().pages[page]
	return p.program(target) != nil
}

var xssPayloads = []string{
	"", "plain", `<script>alert(1)</script>`, `" onmouseover="alert(1)`, `' onerror='x`,
	"javascript:alert(1)", " JAVASCRIPT:alert(1)", "data:text/html,<b>", "a.png 1x, javascript:x 2x",
	"https://example.com/a b?q=1&r=<2>#f", "&amp; + = `\t\n", "\x00\ufdd0\xff", "日本語 🙂", "</title></textarea><!--",
}

// TestCompiledIdentical: with the compiled executor, every page, block
// and payload renders byte for byte as html/template renders it
// (WithCompiled(false)), and the pages it supports really are compiled.
func TestCompiledIdentical(t *testing.T) {
	fast := installed(t, xssFS())
	slow := installed(t, xssFS(), WithCompiled(false))
	for _, pl := range xssPayloads {
		d := cData(pl)
		for _, pb := range [][2]string{{"tasks/index", ""}, {"tasks/index", "content"}, {"tasks/index", "partials/task"},
			{"tasks/text", ""}, {"tasks/script", ""}} {
			var data any = d
			if pb[1] == "partials/task" {
				data = d.Tasks[0]
			}
			for range 2 { // first render compiles a block, second uses it
				got, err1 := render(t, fast, pb[0], pb[1], data)
				want, err2 := render(t, slow, pb[0], pb[1], data)
				if err1 != nil || err2 != nil {
					t.Fatalf("%v: %v / %v", pb, err1, err2)
				}
				if got != want {
					t.Fatalf("%v payload %q:\ncompiled      %q\nhtml/template %q", pb, pl, got, want)
				}
			}
		}
	}
	for _, pt := range [][2]string{{"tasks/index", "layouts/base"}, {"tasks/index", "content"}, {"tasks/index", "partials/task"}, {"tasks/text", "layouts/base"}} {
		if !compiledFor(fast, pt[0], pt[1]) {
			t.Errorf("%s %s: not compiled", pt[0], pt[1])
		}
	}
	if compiledFor(fast, "tasks/script", "layouts/base") {
		t.Error("tasks/script (JavaScript and CSS contexts) compiled; the executor has no such escapers")
	}
	if compiledFor(slow, "tasks/index", "layouts/base") {
		t.Error("WithCompiled(false) compiled")
	}
}

// TestCompiledBenchPage: the benchmark page (tools/bench's) is compiled
// and renders as html/template does.
func TestCompiledBenchPage(t *testing.T) {
	fsys := os.DirFS("testdata/bench")
	fast := installed(t, fsys)
	slow := installed(t, fsys, WithCompiled(false))
	d := cData(`Task: review "pull request" & merge`)
	got, err := render(t, fast, "tasks/index", "", d)
	if err != nil {
		t.Fatal(err)
	}
	want, err := render(t, slow, "tasks/index", "", d)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || !strings.Contains(got, `review &#34;pull request&#34; &amp; merge`) {
		t.Fatalf("compiled %q\nhtml/template %q", got, want)
	}
	if !compiledFor(fast, "tasks/index", "layouts/base") {
		t.Fatal("the benchmark page is not compiled")
	}
}

// TestCompiledErrorsAreHTMLTemplates: a value the compiled program cannot
// render (a missing field) is rendered by html/template, whose error is
// returned as before.
func TestCompiledErrorsAreHTMLTemplates(t *testing.T) {
	fast := installed(t, xssFS())
	_, err := render(t, fast, "tasks/index", "", struct{ User string }{"ana"})
	if err == nil || !strings.Contains(err.Error(), "Tasks") {
		t.Fatalf("err = %v, want html/template's error naming the field", err)
	}
}

// TestCompiledTurnsOffAfterGivingUp: a page whose data always holds a
// value the executor leaves to html/template (template.HTML in an
// attribute) is rendered by html/template, identically, and after
// maxGiveUps renders in a row no longer tried compiled.
func TestCompiledTurnsOffAfterGivingUp(t *testing.T) {
	fsys := fstest.MapFS{"p.html": &fstest.MapFile{Data: []byte(`<a title="{{.}}">{{.}}</a>`)}}
	fast := installed(t, fsys, WithLayout(""))
	slow := installed(t, fsys, WithLayout(""), WithCompiled(false))
	if !compiledFor(fast, "p", "p") {
		t.Fatal("not compiled")
	}
	for i := range maxGiveUps + 2 {
		var d any = template.HTML("<b>x</b>")
		got, err1 := render(t, fast, "p", "", d)
		want, err2 := render(t, slow, "p", "", d)
		if err1 != nil || err2 != nil || got != want {
			t.Fatalf("render %d: %q %v, want %q %v", i, got, err1, want, err2)
		}
	}
	if compiledFor(fast, "p", "p") {
		t.Fatal("still tried compiled after giving up on every render")
	}
}
