package cache

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// TestHTTPRangeOfAStoredResponse: a Range request answered from the cache
// gets the range (206, Content-Range), as the handler (http.ServeContent,
// static files) would have answered: it got the whole body with 200, which
// media players that probe with a range (Safari's video) refuse.
func TestHTTPRangeOfAStoredResponse(t *testing.T) {
	ta := newTestApp(t, nil)
	body := strings.Repeat("0123456789", 100)
	ta.app.GET("/video", func(c *covet.Context) error {
		ta.calls.Add(1)
		c.SetHeader("Cache-Control", "public, max-age=60")
		c.SetHeader("Content-Type", "video/mp4")
		http.ServeContent(c.Response(), c.Request(), "", time.Time{}, strings.NewReader(body))
		return nil
	})
	srv := httptest.NewServer(ta.app)
	t.Cleanup(srv.Close)
	get := func(hdr ...string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest("GET", srv.URL+"/video", nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	first, _ := get()
	etag := first.Header.Get("Etag")
	before := ta.calls.Load()
	res, b := get("Range", "bytes=0-1")
	if res.StatusCode != http.StatusPartialContent || b != "01" || res.Header.Get("Content-Range") != "bytes 0-1/1000" || res.Header.Get("Age") == "" {
		t.Fatalf("range of a stored response: %d %q %v", res.StatusCode, b, res.Header)
	}
	res, b = get("Range", "bytes=995-")
	if res.StatusCode != http.StatusPartialContent || b != "56789" {
		t.Fatalf("suffix range: %d %q", res.StatusCode, b)
	}
	if res, _ = get("Range", "bytes=2000-"); res.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("unsatisfiable range: %d", res.StatusCode)
	}
	// If-Range with another validator: the whole body.
	if res, b = get("Range", "bytes=0-1", "If-Range", `"other"`); res.StatusCode != 200 || b != body {
		t.Fatalf("If-Range mismatch: %d %d bytes", res.StatusCode, len(b))
	}
	if etag != "" {
		if res, b = get("Range", "bytes=0-1", "If-Range", etag); res.StatusCode != http.StatusPartialContent || b != "01" {
			t.Fatalf("If-Range match: %d %q", res.StatusCode, b)
		}
	}
	if ta.calls.Load() != before {
		t.Fatalf("the handler ran %d times for ranges of a stored response", ta.calls.Load()-before)
	}
}
