// Package devpage renders covet's development error page (WithDevelopment):
// the problem, the error and its stack, and the request with credentials
// hidden. It does not import covet.
package devpage

import (
	"html/template"
	"net/http"
	"sort"
)

var devPage = template.Must(template.New("dev").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.P.Status}} {{.P.Title}}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;margin:2rem;color:#222}h1{color:#b00}
pre{background:#f6f6f6;padding:1rem;overflow:auto}td{padding:.15rem .8rem .15rem 0;vertical-align:top}
.note{color:#777}</style></head><body>
<h1>{{.P.Status}} {{.P.Title}}</h1>
<p class="note">Development mode: this page is shown because COVET_ENV=development (or WithDevelopment). Production answers carry no internals.</p>
<h2>Error</h2><pre>{{.Err}}</pre>
{{if .P.Errors}}<h2>Fields</h2><table>{{range .P.Errors}}<tr><td>{{.Location}}</td><td>{{.Field}}</td><td>{{.Message}}</td></tr>{{end}}</table>{{end}}
{{if .Stack}}<h2>Stack</h2><pre>{{.Stack}}</pre>{{end}}
<h2>Request</h2><table>
<tr><td>Method</td><td>{{.Method}}</td></tr><tr><td>URL</td><td>{{.URL}}</td></tr>
<tr><td>Route</td><td>{{.Route}}</td></tr><tr><td>Request ID</td><td>{{.P.RequestID}}</td></tr>
{{range .Headers}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td></tr>{{end}}
</table></body></html>`))

// Data is what the page shows; P is the covet.Problem (the template reads
// its Status, Title, Errors and RequestID).
type Data struct {
	P                  any
	Err                string
	Stack              string
	Method, URL, Route string
	Headers            [][2]string
}

// Write answers r with the page at status; request headers are listed
// sorted, Authorization and Cookie values hidden.
func Write(w http.ResponseWriter, r *http.Request, status int, d Data) {
	d.Method, d.URL = r.Method, r.URL.String()
	for k, vs := range r.Header {
		for _, v := range vs {
			if k == "Authorization" || k == "Cookie" {
				v = "(hidden)"
			}
			d.Headers = append(d.Headers, [2]string{k, v})
		}
	}
	sort.Slice(d.Headers, func(i, j int) bool { return d.Headers[i][0] < d.Headers[j][0] })
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_ = devPage.Execute(w, d)
	}
}
