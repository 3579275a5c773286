// Package jsonenc encodes the values typed handlers and c.JSON return
// exactly as encoding/json.Marshal does, faster for the common shapes:
// structs, pointers and slices of strings, bools and numbers. An encoder
// is compiled once per type; a type holding anything else (maps,
// interfaces, arrays, []byte, json.Number, types with MarshalJSON or
// MarshalText, `,string` options, `,omitzero` on a type with an IsZero
// method other than time.Time's, embedded pointers,
// clashing names) is handed whole to encoding/json, and so is a value
// nested through a recursive type more than 1,000 times (a cycle: then
// json.Marshal's error). TestMatchesMarshal, FuzzMatchesMarshal and
// FuzzMatchesMarshalShapes compare the output with encoding/json's, byte
// for byte.
//
// unsafe: fields are read at the offsets reflect gives, through pointers
// of the kinds the compiler checked, as reflect does itself.
package jsonenc

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/covetgo/covet/core/internal/jsonx"
)

// encFunc appends the value at p. d counts the calls of a recursive
// type's encoder through itself on the way to p.
type encFunc func(b []byte, p unsafe.Pointer, d int) ([]byte, bool)

type typeEnc struct {
	enc    encFunc // nil: encoding/json
	direct bool    // an interface holds the value itself, not a pointer to it
	// elem is the encoder of what a compiled pointer type points to: the
	// pointer in an interface's data word is handed to it as is.
	elem encFunc
}

var cache sync.Map // reflect.Type → *typeEnc

// Append appends the JSON encoding of v to b, as json.Marshal would
// produce it, or returns json.Marshal's error.
func Append(b []byte, v any) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	t := reflect.TypeOf(v)
	te := lookup(t)
	if te.enc != nil {
		// An interface holds a pointer-shaped value in its data word and
		// points to any other value from it (read here, never written).
		data := (*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1]
		var out []byte
		var ok bool
		switch {
		case te.elem != nil: // a pointer (what typed handlers return)
			if data == nil {
				return append(b, "null"...), nil
			}
			out, ok = te.elem(b, data, 0)
		case te.direct:
			out, ok = encodeDirect(te.enc, b, data)
		default:
			out, ok = te.enc(b, data, 0)
		}
		if ok {
			return out, nil
		}
		// NaN or an infinity: encoding/json's error
	}
	j, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, j...), nil
}

// encodeDirect encodes a value an interface holds in its data word, from
// the address of a copy of that word. Apart from Append, so that only this
// rare case (a struct of one pointer, a map…) moves the copy to the heap:
// Append's own locals stay on the stack.
//
//go:noinline
func encodeDirect(enc encFunc, b []byte, data unsafe.Pointer) ([]byte, bool) {
	return enc(b, unsafe.Pointer(&data), 0)
}

func lookup(t reflect.Type) *typeEnc {
	if te, ok := cache.Load(t); ok {
		return te.(*typeEnc)
	}
	te := &typeEnc{enc: compile(t, map[reflect.Type]*encFunc{}), direct: isDirect(t)}
	if te.enc != nil && t.Kind() == reflect.Pointer {
		te.elem = lookup(t.Elem()).enc
	}
	cache.Store(t, te)
	return te
}

// isDirect reports whether an interface stores a value of type t in its
// data word rather than a pointer to it: the compiler's IsDirectIface rule
// (pointer-shaped kinds, and structs of one field and arrays of one element
// of such a type). TestDirectValues checks both sides.
func isDirect(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return true
	case reflect.Struct:
		return t.NumField() == 1 && isDirect(t.Field(0).Type)
	case reflect.Array:
		return t.Len() == 1 && isDirect(t.Elem())
	}
	return false
}

var (
	marshalerT     = reflect.TypeFor[json.Marshaler]()
	textMarshalerT = reflect.TypeFor[encoding.TextMarshaler]()
	// json.Number is a string written as a bare number (and checked)
	numberT  = reflect.TypeFor[json.Number]()
	timeT    = reflect.TypeFor[time.Time]()
	timePtrT = reflect.TypeFor[*time.Time]()
	// isZeroerT is the method `,omitzero` calls when a type has it.
	isZeroerT = reflect.TypeFor[interface{ IsZero() bool }]()
)

// maxDepth bounds how many times a recursive type's encoder goes through
// itself: past it, Append hands the value to json.Marshal, which reports a
// cycle (a value that holds itself would otherwise recurse until the stack
// overflows, a fatal error) or encodes a deep value.
const maxDepth = 1000

// compile returns the encoder of t, or nil when t is left to
// encoding/json. visiting holds the types being compiled: a recursive type
// calls its own encoder through it (if that type turns out to be left to
// encoding/json, so is every type holding it, and the call is never made).
func compile(t reflect.Type, visiting map[reflect.Type]*encFunc) encFunc {
	if ref := visiting[t]; ref != nil {
		return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) {
			if d >= maxDepth {
				// A cycle, or a value this deep: encoding/json, which
				// reports the cycle (json.Marshal's error) or goes on.
				return b, false
			}
			return (*ref)(b, p, d+1)
		}
	}
	if t == timeT {
		return appendTime
	}
	// *time.Time has time.Time's MarshalJSON in its method set: it is
	// compiled as a pointer to the time encoder.
	if t == numberT || t != timePtrT && (t.Implements(marshalerT) || t.Implements(textMarshalerT) ||
		reflect.PointerTo(t).Implements(marshalerT) || reflect.PointerTo(t).Implements(textMarshalerT)) {
		return nil
	}
	ref := new(encFunc)
	visiting[t] = ref
	defer delete(visiting, t)
	*ref = compileKind(t, visiting)
	return *ref
}

func compileKind(t reflect.Type, visiting map[reflect.Type]*encFunc) encFunc {
	switch t.Kind() {
	case reflect.Bool:
		return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) {
			if *(*bool)(p) {
				return append(b, "true"...), true
			}
			return append(b, "false"...), true
		}
	case reflect.String:
		return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) {
			return jsonx.AppendString(b, *(*string)(p)), true
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		switch t.Size() {
		case 1:
			return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) {
				return strconv.AppendInt(b, int64(*(*int8)(p)), 10), true
			}
		case 2:
			return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) {
				return strconv.AppendInt(b, int64(*(*int16)(p)), 10), true
			}
		case 4:
			return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) {
				return strconv.AppendInt(b, int64(*(*int32)(p)), 10), true
			}
		default:
			return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) {
				return strconv.AppendInt(b, *(*int64)(p), 10), true
			}
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		switch t.Size() {
		case 1:
			return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) {
				return strconv.AppendUint(b, uint64(*(*uint8)(p)), 10), true
			}
		case 2:
			return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) {
				return strconv.AppendUint(b, uint64(*(*uint16)(p)), 10), true
			}
		case 4:
			return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) {
				return strconv.AppendUint(b, uint64(*(*uint32)(p)), 10), true
			}
		default:
			return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) {
				return strconv.AppendUint(b, *(*uint64)(p), 10), true
			}
		}
	case reflect.Float32:
		return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) {
			return appendFloat(b, float64(*(*float32)(p)), 32)
		}
	case reflect.Float64:
		return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) { return appendFloat(b, *(*float64)(p), 64) }
	case reflect.Pointer:
		elem := compile(t.Elem(), visiting)
		if elem == nil {
			return nil
		}
		return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) {
			q := *(*unsafe.Pointer)(p)
			if q == nil {
				return append(b, "null"...), true
			}
			return elem(b, q, d)
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil // base64, or a named byte type's rules
		}
		elem := compile(t.Elem(), visiting)
		if elem == nil {
			return nil
		}
		size := t.Elem().Size()
		return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) {
			h := (*sliceHeader)(p)
			if h.data == nil {
				return append(b, "null"...), true
			}
			b = append(b, '[')
			for i := 0; i < h.len; i++ {
				if i > 0 {
					b = append(b, ',')
				}
				var ok bool
				if b, ok = elem(b, unsafe.Add(h.data, uintptr(i)*size), d); !ok {
					return b, false
				}
			}
			return append(b, ']'), true
		}
	case reflect.Struct:
		return compileStruct(t, visiting)
	}
	return nil
}

type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

type field struct {
	name      string // `"name":` ready to append
	offset    uintptr
	enc       encFunc
	omitEmpty bool
	// zero reports whether the field's value is zero (`,omitzero`), nil
	// without the option.
	zero func(unsafe.Pointer) bool
	kind reflect.Kind
	size uintptr
}

func compileStruct(t reflect.Type, visiting map[reflect.Type]*encFunc) encFunc {
	var fields []field
	seen := map[string]bool{}
	if !collect(t, 0, visiting, &fields, seen) {
		return nil
	}
	return func(b []byte, p unsafe.Pointer, d int) ([]byte, bool) {
		b = append(b, '{')
		first := true
		for i := range fields {
			f := &fields[i]
			q := unsafe.Add(p, f.offset)
			if f.omitEmpty && isEmpty(f.kind, f.size, q) || f.zero != nil && f.zero(q) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, f.name...)
			var ok bool
			if b, ok = f.enc(b, q, d); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	}
}

// collect gathers the fields of t (embedded structs flattened), false
// when encoding/json's rules need more than this package models.
func collect(t reflect.Type, base uintptr, visiting map[reflect.Type]*encFunc, out *[]field, seen map[string]bool) bool {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if !jsonx.ValidTagName(name) {
			name = ""
		}
		if sf.Anonymous {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				return false
			}
			if !sf.IsExported() && ft.Kind() != reflect.Struct {
				continue
			}
			if name == "" && ft.Kind() == reflect.Struct {
				// (a struct cannot embed itself: the chain is finite)
				if !collect(ft, base+sf.Offset, visiting, out, seen) {
					return false
				}
				continue
			}
		} else if !sf.IsExported() {
			continue
		}
		omitEmpty, omitZero := false, false
		for opts != "" {
			var o string
			o, opts, _ = strings.Cut(opts, ",")
			switch o {
			case "omitempty":
				omitEmpty = true
			case "omitzero":
				omitZero = true
			case "string":
				return false
			}
		}
		var zero func(unsafe.Pointer) bool
		if omitZero {
			if zero = zeroFunc(sf.Type); zero == nil {
				return false
			}
		}
		if name == "" {
			name = sf.Name
		}
		if seen[name] {
			return false // encoding/json's dominance rules decide
		}
		seen[name] = true
		enc := compile(sf.Type, visiting)
		if enc == nil {
			return false
		}
		k := jsonx.AppendString(nil, name)
		*out = append(*out, field{name: string(append(k, ':')), offset: base + sf.Offset, enc: enc, omitEmpty: omitEmpty, zero: zero, kind: sf.Type.Kind(), size: sf.Type.Size()})
	}
	return true
}

// zeroFunc is encoding/json's `,omitzero` test for a field of type t: its
// IsZero method when it has one, else reflect's zero value. Of the types
// with an IsZero method only time.Time and *time.Time are modelled here
// (nil for the others: encoding/json then encodes the struct).
func zeroFunc(t reflect.Type) func(unsafe.Pointer) bool {
	switch {
	case t == timeT:
		return func(p unsafe.Pointer) bool { return (*time.Time)(p).IsZero() }
	case t == timePtrT:
		return func(p unsafe.Pointer) bool {
			tp := *(**time.Time)(p)
			return tp == nil || tp.IsZero()
		}
	case t.Implements(isZeroerT) || reflect.PointerTo(t).Implements(isZeroerT):
		return nil
	}
	return func(p unsafe.Pointer) bool { return reflect.NewAt(t, p).Elem().IsZero() }
}

// isEmpty is encoding/json's isEmptyValue for the kinds compiled here.
func isEmpty(k reflect.Kind, size uintptr, p unsafe.Pointer) bool {
	switch k {
	case reflect.String:
		return len(*(*string)(p)) == 0
	case reflect.Slice:
		return (*sliceHeader)(p).len == 0
	case reflect.Bool:
		return !*(*bool)(p)
	case reflect.Pointer:
		return *(*unsafe.Pointer)(p) == nil
	case reflect.Float32:
		return *(*float32)(p) == 0
	case reflect.Float64:
		return *(*float64)(p) == 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		switch size {
		case 1:
			return *(*uint8)(p) == 0
		case 2:
			return *(*uint16)(p) == 0
		case 4:
			return *(*uint32)(p) == 0
		default:
			return *(*uint64)(p) == 0
		}
	}
	return false
}

// appendFloat is encoding/json's floatEncoder; false for NaN and infinities.
func appendFloat(b []byte, f float64, bits int) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	abs := math.Abs(f)
	fmt := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			fmt = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, fmt, -1, bits)
	if fmt == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// appendTime writes a time.Time as its MarshalJSON does (RFC 3339 with
// nanoseconds, quoted) without the call through json.Marshaler and
// encoding/json's compaction of its output; a time MarshalJSON refuses (a
// year outside [0,9999], a zone offset of 24 hours or more) is left to
// encoding/json, which reports its error.
func appendTime(b []byte, p unsafe.Pointer, _ int) ([]byte, bool) {
	n0 := len(b) + 1
	b = append(b, '"')
	b = (*time.Time)(p).AppendFormat(b, time.RFC3339Nano)
	// time.Time.appendStrictRFC3339's checks, on the same bytes.
	switch {
	case len(b) < n0+len("9999-") || b[n0+len("9999")] != '-':
		return b[:n0-1], false
	case b[len(b)-1] != 'Z':
		c := b[len(b)-len("Z07:00")]
		if ('0' <= c && c <= '9') || 10*(b[len(b)-5]-'0')+(b[len(b)-4]-'0') >= 24 {
			return b[:n0-1], false
		}
	}
	return append(b, '"'), true
}
