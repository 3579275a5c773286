package tmpl_test

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/tmpl"
)

// The benchmark page: a layout, a page and a partial per item, 50 items.
// tools/bench/flask-tmpl renders the same page with Jinja2.

type benchTask struct {
	ID       int
	Title    string
	Priority int
	Done     bool
	Tags     []string
}

type benchPage struct {
	User  string
	Query string
	Tasks []benchTask
}

func benchData() benchPage {
	p := benchPage{User: "ana@example.com", Query: "write <docs>"}
	for i := 1; i <= 50; i++ {
		p.Tasks = append(p.Tasks, benchTask{ID: i, Title: fmt.Sprintf("Task %d: review \"pull request\" & merge", i),
			Priority: i%5 + 1, Done: i%3 == 0, Tags: []string{"backend", "review"}})
	}
	return p
}

func benchFS() fs.FS { return os.DirFS("testdata/bench") }

// rawTemplate is the baseline: the same files parsed by hand with
// html/template into one set (one page needs no per-page sets).
func rawTemplate(b *testing.B) *template.Template {
	t := template.New("")
	for _, f := range []string{"layouts/base.html", "partials/task.html", "tasks/index.html"} {
		src, err := fs.ReadFile(benchFS(), f)
		if err != nil {
			b.Fatal(err)
		}
		name := f[:len(f)-len(".html")]
		if _, err := t.New(name).Parse(string(src)); err != nil {
			b.Fatal(err)
		}
	}
	return t
}

// BenchmarkRender compares rendering the page into a buffer: raw
// html/template ExecuteTemplate, and the engine (slot, pooled buffer).
func BenchmarkRender(b *testing.B) {
	data := benchData()
	b.Run("raw-html-template", func(b *testing.B) {
		t := rawTemplate(b)
		var buf bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if err := t.ExecuteTemplate(&buf, "layouts/base", data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tmpl", func(b *testing.B) {
		e := tmpl.New(benchFS())
		if err := covet.New().Install(e); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := e.Execute(io.Discard, "tasks/index", "", data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkServePage serves the page end to end in-process (router,
// context, response): a handler that executes html/template into a pooled
// buffer itself, and one calling tmpl.Render.
func BenchmarkServePage(b *testing.B) {
	data := benchData()
	raw := covet.New()
	t := rawTemplate(b)
	pool := sync.Pool{New: func() any { return new(bytes.Buffer) }}
	raw.GET("/tasks", func(c *covet.Context) error {
		buf := pool.Get().(*bytes.Buffer)
		defer func() { buf.Reset(); pool.Put(buf) }()
		if err := t.ExecuteTemplate(buf, "layouts/base", data); err != nil {
			return err
		}
		c.Response().Header().Set("Content-Type", "text/html; charset=utf-8")
		return c.Blob(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
	})
	app := covet.New()
	if err := app.Install(tmpl.New(benchFS())); err != nil {
		b.Fatal(err)
	}
	app.GET("/tasks", func(c *covet.Context) error { return tmpl.Render(c, http.StatusOK, "tasks/index", data) })
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"raw-html-template", raw}, {"tmpl", app}} {
		b.Run(tc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/tasks", nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				tc.h.ServeHTTP(w, req)
			}
		})
	}
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// The engine's own work allocates nothing beyond what html/template does.
func TestRenderAllocsMatchHTMLTemplate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under -race")
	}
	data := benchData()
	e := tmpl.New(benchFS())
	if err := covet.New().Install(e); err != nil {
		t.Fatal(err)
	}
	raw := rawTemplate(nil)
	var buf bytes.Buffer
	rawAllocs := testing.AllocsPerRun(50, func() {
		buf.Reset()
		_ = raw.ExecuteTemplate(&buf, "layouts/base", data)
	})
	got := testing.AllocsPerRun(50, func() { _ = e.Execute(io.Discard, "tasks/index", "", data) })
	if got > rawAllocs {
		t.Errorf("engine %v allocs/render, html/template %v", got, rawAllocs)
	}
	t.Logf("engine %v allocs/render, html/template %v", got, rawAllocs)
}

// TestCompiledRenderAllocs: with the compiled executor (the default) the
// benchmark page renders without html/template's per-value allocations:
// a handful per render (the executor's state), not thousands.
func TestCompiledRenderAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under -race")
	}
	data := benchData()
	e := tmpl.New(benchFS())
	if err := covet.New().Install(e); err != nil {
		t.Fatal(err)
	}
	got := testing.AllocsPerRun(50, func() { _ = e.Execute(io.Discard, "tasks/index", "", data) })
	if got > 4 {
		t.Errorf("compiled render: %v allocs, want ≤ 4", got)
	}
	t.Logf("compiled render: %v allocs", got)
}
