// Package pathx holds small helpers of covet's registration: joining a
// group prefix and a pattern, serving a mounted handler under its prefix,
// finding where (file:line) the user registered something, and trimming a
// prefix's trailing slashes. It does not import covet.
package pathx

import (
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
)

// Join joins a group prefix and a route pattern: "" is the prefix itself
// (/api/tasks), "/" the prefix with a trailing slash (/api/tasks/).
func Join(prefix, p string) string {
	if prefix == "" {
		if p == "" {
			return "/"
		}
		return p
	}
	if p == "" {
		return prefix
	}
	return strings.TrimSuffix(prefix, "/") + p
}

// Mounted serves h under the path prefix full (no trailing slash): the
// prefix is stripped, and the mount root itself is served as "/" so the
// mounted handler sees its root.
func Mounted(full string, h http.Handler) func(w http.ResponseWriter, r *http.Request) {
	strip := http.StripPrefix(full, h)
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == full {
			r2 := new(http.Request)
			*r2 = *r
			u := *r.URL
			u.Path = full + "/"
			u.RawPath = ""
			r2.URL = &u
			r = r2
		}
		strip.ServeHTTP(w, r)
	}
}

// CallerDir returns the directory of its caller's source file.
func CallerDir() string {
	_, file, _, _ := runtime.Caller(1)
	return filepath.Dir(file)
}

// CallerOutside returns the first caller whose file is outside dir's
// non-test files: where the user registered a route.
func CallerOutside(dir string) (string, int) {
	var pcs [16]uintptr
	n := runtime.Callers(2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if filepath.Dir(f.File) != dir || strings.HasSuffix(f.File, "_test.go") {
			return f.File, f.Line
		}
		if !more {
			return f.File, f.Line
		}
	}
}

// ValidMethod reports whether m is an HTTP token (RFC 9110 §5.6.2), as a
// method must be.
func ValidMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		if c := m[i]; c <= 0x20 || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// TrimSlash drops a prefix's trailing slashes; "/" (or "") is the empty
// prefix.
func TrimSlash(p string) string {
	for len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	if p == "/" {
		return ""
	}
	return p
}
