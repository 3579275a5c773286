package tmpl

import (
	"crypto/sha256"
	_ "embed" // the vendored htmx
	"encoding/hex"
	"html/template"
	"net/http"

	covet "github.com/covetgo/covet/core"
)

// htmx as vendored from npm by scripts/vendor-htmx.sh (version, tarball
// integrity and file checksums in assets/SOURCES.json). Nothing is loaded
// from a CDN.
//
//go:embed assets/htmx/htmx.min.js
var htmxJS []byte

// HTMXVersion is the version of the vendored htmx.
const HTMXVersion = "2.0.11"

// vendorPrefix is where the engine serves its vendored files.
const vendorPrefix = "/_tmpl"

var htmxFile = func() *assetFile {
	sum := sha256.Sum256(htmxJS)
	return &assetFile{body: htmxJS, contentType: "text/javascript; charset=utf-8", etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}()

// htmxName is the served file name, with a content hash.
var htmxName = "htmx-" + htmxFile.etag[1:17] + ".min.js"

// HTMXPath returns the URL path the engine serves the vendored htmx at
// (content-hashed, cached for a year). Templates use {{asset "htmx.js"}}.
func HTMXPath() string { return vendorPrefix + "/" + htmxName }

func (e *Engine) installVendor(app *covet.App) {
	app.GET(vendorPrefix+"/{file}", func(c *covet.Context) error {
		if c.Param("file") != htmxName {
			return covet.NewError(http.StatusNotFound, "no such file")
		}
		return serveAsset(c, htmxFile)
	}).Name("tmpl.vendor").Hidden()
}

// htmxConfigJSON lets htmx swap 422 answers (a form re-rendered with its
// errors) as well as 2xx ones; htmx 2 swaps no 4xx answer by default.
const htmxConfigJSON = `{"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"[45]..","swap":false,"error":true},{"code":"...","swap":false}]}`

// htmxConfigMeta is the <meta name="htmx-config"> the htmxConfig template
// function writes: configuration without an inline script, so a strict
// Content-Security-Policy holds.
func htmxConfigMeta() template.HTML {
	return template.HTML(`<meta name="htmx-config" content="` + template.HTMLEscapeString(htmxConfigJSON) + `">`)
}
