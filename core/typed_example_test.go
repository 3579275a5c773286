package covet_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"

	covet "github.com/covetgo/covet/core"
)

type CreateTaskIn struct {
	Project string `path:"project" minLength:"2"`
	Notify  bool   `query:"notify"`
	Body    struct {
		Title    string   `json:"title" minLength:"3" maxLength:"80"`
		Priority int      `json:"priority" minimum:"1" maximum:"5" default:"3"`
		Tags     []string `json:"tags,omitempty" maxItems:"3"`
	}
}

type Task struct {
	ID       int    `json:"id"`
	Project  string `json:"project"`
	Title    string `json:"title"`
	Priority int    `json:"priority"`
}

type Created struct {
	Location string `header:"Location"`
	Body     Task
}

// A typed handler declares its input and output; Covet binds the path,
// query and JSON body, validates them and writes the result.
func Example_typedHandler() {
	app := covet.New()
	covet.Post(app, "/projects/{project}/tasks", func(c *covet.Context, in *CreateTaskIn) (*Created, error) {
		t := Task{ID: 7, Project: in.Project, Title: in.Body.Title, Priority: in.Body.Priority}
		return &Created{Location: fmt.Sprintf("/projects/%s/tasks/%d", t.Project, t.ID), Body: t}, nil
	}).Status(201)

	send := func(body string) {
		r := httptest.NewRequest("POST", "/projects/covet/tasks?notify=true", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		app.ServeHTTP(w, r)
		b, _ := io.ReadAll(w.Body)
		fmt.Println(w.Code, w.Header().Get("Location"), string(b))
	}
	send(`{"title":"Write docs"}`)
	send(`{"title":"No","priority":9}`)
	// Output:
	// 201 /projects/covet/tasks/7 {"id":7,"project":"covet","title":"Write docs","priority":3}
	// 422  {"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"validation failed","instance":"/projects/covet/tasks","errors":[{"location":"body","field":"title","pointer":"/title","message":"must be at least 3 characters long","value":"No"},{"location":"body","field":"priority","pointer":"/priority","message":"must be less than or equal to 5","value":9}]}
}
