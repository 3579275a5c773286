package openapi

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"

	"github.com/covetgo/covet/core/schema"
)

// schema31 converts a core schema to a document tree in the JSON Schema
// 2020-12 form of OpenAPI 3.1: the same members, in the same order, as
// schema.Schema.MarshalJSON writes (TestSchema31MatchesCore holds them
// equal); walking the struct is several times faster than encoding and
// decoding JSON for every schema of a large app.
func schema31(s *schema.Schema) *object {
	o := &object{keys: make([]string, 0, 6), vals: make([]any, 0, 6)}
	if s.Ref != "" {
		if s.Nullable {
			o.set("anyOf", []any{newObject().set("$ref", s.Ref), newObject().set("type", "null")})
		} else {
			o.set("$ref", s.Ref)
		}
	}
	if s.Type != "" {
		if s.Nullable {
			o.set("type", []any{s.Type, "null"})
		} else {
			o.set("type", s.Type)
		}
	}
	if s.Format != "" {
		o.set("format", s.Format)
	}
	if s.Description != "" {
		o.set("description", s.Description)
	}
	if s.Deprecated {
		o.set("deprecated", true)
	}
	if s.Default != nil {
		o.set("default", plainValue(s.Default))
	}
	if len(s.Examples) > 0 {
		ex := make([]any, len(s.Examples))
		for i, e := range s.Examples {
			ex[i] = plainValue(e)
		}
		o.set("examples", ex)
	}
	if s.Enum != nil {
		enum := make([]any, 0, len(s.Enum)+1)
		for _, e := range s.Enum {
			enum = append(enum, plainValue(e))
		}
		if s.Nullable {
			enum = append(enum, nil)
		}
		o.set("enum", enum)
	}
	for _, kv := range []struct {
		k string
		v *float64
	}{{"minimum", s.Minimum}, {"maximum", s.Maximum}, {"exclusiveMinimum", s.ExclusiveMinimum}, {"exclusiveMaximum", s.ExclusiveMaximum}, {"multipleOf", s.MultipleOf}} {
		if kv.v != nil {
			o.set(kv.k, *kv.v)
		}
	}
	if s.MinLength != nil {
		o.set("minLength", *s.MinLength)
	}
	if s.MaxLength != nil {
		o.set("maxLength", *s.MaxLength)
	}
	if s.Pattern != "" {
		o.set("pattern", s.Pattern)
	}
	if s.Items != nil {
		o.set("items", schema31(s.Items))
	}
	if s.MinItems != nil {
		o.set("minItems", *s.MinItems)
	}
	if s.MaxItems != nil {
		o.set("maxItems", *s.MaxItems)
	}
	if s.UniqueItems {
		o.set("uniqueItems", true)
	}
	if s.Properties != nil {
		props := newObject()
		for _, name := range propertyNames(s) {
			props.set(name, schema31(s.Properties[name]))
		}
		o.set("properties", props)
	}
	if len(s.Required) > 0 {
		req := make([]any, len(s.Required))
		for i, r := range s.Required {
			req[i] = r
		}
		o.set("required", req)
	}
	if s.AdditionalProperties != nil {
		o.set("additionalProperties", schema31(s.AdditionalProperties))
	}
	return o
}

// propertyNames lists properties in declaration order, then any others
// sorted, as core encodes them.
func propertyNames(s *schema.Schema) []string {
	out := make([]string, 0, len(s.Properties))
	seen := make(map[string]bool, len(s.Properties))
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

// plainValue converts a JSON-like value (as core gives defaults, examples
// and enums: strings, float64, bool, nil, []any, map[string]any) to a tree,
// object keys sorted as encoding/json sorts them.
func plainValue(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainValue(e)
		}
		return out
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := newObject()
		for _, k := range keys {
			o.set(k, plainValue(x[k]))
		}
		return o
	case nil, string, bool, float64, int, json.Number, *object:
		return x
	}
	t, err := toTree(v)
	if err != nil {
		return nil
	}
	return t
}

// appendFloat formats a float64 as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	fmt := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmt = 'e'
	}
	b = strconv.AppendFloat(b, f, fmt, -1, 64)
	if fmt == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
