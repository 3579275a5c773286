package binding

import (
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unsafe"
)

// Prepare applies a typed output (out holds a pointer to the plan's type)
// to the response: it sets the header fields and cookies and returns the
// status (status, or the output's Status field or StatusCode method) and
// the body to encode; body is nil when nothing is to be sent.
func (op *OutputPlan) Prepare(w http.ResponseWriter, out any, status int) (int, any) {
	p := Ptr(out)
	if len(op.Headers) > 0 {
		h := w.Header()
		for _, f := range op.Headers {
			writeHeaderField(h, f, unsafe.Add(p, f.Offset))
		}
	}
	for _, f := range op.Cookies {
		fp := unsafe.Add(p, f.Offset)
		if f.T.T == cookiePtrType {
			if ck := *(**http.Cookie)(fp); ck != nil {
				http.SetCookie(w, ck)
			}
			continue
		}
		for _, ck := range *(*[]*http.Cookie)(fp) {
			if ck != nil {
				http.SetCookie(w, ck)
			}
		}
	}
	if op.Status != nil {
		if s := *(*int)(unsafe.Add(p, op.Status.Offset)); s != 0 {
			status = s
		}
	}
	if op.StatusMethod {
		if s := out.(statusCoder).StatusCode(); s != 0 {
			status = s
		}
	}
	switch {
	case op.BodySelf:
		return status, out
	case op.Body != nil:
		if op.Body.T.Kind == KindPtr && *(*unsafe.Pointer)(unsafe.Add(p, op.Body.Offset)) == nil {
			return status, nil
		}
		return status, reflect.NewAt(op.Body.T.T, unsafe.Add(p, op.Body.Offset)).Interface()
	}
	return status, nil
}

func writeHeaderField(h http.Header, f *FieldPlan, p unsafe.Pointer) {
	tp := f.T
	if tp.Kind == KindPtr {
		q := *(*unsafe.Pointer)(p)
		if q == nil {
			return
		}
		tp, p = tp.Elem, q
	}
	if tp.Kind == KindSlice {
		hdr := (*sliceHeader)(p)
		for i := 0; i < hdr.len; i++ {
			if s, ok := formatScalar(tp.Elem, unsafe.Add(hdr.data, uintptr(i)*tp.Elem.T.Size())); ok {
				h.Add(f.Name, s)
			}
		}
		return
	}
	if s, ok := formatScalar(tp, p); ok && s != "" {
		h.Set(f.Name, s)
	}
}

// formatScalar renders a scalar value as header text.
func formatScalar(tp *TypePlan, p unsafe.Pointer) (string, bool) {
	switch tp.Kind {
	case KindString:
		return *(*string)(p), true
	case KindInt:
		return strconv.FormatInt(readInt(p, tp.Bits), 10), true
	case KindUint:
		return strconv.FormatUint(readUint(p, tp.Bits), 10), true
	case KindFloat:
		if tp.Bits == 32 {
			return strconv.FormatFloat(float64(*(*float32)(p)), 'g', -1, 32), true
		}
		return strconv.FormatFloat(*(*float64)(p), 'g', -1, 64), true
	case KindBool:
		return strconv.FormatBool(*(*bool)(p)), true
	}
	v := reflect.NewAt(tp.T, p).Elem().Interface()
	if tm, ok := v.(interface{ MarshalText() ([]byte, error) }); ok {
		b, err := tm.MarshalText()
		return string(b), err == nil
	}
	if s, ok := v.(fmt.Stringer); ok {
		return s.String(), true
	}
	return "", false
}

// CheckOutput validates an output body against its own schema
// (covet.WithOutputValidation, for development).
func (op *OutputPlan) CheckOutput(body any) error {
	if op.BodyPlan == nil {
		return nil
	}
	vs := NewState()
	vs.Loc = LocBody
	bp := reflect.ValueOf(body)
	if bp.Kind() != reflect.Pointer || bp.IsNil() {
		return nil
	}
	vs.checkValue(op.BodyPlan, nil, bp.UnsafePointer())
	if len(vs.errs) == 0 {
		return nil
	}
	var b strings.Builder
	for i, e := range vs.errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Pointer + " " + e.Message)
	}
	return fmt.Errorf("covet: output of %s breaks its own schema: %s", op.T, b.String())
}

// Negotiate returns the encoder among encs the Accept header prefers over
// JSON; ok is false for JSON (JSON or any type listed before a registered
// one, or nothing registered matches).
func Negotiate[E interface{ ContentType() string }](accept string, encs []E) (e E, ok bool) {
	if accept == "" {
		return e, false
	}
	for _, part := range strings.Split(accept, ",") {
		mt := strings.TrimSpace(part)
		if i := strings.IndexByte(mt, ';'); i >= 0 {
			mt = strings.TrimSpace(mt[:i])
		}
		if mt == "application/json" || mt == "*/*" || mt == "application/*" {
			return e, false
		}
		for _, enc := range encs {
			if strings.EqualFold(enc.ContentType(), mt) {
				return enc, true
			}
		}
	}
	return e, false
}
