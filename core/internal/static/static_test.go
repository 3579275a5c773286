package static

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func serve(t *testing.T, s *Server, method, target, param string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	err := s.Serve(w, httptest.NewRequest(method, target, nil), param)
	if err == ErrNotFound {
		w.Code = http.StatusNotFound
	} else if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return w
}

// TestTypesFromExtensionsOnly: a file without a known extension is not
// sniffed (an uploaded "avatar" starting with <html> must not become a
// page of the site).
func TestTypesFromExtensionsOnly(t *testing.T) {
	s := &Server{FS: fstest.MapFS{
		"upload":       {Data: []byte("<html><script>alert(1)</script>")},
		"a.unknownext": {Data: []byte("<!DOCTYPE html><p>")},
		"page.html":    {Data: []byte("<p>hi")},
		"notes.txt":    {Data: []byte("<html>")},
	}, Cfg: Config{Index: "index.html"}}
	for name, want := range map[string]string{
		"upload":       "application/octet-stream",
		"a.unknownext": "application/octet-stream",
		"page.html":    "text/html; charset=utf-8",
		"notes.txt":    "text/plain; charset=utf-8",
	} {
		w := serve(t, s, http.MethodGet, "/s/"+name, name)
		if w.Code != 200 || w.Header().Get("Content-Type") != want {
			t.Errorf("%s: %d %q, want %q", name, w.Code, w.Header().Get("Content-Type"), want)
		}
	}
}

// TestDirectoryRedirects: as net/http's FileServer, a directory is served
// at dir/ (its page's relative links then resolve inside it) and a file
// asked for as dir/ is redirected to its name; both relative, so the
// Location cannot name another host.
func TestDirectoryRedirects(t *testing.T) {
	s := &Server{FS: fstest.MapFS{
		"docs/index.html": {Data: []byte("docs")},
		"a.txt":           {Data: []byte("a")},
	}, Cfg: Config{Index: "index.html"}}
	cases := []struct{ target, param, loc string }{
		{"/s/docs", "docs", "docs/"},
		{"/s/docs?x=1", "docs", "docs/?x=1"},
		{"/s/a.txt/", "a.txt/", "../a.txt"},
	}
	for _, c := range cases {
		w := serve(t, s, http.MethodGet, c.target, c.param)
		if w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != c.loc {
			t.Errorf("GET %s: %d Location %q, want 301 %q", c.target, w.Code, w.Header().Get("Location"), c.loc)
		}
	}
	if w := serve(t, s, http.MethodGet, "/s/docs/", "docs/"); w.Code != 200 || w.Body.String() != "docs" {
		t.Errorf("GET /s/docs/: %d %q", w.Code, w.Body.String())
	}
	// No index: no redirect either.
	s.Cfg.Index = ""
	if w := serve(t, s, http.MethodGet, "/s/docs", "docs"); w.Code != http.StatusNotFound {
		t.Errorf("GET /s/docs without index: %d", w.Code)
	}
	if w := serve(t, s, http.MethodGet, "/s/", ""); w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "a.txt") {
		t.Errorf("GET /s/ without index: %d %q (no listing)", w.Code, w.Body.String())
	}
}
