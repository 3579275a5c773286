package covet

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"

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
	var h HandlerFunc
	if deps == nil {
		h = func(c *Context) error {
			in := new(In)
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
	} else {
		h = withDeps(tr, deps, fn)
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

// withDeps is the handler of a typed route whose input has provided
// fields: the providers run first (an unauthenticated request gets the
// provider's 401 before any validation error), then the binding.
func withDeps[In, Out any](tr *typedRoute, deps []fieldDep, fn func(*Context, *In) (*Out, error)) HandlerFunc {
	return func(c *Context) error {
		in := new(In)
		if err := c.fillDeps(deps, in); err != nil {
			return err
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
}

// bind fills the input in points to (an *In) from the request and
// validates it.
func (tr *typedRoute) bind(c *Context, in any) error {
	vs := binding.GetState()
	defer binding.PutState(vs)
	return c.bindInput(tr.in, in, vs)
}

// bindInput fills the input v points to from the request, collecting every
// failing field in vs, then runs the input's Validate method when the
// checks passed.
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
	if body == nil {
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
	// (Header.Set and Add replace or copy it); net/http adds Content-Length
	// for bodies that fit its buffer.
	res := c.Response()
	res.Header()["Content-Type"] = jsonContentType
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
// chosen by the request's Accept header (content negotiation). Register
// encoders with WithEncoders; JSON stays the default.
type Encoder interface {
	// ContentType is the media type the encoder writes ("application/xml").
	ContentType() string
	// Encode writes v to w.
	Encode(w io.Writer, v any) error
}

// ContextEncoder is an Encoder that writes the whole response itself, with
// the request's Context: it sends the status (the route's success status,
// or the output's) and the headers, so it can render into a buffer first
// and return an error before anything is sent, and it may read the route
// (c.Route()) to choose, say, a template. Typed handlers call EncodeContext
// instead of Encode when the encoder has it.
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
