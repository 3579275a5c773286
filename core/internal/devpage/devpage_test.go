package devpage

import (
	"html"
	"html/template"
	"strings"
	"testing"
)

// oracle is the page as an html/template (the page's earlier form): Render
// must say the same thing, escaped as safely. html/template is imported by
// this test only, so it is not linked into covet binaries.
var oracle = template.Must(template.New("dev").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Status}} {{.Title}}</title>
` + style + `</head><body>
<h1>{{.Status}} {{.Title}}</h1>
<p class="note">Development mode: this page is shown because COVET_ENV=development (or WithDevelopment). Production answers carry no internals.</p>
<h2>Error</h2><pre>{{.Err}}</pre>
{{if .Errors}}<h2>Fields</h2><table>{{range .Errors}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td><td>{{index . 2}}</td></tr>{{end}}</table>{{end}}
{{if .Stack}}<h2>Stack</h2><pre>{{.Stack}}</pre>{{end}}
<h2>Request</h2><table>
<tr><td>Method</td><td>{{.Method}}</td></tr><tr><td>URL</td><td>{{.URL}}</td></tr>
<tr><td>Route</td><td>{{.Route}}</td></tr><tr><td>Request ID</td><td>{{.RequestID}}</td></tr>
{{range .Headers}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td></tr>{{end}}
</table></body></html>`))

// TestRenderMatchesTemplate compares Render with the html/template oracle
// on hostile values: once unescaped both pages are the same text, and
// Render's output contains no markup that came from the values.
func TestRenderMatchesTemplate(t *testing.T) {
	hostile := `<script>alert("x" + 'y')</script> & </pre></td></title>`
	cases := []Data{
		{Status: 500, Title: "Internal Server Error", Err: "plain"},
		{
			Status: 422, Title: "Unprocessable " + hostile, RequestID: hostile,
			Errors: [][3]string{{"body", "items.3.price", hostile}, {"query", hostile, "must be ≥ 1"}},
			Err:    hostile, Stack: "goroutine 1 [running]:\n" + hostile,
			Method: "GET", URL: "/a?b=" + hostile, Route: "GET /a/:id",
			Headers: [][2]string{{"Accept", "text/html"}, {"X-Evil", hostile}},
		},
	}
	for i, d := range cases {
		var want strings.Builder
		if err := oracle.Execute(&want, d); err != nil {
			t.Fatal(err)
		}
		got := Render(d)
		if html.UnescapeString(got) != html.UnescapeString(want.String()) {
			t.Errorf("case %d: page differs from the template's\n got: %s\nwant: %s", i, got, want.String())
		}
		if strings.Contains(got, "<script>") || strings.Count(got, "</pre>") != strings.Count(want.String(), "</pre>") {
			t.Errorf("case %d: a value's markup is not escaped: %s", i, got)
		}
	}
}
