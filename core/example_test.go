package covet_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	covet "github.com/covetgo/covet/core"
)

// get serves one request in-process and prints the status and body.
func get(h http.Handler, method, target string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	body, _ := io.ReadAll(w.Result().Body)
	fmt.Println(w.Code, strings.TrimSpace(string(body)))
}

func ExampleNew() {
	app := covet.New()
	app.GET("/hello/{name}", func(c *covet.Context) error {
		return c.Text(http.StatusOK, "hello "+c.Param("name"))
	})
	get(app, "GET", "/hello/world")
	// Output: 200 hello world
}

func ExampleApp_GET_converters() {
	app := covet.New()
	app.GET("/users/me", func(c *covet.Context) error { return c.Text(200, "the current user") })
	app.GET("/users/{id:int}", func(c *covet.Context) error {
		id, _ := c.ParamInt("id")
		return c.JSON(200, map[string]int{"id": id})
	})
	app.GET("/users/{name}", func(c *covet.Context) error { return c.Text(200, "user named "+c.Param("name")) })
	app.GET("/files/{p:path}", func(c *covet.Context) error { return c.Text(200, "file "+c.Param("p")) })
	get(app, "GET", "/users/me")
	get(app, "GET", "/users/42")
	get(app, "GET", "/users/ada")
	get(app, "GET", "/files/docs/guide.md")
	// Output:
	// 200 the current user
	// 200 {"id":42}
	// 200 user named ada
	// 200 file docs/guide.md
}

func ExampleApp_Group() {
	app := covet.New()
	auth := func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			if c.Header("Authorization") == "" {
				return covet.NewError(http.StatusUnauthorized, "missing credentials")
			}
			return next(c)
		}
	}
	api := app.Group("/api/v1", auth)
	api.GET("/tasks", func(c *covet.Context) error { return c.JSON(200, []string{"write docs"}) })
	get(app, "GET", "/api/v1/tasks")
	// Output: 401 {"type":"about:blank","title":"Unauthorized","status":401,"detail":"missing credentials","instance":"/api/v1/tasks"}
}

func ExampleApp_URL() {
	app := covet.New()
	app.GET("/users/{id:int}/files/{p:path}", func(c *covet.Context) error { return nil }).Name("user.file")
	u, err := app.URL("user.file", "id", 7, "p", "reports/2026 q3.pdf")
	fmt.Println(u, err)
	// Output: /users/7/files/reports/2026%20q3.pdf <nil>
}

func ExampleNewError() {
	app := covet.New()
	app.DELETE("/tasks/{id:int}", func(c *covet.Context) error {
		return covet.NewError(http.StatusConflict, "task is locked").WithExtension("lock_owner", "ada")
	})
	get(app, "DELETE", "/tasks/1")
	// Output: 409 {"type":"about:blank","title":"Conflict","status":409,"detail":"task is locked","instance":"/tasks/1","lock_owner":"ada"}
}

// greeter is a minimal plugin: it adds a route and reports its health.
type greeter struct{ greeting string }

func (g *greeter) Name() string { return "greeter" }
func (g *greeter) Install(app *covet.App) error {
	app.GET("/greet", func(c *covet.Context) error { return c.Text(200, g.greeting) })
	return nil
}
func (g *greeter) CheckHealth(context.Context, covet.HealthKind) covet.HealthReport {
	return covet.HealthReport{Status: covet.HealthOK}
}

func ExampleApp_Install() {
	app := covet.New(covet.WithHealth())
	if err := app.Install(&greeter{greeting: "hi"}); err != nil {
		fmt.Println(err)
	}
	get(app, "GET", "/greet")
	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	fmt.Println(w.Code, w.Body.String()) // the public answer names only failing plugins
	// Output:
	// 200 hi
	// 200 {"status":"ok"}
}

func ExampleWrapMiddleware() {
	// Any standard net/http middleware works unchanged.
	poweredBy := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Powered-By", "covet")
			next.ServeHTTP(w, r)
		})
	}
	app := covet.New()
	app.Use(covet.WrapMiddleware(poweredBy))
	app.GET("/", func(c *covet.Context) error { return c.NoContent(204) })
	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	fmt.Println(w.Code, w.Header().Get("X-Powered-By"))
	// Output: 204 covet
}

func ExampleApp_Routes() {
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	app.GET("/tasks", func(c *covet.Context) error { return nil }).Summary("List tasks").Tags("tasks")
	app.POST("/tasks", func(c *covet.Context) error { return nil }).Summary("Create a task").Tags("tasks")
	for _, r := range app.Routes() {
		fmt.Println(r.Method, r.Pattern, r.Summary, r.Tags)
	}
	// Output:
	// GET /tasks List tasks [tasks]
	// POST /tasks Create a task [tasks]
}
