package binding

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
func paramKindOK(tp *TypePlan, allowSlice bool) bool {
	switch tp.Kind {
	case KindString, KindInt, KindUint, KindFloat, KindBool, KindTime, KindDuration, KindText:
		return true
	case KindPtr:
		k := tp.Elem.Kind
		return k != KindPtr && k != KindSlice && paramKindOK(tp.Elem, false)
	case KindSlice:
		return allowSlice && tp.Elem.Kind != KindSlice && paramKindOK(tp.Elem, false)
	}
	return false
}

// parseError is a parameter or form value that does not parse: its message.
type parseError string

// errNUL refuses a NUL character in a string (allowNUL:"true" lets it in).
const errNUL = parseError("must not contain a NUL character (U+0000)")

// stringTarget reports whether a parameter of plan tp stores strings.
func stringTarget(tp *TypePlan) bool {
	if tp.Kind == KindSlice {
		tp = tp.Elem
	}
	for tp.Kind == KindPtr {
		tp = tp.Elem
	}
	return tp.Kind == KindString
}

func (e parseError) Error() string { return string(e) }

// parseScalarInto parses s into the value at p, of plan tp (a scalar, or a
// pointer to one, which is allocated).
func parseScalarInto(tp *TypePlan, s string, p unsafe.Pointer) error {
	switch tp.Kind {
	case KindString:
		*(*string)(p) = s
	case KindInt:
		n, err := strconv.ParseInt(s, 10, tp.Bits)
		if err != nil {
			return intError(err, tp)
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
		n, err := strconv.ParseUint(s, 10, tp.Bits)
		if err != nil {
			return intError(err, tp)
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
		f, err := strconv.ParseFloat(s, tp.Bits)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return parseError("must be a number")
		}
		if tp.Bits == 32 {
			*(*float32)(p) = float32(f)
		} else {
			*(*float64)(p) = f
		}
	case KindBool:
		b, ok := parseBool(s)
		if !ok {
			return parseError("must be a boolean (true or false)")
		}
		*(*bool)(p) = b
	case KindDuration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return parseError("must be a duration such as 1m30s")
		}
		*(*time.Duration)(p) = d
	case KindTime:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || !isDateTime(s) {
			return parseError("must be an RFC 3339 date-time")
		}
		*(*time.Time)(p) = t
	case KindText:
		u := reflect.NewAt(tp.T, p).Interface().(encoding.TextUnmarshaler)
		if err := u.UnmarshalText([]byte(s)); err != nil {
			return parseError("is not a valid " + tp.T.Name() + ": " + err.Error())
		}
	case KindPtr:
		v := reflect.New(tp.Elem.T)
		if err := parseScalarInto(tp.Elem, s, v.UnsafePointer()); err != nil {
			return err
		}
		*(*unsafe.Pointer)(p) = v.UnsafePointer()
	default:
		return errNotScalar
	}
	return nil
}

func intError(err error, tp *TypePlan) error {
	if errors.Is(err, strconv.ErrRange) {
		return parseError("is out of range for " + tp.T.String())
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
func appendScalar(tp *TypePlan, s string, p unsafe.Pointer) error {
	if tp.Elem.T == stringType {
		sl := (*[]string)(p)
		*sl = append(*sl, s)
		return nil
	}
	ev := reflect.New(tp.Elem.T)
	if err := parseScalarInto(tp.Elem, s, ev.UnsafePointer()); err != nil {
		return err
	}
	sv := reflect.NewAt(tp.T, p).Elem()
	sv.Set(reflect.Append(sv, ev.Elem()))
	return nil
}

var stringType = reflect.TypeFor[string]()

// setParam stores one parameter value (appending for slices).
func setParam(f *FieldPlan, s string, p unsafe.Pointer) error {
	if strings.IndexByte(s, 0) >= 0 && !f.allowNUL && stringTarget(f.T) {
		return errNUL
	}
	if f.T.Kind == KindSlice {
		return appendScalar(f.T, s, p)
	}
	return parseScalarInto(f.T, s, p)
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

// ParamSet is the parameters of one location.
type ParamSet struct {
	Fields []*FieldPlan
	// required is the mask of required parameters
	Required uint64
}

func (ps *ParamSet) find(name string) *FieldPlan {
	for _, f := range ps.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// bindQuery scans the raw query into the fields of ps with the parser of
// c.Query (query.go). The first value of a scalar parameter wins (as
// url.Values.Get); slices collect every value. A query with more than
// MaxQueryParams pairs is a 400.
func bindQuery(ps *ParamSet, raw string, base unsafe.Pointer, vs *State) (seen, bad uint64, err error) {
	if TooManyQueryParams(raw) {
		return 0, 0, ErrTooManyQueryParams()
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
		if seen&f.Bit != 0 && f.T.Kind != KindSlice {
			continue
		}
		v, ok = unescapeQuery(v)
		if !ok {
			continue
		}
		fp := unsafe.Add(base, f.Offset)
		if seen&f.Bit == 0 && f.T.Elem != nil && f.T.Kind == KindSlice && f.T.Elem.T == stringType {
			// Room for the key's other values, counted in the rest of the query.
			if n := strings.Count(raw, k+"="); n > 0 {
				*(*[]string)(fp) = make([]string, 0, n+1)
			}
		}
		seen |= f.Bit
		if err := setParam(f, v, fp); err != nil {
			vs.failParam(f, err, v)
			bad |= f.Bit
		}
	}
	return seen, bad, nil
}

// bindHeaders reads header parameters; a slice collects every value of the
// header (several lines, or one comma-separated line).
func bindHeaders(ps *ParamSet, h http.Header, base unsafe.Pointer, vs *State) (seen, bad uint64) {
	for _, f := range ps.Fields {
		vals := h[f.Header]
		if len(vals) == 0 {
			continue
		}
		seen |= f.Bit
		p := unsafe.Add(base, f.Offset)
		if f.T.Kind == KindSlice {
			for _, line := range vals {
				for _, v := range strings.Split(line, ",") {
					v = strings.TrimSpace(v)
					if v == "" {
						continue
					}
					if err := appendScalar(f.T, v, p); err != nil {
						vs.failParam(f, err, v)
						bad |= f.Bit
					}
				}
			}
			continue
		}
		if err := parseScalarInto(f.T, vals[0], p); err != nil {
			vs.failParam(f, err, vals[0])
			bad |= f.Bit
		}
	}
	return seen, bad
}

func bindCookies(ps *ParamSet, r *http.Request, base unsafe.Pointer, vs *State) (seen, bad uint64) {
	for _, f := range ps.Fields {
		ck, err := r.Cookie(f.Name)
		if err != nil {
			continue
		}
		seen |= f.Bit
		p := unsafe.Add(base, f.Offset)
		if err := setParam(f, ck.Value, p); err != nil {
			vs.failParam(f, err, ck.Value)
			bad |= f.Bit
		}
	}
	return seen, bad
}

// failParam records a parameter that did not parse.
func (vs *State) failParam(f *FieldPlan, err error, value string) {
	msg := err.Error()
	var pe parseError
	if !errors.As(err, &pe) {
		msg = "is not valid: " + msg
	}
	fe := FieldError{Location: f.Loc.String(), Field: f.Name, Message: msg}
	if f.Loc != LocHeader && f.Loc != LocCookie {
		fe.Value = echo(value)
	}
	vs.add(fe)
}

// finishParams applies defaults to absent parameters, reports missing
// required ones and checks the rules of those present.
func finishParams(ps *ParamSet, seen, bad uint64, base unsafe.Pointer, vs *State) {
	if ps == nil {
		return
	}
	for _, f := range ps.Fields {
		if bad&f.Bit != 0 {
			continue
		}
		p := unsafe.Add(base, f.Offset)
		if seen&f.Bit == 0 {
			if f.HasDefault {
				reflect.NewAt(f.T.T, p).Elem().Set(freshDefault(f))
			} else {
				if f.Required {
					vs.add(FieldError{Location: f.Loc.String(), Field: f.Name, Message: "is required"})
				}
				continue
			}
		}
		if f.Rules != nil {
			vs.Loc, vs.base = f.Loc, f.Name
			vs.checkValue(f.T, f.Rules, p)
		}
	}
	vs.base = ""
}

// freshDefault returns the field's default, copied where it would share
// memory (slices and pointers) so that handlers may change it.
func freshDefault(f *FieldPlan) reflect.Value {
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
