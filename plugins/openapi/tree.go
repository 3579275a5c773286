package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// The document is rendered into a small ordered tree (objects keep their
// keys in insertion order) and encoded from it as JSON or YAML, so both
// encodings list members in the same, reviewable order.
//
// Values in a tree are: *object, []any, string, bool, nil, int,
// json.Number and float64.

// object is a JSON object that keeps its members in insertion order.
type object struct {
	keys []string
	vals []any
}

func newObject() *object { return &object{keys: make([]string, 0, 4), vals: make([]any, 0, 4)} }

// set appends a member (keys are set once each by the renderer).
func (o *object) set(k string, v any) *object {
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	return o
}

// get returns a member's value.
func (o *object) get(k string) (any, bool) {
	for i, kk := range o.keys {
		if kk == k {
			return o.vals[i], true
		}
	}
	return nil, false
}

// del removes a member.
func (o *object) del(k string) {
	for i, kk := range o.keys {
		if kk == k {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			o.vals = append(o.vals[:i], o.vals[i+1:]...)
			return
		}
	}
}

// replace sets a member's value, keeping its position, or appends it.
func (o *object) replace(k string, v any) {
	for i, kk := range o.keys {
		if kk == k {
			o.vals[i] = v
			return
		}
	}
	o.set(k, v)
}

func (o *object) len() int { return len(o.keys) }

// MarshalJSON lets an object be encoded by encoding/json too (tests).
func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := encodeJSON(&b, o); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// decodeTree parses JSON into a tree, keeping object member order and
// numbers as json.Number.
func decodeTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("openapi: trailing data after JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := newObject()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				o.set(k, v)
			}
			_, err := dec.Token() // '}'
			return o, err
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token() // ']'
			return arr, err
		}
		return nil, fmt.Errorf("openapi: unexpected %v", t)
	default:
		return t, nil // string, json.Number, bool, nil
	}
}

// toTree converts any Go value to a tree through its JSON encoding (struct
// fields keep their declaration order).
func toTree(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int, json.Number, *object:
		return x, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeTree(b)
}

// encodeJSON writes a tree as compact JSON.
func encodeJSON(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		writeJSONString(b, x)
	case int:
		b.WriteString(strconv.Itoa(x))
	case json.Number:
		b.WriteString(string(x))
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return fmt.Errorf("openapi: cannot encode %v in JSON", x)
		}
		var buf [32]byte
		b.Write(appendFloat(buf[:0], x))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeJSON(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case *object:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			if err := encodeJSON(b, x.vals[i]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("openapi: unexpected %T in the document tree", v)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// writeJSONString writes s as a JSON string (without HTML escaping; invalid
// UTF-8 is replaced, as encoding/json does).
func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		b.WriteString(s)
		b.WriteByte('"')
		return
	}
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			b.WriteString(`\u`)
			b.WriteByte(hexDigits[r>>12&0xf])
			b.WriteByte(hexDigits[r>>8&0xf])
			b.WriteByte(hexDigits[r>>4&0xf])
			b.WriteByte(hexDigits[r&0xf])
		default:
			b.WriteRune(r) // utf8.RuneError for invalid bytes
		}
	}
	b.WriteByte('"')
}

// encodeJSONIndent writes a tree as JSON indented by two spaces.
func encodeJSONIndent(b *bytes.Buffer, v any, depth int) error {
	nl := func(d int) {
		b.WriteByte('\n')
		for range d {
			b.WriteString("  ")
		}
	}
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(depth + 1)
			if err := encodeJSONIndent(b, e, depth+1); err != nil {
				return err
			}
		}
		nl(depth)
		b.WriteByte(']')
	case *object:
		if len(x.keys) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(depth + 1)
			writeJSONString(b, k)
			b.WriteString(": ")
			if err := encodeJSONIndent(b, x.vals[i], depth+1); err != nil {
				return err
			}
		}
		nl(depth)
		b.WriteByte('}')
	default:
		return encodeJSON(b, v)
	}
	return nil
}

// encodeYAML writes a tree as block-style YAML: strings plain when YAML
// reads them back as the same string, else double-quoted with JSON's
// escapes (a subset of YAML's). TestYAMLRoundTrip decodes the output with
// go.yaml.in/yaml/v3 and compares it with the JSON document.
func encodeYAML(w io.Writer, v any) error {
	var b bytes.Buffer
	if err := yamlValue(&b, v, 0, false); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

func yamlIndent(b *bytes.Buffer, n int) {
	for range n {
		b.WriteString("  ")
	}
}

// yamlValue writes v; inline means the cursor is after "key:" or "- ".
func yamlValue(b *bytes.Buffer, v any, depth int, inline bool) error {
	switch x := v.(type) {
	case *object:
		if len(x.keys) == 0 {
			if inline {
				b.WriteByte(' ')
			}
			b.WriteString("{}")
			return nil
		}
		for i, k := range x.keys {
			if i > 0 || inline {
				b.WriteByte('\n')
				yamlIndent(b, depth)
			}
			yamlString(b, k)
			b.WriteByte(':')
			if err := yamlValue(b, x.vals[i], depth+1, true); err != nil {
				return err
			}
		}
	case []any:
		if len(x) == 0 {
			if inline {
				b.WriteByte(' ')
			}
			b.WriteString("[]")
			return nil
		}
		for i, e := range x {
			if i > 0 || inline {
				b.WriteByte('\n')
				yamlIndent(b, depth)
			}
			b.WriteString("- ")
			switch ex := e.(type) {
			case *object:
				if len(ex.keys) > 0 {
					// The first member on the dash's line, the others below it.
					yamlString(b, ex.keys[0])
					b.WriteByte(':')
					if err := yamlValue(b, ex.vals[0], depth+2, true); err != nil {
						return err
					}
					rest := &object{keys: ex.keys[1:], vals: ex.vals[1:]}
					if len(rest.keys) > 0 {
						if err := yamlValue(b, rest, depth+1, true); err != nil {
							return err
						}
					}
					continue
				}
			case []any:
				if len(ex) > 0 {
					b.Truncate(b.Len() - 1)
					if err := yamlValue(b, ex, depth+1, true); err != nil {
						return err
					}
					continue
				}
			}
			b.Truncate(b.Len() - 1)
			if err := yamlValue(b, e, depth+1, true); err != nil {
				return err
			}
		}
	default:
		if inline {
			b.WriteByte(' ')
		}
		switch s := v.(type) {
		case string:
			yamlString(b, s)
		default:
			return encodeJSON(b, v)
		}
	}
	return nil
}

// yamlString writes s plain when that is safe, else double-quoted.
func yamlString(b *bytes.Buffer, s string) {
	if yamlPlain(s) {
		b.WriteString(s)
		return
	}
	writeJSONString(b, s)
}

// yamlPlain reports whether s can be a plain scalar that YAML 1.1 and 1.2
// readers resolve to the same string: letters, digits and a few safe
// punctuation marks, not starting with an indicator or a digit, not a
// boolean or null word.
func yamlPlain(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/' || c == '_' || c == '$') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("/_.-{}()$+=@;' ", c) >= 0:
		case c == ':' && i+1 < len(s) && s[i+1] != ' ':
		default:
			return false
		}
	}
	if strings.HasSuffix(s, ":") {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf":
		return false
	}
	return true
}
