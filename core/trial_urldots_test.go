package covet_test

import (
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// App.URL built paths the router never routes to the named route: a
// {p:path} value "../../admin" gave "/files/../../admin", which dispatch
// redirects to "/admin" and a browser resolves as a link to "/admin" (a
// link to another route from a user-chosen file name); "a//b" and ".."
// for a {name} did the same. Such values are refused, as the router
// refuses them, unless the route allows dot-segments; every URL built is
// answered by its route.
func TestURLRefusesValuesTheRouteWouldNotMatch(t *testing.T) {
	app := covet.New()
	app.GET("/files/{p:path}", func(c *covet.Context) error { return c.Text(200, "file "+c.Param("p")) }).Name("file")
	app.GET("/u/{id}", func(c *covet.Context) error { return c.Text(200, "user "+c.Param("id")) }).Name("user")
	app.GET("/raw/{p:path}", func(c *covet.Context) error { return c.Text(200, "raw "+c.Param("p")) }).
		Name("raw").With(covet.AllowDotSegments())
	for _, tc := range []struct{ route, param, value string }{
		{"file", "p", "../../admin"},
		{"file", "p", "a/../b"},
		{"file", "p", "./a"},
		{"file", "p", "a//b"},
		{"file", "p", "/a"},
		{"user", "id", ".."},
		{"user", "id", "."},
	} {
		if u, err := app.URL(tc.route, tc.param, tc.value); err == nil || !strings.Contains(err.Error(), "segment") {
			t.Errorf("URL(%s, %q) = %q, %v; want an error", tc.route, tc.value, u, err)
		}
	}
	cl := covettest.New(t, app)
	for _, tc := range []struct{ route, param, value, body string }{
		{"file", "p", "a/b c/d.txt", "file a/b c/d.txt"},
		{"file", "p", "dir/", "file dir/"},
		{"file", "p", "", "file "},
		{"file", "p", "..a/b..", "file ..a/b.."},
		{"file", "p", "%2e%2e/x", "file %2e%2e/x"},
		{"user", "id", "..x", "user ..x"},
		{"user", "id", "a.b", "user a.b"},
		{"raw", "p", "a/../b", "raw a/../b"},
	} {
		u, err := app.URL(tc.route, tc.param, tc.value)
		if err != nil {
			t.Errorf("URL(%s, %q): %v", tc.route, tc.value, err)
			continue
		}
		cl.Get(u).Do().ExpectStatus(200).ExpectBody(tc.body)
	}
}
