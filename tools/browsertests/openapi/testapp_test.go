package openapi_test

import (
	"fmt"
	"net/http"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/openapi"
	"github.com/google/uuid"
)

// The test app covers every type and tag core documents and validates:
// scalars of every size, pointers, slices, arrays, maps, embedded and
// nested structs, time.Time, UUIDs, enums, formats, defaults, examples,
// docs and deprecation; parameters in the path, query, headers and
// cookies; JSON, urlencoded and multipart bodies; outputs with 200, 201 and
// headers, 204; documented errors; security schemes; a hidden route, a
// deprecated one, plain handlers and generic types.

// Audit is embedded in Task: its fields are Task's.
type Audit struct {
	CreatedAt time.Time  `json:"created_at" doc:"When the task was created"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// Address is a nested struct.
type Address struct {
	Street string `json:"street" minLength:"1" maxLength:"80" example:"1 Main St"`
	Zip    string `json:"zip" pattern:"^[0-9]{5}$" example:"12345"`
}

// Task is the main resource.
type Task struct {
	Audit
	ID       uuid.UUID         `json:"id" doc:"Task id"`
	Title    string            `json:"title" minLength:"1" maxLength:"120" example:"Write the docs"`
	Status   string            `json:"status" enum:"todo,doing,done" default:"todo"`
	Priority int8              `json:"priority" minimum:"1" maximum:"5"`
	Estimate *float64          `json:"estimate,omitempty" exclusiveMinimum:"0" doc:"Hours"`
	Tags     []string          `json:"tags,omitempty" maxItems:"5" uniqueItems:"true" maxLength:"16"`
	Owner    *User             `json:"owner,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Point    [2]float64        `json:"point"`
	Legacy   string            `json:"legacy,omitempty" deprecated:"true"`
}

// User is referenced from Task and Page.
type User struct {
	Name  string  `json:"name" minLength:"2" maxLength:"40"`
	Email string  `json:"email" format:"email" example:"ada@example.com"`
	Home  Address `json:"home"`
	Web   string  `json:"web,omitempty" format:"uri"`
}

// Page is a generic page of items.
type Page[T any] struct {
	Items []T   `json:"items"`
	Total int64 `json:"total" minimum:"0"`
}

// NewTask is the create body: every constraint core honours appears on
// some field.
type NewTask struct {
	Title    string    `json:"title" minLength:"3" maxLength:"120" pattern:"^[A-Za-z]" example:"Write the docs"`
	Status   string    `json:"status,omitempty" enum:"todo,doing,done" default:"todo"`
	Priority int       `json:"priority" minimum:"1" maximum:"5"`
	Weight   float64   `json:"weight" exclusiveMinimum:"0" exclusiveMaximum:"100" multipleOf:"0.5"`
	Steps    int32     `json:"steps,omitempty" multipleOf:"2"`
	Tags     []string  `json:"tags,omitempty" minItems:"1" maxItems:"4" uniqueItems:"true" maxLength:"12"`
	Contact  string    `json:"contact" format:"email"`
	Link     string    `json:"link,omitempty" format:"uri"`
	Ref      string    `json:"ref,omitempty" format:"uuid"`
	Due      string    `json:"due,omitempty" format:"date"`
	Host     string    `json:"host,omitempty" format:"hostname"`
	Addr     string    `json:"addr,omitempty" format:"ipv4"`
	Addr6    string    `json:"addr6,omitempty" format:"ipv6"`
	At       string    `json:"at,omitempty" format:"date-time"`
	Clock    string    `json:"clock,omitempty" format:"time"`
	Owner    *User     `json:"owner,omitempty"`
	Checks   []Check   `json:"checks,omitempty" maxItems:"3"`
	Secret   string    `json:"secret,omitempty" format:"password"`
	Start    time.Time `json:"start"`
	Note     *string   `json:"note"`
}

// Check is an element of a slice of structs.
type Check struct {
	Text string `json:"text" minLength:"1" maxLength:"30"`
	Done bool   `json:"done"`
}

// CreateTaskIn binds a header and a query parameter beside the body.
type CreateTaskIn struct {
	Tenant string `header:"X-Tenant" required:"true" minLength:"2" maxLength:"20" doc:"Tenant id" example:"acme"`
	DryRun bool   `query:"dry_run" doc:"Validate only"`
	Body   NewTask
}

// Created is a 201 output with a Location header.
type Created struct {
	Location string `header:"Location" doc:"URL of the new task"`
	Body     Task
}

// ListIn binds query parameters of every kind.
type ListIn struct {
	Limit   int           `query:"limit" default:"20" minimum:"1" maximum:"100" doc:"Page size"`
	Offset  uint32        `query:"offset"`
	Status  []string      `query:"status" enum:"todo,doing,done" maxItems:"3"`
	Search  string        `query:"q" maxLength:"50"`
	Since   *time.Time    `query:"since"`
	Within  time.Duration `query:"within"`
	Owner   uuid.UUID     `query:"owner"`
	Ratio   float32       `query:"ratio" minimum:"0" maximum:"1"`
	Session string        `cookie:"session" doc:"Session cookie"`
	Trace   string        `header:"X-Trace" pattern:"^[a-f0-9]{8}$"`
}

// TaskPath binds an int path parameter.
type TaskPath struct {
	ID int64 `path:"id" minimum:"1" example:"42"`
}

// UpdateIn binds a path parameter and a JSON body.
type UpdateIn struct {
	ID   int64 `path:"id" minimum:"1"`
	Body *TaskPatch
}

// TaskPatch is an optional body with optional fields.
type TaskPatch struct {
	Title  *string `json:"title,omitempty" minLength:"1" maxLength:"120"`
	Status *string `json:"status,omitempty" enum:"todo,doing,done"`
}

// AttachIn is a multipart form with files.
type AttachIn struct {
	ID      int64         `path:"id" minimum:"1"`
	Comment string        `form:"comment" required:"true" minLength:"1" maxLength:"200"`
	File    *covet.File   `form:"file" required:"true" doc:"The attachment"`
	Extra   []*covet.File `form:"extra"`
}

// Attachment is the upload's answer.
type Attachment struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// LoginIn is an urlencoded form.
type LoginIn struct {
	User     string `form:"user" required:"true" minLength:"3"`
	Password string `form:"password" required:"true" minLength:"8" format:"password"`
	Remember bool   `form:"remember"`
}

// Token answers a login.
type Token struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in" minimum:"0"`
}

// Stats is a map output.
type Stats map[string]int

// Tasks is a slice output.
type Tasks []Task

// SearchIn is a JSON-only input: the struct itself is the body.
type SearchIn struct {
	Terms []string `json:"terms" minItems:"1" maxItems:"10"`
	Exact bool     `json:"exact,omitempty"`
}

// FileIn binds a {path:path} parameter.
type FileIn struct {
	Path string `path:"path"`
}

// NotFound is a documented error body that is not a Problem.
type NotFound struct {
	Resource string `json:"resource"`
}

var sampleTask = Task{
	Audit:    Audit{CreatedAt: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)},
	ID:       uuid.MustParse("2f1c7f0e-8e4b-4d3e-9a5b-1c2d3e4f5a6b"),
	Title:    "Write the docs",
	Status:   "todo",
	Priority: 3,
	Point:    [2]float64{1, 2},
}

// newTestApp builds the test app with the plugin installed.
func newTestApp(opts ...openapi.Option) *covet.App {
	app := covet.New()
	app.SecurityScheme("bearer", covet.SecurityScheme{Type: "http", Scheme: "bearer", BearerFormat: "JWT", Description: "Access token"})
	app.SecurityScheme("apiKey", covet.SecurityScheme{Type: "apiKey", In: "header", Name: "X-API-Key"})
	app.SecurityScheme("oauth", covet.SecurityScheme{Type: "oauth2", Flows: &covet.OAuthFlows{
		AuthorizationCode: &covet.OAuthFlow{AuthorizationURL: "https://auth.example.com/authorize", TokenURL: "https://auth.example.com/token", Scopes: map[string]string{"tasks:read": "Read tasks", "tasks:write": "Write tasks"}},
	}})

	api := app.Group("/api/v1")
	tasks := api.Group("/tasks").With(covet.Tag("tasks"))

	covet.Get(tasks, "", func(c *covet.Context, in *ListIn) (*Page[Task], error) {
		return &Page[Task]{Items: []Task{sampleTask}, Total: 1}, nil
	}).Name("tasks.list").Summary("List tasks").Description("Lists tasks, newest first.").Security("oauth", "tasks:read")

	covet.Post(tasks, "", func(c *covet.Context, in *CreateTaskIn) (*Created, error) {
		t := sampleTask
		t.Title = in.Body.Title
		return &Created{Location: "/api/v1/tasks/1", Body: t}, nil
	}).Status(http.StatusCreated).Summary("Create a task").
		Security("bearer", "admin").Security("oauth", "tasks:write").
		Response(http.StatusConflict, "A task with this title exists.", nil).
		With(openapi.RequestExample(NewTask{Title: "Write the docs", Priority: 2, Weight: 1.5, Contact: "ada@example.com", Start: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)}),
			openapi.ResponseExample(sampleTask))

	covet.Get(tasks, "/{id:int}", func(c *covet.Context, in *TaskPath) (*Task, error) {
		t := sampleTask
		return &t, nil
	}).Name("tasks.show").Summary("Get a task").
		Response(http.StatusNotFound, "No such task.", NotFound{Resource: "task"})

	covet.Patch(tasks, "/{id:int}", func(c *covet.Context, in *UpdateIn) (*Task, error) {
		t := sampleTask
		return &t, nil
	}).OperationID("patchTask").Summary("Update a task").Security("apiKey")

	covet.Delete(tasks, "/{id:int}", func(c *covet.Context, in *TaskPath) (*struct{}, error) {
		return nil, nil
	}).Summary("Delete a task").Security("bearer")

	covet.Post(tasks, "/{id:int}/attachments", func(c *covet.Context, in *AttachIn) (*Attachment, error) {
		return &Attachment{Name: in.File.Filename, Size: in.File.Size}, nil
	}).Summary("Attach a file").Tags("files")

	covet.Get(api, "/search", func(c *covet.Context, in *struct {
		Q string `query:"q" required:"true" minLength:"1"`
	}) (*Tasks, error) {
		return &Tasks{sampleTask}, nil
	}).Summary("Search tasks by query").Tags("search")

	covet.Post(api, "/search", func(c *covet.Context, in *SearchIn) (*Tasks, error) {
		return &Tasks{}, nil
	}).Summary("Search tasks by terms").Tags("search")

	covet.Get(api, "/stats", func(c *covet.Context, in *struct{}) (*Stats, error) {
		return &Stats{"todo": 1}, nil
	}).Summary("Task statistics").Deprecated()

	covet.Post(app, "/login", func(c *covet.Context, in *LoginIn) (*Token, error) {
		return &Token{AccessToken: "t", ExpiresIn: 3600}, nil
	}).Summary("Log in").Tags("auth").Response(http.StatusUnauthorized, "Wrong user or password.", nil)

	covet.Get(app, "/files/{path:path}", func(c *covet.Context, in *FileIn) (*struct{}, error) {
		return nil, nil
	}).Summary("Fetch a file")

	app.GET("/users/{id:uuid}", func(c *covet.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"id": c.Param("id")})
	}).Summary("Get a user (plain handler)").Tags("users").Response(http.StatusOK, "The user.", User{})

	app.GET("/ping", func(c *covet.Context) error { return c.Text(http.StatusOK, "pong") }).Summary("Ping")

	app.GET("/internal/metrics", func(c *covet.Context) error { return c.Text(http.StatusOK, "") }).Hidden()

	if err := app.Install(openapi.New(append([]openapi.Option{
		openapi.WithInfo("Test API", "1.2.3"),
		openapi.WithDescription("Every type and tag the plugin documents."),
		openapi.WithContact("Covet", "https://example.com", "dev@example.com"),
		openapi.WithLicense("MIT", "https://opensource.org/licenses/MIT"),
		openapi.WithServer("https://api.example.com", "Production"),
		openapi.WithTag("tasks", "Task management"),
	}, opts...)...)); err != nil {
		panic(fmt.Sprintf("install: %v", err))
	}
	return app
}
