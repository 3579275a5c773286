// Package static is the implementation of covet's static file serving
// (App.Static, StaticHandler): name cleaning that cannot leave the root,
// index files, ETags and Cache-Control. covet's static.go keeps the options
// and turns ErrNotFound into its 404 problem.
package static

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config is what covet's StaticOptions set.
type Config struct {
	Index     string
	Dotfiles  bool
	MaxAge    time.Duration
	Immutable bool
}

// ErrNotFound: no file answers the request (also for refused names).
var ErrNotFound = errors.New("file not found")

// Server serves the files of FS.
type Server struct {
	FS    fs.FS
	Cfg   Config
	etags sync.Map // name → etag, for files without a modification time
}

// Serve answers r with the file named by p (the route's {path:path} value),
// or returns ErrNotFound (nothing written) or a read error.
func (s *Server) Serve(w http.ResponseWriter, r *http.Request, p string) error {
	name, ok := s.cleanName(p)
	if !ok {
		return ErrNotFound
	}
	f, fi, err := s.open(name)
	if err != nil {
		return ErrNotFound
	}
	defer f.Close()
	slash := strings.HasSuffix(p, "/")
	if slash && !fi.IsDir() {
		// A file asked for as a directory: its relative links would
		// resolve one level too deep.
		localRedirect(w, r, "../"+path.Base(name))
		return nil
	}
	if fi.IsDir() {
		if s.Cfg.Index == "" {
			return ErrNotFound
		}
		if !slash && name != "." {
			// As net/http: a directory's page is served at dir/, so
			// that its relative links resolve inside the directory.
			localRedirect(w, r, path.Base(name)+"/")
			return nil
		}
		f.Close()
		name = path.Join(name, s.Cfg.Index)
		if name == "." || strings.HasPrefix(name, "./") {
			name = s.Cfg.Index
		}
		f, fi, err = s.open(name)
		if err != nil || fi.IsDir() {
			return ErrNotFound
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
	h := w.Header()
	if etag := s.etag(name, fi, rs); etag != "" {
		h.Set("ETag", etag)
	}
	if s.Cfg.MaxAge > 0 {
		cc := "public, max-age=" + strconv.Itoa(int(s.Cfg.MaxAge/time.Second))
		if s.Cfg.Immutable {
			cc += ", immutable"
		}
		h.Set("Cache-Control", cc)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	if _, set := h["Content-Type"]; !set && mime.TypeByExtension(path.Ext(name)) == "" {
		// Types come from extensions only: http.ServeContent would sniff
		// the content, and serve an uploaded file without extension
		// that starts with <html> as text/html (stored XSS).
		h.Set("Content-Type", "application/octet-stream")
	}
	if rg, ok := r.Header["Range"]; ok && len(rg) == 1 {
		var size int64
		if fi.Mode().IsRegular() {
			size = fi.Size()
		} else if size, err = rs.Seek(0, io.SeekEnd); err != nil {
			return err
		} else if _, err = rs.Seek(0, io.SeekStart); err != nil {
			return err
		}
		kept, dropped := dropZeroSuffixes(rg[0])
		if dropped && kept == "" && size > 0 {
			h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			return &StatusError{Status: http.StatusRequestedRangeNotSatisfiable, Detail: "invalid range: failed to overlap"}
		}
		if dropped {
			r2 := *r
			r2.Header = r.Header.Clone()
			if kept == "" {
				delete(r2.Header, "Range")
			} else {
				r2.Header["Range"] = []string{kept}
			}
			r = &r2
		}
	}
	ec := &errorCatcher{w: w}
	http.ServeContent(ec, r, path.Base(name), fi.ModTime(), rs)
	if ec.status != 0 {
		// http.Error's headers: the problem sets its own.
		delete(h, "Content-Type")
		delete(h, "X-Content-Type-Options")
		detail := strings.TrimSpace(ec.msg.String())
		if detail == "" {
			detail = strings.ToLower(http.StatusText(ec.status))
		}
		return &StatusError{Status: ec.status, Detail: detail}
	}
	return nil
}

// StatusError is an error answer http.ServeContent gave (416 for a range
// outside the file, 412 for a failed If-Match or If-Unmodified-Since, 500
// for a failed seek), for covet to write as a problem: ServeContent wrote
// them as text/plain.
type StatusError struct {
	Status int
	Detail string
}

func (e *StatusError) Error() string { return e.Detail }

// errorCatcher passes http.ServeContent's successful answers (200, 206, 304)
// to the client and keeps its error answers for Serve to return.
type errorCatcher struct {
	w      http.ResponseWriter
	status int
	msg    strings.Builder
}

func (e *errorCatcher) Header() http.Header { return e.w.Header() }

func (e *errorCatcher) WriteHeader(code int) {
	if code >= 400 && e.status == 0 {
		e.status = code
		return
	}
	e.w.WriteHeader(code)
}

func (e *errorCatcher) Write(b []byte) (int, error) {
	if e.status != 0 {
		if e.msg.Len() < 512 {
			e.msg.Write(b)
		}
		return len(b), nil
	}
	return e.w.Write(b)
}

// ReadFrom keeps the response writer's ReadFrom (sendfile for *os.File).
func (e *errorCatcher) ReadFrom(src io.Reader) (int64, error) {
	if rf, ok := e.w.(io.ReaderFrom); ok && e.status == 0 {
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{e}, src)
}

// writerOnly hides errorCatcher's ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }

// dropZeroSuffixes removes the suffix ranges of length zero ("-0") from a
// Range header's byte ranges: RFC 9110 §14.1.1 calls them unsatisfiable,
// and http.ServeContent answered one with 206 and "Content-Range: bytes
// 6-5/6". It reports whether any was removed; kept is "" when none is left.
func dropZeroSuffixes(v string) (kept string, dropped bool) {
	specs, ok := strings.CutPrefix(v, "bytes=")
	if !ok || !strings.Contains(specs, "-0") {
		return v, false
	}
	var keep []string
	for _, sp := range strings.Split(specs, ",") {
		t := strings.TrimSpace(sp)
		if len(t) > 1 && t[0] == '-' && strings.Trim(t[1:], "0") == "" {
			dropped = true
			continue
		}
		keep = append(keep, sp)
	}
	if !dropped {
		return v, false
	}
	if len(keep) == 0 {
		return "", true
	}
	return "bytes=" + strings.Join(keep, ","), true
}

// localRedirect answers 301 to a location relative to the request's path
// (never one that could name another host), keeping the query.
func localRedirect(w http.ResponseWriter, r *http.Request, to string) {
	if q := r.URL.RawQuery; q != "" {
		to += "?" + q
	}
	w.Header().Set("Location", to)
	w.WriteHeader(http.StatusMovedPermanently)
}

func (s *Server) open(name string) (fs.File, fs.FileInfo, error) {
	f, err := s.FS.Open(name)
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
func (s *Server) cleanName(p string) (string, bool) {
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
		if seg[0] == '.' && !s.Cfg.Dotfiles {
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
func (s *Server) etag(name string, fi fs.FileInfo, rs io.ReadSeeker) string {
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
