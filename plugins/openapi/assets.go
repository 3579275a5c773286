package openapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	covet "github.com/covetgo/covet/core"
)

// The docs pages' assets: Swagger UI and ReDoc as vendored from npm by
// scripts/vendor-assets.sh (sources and checksums in assets/SOURCES.json),
// and the plugin's own init scripts. Nothing is loaded from another origin.
// The three bundles are stored gzip-compressed (name.gz, 0.8 MB instead of
// 3 MB in every app's binary): served as they are to clients that accept
// gzip, decompressed once on the first request of one that does not.
//
//go:embed assets/swagger-ui/swagger-ui-bundle.js.gz assets/swagger-ui/swagger-ui.css.gz
//go:embed assets/swagger-ui/oauth2-redirect.html assets/swagger-ui/oauth2-redirect.js
//go:embed assets/redoc/redoc.standalone.js.gz
//go:embed assets/covet/*.js assets/covet/*.css
var assetFS embed.FS

// assetNames lists the served assets (paths under assets/).
var assetNames = []string{
	"swagger-ui/swagger-ui-bundle.js",
	"swagger-ui/swagger-ui.css",
	"swagger-ui/oauth2-redirect.html",
	"swagger-ui/oauth2-redirect.js",
	"redoc/redoc.standalone.js",
	"covet/swagger-init.js",
	"covet/redoc-init.js",
	"covet/page.css",
}

// asset is one served file, with its validators, and its gzip form (made
// on first use) or its plain form (stored compressed, decompressed on first
// use).
type asset struct {
	name        string
	contentType string
	plainOnce   sync.Once
	body        []byte // nil until decompressed for a stored .gz
	etag        string
	version     string // content hash for the URL's ?v=
	// stable: the asset is reached at a URL without ?v= (the OAuth2
	// redirect page, which the provider redirects to, and the script it
	// loads), so it is revalidated instead of cached as immutable.
	stable bool

	gzOnce sync.Once
	gz     []byte
	gzEtag string
}

// oauth2Redirect is Swagger UI's OAuth2 redirect page (under the assets
// path): the authorization server redirects the Authorize button's popup
// there with the code (or the token, implicit flow), and its script hands
// them to the Swagger UI window that opened it. It loads
// oauth2-redirect.js from its own directory.
const (
	oauth2Redirect       = "swagger-ui/oauth2-redirect.html"
	oauth2RedirectPrefix = "swagger-ui/oauth2-redirect."
)

// assetSet holds the assets and the two rendered pages of one plugin.
type assetSet struct {
	cfg     *config
	byName  map[string]*asset
	swagger *page
	redoc   *page
	// csp is the pages' policy: from the servers at Install, then also
	// from the security schemes' token URLs once the routes are final.
	csp atomic.Pointer[string]
}

// page is a rendered docs page.
type page struct {
	body []byte
	etag string
}

func newAssetSet(cfg *config) (*assetSet, error) {
	a := &assetSet{cfg: cfg, byName: map[string]*asset{}}
	for _, n := range assetNames {
		b, err := assetFS.ReadFile("assets/" + n)
		var gz []byte
		if errors.Is(err, fs.ErrNotExist) {
			gz, err = assetFS.ReadFile("assets/" + n + ".gz")
			b = nil
		}
		if err != nil {
			return nil, fmt.Errorf("openapi: embedded asset %s: %w", n, err)
		}
		// The validators hash what is stored: the plain file, or its
		// (deterministic, gzip -n) compressed form.
		stored := b
		if gz != nil {
			stored = gz
		}
		sum := sha256.Sum256(stored)
		h := hex.EncodeToString(sum[:])
		ct := "text/javascript; charset=utf-8"
		switch {
		case strings.HasSuffix(n, ".css"):
			ct = "text/css; charset=utf-8"
		case strings.HasSuffix(n, ".html"):
			ct = "text/html; charset=utf-8"
		}
		as := &asset{name: n, contentType: ct, body: b, etag: `"` + h[:24] + `"`, version: h[:12],
			stable: strings.HasPrefix(n, oauth2RedirectPrefix)}
		if gz != nil {
			as.gz, as.gzEtag = gz, `"`+h[:24]+`-gz"`
		}
		a.byName[n] = as
	}
	a.setCSP(contentSecurityPolicy(cfg.servers, nil))
	if cfg.docsPath != "" {
		a.swagger = a.render(cfg.docsPath, swaggerPage, "swagger-ui")
	}
	if cfg.redocPath != "" {
		a.redoc = a.render(cfg.redocPath, redocPage, "redoc")
	}
	return a, nil
}

func (a *assetSet) setCSP(v string) { a.csp.Store(&v) }

func (a *assetSet) policy() string { return *a.csp.Load() }

// contentSecurityPolicy is the pages' policy: scripts, styles, fonts and
// images from the app's own origin only (and data: images and fonts, which
// the bundles' CSS embeds), requests to the own origin, the documented
// servers' origins ("Try it out") and the origins of the security schemes'
// token, refresh and OpenID Connect discovery URLs (Swagger UI's Authorize
// fetches them). Inline styles are allowed because ReDoc renders its styles
// into <style> elements at run time; inline scripts are not.
func contentSecurityPolicy(servers []Server, schemes map[string]covet.SecurityScheme) string {
	connect := []string{"'self'"}
	add := func(raw string) {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme == "" || u.Host == "" || strings.ContainsAny(u.Host, "{}") {
			return // relative, or a template: the own origin, or unknown
		}
		o := u.Scheme + "://" + u.Host
		if !slices.Contains(connect, o) {
			connect = append(connect, o)
		}
	}
	for _, s := range servers {
		add(s.URL)
	}
	names := make([]string, 0, len(schemes))
	for n := range schemes {
		names = append(names, n)
	}
	slices.Sort(names) // a stable header
	for _, n := range names {
		sc := schemes[n]
		add(sc.OpenIDConnectURL)
		if f := sc.Flows; f != nil {
			for _, fl := range []*covet.OAuthFlow{f.AuthorizationCode, f.ClientCredentials, f.Implicit, f.Password} {
				if fl != nil {
					add(fl.TokenURL)
					add(fl.RefreshURL)
				}
			}
		}
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data:",
		"font-src 'self' data:",
		"connect-src " + strings.Join(connect, " "),
		"worker-src 'self' blob:",
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'self'",
	}, "; ")
}

// pageData is what a docs page shows: its title and the URLs (relative to
// the page) of the spec, the OAuth2 redirect page and the assets by name.
type pageData struct {
	Title, Spec, OAuth2Redirect string
	Assets                      map[string]string
}

// The docs pages are written with html.EscapeString and a strings.Builder
// rather than html/template: the template engine (text/template's reflection
// on method names keeps every exported method of every linked type) would
// be linked into every app that installs the plugin (issue 12: binary size).
// TestPagesMatchTemplate checks them against the html/template form as an oracle.

// swaggerPage is Swagger UI's page.
func swaggerPage(d pageData) string {
	var b strings.Builder
	pageHead(&b, d.Title)
	b.WriteString(`<link rel="stylesheet" href="` + attrURL(d.Assets["swagger-ui/swagger-ui.css"]) + `">
<link rel="stylesheet" href="` + attrURL(d.Assets["covet/page.css"]) + `">
</head>
<body>
<div id="swagger-ui" data-spec-url="` + attrURL(d.Spec) + `" data-oauth2-redirect-url="` + attrURL(d.OAuth2Redirect) + `"></div>
<script src="` + attrURL(d.Assets["swagger-ui/swagger-ui-bundle.js"]) + `"></script>
<script src="` + attrURL(d.Assets["covet/swagger-init.js"]) + `"></script>
</body>
</html>
`)
	return b.String()
}

// redocPage is ReDoc's page.
func redocPage(d pageData) string {
	var b strings.Builder
	pageHead(&b, d.Title)
	b.WriteString(`<link rel="stylesheet" href="` + attrURL(d.Assets["covet/page.css"]) + `">
</head>
<body>
<div id="redoc" data-spec-url="` + attrURL(d.Spec) + `"></div>
<script src="` + attrURL(d.Assets["redoc/redoc.standalone.js"]) + `"></script>
<script src="` + attrURL(d.Assets["covet/redoc-init.js"]) + `"></script>
</body>
</html>
`)
	return b.String()
}

func pageHead(b *strings.Builder, title string) {
	b.WriteString(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>` + html.EscapeString(title) + `</title>
`)
}

// attrURL makes u safe in a quoted URL attribute as html/template does: a
// URL with a scheme other than http, https or mailto becomes "#ZgotmplZ",
// bytes outside RFC 3986's unreserved and reserved sets (and ' ( ) ) are
// percent-encoded, valid escapes kept, and the result HTML-escaped.
func attrURL(u string) string {
	if i := strings.IndexAny(u, ":/?#"); i >= 0 && u[i] == ':' {
		if scheme := strings.ToLower(u[:i]); scheme != "http" && scheme != "https" && scheme != "mailto" {
			return "#ZgotmplZ"
		}
	}
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~!#$&*+,/:;=?@[]", c) >= 0,
			// a valid escape is kept (html/template's test, i+2 < len)
			c == '%' && i+2 < len(u) && isHex(u[i+1]) && isHex(u[i+2]):
			b.WriteByte(c)
		default:
			const hexDigits = "0123456789abcdef"
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return html.EscapeString(b.String())
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// render renders a page at pagePath, with URLs relative to it (so the
// pages work behind a proxy that adds a path prefix).
func (a *assetSet) render(pagePath string, pageFn func(pageData) string, kind string) *page {
	urls := map[string]string{}
	for n, as := range a.byName {
		urls[n] = relativeURL(pagePath, joinPath(a.cfg.assetsPath, n)) + "?v=" + as.version
	}
	title := a.cfg.title + " — Swagger UI"
	if kind == "redoc" {
		title = a.cfg.title + " — ReDoc"
	}
	body := []byte(pageFn(pageData{
		Title:          title,
		Spec:           relativeURL(pagePath, a.cfg.jsonPath),
		Assets:         urls,
		OAuth2Redirect: relativeURL(pagePath, joinPath(a.cfg.assetsPath, oauth2Redirect)),
	}))
	sum := sha256.Sum256(body)
	return &page{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

// relativeURL returns a reference to the path to, relative to the page at
// from ("/docs" to "/docs/assets/a.js" is "docs/assets/a.js").
func relativeURL(from, to string) string {
	fromDir := strings.Split(from[:strings.LastIndexByte(from, '/')], "/")
	toParts := strings.Split(to, "/")
	toDir, file := toParts[:len(toParts)-1], toParts[len(toParts)-1]
	n := 0
	for n < len(fromDir) && n < len(toDir) && fromDir[n] == toDir[n] {
		n++
	}
	var b strings.Builder
	for range len(fromDir) - n {
		b.WriteString("../")
	}
	for _, seg := range toDir[n:] {
		b.WriteString(seg)
		b.WriteByte('/')
	}
	b.WriteString(file)
	rel := b.String()
	if rel == "" || strings.HasPrefix(rel, "/") || strings.Contains(strings.SplitN(rel, "/", 2)[0], ":") {
		rel = "./" + rel
	}
	return rel
}

// servePage answers a docs page: no-cache (revalidated by ETag), under the
// strict Content-Security-Policy.
func (a *assetSet) servePage(p *page) covet.HandlerFunc {
	return func(c *covet.Context) error {
		h := c.Response().Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", a.policy())
		// Swagger UI's Authorize opens the provider in a popup that comes
		// back to the redirect page and talks to this window through
		// window.opener: same-origin (what SecureHeaders sets) would cut
		// that link at the provider's origin.
		h.Set("Cross-Origin-Opener-Policy", "same-origin-allow-popups")
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", p.etag)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		http.ServeContent(c.Response(), c.Request(), "", zeroTime, bytes.NewReader(p.body))
		return nil
	}
}

// serveAsset answers an asset: a strong ETag from its content, cached for a
// year as immutable (page URLs carry the content hash), gzip when accepted.
func (a *assetSet) serveAsset(c *covet.Context) error {
	as := a.byName[path.Clean("/" + c.Param("file"))[1:]]
	if as == nil {
		return covet.NewError(http.StatusNotFound, "no such asset")
	}
	h := c.Response().Header()
	h.Set("Content-Type", as.contentType)
	if as.stable {
		h.Set("Cache-Control", "no-cache")
	} else {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	if strings.HasSuffix(as.name, ".html") {
		// The redirect page runs only its own-origin script; its URL holds
		// the authorization code, which no referrer may carry away.
		h.Set("Content-Security-Policy", a.policy())
		h.Set("Referrer-Policy", "no-referrer")
		// Back from the provider's origin, the popup keeps its opener (the
		// Swagger UI page) only without a same-origin opener policy.
		h.Set("Cross-Origin-Opener-Policy", "unsafe-none")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	var body []byte
	etag := as.etag
	if acceptsGzip(c.Request()) {
		as.gzOnce.Do(as.compress)
		if as.gz != nil {
			body, etag = as.gz, as.gzEtag
			h.Set("Content-Encoding", "gzip")
		}
	}
	if body == nil {
		if body = as.plain(); body == nil {
			return fmt.Errorf("openapi: embedded asset %s does not decompress", as.name)
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(c.Response(), c.Request(), "", zeroTime, bytes.NewReader(body))
	return nil
}

// plain returns the asset's plain form, decompressing a stored .gz once;
// nil if it does not decompress.
func (as *asset) plain() []byte {
	as.plainOnce.Do(func() {
		if as.body != nil {
			return
		}
		zr, err := gzip.NewReader(bytes.NewReader(as.gz))
		if err != nil {
			return
		}
		if b, err := io.ReadAll(zr); err == nil {
			as.body = b
		}
	})
	return as.body
}

func (as *asset) compress() {
	if as.gz != nil {
		return // stored compressed
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if _, err := zw.Write(as.body); err != nil {
		return
	}
	if err := zw.Close(); err != nil {
		return
	}
	as.gz = b.Bytes()
	as.gzEtag = strings.TrimSuffix(as.etag, `"`) + `-gz"`
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(name), "gzip") {
				params = strings.ReplaceAll(strings.TrimSpace(params), " ", "")
				return params != "q=0" && params != "q=0.0" && params != "q=0.00" && params != "q=0.000"
			}
		}
	}
	return false
}
