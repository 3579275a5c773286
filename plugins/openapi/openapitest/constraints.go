package openapitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Report summarizes a CheckConstraints run.
type Report struct {
	// Routes is the number of typed routes checked.
	Routes int
	// Constraints is the number of constraints checked through requests.
	Constraints int
	// TagChecks is the number of struct tag constraints found in the document.
	TagChecks int
	// NotIsolated lists constraints no value could break alone (another
	// keyword of the same field broke too); they were still checked.
	NotIsolated []string
	// Unbreakable lists constraints no value could break (not checked).
	Unbreakable []string
}

// assertedFormats are the formats core validates (others only document).
var assertedFormats = map[string]bool{
	"email": true, "uuid": true, "uri": true, "date-time": true, "date": true,
	"time": true, "ipv4": true, "ipv6": true, "hostname": true,
}

// CheckConstraints checks that app's OpenAPI document and its validation
// agree, route by route (see the package documentation). Failures are
// reported with t.Errorf, naming the route, the field and the constraint.
func CheckConstraints(t testing.TB, app *covet.App, opts ...Option) Report {
	t.Helper()
	cfg := newConfig(opts)
	doc, err := document(app, cfg)
	if err != nil {
		t.Fatalf("openapitest: generate the document: %v", err)
	}
	c := &checker{t: t, app: app, cfg: cfg, s: newSchemas(doc)}
	c.defs = rewriteRefs(c.s.defs).(map[string]any)
	paths, _ := doc["paths"].(map[string]any)
	for _, ri := range app.Routes() {
		if ri.Hidden || ri.Input == nil || cfg.skip != nil && cfg.skip(ri) {
			continue
		}
		op := findOperation(paths, &ri)
		if op == nil {
			t.Errorf("openapitest: route %s: no operation in the document", ri.String())
			continue
		}
		c.route(&ri, op)
	}
	t.Logf("openapitest: %d routes, %d constraints sent, %d tag constraints found in the document", c.rep.Routes, c.rep.Constraints, c.rep.TagChecks)
	return c.rep
}

type checker struct {
	t    testing.TB
	app  *covet.App
	cfg  config
	s    *schemas
	defs map[string]any
	rep  Report
	n    int
}

// findOperation finds a route's operation by method and path shape.
func findOperation(paths map[string]any, ri *covet.RouteInfo) map[string]any {
	want := shape(ri.Pattern)
	for p, item := range paths {
		if shape(p) != want {
			continue
		}
		im, _ := item.(map[string]any)
		if op, ok := im[strings.ToLower(ri.Method)].(map[string]any); ok {
			return op
		}
	}
	return nil
}

// request is a request the checker can change and send.
type request struct {
	method   string
	template string
	params   []*param
	kind     string // "", "json", "form", "multipart"
	body     any    // JSON value, or map[string]any of form fields
	files    map[string]bool
}

type param struct {
	name, in string
	schema   any
	required bool
	value    any
	present  bool
	kind     covet.ParamKind
}

func (r *request) clone() *request {
	cp := *r
	cp.params = nil
	for _, p := range r.params {
		pc := *p
		pc.value = deepCopy(p.value)
		cp.params = append(cp.params, &pc)
	}
	cp.body = deepCopy(r.body)
	return &cp
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = deepCopy(e)
		}
		return a
	}
	return v
}

// baseline builds a valid request for an operation: every parameter and
// every body field, optional ones included.
func (c *checker) baseline(ri *covet.RouteInfo, op map[string]any) (*request, error) {
	r := &request{method: ri.Method, template: ri.Pattern}
	kinds := map[string]covet.ParamKind{}
	for _, pp := range ri.Params {
		kinds[pp.Name] = pp.Kind
	}
	ps, _ := op["parameters"].([]any)
	for i, x := range ps {
		pm, _ := x.(map[string]any)
		p := &param{schema: pm["schema"], present: true}
		p.name, _ = pm["name"].(string)
		p.in, _ = pm["in"].(string)
		p.required, _ = pm["required"].(bool)
		if p.in == "path" {
			p.kind = kinds[p.name]
		}
		v, ok := c.s.valid(p.schema, i, 0)
		if !ok {
			return nil, fmt.Errorf("no valid value for parameter %s", p.name)
		}
		p.value = v
		r.params = append(r.params, p)
	}
	if rb, ok := op["requestBody"].(map[string]any); ok {
		content, _ := rb["content"].(map[string]any)
		for _, kind := range []struct{ ct, kind string }{{"application/json", "json"}, {"application/x-www-form-urlencoded", "form"}, {"multipart/form-data", "multipart"}} {
			m, ok := content[kind.ct].(map[string]any)
			if !ok {
				continue
			}
			v, ok := c.s.valid(m["schema"], 0, 0)
			if !ok {
				return nil, fmt.Errorf("no valid value for the %s body", kind.ct)
			}
			r.kind, r.body = kind.kind, v
			if kind.kind != "json" {
				r.files = map[string]bool{}
				sc, _ := c.s.resolve(m["schema"])
				props, _ := sc["properties"].(map[string]any)
				for name, p := range props {
					ps, _ := c.s.resolve(p)
					if ps["format"] == "binary" {
						r.files[name] = true
					} else if typeOf(ps) == "array" {
						is, _ := c.s.resolve(ps["items"])
						if is["format"] == "binary" {
							r.files[name] = true
						}
					}
				}
			}
			break
		}
	}
	return r, nil
}

// scalarText renders a parameter or form value.
func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func list(v any) []string {
	if arr, ok := v.([]any); ok {
		out := make([]string, len(arr))
		for i, e := range arr {
			out[i] = scalarText(e)
		}
		return out
	}
	return []string{scalarText(v)}
}

// httpRequest renders the request.
func (c *checker) httpRequest(ri *covet.RouteInfo, r *request) (*http.Request, error) {
	path := r.template
	q := url.Values{}
	hdr := http.Header{}
	var cookies []*http.Cookie
	for _, p := range r.params {
		if p.in == "path" {
			seg := ""
			if p.present {
				seg = url.PathEscape(scalarText(p.value))
			}
			path = replaceParam(path, p.name, seg)
			continue
		}
		if !p.present {
			continue
		}
		switch p.in {
		case "query":
			for _, s := range list(p.value) {
				q.Add(p.name, s)
			}
		case "header":
			hdr.Set(p.name, strings.Join(list(p.value), ","))
		case "cookie":
			cookies = append(cookies, &http.Cookie{Name: p.name, Value: scalarText(p.value)}) // #nosec G124 -- a cookie the test client sends with a request, not one a server sets: Secure, HttpOnly and SameSite do not apply
		}
	}
	var body io.Reader
	switch r.kind {
	case "json":
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
		hdr.Set("Content-Type", "application/json")
	case "form":
		form := url.Values{}
		m, _ := r.body.(map[string]any)
		for _, k := range sortedKeys(m) {
			for _, s := range list(m[k]) {
				form.Add(k, s)
			}
		}
		body = strings.NewReader(form.Encode())
		hdr.Set("Content-Type", "application/x-www-form-urlencoded")
	case "multipart":
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		m, _ := r.body.(map[string]any)
		for _, k := range sortedKeys(m) {
			for i, s := range list(m[k]) {
				if r.files[k] {
					fw, err := mw.CreateFormFile(k, fmt.Sprintf("file%d.txt", i))
					if err != nil {
						return nil, err
					}
					fmt.Fprintf(fw, "content of %s", s)
				} else if err := mw.WriteField(k, s); err != nil {
					return nil, err
				}
			}
		}
		if err := mw.Close(); err != nil {
			return nil, err
		}
		body = &b
		hdr.Set("Content-Type", mw.FormDataContentType())
	}
	u := path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req := httptest.NewRequest(r.method, u, body)
	for k, v := range hdr {
		req.Header[k] = v
	}
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	if c.cfg.edit != nil {
		c.cfg.edit(ri, req)
	}
	return req, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// replaceParam substitutes a {name} or {name:kind} segment.
func replaceParam(pattern, name, value string) string {
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			n, _, _ := strings.Cut(s[1:len(s)-1], ":")
			if n == name {
				segs[i] = value
			}
		}
	}
	return strings.Join(segs, "/")
}

// fieldError is an entry of a 422 problem.
type fieldError struct {
	Location string `json:"location"`
	Field    string `json:"field"`
	Pointer  string `json:"pointer"`
	Message  string `json:"message"`
}

type answer struct {
	status int
	errs   []fieldError
	body   string
}

func (c *checker) send(ri *covet.RouteInfo, r *request) (answer, error) {
	req, err := c.httpRequest(ri, r)
	if err != nil {
		return answer{}, err
	}
	rec := httptest.NewRecorder()
	c.app.ServeHTTP(rec, req)
	a := answer{status: rec.Code, body: rec.Body.String()}
	if rec.Code == http.StatusUnprocessableEntity {
		var p struct {
			Errors []fieldError `json:"errors"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &p)
		a.errs = p.Errors
	}
	return a, nil
}

// slot is where a constraint lives: a parameter, or a path in the body.
type slot struct {
	param *int     // index in params, or nil for the body
	path  []string // inside the parameter's value or the body
	// in and name say how the 422 names the field.
	in, name string
}

func (s slot) String() string {
	if s.in == "body" {
		return "body " + pointer(s.path)
	}
	return s.in + " " + s.name + pathSuffix(s.path)
}

func pathSuffix(p []string) string {
	if len(p) == 0 {
		return ""
	}
	return "[" + strings.Join(p, "][") + "]"
}

func pointer(p []string) string {
	var b strings.Builder
	for _, t := range p {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}

// constraint is one keyword to break.
type constraint struct {
	at      slot
	keyword string
	schema  map[string]any // the schema holding the keyword
}

func (c *checker) route(ri *covet.RouteInfo, op map[string]any) {
	base, err := c.baseline(ri, op)
	if err != nil {
		c.t.Errorf("openapitest: route %s: %v", ri.String(), err)
		return
	}
	a, err := c.send(ri, base)
	if err != nil {
		c.t.Errorf("openapitest: route %s: %v", ri.String(), err)
		return
	}
	for round := 0; round < 6 && a.status == http.StatusUnprocessableEntity && len(a.errs) > 0; round++ {
		// The document may not say enough to build a value the binder
		// takes (a Go duration or an IP address is only "a string"): try
		// other values the field's schema accepts.
		if !c.repair(base, a.errs, round) {
			break
		}
		if a, err = c.send(ri, base); err != nil {
			c.t.Errorf("openapitest: route %s: %v", ri.String(), err)
			return
		}
	}
	switch a.status {
	case http.StatusUnprocessableEntity, http.StatusBadRequest, http.StatusUnsupportedMediaType, http.StatusRequestEntityTooLarge:
		c.t.Errorf("openapitest: route %s: a request built from the document was refused with %d: %s", ri.String(), a.status, a.body)
		return
	case http.StatusUnauthorized, http.StatusForbidden:
		c.t.Errorf("openapitest: route %s: answered %d before validation; add credentials with WithRequest", ri.String(), a.status)
		return
	}
	c.rep.Routes++
	var cons []constraint
	for i, p := range base.params {
		i := i
		at := slot{param: &i, in: p.in, name: p.name}
		kw := "optional"
		if p.required {
			kw = "required"
		}
		if p.in != "path" { // a path without its parameter is another path
			cons = append(cons, constraint{at: at, keyword: kw})
		}
		cons = append(cons, c.keywords(p.schema, at, p.value)...)
	}
	if base.kind != "" {
		in := "body"
		if base.kind != "json" {
			in = "form"
		}
		cons = append(cons, c.walkBody(base, in, nil, c.bodySchema(op, base.kind), base.body)...)
	}
	for _, k := range cons {
		c.check(ri, base, k)
	}
	c.checkTags(ri, op, base)
}

func (c *checker) bodySchema(op map[string]any, kind string) any {
	ct := map[string]string{"json": "application/json", "form": "application/x-www-form-urlencoded", "multipart": "multipart/form-data"}[kind]
	rb, _ := op["requestBody"].(map[string]any)
	content, _ := rb["content"].(map[string]any)
	m, _ := content[ct].(map[string]any)
	return m["schema"]
}

// walkBody lists the constraints of a body value and its fields.
func (c *checker) walkBody(base *request, in string, path []string, schema any, value any) []constraint {
	sc, _ := c.s.resolve(schema)
	at := slot{in: in, path: path}
	if in == "form" && len(path) > 0 {
		at.name = path[0]
	}
	var out []constraint
	if len(path) > 0 && !(in == "form" && base.files[path[0]]) {
		out = append(out, c.keywords(schema, at, value)...)
	}
	switch typeOf(sc) {
	case "object":
		obj, ok := value.(map[string]any)
		if !ok {
			return out
		}
		req := requiredSet(sc)
		props, _ := sc["properties"].(map[string]any)
		for _, name := range sortedKeys(props) {
			if _, present := obj[name]; !present {
				continue
			}
			p := append(append([]string(nil), path...), name)
			fs := slot{in: in, path: p}
			if in == "form" {
				fs.name = name
			}
			kw := "optional"
			if req[name] {
				kw = "required"
			}
			out = append(out, constraint{at: fs, keyword: kw})
			if in == "form" {
				if !base.files[name] {
					out = append(out, c.keywords(props[name], fs, obj[name])...)
				}
				continue
			}
			out = append(out, c.walkBody(base, in, p, props[name], obj[name])...)
		}
		if ap, ok := sc["additionalProperties"].(map[string]any); ok && in == "body" {
			for _, k := range sortedKeys(obj) {
				if _, isProp := props[k]; !isProp {
					out = append(out, c.walkBody(base, in, append(append([]string(nil), path...), k), ap, obj[k])...)
					break
				}
			}
		}
	case "array":
		if arr, ok := value.([]any); ok && len(arr) > 0 && in == "body" {
			out = append(out, c.walkBody(base, in, append(append([]string(nil), path...), "0"), sc["items"], arr[0])...)
		}
	}
	return out
}

// keywords lists the checked keywords of a schema (and, for a parameter
// or form field holding an array, of its items).
func (c *checker) keywords(schema any, at slot, value any) []constraint {
	sc, _ := c.s.resolve(schema)
	var out []constraint
	add := func(kw string, s map[string]any, where slot) {
		out = append(out, constraint{at: where, keyword: kw, schema: s})
	}
	scalar := func(s map[string]any, where slot) {
		switch typeOf(s) {
		case "string":
			if n, ok := intKey(s, "minLength"); ok && n > 0 {
				add("minLength", s, where)
			}
			for _, k := range []string{"maxLength", "pattern"} {
				if _, ok := s[k]; ok {
					add(k, s, where)
				}
			}
			if f, _ := s["format"].(string); assertedFormats[f] {
				add("format", s, where)
			}
			if _, ok := s["enum"]; ok {
				add("enum", s, where)
			}
		case "integer", "number":
			for _, k := range []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "enum"} {
				if _, ok := s[k]; ok {
					add(k, s, where)
				}
			}
		}
	}
	switch typeOf(sc) {
	case "array":
		if n, ok := intKey(sc, "minItems"); ok && n > 0 {
			add("minItems", sc, at)
		}
		if _, ok := sc["maxItems"]; ok {
			add("maxItems", sc, at)
		}
		if u, _ := sc["uniqueItems"].(bool); u {
			add("uniqueItems", sc, at)
		}
		if at.in != "body" {
			// Parameters and form fields: the items' keywords, on element 0.
			if arr, ok := value.([]any); ok && len(arr) > 0 {
				is, _ := c.s.resolve(sc["items"])
				el := at
				el.path = append(append([]string(nil), at.path...), "0")
				scalar(is, el)
			}
		}
	default:
		scalar(sc, at)
	}
	return out
}

// get and set reach a path inside a JSON value.
func getAt(v any, path []string) any {
	for _, t := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[t]
		case []any:
			i, _ := strconv.Atoi(t)
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func setAt(root any, path []string, val any, del bool) any {
	if len(path) == 0 {
		return val
	}
	switch x := root.(type) {
	case map[string]any:
		if len(path) == 1 && del {
			delete(x, path[0])
			return x
		}
		x[path[0]] = setAt(x[path[0]], path[1:], val, del)
		return x
	case []any:
		i, _ := strconv.Atoi(path[0])
		if i < len(x) {
			x[i] = setAt(x[i], path[1:], val, del)
		}
		return x
	}
	return root
}

// apply returns a copy of base with the slot set to val, or removed.
func apply(base *request, at slot, val any, del bool) *request {
	r := base.clone()
	if at.param != nil {
		p := r.params[*at.param]
		if del && len(at.path) == 0 {
			p.present = false
			return r
		}
		p.value = setAt(p.value, at.path, val, del)
		return r
	}
	r.body = setAt(r.body, at.path, val, del)
	return r
}

func (c *checker) check(ri *covet.RouteInfo, base *request, k constraint) {
	name := fmt.Sprintf("route %s: %s: %s", ri.String(), k.at, k.keyword)
	var r *request
	switch k.keyword {
	case "required", "optional":
		r = apply(base, k.at, nil, true)
	default:
		cur := c.current(base, k.at)
		val, ok, isolated := c.breaking(k, cur)
		if !ok {
			c.rep.Unbreakable = append(c.rep.Unbreakable, name)
			return
		}
		if !isolated {
			c.rep.NotIsolated = append(c.rep.NotIsolated, name)
		}
		r = apply(base, k.at, val, false)
	}
	a, err := c.send(ri, r)
	if err != nil {
		c.t.Errorf("openapitest: %s: %v", name, err)
		return
	}
	c.rep.Constraints++
	named := a.status == http.StatusUnprocessableEntity && c.names(a.errs, k.at)
	if k.keyword == "optional" {
		if named {
			c.t.Errorf("openapitest: %s: the document says the field is optional, but leaving it out is a 422: %s", name, a.body)
		}
		return
	}
	if named {
		return
	}
	// A path parameter the route's converter refuses does not match the
	// route: the router enforces that constraint (404).
	if k.at.param != nil && k.at.in == "path" && a.status == http.StatusNotFound {
		p := r.params[*k.at.param]
		if !converterAccepts(p.kind, scalarText(p.value)) || !p.present {
			return
		}
	}
	c.t.Errorf("openapitest: %s: the document declares it, but a request breaking it got %d without an error for the field: %s", name, a.status, clip(a.body))
}

func clip(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

// current returns the slot's value in the baseline.
func (c *checker) current(base *request, at slot) any {
	if at.param != nil {
		return getAt(base.params[*at.param].value, at.path)
	}
	return getAt(base.body, at.path)
}

// names reports whether the 422's errors name the slot's field.
func (c *checker) names(errs []fieldError, at slot) bool {
	for _, e := range errs {
		switch at.in {
		case "body":
			p := pointer(at.path)
			if e.Location == "body" && (e.Pointer == p || strings.HasPrefix(e.Pointer, p+"/")) {
				return true
			}
		default:
			if e.Location != at.in {
				continue
			}
			f := e.Field
			if at.in == "header" {
				f, at.name = strings.ToLower(f), strings.ToLower(at.name)
			}
			if f == at.name || strings.HasPrefix(f, at.name+".") || strings.HasPrefix(f, at.name+"[") || strings.HasPrefix(f, at.name+"/") {
				return true
			}
		}
	}
	return false
}

// converterAccepts mirrors the documented path converters: int is digits,
// float digits with an optional fraction, uuid 8-4-4-4-12 hex.
func converterAccepts(k covet.ParamKind, s string) bool {
	switch k {
	case covet.ParamInt:
		return s != "" && strings.Trim(s, "0123456789") == ""
	case covet.ParamFloat:
		i, f, _ := strings.Cut(s, ".")
		return i != "" && strings.Trim(i, "0123456789") == "" && strings.Trim(f, "0123456789") == "" && (!strings.Contains(s, ".") || f != "")
	case covet.ParamUUID:
		return len(s) == 36 && strings.Trim(s, "0123456789abcdefABCDEF-") == ""
	case covet.ParamString:
		return s != "" && !strings.Contains(s, "/")
	}
	return true
}

// breaking finds a value that breaks the constraint's keyword: isolated
// when the reference validator finds only that keyword failing.
func (c *checker) breaking(k constraint, cur any) (val any, ok, isolated bool) {
	sch, err := c.compile(k.schema)
	if err != nil {
		return nil, false, false
	}
	var fallback any
	found := false
	for _, cand := range c.candidates(k, cur) {
		kws := failing(sch, cand)
		if len(kws) == 1 && kws[0] == k.keyword {
			return cand, true, true
		}
		if !found && contains(kws, k.keyword) {
			fallback, found = cand, true
		}
	}
	return fallback, found, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// failing lists the keywords a value fails, by the reference validator.
func failing(sch *jsonschema.Schema, v any) []string {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	err = sch.Validate(inst)
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return nil
	}
	set := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			if kp := e.ErrorKind.KeywordPath(); len(kp) > 0 {
				set[kp[len(kp)-1]] = true
			}
			return
		}
		for _, cause := range e.Causes {
			walk(cause)
		}
	}
	walk(ve)
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// compile compiles a schema of the document with the reference validator
// (formats asserted), its refs pointing into $defs.
func (c *checker) compile(s map[string]any) (*jsonschema.Schema, error) {
	root := rewriteRefs(s).(map[string]any)
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$defs"] = c.defs
	comp := jsonschema.NewCompiler()
	comp.AssertFormat()
	c.n++
	loc := fmt.Sprintf("mem:///schema%d.json", c.n)
	if err := comp.AddResource(loc, root); err != nil {
		return nil, err
	}
	return comp.Compile(loc)
}

// rewriteRefs copies a schema with "#/components/schemas/X" refs turned
// into "#/$defs/X".
func rewriteRefs(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			if k == "$ref" {
				if s, ok := e.(string); ok {
					m[k] = strings.Replace(s, "#/components/schemas/", "#/$defs/", 1)
					continue
				}
			}
			m[k] = rewriteRefs(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = rewriteRefs(e)
		}
		return a
	}
	return v
}

// candidates lists values that may break a keyword, most likely first.
func (c *checker) candidates(k constraint, cur any) []any {
	sc := k.schema
	var out []any
	str := func(ss ...string) {
		for _, s := range ss {
			out = append(out, s)
		}
	}
	num := func(fs ...float64) {
		for _, f := range fs {
			if !math.IsInf(f, 0) && !math.IsNaN(f) {
				out = append(out, numberValue(f))
			}
		}
	}
	curS, _ := cur.(string)
	curF, _ := numKey(map[string]any{"v": cur}, "v")
	minLen, _ := intKey(sc, "minLength")
	maxLen, hasMax := intKey(sc, "maxLength")
	if !hasMax {
		maxLen = 64
	}
	pat, _ := sc["pattern"].(string)
	switch k.keyword {
	case "minLength":
		n := minLen - 1
		r := []rune(curS)
		if len(r) > n {
			str(string(r[:n]))
		}
		if s, ok := genPattern(orAny(pat), 0, n, 0); ok {
			str(s)
		}
		str(strings.Repeat("a", n), strings.Repeat("A", n), strings.Repeat("0", n))
	case "maxLength":
		n := maxLen + 1
		r := []rune(curS)
		if len(r) > 0 {
			str(curS + strings.Repeat(string(r[len(r)-1]), n-len(r)))
		}
		if s, ok := genPattern(orAny(pat), n, n+8, 0); ok {
			str(s)
		}
		str(strings.Repeat("a", n), strings.Repeat("A", n), strings.Repeat("0", n))
	case "pattern":
		for _, base := range []string{"!", " ", "~", "-", "_", "0", "a", "A", "."} {
			for l := max(minLen, 1); l <= min(maxLen, max(minLen, 1)+3); l++ {
				str(strings.Repeat(base, l))
			}
		}
		str("!"+curS, curS+"!", "")
	case "format":
		bad := map[string][]string{
			"email":     {"not-an-email", "user@", "user.example.com"},
			"uuid":      {"not-a-uuid", "00000000-0000-0000-0000-00000000000g", "1234"},
			"uri":       {"not a uri", "example", "/relative/path"},
			"date-time": {"yesterday", "2024-13-45T00:00:00Z", "2024-01-02 03:04:05"},
			"date":      {"2024-13-45", "yesterday", "01/02/2024"},
			"time":      {"25:61:00Z", "noon", "03:04"},
			"ipv4":      {"999.1.1.1", "1.2.3", "not-an-ip"},
			"ipv6":      {"not:an:ipv6::x", "12345::", "1.2.3.4"},
			"hostname":  {"-bad-.example", "bad_host!", "a..b"},
		}
		f, _ := sc["format"].(string)
		for _, s := range bad[f] {
			str(s, padTo(s, minLen, 'a'))
		}
	case "enum":
		enum, _ := sc["enum"].([]any)
		if typeOf(sc) == "string" {
			str(curS+"x", "zz-not-in-enum", "x"+curS, strings.ToUpper(curS))
		} else {
			hi, lo := math.Inf(-1), math.Inf(1)
			for _, e := range enum {
				if f, ok := numKey(map[string]any{"v": e}, "v"); ok {
					hi, lo = math.Max(hi, f), math.Min(lo, f)
				}
			}
			num(hi+1, lo-1, hi+2, hi+0.5)
			if m, ok := numKey(sc, "multipleOf"); ok {
				num(hi+m, lo-m)
			}
		}
	case "minimum", "exclusiveMinimum":
		m, _ := numKey(sc, k.keyword)
		if k.keyword == "exclusiveMinimum" {
			num(m)
		}
		num(m-1, m-0.5, m-2, math.Nextafter(m, math.Inf(-1)), m-math.Abs(m)*0.5-1)
		if mo, ok := numKey(sc, "multipleOf"); ok {
			num(math.Floor((m-1e-9)/mo)*mo, m-mo)
		}
	case "maximum", "exclusiveMaximum":
		m, _ := numKey(sc, k.keyword)
		if k.keyword == "exclusiveMaximum" {
			num(m)
		}
		num(m+1, m+0.5, m+2, math.Nextafter(m, math.Inf(1)), m+math.Abs(m)*0.5+1)
		if mo, ok := numKey(sc, "multipleOf"); ok {
			num(math.Ceil((m+1e-9)/mo)*mo, m+mo)
		}
	case "multipleOf":
		m, _ := numKey(sc, "multipleOf")
		num(curF+m/2, curF+1, curF-1, curF+m/3, m/2, m*1.5, curF+0.5)
	case "minItems":
		n, _ := intKey(sc, "minItems")
		if arr, ok := cur.([]any); ok && len(arr) >= n-1 {
			out = append(out, append([]any{}, arr[:n-1]...))
		}
	case "maxItems":
		n, _ := intKey(sc, "maxItems")
		arr, _ := cur.([]any)
		grown := append([]any{}, arr...)
		for i := 0; len(grown) <= n && i < n+50; i++ {
			e, ok := c.s.valid(sc["items"], 100+i, 0)
			if !ok {
				break
			}
			grown = append(grown, e)
		}
		out = append(out, grown)
	case "uniqueItems":
		arr, _ := cur.([]any)
		if len(arr) > 0 {
			n := 2
			if m, ok := intKey(sc, "minItems"); ok && m > n {
				n = m
			}
			dup := make([]any, n)
			for i := range dup {
				dup[i] = deepCopy(arr[0])
			}
			out = append(out, dup)
		}
	}
	return out
}

func orAny(p string) string {
	if p == "" {
		return "^[a-z]*$"
	}
	return p
}

// guesses are values that common string-typed fields accept.
var guesses = []any{"1m30s", "1", "true", "127.0.0.1", "2024-01-02T03:04:05Z", "00000000-0000-4000-8000-000000000001", "example", "a"}

// repair replaces the values of the fields a 422 names with other values
// their schemas accept; false when nothing could be changed.
func (c *checker) repair(base *request, errs []fieldError, round int) bool {
	changed := false
	for _, e := range errs {
		at, sc, ok := c.slotOf(base, e)
		if !ok {
			continue
		}
		sch, err := c.compile(sc)
		if err != nil {
			continue
		}
		var cands []any
		for v := 1; v <= 3; v++ {
			if x, ok := c.s.valid(sc, v+round*3, 0); ok {
				cands = append(cands, x)
			}
		}
		cands = append(cands, guesses...)
		cur := c.current(base, at)
		for i := range cands {
			cand := cands[(i+round)%len(cands)]
			if len(failing(sch, cand)) == 0 && scalarText(cand) != scalarText(cur) {
				*base = *apply(base, at, cand, false)
				changed = true
				break
			}
		}
	}
	return changed
}

// slotOf finds the field a 422 error names, and its schema.
func (c *checker) slotOf(base *request, e fieldError) (slot, map[string]any, bool) {
	switch e.Location {
	case "body":
		var path []string
		for _, t := range strings.Split(strings.TrimPrefix(e.Pointer, "/"), "/") {
			path = append(path, strings.NewReplacer("~1", "/", "~0", "~").Replace(t))
		}
		return slot{in: "body", path: path}, nil, false // body values come from typed schemas
	default:
		for i, p := range base.params {
			if p.in == e.Location && (p.name == e.Field || p.in == "header" && strings.EqualFold(p.name, e.Field)) {
				i := i
				sc, _ := c.s.resolve(p.schema)
				return slot{param: &i, in: p.in, name: p.name}, sc, true
			}
		}
	}
	return slot{}, nil, false
}
