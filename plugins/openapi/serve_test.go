package openapi_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/openapi"
)

func get(t *testing.T, h http.Handler, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestBuiltOnce: the document is built when the app freezes, once; serving
// it (in every form) again and again does not rebuild it.
func TestBuiltOnce(t *testing.T) {
	app := covet.New()
	covet.Get(app, "/a/{id}", func(c *covet.Context, in *TaskPath) (*Task, error) { return &Task{}, nil })
	p := openapi.New(openapi.WithDocument("/openapi-3.0.json", openapi.V30, openapi.JSON))
	if err := app.Install(p); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Document(openapi.V31, openapi.JSON); err == nil {
		t.Error("a document before the app froze")
	}
	if n := openapi.BuildsOf(p); n != 0 {
		t.Fatalf("built %d times before serving", n)
	}
	var first []byte
	for i := range 3 {
		for _, path := range []string{"/openapi.json", "/openapi.yaml", "/openapi-3.0.json"} {
			rec := get(t, app, path)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d", path, rec.Code)
			}
			if path == "/openapi.json" {
				if i == 0 {
					first = rec.Body.Bytes()
				} else if !bytes.Equal(first, rec.Body.Bytes()) {
					t.Fatal("the document changed between requests")
				}
			}
		}
	}
	if n := openapi.BuildsOf(p); n != 1 {
		t.Errorf("built %d times, want 1", n)
	}
	doc, err := p.Document(openapi.V31, openapi.JSON)
	if err != nil || !bytes.Equal(doc, first) {
		t.Errorf("Document: %v", err)
	}
}

// TestServedDocuments: content types, versions, validators and 304s.
func TestServedDocuments(t *testing.T) {
	app := newTestApp(openapi.WithDocument("/openapi-3.0.yaml", openapi.V30, openapi.YAML))
	tests := []struct {
		path, ctype, version string
	}{
		{"/openapi.json", "application/json", `"openapi":"3.1.0"`},
		{"/openapi.yaml", "application/yaml", `openapi: "3.1.0"`},
		{"/openapi-3.0.yaml", "application/yaml", `openapi: "3.0.3"`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := get(t, app, tt.path)
			if rec.Code != 200 || rec.Header().Get("Content-Type") != tt.ctype || !strings.Contains(rec.Body.String(), tt.version) {
				t.Fatalf("%d %q %.80s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
			}
			etag := rec.Header().Get("ETag")
			if etag == "" || rec.Header().Get("Cache-Control") != "no-cache" {
				t.Fatalf("validators %v", rec.Header())
			}
			if again := get(t, app, tt.path, "If-None-Match", etag); again.Code != http.StatusNotModified {
				t.Errorf("If-None-Match: %d", again.Code)
			}
		})
	}
}

var externalRef = regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:)?//`)

// TestDocsPages: the pages load their scripts and styles from the app
// (relative URLs carrying the content hash), under a CSP without inline
// scripts, and reference no other origin.
func TestDocsPages(t *testing.T) {
	app := newTestApp()
	for _, path := range []string{"/docs", "/redoc"} {
		t.Run(path, func(t *testing.T) {
			rec := get(t, app, path)
			if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("%d %v", rec.Code, rec.Header())
			}
			html := rec.Body.String()
			csp := rec.Header().Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "script-src 'self';", "connect-src 'self' https://api.example.com"} {
				if !strings.Contains(csp+";", want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if m := externalRef.FindString(html); m != "" {
				t.Errorf("the page references another origin: %s", m)
			}
			if strings.Contains(html, "<script>") || strings.Contains(html, "style=") {
				t.Errorf("inline script or style in the page:\n%s", html)
			}
			srcs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(html, -1)
			if len(srcs) < 3 {
				t.Fatalf("assets %v", srcs)
			}
			for _, m := range srcs {
				u := m[1]
				if !strings.HasPrefix(u, "docs/assets/") || !strings.Contains(u, "?v=") {
					t.Errorf("asset URL %q", u)
				}
				a := get(t, app, "/"+u)
				if a.Code != 200 || a.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" || a.Header().Get("ETag") == "" {
					t.Errorf("%s: %d %v", u, a.Code, a.Header())
				}
				if again := get(t, app, "/"+u, "If-None-Match", a.Header().Get("ETag")); again.Code != http.StatusNotModified {
					t.Errorf("%s: If-None-Match: %d", u, again.Code)
				}
			}
			if !strings.Contains(html, `data-spec-url="openapi.json"`) {
				t.Errorf("spec URL not relative: %s", html)
			}
		})
	}
	t.Run("gzip", func(t *testing.T) {
		plain := get(t, app, "/docs/assets/swagger-ui/swagger-ui-bundle.js")
		gz := get(t, app, "/docs/assets/swagger-ui/swagger-ui-bundle.js", "Accept-Encoding", "br, gzip")
		if gz.Header().Get("Content-Encoding") != "gzip" || gz.Header().Get("ETag") == plain.Header().Get("ETag") || !strings.Contains(gz.Header().Get("Vary"), "Accept-Encoding") {
			t.Fatalf("gzip headers %v", gz.Header())
		}
		zr, err := gzip.NewReader(gz.Body)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(body, plain.Body.Bytes()) || gz.Body.Len() >= len(body)/2 {
			t.Errorf("gzip body: %v, %d -> %d bytes", err, len(body), gz.Body.Len())
		}
		if r := get(t, app, "/docs/assets/swagger-ui/swagger-ui-bundle.js", "Accept-Encoding", "gzip;q=0"); r.Header().Get("Content-Encoding") != "" {
			t.Error("gzip sent though refused")
		}
	})
	t.Run("unknown assets", func(t *testing.T) {
		for _, p := range []string{"/docs/assets/../openapi.json", "/docs/assets/swagger-ui/LICENSE", "/docs/assets/nope.js", "/docs/assets/"} {
			if rec := get(t, app, p); rec.Code == 200 {
				t.Errorf("%s served", p)
			}
		}
	})
}

// cdnHosts are hosts docs pages commonly load from.
var cdnHosts = []string{"unpkg.com", "cdn.jsdelivr.net", "cdnjs.cloudflare.com", "fonts.googleapis.com", "fonts.gstatic.com", "cdn.redoc.ly", "cdn.redocly.com"}

// TestEmbeddedAssetsAreOffline: the embedded styles import nothing and load
// no url() from another origin; the scripts name no CDN; Swagger UI's
// default validator badge (validator.swagger.io) is turned off.
func TestEmbeddedAssetsAreOffline(t *testing.T) {
	cssURL := regexp.MustCompile(`(?i)(@import|url\(\s*["']?\s*(https?:)?//)`)
	err := filepath.WalkDir("assets", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch filepath.Ext(path) {
		case ".css":
			if m := cssURL.Find(b); m != nil {
				t.Errorf("%s: %s", path, m)
			}
		case ".js":
			for _, h := range cdnHosts {
				if bytes.Contains(b, []byte(h)) {
					t.Errorf("%s names %s", path, h)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	init, _ := os.ReadFile("assets/covet/swagger-init.js")
	if !bytes.Contains(init, []byte("validatorUrl: null")) {
		t.Error("swagger-init.js must turn the validator badge off")
	}
}

// TestVendoredSources: every vendored file is the one SOURCES.json records
// (a bundle stored as name.gz once decompressed).
func TestVendoredSources(t *testing.T) {
	for _, dir := range []string{"assets", "testdata/oas-schemas"} {
		b, err := os.ReadFile(filepath.Join(dir, "SOURCES.json"))
		if err != nil {
			t.Fatal(err)
		}
		var src struct {
			Packages []struct {
				Package, Version, Integrity string
				Files                       []struct{ Path, SHA256 string }
			}
		}
		if err := json.Unmarshal(b, &src); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range src.Packages {
			if p.Version == "" || !strings.HasPrefix(p.Integrity, "sha512-") {
				t.Errorf("%s: %+v", dir, p)
			}
			for _, f := range p.Files {
				data, err := os.ReadFile(filepath.Join(dir, f.Path))
				if errors.Is(err, fs.ErrNotExist) {
					data, err = gunzipFile(filepath.Join(dir, f.Path+".gz"))
				}
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(data)
				if hex.EncodeToString(sum[:]) != f.SHA256 {
					t.Errorf("%s/%s does not match SOURCES.json: rerun scripts/vendor-assets.sh", dir, f.Path)
				}
				n++
			}
		}
		if n == 0 {
			t.Errorf("%s: no files recorded", dir)
		}
	}
}

// TestPaths: paths are configurable, can be turned off, and the plugin's
// routes are hidden from the document.
func TestPaths(t *testing.T) {
	app := covet.New()
	app.GET("/x", func(c *covet.Context) error { return nil }).Summary("X")
	err := app.Install(openapi.New(openapi.WithJSONPath("/api/spec.json"), openapi.WithYAMLPath(""),
		openapi.WithSwaggerUI("/api/ui"), openapi.WithRedoc(""), openapi.WithAssetsPath("/static/docs")))
	if err != nil {
		t.Fatal(err)
	}
	rec := get(t, app, "/api/spec.json")
	var doc struct{ Paths map[string]any }
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || len(doc.Paths) != 1 || doc.Paths["/x"] == nil {
		t.Fatalf("paths %v (%v)", doc.Paths, err)
	}
	for _, p := range []string{"/openapi.json", "/openapi.yaml", "/docs", "/redoc"} {
		if get(t, app, p).Code != http.StatusNotFound {
			t.Errorf("%s is served", p)
		}
	}
	ui := get(t, app, "/api/ui").Body.String()
	if !strings.Contains(ui, `data-spec-url="spec.json"`) || !strings.Contains(ui, `src="../static/docs/swagger-ui/swagger-ui-bundle.js?v=`) {
		t.Errorf("page URLs:\n%s", ui)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		opts []openapi.Option
		want string
	}{
		{"relative path", []openapi.Option{openapi.WithJSONPath("openapi.json")}, "must start with /"},
		{"same path twice", []openapi.Option{openapi.WithYAMLPath("/openapi.json")}, "configured twice"},
		{"docs without JSON", []openapi.Option{openapi.WithJSONPath("")}, "need the JSON document"},
		{"unknown version", []openapi.Option{openapi.WithSpecVersion("2.0")}, "unknown OpenAPI version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := covet.New().Install(openapi.New(tt.opts...))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestBuildErrors: mistakes in route metadata stop the app from serving,
// naming the route.
func TestBuildErrors(t *testing.T) {
	h := func(c *covet.Context) error { return nil }
	tests := []struct {
		name  string
		setup func(app *covet.App)
		want  string
	}{
		{"operation id used twice", func(app *covet.App) {
			app.GET("/a", h).OperationID("same")
			app.GET("/b", h).OperationID("same")
		}, `operation id "same" is already used by route GET /a`},
		{"unregistered security scheme", func(app *covet.App) {
			app.GET("/a", h).Security("jwt")
		}, `security scheme "jwt" is not registered`},
		{"request example of the wrong type", func(app *covet.App) {
			covet.Post(app, "/a", func(c *covet.Context, in *SearchIn) (*Token, error) { return nil, nil }).With(openapi.RequestExample(Check{}))
		}, "RequestExample is a openapi_test.Check"},
		{"response example on a plain route", func(app *covet.App) {
			app.GET("/a", h).With(openapi.ResponseExample(Token{}))
		}, "ResponseExample on a route without a typed output"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := covet.New()
			tt.setup(app)
			if err := app.Install(openapi.New()); err != nil {
				t.Fatal(err)
			}
			err := openapi.Export(app, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Export: %v, want %q", err, tt.want)
			}
			err = app.Start(t.Context())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start: %v, want %q", err, tt.want)
			}
			_ = app.Stop(t.Context())
		})
	}
}

// TestSkippedRoutes: routes OpenAPI cannot express are listed and logged,
// the others documented; same-shaped paths share one template.
func TestSkippedRoutes(t *testing.T) {
	h := func(c *covet.Context) error { return nil }
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	app.GET("/users/{id:int}", h)
	app.GET("/users/{name}", h)
	app.DELETE("/users/{name}", h)
	app.Handle("PURGE", "/cache", h)
	p := openapi.New()
	if err := app.Install(p); err != nil {
		t.Fatal(err)
	}
	if rec := get(t, app, "/openapi.json"); rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	sk := p.Skipped()
	if len(sk) != 2 || sk[0].Route.Pattern != "/users/{name}" || sk[1].Route.Method != "PURGE" {
		t.Fatalf("skipped %+v", sk)
	}
	doc, _ := p.Document(openapi.V31, openapi.JSON)
	if !bytes.Contains(doc, []byte(`"/users/{id}":{"get"`)) || !bytes.Contains(doc, []byte(`"delete":{"operationId":"deleteUsersById"`)) {
		t.Errorf("document %s", doc)
	}
}

// TestOAuth2RedirectPage: Swagger UI's oauth2-redirect.html (vendored from
// the same swagger-ui-dist) is served beside the assets, as HTML under the
// pages' CSP (its script is a file of the own origin, no inline script),
// revalidated rather than cached for a year (its URL has no content hash),
// without a referrer (its URL carries the authorization code); Swagger UI's
// config points oauth2RedirectUrl at it.
func TestOAuth2RedirectPage(t *testing.T) {
	app := newTestApp()
	docs := get(t, app, "/docs")
	if !strings.Contains(docs.Body.String(), `data-oauth2-redirect-url="docs/assets/swagger-ui/oauth2-redirect.html"`) {
		t.Fatalf("the Swagger UI page does not name the redirect page: %s", docs.Body.String())
	}
	init, _ := os.ReadFile("assets/covet/swagger-init.js")
	if !bytes.Contains(init, []byte(`oauth2RedirectUrl: new URL(el.getAttribute("data-oauth2-redirect-url"), location.href).href`)) {
		t.Error("swagger-init.js does not set oauth2RedirectUrl from the page")
	}

	rec := get(t, app, "/docs/assets/swagger-ui/oauth2-redirect.html")
	h := rec.Header()
	if rec.Code != 200 || h.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("redirect page: %d %v", rec.Code, h)
	}
	if h.Get("Content-Security-Policy") != docs.Header().Get("Content-Security-Policy") {
		t.Errorf("redirect page CSP %q, want the pages' %q", h.Get("Content-Security-Policy"), docs.Header().Get("Content-Security-Policy"))
	}
	// Authorize fetches the token endpoint from the page: its origin (set
	// on the scheme after Install) is allowed; the popup keeps its opener.
	if csp := docs.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' https://api.example.com https://auth.example.com;") {
		t.Errorf("docs CSP %q does not allow the token URL's origin", csp)
	}
	if coop := docs.Header().Get("Cross-Origin-Opener-Policy"); coop != "same-origin-allow-popups" {
		t.Errorf("docs page COOP %q", coop)
	}
	for name, want := range map[string]string{"Cache-Control": "no-cache", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
		"Cross-Origin-Opener-Policy": "unsafe-none"} {
		if h.Get(name) != want {
			t.Errorf("redirect page %s = %q, want %q", name, h.Get(name), want)
		}
	}
	body := rec.Body.String()
	if !strings.Contains(body, `<script src="oauth2-redirect.js"></script>`) || regexp.MustCompile(`<script>`).MatchString(body) {
		t.Errorf("redirect page body: %s", body)
	}
	js := get(t, app, "/docs/assets/swagger-ui/oauth2-redirect.js")
	if js.Code != 200 || js.Header().Get("Content-Type") != "text/javascript; charset=utf-8" ||
		!strings.Contains(js.Body.String(), "swaggerUIRedirectOauth2") || js.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("redirect script: %d %v", js.Code, js.Header())
	}
	if again := get(t, app, "/docs/assets/swagger-ui/oauth2-redirect.html", "If-None-Match", h.Get("ETag")); again.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", again.Code)
	}
}

func gunzipFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
