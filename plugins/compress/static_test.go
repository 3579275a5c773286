package compress_test

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/compress"
)

func TestStatic(t *testing.T) {
	js := []byte(strings.Repeat("console.log('covet');\n", 100))
	fsys := fstest.MapFS{
		"app.js":     {Data: js},
		"app.js.br":  {Data: encode(t, "br", js)},
		"app.js.gz":  {Data: encode(t, "gzip", js)},
		"only.css":   {Data: []byte("body{}")},
		"index.html": {Data: []byte("<p>hi</p>")},
	}
	app := newApp(t)
	app.GET("/assets/{path:path}", compress.Static(fsys))
	tests := []struct {
		path, ae, coding, ctype string
		status                  int
	}{
		{"/assets/app.js", "gzip, br, zstd", "br", "text/javascript; charset=utf-8", 200},
		{"/assets/app.js", "gzip, zstd", "gzip", "text/javascript; charset=utf-8", 200},
		{"/assets/app.js", "zstd", "zstd", "text/javascript; charset=utf-8", 200}, // no .zst: the middleware codes it
		{"/assets/app.js", "", "", "text/javascript; charset=utf-8", 200},
		{"/assets/only.css", "br", "", "text/css; charset=utf-8", 200},
		{"/assets/../secret", "br", "", "", 301}, // core redirects unclean paths to /secret before routing: never the file
		{"/secret", "br", "", "application/problem+json", 404},
		{"/assets/missing.js", "br", "", "application/problem+json", 404},
	}
	for _, tt := range tests {
		hdr := map[string]string{}
		if tt.ae != "" {
			hdr["Accept-Encoding"] = tt.ae
		}
		rec := serve(app, http.MethodGet, tt.path, hdr, nil)
		if rec.Code != tt.status {
			t.Errorf("%s %q: status %d", tt.path, tt.ae, rec.Code)
			continue
		}
		if rec.Code == 301 && rec.Header().Get("Location") != "/secret" {
			t.Errorf("%s: redirected to %q, want /secret", tt.path, rec.Header().Get("Location"))
		}
		if rec.Code != 200 {
			continue
		}
		if got := rec.Header().Get("Content-Encoding"); got != tt.coding {
			t.Errorf("%s %q: Content-Encoding %q, want %q", tt.path, tt.ae, got, tt.coding)
		}
		if got := rec.Header().Get("Content-Type"); got != tt.ctype {
			t.Errorf("%s %q: Content-Type %q, want %q", tt.path, tt.ae, got, tt.ctype)
		}
		if rec.Header().Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s %q: Vary %q", tt.path, tt.ae, rec.Header().Get("Vary"))
		}
		if tt.path == "/assets/app.js" && string(decode(t, tt.coding, rec.Body.Bytes())) != string(js) {
			t.Errorf("%s %q: body differs", tt.path, tt.ae)
		}
	}
	// Each coded file has its own strong ETag, and a conditional request for it is a 304.
	br := serve(app, http.MethodGet, "/assets/app.js", map[string]string{"Accept-Encoding": "br"}, nil)
	gz := serve(app, http.MethodGet, "/assets/app.js", map[string]string{"Accept-Encoding": "gzip"}, nil)
	et := br.Header().Get("ETag")
	if et == "" || strings.HasPrefix(et, "W/") || et == gz.Header().Get("ETag") {
		t.Fatalf("ETags br %q gzip %q", et, gz.Header().Get("ETag"))
	}
	nm := serve(app, http.MethodGet, "/assets/app.js", map[string]string{"Accept-Encoding": "br", "If-None-Match": et}, nil)
	if nm.Code != 304 || nm.Header().Get("ETag") != et {
		t.Fatalf("If-None-Match: %d %v", nm.Code, nm.Header())
	}
	_ = covet.New
}

// TestStaticRefusedVariant: a precompressed sibling of a hidden file is
// refused as the file is, and the 404 is not labelled as coded (it was
// "Content-Encoding: gzip" on a plain problem+json: undecodable, and it
// told that .git/config.gz exists).
func TestStaticRefusedVariant(t *testing.T) {
	body := []byte(strings.Repeat("[core]\n", 300))
	fsys := fstest.MapFS{
		".git/config":    {Data: body},
		".git/config.gz": {Data: encode(t, "gzip", body)},
	}
	app := newApp(t)
	app.GET("/assets/{path:path}", compress.Static(fsys))
	withGz := serve(app, http.MethodGet, "/assets/.git/config", map[string]string{"Accept-Encoding": "gzip"}, nil)
	missing := serve(app, http.MethodGet, "/assets/.git/other", map[string]string{"Accept-Encoding": "gzip"}, nil)
	if withGz.Code != 404 || withGz.Header().Get("Content-Encoding") != "" {
		t.Fatalf("hidden file with a .gz sibling: %d Content-Encoding %q", withGz.Code, withGz.Header().Get("Content-Encoding"))
	}
	if got, want := withGz.Header().Get("Content-Encoding"), missing.Header().Get("Content-Encoding"); got != want {
		t.Fatalf("Content-Encoding %q, for a missing file %q", got, want)
	}
}
