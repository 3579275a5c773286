package openapitest

import (
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode"

	covet "github.com/covetgo/covet/core"
)

// The tag cross-check reads the input's struct tags on its own (not
// through core's compiled plans) and looks for each constraint in the
// document: a constraint the validator enforces but the document omits is
// a disagreement the request checks alone could not see.

// checkedTags are the constraint tags of core's vocabulary.
var checkedTags = []string{
	"required", "minLength", "maxLength", "pattern", "format", "enum",
	"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
	"minItems", "maxItems", "uniqueItems",
}

// itemTags apply to the elements of a slice field.
var itemTags = map[string]bool{
	"minLength": true, "maxLength": true, "pattern": true, "format": true, "enum": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true, "multipleOf": true,
}

// tagField is one field with constraint tags, and where the document keeps it.
type tagField struct {
	in   string   // path, query, header, cookie, form, body
	name string   // parameter or form field name
	path []string // body: property names, "[]" for items, "{}" for map values
	t    reflect.Type
	tags reflect.StructTag
}

func (c *checker) checkTags(ri *covet.RouteInfo, op map[string]any, base *request) {
	var fields []tagField
	in := ri.Input
	located, bodyField := false, -1
	for i := 0; i < in.NumField(); i++ {
		f := in.Field(i)
		for _, loc := range []string{"path", "query", "header", "cookie", "form"} {
			if v, ok := f.Tag.Lookup(loc); ok {
				name, _, _ := strings.Cut(v, ",")
				fields = append(fields, tagField{in: loc, name: name, t: f.Type, tags: f.Tag})
				located = true
			}
		}
		if f.Name == "Body" && f.IsExported() {
			bodyField = i
		}
	}
	switch {
	case bodyField >= 0:
		fields = append(fields, bodyFields(in.Field(bodyField).Type, nil, 0)...)
	case !located:
		fields = append(fields, bodyFields(in, nil, 0)...)
	}
	for _, f := range fields {
		for _, key := range checkedTags {
			val, ok := f.tags.Lookup(key)
			if !ok {
				continue
			}
			c.rep.TagChecks++
			if msg := c.declared(op, base, f, key, val); msg != "" {
				c.t.Errorf("openapitest: route %s: %s %s: tag %s:%q: %s", ri.String(), f.in, f.label(), key, val, msg)
			}
		}
	}
}

func (f tagField) label() string {
	if f.in == "body" {
		return "/" + strings.Join(f.path, "/")
	}
	return f.name
}

// bodyFields lists the fields of a JSON body type, flattening embedded
// structs as encoding/json does.
func bodyFields(t reflect.Type, path []string, depth int) []tagField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if depth > 6 {
		return nil
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil
		}
		return bodyFields(t.Elem(), append(clone(path), "[]"), depth+1)
	case reflect.Map:
		return bodyFields(t.Elem(), append(clone(path), "{}"), depth+1)
	case reflect.Struct:
	default:
		return nil
	}
	if t.PkgPath() == "time" && t.Name() == "Time" {
		return nil
	}
	var out []tagField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if tag == "-" {
			continue
		}
		if !validJSONName(name) {
			name = "" // encoding/json (and Covet) use the Go name
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, bodyFields(ft, path, depth)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		p := append(clone(path), name)
		out = append(out, tagField{in: "body", path: p, t: f.Type, tags: f.Tag})
		out = append(out, bodyFields(f.Type, p, depth+1)...)
	}
	return out
}

// validJSONName is encoding/json's test of a tag name (isValidTag): a
// name it refuses, as in json:"price€", is ignored.
func validJSONName(s string) bool {
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

func clone(p []string) []string { return append([]string(nil), p...) }

// declared looks for a tag's constraint in the document; "" when found.
func (c *checker) declared(op map[string]any, base *request, f tagField, key, val string) string {
	var sc map[string]any
	required := false
	switch f.in {
	case "path", "query", "header", "cookie":
		ps, _ := op["parameters"].([]any)
		for _, x := range ps {
			pm, _ := x.(map[string]any)
			n, _ := pm["name"].(string)
			if pm["in"] == f.in && (n == f.name || f.in == "header" && strings.EqualFold(n, f.name)) {
				sc, _ = c.s.resolve(pm["schema"])
				required, _ = pm["required"].(bool)
			}
		}
		if sc == nil {
			return "the parameter is not in the document"
		}
	case "form":
		if base.kind != "form" && base.kind != "multipart" {
			return "the document has no form body"
		}
		body, _ := c.s.resolve(c.bodySchema(op, base.kind))
		props, _ := body["properties"].(map[string]any)
		if props[f.name] == nil {
			return "the form field is not in the document"
		}
		sc, _ = c.s.resolve(props[f.name])
		required = requiredSet(body)[f.name]
	case "body":
		if base.kind != "json" {
			return "the document has no JSON body"
		}
		cur, _ := c.s.resolve(c.bodySchema(op, "json"))
		var parent map[string]any
		for _, step := range f.path {
			parent = cur
			var next any
			switch step {
			case "[]":
				next = cur["items"]
			case "{}":
				next = cur["additionalProperties"]
			default:
				props, _ := cur["properties"].(map[string]any)
				next = props[step]
			}
			if next == nil {
				return "the field is not in the document"
			}
			cur, _ = c.s.resolve(next)
		}
		sc = cur
		required = requiredSet(parent)[f.path[len(f.path)-1]]
	}
	if key == "required" {
		if (val == "true") != required {
			return "the document says required=" + strconv.FormatBool(required)
		}
		return ""
	}
	target := sc
	if itemTags[key] && typeOf(sc) == "array" {
		target, _ = c.s.resolve(sc["items"])
	}
	got, ok := target[key]
	if !ok {
		return "the document does not declare it"
	}
	switch key {
	case "pattern", "format":
		if got != val {
			return "the document says " + strconv.Quote(scalarText(got))
		}
	case "uniqueItems":
		if b, _ := got.(bool); b != (val == "true") {
			return "the document says " + scalarText(got)
		}
	case "enum":
		arr, _ := got.([]any)
		var docVals []string
		for _, e := range arr {
			if e != nil {
				docVals = append(docVals, normNum(scalarText(e)))
			}
		}
		var tagVals []string
		for _, v := range strings.Split(val, ",") {
			tagVals = append(tagVals, normNum(strings.TrimSpace(v)))
		}
		if strings.Join(docVals, ",") != strings.Join(tagVals, ",") {
			return "the document says " + strings.Join(docVals, ",")
		}
	default:
		want, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return ""
		}
		g, _ := numKey(target, key)
		switch key {
		case "minimum":
			if g < want {
				return "the document says " + scalarText(got) + ", looser than the tag"
			}
		case "maximum":
			if g > want {
				return "the document says " + scalarText(got) + ", looser than the tag"
			}
		default:
			if math.Abs(g-want) > 1e-12*math.Max(1, math.Abs(want)) {
				return "the document says " + scalarText(got)
			}
		}
	}
	return ""
}

// normNum writes numbers one way ("1.0" and "1" are the same enum value).
func normNum(s string) string {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return s
}
