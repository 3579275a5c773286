package compress

import (
	"io/fs"
	"strings"

	covet "github.com/covetgo/covet/core"
)

// Static returns a handler for a route ending in {path:path} that serves the
// files of fsys as covet.StaticHandler does (opts are core's static options:
// ETag, Last-Modified, 304, Range, Cache-Control, traversal refusal), and
// serves a precompressed sibling instead — file.br, file.zst or file.gz,
// preferred in that order among those the client accepts — when one exists.
// The coded file keeps the original's Content-Type (from its extension), gets
// Content-Encoding, and its own strong ETag (from its own size and time, or
// content hash); every answer carries Vary: Accept-Encoding. Directory
// index files are served as is (the middleware may still compress them).
//
//	app.GET("/assets/{path:path}", compress.Static(assets, covet.StaticImmutable()))
func Static(fsys fs.FS, opts ...covet.StaticOption) covet.HandlerFunc {
	plainH := covet.StaticHandler(fsys, opts...)
	type variant struct {
		coding string
		ext    string
		h      covet.HandlerFunc
	}
	variants := []variant{{Brotli, ".br", nil}, {Zstd, ".zst", nil}, {Gzip, ".gz", nil}}
	names := make([]string, len(variants))
	for i := range variants {
		variants[i].h = covet.StaticHandler(variantFS{fsys, variants[i].ext}, opts...)
		names[i] = variants[i].coding
	}
	return func(c *covet.Context) error {
		h := c.Response().Header()
		addVary(h)
		ae, ok := c.Request().Header["Accept-Encoding"]
		name := strings.TrimPrefix(c.Param("path"), "/")
		if !ok || name == "" || strings.ContainsAny(name, "\\\x00") || !fs.ValidPath(name) {
			return plainH(c)
		}
		a := parseAcceptEncoding(ae, names)
		for {
			best, bestQ := -1, 0
			for i := range variants {
				if q := a.effective(i); q > bestQ {
					best, bestQ = i, q
				}
			}
			if best < 0 {
				return plainH(c)
			}
			v := variants[best]
			if fi, err := fs.Stat(fsys, name+v.ext); err == nil && fi.Mode().IsRegular() {
				h["Content-Encoding"] = []string{v.coding}
				err := v.h(c)
				if err != nil {
					// Refused (a hidden file's sibling): the error's
					// answer is not coded, and must not tell that the
					// coded file exists.
					delete(h, "Content-Encoding")
				}
				return err
			}
			a.q[best] = 0 // no such file: try the next acceptable coding
		}
	}
}

// variantFS opens name+ext for name, so core's static handler serves the
// precompressed file under the original name (and its Content-Type).
type variantFS struct {
	fsys fs.FS
	ext  string
}

func (v variantFS) Open(name string) (fs.File, error) { return v.fsys.Open(name + v.ext) }
