package compress_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/compress"
	"github.com/klauspost/compress/gzip"
)

var big = strings.Repeat("covet compresses text responses. ", 200) // 6.6 KB

// routes registers the handlers the middleware tests use.
func routes(app *covet.App) {
	app.GET("/text", func(c *covet.Context) error { return c.Text(http.StatusOK, big) })
	app.GET("/small", func(c *covet.Context) error { return c.Text(http.StatusOK, "tiny") })
	app.GET("/json", func(c *covet.Context) error { return c.Blob(http.StatusOK, "application/json", taskJSON(100)) })
	app.GET("/png", func(c *covet.Context) error { return c.Blob(http.StatusOK, "image/png", []byte(big)) })
	app.GET("/coded", func(c *covet.Context) error {
		c.SetHeader("Content-Encoding", "gzip")
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write([]byte(big))
		_ = zw.Close()
		return c.Blob(http.StatusOK, "text/plain", b.Bytes())
	})
	app.GET("/etag", func(c *covet.Context) error {
		c.SetHeader("ETag", `"v1"`)
		if c.Header("If-None-Match") == `"v1"` {
			return c.NoContent(http.StatusNotModified)
		}
		return c.Text(http.StatusOK, big)
	})
	app.GET("/weak", func(c *covet.Context) error {
		c.SetHeader("ETag", `W/"v1"`)
		return c.Text(http.StatusOK, big)
	})
	app.GET("/no-transform", func(c *covet.Context) error {
		c.SetHeader("Cache-Control", "no-transform")
		return c.Text(http.StatusOK, big)
	})
	app.GET("/chunks", func(c *covet.Context) error {
		w := c.Response()
		w.Header().Set("Content-Type", "text/plain")
		for range 100 { // 100 writes of 33 bytes: decided after the first 1 KiB
			if _, err := w.Write([]byte(big[:33])); err != nil {
				return err
			}
		}
		return nil
	})
	app.GET("/sniff", func(c *covet.Context) error {
		_, err := c.Response().Write([]byte("<!doctype html><html><body>" + big + "</body></html>"))
		return err
	})
	app.GET("/length", func(c *covet.Context) error {
		c.SetHeader("Content-Length", strconv.Itoa(len(big)))
		c.SetHeader("Content-Type", "text/plain")
		_, err := c.Response().Write([]byte(big))
		return err
	})
	app.GET("/vary", func(c *covet.Context) error {
		c.SetHeader("Vary", "Origin")
		return c.Text(http.StatusOK, big)
	})
	app.GET("/error", func(c *covet.Context) error {
		return covet.NewError(http.StatusBadRequest, strings.Repeat("a long explanation of what went wrong ", 60))
	})
	app.GET("/nocontent", func(c *covet.Context) error { return c.NoContent(http.StatusNoContent) })
	app.GET("/skip", func(c *covet.Context) error {
		compress.Skip(c)
		return c.Text(http.StatusOK, big)
	})
	app.GET("/secret", func(c *covet.Context) error { return c.Text(http.StatusOK, big) }).With(compress.Disable())
}

// TestResponses runs every case through the plugin with a browser's
// Accept-Encoding and checks the coding, the headers and the decoded body.
func TestResponses(t *testing.T) {
	app := newApp(t, compress.WithEncodings(compress.Brotli, compress.Gzip, compress.Zstd))
	routes(app)
	const ae = "gzip, deflate, br, zstd"
	tests := []struct {
		name     string
		path     string
		hdr      map[string]string
		status   int
		coding   string // expected Content-Encoding
		wantBody string // decoded body; "" to skip the check
		etag     string
		vary     string
	}{
		{"large text is coded", "/text", nil, 200, "br", big, "", "Accept-Encoding"},
		{"small body is not", "/small", nil, 200, "", "tiny", "", "Accept-Encoding"},
		{"large JSON is coded", "/json", nil, 200, "br", string(taskJSON(100)), "", "Accept-Encoding"},
		{"image type is not coded", "/png", nil, 200, "", big, "", "Accept-Encoding"},
		{"already coded is not coded twice", "/coded", nil, 200, "gzip", big, "", "Accept-Encoding"},
		{"Cache-Control no-transform", "/no-transform", nil, 200, "", big, "", "Accept-Encoding"},
		{"many small writes", "/chunks", nil, 200, "br", strings.Repeat(big[:33], 100), "", "Accept-Encoding"},
		{"sniffed type", "/sniff", nil, 200, "br", "<!doctype html><html><body>" + big + "</body></html>", "", "Accept-Encoding"},
		{"Content-Length known", "/length", nil, 200, "br", big, "", "Accept-Encoding"},
		{"Vary kept and extended", "/vary", nil, 200, "br", big, "", "Origin, Accept-Encoding"},
		{"error response is coded", "/error", nil, 400, "br", "", "", "Accept-Encoding"},
		{"404 passes", "/missing", nil, 404, "", "", "", "Accept-Encoding"},
		{"204", "/nocontent", nil, 204, "", "", "", "Accept-Encoding"},
		{"Skip", "/skip", nil, 200, "", big, "", "Accept-Encoding"},
		{"Disable: no coding, no Vary", "/secret", nil, 200, "", big, "", ""},
		{"strong ETag suffixed", "/etag", nil, 200, "br", big, `"v1-br"`, "Accept-Encoding"},
		{"If-None-Match with the suffixed tag: 304", "/etag", map[string]string{"If-None-Match": `"v1-br"`}, 304, "", "", `"v1-br"`, "Accept-Encoding"},
		{"If-None-Match with the plain tag: 304", "/etag", map[string]string{"If-None-Match": `"v1"`}, 304, "", "", `"v1"`, "Accept-Encoding"},
		{"If-None-Match of another coding: 200", "/etag", map[string]string{"If-None-Match": `"v1-gzip"`}, 200, "br", big, `"v1-br"`, "Accept-Encoding"},
		{"weak ETag unchanged", "/weak", nil, 200, "br", big, `W/"v1"`, "Accept-Encoding"},
		{"Range request is not coded", "/text", map[string]string{"Range": "bytes=0-10"}, 200, "", big, "", "Accept-Encoding"},
		{"no Accept-Encoding", "/text", map[string]string{"Accept-Encoding": ""}, 200, "", big, "", "Accept-Encoding"},
		{"identity;q=0 forces even a small body", "/small", map[string]string{"Accept-Encoding": "gzip, identity;q=0"}, 200, "gzip", "tiny", "", "Accept-Encoding"},
		{"nothing acceptable: 406", "/text", map[string]string{"Accept-Encoding": "deflate, identity;q=0"}, 406, "", "", "", "Accept-Encoding"},
		{"406 not for a disabled route", "/secret", map[string]string{"Accept-Encoding": "*;q=0"}, 200, "", big, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{"Accept-Encoding": ae}
			for k, v := range tt.hdr {
				hdr[k] = v
			}
			req := httptestRequest(tt.path, hdr)
			rec := serve(app, req.method, req.path, req.hdr, nil)
			res := rec.Result()
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %q", res.StatusCode, tt.status, rec.Body.String())
			}
			if got := res.Header.Get("Content-Encoding"); got != tt.coding {
				t.Fatalf("Content-Encoding %q, want %q", got, tt.coding)
			}
			if got := strings.Join(res.Header.Values("Vary"), ", "); got != tt.vary {
				t.Errorf("Vary %q, want %q", got, tt.vary)
			}
			if tt.etag != "" {
				if got := res.Header.Get("ETag"); got != tt.etag {
					t.Errorf("ETag %q, want %q", got, tt.etag)
				}
			}
			if tt.coding != "" && tt.coding != "gzip" || tt.path != "/coded" {
				if tt.coding != "" && res.Header.Get("Content-Length") != "" {
					t.Errorf("Content-Length %q kept on a coded response", res.Header.Get("Content-Length"))
				}
			}
			body := decode(t, tt.coding, rec.Body.Bytes())
			if tt.wantBody != "" && string(body) != tt.wantBody {
				t.Errorf("decoded body differs: %d bytes, want %d", len(body), len(tt.wantBody))
			}
			if tt.status == 400 || tt.status == 406 {
				if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type %q, want problem+json", ct)
				}
				var p map[string]any
				if err := json.Unmarshal(body, &p); err != nil || p["status"] != float64(tt.status) {
					t.Errorf("problem %s (%v)", body, err)
				}
			}
		})
	}
}

type reqSpec struct {
	method, path string
	hdr          map[string]string
}

func httptestRequest(path string, hdr map[string]string) reqSpec {
	if hdr["Accept-Encoding"] == "" {
		delete(hdr, "Accept-Encoding")
	}
	return reqSpec{http.MethodGet, path, hdr}
}

// TestHEADMatchesGET: HEAD answers the headers GET would — Content-Encoding,
// Vary, the coding-suffixed ETag, no Content-Length when coded — without a
// body, so a cache that revalidates with HEAD compares the same validator
// (before, HEAD was never coded and its ETag lacked the suffix). A 304 and
// a 406 match too.
func TestHEADMatchesGET(t *testing.T) {
	app := newApp(t)
	routes(app)
	paths := []string{"/text", "/small", "/json", "/png", "/coded", "/etag", "/weak", "/no-transform",
		"/chunks", "/length", "/vary", "/error", "/nocontent", "/skip", "/secret"}
	// Not /sniff: a HEAD body never reaches the middleware, so there is
	// nothing to sniff a missing Content-Type from (net/http cannot either).
	for _, ae := range []string{"gzip", "br", "zstd", "gzip;q=0.5, br", "identity", "identity;q=0, gzip"} {
		for _, path := range paths {
			hdr := map[string]string{"Accept-Encoding": ae}
			get := serve(app, http.MethodGet, path, hdr, nil)
			head := serve(app, http.MethodHead, path, hdr, nil)
			if head.Code != get.Code {
				t.Errorf("%s %q: HEAD %d, GET %d", path, ae, head.Code, get.Code)
			}
			for _, h := range []string{"Content-Encoding", "Vary", "Etag", "Content-Type", "Accept-Ranges"} {
				if g, hd := strings.Join(get.Header().Values(h), ", "), strings.Join(head.Header().Values(h), ", "); g != hd {
					t.Errorf("%s %q: %s: HEAD %q, GET %q", path, ae, h, hd, g)
				}
			}
			if path != "/coded" && get.Header().Get("Content-Encoding") != "" && head.Header().Get("Content-Length") != "" {
				t.Errorf("%s %q: coded HEAD keeps Content-Length %q", path, ae, head.Header().Get("Content-Length"))
			}
			if head.Body.Len() != 0 {
				t.Errorf("%s %q: HEAD body of %d bytes", path, ae, head.Body.Len())
			}
		}
	}
	// Revalidation with the coded tag a GET gave: 304 with that tag.
	tag := serve(app, http.MethodGet, "/etag", map[string]string{"Accept-Encoding": "br"}, nil).Header().Get("ETag")
	if tag != `"v1-br"` {
		t.Fatalf("GET ETag %q", tag)
	}
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		rec := serve(app, m, "/etag", map[string]string{"Accept-Encoding": "br", "If-None-Match": tag}, nil)
		if rec.Code != http.StatusNotModified || rec.Header().Get("ETag") != tag {
			t.Errorf("%s If-None-Match %s: %d ETag %q", m, tag, rec.Code, rec.Header().Get("ETag"))
		}
	}
	// Nothing acceptable: 406 for both.
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		if rec := serve(app, m, "/text", map[string]string{"Accept-Encoding": "compress, identity;q=0"}, nil); rec.Code != http.StatusNotAcceptable {
			t.Errorf("%s with nothing acceptable: %d", m, rec.Code)
		}
	}
	// Without Accept-Encoding, or for a Range, HEAD stays plain like GET.
	rec := serve(app, http.MethodHead, "/text", nil, nil)
	if rec.Header().Get("Content-Encoding") != "" || rec.Header().Get("Content-Length") != strconv.Itoa(len(big)) || rec.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("HEAD without Accept-Encoding: %v", rec.Header())
	}
}

// TestEveryCoding decodes each coding the plugin produces, for JSON and HTML.
func TestEveryCoding(t *testing.T) {
	for _, coding := range []string{"gzip", "br", "zstd"} {
		app := newApp(t)
		routes(app)
		page := htmlPage(100)
		app.GET("/page", func(c *covet.Context) error { return c.HTML(http.StatusOK, page) })
		for path, want := range map[string]string{"/json": string(taskJSON(100)), "/page": page} {
			rec := serve(app, http.MethodGet, path, map[string]string{"Accept-Encoding": coding}, nil)
			if got := rec.Header().Get("Content-Encoding"); got != coding {
				t.Fatalf("%s %s: Content-Encoding %q", coding, path, got)
			}
			if got := decode(t, coding, rec.Body.Bytes()); !bytes.Equal(got, []byte(want)) {
				t.Fatalf("%s %s: decoded body differs", coding, path)
			}
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for name, opt := range map[string]compress.Option{
		"unknown encoding": compress.WithEncodings("deflate"),
		"no encoding":      compress.WithEncodings(),
		"twice":            compress.WithEncodings("br", "BR"),
		"gzip level":       compress.WithGzipLevel(12),
		"brotli level":     compress.WithBrotliLevel(12),
		"zstd level":       compress.WithZstdLevel(9),
		"min size":         compress.WithMinSize(-1),
		"limit":            compress.WithRequestDecompression(0),
		"type":             compress.WithContentTypes("json"),
	} {
		if err := covet.New().Install(compress.New(opt)); err == nil {
			t.Errorf("%s: Install accepted it", name)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Middleware did not panic on a bad configuration")
		}
	}()
	compress.Middleware(compress.WithMinSize(-5))
}

var _ = errors.New
