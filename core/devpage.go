package covet

import (
	"errors"
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

// writeDevPage renders the development error page.
func writeDevPage(c *Context, p Problem, err error) {
	data := struct {
		P                  Problem
		Err                string
		Stack              string
		Method, URL, Route string
		Headers            [][2]string
	}{P: p, Err: err.Error(), Method: c.req.Method, URL: c.req.URL.String()}
	var pe *PanicError
	if errors.As(err, &pe) {
		data.Stack = string(pe.Stack)
	}
	if c.route != nil {
		data.Route = c.route.info.String()
	}
	for k, vs := range c.req.Header {
		for _, v := range vs {
			if k == "Authorization" || k == "Cookie" {
				v = "(hidden)"
			}
			data.Headers = append(data.Headers, [2]string{k, v})
		}
	}
	sort.Slice(data.Headers, func(i, j int) bool { return data.Headers[i][0] < data.Headers[j][0] })
	h := c.res.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	c.res.WriteHeader(p.Status)
	if c.req.Method != http.MethodHead {
		_ = devPage.Execute(c.res, data)
	}
}
