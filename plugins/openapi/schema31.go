package openapi

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"

	"github.com/covetgo/covet/core/schema"
)

// schema31 converts a core schema to a document tree in the JSON Schema
// 2020-12 form of OpenAPI 3.1: the members core's schema.Schema.Keywords
// yields, which are the ones, in the order, its MarshalJSON writes
// (TestSchema31MatchesCore holds them equal); walking the struct is several
// times faster than encoding and decoding JSON for every schema of a large app.
func schema31(s *schema.Schema) *object {
	o := &object{keys: make([]string, 0, 6), vals: make([]any, 0, 6)}
	for k, v := range s.Keywords() {
		o.set(k, value31(v))
	}
	return o
}

// value31 converts a keyword's value to a tree value.
func value31(v any) any {
	switch x := v.(type) {
	case *schema.Schema:
		return schema31(x)
	case []schema.Property:
		props := newObject()
		for _, p := range x {
			props.set(p.Name, schema31(p.Schema))
		}
		return props
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = value31(e)
		}
		return out
	}
	return plainValue(v)
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
