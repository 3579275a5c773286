package cache

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	covet "github.com/covetgo/covet/core"
)

// TestHTTPEncodedQuestionMarkIsNotAQuery: a path with an encoded '?'
// (%3F) decodes to a Path containing '?'. Keyed by the decoded path, its
// response was stored under the key of the path before the '?' with the
// rest as a query string, and served to every client asking that URL.
func TestHTTPEncodedQuestionMarkIsNotAQuery(t *testing.T) {
	ta := newTestApp(t, nil)
	ta.app.GET("/hello/{name}", func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "public, max-age=60")
		return c.Text(200, "hello "+c.Param("name"))
	})
	srv := httptest.NewServer(ta.app)
	t.Cleanup(srv.Close)
	get := func(target string) string {
		t.Helper()
		res, err := http.Get(srv.URL + target) // #nosec G107 -- the test server's URL
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := get("/hello/bob%3Fadmin=1"); got != "hello bob?admin=1" {
		t.Fatalf("attacker's request answered %q", got)
	}
	if got := get("/hello/bob?admin=1"); got != "hello bob" {
		t.Fatalf("the encoded path's response was served for the path with a query: %q", got)
	}
	// An unsafe request to the encoded path evicts its own entry, not the other.
	if w := ta.do("GET", "/hello/bob%3Fadmin=1"); w.Body.String() != "hello bob?admin=1" {
		t.Fatalf("in process: %q", w.Body)
	}
}
