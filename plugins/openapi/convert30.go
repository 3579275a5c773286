package openapi

import (
	"encoding/json"
	"strconv"
)

// schema30 converts a JSON Schema 2020-12 tree (OpenAPI 3.1's dialect, as
// core writes it) to an OpenAPI 3.0.3 Schema Object:
//
//   - "type": [T, "null"] and "anyOf": [X, {"type": "null"}] become
//     T or X with "nullable": true;
//   - "examples": [v, ...] becomes "example": v;
//   - numeric "exclusiveMinimum"/"exclusiveMaximum" become "minimum"/
//     "maximum" with the boolean form (the stricter bound wins when both
//     are given);
//   - "const": v becomes "enum": [v];
//   - "propertyNames" is dropped (3.0 has no such keyword);
//   - a "$ref" with sibling keywords (which 3.0 ignores) is wrapped:
//     "allOf": [{"$ref": ...}] with the siblings beside it.
//
// Subschemas (properties, items, additionalProperties, allOf, anyOf,
// oneOf, not) are converted too. Other values pass through.
func schema30(v any) any {
	o, ok := v.(*object)
	if !ok {
		return v
	}
	nullable := false
	var ref any
	out := newObject()
	for i, k := range o.keys {
		val := o.vals[i]
		switch k {
		case "type":
			if arr, ok := val.([]any); ok {
				var types []any
				for _, t := range arr {
					if t == "null" {
						nullable = true
					} else {
						types = append(types, t)
					}
				}
				switch len(types) {
				case 0:
				case 1:
					out.set("type", types[0])
				default:
					// 3.0 has no type lists: one alternative per type.
					var alts []any
					for _, t := range types {
						alts = append(alts, newObject().set("type", t))
					}
					out.set("anyOf", alts)
				}
				continue
			}
			out.set(k, val)
		case "anyOf", "oneOf":
			arr, _ := val.([]any)
			var rest []any
			for _, e := range arr {
				if isNullSchema(e) {
					nullable = true
					continue
				}
				rest = append(rest, schema30(e))
			}
			if len(rest) == 1 {
				if ro, ok := rest[0].(*object); ok && ro.len() == 1 {
					if r, ok := ro.get("$ref"); ok {
						ref = r
						continue
					}
				}
				out.set("allOf", rest)
				continue
			}
			out.set(k, rest)
		case "$ref":
			ref = val
		case "examples":
			if arr, ok := val.([]any); ok && len(arr) > 0 {
				out.set("example", arr[0])
			}
		case "const":
			out.set("enum", []any{val})
		case "propertyNames":
			// 3.0 has no keyword for map keys: the 3.1 document states them.
		case "properties":
			if po, ok := val.(*object); ok {
				np := newObject()
				for j, name := range po.keys {
					np.set(name, schema30(po.vals[j]))
				}
				out.set(k, np)
				continue
			}
			out.set(k, val)
		case "items", "additionalProperties", "not":
			out.set(k, schema30(val))
		case "allOf":
			arr, _ := val.([]any)
			conv := make([]any, len(arr))
			for j, e := range arr {
				conv[j] = schema30(e)
			}
			out.set(k, conv)
		default:
			out.set(k, val)
		}
	}
	exclusive(out, "minimum", "exclusiveMinimum", func(a, b float64) bool { return a >= b })
	exclusive(out, "maximum", "exclusiveMaximum", func(a, b float64) bool { return a <= b })
	if ref != nil {
		if out.len() == 0 && !nullable {
			return newObject().set("$ref", ref)
		}
		wrapped := newObject().set("allOf", []any{newObject().set("$ref", ref)})
		for i, k := range out.keys {
			wrapped.set(k, out.vals[i])
		}
		out = wrapped
	}
	if nullable {
		if _, typed := out.get("type"); typed || ref != nil {
			out.set("nullable", true)
		}
	}
	return out
}

// isNullSchema reports whether v is {"type": "null"}.
func isNullSchema(v any) bool {
	o, ok := v.(*object)
	if !ok || o.len() != 1 {
		return false
	}
	t, _ := o.get("type")
	return t == "null"
}

// exclusive rewrites a 2020-12 numeric exclusive bound into 3.0's boolean
// form. stricter(excl, incl) reports whether the exclusive bound is at least
// as strict as the inclusive one already present.
func exclusive(o *object, incl, excl string, stricter func(a, b float64) bool) {
	ev, ok := o.get(excl)
	if !ok {
		return
	}
	if _, isBool := ev.(bool); isBool {
		return
	}
	e, ok := number(ev)
	if !ok {
		return
	}
	if iv, ok := o.get(incl); ok {
		if i, ok := number(iv); ok && !stricter(e, i) {
			// The inclusive bound is stricter: x >= 5 implies x > 3.
			o.del(excl)
			return
		}
	}
	o.replace(incl, ev)
	o.replace(excl, true)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}
