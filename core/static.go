package covet

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// StaticOption configures static file serving.
type StaticOption func(*staticConfig)

type staticConfig struct {
	index     string
	dotfiles  bool
	maxAge    time.Duration
	immutable bool
}

// StaticIndex sets the file served for a directory (default "index.html";
// "" serves no index). Directory listings are never produced.
func StaticIndex(name string) StaticOption { return func(c *staticConfig) { c.index = name } }

// StaticDotfiles serves files and directories whose name starts with '.'
// (hidden by default: they answer 404).
func StaticDotfiles() StaticOption { return func(c *staticConfig) { c.dotfiles = true } }

// StaticMaxAge sets Cache-Control max-age on served files (default: no
// Cache-Control header; clients revalidate with the ETag).
func StaticMaxAge(d time.Duration) StaticOption { return func(c *staticConfig) { c.maxAge = d } }

// StaticImmutable marks files as immutable (for fingerprinted assets): a
// year's max-age and the immutable directive.
func StaticImmutable() StaticOption {
	return func(c *staticConfig) { c.maxAge = 365 * 24 * time.Hour; c.immutable = true }
}

// Dir returns a file system for a directory on disk that cannot be escaped:
// it is backed by os.Root, so ".." and symbolic links that lead outside the
// directory are refused. (http.Dir follows such symlinks.)
func Dir(dir string) (fs.FS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return root.FS(), nil
}

// Static serves the files of fsys under prefix for GET and HEAD, with ETag and
// Last-Modified validators (304 answers), Range requests, and content types
// from file extensions. Request paths containing "..", backslashes, NUL or
// (by default) dot segments answer 404; for files on disk use Dir, which also
// refuses symlinks leading out of the directory.
func (a *App) Static(prefix string, fsys fs.FS, opts ...StaticOption) *Route {
	return a.GET(joinPath(trimSlash(prefix), "/{path:path}"), StaticHandler(fsys, opts...)).Hidden()
}

// Static serves files under the group's prefix, as App.Static does.
func (g *Group) Static(prefix string, fsys fs.FS, opts ...StaticOption) *Route {
	return g.GET(joinPath(trimSlash(prefix), "/{path:path}"), StaticHandler(fsys, opts...)).Hidden()
}

// StaticHandler serves the file named by the route's "path" parameter from
// fsys; register it on a pattern ending in {path:path}.
func StaticHandler(fsys fs.FS, opts ...StaticOption) HandlerFunc {
	cfg := staticConfig{index: "index.html"}
	for _, o := range opts {
		o(&cfg)
	}
	s := &staticServer{fsys: fsys, cfg: cfg}
	return s.serve
}

type staticServer struct {
	fsys  fs.FS
	cfg   staticConfig
	etags sync.Map // name → etag, for files without a modification time
}

// staticNotFound returns a new 404 for each request: an error handler or
// middleware may refine it (WithHeader) without touching another request's.
func staticNotFound() *Error { return NewError(http.StatusNotFound, "file not found") }

func (s *staticServer) serve(c *Context) error {
	name, ok := s.cleanName(c.Param("path"))
	if !ok {
		return staticNotFound()
	}
	f, fi, err := s.open(name)
	if err != nil {
		return staticNotFound()
	}
	defer f.Close()
	if fi.IsDir() {
		if s.cfg.index == "" {
			return staticNotFound()
		}
		f.Close()
		name = path.Join(name, s.cfg.index)
		if name == "." || strings.HasPrefix(name, "./") {
			name = s.cfg.index
		}
		f, fi, err = s.open(name)
		if err != nil || fi.IsDir() {
			return staticNotFound()
		}
		defer f.Close()
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		// Not seekable: no Range support; send it whole.
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		rs = strings.NewReader(string(b))
	}
	h := c.Response().Header()
	if etag := s.etag(name, fi, rs); etag != "" {
		h.Set("ETag", etag)
	}
	if s.cfg.maxAge > 0 {
		cc := "public, max-age=" + strconv.Itoa(int(s.cfg.maxAge/time.Second))
		if s.cfg.immutable {
			cc += ", immutable"
		}
		h.Set("Cache-Control", cc)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Response(), c.Request(), path.Base(name), fi.ModTime(), rs)
	return nil
}

func (s *staticServer) open(name string) (fs.File, fs.FileInfo, error) {
	f, err := s.fsys.Open(name)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// cleanName maps the request's path to a name for fs.FS, refusing anything
// that could leave the root.
func (s *staticServer) cleanName(p string) (string, bool) {
	if strings.ContainsAny(p, "\\\x00") {
		return "", false
	}
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return ".", true
	}
	p = strings.TrimSuffix(p, "/")
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", false
		}
		if seg[0] == '.' && !s.cfg.dotfiles {
			return "", false
		}
	}
	if !fs.ValidPath(p) {
		return "", false
	}
	return p, true
}

// etag derives a strong validator: from size and modification time for files
// that have one, else from a hash of the content (embedded files), computed
// once per file.
func (s *staticServer) etag(name string, fi fs.FileInfo, rs io.ReadSeeker) string {
	if mt := fi.ModTime(); !mt.IsZero() {
		return `"` + strconv.FormatInt(fi.Size(), 36) + "-" + strconv.FormatInt(mt.UnixNano(), 36) + `"`
	}
	if v, ok := s.etags.Load(name); ok {
		return v.(string)
	}
	hsh := sha256.New()
	if _, err := io.Copy(hsh, rs); err != nil {
		return ""
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return ""
	}
	tag := `"` + hex.EncodeToString(hsh.Sum(nil)[:12]) + `"`
	s.etags.Store(name, tag)
	return tag
}
