package covet

import (
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/covetgo/covet/core/internal/binding"
	irouter "github.com/covetgo/covet/core/internal/router"
	"github.com/covetgo/covet/core/internal/upload"
	"github.com/julienschmidt/httprouter"
)

// Fuzz targets for the hostile-input cleaners (issue 13): upload file
// names, the query parser, the path cleaner and cookies. Each checks the
// property an attacker would try to break, not only the absence of panics.
// Run one with
//
//	go test -run '^$' -fuzz '^FuzzSanitizeFilename$' -fuzztime 60s .
//
// or all of them, FUZZTIME each, with scripts/fuzz.sh.

// FuzzSanitizeFilename: a cleaned upload name is a plain base name (no
// separator, control or format character, not "." or ".."), valid UTF-8,
// trimmed, and cleaning it again changes nothing.
func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{
		"report.pdf", "../../etc/passwd", `C:\Users\x\evil.exe`, "invoice\u202efdp.exe",
		"a\u2066b\u2069c\u200e\u200f", " .. ", "x/.", "\x00\x1f\x7f", "\xff\xfe.txt", "dir/\u00a0", "\ufeff.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := upload.SanitizeFilename(name)
		if !utf8.ValidString(got) {
			t.Fatalf("upload.SanitizeFilename(%q) = %q: invalid UTF-8", name, got)
		}
		for _, r := range got {
			if r == '/' || r == '\\' || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("upload.SanitizeFilename(%q) = %q keeps %U", name, got, r)
			}
		}
		if got == "." || got == ".." || got != strings.TrimSpace(got) {
			t.Fatalf("upload.SanitizeFilename(%q) = %q", name, got)
		}
		if again := upload.SanitizeFilename(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", name, got, again)
		}
	})
}

// FuzzQueryParser: the one query parser gives net/url's answer, and a
// middleware reading c.Query sees what a typed handler binds (issue 13 #7:
// two parsers once disagreed on the tenant).
func FuzzQueryParser(f *testing.F) {
	for _, s := range []string{
		"tenant=a", "tenant=a;tenant=b", "tenant=a&tenant=b", "x=%zz&tenant=c", "tenant=%E2%82%AC",
		"tenant", "=&&tenant=+d+", "tenant=a%3Btenant%3Db", "ten%61nt=e", "tenant=%00",
	} {
		f.Add(s)
	}
	type in struct {
		Tenant string   `query:"tenant"`
		All    []string `query:"x"`
	}
	app := New()
	var seen, bound string
	var seenOK bool
	Get(app, "/q", func(c *Context, in *in) (*struct{}, error) {
		seen, seenOK = c.Query("tenant"), c.QueryValues().Has("tenant")
		bound = in.Tenant
		return nil, nil
	})
	f.Fuzz(func(t *testing.T, raw string) {
		want, err := url.ParseQuery(raw)
		got := binding.ParseQuery(raw)
		if binding.TooManyQueryParams(raw) {
			if len(got) != 0 {
				t.Fatalf("too many parameters, yet %d keys parsed", len(got))
			}
			return
		}
		if len(want) == 0 && len(got) == 0 {
			// equal, whatever the map's nil-ness
		} else if !reflect.DeepEqual(got, want) {
			t.Fatalf("parseQuery(%q) = %v, net/url gives %v (%v)", raw, got, want, err)
		}
		if strings.ContainsAny(raw, "#") {
			return // not a query a request line can carry
		}
		seen, bound, seenOK = "", "", false
		r := httptest.NewRequest(http.MethodGet, "/q", nil)
		r.URL.RawQuery = raw
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, r)
		switch rec.Code {
		case http.StatusNoContent:
			if seen != bound || seen != want.Get("tenant") || seenOK != want.Has("tenant") {
				t.Fatalf("query %q: c.Query gives %q (present %v), binding %q, net/url %q", raw, seen, seenOK, bound, want.Get("tenant"))
			}
		case http.StatusBadRequest, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("query %q: status %d: %s", raw, rec.Code, rec.Body)
		}
	})
}

// FuzzPathCleaner: uncleanPath agrees with httprouter.CleanPath, no handler
// is handed a "." or ".." parameter or a path value with dot-segments, and
// a redirect to the clean form stays on this site (no "//host" or
// "/\host" open redirect) and is clean itself.
func FuzzPathCleaner(f *testing.F) {
	for _, s := range []string{
		"/files/a/b.txt", "/files/../../etc/passwd", "/names/..", "/names/.", "//evil.example/x",
		"/\\evil.example", "/files/a/./b", "/files//x", "/names/%2e%2e", "/files/..%2f..%2fetc", "/a/b/../../../",
		"/files/x\\..\\..\\y",
	} {
		f.Add(s)
	}
	app := New(WithLogger(slog.New(slog.DiscardHandler)))
	segs := func(v string, seps string) []string {
		return strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(seps, r) })
	}
	// The documented rule: a {name} value is never "." or ".." and holds no
	// ".." segment after a backslash (".\" is a plain name: it walks
	// nowhere); a {p:path} value holds no "." or ".." segment, either
	// separator.
	badName := func(v string) bool {
		return v == "." || v == ".." || slices.Contains(segs(v, "\\"), "..")
	}
	badPath := func(v string) bool {
		return slices.Contains(segs(v, "/\\"), ".") || slices.Contains(segs(v, "/\\"), "..")
	}
	var got []string
	var gotPath []string
	app.GET("/files/{p:path}", func(c *Context) error { gotPath = append(gotPath, c.Param("p")); return nil })
	app.GET("/names/{name}", func(c *Context) error { got = append(got, c.Param("name")); return nil })
	app.GET("/names/{name}/x", func(c *Context) error { got = append(got, c.Param("name")); return nil })
	f.Fuzz(func(t *testing.T, p string) {
		if p == "" || p[0] != '/' {
			p = "/" + p
		}
		if clean := httprouter.CleanPath(p); irouter.UncleanPath(p) != (clean != p) {
			t.Fatalf("UncleanPath(%q) = %v, CleanPath gives %q", p, irouter.UncleanPath(p), clean)
		}
		u, err := url.Parse(p)
		if err != nil || u.Path == "" || u.Path[0] != '/' || u.Host != "" {
			return
		}
		got, gotPath = got[:0], gotPath[:0]
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL = &url.URL{Path: u.Path, RawPath: u.RawPath}
		r.RequestURI = u.RequestURI()
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, r)
		for _, v := range got {
			if badName(v) {
				t.Fatalf("path %q: handler got {name} %q", p, v)
			}
		}
		for _, v := range gotPath {
			if badPath(v) {
				t.Fatalf("path %q: handler got {p:path} %q", p, v)
			}
		}
		if loc := rec.Header().Get("Location"); loc != "" {
			if rec.Code < 300 || rec.Code > 399 {
				t.Fatalf("path %q: Location %q with status %d", p, loc, rec.Code)
			}
			lu, err := url.Parse(loc)
			if err != nil || lu.Host != "" || lu.Scheme != "" || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
				t.Fatalf("path %q: redirect to %q leaves the site", p, loc)
			}
			if lp := lu.Path; lp != "" && httprouter.CleanPath(lp) != lp {
				t.Fatalf("path %q: redirect to unclean %q", p, loc)
			}
		}
		switch rec.Code {
		case http.StatusOK, http.StatusMovedPermanently, http.StatusPermanentRedirect, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusBadRequest:
		default:
			t.Fatalf("path %q: status %d: %s", p, rec.Code, rec.Body)
		}
	})
}

// FuzzCookies: reading a hostile Cookie header never fails the request, and
// c.Cookie agrees with typed cookie binding; SetCookie with any name and
// value never splits the header or smuggles attributes in (the secure
// defaults survive).
func FuzzCookies(f *testing.F) {
	f.Add("session=abc; theme=dark", "session", "v1")
	f.Add(`session="quoted"; session=second`, "session", "a; Domain=evil.example")
	f.Add("session=a\x00b;;=;  ; session", "bad name", "x\r\nSet-Cookie: admin=1")
	f.Add("SESSION=x; session=%zz", "session", "\"\\\x7f€")
	// net/http reports the bytes it drops from a cookie value through the
	// standard logger: quiet while fuzzing.
	prev := log.Writer()
	log.SetOutput(io.Discard)
	f.Cleanup(func() { log.SetOutput(prev) })
	type in struct {
		Session string `cookie:"session"`
	}
	app := New(WithLogger(slog.New(slog.DiscardHandler)))
	var fromCtx, bound string
	var present bool
	Get(app, "/c", func(c *Context, in *in) (*struct{}, error) {
		fromCtx, present = c.Cookie("session")
		bound = in.Session
		return nil, nil
	})
	var setName, setValue string
	app.GET("/set", func(c *Context) error {
		c.SetCookie(setName, setValue)
		return c.NoContent(http.StatusNoContent)
	})
	f.Fuzz(func(t *testing.T, header, name, value string) {
		fromCtx, bound, present = "", "", false
		r := httptest.NewRequest(http.MethodGet, "/c", nil)
		r.Header.Set("Cookie", header)
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, r)
		switch rec.Code {
		case http.StatusNoContent:
			if present && fromCtx != bound {
				t.Fatalf("Cookie %q: c.Cookie gives %q, binding %q", header, fromCtx, bound)
			}
		case http.StatusUnprocessableEntity, http.StatusBadRequest:
		default:
			t.Fatalf("Cookie %q: status %d: %s", header, rec.Code, rec.Body)
		}

		setName, setValue = name, value
		rec = httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/set", nil))
		if rec.Code != http.StatusNoContent {
			t.Fatalf("SetCookie(%q, %q): status %d", name, value, rec.Code)
		}
		for _, line := range rec.Header().Values("Set-Cookie") {
			if strings.ContainsAny(line, "\r\n\x00") {
				t.Fatalf("SetCookie(%q, %q) wrote %q", name, value, line)
			}
			ck, err := http.ParseSetCookie(line)
			if err != nil {
				t.Fatalf("SetCookie(%q, %q) wrote %q, which does not parse: %v", name, value, line, err)
			}
			if ck.Name != name || ck.Domain != "" || ck.Path != "/" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.MaxAge != 0 {
				t.Fatalf("SetCookie(%q, %q) wrote %q: attributes changed: %+v", name, value, line, ck)
			}
		}
	})
}
