package covet

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"time"

	"github.com/covetgo/covet/core/internal/pathx"
	"github.com/covetgo/covet/core/internal/static"
)

// StaticOption configures static file serving.
type StaticOption func(*staticConfig)

type staticConfig = static.Config

// StaticIndex sets the file served for a directory (default "index.html";
// "" serves no index). Directory listings are never produced.
func StaticIndex(name string) StaticOption { return func(c *staticConfig) { c.Index = name } }

// StaticDotfiles serves files and directories whose name starts with '.'
// (hidden by default: they answer 404).
func StaticDotfiles() StaticOption { return func(c *staticConfig) { c.Dotfiles = true } }

// StaticMaxAge sets Cache-Control max-age on served files (default: no
// Cache-Control header; clients revalidate with the ETag).
func StaticMaxAge(d time.Duration) StaticOption { return func(c *staticConfig) { c.MaxAge = d } }

// StaticImmutable marks files as immutable (for fingerprinted assets): a
// year's max-age and the immutable directive.
func StaticImmutable() StaticOption {
	return func(c *staticConfig) { c.MaxAge = 365 * 24 * time.Hour; c.Immutable = true }
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
	return a.GET(pathx.Join(trimSlash(prefix), "/{path:path}"), StaticHandler(fsys, opts...)).Hidden()
}

// Static serves files under the group's prefix, as App.Static does.
func (g *Group) Static(prefix string, fsys fs.FS, opts ...StaticOption) *Route {
	return g.GET(pathx.Join(trimSlash(prefix), "/{path:path}"), StaticHandler(fsys, opts...)).Hidden()
}

// StaticHandler serves the file named by the route's "path" parameter from
// fsys; register it on a pattern ending in {path:path}.
func StaticHandler(fsys fs.FS, opts ...StaticOption) HandlerFunc {
	cfg := staticConfig{Index: "index.html"}
	for _, o := range opts {
		o(&cfg)
	}
	s := &static.Server{FS: fsys, Cfg: cfg}
	return func(c *Context) error {
		if err := s.Serve(c.Response(), c.Request(), c.Param("path")); err != nil {
			if errors.Is(err, static.ErrNotFound) {
				return staticNotFound()
			}
			return err
		}
		return nil
	}
}

// staticNotFound returns a new 404 for each request: an error handler or
// middleware may refine it (WithHeader) without touching another request's.
func staticNotFound() *Error { return NewError(http.StatusNotFound, "file not found") }
