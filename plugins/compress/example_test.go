package compress_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/compress"
)

func Example() {
	app := covet.New()
	if err := app.Install(compress.New(
		compress.WithEncodings(compress.Brotli, compress.Gzip), // server preference
	)); err != nil {
		panic(err)
	}
	app.GET("/report", func(c *covet.Context) error {
		return c.Text(http.StatusOK, strings.Repeat("quarterly numbers ", 500))
	})
	// A page that reflects input and carries a secret: never compressed (BREACH).
	app.GET("/account", func(c *covet.Context) error {
		return c.HTML(http.StatusOK, "<p>"+c.Query("q")+"</p><input name=csrf value=secret>")
	}).With(compress.Disable())

	req := httptest.NewRequest(http.MethodGet, "/report", nil)
	req.Header.Set("Accept-Encoding", "gzip, br")
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	fmt.Println(rec.Header().Get("Content-Encoding"), rec.Header().Get("Vary"), rec.Body.Len() < 9000)
	// Output: br Accept-Encoding true
}
