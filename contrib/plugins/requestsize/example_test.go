package requestsize_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	covet "github.com/covetgo/covet/core"

	"github.com/covetgo/covet/contrib/plugins/requestsize"
)

func Example() {
	app := covet.New()
	app.GET("/hello", func(c *covet.Context) error { return c.Text(http.StatusOK, "hello, world") })
	sizes := requestsize.New()
	if err := app.Install(sizes); err != nil {
		panic(err)
	}

	app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/hello", nil))
	app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/hello", strings.NewReader("hi")))

	for _, r := range sizes.Snapshot().Routes {
		if r.Requests > 0 {
			fmt.Printf("%s: %d requests, %d bytes in\n", r.Route, r.Requests, r.RequestBytes)
		}
	}
	// Output:
	// GET /hello: 1 requests, 0 bytes in
	// unmatched: 1 requests, 2 bytes in
}
