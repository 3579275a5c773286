package covet_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

func staticTree(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "public")
	outside = filepath.Join(base, "secret.txt")
	must(t, os.MkdirAll(filepath.Join(root, "css"), 0o755))
	must(t, os.MkdirAll(filepath.Join(root, "docs"), 0o755))
	must(t, os.MkdirAll(filepath.Join(root, ".git"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "index.html"), []byte("<h1>home</h1>"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "css", "site.css"), []byte("body{color:red}"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "docs", "index.html"), []byte("docs"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, ".env"), []byte("SECRET=1"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, ".git", "config"), []byte("[core]"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "big.txt"), []byte(strings.Repeat("0123456789", 100)), 0o644))
	must(t, os.WriteFile(outside, []byte("TOP SECRET"), 0o644))
	must(t, os.Symlink(outside, filepath.Join(root, "leak.txt")))
	must(t, os.Symlink(filepath.Dir(outside), filepath.Join(root, "up")))
	return root, outside
}

func TestStaticFromDisk(t *testing.T) {
	root, _ := staticTree(t)
	fsys, err := covet.Dir(root)
	must(t, err)
	app := covet.New()
	app.Static("/assets", fsys, covet.StaticMaxAge(time.Hour))
	cl := covettest.New(t, app)

	r := cl.Get("/assets/css/site.css").Do().ExpectStatus(200).ExpectBody("body{color:red}").
		ExpectHeader("Content-Type", "text/css; charset=utf-8").
		ExpectHeader("Cache-Control", "public, max-age=3600").
		ExpectHeader("X-Content-Type-Options", "nosniff")
	etag, lastMod := r.Header.Get("ETag"), r.Header.Get("Last-Modified")
	if etag == "" || lastMod == "" {
		t.Fatalf("validators missing: etag %q last-modified %q", etag, lastMod)
	}
	cl.Get("/assets/css/site.css").Header("If-None-Match", etag).Do().ExpectStatus(304)
	cl.Get("/assets/css/site.css").Header("If-Modified-Since", lastMod).Do().ExpectStatus(304)
	cl.Get("/assets/big.txt").Header("Range", "bytes=10-19").Do().ExpectStatus(206).
		ExpectBody("0123456789").ExpectHeader("Content-Range", "bytes 10-19/1000")
	cl.Get("/assets/big.txt").Header("Range", "bytes=5000-").Do().ExpectStatus(416)
	cl.Get("/assets/").Do().ExpectStatus(200).ExpectBody("<h1>home</h1>")
	cl.Get("/assets/docs/").Do().ExpectStatus(200).ExpectBody("docs")
	cl.Head("/assets/css/site.css").Do().ExpectStatus(200)

	// Nothing leaves the root, and hidden files stay hidden.
	for _, p := range []string{
		"/assets/../secret.txt", "/assets/%2e%2e/secret.txt", "/assets/css/%2e%2e/%2e%2e/secret.txt",
		"/assets/..%2fsecret.txt", "/assets/..\\secret.txt", "/assets/%5c..%5csecret.txt",
		"/assets/leak.txt", "/assets/up/secret.txt", "/assets/.env", "/assets/.git/config",
		"/assets/css/site.css%00.png", "/assets/nope.txt",
	} {
		res := cl.Get(p).Do()
		if strings.Contains(res.Text(), "TOP SECRET") || strings.Contains(res.Text(), "SECRET=1") || strings.Contains(res.Text(), "[core]") {
			t.Errorf("GET %s leaked a file: %d %q", p, res.StatusCode, res.Text())
		}
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMovedPermanently && res.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: status %d, want 404 (or a local redirect)", p, res.StatusCode)
		}
		if loc := res.Header.Get("Location"); loc != "" && !strings.HasPrefix(loc, "/") {
			t.Errorf("GET %s redirected to %q", p, loc)
		}
	}
}

// TestHTTPDirFollowsSymlinks documents why Dir (os.Root) is used: the
// standard http.Dir follows a symlink out of the root.
func TestHTTPDirFollowsSymlinks(t *testing.T) {
	root, _ := staticTree(t)
	f, err := http.Dir(root).Open("/leak.txt")
	if err != nil {
		t.Skip("http.Dir refused the symlink on this system")
	}
	f.Close()
	fsys, _ := covet.Dir(root)
	if _, err := fsys.Open("leak.txt"); err == nil {
		t.Fatal("covet.Dir opened a symlink that leaves the root")
	}
}

func TestStaticEmbeddedFS(t *testing.T) {
	fsys := fstest.MapFS{
		"app.js":         {Data: []byte("console.log(1)")},
		"img/logo.svg":   {Data: []byte("<svg/>")},
		".hidden":        {Data: []byte("x")},
		"sub/index.html": {Data: []byte("sub")},
	}
	app := covet.New()
	app.Static("/static/", fsys, covet.StaticImmutable())
	app.Group("/g").Static("/files", fsys, covet.StaticDotfiles(), covet.StaticIndex(""))
	cl := covettest.New(t, app)
	r := cl.Get("/static/app.js").Do().ExpectStatus(200).ExpectBody("console.log(1)").
		ExpectHeader("Cache-Control", "public, max-age=31536000, immutable")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("content type %q", ct)
	}
	etag := r.Header.Get("ETag")
	if len(etag) < 10 {
		t.Fatalf("content-hash ETag %q", etag)
	}
	cl.Get("/static/app.js").Header("If-None-Match", etag).Do().ExpectStatus(304)
	cl.Get("/static/img/logo.svg").Do().ExpectStatus(200).ExpectHeader("Content-Type", "image/svg+xml")
	cl.Get("/static/.hidden").Do().ExpectStatus(404)
	cl.Get("/g/files/.hidden").Do().ExpectStatus(200)
	cl.Get("/static/sub/").Do().ExpectStatus(200).ExpectBody("sub")
	cl.Get("/g/files/sub/").Do().ExpectStatus(404)
}
