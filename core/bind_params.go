package covet

import (
	"encoding"
	"errors"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Parameter values are parsed straight into the input struct's fields from
// the router's path values, the raw query string (scanned without building
// url.Values) and the header map, by plans compiled at registration.

// paramKindOK reports whether a parameter of this plan can be parsed from text.
func paramKindOK(tp *tplan, allowSlice bool) bool {
	switch tp.kind {
	case vkString, vkInt, vkUint, vkFloat, vkBool, vkTime, vkDuration, vkText:
		return true
	case vkPtr:
		k := tp.elem.kind
		return k != vkPtr && k != vkSlice && paramKindOK(tp.elem, false)
	case vkSlice:
		return allowSlice && tp.elem.kind != vkSlice && paramKindOK(tp.elem, false)
	}
	return false
}

// parseError is a parameter or form value that does not parse: its message.
type parseError string

// errNUL refuses a NUL character in a string (allowNUL:"true" lets it in).
const errNUL = parseError("must not contain a NUL character (U+0000)")

// stringTarget reports whether a parameter of plan tp stores strings.
func stringTarget(tp *tplan) bool {
	if tp.kind == vkSlice {
		tp = tp.elem
	}
	for tp.kind == vkPtr {
		tp = tp.elem
	}
	return tp.kind == vkString
}

func (e parseError) Error() string { return string(e) }

// parseScalarInto parses s into the value at p, of plan tp (a scalar, or a
// pointer to one, which is allocated).
func parseScalarInto(tp *tplan, s string, p unsafe.Pointer) error {
	switch tp.kind {
	case vkString:
		*(*string)(p) = s
	case vkInt:
		n, err := strconv.ParseInt(s, 10, tp.bits)
		if err != nil {
			return intError(err, tp)
		}
		switch tp.bits {
		case 8:
			*(*int8)(p) = int8(n)
		case 16:
			*(*int16)(p) = int16(n)
		case 32:
			*(*int32)(p) = int32(n)
		default:
			*(*int64)(p) = n
		}
	case vkUint:
		n, err := strconv.ParseUint(s, 10, tp.bits)
		if err != nil {
			return intError(err, tp)
		}
		switch tp.bits {
		case 8:
			*(*uint8)(p) = uint8(n)
		case 16:
			*(*uint16)(p) = uint16(n)
		case 32:
			*(*uint32)(p) = uint32(n)
		default:
			*(*uint64)(p) = n
		}
	case vkFloat:
		f, err := strconv.ParseFloat(s, tp.bits)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return parseError("must be a number")
		}
		if tp.bits == 32 {
			*(*float32)(p) = float32(f)
		} else {
			*(*float64)(p) = f
		}
	case vkBool:
		b, ok := parseBool(s)
		if !ok {
			return parseError("must be a boolean (true or false)")
		}
		*(*bool)(p) = b
	case vkDuration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return parseError("must be a duration such as 1m30s")
		}
		*(*time.Duration)(p) = d
	case vkTime:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || !isDateTime(s) {
			return parseError("must be an RFC 3339 date-time")
		}
		*(*time.Time)(p) = t
	case vkText:
		u := reflect.NewAt(tp.t, p).Interface().(encoding.TextUnmarshaler)
		if err := u.UnmarshalText([]byte(s)); err != nil {
			return parseError("is not a valid " + tp.t.Name() + ": " + err.Error())
		}
	case vkPtr:
		v := reflect.New(tp.elem.t)
		if err := parseScalarInto(tp.elem, s, v.UnsafePointer()); err != nil {
			return err
		}
		*(*unsafe.Pointer)(p) = v.UnsafePointer()
	default:
		return errNotScalar
	}
	return nil
}

func intError(err error, tp *tplan) error {
	if errors.Is(err, strconv.ErrRange) {
		return parseError("is out of range for " + tp.t.String())
	}
	return parseError("must be an integer")
}

func parseBool(s string) (bool, bool) {
	switch s {
	case "true", "True", "TRUE", "1", "on", "yes", "t":
		return true, true
	case "false", "False", "FALSE", "0", "off", "no", "f":
		return false, true
	}
	return false, false
}

// appendScalar parses s and appends it to the slice at p.
func appendScalar(tp *tplan, s string, p unsafe.Pointer) error {
	if tp.elem.t == stringType {
		sl := (*[]string)(p)
		*sl = append(*sl, s)
		return nil
	}
	ev := reflect.New(tp.elem.t)
	if err := parseScalarInto(tp.elem, s, ev.UnsafePointer()); err != nil {
		return err
	}
	sv := reflect.NewAt(tp.t, p).Elem()
	sv.Set(reflect.Append(sv, ev.Elem()))
	return nil
}

var stringType = reflect.TypeFor[string]()

// setParam stores one parameter value (appending for slices).
func setParam(f *fplan, s string, p unsafe.Pointer) error {
	if strings.IndexByte(s, 0) >= 0 && !f.allowNUL && stringTarget(f.t) {
		return errNUL
	}
	if f.t.kind == vkSlice {
		return appendScalar(f.t, s, p)
	}
	return parseScalarInto(f.t, s, p)
}

// unescapeQuery decodes a query component, allocating only when it holds
// an escape.
func unescapeQuery(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	u, err := url.QueryUnescape(s)
	return u, err == nil
}

// paramSet is the parameters of one location.
type paramSet struct {
	fields []*fplan
	// required is the mask of required parameters
	required uint64
}

func (ps *paramSet) find(name string) *fplan {
	for _, f := range ps.fields {
		if f.name == name {
			return f
		}
	}
	return nil
}

// bindQuery scans the raw query into the fields of ps with the parser of
// c.Query (query.go). The first value of a scalar parameter wins (as
// url.Values.Get); slices collect every value. A query with more than
// MaxQueryParams pairs is a 400.
func bindQuery(ps *paramSet, raw string, base unsafe.Pointer, vs *validateState) (seen, bad uint64, err error) {
	if tooManyQueryParams(raw) {
		return 0, 0, errTooManyQueryParams()
	}
	for raw != "" {
		var k, v string
		var ok bool
		k, v, raw, ok = nextQueryPair(raw)
		if !ok {
			continue
		}
		f := ps.find(k)
		if f == nil {
			continue
		}
		if seen&f.bit != 0 && f.t.kind != vkSlice {
			continue
		}
		v, ok = unescapeQuery(v)
		if !ok {
			continue
		}
		fp := unsafe.Add(base, f.offset)
		if seen&f.bit == 0 && f.t.elem != nil && f.t.kind == vkSlice && f.t.elem.t == stringType {
			// Room for the key's other values, counted in the rest of the query.
			if n := strings.Count(raw, k+"="); n > 0 {
				*(*[]string)(fp) = make([]string, 0, n+1)
			}
		}
		seen |= f.bit
		if err := setParam(f, v, fp); err != nil {
			vs.failParam(f, err, v)
			bad |= f.bit
		}
	}
	return seen, bad, nil
}

// bindHeaders reads header parameters; a slice collects every value of the
// header (several lines, or one comma-separated line).
func bindHeaders(ps *paramSet, h http.Header, base unsafe.Pointer, vs *validateState) (seen, bad uint64) {
	for _, f := range ps.fields {
		vals := h[f.header]
		if len(vals) == 0 {
			continue
		}
		seen |= f.bit
		p := unsafe.Add(base, f.offset)
		if f.t.kind == vkSlice {
			for _, line := range vals {
				for _, v := range strings.Split(line, ",") {
					v = strings.TrimSpace(v)
					if v == "" {
						continue
					}
					if err := appendScalar(f.t, v, p); err != nil {
						vs.failParam(f, err, v)
						bad |= f.bit
					}
				}
			}
			continue
		}
		if err := parseScalarInto(f.t, vals[0], p); err != nil {
			vs.failParam(f, err, vals[0])
			bad |= f.bit
		}
	}
	return seen, bad
}

func bindCookies(ps *paramSet, r *http.Request, base unsafe.Pointer, vs *validateState) (seen, bad uint64) {
	for _, f := range ps.fields {
		ck, err := r.Cookie(f.name)
		if err != nil {
			continue
		}
		seen |= f.bit
		p := unsafe.Add(base, f.offset)
		if err := setParam(f, ck.Value, p); err != nil {
			vs.failParam(f, err, ck.Value)
			bad |= f.bit
		}
	}
	return seen, bad
}

// failParam records a parameter that did not parse.
func (vs *validateState) failParam(f *fplan, err error, value string) {
	msg := err.Error()
	var pe parseError
	if !errors.As(err, &pe) {
		msg = "is not valid: " + msg
	}
	fe := FieldError{Location: f.loc.String(), Field: f.name, Message: msg}
	if f.loc != locHeader && f.loc != locCookie {
		fe.Value = echo(value)
	}
	vs.add(fe)
}

// finishParams applies defaults to absent parameters, reports missing
// required ones and checks the rules of those present.
func finishParams(ps *paramSet, seen, bad uint64, base unsafe.Pointer, vs *validateState) {
	if ps == nil {
		return
	}
	for _, f := range ps.fields {
		if bad&f.bit != 0 {
			continue
		}
		p := unsafe.Add(base, f.offset)
		if seen&f.bit == 0 {
			if f.hasDefault {
				reflect.NewAt(f.t.t, p).Elem().Set(freshDefault(f))
			} else {
				if f.required {
					vs.add(FieldError{Location: f.loc.String(), Field: f.name, Message: "is required"})
				}
				continue
			}
		}
		if f.rules != nil {
			vs.loc, vs.base = f.loc, f.name
			vs.checkValue(f.t, f.rules, p)
		}
	}
	vs.base = ""
}

// freshDefault returns the field's default, copied where it would share
// memory (slices and pointers) so that handlers may change it.
func freshDefault(f *fplan) reflect.Value {
	v := f.defVal
	switch v.Kind() {
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		return c
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(v.Elem())
		return c
	}
	return v
}
