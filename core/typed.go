package covet

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// Get registers a typed GET route on an App or Group (and HEAD with it);
// see HandleTyped for the rules.
func Get[In, Out any](r Router, pattern string, fn func(*Context, *In) (*Out, error), mw ...Middleware) *Route {
	return handleTyped(r, http.MethodGet, pattern, fn, mw)
}

// Post registers a typed POST route.
func Post[In, Out any](r Router, pattern string, fn func(*Context, *In) (*Out, error), mw ...Middleware) *Route {
	return handleTyped(r, http.MethodPost, pattern, fn, mw)
}

// Put registers a typed PUT route.
func Put[In, Out any](r Router, pattern string, fn func(*Context, *In) (*Out, error), mw ...Middleware) *Route {
	return handleTyped(r, http.MethodPut, pattern, fn, mw)
}

// Patch registers a typed PATCH route.
func Patch[In, Out any](r Router, pattern string, fn func(*Context, *In) (*Out, error), mw ...Middleware) *Route {
	return handleTyped(r, http.MethodPatch, pattern, fn, mw)
}

// Delete registers a typed DELETE route.
func Delete[In, Out any](r Router, pattern string, fn func(*Context, *In) (*Out, error), mw ...Middleware) *Route {
	return handleTyped(r, http.MethodDelete, pattern, fn, mw)
}

// HandleTyped registers a typed route for any method on an App or a Group.
// Typed handlers declare what they take and return; Covet binds, validates,
// documents and serializes:
//
//	type GetUserIn struct {
//		ID     int    `path:"id" minimum:"1"`
//		Fields string `query:"fields"`
//	}
//	func getUser(c *covet.Context, in *GetUserIn) (*User, error) { ... }
//
//	covet.Get(app, "/users/{id}", getUser)
//
// Input rules (see the package README for the whole vocabulary):
//   - Fields tagged path, query, header, cookie or form are parameters. A
//     field named Body is the JSON body. When the struct has no such field
//     at all, the struct itself is the JSON body.
//   - Use struct{} as In for a handler without input, and struct{} as Out
//     for one without output (204 No Content).
//
// Output rules: the returned value is encoded as JSON with 200 (or the
// route's Status). When Out has a Body field, Body is the response body and
// the other fields set the response: fields tagged header:"Name" set
// headers, an int field named Status sets the status, *http.Cookie and
// []*http.Cookie fields set cookies. Any output may also implement
// StatusCoder (a StatusCode() int method) to choose its status; 0 keeps the
// route's. A nil output with a nil error is 204.
//
// All reflection happens here: a type or tag Covet cannot bind panics with
// the route, the field and the problem, as a bad route pattern does.
func HandleTyped[In, Out any](r Router, method, pattern string, fn func(*Context, *In) (*Out, error), mw ...Middleware) *Route {
	return handleTyped(r, method, pattern, fn, mw)
}

// typedRoute is what a typed handler needs per request.
type typedRoute struct {
	in    *inputPlan
	out   *outputPlan
	route *Route
}

func handleTyped[In, Out any](r Router, method, pattern string, fn func(*Context, *In) (*Out, error), mw []Middleware) *Route {
	if fn == nil {
		panic("covet: typed route " + method + " " + pattern + " has a nil handler")
	}
	inT, outT := reflect.TypeFor[In](), reflect.TypeFor[Out]()
	where := func() string {
		full := pattern
		switch g := r.(type) {
		case *Group:
			full = joinPath(g.fullPrefix(), pattern)
		}
		file, line := callerOutside()
		return fmt.Sprintf("%s %s (%s:%d)", method, full, file, line)
	}
	ip, err := compileInput(inT)
	if err != nil {
		panic(fmt.Sprintf("covet: route %s: input %s: %v", where(), inT, err))
	}
	op, err := outputPlanFor(outT)
	if err != nil {
		panic(fmt.Sprintf("covet: route %s: output %s: %v", where(), outT, err))
	}
	// Path fields must name parameters of the pattern.
	full := pattern
	if g, ok := r.(*Group); ok {
		full = joinPath(g.fullPrefix(), pattern)
	}
	if pat, perr := parsePattern(full); perr == nil {
		if ps := ip.params[locPath]; ps != nil {
			ip2 := *ip
			ip2.pathIdx = make([]int, len(ps.fields))
			for i, f := range ps.fields {
				ip2.pathIdx[i] = -1
				for j, pp := range pat.params {
					if pp.Name == f.name {
						ip2.pathIdx[i] = j
					}
				}
				if ip2.pathIdx[i] < 0 {
					panic(fmt.Sprintf("covet: route %s: field %s: path parameter %q is not in the pattern", where(), f.goName, f.name))
				}
			}
			ip = &ip2
		}
	}
	tr := &typedRoute{in: ip, out: op}
	h := func(c *Context) error {
		in := new(In)
		if err := tr.bind(c, unsafe.Pointer(in), in); err != nil {
			return err
		}
		out, err := fn(c, in)
		if err != nil {
			return err
		}
		if out == nil {
			return c.NoContent(http.StatusNoContent)
		}
		return tr.write(c, unsafe.Pointer(out), out)
	}
	rt := r.Handle(method, pattern, h, mw...)
	tr.route = rt
	rt.typed = tr
	rt.info.Typed = true
	if inT.NumField() > 0 {
		rt.info.Input = inT
	}
	if !op.empty {
		rt.info.Output = outT
	}
	return rt
}

var validatePool = sync.Pool{New: func() any { return newValidateState() }}

// bind fills the input at p from the request and validates it. inAny is the
// same pointer as an interface, for the Validate method.
func (tr *typedRoute) bind(c *Context, p unsafe.Pointer, inAny any) error {
	ip := tr.in
	vs := validatePool.Get().(*validateState)
	vs.reset()
	defer validatePool.Put(vs)
	return ip.bindAndValidate(c, p, inAny, vs)
}

// bindAndValidate fills the input at p from the request, collecting every
// failing field in vs, then runs the input's Validate method (v is the same
// pointer as an interface) when the checks passed.
func (ip *inputPlan) bindAndValidate(c *Context, p unsafe.Pointer, v any, vs *validateState) error {
	if err := ip.bindParams(c, p, vs); err != nil {
		return err
	}
	if ip.hasBody() {
		if err := ip.bindBody(c, p, vs); err != nil {
			return err
		}
	}
	if len(vs.errs) > 0 {
		return validationError(vs.errs)
	}
	if ip.validate {
		if err := v.(interface{ Validate() error }).Validate(); err != nil {
			return customValidationError(err)
		}
	}
	return nil
}

func (ip *inputPlan) bindParams(c *Context, p unsafe.Pointer, vs *validateState) error {
	r := c.req
	if ps := ip.params[locPath]; ps != nil {
		var seen, bad uint64
		for i, f := range ps.fields {
			j := ip.pathIdx[i]
			if j < 0 || j >= len(c.params) {
				continue
			}
			v := c.params[j].Value
			if c.route != nil && j < len(c.route.pat.params) && c.route.pat.params[j].Kind == ParamPath && len(v) > 0 && v[0] == '/' {
				v = v[1:]
			}
			seen |= f.bit
			if strings.IndexByte(v, 0) >= 0 && !f.allowNUL && stringTarget(f.t) {
				vs.failParam(f, errNUL, v)
				bad |= f.bit
				continue
			}
			if err := parseScalarInto(f.t, v, unsafe.Add(p, f.offset)); err != nil {
				vs.failParam(f, err, v)
				bad |= f.bit
			}
		}
		finishParams(ps, seen, bad, p, vs)
	}
	if ps := ip.params[locQuery]; ps != nil {
		seen, bad, err := bindQuery(ps, r.URL.RawQuery, p, vs)
		if err != nil {
			return err
		}
		finishParams(ps, seen, bad, p, vs)
	}
	if ps := ip.params[locHeader]; ps != nil {
		seen, bad := bindHeaders(ps, r.Header, p, vs)
		finishParams(ps, seen, bad, p, vs)
	}
	if ps := ip.params[locCookie]; ps != nil {
		seen, bad := bindCookies(ps, r, p, vs)
		finishParams(ps, seen, bad, p, vs)
	}
	return nil
}

// bindBody reads a JSON or form body into the input.
func (ip *inputPlan) bindBody(c *Context, p unsafe.Pointer, vs *validateState) error {
	r := c.req
	o := c.bindOptions()
	if ip.form != nil {
		return ip.bindForm(c, p, vs, o)
	}
	empty := r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0
	mt := mediaType(r)
	if empty && mt == "" {
		if ip.bodyRequired {
			vs.add(FieldError{Location: "body", Message: "a JSON body is required"})
		}
		return nil
	}
	if !isJSONMedia(mt) {
		return unsupportedMedia(mt, "application/json")
	}
	bp, err := readBody(r, o.bodyLimit)
	if err != nil {
		return err
	}
	defer putBody(bp)
	data := *bp
	if len(data) == 0 {
		if ip.bodyRequired {
			vs.add(FieldError{Location: "body", Message: "a JSON body is required"})
		}
		return nil
	}
	target, tp := p, ip.bodyPlan
	if !ip.bodySelf {
		target = unsafe.Add(p, ip.body.offset)
	}
	return decodeJSON(c.app.cfg.json, data, tp, target, vs, jsonOptions{strict: o.strict, maxDepth: o.maxDepth})
}

// validationError is the 422 answer listing every failing field.
func validationError(errs []FieldError) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Detail: "validation failed", Errors: errs}
}

// customValidationError turns the error of an input's Validate method into
// a 422, unless it already carries a status.
func customValidationError(err error) error {
	var sc StatusCoder
	if errors.As(err, &sc) {
		return err
	}
	var fe FieldError
	if errors.As(err, &fe) {
		return validationError([]FieldError{fe})
	}
	return &Error{Status: http.StatusUnprocessableEntity, Detail: err.Error(), cause: err}
}

// Error lets a Validate method return a single FieldError as an error.
func (fe FieldError) Error() string {
	return fe.Location + "." + fe.Field + ": " + fe.Message
}

// write sends a typed handler's output.
func (tr *typedRoute) write(c *Context, p unsafe.Pointer, out any) error {
	op := tr.out
	status := http.StatusOK
	if tr.route != nil && tr.route.info.SuccessStatus != 0 {
		status = tr.route.info.SuccessStatus
	}
	if op.empty {
		if tr.route == nil || tr.route.info.SuccessStatus == 0 {
			status = http.StatusNoContent
		}
		return c.NoContent(status)
	}
	h := c.Response().Header()
	for _, f := range op.headers {
		writeHeaderField(h, f, unsafe.Add(p, f.offset))
	}
	for _, f := range op.cookies {
		fp := unsafe.Add(p, f.offset)
		if f.t.t == cookiePtrType {
			if ck := *(**http.Cookie)(fp); ck != nil {
				http.SetCookie(c.Response(), ck)
			}
			continue
		}
		for _, ck := range *(*[]*http.Cookie)(fp) {
			if ck != nil {
				http.SetCookie(c.Response(), ck)
			}
		}
	}
	if op.status != nil {
		if s := *(*int)(unsafe.Add(p, op.status.offset)); s != 0 {
			status = s
		}
	}
	if op.statusMethod {
		if s := out.(StatusCoder).StatusCode(); s != 0 {
			status = s
		}
	}
	var body any
	switch {
	case op.bodySelf:
		body = out
	case op.body != nil:
		body = reflect.NewAt(op.body.t.t, unsafe.Add(p, op.body.offset)).Interface()
		if op.body.t.kind == vkPtr && *(*unsafe.Pointer)(unsafe.Add(p, op.body.offset)) == nil {
			return c.NoContent(noContentStatus(status))
		}
	default:
		return c.NoContent(noContentStatus(status))
	}
	if c.app.cfg.validateOutput && op.bodyPlan != nil {
		if err := checkOutput(op, p, body); err != nil {
			return err
		}
	}
	if enc := c.app.negotiate(c.req); enc != nil {
		h.Set("Content-Type", enc.ContentType())
		c.Response().WriteHeader(status)
		return enc.Encode(c.Response(), body)
	}
	b, err := c.app.cfg.json.Marshal(body)
	if err != nil {
		return err
	}
	// A shared, never-mutated value slice spares an allocation per response
	// (Header.Set and Add replace or copy it); net/http adds Content-Length
	// for bodies that fit its buffer.
	h["Content-Type"] = jsonContentType
	res := c.Response()
	res.WriteHeader(status)
	_, err = res.Write(b)
	return err
}

var jsonContentType = []string{"application/json"}

func noContentStatus(status int) int {
	if status == http.StatusOK {
		return http.StatusNoContent
	}
	return status
}

func writeHeaderField(h http.Header, f *fplan, p unsafe.Pointer) {
	tp := f.t
	if tp.kind == vkPtr {
		q := *(*unsafe.Pointer)(p)
		if q == nil {
			return
		}
		tp, p = tp.elem, q
	}
	if tp.kind == vkSlice {
		hdr := (*sliceHeader)(p)
		for i := 0; i < hdr.len; i++ {
			if s, ok := formatScalar(tp.elem, unsafe.Add(hdr.data, uintptr(i)*tp.elem.t.Size())); ok {
				h.Add(f.name, s)
			}
		}
		return
	}
	if s, ok := formatScalar(tp, p); ok && s != "" {
		h.Set(f.name, s)
	}
}

// formatScalar renders a scalar value as header text.
func formatScalar(tp *tplan, p unsafe.Pointer) (string, bool) {
	switch tp.kind {
	case vkString:
		return *(*string)(p), true
	case vkInt:
		return strconv.FormatInt(readInt(p, tp.bits), 10), true
	case vkUint:
		return strconv.FormatUint(readUint(p, tp.bits), 10), true
	case vkFloat:
		if tp.bits == 32 {
			return strconv.FormatFloat(float64(*(*float32)(p)), 'g', -1, 32), true
		}
		return strconv.FormatFloat(*(*float64)(p), 'g', -1, 64), true
	case vkBool:
		return strconv.FormatBool(*(*bool)(p)), true
	}
	v := reflect.NewAt(tp.t, p).Elem().Interface()
	if tm, ok := v.(interface{ MarshalText() ([]byte, error) }); ok {
		b, err := tm.MarshalText()
		return string(b), err == nil
	}
	if s, ok := v.(fmt.Stringer); ok {
		return s.String(), true
	}
	return "", false
}

// checkOutput validates an output body in development (WithOutputValidation).
func checkOutput(op *outputPlan, p unsafe.Pointer, body any) error {
	vs := newValidateState()
	vs.loc = locBody
	bp := reflect.ValueOf(body)
	if bp.Kind() != reflect.Pointer || bp.IsNil() {
		return nil
	}
	vs.checkValue(op.bodyPlan, nil, bp.UnsafePointer())
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
	return fmt.Errorf("covet: output of %s breaks its own schema: %s", op.t, b.String())
}

// Encoder writes typed handlers' output in a media type other than JSON,
// chosen by the request's Accept header (content negotiation). Register
// encoders with WithEncoders; JSON stays the default.
type Encoder interface {
	// ContentType is the media type the encoder writes ("application/xml").
	ContentType() string
	// Encode writes v to w.
	Encode(w io.Writer, v any) error
}

// negotiate returns the registered encoder the request prefers over JSON,
// or nil for JSON.
func (a *App) negotiate(r *http.Request) Encoder {
	if len(a.cfg.encoders) == 0 {
		return nil
	}
	accept := r.Header.Get("Accept")
	if accept == "" {
		return nil
	}
	for _, part := range strings.Split(accept, ",") {
		mt := strings.TrimSpace(part)
		if i := strings.IndexByte(mt, ';'); i >= 0 {
			mt = strings.TrimSpace(mt[:i])
		}
		if mt == "application/json" || mt == "*/*" || mt == "application/*" {
			return nil
		}
		for _, e := range a.cfg.encoders {
			if strings.EqualFold(e.ContentType(), mt) {
				return e
			}
		}
	}
	return nil
}
