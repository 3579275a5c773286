package covet_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"

	covet "github.com/covetgo/covet/core"
)

// App.Main is an application's whole main function. `go run . routes`
// prints the route table and `go run . help` lists the commands; plugins add
// theirs (`go run . migrate up` with the orm plugin, `go run . openapi` with
// openapi). With no argument, or `serve`, it serves as Run does, and returns
// nil after a clean shutdown.
func ExampleApp_Main() {
	app := covet.New()
	app.GET("/users/{id:int}", func(c *covet.Context) error { return c.Text(http.StatusOK, c.Param("id")) }).Name("user.show")
	if err := app.Main(":8080", os.Args[1:]); err != nil {
		log.Fatal(err)
	}
}

// A typed handler that creates a resource answers 201 with a Location
// header through Created; the route's Status(201) makes its documentation
// (OpenAPI) list 201 rather than 200.
func ExampleNewCreated() {
	type User struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	type NewUser struct {
		Name string `json:"name" minLength:"1"`
	}
	app := covet.New()
	covet.Post(app, "/users", func(c *covet.Context, in *NewUser) (*covet.Created[User], error) {
		u := User{ID: 7, Name: in.Name}
		return covet.NewCreated("/users/"+strconv.FormatInt(u.ID, 10), u), nil
	}).Status(http.StatusCreated)

	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/users", strings.NewReader(`{"name":"Ada"}`))
	r.Header.Set("Content-Type", "application/json")
	app.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Location"), strings.TrimSpace(w.Body.String()))
	// Output: 201 /users/7 {"id":7,"name":"Ada"}
}
