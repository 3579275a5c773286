package covet

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"

	"github.com/covetgo/covet/core/internal/binding"
	"github.com/covetgo/covet/core/internal/inject"
	"github.com/covetgo/covet/core/internal/pathx"
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

// HandleTyped registers a typed route for any method on an App or a Group:
// the handler declares what it takes and returns, and Covet binds,
// validates, documents and serializes (see Example_typedHandler and the
// README for the tag vocabulary).
//
// Input: fields tagged path, query, header, cookie or form are parameters;
// a field named Body is the JSON body, or the struct itself when it has no
// such field. struct{} means no input (as Out: no output, 204).
//
// Output: encoded as JSON with 200 (or the route's Status). When Out has a
// Body field, it is the body and the other fields set the response:
// header:"Name" fields, an int Status, *http.Cookie and []*http.Cookie
// fields. An output implementing StatusCoder chooses its status (0 keeps
// the route's); a nil output is 204.
//
// All reflection happens here: a type or tag Covet cannot bind panics with
// the route, the field and the problem.
func HandleTyped[In, Out any](r Router, method, pattern string, fn func(*Context, *In) (*Out, error), mw ...Middleware) *Route {
	return handleTyped(r, method, pattern, fn, mw)
}

// typedRoute is what a typed handler needs per request.
type typedRoute struct {
	in    *binding.InputPlan
	out   *binding.OutputPlan
	route *Route
}

func handleTyped[In, Out any](r Router, method, pattern string, fn func(*Context, *In) (*Out, error), mw []Middleware) *Route {
	if fn == nil {
		panic("covet: typed route " + method + " " + pattern + " has a nil handler")
	}
	inT, outT := reflect.TypeFor[In](), reflect.TypeFor[Out]()
	full, app := pattern, (*App)(nil)
	switch rr := r.(type) {
	case *App:
		app = rr
	case *Group:
		app, full = rr.app, pathx.Join(rr.fullPrefix(), pattern)
	}
	fail := func(err error) {
		file, line := callerOutside()
		panic(fmt.Sprintf("covet: route %s %s (%s:%d): %v", method, full, file, line, err))
	}
	var deps []fieldDep
	var provided []int
	if app != nil {
		var err error
		if deps, provided, err = app.providers.Fields(inT); err != nil {
			fail(fmt.Errorf("input %s: %v", inT, err))
		}
	}
	params, known := binding.RouteParams(full)
	ip, op, err := binding.CompileRoute(inT, outT, provided, params, known)
	if err != nil {
		fail(err)
	}
	tr := &typedRoute{in: ip, out: op}
	h := func(c *Context) error {
		in := new(In)
		if deps != nil { // providers first: a 401 comes before validation errors
			if err := c.fillDeps(deps, in); err != nil {
				return err
			}
		}
		if err := tr.bind(c, in); err != nil {
			return err
		}
		out, err := fn(c, in)
		if err != nil {
			return err
		}
		if out == nil {
			return c.NoContent(http.StatusNoContent)
		}
		return tr.write(c, out)
	}
	rt := r.Handle(method, pattern, h, mw...)
	tr.route = rt
	rt.typed = tr
	rt.info.Typed = true
	if inT.NumField() > 0 {
		rt.info.Input = inT
	}
	if !op.Empty {
		rt.info.Output = outT
	}
	if deps != nil {
		rt.info.Provided = provided
		rt.info.ProviderParams = inject.Params(rt.info.ProviderParams, deps)
	}
	return rt
}

// bind fills and validates the input in points to (an *In).
func (tr *typedRoute) bind(c *Context, in any) error {
	vs := binding.GetState()
	defer binding.PutState(vs)
	return c.bindInput(tr.in, in, vs)
}

// bindInput fills the input v points to, collecting every failing field in
// vs, then runs its Validate method when the checks passed.
func (c *Context) bindInput(ip *binding.InputPlan, v any, vs *binding.State) error {
	if err := ip.BindParams(c.req, c.params, v, vs); err != nil {
		return bindError(err)
	}
	if ip.HasBody() {
		if err := ip.BindBody(c.req, v, vs, c.bindOptions(), formParts{c}); err != nil {
			return bindError(err)
		}
	}
	if errs := vs.Errs(); len(errs) > 0 {
		return validationError(fieldErrors(errs))
	}
	if ip.HasValidate() {
		if err := v.(interface{ Validate() error }).Validate(); err != nil {
			return customValidationError(err)
		}
	}
	return nil
}

// validationError is the 422 answer listing every failing field.
func validationError(errs []FieldError) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Detail: "validation failed", Errors: errs}
}

// customValidationError makes a Validate error a 422, unless it has a status.
func customValidationError(err error) error {
	var sc StatusCoder
	if errors.As(err, &sc) {
		return err
	}
	if fes := appendFieldErrors(nil, err); len(fes) > 0 {
		return validationError(fes)
	}
	return &Error{Status: http.StatusUnprocessableEntity, Detail: err.Error(), cause: err}
}

// appendFieldErrors appends every FieldError in err's tree, in order: a
// Validate method returning errors.Join(fieldA, fieldB) lists both (only
// the first was, as errors.As finds one).
func appendFieldErrors(out []FieldError, err error) []FieldError {
	switch e := err.(type) {
	case FieldError:
		return append(out, e)
	case *FieldError:
		if e != nil {
			return append(out, *e)
		}
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			out = appendFieldErrors(out, x)
		}
	case interface{ Unwrap() error }:
		return appendFieldErrors(out, e.Unwrap())
	}
	return out
}

// Error lets a Validate method return a single FieldError as an error.
func (fe FieldError) Error() string { return fe.Location + "." + fe.Field + ": " + fe.Message }

// write sends a typed handler's output (out holds the handler's *Out).
func (tr *typedRoute) write(c *Context, out any) error {
	op := tr.out
	status := http.StatusOK
	if tr.route != nil && tr.route.info.SuccessStatus != 0 {
		status = tr.route.info.SuccessStatus
	}
	if op.Empty {
		if tr.route == nil || tr.route.info.SuccessStatus == 0 {
			status = http.StatusNoContent
		}
		return c.NoContent(status)
	}
	status, body := op.Prepare(c.Response(), out, status)
	if status < 200 || status > 599 {
		// Not a final status: net/http panicked on some (the connection
		// was cut with no answer), sent 1xx as an interim response before
		// a 200, or refused the body of 101.
		return fmt.Errorf("covet: the typed handler's output set status %d, not a final HTTP status (200-599)", status)
	}
	if body == nil || status == http.StatusNoContent || status == http.StatusNotModified {
		// 204 and 304 have no body (RFC 9110 §15.3.5, §15.4.5): writing
		// one failed after the status was sent, cutting the connection.
		return c.NoContent(noContentStatus(status))
	}
	if c.app.cfg.validateOutput {
		if err := op.CheckOutput(body); err != nil {
			return err
		}
	}
	if enc := c.app.negotiate(c.req); enc != nil {
		if ce, ok := enc.(ContextEncoder); ok {
			return ce.EncodeContext(c, status, body)
		}
		c.Response().Header().Set("Content-Type", enc.ContentType())
		c.Response().WriteHeader(status)
		return enc.Encode(c.Response(), body)
	}
	b, err := c.marshalJSON(body)
	if err != nil {
		return err
	}
	// A shared, never-mutated value slice spares an allocation per response
	// (Header.Set and Add replace or copy it).
	res := c.Response()
	h := res.Header()
	h["Content-Type"] = jsonContentType
	if res.head {
		// A HEAD answer carries the length GET's would: net/http cannot
		// count a body it never sees. (GET's large bodies stay chunked:
		// the header would cost two allocations per response.)
		h["Content-Length"] = []string{strconv.Itoa(len(b))}
	}
	res.WriteHeader(status)
	_, err = res.Write(b)
	c.keepJSON(b)
	return err
}

var jsonContentType = []string{"application/json"}

func noContentStatus(status int) int {
	if status == http.StatusOK {
		return http.StatusNoContent
	}
	return status
}

// Encoder writes typed handlers' output in a media type other than JSON,
// chosen by the Accept header; register with WithEncoders.
type Encoder interface {
	ContentType() string             // the media type written ("application/xml")
	Encode(w io.Writer, v any) error // writes v to w
}

// ContextEncoder is an Encoder that writes the whole response, status and
// headers included, with the request's Context: it can render into a buffer
// and fail before anything is sent, and read c.Route() (to choose a
// template). Typed handlers call EncodeContext instead of Encode.
type ContextEncoder interface {
	Encoder
	EncodeContext(c *Context, status int, v any) error
}

// negotiate returns the registered encoder the request prefers over JSON,
// or nil for JSON.
func (a *App) negotiate(r *http.Request) Encoder {
	if len(a.cfg.encoders) == 0 {
		return nil
	}
	e, _ := binding.Negotiate(r.Header.Get("Accept"), a.cfg.encoders)
	return e
}

// Created is the output of a typed handler that created a resource: 201,
// a Location header, and the resource as the JSON body. Set the route's
// Status(http.StatusCreated) too, so its documentation lists 201.
type Created[T any] struct {
	Location string `header:"Location"` // the new resource's URL (a path, or absolute)
	Body     T      // the new resource
}

// NewCreated returns a Created output for body at location.
func NewCreated[T any](location string, body T) *Created[T] {
	return &Created[T]{Location: location, Body: body}
}

// StatusCode returns 201 Created.
func (*Created[T]) StatusCode() int { return http.StatusCreated }
