// Package page is the server-rendered page benchmark: a realistic page (a
// layout, a filter form, 50 tasks each rendered through a partial, values
// escaped in text, attributes and URLs) served by Covet with plugins/tmpl
// (html/template), by raw html/template on net/http, by Covet with an
// a-h/templ component, and by Flask + Jinja2 under gunicorn
// (servers/python/flask_page.py), all with the same markup. cmd/pagebench
// loads them with wrk; cmd/cgmeasure counts their instructions (endpoint
// "page").
package page

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"
)

//go:generate go run github.com/a-h/templ/cmd/templ@v0.3.1118 generate -f views.templ

// Path is the page's URL path on every page server.
const Path = "/page"

// Task is one item of the list.
type Task struct {
	ID       int
	Title    string
	Priority int
	Done     bool
	Tags     []string
}

// Data is the page's data: the signed-in user, the filter and the tasks.
type Data struct {
	User  string
	Query string
	Tasks []Task
}

// New returns the page's data, the same on every server (and in
// servers/python/flask_page.py): titles and the query carry characters
// that must be escaped.
func New() *Data {
	d := &Data{User: "ana@example.com", Query: "write <docs>"}
	for i := 1; i <= 50; i++ {
		d.Tasks = append(d.Tasks, Task{ID: i, Title: fmt.Sprintf("Task %d: review \"pull request\" & merge", i),
			Priority: i%5 + 1, Done: i%3 == 0, Tags: []string{"backend", "review"}})
	}
	return d
}

//go:embed templates
var files embed.FS

// Templates returns the html/template files: layouts/base, partials/task
// and the page tasks/index (plugins/tmpl's layout).
func Templates() fs.FS {
	sub, err := fs.Sub(files, "templates")
	if err != nil {
		panic(err)
	}
	return sub
}

// Raw parses the templates by hand into one html/template set, as an
// application without a template engine does; execute "layouts/base".
func Raw() (*template.Template, error) {
	t := template.New("")
	for _, f := range []string{"layouts/base.html", "partials/task.html", "tasks/index.html"} {
		src, err := fs.ReadFile(Templates(), f)
		if err != nil {
			return nil, err
		}
		if _, err := t.New(strings.TrimSuffix(f, ".html")).Parse(string(src)); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// RawHandler serves the page with raw html/template: executed into a
// pooled buffer (so an error is a clean 500), then written.
func RawHandler(t *template.Template, d *Data) http.Handler {
	pool := sync.Pool{New: func() any { return new(bytes.Buffer) }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := pool.Get().(*bytes.Buffer)
		defer func() { buf.Reset(); pool.Put(buf) }()
		if err := t.ExecuteTemplate(buf, "layouts/base", d); err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
	})
}

// Check reports whether body is the benchmark page: 50 tasks, escaped.
func Check(body string) error {
	for _, want := range []string{
		`<li class="task done" id="task-3">`,
		`id="task-50"`,
		`Task 7: review &#34;pull request&#34; &amp; merge`,
		`write &lt;docs&gt;`,
	} {
		if !strings.Contains(body, want) {
			n := min(len(body), 300)
			return fmt.Errorf("page: %q missing from the answer (%d bytes, starting %q)", want, len(body), body[:n])
		}
	}
	return nil
}
