package tmpl_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing/fstest"

	"github.com/a-h/templ"
	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/tmpl"
)

// A layout, a partial and a page; a form re-rendered with its errors.
func Example() {
	files := fstest.MapFS{
		"layouts/base.html":  {Data: []byte(`<title>{{block "title" .}}App{{end}}</title><main>{{block "content" .}}{{end}}</main>`)},
		"partials/task.html": {Data: []byte(`<li><a href="{{url "task.show" "id" .ID}}">{{.Title}}</a></li>`)},
		"tasks/index.html": {Data: []byte(`{{define "title"}}Tasks{{end}}` +
			`{{define "content"}}<ul>{{range .}}{{template "partials/task" .}}{{end}}</ul>{{end}}`)},
		"tasks/new.html": {Data: []byte(`{{define "content"}}<form method="post">{{csrfField}}` +
			`<input name="title" value="{{.Value "title"}}">{{with .Error "title"}}<em>{{.}}</em>{{end}}</form>{{end}}`)},
	}
	type task struct {
		ID    int
		Title string
	}
	type newTask struct {
		Title string `form:"title" minLength:"3"`
	}

	app := covet.New()
	app.GET("/tasks/{id:int}", func(c *covet.Context) error { return nil }).Name("task.show")
	csrf := func(c *covet.Context) string { return "token" } // with plugins/auth: auth.CSRFToken
	if err := app.Install(tmpl.New(files, tmpl.WithCSRF(csrf, ""))); err != nil {
		panic(err) // a template that does not parse: "tmpl: tasks/index.html:1: ..."
	}
	app.GET("/tasks", func(c *covet.Context) error {
		return tmpl.Render(c, http.StatusOK, "tasks/index", []task{{1, "<b>escaped</b>"}})
	})
	app.POST("/tasks", func(c *covet.Context) error {
		var in newTask
		form, err := tmpl.Bind(c, &in)
		if err != nil {
			return err // not a form: 415
		}
		if !form.Valid() {
			return tmpl.Render(c, http.StatusUnprocessableEntity, "tasks/new", form)
		}
		return tmpl.SeeOther(c, "/tasks")
	})

	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/tasks", nil))
	fmt.Println(rec.Code, rec.Body.String())

	req := httptest.NewRequest(http.MethodPost, "/tasks", strings.NewReader(url.Values{"title": {"ab"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 200 <title>Tasks</title><main><ul><li><a href="/tasks/1">&lt;b&gt;escaped&lt;/b&gt;</a></li></ul></main>
	// 422 <title>App</title><main><form method="post"><input type="hidden" name="csrf_token" value="token"><input name="title" value="ab"><em>must be at least 3 characters long</em></form></main>
}

// A templ component (github.com/a-h/templ) served whole, with its htmx
// fragment for htmx requests.
func ExampleRenderComponentHX() {
	list := func(items []string) templ.Component {
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			_, _ = io.WriteString(w, "<ul>")
			for _, it := range items {
				_, _ = io.WriteString(w, "<li>"+templ.EscapeString(it)+"</li>")
			}
			_, err := io.WriteString(w, "</ul>")
			return err
		})
	}
	page := func(items []string) templ.Component { // what `templ generate` makes of a .templ file
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			_, _ = io.WriteString(w, "<main>")
			_ = list(items).Render(ctx, w)
			_, err := io.WriteString(w, "</main>")
			return err
		})
	}
	app := covet.New()
	app.GET("/items", func(c *covet.Context) error {
		items := []string{"<b>one</b>", "two"}
		return tmpl.RenderComponentHX(c, http.StatusOK, page(items), list(items))
	})
	for _, hx := range []string{"", "true"} {
		req := httptest.NewRequest(http.MethodGet, "/items", nil)
		req.Header.Set("HX-Request", hx)
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// 200 <main><ul><li>&lt;b&gt;one&lt;/b&gt;</li><li>two</li></ul></main>
	// 200 <ul><li>&lt;b&gt;one&lt;/b&gt;</li><li>two</li></ul>
}
