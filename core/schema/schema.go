// Package schema describes Covet's typed routes in JSON Schema 2020-12: a
// Registry turns the Go types of typed handlers' inputs and outputs into
// Schemas and named components, and RouteDoc describes a route's parameters,
// body and responses. The schemas come from the same compiled plans the
// request validator runs (core/internal/binding), so documentation and
// validation cannot disagree. Documentation plugins (plugins/openapi)
// assemble and convert these values; they never read struct tags themselves.
package schema

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/internal/binding"
)

// This file is the contract between core and documentation plugins (the
// OpenAPI plugin): core describes typed routes with JSON Schema built from
// the same compiled plans its validator runs, so documentation and
// validation cannot disagree. Plugins assemble and convert these values;
// they do not read struct tags themselves.

// Schema is a JSON Schema in the 2020-12 dialect, which OpenAPI 3.1 uses.
// Only the keywords Covet produces are modelled. Its JSON encoding is the
// 2020-12 form: Nullable becomes "type": ["string", "null"] (or, on a $ref,
// "anyOf": [{"$ref": ...}, {"type": "null"}]); properties keep declaration
// order. Converting to OpenAPI 3.0.3 is the plugin's job: Nullable maps to
// "nullable: true", Examples to "example", and a $ref with siblings to allOf.
type Schema struct {
	// Ref is a reference to a component ("#/components/schemas/User").
	// Description, Deprecated, Default, Examples and Nullable may sit
	// beside it; other keywords are empty when Ref is set.
	Ref string
	// Type is "string", "integer", "number", "boolean", "array" or
	// "object"; empty means any JSON value.
	Type string
	// Nullable adds null to the allowed types (pointer fields).
	Nullable bool
	// Format is a JSON Schema or OpenAPI format: date-time, date, time,
	// email, uuid, uri, ipv4, ipv6, hostname, int32, int64, float, double,
	// byte (base64), binary (a file in a form).
	Format      string
	Description string
	Deprecated  bool
	// Default is the value an absent field takes (nil: none).
	Default any
	// Examples are example values (from example tags).
	Examples []any
	// Enum lists the allowed values.
	Enum []any

	Minimum, Maximum, ExclusiveMinimum, ExclusiveMaximum, MultipleOf *float64
	MinLength, MaxLength                                             *int
	// Pattern is a regular expression in Go's RE2 syntax (a subset of the
	// ECMA-262 syntax JSON Schema names, for the constructs people use).
	Pattern string

	Items              *Schema
	MinItems, MaxItems *int
	UniqueItems        bool

	// Properties of an object; PropertyOrder lists their names in
	// declaration order (Properties alone is unordered).
	Properties    map[string]*Schema
	PropertyOrder []string
	// Required lists the properties that must be present.
	Required []string
	// AdditionalProperties is the schema of a map's values.
	AdditionalProperties *Schema
	// PropertyNames is the schema of a map's keys when the binder takes
	// only some strings (integer keys: a pattern of digits); nil for any.
	PropertyNames *Schema
}

// MarshalJSON encodes the schema in the JSON Schema 2020-12 form: the
// members Keywords yields, in its order.
func (s *Schema) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	var err error
	first := true
	key := func(k string) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
	}
	for k, v := range s.Keywords() {
		if props, ok := v.([]Property); ok {
			key(k)
			b.WriteByte('{')
			for i, p := range props {
				if i > 0 {
					b.WriteByte(',')
				}
				kb, _ := json.Marshal(p.Name)
				b.Write(kb)
				b.WriteByte(':')
				vb, e := json.Marshal(p.Schema)
				if e != nil {
					return nil, e
				}
				b.Write(vb)
			}
			b.WriteByte('}')
			continue
		}
		var vb []byte
		if vb, err = json.Marshal(v); err != nil {
			return nil, err
		}
		key(k)
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Property is one member of a schema's properties, as Keywords yields them.
type Property struct {
	Name   string
	Schema *Schema
}

// Keywords yields the schema's members in the order of its JSON encoding,
// with the values that encoding writes: strings, bools, float64 and int
// numbers, []string, []any (enum, examples, anyOf), defaults and examples as
// given, *Schema for nested schemas (items, additionalProperties, the
// members of anyOf), and []Property for properties (declaration order, then
// any others sorted). Documentation plugins walk it to build their own
// trees without re-implementing the encoding.
func (s *Schema) Keywords() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		_ = s.annotations(yield) && s.constraints(yield) && s.objectKeywords(yield)
	}
}

// annotations yields $ref, type, format, the annotations (description,
// deprecated, default, examples) and enum; false when yield stopped.
func (s *Schema) annotations(yield func(string, any) bool) bool {
	if s.Ref != "" {
		var ok bool
		if s.Nullable {
			ok = yield("anyOf", []any{&Schema{Ref: s.Ref}, &Schema{Type: "null"}})
		} else {
			ok = yield("$ref", s.Ref)
		}
		if !ok {
			return false
		}
	}
	if s.Type != "" {
		var t any = s.Type
		if s.Nullable {
			t = []string{s.Type, "null"}
		}
		if !yield("type", t) {
			return false
		}
	}
	if s.Format != "" && !yield("format", s.Format) ||
		s.Description != "" && !yield("description", s.Description) ||
		s.Deprecated && !yield("deprecated", true) ||
		s.Default != nil && !yield("default", s.Default) ||
		len(s.Examples) > 0 && !yield("examples", s.Examples) {
		return false
	}
	if s.Enum != nil {
		enum := s.Enum
		if s.Nullable {
			enum = append(append([]any(nil), enum...), nil)
		}
		return yield("enum", enum)
	}
	return true
}

// constraints yields the number, string and array keywords.
func (s *Schema) constraints(yield func(string, any) bool) bool {
	for _, kv := range []struct {
		k string
		v *float64
	}{{"minimum", s.Minimum}, {"maximum", s.Maximum}, {"exclusiveMinimum", s.ExclusiveMinimum}, {"exclusiveMaximum", s.ExclusiveMaximum}, {"multipleOf", s.MultipleOf}} {
		if kv.v != nil && !yield(kv.k, *kv.v) {
			return false
		}
	}
	return !(s.MinLength != nil && !yield("minLength", *s.MinLength) ||
		s.MaxLength != nil && !yield("maxLength", *s.MaxLength) ||
		s.Pattern != "" && !yield("pattern", s.Pattern) ||
		s.Items != nil && !yield("items", s.Items) ||
		s.MinItems != nil && !yield("minItems", *s.MinItems) ||
		s.MaxItems != nil && !yield("maxItems", *s.MaxItems) ||
		s.UniqueItems && !yield("uniqueItems", true))
}

// objectKeywords yields properties, required, additionalProperties and
// propertyNames.
func (s *Schema) objectKeywords(yield func(string, any) bool) bool {
	if s.Properties != nil {
		names := s.propertyNames()
		props := make([]Property, len(names))
		for i, n := range names {
			props[i] = Property{n, s.Properties[n]}
		}
		if !yield("properties", props) {
			return false
		}
	}
	return !(len(s.Required) > 0 && !yield("required", s.Required) ||
		s.AdditionalProperties != nil && !yield("additionalProperties", s.AdditionalProperties) ||
		s.PropertyNames != nil && !yield("propertyNames", s.PropertyNames))
}

// propertyNames returns the property names in declaration order, then any
// others sorted.
func (s *Schema) propertyNames() []string {
	out := make([]string, 0, len(s.Properties))
	seen := map[string]bool{}
	for _, n := range s.PropertyOrder {
		if _, ok := s.Properties[n]; ok && !seen[n] {
			out = append(out, n)
			seen[n] = true
		}
	}
	var rest []string
	for n := range s.Properties {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// SchemaRegistry builds schemas for Go types and keeps one component per
// named struct type. Component names are the type's name (generic type
// arguments folded in: Page[User] is "PageUser"); when two types share a
// name, both are qualified with their package name ("billing.Invoice"),
// and with their whole import path if that still collides. Refs already
// handed out are renamed in place, so names do not depend on the order
// types were met. A registry is not safe for concurrent use.
type Registry struct {
	prefix string
	comps  map[reflect.Type]*component
	names  map[string][]reflect.Type
	refs   map[reflect.Type][]*Schema
}

type component struct {
	Name   string
	schema *Schema
}

// NewSchemaRegistry returns a registry whose refs point to refPrefix+name
// ("" means "#/components/schemas/").
func NewRegistry(refPrefix string) *Registry {
	if refPrefix == "" {
		refPrefix = "#/components/schemas/"
	}
	return &Registry{prefix: refPrefix, comps: map[reflect.Type]*component{}, names: map[string][]reflect.Type{}, refs: map[reflect.Type][]*Schema{}}
}

// Components returns every component by name.
func (r *Registry) Components() map[string]*Schema {
	out := make(map[string]*Schema, len(r.comps))
	for _, c := range r.comps {
		out[c.Name] = c.schema
	}
	return out
}

// Names returns the component names, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.comps))
	for _, c := range r.comps {
		out = append(out, c.Name)
	}
	sort.Strings(out)
	return out
}

// TypeName returns the component name of a registered type ("" if none).
func (r *Registry) TypeName(t reflect.Type) string {
	if c := r.comps[t]; c != nil {
		return c.Name
	}
	return ""
}

// Schema returns the schema of t: a $ref for a named struct (registering
// its component), an inline schema otherwise. Types a typed handler could
// not bind (functions, channels, bad tags) are an error.
func (r *Registry) Schema(t reflect.Type) (*Schema, error) {
	tp, err := binding.BodyPlan(t)
	if err != nil {
		return nil, err
	}
	return r.plan(tp), nil
}

// durationPattern is the syntax time.ParseDuration accepts, for documents.
const durationPattern = `^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`

func (r *Registry) plan(tp *binding.TypePlan) *Schema {
	switch tp.Kind {
	case binding.KindPtr:
		s := r.plan(tp.Elem)
		s.Nullable = true
		return s
	case binding.KindString:
		return &Schema{Type: "string"}
	case binding.KindInt, binding.KindDuration:
		s := &Schema{Type: "integer", Format: "int64"}
		if tp.Bits <= 32 {
			s.Format = "int32"
		}
		if tp.Bits < 32 {
			// The bounds of small types are part of the contract: the
			// validator refuses values the type cannot hold.
			s.Minimum, s.Maximum = fptr(-float64(int64(1)<<(tp.Bits-1))), fptr(float64(int64(1)<<(tp.Bits-1)-1))
		} else if tp.Bits == 32 {
			s.Minimum, s.Maximum = fptr(math.MinInt32), fptr(math.MaxInt32)
		}
		if tp.Kind == binding.KindDuration {
			s.Description = "duration in nanoseconds"
		}
		return s
	case binding.KindUint:
		s := &Schema{Type: "integer", Format: "int64", Minimum: fptr(0)}
		if tp.Bits < 32 {
			s.Format = "int32"
		}
		if tp.Bits <= 32 {
			s.Maximum = fptr(float64(uint64(1)<<tp.Bits - 1))
		}
		return s
	case binding.KindFloat:
		if tp.Bits == 32 {
			return &Schema{Type: "number", Format: "float", Minimum: fptr(-math.MaxFloat32), Maximum: fptr(math.MaxFloat32)}
		}
		return &Schema{Type: "number", Format: "double"}
	case binding.KindBool:
		return &Schema{Type: "boolean"}
	case binding.KindTime:
		return &Schema{Type: "string", Format: "date-time"}
	case binding.KindText:
		s := &Schema{Type: "string"}
		if strings.EqualFold(tp.T.Name(), "uuid") {
			s.Format = "uuid"
		}
		return s
	case binding.KindBytes:
		return &Schema{Type: "string", Format: "byte"}
	case binding.KindJSON:
		if tp.T == reflect.TypeFor[json.Number]() {
			// (binding, as encoding/json, also takes a string holding a
			// number, and null)
			return &Schema{Type: "number", Nullable: true}
		}
	case binding.KindFile:
		return &Schema{Type: "string", Format: "binary"}
	case binding.KindFiles:
		return &Schema{Type: "array", Items: &Schema{Type: "string", Format: "binary"}}
	case binding.KindSlice, binding.KindArray:
		s := &Schema{Type: "array", Items: r.plan(tp.Elem)}
		if tp.Kind == binding.KindArray {
			n := tp.T.Len()
			s.MinItems, s.MaxItems = &n, &n
		}
		return s
	case binding.KindMap:
		return &Schema{Type: "object", AdditionalProperties: r.plan(tp.Elem), PropertyNames: mapKeys(tp.T.Key())}
	case binding.KindStruct:
		if !tp.Named {
			return r.object(tp)
		}
		return r.ref(tp)
	}
	return &Schema{}
}

func fptr(f float64) *float64 { return &f }
func iptr(i int) *int         { return &i }

// ref registers a named struct's component and returns a reference to it.
func (r *Registry) ref(tp *binding.TypePlan) *Schema {
	t := tp.T
	c := r.comps[t]
	if c == nil {
		c = &component{}
		r.comps[t] = c
		base := componentBase(t)
		r.names[base] = append(r.names[base], t)
		r.rename(base)
		c.schema = r.object(tp)
	}
	s := &Schema{Ref: r.prefix + c.Name}
	r.refs[t] = append(r.refs[t], s)
	return s
}

// rename (re)assigns the names of the types sharing a base name.
func (r *Registry) rename(base string) {
	types := r.names[base]
	if len(types) == 1 {
		r.setName(types[0], base)
		return
	}
	qualified := map[string]int{}
	for _, t := range types {
		qualified[pkgName(t)+"."+base]++
	}
	used := map[string]int{}
	for _, t := range types {
		n := pkgName(t) + "." + base
		if qualified[n] > 1 {
			n = strings.NewReplacer("/", ".", "~", "").Replace(t.PkgPath()) + "." + base
		}
		// Types declared in functions share their package path: number them.
		used[n]++
		if used[n] > 1 {
			n += strconv.Itoa(used[n])
		}
		r.setName(t, n)
	}
}

func (r *Registry) setName(t reflect.Type, name string) {
	c := r.comps[t]
	c.Name = name
	for _, s := range r.refs[t] {
		s.Ref = r.prefix + name
	}
}

// pkgName is the package name of a named type ("covet" for
// github.com/covetgo/covet/core), as its String form shows it.
func pkgName(t reflect.Type) string {
	if i := strings.IndexByte(t.String(), '.'); i > 0 {
		return t.String()[:i]
	}
	return "builtin"
}

// componentBase is a type's name with generic arguments folded in, made of
// characters OpenAPI allows in component names: Page[User] is PageUser,
// Page[[]string] PageStringList, Page[*string] PageNullableString,
// Page[map[string]int] PageMapStringInt. (Slices and pointers were
// dropped, so Page[string], Page[[]string] and Page[*string] shared a name
// and were told apart by package path and a number in registration order:
// adding a route renamed another's component.)
func componentBase(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 && strings.HasSuffix(name, "]") {
		var b strings.Builder
		b.WriteString(name[:i])
		for _, a := range splitTypeArgs(name[i+1 : len(name)-1]) {
			b.WriteString(typeArgName(a))
		}
		name = b.String()
	}
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			if r < 128 {
				return r
			}
		}
		return -1
	}, name)
}

// splitTypeArgs splits a generic instance's type arguments at the commas
// outside brackets (Pair[string,int], Page[Pair[string,int]]).
func splitTypeArgs(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// typeArgName names a type argument as reflect writes it (with package
// paths) in a component name: Node for example.com/pkg.Node, StringList for
// []string, NullableString for *string, IntArray3 for [3]int,
// MapStringInt for map[string]int, PairStringInt for Pair[string,int].
func typeArgName(a string) string {
	a = strings.TrimSpace(a)
	switch {
	case strings.HasPrefix(a, "*"):
		return "Nullable" + typeArgName(a[1:])
	case strings.HasPrefix(a, "[]"):
		return typeArgName(a[2:]) + "List"
	case strings.HasPrefix(a, "["):
		if j := strings.IndexByte(a, ']'); j > 0 {
			return typeArgName(a[j+1:]) + "Array" + a[1:j]
		}
	case strings.HasPrefix(a, "map["):
		depth := 0
		for j := 3; j < len(a); j++ {
			switch a[j] {
			case '[':
				depth++
			case ']':
				if depth--; depth == 0 {
					return "Map" + typeArgName(a[4:j]) + typeArgName(a[j+1:])
				}
			}
		}
	}
	base, args := a, ""
	if i := strings.IndexByte(a, '['); i >= 0 && strings.HasSuffix(a, "]") {
		base, args = a[:i], a[i+1:len(a)-1]
	}
	if j := strings.LastIndexByte(base, '.'); j >= 0 {
		base = base[j+1:]
	}
	var b strings.Builder
	if base != "" {
		b.WriteString(strings.ToUpper(base[:1]) + base[1:])
	}
	if args != "" {
		for _, x := range splitTypeArgs(args) {
			b.WriteString(typeArgName(x))
		}
	}
	return b.String()
}

// object builds an object schema from a struct plan.
func (r *Registry) object(tp *binding.TypePlan) *Schema {
	s := &Schema{Type: "object", Properties: map[string]*Schema{}}
	for _, f := range tp.Fields {
		fs := r.field(f)
		s.Properties[f.Name] = fs
		s.PropertyOrder = append(s.PropertyOrder, f.Name)
		if f.Required {
			s.Required = append(s.Required, f.Name)
		}
	}
	return s
}

// field returns a field's schema: its type's, with the field's rules,
// default, example, doc and deprecation applied.
func (r *Registry) field(f *binding.FieldPlan) *Schema {
	if f.Quoted() {
		return quotedField(f)
	}
	s := r.plan(f.T)
	applyRules(s, f.Rules)
	s.Description = firstNonEmpty(f.Doc, s.Description)
	s.Deprecated = f.Deprecated
	if f.HasDefault {
		s.Default = f.DefJSON
	}
	if f.HasExample {
		s.Examples = []any{f.Example}
	}
	return s
}

// quotedField is the schema of a field tagged `,string`: a string holding
// the value's JSON (encoding/json's rule, which binding follows); its
// rules apply to the value inside, so they are described, not keywords.
func quotedField(f *binding.FieldPlan) *Schema {
	tp := binding.DerefPlan(f.T)
	s := &Schema{Type: "string", Nullable: f.T.Kind == binding.KindPtr, Deprecated: f.Deprecated}
	what := "a JSON string"
	switch tp.Kind {
	case binding.KindInt, binding.KindDuration:
		s.Pattern, what = `^-?(0|[1-9][0-9]*)$`, "an integer"
	case binding.KindUint:
		s.Pattern, what = `^(0|[1-9][0-9]*)$`, "an integer"
	case binding.KindFloat:
		s.Pattern, what = `^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`, "a number"
	case binding.KindBool:
		s.Enum, what = []any{"true", "false"}, "true or false"
	}
	s.Description = firstNonEmpty(f.Doc, "")
	if s.Description != "" {
		s.Description += " "
	}
	s.Description += "(" + what + ", written in a string)"
	if f.HasDefault {
		if b, err := json.Marshal(f.DefJSON); err == nil {
			s.Default = string(b)
		}
	}
	if f.HasExample {
		if b, err := json.Marshal(f.Example); err == nil {
			s.Examples = []any{string(b)}
		}
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// applyRules writes compiled rules into a schema (items rules into Items).
func applyRules(s *Schema, x *binding.Rules) {
	if x == nil {
		return
	}
	if x.MinLen >= 0 {
		s.MinLength = iptr(x.MinLen)
	}
	if x.MaxLen >= 0 {
		s.MaxLength = iptr(x.MaxLen)
	}
	if x.Pattern != "" {
		s.Pattern = x.Pattern
	}
	if x.Format != "" {
		s.Format = x.Format
	}
	if x.Enum != nil {
		s.Enum = x.Enum
	}
	// A rule looser than the type's own range keeps the type's bound.
	if x.HasMin && (s.Minimum == nil || x.Min > *s.Minimum) {
		s.Minimum = fptr(x.Min)
	}
	if x.HasMax && (s.Maximum == nil || x.Max < *s.Maximum) {
		s.Maximum = fptr(x.Max)
	}
	if x.HasExMin {
		s.ExclusiveMinimum = fptr(x.ExMin)
	}
	if x.HasExMax {
		s.ExclusiveMaximum = fptr(x.ExMax)
	}
	if x.HasMult {
		s.MultipleOf = fptr(x.Mult)
	}
	if x.MinItems >= 0 {
		s.MinItems = iptr(x.MinItems)
	}
	if x.MaxItems >= 0 {
		s.MaxItems = iptr(x.MaxItems)
	}
	if x.Unique {
		s.UniqueItems = true
	}
	if x.Items != nil && s.Items != nil {
		applyRules(s.Items, x.Items)
	}
}

// ParamDoc documents one parameter of a typed route.
type ParamDoc struct {
	// Name is the parameter's name (header names canonicalized).
	Name string
	// In is "path", "query", "header" or "cookie".
	In string
	// Required: path parameters always; others when tagged required:"true".
	Required    bool
	Description string
	Deprecated  bool
	// Schema of the value; a slice is an array (query: repeated
	// parameters, style form, explode true; header: comma-separated).
	Schema *Schema
	// Example from the example tag, or nil.
	Example any
}

// MediaDoc is one content type of a request or response body.
type MediaDoc struct {
	// ContentType is "application/json", "application/x-www-form-urlencoded"
	// or "multipart/form-data".
	ContentType string
	// Schema is the body's schema; form bodies are inline objects whose
	// file fields are strings of format binary.
	Schema *Schema
}

// BodyDoc documents a request body.
type BodyDoc struct {
	// Required: a non-pointer Body (or the struct itself) must be sent.
	Required    bool
	Description string
	Content     []MediaDoc
}

// InputDoc documents a typed route's input.
type InputDoc struct {
	Params []ParamDoc
	// Body is nil when the route reads no body.
	Body *BodyDoc
}

// OutputDoc documents a typed route's success response.
type OutputDoc struct {
	// Status is the success status (the route's Status, else 200, or 204
	// when there is no body).
	Status int
	// Body is nil when the response has no body.
	Body *MediaDoc
	// Headers are the response headers set from header-tagged fields.
	Headers []ParamDoc
}

// RouteDoc documents a route: what it takes and what it answers.
type RouteDoc struct {
	// Typed is false for plain handlers, whose input and output Covet does
	// not know: Input is empty and Output has only a status (the route's
	// Status, else 200).
	Typed  bool
	Input  InputDoc
	Output OutputDoc
	// Validates is true when the route binds input, so it may answer 422
	// with the validation problem (and 400, 413 and 415 for bodies).
	Validates bool
}

// Route describes a route from its RouteInfo (Typed, Input, Output and
// SuccessStatus).
func (r *Registry) Route(ri *covet.RouteInfo) (*RouteDoc, error) {
	doc := &RouteDoc{Typed: ri.Typed}
	if !ri.Typed {
		doc.Output.Status = http.StatusOK
		if ri.SuccessStatus != 0 {
			doc.Output.Status = ri.SuccessStatus
		}
		return doc, nil
	}
	if ri.Input != nil {
		in, err := r.input(ri.Input, ri.Provided)
		if err != nil {
			return nil, err
		}
		doc.Input = *in
	}
	// The parameters the route's dependency providers read are the
	// route's too (covet.ProvideIn, covet.ProvideParams).
	for _, pt := range ri.ProviderParams {
		in, err := r.Input(pt)
		if err != nil {
			return nil, err
		}
	next:
		for _, p := range in.Params {
			for _, q := range doc.Input.Params {
				if q.In == p.In && q.Name == p.Name {
					continue next
				}
			}
			doc.Input.Params = append(doc.Input.Params, p)
		}
	}
	doc.Validates = len(doc.Input.Params) > 0 || doc.Input.Body != nil
	out := &OutputDoc{Status: http.StatusNoContent}
	if ri.Output != nil {
		o, err := r.Output(ri.Output)
		if err != nil {
			return nil, err
		}
		out = o
	}
	if ri.SuccessStatus != 0 {
		out.Status = ri.SuccessStatus
	}
	doc.Output = *out
	return doc, nil
}

// Input documents a typed input type.
func (r *Registry) Input(t reflect.Type) (*InputDoc, error) {
	return r.input(t, nil)
}

// input documents a typed input type whose fields at the indices provided
// are filled by dependency providers (RouteInfo.Provided).
func (r *Registry) input(t reflect.Type, provided []int) (*InputDoc, error) {
	ip, err := binding.CompileInputProvided(t, provided)
	if err != nil {
		return nil, err
	}
	doc := &InputDoc{}
	for _, loc := range []binding.Location{binding.LocPath, binding.LocQuery, binding.LocHeader, binding.LocCookie} {
		ps := ip.Params[loc]
		if ps == nil {
			continue
		}
		for _, f := range ps.Fields {
			s := r.field(f)
			if f.T.Kind == binding.KindDuration || f.T.Kind == binding.KindPtr && f.T.Elem.Kind == binding.KindDuration {
				s.Type, s.Format, s.Description = "string", "", firstNonEmpty(f.Doc, "Go duration, such as 1m30s")
				s.Pattern = durationPattern
				if len(s.Examples) == 0 {
					s.Examples = []any{"1m30s"}
				}
			}
			s.Nullable = false
			name := f.Name
			if loc == binding.LocHeader {
				name = f.Header
			}
			doc.Params = append(doc.Params, ParamDoc{Name: name, In: loc.String(), Required: f.Required, Description: f.Doc, Deprecated: f.Deprecated, Schema: s, Example: f.Example})
		}
	}
	switch {
	case ip.BodyPlan != nil:
		bd := &BodyDoc{Required: ip.BodyRequired}
		if ip.Body != nil {
			bd.Description = ip.Body.Doc
		}
		s := r.plan(ip.BodyPlan)
		s.Nullable = false
		bd.Content = []MediaDoc{{ContentType: "application/json", Schema: s}}
		doc.Body = bd
	case ip.Form != nil:
		s := &Schema{Type: "object", Properties: map[string]*Schema{}}
		add := func(f *binding.FieldPlan) {
			fs := r.field(f)
			fs.Nullable = false
			s.Properties[f.Name] = fs
			s.PropertyOrder = append(s.PropertyOrder, f.Name)
			if f.Required {
				s.Required = append(s.Required, f.Name)
			}
		}
		for _, f := range ip.Form.Fields {
			add(f)
		}
		for _, f := range ip.FormFiles {
			add(f)
		}
		bd := &BodyDoc{Required: len(s.Required) > 0}
		if len(ip.FormFiles) == 0 {
			bd.Content = append(bd.Content, MediaDoc{ContentType: "application/x-www-form-urlencoded", Schema: s})
		}
		bd.Content = append(bd.Content, MediaDoc{ContentType: "multipart/form-data", Schema: s})
		doc.Body = bd
	}
	return doc, nil
}

// Output documents a typed output type.
func (r *Registry) Output(t reflect.Type) (*OutputDoc, error) {
	op, err := binding.OutputPlanFor(t)
	if err != nil {
		return nil, err
	}
	doc := &OutputDoc{Status: http.StatusOK}
	if op.Empty || op.BodyPlan == nil {
		doc.Status = http.StatusNoContent
	}
	if op.BodyPlan != nil {
		s := r.plan(op.BodyPlan)
		s.Nullable = false
		doc.Body = &MediaDoc{ContentType: "application/json", Schema: s}
	}
	for _, f := range op.Headers {
		s := r.plan(f.T)
		s.Nullable = false
		doc.Headers = append(doc.Headers, ParamDoc{Name: f.Name, In: "header", Description: f.Doc, Schema: s})
	}
	return doc, nil
}

// String renders the schema as JSON, for messages and tests.
func (s *Schema) String() string {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Sprintf("<schema: %v>", err)
	}
	return string(b)
}

// mapKeys is the schema of the keys encoding/json takes for a map with keys
// of type k: for integer keys, digits (the binder refused {"abc": …} for a
// map[int]T the document described as any object); nil when any string is
// a key, or when the key type decodes itself (encoding.TextUnmarshaler).
func mapKeys(k reflect.Type) *Schema {
	if reflect.PointerTo(k).Implements(textUnmarshalerType) {
		return nil
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &Schema{Type: "string", Pattern: "^-?[0-9]+$"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return &Schema{Type: "string", Pattern: "^[0-9]+$"}
	}
	return nil
}

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
