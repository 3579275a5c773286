package covet_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// http.ServeContent's error answers reached the client as text/plain
// ("invalid range: failed to overlap"; an empty 412), not as the problems
// every other 4xx is, and a zero-length suffix range ("bytes=-0", which
// RFC 9110 calls unsatisfiable) was a 206 with "Content-Range: bytes
// 6-5/6". Both from disk (sendfile) and from an embedded file system.
func TestStaticRangeAndPreconditionErrorsAreProblems(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	disk, err := covet.Dir(dir)
	if err != nil {
		t.Fatal(err)
	}
	mapfs := fstest.MapFS{"a.txt": {Data: []byte("hello\n"), ModTime: time.Unix(1_700_000_000, 0)}}
	for name, fsys := range map[string]fs.FS{"disk": disk, "map": mapfs} {
		t.Run(name, func(t *testing.T) {
			app := covet.New()
			app.Static("/s", fsys)
			cl := covettest.NewServer(t, app)
			for _, rg := range []string{"bytes=9-20", "bytes=-0", "bytes=-000", "bytes=-0,-0", "bytes=6-"} {
				p := cl.Get("/s/a.txt").Header("Range", rg).Do().
					ExpectStatus(416).
					ExpectHeader("Content-Type", "application/problem+json").
					ExpectHeader("Content-Range", "bytes */6").Problem()
				if p.Status != 416 || p.Detail == "" {
					t.Errorf("Range %s: problem %+v", rg, p)
				}
			}
			cl.Head("/s/a.txt").Header("Range", "bytes=9-20").Do().ExpectStatus(416).ExpectBody("")
			cl.Get("/s/a.txt").Header("If-Match", `"other"`).Do().
				ExpectStatus(412).ExpectHeader("Content-Type", "application/problem+json")
			// What still succeeds is unchanged.
			cl.Get("/s/a.txt").Header("Range", "bytes=0-1,-0").Do().
				ExpectStatus(206).ExpectHeader("Content-Range", "bytes 0-1/6").ExpectBody("he")
			cl.Get("/s/a.txt").Header("Range", "bytes=-2").Do().
				ExpectStatus(206).ExpectHeader("Content-Range", "bytes 4-5/6").ExpectBody("o\n")
			cl.Get("/s/a.txt").Header("Range", "bytes=0-0").Do().ExpectStatus(206).ExpectBody("h")
			res := cl.Get("/s/a.txt").Do().ExpectStatus(200).ExpectBody("hello\n")
			cl.Get("/s/a.txt").Header("If-None-Match", res.Header.Get("ETag")).Do().ExpectStatus(304)
			cl.Get("/s/a.txt").Header("If-Match", res.Header.Get("ETag")).Do().ExpectStatus(200).ExpectBody("hello\n")
		})
	}
}
