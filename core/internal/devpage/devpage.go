// Package devpage renders covet's development error page (WithDevelopment):
// the problem, the error and its stack, and the request with credentials
// hidden. It does not import covet.
//
// The page is written with html.EscapeString and a strings.Builder rather
// than html/template: the template engine (text/template's reflection on
// method names keeps every exported method of every linked type) would be
// linked into every covet binary for a page shown only in development
// (issues 12 and 21: binary size and resident memory).
package devpage

import (
	"html"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Data is what the page shows: the problem's status, title, request ID and
// field errors, the error, its stack and the request.
type Data struct {
	Status             int
	Title, RequestID   string
	Errors             [][3]string // location, field, message
	Err                string
	Stack              string
	Method, URL, Route string
	Headers            [][2]string
}

const style = `<style>body{font:14px/1.5 system-ui,sans-serif;margin:2rem;color:#222}h1{color:#b00}
pre{background:#f6f6f6;padding:1rem;overflow:auto}td{padding:.15rem .8rem .15rem 0;vertical-align:top}
.note{color:#777}</style>`

// Render returns the page's HTML for d, every value escaped.
func Render(d Data) string {
	var b strings.Builder
	b.Grow(2048 + len(d.Err) + len(d.Stack))
	esc := func(s string) { b.WriteString(html.EscapeString(s)) }
	row := func(cells ...string) {
		b.WriteString("<tr>")
		for _, c := range cells {
			b.WriteString("<td>")
			esc(c)
			b.WriteString("</td>")
		}
		b.WriteString("</tr>")
	}
	heading := strconv.Itoa(d.Status) + " " + d.Title
	b.WriteString(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>`)
	esc(heading)
	b.WriteString("</title>\n" + style + "</head><body>\n<h1>")
	esc(heading)
	b.WriteString(`</h1>
<p class="note">Development mode: this page is shown because COVET_ENV=development (or WithDevelopment). Production answers carry no internals.</p>
<h2>Error</h2><pre>`)
	esc(d.Err)
	b.WriteString("</pre>\n")
	if len(d.Errors) > 0 {
		b.WriteString("<h2>Fields</h2><table>")
		for _, e := range d.Errors {
			row(e[0], e[1], e[2])
		}
		b.WriteString("</table>")
	}
	b.WriteString("\n")
	if d.Stack != "" {
		b.WriteString("<h2>Stack</h2><pre>")
		esc(d.Stack)
		b.WriteString("</pre>")
	}
	b.WriteString("\n<h2>Request</h2><table>\n")
	row("Method", d.Method)
	row("URL", d.URL)
	b.WriteString("\n")
	row("Route", d.Route)
	row("Request ID", d.RequestID)
	b.WriteString("\n")
	for _, h := range d.Headers {
		row(h[0], h[1])
	}
	b.WriteString("\n</table></body></html>")
	return b.String()
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
	sort.SliceStable(d.Headers, func(i, j int) bool { return d.Headers[i][0] < d.Headers[j][0] })
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(Render(d)))
	}
}
