package compiled

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"testing"
)

// payloads are hostile and awkward values for every context.
var payloads = []string{
	"",
	"plain text",
	`<script>alert(1)</script>`,
	`" onmouseover="alert(1)`,
	`' onerror='alert(1)`,
	"javascript:alert(1)",
	"JaVaScRiPt:alert(1)",
	" javascript:alert(1)",
	"data:text/html,<b>x</b>",
	"https://example.com/a b?q=1&r=<2>#frag",
	"mailto:ana@example.com",
	"/path/with spaces/and%20escapes%zz%2",
	"a.png 1x, javascript:alert(1) 2x, b.png 100w",
	"c.png, , d.png 1.5x",
	"&amp; &lt; &#34; + = ` \t\n\v\f\r",
	"\x00nul\x00",
	"\ufdd0\ufdef\ufff0\uffff",
	"bad utf8 \xff\xfe",
	"日本語 ünïcödé 🙂",
	"+ADw-script+AD4-",
	"<!-- --> ]]> </title> </textarea>",
	"a=b c",
}

// corpus is templates in every context html/template escapes; "page" is
// executed. Some are in contexts the compiler refuses (JS, CSS, attribute
// names): those must be refused, not rendered differently.
var corpus = []string{
	`<p>{{.S}}</p>`,
	`<a title="{{.S}}">x</a>`,
	`<a title='{{.S}}'>x</a>`,
	`<a title={{.S}}>x</a>`,
	`<a href="{{.S}}">x</a>`,
	`<a href='{{.S}}'>x</a>`,
	`<a href={{.S}}>x</a>`,
	`<a href="/tasks/{{.S}}">x</a>`,
	`<a href="/tasks?q={{.S}}&n={{.N}}">x</a>`,
	`<a href="{{.S}}?q={{.S}}#{{.S}}">x</a>`,
	`<img src="{{.S}}" srcset="{{.S}}">`,
	`<img srcset={{.S}}>`,
	`<img srcset="a.png 1x, {{.S}} 2x">`,
	`<title>{{.S}}</title>`,
	`<textarea>{{.S}}</textarea>`,
	`<!-- {{.S}} --><p>{{.S}}</p>`,
	`<script>var s = {{.S}};</script>`,
	`<script>var s = "{{.S}}";</script>`,
	"<script>var s = `{{.S}}`;</script>",
	`<script>var r = /{{.S}}/;</script>`,
	`<button onclick="go({{.S}})">x</button>`,
	`<style>p { color: {{.S}} }</style>`,
	`<p style="color: {{.S}}">x</p>`,
	`<p style="background: url('{{.S}}')">x</p>`,
	`<input {{.S}}="x">`,
	`<input name="q" value="{{.S}}" data-n={{.N}} data-b="{{.B}}">`,
	`<p class="{{if .B}}on{{else}}off{{end}}">{{if not .B}}not{{end}} {{.N}} {{.U}} {{.I8}}</p>`,
	`{{with .Sub}}<b title="{{.Name}}">{{.Name}}</b>{{else}}none{{end}}`,
	`{{with .Ptr}}<b>{{.Name}}</b>{{else}}nil{{end}}`,
	`<ul>{{range .List}}<li title="{{.}}">{{.}} of {{len $.List}} for {{$.S}}</li>{{else}}<li>empty</li>{{end}}</ul>`,
	`{{range .Items}}{{template "item" .}}{{end}}{{define "item"}}<li id="i-{{.ID}}"><a href="/i/{{.ID}}">{{.Name}}</a></li>{{end}}`,
	`{{block "b" .}}<p>{{.S}}</p>{{end}}`,
	`{{template "t" .Sub}}{{define "t"}}<p>{{.Name}} {{$.Name}}</p>{{end}}`,
	`{{template "t"}}{{define "t"}}<p>{{.}}</p>{{end}}`,
	`<p>{{.Map.k}} {{.Map.missing}}</p>`,
	`<p>{{.Map.k}}</p>`,
	`<p>{{.Any}} {{.AnyNil}} {{.AnyInt}}</p>`,
	`{{if .AnyNil}}yes{{else}}no{{end}}{{with .Any}}<b>{{.}}</b>{{end}}`,
	`<p>{{.HTML}}</p><a title="{{.HTML}}" href="{{.URL}}">x</a>`,
	`<p>{{.Str}}</p>`,
	`<p>{{.Method}}</p>`,
	`<p>{{.F}}</p>`,
	`<p>{{.Missing}}</p>`,
	`<p>{{.Ptr.Name}}</p>`,
	`<p>{{.NilPtr.Name}}</p>`,
	`<p>{{len .S}} {{len .List}} {{len .Map}}</p>`,
	`<p>{{"const <s>"}} {{true}}</p>`,
	`{{range .List}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}`,
	`{{$x := .S}}<p>{{$x}}</p>`,
	`<p>{{printf "%s" .S}}</p>`,
	`{{range .Empty}}x{{else}}<p>{{.S}}</p>{{end}}{{range .NilList}}x{{end}}`,
	`{{with .Emb}}<p>{{.Name}} {{.Inner}}</p>{{end}}`,
	`<p>{{.HTML}} {{.JS}} {{.CSS}} {{.Attr}} {{.JSStr}} {{.URL}} {{.Srcset}}</p>`,
	`<title>{{.HTML}}</title><textarea>{{.HTML}} {{.URL}}</textarea>`,
	`<a href="{{.URL}}" title="{{.URL}}">x</a><a href="/x?u={{.URL}}&h={{.HTML}}">y</a><a href={{.URL}}>z</a>`,
	`<img srcset="{{.URL}}"><img srcset="{{.Srcset}}"><img srcset="{{.HTML}}">`,
	`<a title={{.HTMLEmpty}}>x</a>`,
	`<title>{{block "t" .}}T {{.S}}{{end}}</title><p>{{template "t" .}}</p><a title="{{template "t" .}}" href="/{{template "t" .}}">x</a>`,
}

type sub struct{ Name string }

type inner struct{ Inner string }

type emb struct {
	sub
	*inner
}

type stringer string

func (s stringer) String() string { return "stringer:" + string(s) }

type item struct {
	ID   int
	Name string
}

type data struct {
	S       string
	N       int
	U       uint16
	I8      int8
	B       bool
	Sub     sub
	Ptr     *sub
	NilPtr  *sub
	List    []string
	Empty   []string
	NilList []int
	Items   []item
	Map     map[string]string
	Any     any
	AnyNil  any
	AnyInt  any
	HTML    template.HTML
	URL     template.URL
	JS      template.JS
	JSStr   template.JSStr
	CSS     template.CSS
	Attr    template.HTMLAttr
	Srcset  template.Srcset

	HTMLEmpty template.HTML
	Str       stringer
	F         float64
	Emb       emb
}

func (data) Method() string { return "method" }

func newData(s string, n int, b bool) *data {
	return &data{
		S: s, N: n, U: uint16(n), I8: int8(n), B: b,
		Sub: sub{Name: s}, Ptr: &sub{Name: s + "!"},
		List:  []string{s, "b", "<c>"},
		Items: []item{{1, s}, {n, "two & " + s}},
		Map:   map[string]string{"k": s},
		Any:   s, AnyInt: n,
		HTML: template.HTML("<b>" + s + "</b>"), URL: template.URL(s),
		JS: template.JS(s), JSStr: template.JSStr(s), CSS: template.CSS(s), Attr: template.HTMLAttr(s),
		Srcset: template.Srcset(s),
		Str:    stringer(s), F: float64(n) / 3,
		Emb: emb{sub: sub{Name: s}, inner: &inner{Inner: s}},
	}
}

type outcome int

const (
	refused outcome = iota // Compile refused: html/template renders
	gaveUp                 // compiled, Execute gave up: html/template renders
	same                   // compiled output identical
)

// check renders src's "page" with html/template (the oracle) and with the
// compiled program; a difference fails the test.
func check(t testing.TB, src string, d any) outcome {
	t.Helper()
	tt, err := template.New("page").Parse(src)
	if err != nil {
		return refused
	}
	var want bytes.Buffer
	oracleErr := tt.Execute(&want, d)
	p, err := Compile(tt, "page", nil)
	if err != nil {
		return refused
	}
	got := bytes.NewBufferString("prefix")
	if !p.Execute(got, d) {
		if got.String() != "prefix" {
			t.Fatalf("%s: gave up but left %q in the buffer", src, got.String())
		}
		return gaveUp
	}
	if oracleErr != nil {
		t.Fatalf("%s with %#v: html/template fails (%v) but the compiled program rendered %q", src, d, oracleErr, got.String())
	}
	if g := strings.TrimPrefix(got.String(), "prefix"); g != want.String() {
		t.Fatalf("%s with %#v:\ncompiled      %q\nhtml/template %q", src, d, g, want.String())
	}
	return same
}

func TestDifferential(t *testing.T) {
	counts := map[string][3]int{}
	for _, src := range corpus {
		for i, s := range payloads {
			for _, d := range []any{newData(s, i-3, i%2 == 0), *newData(s, i, i%3 == 0)} {
				o := check(t, src, d)
				c := counts[src]
				c[o]++
				counts[src] = c
			}
		}
		if testing.Verbose() {
			c := counts[src]
			t.Logf("refused %2d gave up %2d identical %2d  %s", c[0], c[1], c[2], src)
		}
	}
	// The compiler must actually compile the contexts it claims: element
	// text, quoted and unquoted attributes, URLs, srcset, RCDATA, control
	// structures, templates and blocks.
	mustCompile := append(corpus[:16:16], `<p style="background: url('{{.S}}')">x</p>`)
	for _, src := range corpus[25:] {
		if strings.Contains(src, "{{template") || strings.Contains(src, "{{range") ||
			strings.Contains(src, "{{with") || strings.Contains(src, "{{if") || strings.Contains(src, "$") {
			mustCompile = append(mustCompile, src)
		}
	}
	mustCompile = append(mustCompile, `<p>{{.HTML}} {{.JS}} {{.CSS}} {{.Attr}} {{.JSStr}} {{.URL}} {{.Srcset}}</p>`, `<title>{{.HTML}}</title><textarea>{{.HTML}} {{.URL}}</textarea>`, `<a href="{{.URL}}" title="{{.URL}}">x</a><a href="/x?u={{.URL}}&h={{.HTML}}">y</a><a href={{.URL}}>z</a>`, `<img srcset="{{.URL}}"><img srcset="{{.Srcset}}"><img srcset="{{.HTML}}">`, `<a title={{.HTMLEmpty}}>x</a>`)
	mustCompile = append(mustCompile, corpus[len(corpus)-1], `<p>{{.Map.k}}</p>`, `<p>{{.Any}} {{.AnyNil}} {{.AnyInt}}</p>`,
		`<p>{{len .S}} {{len .List}} {{len .Map}}</p>`, `<p>{{"const <s>"}} {{true}}</p>`)
	for _, src := range mustCompile {
		if strings.Contains(src, "{{break}}") || strings.Contains(src, ":=") {
			continue
		}
		if c := counts[src]; c[same] == 0 {
			t.Errorf("%s: never compiled and rendered (%v)", src, c)
		}
	}
}

// TestRefusesUnescaped: a template html/template has not escaped (never
// executed) has actions without escapers, and is not compiled.
func TestRefusesUnescaped(t *testing.T) {
	tt := template.Must(template.New("page").Parse(`<p>{{.}}</p>`))
	if _, err := Compile(tt, "page", nil); err == nil {
		t.Fatal("compiled an unescaped template")
	}
}

// TestUserFuncShadowsBuiltin: a function named len added to the template
// replaces the builtin, so the template is not compiled.
func TestUserFuncShadowsBuiltin(t *testing.T) {
	fm := template.FuncMap{"len": func(any) int { return 42 }}
	tt := template.Must(template.New("page").Funcs(fm).Parse(`<p>{{len .}}</p>`))
	if err := tt.Execute(new(bytes.Buffer), "abc"); err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(tt, "page", fm); err == nil {
		t.Fatal("compiled a template whose len is a user function")
	}
}

func TestRecursionDepth(t *testing.T) {
	tt := template.Must(template.New("page").Parse(`{{define "r"}}{{if .}}<i>{{template "r" .}}</i>{{end}}{{end}}{{template "r" .}}`))
	_ = tt.Execute(new(bytes.Buffer), 0)
	p, err := Compile(tt, "page", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Execute(new(bytes.Buffer), 1) {
		t.Fatal("infinite recursion rendered")
	}
}

func FuzzCompiled(f *testing.F) {
	for i, s := range payloads {
		f.Add(corpus[i%len(corpus)], s, i, i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, src, s string, n int, b bool) {
		check(t, src, newData(s, n, b))
		for _, src := range corpus {
			check(t, src, newData(s, n, b))
		}
	})
}

func BenchmarkPage(b *testing.B) {
	const src = `<ul>{{range .Items}}<li class="x{{if $.B}} on{{end}}" id="i-{{.ID}}"><a href="/i/{{.ID}}" title="{{.Name}}">{{.Name}}</a></li>{{end}}</ul>`
	tt := template.Must(template.New("page").Parse(src))
	d := newData("Task <1> & \"more\"", 3, true)
	for i := range 50 {
		d.Items = append(d.Items, item{i, fmt.Sprintf("Task %d: review \"pull request\" & merge", i)})
	}
	var buf bytes.Buffer
	if err := tt.Execute(&buf, d); err != nil {
		b.Fatal(err)
	}
	p, err := Compile(tt, "page", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("html-template", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			_ = tt.Execute(&buf, d)
		}
	})
	b.Run("compiled", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if !p.Execute(&buf, d) {
				b.Fatal("gave up")
			}
		}
	})
}

type rowA struct {
	Name string
	ID   int
}

type rowB struct {
	Pad  [3]int64
	ID   uint8
	Name string
}

// TestConcurrentPolymorphic renders one program from many goroutines with
// two types whose fields sit at different places, so the per-site type
// caches keep changing hands; every render must equal html/template's.
func TestConcurrentPolymorphic(t *testing.T) {
	tt := template.Must(template.New("page").Parse(`{{range .}}<a href="/r/{{.ID}}" title="{{.Name}}">{{.Name}}</a>{{end}}`))
	datas := []any{
		[]any{rowA{"a<1>", 1}, rowB{ID: 2, Name: "b&2"}},
		[]rowB{{ID: 3, Name: `"b3"`}},
		[]rowA{{"a'4", 4}},
	}
	wants := make([]string, len(datas))
	for i, d := range datas {
		var b bytes.Buffer
		if err := tt.Execute(&b, d); err != nil {
			t.Fatal(err)
		}
		wants[i] = b.String()
	}
	p, err := Compile(tt, "page", nil)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan string, 8)
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			var b bytes.Buffer
			for i := range 300 {
				k := (g + i) % len(datas)
				b.Reset()
				if !p.Execute(&b, datas[k]) || b.String() != wants[k] {
					errs <- fmt.Sprintf("data %d: %q, want %q", k, b.String(), wants[k])
					return
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
