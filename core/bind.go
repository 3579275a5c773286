package covet

import (
	"reflect"

	"github.com/covetgo/covet/core/internal/binding"
)

// routeBind holds a route's binding options; nil fields keep the app's.
type routeBind struct {
	binding.Overrides
	multipart *MultipartLimits
}

// bindOptions returns the app's binding settings, overridden by the route's.
func (c *Context) bindOptions() binding.Options {
	cfg := &c.app.cfg
	o := binding.Options{BodyLimit: cfg.bodyLimit, Strict: cfg.strictJSON, MaxDepth: cfg.maxJSONDepth, Codec: bodyDecoder(cfg.json)}
	if c.route != nil && c.route.bind != nil {
		o = c.route.bind.Apply(o)
	}
	return o
}

func routeBindOf(r *Route) *routeBind {
	r.mutable()
	if r.bind == nil {
		r.bind = &routeBind{}
	}
	return r.bind
}

// BodyLimit sets the route's limit on JSON and urlencoded bodies (default
// DefaultBodyLimit, or WithBodyLimit). Multipart bodies have MultipartLimits.
func BodyLimit(n int64) RouteOption { return func(r *Route) { routeBindOf(r).BodyLimit = &n } }

// DisallowUnknownFields makes the route answer 422 to a JSON body with
// fields its type does not declare (on) or accept them (off), whatever the
// app's WithDisallowUnknownFields says.
func DisallowUnknownFields(on bool) RouteOption {
	return func(r *Route) { routeBindOf(r).Strict = &on }
}

// MaxJSONDepth sets the route's nesting limit for JSON bodies.
func MaxJSONDepth(n int) RouteOption { return func(r *Route) { routeBindOf(r).MaxDepth = &n } }

// UploadLimits sets the route's multipart limits (zero fields take the defaults).
func UploadLimits(l MultipartLimits) RouteOption {
	return func(r *Route) { routeBindOf(r).multipart = &l }
}

// WithBodyLimit sets the app-wide limit on JSON and urlencoded bodies read
// by Bind and typed handlers (default DefaultBodyLimit, 4 MiB).
func WithBodyLimit(n int64) Option { return func(c *config) { c.bodyLimit = n } }

// WithDisallowUnknownFields makes JSON bodies with undeclared fields a 422
// in every route (off by default: unknown fields are ignored, as in
// encoding/json). The route option DisallowUnknownFields overrides it.
func WithDisallowUnknownFields(on bool) Option { return func(c *config) { c.strictJSON = on } }

// WithMaxJSONDepth sets the nesting limit of JSON bodies (default
// DefaultMaxJSONDepth); deeper documents are a 400.
func WithMaxJSONDepth(n int) Option { return func(c *config) { c.maxJSONDepth = n } }

// WithMultipartLimits sets the app-wide multipart limits.
func WithMultipartLimits(l MultipartLimits) Option { return func(c *config) { c.multipart = l } }

// WithOutputValidation checks typed handlers' outputs against their schema
// before sending; a failure is a 500 naming the rule in the log. For
// development and tests (off by default).
func WithOutputValidation(on bool) Option { return func(c *config) { c.validateOutput = on } }

// WithEncoders registers response encoders for typed handlers' outputs,
// chosen by the Accept header; JSON stays the default.
func WithEncoders(encs ...Encoder) Option {
	return func(c *config) { c.encoders = append(c.encoders, encs...) }
}

// Bind fills v, a pointer to a struct, from the request with the rules of
// typed inputs (see HandleTyped), defaults and validation. A failure is the
// error to return (400, 413, 415, or 422 listing every failing field).
func (c *Context) Bind(v any) error {
	ip, err := binding.InputTarget(v)
	if err != nil {
		return err
	}
	vs := binding.GetState()
	defer binding.PutState(vs)
	if ip.HasPath() && ip.PathIdx == nil { // resolved against this route's pattern
		var params []PathParam
		if c.route != nil {
			params = c.route.pat.params
		}
		ip, _ = ip.ResolvePath(len(params), func(j int) (string, bool) {
			return params[j].Name, params[j].Kind == ParamPath
		})
	}
	return c.bindInput(ip, v, vs)
}

// BindJSON decodes the JSON body into v (a pointer to any JSON type) and
// validates it with the tags of v's type, as a typed handler's Body.
func (c *Context) BindJSON(v any) error {
	tp, err := binding.JSONTarget("BindJSON", v)
	if err != nil {
		return err
	}
	r := c.Request()
	if mt := binding.MediaType(r); !binding.IsJSONMedia(mt) {
		return bindError(binding.UnsupportedMedia(mt, "application/json"))
	}
	o := c.bindOptions()
	bp, err := binding.ReadBody(r, o.BodyLimit)
	if err != nil {
		return bindError(err)
	}
	defer binding.PutBody(bp)
	if len(*bp) == 0 {
		return validationError([]FieldError{{Location: "body", Message: "a JSON body is required"}})
	}
	return decodeJSON(*bp, tp, v, o)
}

// stateError is the 422 listing the failures vs collected, or nil.
func stateError(vs *binding.State) error {
	if errs := vs.Errs(); len(errs) > 0 {
		return validationError(fieldErrors(errs))
	}
	return nil
}

// decodeJSON decodes and validates data into *v (plan tp).
func decodeJSON(data []byte, tp *binding.TypePlan, v any, o binding.Options) error {
	vs := binding.GetState()
	defer binding.PutState(vs)
	if err := binding.DecodeJSON(o.Codec, data, tp, v, vs, o); err != nil {
		return bindError(err)
	}
	return stateError(vs)
}

// BindQuery fills the query-tagged fields of v (a pointer to a struct), with
// defaults and validation; other fields are left alone.
func (c *Context) BindQuery(v any) error {
	ip, err := binding.InputTarget(v)
	if err != nil {
		return err
	}
	ps := ip.Params[binding.LocQuery]
	if ps == nil {
		return nil
	}
	vs := binding.GetState()
	defer binding.PutState(vs)
	if err := binding.BindQuery(ps, c.Request().URL.RawQuery, v, vs); err != nil {
		return bindError(err)
	}
	return stateError(vs)
}

// DecodeJSON decodes and validates data into v (a pointer to any JSON type)
// as a typed handler's Body, with the app's codec and settings, for JSON
// that is not a request body (WebSocket messages, queue payloads). A
// failure is an *Error: 400 for malformed JSON, 422 listing the fields.
func (a *App) DecodeJSON(data []byte, v any) error {
	tp, err := binding.JSONTarget("DecodeJSON", v)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return validationError([]FieldError{{Location: "body", Message: "a JSON value is required"}})
	}
	return decodeJSON(data, tp, v, binding.Options{Strict: a.cfg.strictJSON, MaxDepth: a.cfg.maxJSONDepth, Codec: bodyDecoder(a.cfg.json)})
}

// BindValues fills the query-tagged fields of v (a non-nil pointer to a
// struct) from values by parameter name, exactly as typed handlers bind
// query parameters (parsing, defaults, required and constraint tags), for
// code outside a request (the settings plugin). Failures come at once as a
// 422 *Error (Location "query"). A scalar takes its key's first value; a
// slice given an empty list is empty (no default).
func BindValues(v any, values map[string][]string) error {
	ip, err := binding.InputTarget(v)
	if err != nil {
		return err
	}
	vs := binding.GetState()
	defer binding.PutState(vs)
	ip.BindValues(values, v, vs)
	return stateError(vs)
}

// bindError turns the binder's refusals (400, 413, 415) into an *Error;
// other errors pass.
func bindError(err error) error {
	be, ok := err.(*binding.Error)
	if !ok {
		return err
	}
	e := &Error{Status: be.Status, Detail: be.Detail, cause: be.Cause}
	if be.Header != "" {
		e = e.WithHeader(be.Header, be.HeaderValue)
	}
	if be.Offset >= 0 {
		e = e.WithExtension("offset", be.Offset)
	}
	return e
}

// fieldErrors copies the binder's field errors (the pooled State's array)
// as FieldErrors, a conversion the compiler checks.
func fieldErrors(errs []binding.FieldError) []FieldError {
	out := make([]FieldError, len(errs))
	for i, e := range errs {
		out[i] = FieldError(e)
	}
	return out
}

// Body and query limits, re-exported from the binder.
const (
	// DefaultBodyLimit is the default limit of request bodies read by Bind
	// and typed handlers (multipart uploads have their own limits).
	DefaultBodyLimit = binding.DefaultBodyLimit
	// DefaultMaxJSONDepth is the default nesting limit of JSON bodies.
	DefaultMaxJSONDepth = binding.DefaultMaxJSONDepth
	// MaxQueryParams is the most parameters a query string or an urlencoded
	// form may hold; a request with more is answered 400.
	MaxQueryParams = binding.MaxQueryParams
)

func init() { binding.SetFileType(reflect.TypeFor[*File]()) }
