package openapi

import (
	"html"
	"html/template"
	"strings"
	"testing"
)

// The docs pages in their earlier html/template form: the oracle for the
// hand-written pages (html/template is imported by this test only, so it is
// not linked into apps).
var (
	swaggerOracle = template.Must(template.New("swagger").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="{{index .Assets "swagger-ui/swagger-ui.css"}}">
<link rel="stylesheet" href="{{index .Assets "covet/page.css"}}">
</head>
<body>
<div id="swagger-ui" data-spec-url="{{.Spec}}" data-oauth2-redirect-url="{{.OAuth2Redirect}}"></div>
<script src="{{index .Assets "swagger-ui/swagger-ui-bundle.js"}}"></script>
<script src="{{index .Assets "covet/swagger-init.js"}}"></script>
</body>
</html>
`))
	redocOracle = template.Must(template.New("redoc").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="{{index .Assets "covet/page.css"}}">
</head>
<body>
<div id="redoc" data-spec-url="{{.Spec}}"></div>
<script src="{{index .Assets "redoc/redoc.standalone.js"}}"></script>
<script src="{{index .Assets "covet/redoc-init.js"}}"></script>
</body>
</html>
`))
)

// TestPagesMatchTemplate renders both docs pages by hand and with the
// html/template oracle, for ordinary and hostile titles and paths: once
// HTML-unescaped the pages are the same (html/template writes "+" as
// "&#43;", html.EscapeString leaves it), so every URL is normalized and
// filtered as the template did and no value's markup gets through.
func TestPagesMatchTemplate(t *testing.T) {
	hostile := `x"><script>alert('1' + 2)</script> é&amp;%zz (a) [b]`
	for _, d := range []pageData{
		{Title: "Bookshelf — Swagger UI", Spec: "openapi.json", OAuth2Redirect: "docs/assets/oauth2-redirect.html",
			Assets: map[string]string{"swagger-ui/swagger-ui.css": "docs/assets/swagger-ui/swagger-ui.css?v=0123456789ab",
				"covet/page.css": "../assets/covet/page.css?v=1", "redoc/redoc.standalone.js": "./a:b/redoc.js?v=2"}},
		{Title: hostile, Spec: "./" + hostile, OAuth2Redirect: "javascript:alert(1)",
			Assets: map[string]string{"swagger-ui/swagger-ui.css": hostile, "covet/page.css": "https://cdn.example/x y.css",
				"swagger-ui/swagger-ui-bundle.js": "data:text/javascript,alert(1)", "covet/swagger-init.js": "MAILTO:a@b",
				"redoc/redoc.standalone.js": "//evil.example/" + hostile, "covet/redoc-init.js": "?q=" + hostile + "#f"}},
	} {
		for _, p := range []struct {
			name   string
			render func(pageData) string
			oracle *template.Template
		}{{"swagger", swaggerPage, swaggerOracle}, {"redoc", redocPage, redocOracle}} {
			var want strings.Builder
			if err := p.oracle.Execute(&want, d); err != nil {
				t.Fatal(err)
			}
			got := p.render(d)
			if html.UnescapeString(got) != html.UnescapeString(want.String()) {
				t.Errorf("%s page differs from the template's\n got: %s\nwant: %s", p.name, got, want.String())
			}
			if strings.Contains(got, "<script>") || strings.Contains(got, `x">`) {
				t.Errorf("%s page lets a value's markup through: %s", p.name, got)
			}
		}
	}
}
