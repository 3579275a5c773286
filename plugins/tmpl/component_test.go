package tmpl_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/a-h/templ"
	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/tmpl"
)

// Every templ component is a tmpl.Component, without tmpl importing templ.
var _ tmpl.Component = templ.Component(nil)

// taskItem and taskPage are what `templ generate` writes for
//
//	templ taskItem(t Task) { <li id={ "task-" + strconv.Itoa(t.ID) }><a href={ templ.URL(t.Link) }>{ t.Title }</a></li> }
//	templ taskPage(p Page) { <!doctype html><main>@templ.Fragment("list") { <ul> for _, t := range p.Tasks { @taskItem(t) } </ul> }</main> }
//
// written by hand with templ's runtime (escaping and URL sanitizing are
// templ's own functions), so this module needs no code generator.
func taskItem(t Task) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, `<li id="`+templ.EscapeString("task-"+strconv.Itoa(t.ID))+`"><a href="`+
			templ.EscapeString(string(templ.URL(t.Link)))+`">`+templ.EscapeString(t.Title)+`</a></li>`)
		return err
	})
}

func taskList(p Page) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		if _, err := io.WriteString(w, "<ul>"); err != nil {
			return err
		}
		for _, t := range p.Tasks {
			if err := taskItem(t).Render(ctx, w); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, "</ul>")
		return err
	})
}

func taskPage(p Page) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		if _, err := io.WriteString(w, "<!doctype html><main>"); err != nil {
			return err
		}
		ctx = templ.WithChildren(ctx, taskList(p))
		if err := templ.Fragment("list").Render(ctx, w); err != nil {
			return err
		}
		_, err := io.WriteString(w, "</main>")
		return err
	})
}

// failing writes half a page, then fails.
func failing() templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, _ = io.WriteString(w, "<main>half a page")
		return errors.New("the database went away")
	})
}

func componentApp(t *testing.T) (*covet.App, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	app := covet.New(covet.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), covet.WithDevelopment(false),
		covet.WithEncoders(tmpl.HTMLEncoder()))
	return app, &logs
}

var xssPage = Page{Tasks: []Task{
	{ID: 1, Title: `<script>alert(1)</script>`, Link: `javascript:alert(1)`},
	{ID: 2, Title: `"quoted" & <b>`, Link: `/tasks/2?a=1&b=2`},
}}

// A templ component is rendered whole, escaped by templ, as text/html with
// the status asked for; the request's context reaches the component.
func TestRenderComponent(t *testing.T) {
	app, _ := componentApp(t)
	type ctxKey struct{}
	app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), ctxKey{}, "from-request")))
			return next(c)
		}
	})
	app.GET("/tasks", func(c *covet.Context) error { return tmpl.RenderComponent(c, http.StatusOK, taskPage(xssPage)) })
	app.GET("/ctx", func(c *covet.Context) error {
		return tmpl.RenderComponent(c, http.StatusAccepted, templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			v, _ := ctx.Value(ctxKey{}).(string)
			_, err := io.WriteString(w, templ.EscapeString(v))
			return err
		}))
	})
	cl := covettest.New(t, app)
	body := cl.Get("/tasks").Do().ExpectStatus(200).ExpectHeader("Content-Type", "text/html; charset=utf-8").Text()
	for _, want := range []string{
		`<!doctype html><main><ul>`,
		`<li id="task-1"><a href="about:invalid#TemplFailedSanitizationURL">&lt;script&gt;alert(1)&lt;/script&gt;</a></li>`,
		`<a href="/tasks/2?a=1&amp;b=2">&#34;quoted&#34; &amp; &lt;b&gt;</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s in %s", want, body)
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "javascript:") {
		t.Errorf("unescaped payload: %s", body)
	}
	cl.Get("/ctx").Do().ExpectStatus(http.StatusAccepted).ExpectBody("from-request")
}

// A component that fails half-way sends nothing of its page: a 500, and the
// error (with the component's type) in the log.
func TestRenderComponentErrorIsWhole500(t *testing.T) {
	app, logs := componentApp(t)
	app.GET("/broken", func(c *covet.Context) error { return tmpl.RenderComponent(c, http.StatusOK, failing()) })
	app.GET("/nil", func(c *covet.Context) error { return tmpl.RenderComponent(c, http.StatusOK, nil) })
	cl := covettest.New(t, app)
	body := cl.Get("/broken").Do().ExpectStatus(500).Text()
	if strings.Contains(body, "half a page") {
		t.Errorf("half a page sent: %s", body)
	}
	if !strings.Contains(logs.String(), "the database went away") || !strings.Contains(logs.String(), "templ.ComponentFunc") {
		t.Errorf("log: %s", logs.String())
	}
	cl.Get("/nil").Do().ExpectStatus(500)
}

// htmx: the fragment for an htmx request that wants one (here through
// templ's own fragments), the page for browsers and boosted requests, and
// Vary: HX-Request on both.
func TestRenderComponentHX(t *testing.T) {
	app, _ := componentApp(t)
	app.GET("/tasks", func(c *covet.Context) error {
		page := taskPage(xssPage)
		frag := templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			return templ.RenderFragments(ctx, w, page, "list")
		})
		return tmpl.RenderComponentHX(c, http.StatusOK, page, frag)
	})
	cl := covettest.New(t, app)
	full := cl.Get("/tasks").Do().ExpectStatus(200).ExpectHeader("Vary", hxVary).Text()
	if !strings.HasPrefix(full, "<!doctype html><main><ul>") {
		t.Errorf("page: %s", full)
	}
	frag := cl.Get("/tasks").Header("HX-Request", "true").Do().ExpectStatus(200).ExpectHeader("Vary", hxVary).Text()
	if !strings.HasPrefix(frag, `<ul><li id="task-1">`) || !strings.HasSuffix(frag, "</ul>") || strings.Contains(frag, "<main>") {
		t.Errorf("fragment: %s", frag)
	}
	boosted := cl.Get("/tasks").Header("HX-Request", "true").Header("HX-Boosted", "true").Do().ExpectStatus(200).Text()
	if boosted != full {
		t.Errorf("boosted request got %s", boosted)
	}
}

// A typed route marked with PageComponentHX answers the component to
// browsers, its fragment to htmx and JSON to API clients.
func TestTypedRouteComponent(t *testing.T) {
	app, _ := componentApp(t)
	covet.Get(app, "/tasks", func(c *covet.Context, in *struct{}) (*Page, error) {
		return &Page{Tasks: []Task{{ID: 7, Title: "seven", Link: "/tasks/7"}}}, nil
	}).With(tmpl.PageComponentHX(func(p *Page) templ.Component { return taskPage(*p) },
		func(p *Page) templ.Component { return taskList(*p) }))
	covet.Get(app, "/one", func(c *covet.Context, in *struct{}) (*Task, error) {
		return &Task{ID: 3, Title: "three"}, nil
	}).With(tmpl.PageComponent(func(t *Task) templ.Component { return taskItem(*t) }))
	cl := covettest.New(t, app)
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	body := cl.Get("/tasks").Header("Accept", browser).Do().ExpectStatus(200).
		ExpectHeader("Content-Type", "text/html; charset=utf-8").ExpectHeader("Vary", hxVary).Text()
	if !strings.HasPrefix(body, "<!doctype html>") || !strings.Contains(body, "seven") {
		t.Errorf("page: %s", body)
	}
	frag := cl.Get("/tasks").Header("Accept", browser).Header("HX-Request", "true").Do().ExpectStatus(200).Text()
	if frag != `<ul><li id="task-7"><a href="/tasks/7">seven</a></li></ul>` {
		t.Errorf("fragment: %s", frag)
	}
	cl.Get("/tasks").Header("Accept", "application/json").Do().ExpectStatus(200).
		ExpectJSON(`{"Tasks":[{"ID":7,"Title":"seven","Link":"/tasks/7"}]}`)
	cl.Get("/one").Header("Accept", browser).Do().ExpectStatus(200).
		ExpectBody(`<li id="task-3"><a href="">three</a></li>`)
}

// A page larger than net/http's buffer goes out with its Content-Length
// (not chunked), a HEAD answer tells the same length without a body, and a
// small page gets its length from net/http.
func TestRenderSetsContentLength(t *testing.T) {
	app, _ := componentApp(t)
	big := strings.Repeat("<p>row</p>", 500)
	app.GET("/big", func(c *covet.Context) error { return tmpl.RenderComponent(c, http.StatusOK, templ.Raw(big)) })
	app.HEAD("/big", func(c *covet.Context) error { return tmpl.RenderComponent(c, http.StatusOK, templ.Raw(big)) })
	srv := httptest.NewServer(app)
	defer srv.Close()
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		req, _ := http.NewRequest(method, srv.URL+"/big", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ContentLength != int64(len(big)) || len(resp.TransferEncoding) != 0 {
			t.Errorf("%s: Content-Length %d, Transfer-Encoding %v, want %d", method, resp.ContentLength, resp.TransferEncoding, len(big))
		}
		if want := map[string]int{http.MethodGet: len(big), http.MethodHead: 0}[method]; len(body) != want {
			t.Errorf("%s: %d body bytes, want %d", method, len(body), want)
		}
	}
}
