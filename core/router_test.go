package covet_test

import (
	"net/http"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

func echoRoute(name string) covet.HandlerFunc {
	return func(c *covet.Context) error {
		var b strings.Builder
		b.WriteString(name)
		for _, p := range c.Params() {
			b.WriteString(" " + p.Name + "=" + p.Value)
		}
		return c.Text(http.StatusOK, b.String())
	}
}

func TestRouterPriorities(t *testing.T) {
	app := covet.New()
	app.GET("/users/me", echoRoute("me"))
	app.GET("/users/{id:int}", echoRoute("byid"))
	app.GET("/users/{name}", echoRoute("byname"))
	app.GET("/users/{name}/posts", echoRoute("posts"))
	app.GET("/files/readme", echoRoute("readme"))
	app.GET("/files/{p:path}", echoRoute("files"))
	app.GET("/a/{x}/c", echoRoute("axc"))
	app.GET("/a/b/{y}", echoRoute("aby"))
	app.GET("/items/{id:uuid}", echoRoute("uuid"))
	app.GET("/items/{v:float}", echoRoute("float"))
	app.DELETE("/users/{id}", echoRoute("delete"))
	cl := covettest.New(t, app)
	tests := []struct {
		path, want string
		status     int
	}{
		{"/users/me", "me", 200},
		{"/users/42", "byid id=42", 200},
		{"/users/bob", "byname name=bob", 200},
		{"/users/bob/posts", "posts name=bob", 200},
		{"/users/42/posts", "posts name=42", 200},
		{"/files/readme", "readme", 200},
		{"/files/a/b/c.txt", "files p=a/b/c.txt", 200},
		{"/files/readme2", "files p=readme2", 200},
		{"/a/b/c", "aby y=c", 200},
		{"/a/z/c", "axc x=z", 200},
		{"/items/123e4567-e89b-12d3-a456-426614174000", "uuid id=123e4567-e89b-12d3-a456-426614174000", 200},
		{"/items/1.5", "float v=1.5", 200},
		{"/items/abc", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := cl.Get(tt.path).Do().ExpectStatus(tt.status)
			if tt.status == 200 {
				r.ExpectBody(tt.want)
			}
		})
	}
	cl.Delete("/users/me").Do().ExpectStatus(200).ExpectBody("delete id=me")
	cl.Post("/users/me").Do().ExpectStatus(405).ExpectHeader("Allow", "GET, HEAD, DELETE, OPTIONS")
	cl.Options("/users/me").Do().ExpectStatus(204).ExpectHeader("Allow", "GET, HEAD, DELETE, OPTIONS")
	cl.Head("/users/me").Do().ExpectStatus(200)
	cl.Get("/users/me/").Do().ExpectStatus(301).ExpectHeader("Location", "/users/me")
}
