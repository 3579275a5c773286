package tmpl_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/tmpl"
)

type newTask struct {
	Title    string `form:"title" minLength:"3" maxLength:"50"`
	Priority int    `form:"priority" minimum:"1" maximum:"5"`
	Password string `form:"password"`
}

type formPage struct {
	Form *tmpl.Form
}

func formApp(t *testing.T) *covet.App {
	app, _, _ := newApp(t, testFS(), tmpl.WithCSRF(func(c *covet.Context) string { return "tok<&>" }, ""))
	app.GET("/tasks/new", func(c *covet.Context) error {
		return tmpl.Render(c, http.StatusOK, "forms/new", formPage{})
	})
	app.POST("/tasks", func(c *covet.Context) error {
		var in newTask
		form, err := tmpl.Bind(c, &in)
		if err != nil {
			return err
		}
		if !form.Valid() {
			return tmpl.RenderHX(c, http.StatusUnprocessableEntity, "forms/new", "form", formPage{Form: form})
		}
		tmpl.AddFlash(c, "success", "created "+in.Title)
		return tmpl.SeeOther(c, "/done")
	})
	app.GET("/done", func(c *covet.Context) error {
		return tmpl.Render(c, http.StatusOK, "tasks/index", Page{})
	})
	return app
}

func TestFormRerenderWithErrorsAndValues(t *testing.T) {
	cl := covettest.New(t, formApp(t))
	body := cl.Get("/tasks/new").Do().ExpectStatus(200).Text()
	if !strings.Contains(body, `<input type="hidden" name="csrf_token" value="tok&lt;&amp;&gt;">`) {
		t.Errorf("no escaped csrf field:\n%s", body)
	}
	res := cl.Post("/tasks").Form(url.Values{"title": {`"<`}, "priority": {"9"}, "password": {"hunter2"}}).Do().ExpectStatus(422)
	body = res.Text()
	for _, want := range []string{`value="&#34;&lt;"`, `aria-invalid="true"`, `id="title-error"`, `id="priority-error"`, "<!doctype html>"} {
		if !strings.Contains(body, want) {
			t.Errorf("lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "hunter2") {
		t.Error("password echoed")
	}
	// htmx gets the form fragment only.
	frag := cl.Post("/tasks").Header("HX-Request", "true").Form(url.Values{"title": {"ab"}, "priority": {"x"}}).Do().ExpectStatus(422).Text()
	if strings.HasPrefix(strings.TrimSpace(frag), "<!doctype") || !strings.Contains(frag, `<form id="task-form"`) || !strings.Contains(frag, "priority-error") {
		t.Errorf("fragment:\n%s", frag)
	}
}

func TestFormSuccessRedirectsWithFlash(t *testing.T) {
	cl := covettest.New(t, formApp(t))
	res := cl.Post("/tasks").Form(url.Values{"title": {"write tests"}, "priority": {"2"}}).Do().ExpectStatus(303).ExpectHeader("Location", "/done")
	_ = res
	body := cl.Get("/done").Do().ExpectStatus(200).Text()
	if !strings.Contains(body, `<p class="flash success">created write tests</p>`) {
		t.Errorf("no flash:\n%s", body)
	}
	// Read once.
	if body := cl.Get("/done").Do().Text(); strings.Contains(body, "flash") {
		t.Errorf("flash shown twice:\n%s", body)
	}
	// htmx: HX-Location instead of a 303.
	cl.Post("/tasks").Header("HX-Request", "true").Form(url.Values{"title": {"write tests"}, "priority": {"2"}}).Do().
		ExpectStatus(204).ExpectHeader("HX-Location", "/done")
}

func TestFormWrongMediaTypeIsAnError(t *testing.T) {
	cl := covettest.New(t, formApp(t))
	cl.Post("/tasks").JSON(map[string]any{"title": "x"}).Do().ExpectStatus(415)
}

// A middleware that read the form first (auth's CSRF check calls
// PostFormValue) leaves the body consumed; Bind binds the parsed values.
func TestBindAfterParsedForm(t *testing.T) {
	app, _, _ := newApp(t, testFS())
	app.POST("/", func(c *covet.Context) error {
		_ = c.Request().PostFormValue("csrf_token")
		var in newTask
		form, err := tmpl.Bind(c, &in)
		if err != nil {
			return err
		}
		return c.Text(200, in.Title+"|"+form.Value("title")+"|"+form.Error("priority"))
	})
	covettest.New(t, app).Post("/").Form(url.Values{"title": {"kept"}, "priority": {"9"}, "csrf_token": {"x"}}).Do().
		ExpectStatus(200).ExpectBody("kept|kept|must be less than or equal to 5")
}
