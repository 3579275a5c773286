// The escapers below are html/template's own (Go's src/html/template/html.go
// and url.go, BSD licence, Copyright 2011 The Go Authors), reduced to their
// plain-text case: html/template keeps them unexported, and the compiled
// executor only calls them with plain text (a string, bool or integer of a
// predeclared type); any other value (template.HTML, template.URL, a
// Stringer, a pointer…) makes the render fall back to html/template.
// TestDifferential and FuzzCompiled prove the output identical.

package compiled

import (
	"bytes"
	"fmt"
	"html/template"
	"reflect"
	"strings"
	"unicode/utf8"
)

// filterFailsafe is html/template's substitute for unsafe content.
const filterFailsafe = "ZgotmplZ"

// escaper is one of html/template's escapers for a plain-text argument.
type escaper func(string) string

// escapers are the html/template escaper functions (the names its escape
// pass inserts into a template's tree) the compiled executor implements.
// A template whose tree calls any other (the JavaScript, CSS and HTML
// attribute-name escapers) is not compiled.
var escapers = map[string]escaper{
	"_html_template_htmlescaper":    htmlEscaper,
	"_html_template_attrescaper":    htmlEscaper, // attrEscaper: same table for plain text
	"_html_template_rcdataescaper":  htmlEscaper, // rcdataEscaper: same table for plain text
	"_html_template_nospaceescaper": htmlNospaceEscaper,
	"_html_template_commentescaper": func(string) string { return "" },
	"_html_template_urlfilter":      urlFilter,
	"_html_template_urlnormalizer":  func(s string) string { return urlProcessor(true, s) },
	"_html_template_urlescaper":     func(s string) string { return urlProcessor(false, s) },
	"_html_template_srcsetescaper":  srcsetFilterAndEscaper,
}

func htmlEscaper(s string) string { return htmlReplacer(s, htmlReplacementTable, true) }

// writers are escapers that write their output to the buffer directly,
// used for the last escaper of an action: no string is built.
var writers = map[string]func(*bytes.Buffer, string){
	"_html_template_htmlescaper":   writeHTMLEscaped,
	"_html_template_attrescaper":   writeHTMLEscaped,
	"_html_template_rcdataescaper": writeHTMLEscaped,
}

// writeHTMLEscaped writes htmlReplacer(s, htmlReplacementTable, true) to
// b: the same loop, writing to b instead of a strings.Builder.
func writeHTMLEscaped(b *bytes.Buffer, s string) {
	written := 0
	r, w := rune(0), 0
	for i := 0; i < len(s); i += w {
		r, w = utf8.DecodeRuneInString(s[i:])
		if int(r) < len(htmlReplacementTable) {
			if repl := htmlReplacementTable[r]; len(repl) != 0 {
				b.WriteString(s[written:i])
				b.WriteString(repl)
				written = i + w
			}
		}
	}
	b.WriteString(s[written:])
}

func htmlNospaceEscaper(s string) string {
	if s == "" {
		return filterFailsafe
	}
	return htmlReplacer(s, htmlNospaceReplacementTable, false)
}

var htmlReplacementTable = []string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

var htmlNospaceReplacementTable = []string{
	0:    "&#xfffd;",
	'\t': "&#9;",
	'\n': "&#10;",
	'\v': "&#11;",
	'\f': "&#12;",
	'\r': "&#13;",
	' ':  "&#32;",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'=':  "&#61;",
	'>':  "&gt;",
	'`':  "&#96;",
}

func htmlReplacer(s string, replacementTable []string, badRunes bool) string {
	written, b := 0, new(strings.Builder)
	r, w := rune(0), 0
	for i := 0; i < len(s); i += w {
		r, w = utf8.DecodeRuneInString(s[i:])
		if int(r) < len(replacementTable) {
			if repl := replacementTable[r]; len(repl) != 0 {
				if written == 0 {
					b.Grow(len(s))
				}
				b.WriteString(s[written:i])
				b.WriteString(repl)
				written = i + w
			}
		} else if badRunes {
			// No-op: as html/template.
		} else if 0xfdd0 <= r && r <= 0xfdef || 0xfff0 <= r && r <= 0xffff {
			if written == 0 {
				b.Grow(len(s))
			}
			fmt.Fprintf(b, "%s&#x%x;", s[written:i], r)
			written = i + w
		}
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

func urlFilter(s string) string {
	if !isSafeURL(s) {
		return "#" + filterFailsafe
	}
	return s
}

func isSafeURL(s string) bool {
	if protocol, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(protocol, "/") {
		if !strings.EqualFold(protocol, "http") && !strings.EqualFold(protocol, "https") && !strings.EqualFold(protocol, "mailto") {
			return false
		}
	}
	return true
}

func urlProcessor(norm bool, s string) string {
	var b strings.Builder
	if processURLOnto(s, norm, &b, false) {
		return b.String()
	}
	return s
}

// processURLOnto is html/template's, but for whole (false): unlike
// html/template, it grows b only once something must change and, unless
// whole, writes nothing when nothing changes, so text that needs no
// escaping costs no allocation; the output is the same.
func processURLOnto(s string, norm bool, b *strings.Builder, whole bool) bool {
	written := 0
	for i, n := 0, len(s); i < n; i++ {
		c := s[i]
		switch c {
		case '!', '#', '$', '&', '*', '+', ',', '/', ':', ';', '=', '?', '@', '[', ']':
			if norm {
				continue
			}
		case '-', '.', '_', '~':
			continue
		case '%':
			if norm && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				continue
			}
		default:
			if 'a' <= c && c <= 'z' {
				continue
			}
			if 'A' <= c && c <= 'Z' {
				continue
			}
			if '0' <= c && c <= '9' {
				continue
			}
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[written:i])
		// fmt.Fprintf(b, "%%%02x", c) in html/template; written by hand
		// so b does not escape to the heap.
		b.WriteByte('%')
		b.WriteByte(lowerHex[c>>4])
		b.WriteByte(lowerHex[c&0xf])
		written = i + 1
	}
	if written == 0 {
		if whole {
			b.WriteString(s)
		}
		return false
	}
	b.WriteString(s[written:])
	return true
}

const lowerHex = "0123456789abcdef"

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func srcsetFilterAndEscaper(s string) string {
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			filterSrcsetElement(s, written, i, &b)
			b.WriteString(",")
			written = i + 1
		}
	}
	filterSrcsetElement(s, written, len(s), &b)
	return b.String()
}

const htmlSpaceAndASCIIAlnumBytes = "\x00\x36\x00\x00\x01\x00\xff\x03\xfe\xff\xff\x07\xfe\xff\xff\x07"

func isHTMLSpace(c byte) bool {
	return c <= 0x20 && htmlSpaceAndASCIIAlnumBytes[c>>3]&(1<<(c&0x7)) != 0
}

func isHTMLSpaceOrASCIIAlnum(c byte) bool {
	return c < 0x80 && htmlSpaceAndASCIIAlnumBytes[c>>3]&(1<<(c&0x7)) != 0
}

func filterSrcsetElement(s string, left int, right int, b *strings.Builder) {
	start := left
	for start < right && isHTMLSpace(s[start]) {
		start++
	}
	end := right
	for i := start; i < right; i++ {
		if isHTMLSpace(s[i]) {
			end = i
			break
		}
	}
	if url := s[start:end]; isSafeURL(url) {
		metadataOk := true
		for i := end; i < right; i++ {
			if !isHTMLSpaceOrASCIIAlnum(s[i]) {
				metadataOk = false
				break
			}
		}
		if metadataOk {
			b.WriteString(s[left:start])
			processURLOnto(url, true, b, true)
			b.WriteString(s[end:right])
			return
		}
	}
	b.WriteString("#")
	b.WriteString(filterFailsafe)
}

// contentType is html/template's: the type of a value known safe for a
// context.
type contentType uint8

const (
	contentTypePlain contentType = iota
	contentTypeCSS
	contentTypeHTML
	contentTypeHTMLAttr
	contentTypeJS
	contentTypeJSStr
	contentTypeURL
	contentTypeSrcset
)

var contentTypes = map[reflect.Type]contentType{
	reflect.TypeFor[template.CSS]():      contentTypeCSS,
	reflect.TypeFor[template.HTML]():     contentTypeHTML,
	reflect.TypeFor[template.HTMLAttr](): contentTypeHTMLAttr,
	reflect.TypeFor[template.JS]():       contentTypeJS,
	reflect.TypeFor[template.JSStr]():    contentTypeJSStr,
	reflect.TypeFor[template.URL]():      contentTypeURL,
	reflect.TypeFor[template.Srcset]():   contentTypeSrcset,
}

var htmlNormReplacementTable = []string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// typedEscape is the escaper name of html/template applied to s of the
// content type ct (not plain). An escaper that ignores ct treats s as
// plain text; template.HTML in an attribute (html/template strips its
// tags with its HTML parser) gives up.
func typedEscape(name, s string, ct contentType) (string, bool) {
	switch name {
	case "_html_template_htmlescaper":
		if ct == contentTypeHTML {
			return s, true
		}
	case "_html_template_rcdataescaper":
		if ct == contentTypeHTML {
			return htmlReplacer(s, htmlNormReplacementTable, true), true
		}
	case "_html_template_attrescaper":
		if ct == contentTypeHTML {
			return "", false
		}
	case "_html_template_nospaceescaper":
		if ct == contentTypeHTML && s != "" {
			return "", false
		}
	case "_html_template_urlfilter":
		if ct == contentTypeURL {
			return s, true
		}
	case "_html_template_urlnormalizer", "_html_template_urlescaper":
		if ct == contentTypeURL {
			return urlProcessor(true, s), true
		}
	case "_html_template_srcsetescaper":
		switch ct {
		case contentTypeSrcset:
			return s, true
		case contentTypeURL:
			return strings.ReplaceAll(urlProcessor(true, s), ",", "%2c"), true
		}
	}
	esc, ok := escapers[name]
	if !ok {
		return "", false
	}
	return esc(s), true
}
