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
// "" none); directories are never listed.
func StaticIndex(name string) StaticOption { return func(c *staticConfig) { c.Index = name } }

// StaticDotfiles serves names starting with '.' (404 by default).
func StaticDotfiles() StaticOption { return func(c *staticConfig) { c.Dotfiles = true } }

// StaticMaxAge sets Cache-Control max-age on served files (default: no
// Cache-Control header; clients revalidate with the ETag).
func StaticMaxAge(d time.Duration) StaticOption { return func(c *staticConfig) { c.MaxAge = d } }

// StaticImmutable marks files as immutable (for fingerprinted assets): a
// year's max-age and the immutable directive.
func StaticImmutable() StaticOption {
	return func(c *staticConfig) { c.MaxAge = 365 * 24 * time.Hour; c.Immutable = true }
}

// Dir returns a file system for a directory that cannot be escaped (os.Root:
// ".." and symlinks leading outside are refused, unlike http.Dir).
func Dir(dir string) (fs.FS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return root.FS(), nil
}

// Static serves the files of fsys under prefix for GET and HEAD, with ETag
// and Last-Modified validators, Range requests and content types by
// extension. Paths with "..", backslashes, NUL or (by default) dotfiles
// answer 404; for files on disk use Dir.
func (a *App) Static(prefix string, fsys fs.FS, opts ...StaticOption) *Route {
	return a.GET(pathx.Join(pathx.TrimSlash(prefix), "/{path:path}"), StaticHandler(fsys, opts...)).Hidden()
}

// Static serves files under the group's prefix, as App.Static does.
func (g *Group) Static(prefix string, fsys fs.FS, opts ...StaticOption) *Route {
	return g.GET(pathx.Join(pathx.TrimSlash(prefix), "/{path:path}"), StaticHandler(fsys, opts...)).Hidden()
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
			var se *static.StatusError
			if errors.As(err, &se) {
				e := NewError(se.Status, se.Detail)
				if cr := c.Response().Header().Get("Content-Range"); cr != "" && se.Status == http.StatusRequestedRangeNotSatisfiable {
					e = e.WithHeader("Content-Range", cr) // the error handler drops the response's own
				}
				return e
			}
			return err
		}
		return nil
	}
}

// staticNotFound is a new 404 per request, which an error handler may refine.
func staticNotFound() *Error { return NewError(http.StatusNotFound, "file not found") }
