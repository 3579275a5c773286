package binding

import (
	"encoding/binary"
	stdjson "encoding/json"
	"math/bits"
	"reflect"
	"strconv"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// The plan-driven decoder fills a typed value from a body the scan
// accepted, without a general-purpose JSON library on the typed path. It
// is the default (the codec is nil when the app's JSONCodec is StdJSON)
// and must give exactly what encoding/json.Unmarshal gives:
// TestFusedDecodeMatchesStdJSON and FuzzFusedDecode compare the two.
//
// It relies on what the scan proved: the body is well-formed JSON within
// the depth limit, every value has the JSON type its field wants and fits
// its range (so no number overflows here), null appears only where the
// plan is nullable (pointers, interfaces, json.Unmarshaler types), and no
// object repeats a key. It does not re-check any of that.
//
// Kinds the plan decodes itself: strings, bools, ints, uints, floats,
// time.Duration, time.Time (through its UnmarshalJSON, as encoding/json
// calls it), pointers, structs, slices, maps with plain string keys and
// the empty interface. Everything else — types with UnmarshalJSON or
// UnmarshalText, []byte (base64), arrays, other map keys, non-empty
// interfaces, structs with a `,string` field — is handed, value by value,
// to encoding/json, which then has the same target it would have had
// decoding the whole body.
//
// unsafe: values are reached through the field offsets of the plan
// (reflect's, computed once per type) and written through typed pointers
// of the plan's kinds (a named string type has the layout of string, an
// int kind of its Bits, a slice the header validate.go's sliceHeader
// spells out), as reflect itself does with the same offsets.

type jsonDecoder struct {
	data []byte
	pos  int
	err  error
}

// decodePlanned decodes data (accepted by the scan against tp) into the
// value of tp's type at p.
func decodePlanned(data []byte, tp *TypePlan, p unsafe.Pointer) error {
	d := jsonDecoder{data: data}
	d.value(tp, p)
	return d.err
}

// ws skips whitespace; the common case (none) is inlined.
func (d *jsonDecoder) ws() {
	if d.pos < len(d.data) && d.data[d.pos] > ' ' {
		return
	}
	d.wsSlow()
}

func (d *jsonDecoder) wsSlow() { d.pos = skipWS(d.data, d.pos) }

// value decodes the value at d.pos into p; false once an error is set.
func (d *jsonDecoder) value(tp *TypePlan, p unsafe.Pointer) bool {
	d.ws()
	c := d.data[d.pos]
	switch tp.Kind {
	case KindString:
		*(*string)(p) = d.str()
	case KindBool:
		if c == 't' {
			*(*bool)(p) = true
			d.pos += 4
		} else {
			*(*bool)(p) = false
			d.pos += 5
		}
	case KindInt, KindDuration:
		lit := d.num()
		n, err := parseIntLit(lit)
		if err != nil {
			return d.fail(err)
		}
		switch tp.Bits {
		case 8:
			*(*int8)(p) = int8(n)
		case 16:
			*(*int16)(p) = int16(n)
		case 32:
			*(*int32)(p) = int32(n)
		default:
			*(*int64)(p) = n
		}
	case KindUint:
		lit := d.num()
		n, err := parseUintLit(lit)
		if err != nil {
			return d.fail(err)
		}
		switch tp.Bits {
		case 8:
			*(*uint8)(p) = uint8(n)
		case 16:
			*(*uint16)(p) = uint16(n)
		case 32:
			*(*uint32)(p) = uint32(n)
		default:
			*(*uint64)(p) = n
		}
	case KindFloat:
		lit := d.num()
		f, err := strconv.ParseFloat(bstr(lit), tp.Bits)
		if err != nil {
			return d.fail(err)
		}
		if tp.Bits == 32 {
			*(*float32)(p) = float32(f)
		} else {
			*(*float64)(p) = f
		}
	case KindTime:
		raw := d.skip()
		if err := (*time.Time)(p).UnmarshalJSON(raw); err != nil {
			return d.fail(err)
		}
	case KindPtr:
		if c == 'n' {
			d.pos += 4
			*(*unsafe.Pointer)(p) = nil
			return true
		}
		q := *(*unsafe.Pointer)(p)
		if q == nil {
			q = reflect.New(tp.Elem.T).UnsafePointer()
			*(*unsafe.Pointer)(p) = q
		}
		return d.value(tp.Elem, q)
	case KindStruct:
		if tp.T.Kind() != reflect.Struct || structHasQuoted(tp) {
			return d.fallback(tp, p)
		}
		return d.object(tp, p)
	case KindSlice:
		if tp.T.Kind() != reflect.Slice {
			return d.fallback(tp, p)
		}
		return d.slice(tp, p)
	case KindMap:
		if !plainStringKey(tp.T) {
			return d.fallback(tp, p)
		}
		return d.mapValue(tp, p)
	case KindAny:
		if tp.T.NumMethod() != 0 {
			return d.fallback(tp, p)
		}
		iface := (*any)(p)
		if *iface != nil && c != 'n' {
			if rv := reflect.ValueOf(*iface); rv.Kind() == reflect.Pointer && !rv.IsNil() {
				return d.fallback(tp, p) // encoding/json decodes into the pointer held
			}
		}
		v, ok := d.anyValue()
		if !ok {
			return false
		}
		*iface = v
	default:
		return d.fallback(tp, p)
	}
	return true
}

func (d *jsonDecoder) fail(err error) bool {
	if d.err == nil {
		d.err = err
	}
	return false
}

// fallback decodes the value at d.pos with encoding/json, into the same
// target encoding/json would have reached decoding the whole body.
func (d *jsonDecoder) fallback(tp *TypePlan, p unsafe.Pointer) bool {
	raw := d.skip()
	if err := stdjson.Unmarshal(raw, reflect.NewAt(tp.T, p).Interface()); err != nil {
		return d.fail(err)
	}
	return true
}

// structHasQuoted reports whether a struct type (or a struct embedded in
// it) has a field with the `,string` option, which encoding/json applies
// and the plan does not model.
func structHasQuoted(tp *TypePlan) bool {
	return tp.quoted
}

// hasQuotedField is what structHasQuoted reads from the plan.
func hasQuotedField(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		_, opts, _ := cutComma(tag)
		for opts != "" {
			var o string
			o, opts, _ = cutComma(opts)
			if o == "string" {
				return true
			}
		}
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct && hasQuotedField(sf.Type) {
			return true
		}
	}
	return false
}

func cutComma(s string) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// plainStringKey reports whether a map type's keys are decoded as plain
// strings by encoding/json (a string kind without UnmarshalText).
func plainStringKey(t reflect.Type) bool {
	k := t.Key()
	return t.Kind() == reflect.Map && k.Kind() == reflect.String && !reflect.PointerTo(k).Implements(textUnmarshalerT)
}

func (d *jsonDecoder) object(tp *TypePlan, p unsafe.Pointer) bool {
	d.pos++ // {
	next := 0
	for {
		d.ws()
		if d.data[d.pos] == '}' {
			d.pos++
			return true
		}
		if d.data[d.pos] == ',' {
			d.pos++
			d.ws()
		}
		var f *FieldPlan
		i := next
		if i < len(tp.Fields) && tp.Fields[i].plainName {
			// Keys usually come in declaration order, spelled as the
			// field's name: compare the body with it, quotes included.
			f = tp.Fields[i]
			n := len(f.Name)
			if e := d.pos + n + 2; e <= len(d.data) && d.data[e-1] == '"' && bstr(d.data[d.pos+1:e-1]) == f.Name {
				d.pos = e
				d.ws()
				d.pos++ // :
				next = i + 1
				if !d.value(f.T, unsafe.Add(p, f.Offset)) {
					d.prefix(f.Name)
					return false
				}
				continue
			}
			f = nil
		}
		key, raw := d.key()
		if key == nil && i < len(tp.Fields) && tp.Fields[i].Name == bstr(raw) {
			f = tp.Fields[i]
		} else {
			k := bstr(raw)
			if key != nil {
				k = *key
			}
			f, i = Lookup(tp, k)
		}
		next = i + 1
		if f == nil {
			d.skip()
			continue
		}
		if !d.value(f.T, unsafe.Add(p, f.Offset)) {
			d.prefix(f.Name)
			return false
		}
	}
}

// prefix puts a field name in front of the path of a type error coming up
// from the value of that field, as encoding/json reports it.
func (d *jsonDecoder) prefix(name string) {
	if te, ok := d.err.(*stdjson.UnmarshalTypeError); ok {
		if te.Field == "" {
			te.Field = name
		} else {
			te.Field = name + "." + te.Field
		}
	}
}

// key reads an object key and the colon after it. raw is the key's text
// when it has no escape and is valid UTF-8 (key is nil, raw points into the
// body); otherwise key holds the decoded key.
func (d *jsonDecoder) key() (key *string, raw []byte) {
	start := d.pos + 1
	i, ascii := skipPlainASCII(d.data, start)
	if d.data[i] == '"' && (ascii || utf8.Valid(d.data[start:i])) {
		d.pos = i + 1
		raw = d.data[start:i]
	} else {
		s := d.str()
		key = &s
	}
	d.ws()
	d.pos++ // :
	return key, raw
}

func (d *jsonDecoder) slice(tp *TypePlan, p unsafe.Pointer) bool {
	d.pos++ // [
	h := (*sliceHeader)(p)
	size := tp.Elem.T.Size()
	i := 0
	for {
		d.ws()
		if d.data[d.pos] == ']' {
			d.pos++
			break
		}
		if d.data[d.pos] == ',' {
			d.pos++
		}
		if i >= h.cap {
			// Room for a few elements at first: short arrays are the
			// common case (the capacity is not part of the value).
			reflect.NewAt(tp.T, p).Elem().Grow(max(1, 4-i))
		}
		if i >= h.len {
			h.len = i + 1
		}
		if !d.value(tp.Elem, unsafe.Add(h.data, uintptr(i)*size)) {
			return false
		}
		i++
	}
	if i < h.len {
		h.len = i
	}
	if i == 0 {
		reflect.NewAt(tp.T, p).Elem().Set(reflect.MakeSlice(tp.T, 0, 0))
	}
	return true
}

func (d *jsonDecoder) mapValue(tp *TypePlan, p unsafe.Pointer) bool {
	mv := reflect.NewAt(tp.T, p).Elem()
	if mv.IsNil() {
		mv.Set(reflect.MakeMap(tp.T))
	}
	kt := tp.T.Key()
	d.pos++ // {
	for {
		d.ws()
		if d.data[d.pos] == '}' {
			d.pos++
			return true
		}
		if d.data[d.pos] == ',' {
			d.pos++
			d.ws()
		}
		key, raw := d.key()
		k := string(raw)
		if key != nil {
			k = *key
		}
		ev := reflect.New(tp.Elem.T)
		if !d.value(tp.Elem, ev.UnsafePointer()) {
			d.prefix(k)
			return false
		}
		kv := reflect.ValueOf(k)
		if kt != kv.Type() {
			kv = kv.Convert(kt)
		}
		mv.SetMapIndex(kv, ev.Elem())
	}
}

// anyValue decodes a value as encoding/json fills an empty interface.
func (d *jsonDecoder) anyValue() (any, bool) {
	d.ws()
	switch c := d.data[d.pos]; {
	case c == '"':
		return d.str(), true
	case c == 't':
		d.pos += 4
		return true, true
	case c == 'f':
		d.pos += 5
		return false, true
	case c == 'n':
		d.pos += 4
		return nil, true
	case c == '{':
		d.pos++
		m := make(map[string]any)
		for {
			d.ws()
			if d.data[d.pos] == '}' {
				d.pos++
				return m, true
			}
			if d.data[d.pos] == ',' {
				d.pos++
				d.ws()
			}
			key, raw := d.key()
			k := string(raw)
			if key != nil {
				k = *key
			}
			v, ok := d.anyValue()
			if !ok {
				return nil, false
			}
			m[k] = v
		}
	case c == '[':
		d.pos++
		a := make([]any, 0)
		for {
			d.ws()
			if d.data[d.pos] == ']' {
				d.pos++
				return a, true
			}
			if d.data[d.pos] == ',' {
				d.pos++
			}
			v, ok := d.anyValue()
			if !ok {
				return nil, false
			}
			a = append(a, v)
		}
	default:
		f, err := strconv.ParseFloat(bstr(d.num()), 64)
		if err != nil {
			return nil, d.fail(err)
		}
		return f, true
	}
}

// num moves past a number and returns its text.
func (d *jsonDecoder) num() []byte {
	start := d.pos
	i := d.pos
	for i < len(d.data) {
		switch c := d.data[i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			i++
			continue
		}
		break
	}
	d.pos = i
	return d.data[start:i]
}

func parseIntLit(lit []byte) (int64, error) {
	if u, neg, ok := smallUint(lit); ok {
		if neg {
			return -int64(u), nil
		}
		return int64(u), nil
	}
	return strconv.ParseInt(string(lit), 10, 64)
}

func parseUintLit(lit []byte) (uint64, error) {
	if lit[0] != '-' {
		if u, _, ok := smallUint(lit); ok {
			return u, nil
		}
	}
	return strconv.ParseUint(string(lit), 10, 64)
}

// skip moves past a value and returns its text.
func (d *jsonDecoder) skip() []byte {
	d.ws()
	start := d.pos
	depth := 0
	for {
		switch c := d.data[d.pos]; c {
		case '"':
			i := skipPlain(d.data, d.pos+1)
			for d.data[i] != '"' {
				// a backslash: skip it and the escaped byte
				i = skipPlain(d.data, i+2)
			}
			d.pos = i + 1
		case '{', '[':
			depth++
			d.pos++
		case '}', ']':
			depth--
			d.pos++
		default:
			for d.pos < len(d.data) {
				c := d.data[d.pos]
				if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '{' || c == '[' {
					break
				}
				d.pos++
			}
		}
		if depth == 0 {
			return d.data[start:d.pos]
		}
		for d.pos < len(d.data) {
			c := d.data[d.pos]
			if c == ',' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				d.pos++
				continue
			}
			break
		}
	}
}

// str reads a string value and returns it decoded and copied out of the
// body, as encoding/json does: escapes resolved, a \u surrogate pair
// joined, a lone surrogate and each byte of invalid UTF-8 replaced by
// U+FFFD.
func (d *jsonDecoder) str() string {
	start := d.pos + 1
	i, ascii := skipPlainASCII(d.data, start)
	if d.data[i] == '"' {
		d.pos = i + 1
		raw := d.data[start:i]
		if ascii || utf8.Valid(raw) {
			return string(raw)
		}
		return unquoteRaw(raw)
	}
	for d.data[i] != '"' {
		i = skipPlain(d.data, i+2) // past a backslash and the byte it escapes
	}
	d.pos = i + 1
	return unquoteRaw(d.data[start:i])
}

// skipPlainASCII is skipPlain that also reports whether the bytes it
// passed are all ASCII (then they are valid UTF-8 without utf8.Valid).
func skipPlainASCII(d []byte, i int) (int, bool) {
	const (
		lo = 0x0101010101010101
		hi = 0x8080808080808080
	)
	var acc uint64
	for i+8 <= len(d) {
		x := binary.LittleEndian.Uint64(d[i:])
		q := x ^ (lo * '"')
		b := x ^ (lo * '\\')
		m := ((x - lo*0x20) &^ x) | ((q - lo) &^ q) | ((b - lo) &^ b)
		if m &= hi; m != 0 {
			n := bits.TrailingZeros64(m) >> 3
			// only the bytes before the special one count
			return i + n, (acc|x&(uint64(1)<<(8*n)-1))&hi == 0
		}
		acc |= x
		i += 8
	}
	for i < len(d) && !strSpecial[d[i]] {
		acc |= uint64(d[i])
		i++
	}
	return i, acc&hi == 0
}

// unquoteRaw decodes the content of a JSON string the scan accepted. It is
// encoding/json's unquoteBytes (Go's decode.go, BSD licence) for valid
// input.
func unquoteRaw(s []byte) string {
	b := make([]byte, 0, len(s)+2*utf8.UTFMax)
	r := 0
	for r < len(s) {
		c := s[r]
		switch {
		case c == '\\':
			r++
			switch s[r] {
			case '"', '\\', '/', '\'':
				b = append(b, s[r])
				r++
			case 'b':
				b = append(b, '\b')
				r++
			case 'f':
				b = append(b, '\f')
				r++
			case 'n':
				b = append(b, '\n')
				r++
			case 'r':
				b = append(b, '\r')
				r++
			case 't':
				b = append(b, '\t')
				r++
			case 'u':
				r--
				rr := getu4(s[r:])
				r += 6
				if utf16.IsSurrogate(rr) {
					rr1 := getu4(s[r:])
					if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
						r += 6
						b = utf8.AppendRune(b, dec)
						break
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			b = utf8.AppendRune(b, rr)
		}
	}
	return string(b)
}

// getu4 decodes \uXXXX from the beginning of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c = c - '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
