package compress_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/compress"
)

// TestIfMatchSeesTheHandlersTag: the ETag a client got with a compressed
// GET ("v1-gzip") is the one it sends back in If-Match on its PUT
// (optimistic concurrency). The handler compares it with its own tag
// ("v1"): the suffix is removed from If-Match as from If-None-Match, or
// every update of a resource large enough to be compressed failed with
// 412.
func TestIfMatchSeesTheHandlersTag(t *testing.T) {
	app := covet.New()
	if err := app.Install(compress.New()); err != nil {
		t.Fatal(err)
	}
	body := taskJSON(50)
	etag := `"v1"`
	app.GET("/item", func(c *covet.Context) error {
		c.SetHeader("ETag", etag)
		return c.Blob(200, "application/json", body)
	})
	app.PUT("/item", func(c *covet.Context) error {
		if im := c.Request().Header.Get("If-Match"); im != "" && im != "*" && !strings.Contains(im, etag) {
			return c.Text(http.StatusPreconditionFailed, "changed since: "+im)
		}
		return c.Blob(200, "application/json", body)
	})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	do := func(method string, hdr ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+"/item", bytes.NewReader(nil))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := srv.Client().Transport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for _, enc := range []string{"gzip", "br", "zstd"} {
		get := do("GET", "Accept-Encoding", enc)
		if get.Header.Get("Content-Encoding") != enc {
			t.Fatalf("GET not coded with %s: %v", enc, get.Header)
		}
		tag := get.Header.Get("ETag")
		if tag != `"v1-`+enc+`"` {
			t.Fatalf("ETag %q", tag)
		}
		// The PUT's own answer may or may not be coded: both ways.
		for _, ae := range []string{enc, "identity", ""} {
			if res := do("PUT", "Accept-Encoding", ae, "If-Match", tag); res.StatusCode != 200 {
				t.Errorf("PUT with If-Match %s (Accept-Encoding %q): %d", tag, ae, res.StatusCode)
			}
			if res := do("PUT", "Accept-Encoding", ae, "If-Match", `"v0-`+enc+`", `+tag); res.StatusCode != 200 {
				t.Errorf("PUT with a list (Accept-Encoding %q): %d", ae, res.StatusCode)
			}
		}
		// A stale tag still fails.
		if res := do("PUT", "Accept-Encoding", enc, "If-Match", `"v0-`+enc+`"`); res.StatusCode != 412 {
			t.Errorf("stale If-Match: %d", res.StatusCode)
		}
	}
}
