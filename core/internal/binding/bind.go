package binding

import (
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/julienschmidt/httprouter"
)

// Options are the binding settings in force for one request.
type Options struct {
	BodyLimit int64
	Strict    bool // unknown JSON fields are a 422
	MaxDepth  int
	Codec     Codec
}

var statePool = sync.Pool{New: func() any { return NewState() }}

// GetState returns a reset State from a pool; give it back with PutState.
func GetState() *State {
	vs := statePool.Get().(*State)
	vs.reset()
	return vs
}

// PutState returns vs to the pool.
func PutState(vs *State) { statePool.Put(vs) }

// Errs returns the failures collected so far (nil when none). The slice
// is the State's own: copy it before PutState.
func (vs *State) Errs() []FieldError {
	if len(vs.errs) == 0 {
		return nil
	}
	return vs.errs
}

// Add records a failure.
func (vs *State) Add(fe FieldError) { vs.add(fe) }

// ResolvePath returns a copy of ip whose path fields know their position
// among the route pattern's n parameters: name(j) is the j-th parameter's
// name and rest(j) whether it takes the rest of the path (its value then
// starts with a slash the binder drops). missing names the Go field of a
// path field the pattern lacks and its parameter ("" when all are found).
func (ip *InputPlan) ResolvePath(n int, param func(j int) (name string, rest bool)) (_ *InputPlan, missing string) {
	ps := ip.Params[LocPath]
	if ps == nil {
		return ip, ""
	}
	cp := *ip
	cp.PathIdx = make([]int, len(ps.Fields))
	cp.pathRest = make([]bool, len(ps.Fields))
	for i, f := range ps.Fields {
		cp.PathIdx[i] = -1
		for j := range n {
			if name, rest := param(j); name == f.Name {
				cp.PathIdx[i], cp.pathRest[i] = j, rest
			}
		}
		if cp.PathIdx[i] < 0 && missing == "" {
			missing = f.GoName + ": path parameter " + strconv.Quote(f.Name)
		}
	}
	return &cp, missing
}

// HasPath reports whether the input has path fields.
func (ip *InputPlan) HasPath() bool { return ip.Params[LocPath] != nil }

// HasBody reports whether the input reads a request body.
func (ip *InputPlan) HasBody() bool { return ip.hasBody() }

// HasValidate reports whether *In has a Validate() error method.
func (ip *InputPlan) HasValidate() bool { return ip.Validate }

// BindParams fills the path, query, header and cookie fields of the input
// in points to (in holds a pointer to the plan's struct type), collecting
// failures in vs. The error is a *Error (too many query parameters).
func (ip *InputPlan) BindParams(r *http.Request, path httprouter.Params, in any, vs *State) error {
	p := Ptr(in)
	if ps := ip.Params[LocPath]; ps != nil {
		var seen, bad uint64
		for i, f := range ps.Fields {
			j := ip.PathIdx[i]
			if j < 0 || j >= len(path) {
				continue
			}
			v := path[j].Value
			if ip.pathRest != nil && ip.pathRest[i] && len(v) > 0 && v[0] == '/' {
				v = v[1:]
			}
			seen |= f.Bit
			if strings.IndexByte(v, 0) >= 0 && !f.allowNUL && stringTarget(f.T) {
				vs.failParam(f, errNUL, v)
				bad |= f.Bit
				continue
			}
			if err := parseScalarInto(f.T, v, unsafe.Add(p, f.Offset)); err != nil {
				vs.failParam(f, err, v)
				bad |= f.Bit
			}
		}
		finishParams(ps, seen, bad, p, vs)
	}
	if ps := ip.Params[LocQuery]; ps != nil {
		if err := bindQueryAt(ps, r.URL.RawQuery, p, vs); err != nil {
			return err
		}
	}
	if ps := ip.Params[LocHeader]; ps != nil {
		seen, bad := bindHeaders(ps, r.Header, p, vs)
		finishParams(ps, seen, bad, p, vs)
	}
	if ps := ip.Params[LocCookie]; ps != nil {
		seen, bad := bindCookies(ps, r, p, vs)
		finishParams(ps, seen, bad, p, vs)
	}
	return nil
}

// BindQuery fills the query fields ps of the struct in points to from a
// raw query.
func BindQuery(ps *ParamSet, raw string, in any, vs *State) error {
	return bindQueryAt(ps, raw, Ptr(in), vs)
}

func bindQueryAt(ps *ParamSet, raw string, p unsafe.Pointer, vs *State) error {
	seen, bad, err := bindQuery(ps, raw, p, vs)
	if err != nil {
		return err
	}
	finishParams(ps, seen, bad, p, vs)
	return nil
}

// BindBody reads a JSON or form body into the input in points to. mp
// serves multipart forms. The error is a *Error (400, 413, 415) or mp's.
func (ip *InputPlan) BindBody(r *http.Request, in any, vs *State, o Options, mp Multipart) error {
	p := Ptr(in)
	if ip.Form != nil {
		return ip.bindForm(r, p, vs, o, mp)
	}
	empty := r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0
	mt := MediaType(r)
	if empty && mt == "" {
		if ip.BodyRequired {
			vs.add(FieldError{Location: "body", Message: "a JSON body is required"})
		}
		return nil
	}
	if !IsJSONMedia(mt) {
		return UnsupportedMedia(mt, "application/json")
	}
	bp, err := ReadBody(r, o.BodyLimit)
	if err != nil {
		return err
	}
	defer PutBody(bp)
	data := *bp
	if len(data) == 0 {
		if ip.BodyRequired {
			vs.add(FieldError{Location: "body", Message: "a JSON body is required"})
		}
		return nil
	}
	target, tp := p, ip.BodyPlan
	if !ip.BodySelf {
		target = unsafe.Add(p, ip.Body.Offset)
	}
	return decodeJSON(o.Codec, data, tp, target, vs, o)
}

// Multipart is covet's streaming multipart reader as form binding sees it.
type Multipart interface {
	// EachPart calls fn with every part: its form name, whether it is a
	// file, its body, and spool, which stores a file part and returns the
	// *covet.File to put in a file field.
	EachPart(fn func(name string, file bool, body io.Reader, spool func() (any, error)) error) error
}

// bindForm binds an urlencoded or multipart form into the input's form fields.
func (ip *InputPlan) bindForm(r *http.Request, p unsafe.Pointer, vs *State, o Options, mp Multipart) error {
	mt := MediaType(r)
	var seen, bad, files, badFiles uint64
	switch mt {
	case "application/x-www-form-urlencoded":
		if len(ip.FormFiles) > 0 {
			return UnsupportedMedia(mt, "multipart/form-data")
		}
		bp, err := ReadBody(r, o.BodyLimit)
		if err != nil {
			return err
		}
		seen, bad, err = bindQuery(ip.Form, string(*bp), p, vs)
		PutBody(bp)
		if err != nil {
			return err
		}
	case "multipart/form-data":
		err := mp.EachPart(func(name string, isFile bool, body io.Reader, spool func() (any, error)) error {
			if isFile {
				for _, f := range ip.FormFiles {
					if f.Name != name {
						continue
					}
					file, err := spool()
					if err != nil {
						return err
					}
					// The field is a *File or []*File: one pointer, or a
					// slice of pointers with the same layout.
					ptr := reflect.ValueOf(file).UnsafePointer()
					fp := unsafe.Add(p, f.Offset)
					if f.T.Kind == KindFiles {
						sl := (*[]unsafe.Pointer)(fp)
						*sl = append(*sl, ptr)
					} else if files&f.Bit == 0 {
						*(*unsafe.Pointer)(fp) = ptr
					}
					files |= f.Bit
					return nil
				}
				if f := ip.Form.find(name); f != nil && bad&f.Bit == 0 {
					// A file where a text field is expected: reported, as
					// FastAPI does, not skipped into "is required".
					vs.add(FieldError{Location: "form", Field: f.Name, Message: "must be a text field, not a file"})
					seen |= f.Bit
					bad |= f.Bit
				}
				return nil // unknown file field: skipped within the limits
			}
			f := ip.Form.find(name)
			if f == nil {
				for _, ff := range ip.FormFiles {
					if ff.Name == name && (files|badFiles)&ff.Bit == 0 {
						// A text part where a file is expected (no
						// filename): it was skipped, and the handler
						// saw no file and no error.
						vs.add(FieldError{Location: "form", Field: ff.Name, Message: "must be a file (a part with a filename)"})
						badFiles |= ff.Bit
					}
				}
				return nil
			}
			var sb strings.Builder
			if _, err := io.Copy(&sb, body); err != nil {
				return err
			}
			if seen&f.Bit != 0 && f.T.Kind != KindSlice {
				return nil
			}
			seen |= f.Bit
			if err := setParam(f, sb.String(), unsafe.Add(p, f.Offset)); err != nil {
				vs.failParam(f, err, sb.String())
				bad |= f.Bit
			}
			return nil
		})
		if err != nil {
			return err
		}
	default:
		if len(ip.FormFiles) > 0 {
			return UnsupportedMedia(mt, "multipart/form-data")
		}
		return UnsupportedMedia(mt, "application/x-www-form-urlencoded", "multipart/form-data")
	}
	finishParams(ip.Form, seen, bad, p, vs)
	for _, f := range ip.FormFiles {
		if files&f.Bit == 0 {
			if f.Required && badFiles&f.Bit == 0 {
				vs.add(FieldError{Location: "form", Field: f.Name, Message: "is required"})
			}
			continue
		}
		if f.Rules != nil {
			vs.Loc, vs.base = LocForm, f.Name
			vs.checkValue(f.T, f.Rules, unsafe.Add(p, f.Offset))
			vs.base = ""
		}
	}
	return nil
}

// BindValues fills the query-tagged fields of the struct in points to from
// values (form or query values already parsed).
func (ip *InputPlan) BindValues(values map[string][]string, in any, vs *State) {
	p := Ptr(in)
	ps := ip.Params[LocQuery]
	if ps == nil {
		return
	}
	var seen, bad uint64
	for _, f := range ps.Fields {
		vals, ok := values[f.Name]
		if !ok || len(vals) == 0 && f.T.Kind != KindSlice {
			continue // absent; an empty list for a slice means "no items", not the default
		}
		seen |= f.Bit
		fp := unsafe.Add(p, f.Offset)
		if len(vals) == 0 {
			sv := reflect.NewAt(f.T.T, fp).Elem()
			sv.Set(reflect.MakeSlice(f.T.T, 0, 0))
		}
		for _, s := range vals {
			if err := setParam(f, s, fp); err != nil {
				vs.failParam(f, err, s)
				bad |= f.Bit
				break
			}
			if f.T.Kind != KindSlice {
				break
			}
		}
	}
	finishParams(ps, seen, bad, p, vs)
}
