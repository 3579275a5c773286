package covet

import (
	"fmt"

	"reflect"
	"unsafe"
)

// routeBind holds a route's binding options; nil fields keep the app's.
type routeBind struct {
	bodyLimit *int64
	strict    *bool
	maxDepth  *int
	multipart *MultipartLimits
}

// bindOptions are the binding settings in force for one request.
type bindOptions struct {
	bodyLimit int64
	strict    bool
	maxDepth  int
}

func (c *Context) bindOptions() bindOptions {
	cfg := &c.app.cfg
	o := bindOptions{bodyLimit: cfg.bodyLimit, strict: cfg.strictJSON, maxDepth: cfg.maxJSONDepth}
	if c.route != nil && c.route.bind != nil {
		b := c.route.bind
		if b.bodyLimit != nil {
			o.bodyLimit = *b.bodyLimit
		}
		if b.strict != nil {
			o.strict = *b.strict
		}
		if b.maxDepth != nil {
			o.maxDepth = *b.maxDepth
		}
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
func BodyLimit(n int64) RouteOption {
	return func(r *Route) { routeBindOf(r).bodyLimit = &n }
}

// DisallowUnknownFields makes the route answer 422 to a JSON body with
// fields its type does not declare (on) or accept them (off), whatever the
// app's WithDisallowUnknownFields says.
func DisallowUnknownFields(on bool) RouteOption {
	return func(r *Route) { routeBindOf(r).strict = &on }
}

// MaxJSONDepth sets the route's nesting limit for JSON bodies.
func MaxJSONDepth(n int) RouteOption {
	return func(r *Route) { routeBindOf(r).maxDepth = &n }
}

// UploadLimits sets the route's multipart limits (zero fields take the defaults).
func UploadLimits(l MultipartLimits) RouteOption {
	return func(r *Route) { routeBindOf(r).multipart = &l }
}

// WithBodyLimit sets the app-wide limit on JSON and urlencoded request
// bodies read by Bind and typed handlers (default DefaultBodyLimit, 4 MiB).
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

// WithOutputValidation checks typed handlers' outputs against their own
// schema before sending them; a failure is a 500 that names the broken
// rule in the log. Meant for development and tests (off by default).
func WithOutputValidation(on bool) Option { return func(c *config) { c.validateOutput = on } }

// WithEncoders registers response encoders for typed handlers' outputs,
// chosen by the Accept header; JSON stays the default.
func WithEncoders(encs ...Encoder) Option {
	return func(c *config) { c.encoders = append(c.encoders, encs...) }
}

// Bind fills v, a pointer to a struct, from the request with the rules of
// typed inputs: path, query, header, cookie and form tags, a Body field or
// the struct itself as the JSON body, defaults, and validation. A failure is
// returned as the error to return from the handler (400, 413, 415 or 422
// with every failing field). Plans are compiled once per type and cached.
func (c *Context) Bind(v any) error {
	ip, p, err := bindTarget(v)
	if err != nil {
		return err
	}
	vs := validatePool.Get().(*validateState)
	vs.reset()
	defer validatePool.Put(vs)
	if ps := ip.params[locPath]; ps != nil && ip.pathIdx == nil {
		// Resolve path fields against this route's pattern.
		cp := *ip
		cp.pathIdx = make([]int, len(ps.fields))
		for i, f := range ps.fields {
			cp.pathIdx[i] = -1
			if c.route != nil {
				for j, pp := range c.route.pat.params {
					if pp.Name == f.name {
						cp.pathIdx[i] = j
					}
				}
			}
		}
		ip = &cp
	}
	return ip.bindAndValidate(c, p, v, vs)
}

func bindTarget(v any) (*inputPlan, unsafe.Pointer, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, nil, fmt.Errorf("covet: Bind needs a non-nil pointer to a struct, not %T", v)
	}
	ip, err := compileInput(rv.Type().Elem())
	if err != nil {
		return nil, nil, fmt.Errorf("covet: Bind %T: %w", v, err)
	}
	return ip, rv.UnsafePointer(), nil
}

// BindJSON decodes the JSON body into v (a pointer to any JSON type) and
// validates it with the tags of v's type, as a typed handler's Body.
func (c *Context) BindJSON(v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("covet: BindJSON needs a non-nil pointer, not %T", v)
	}
	tp, err := bodyPlan(rv.Type().Elem())
	if err != nil {
		return fmt.Errorf("covet: BindJSON %T: %w", v, err)
	}
	r := c.Request()
	if mt := mediaType(r); !isJSONMedia(mt) {
		return unsupportedMedia(mt, "application/json")
	}
	o := c.bindOptions()
	bp, err := readBody(r, o.bodyLimit)
	if err != nil {
		return err
	}
	defer putBody(bp)
	if len(*bp) == 0 {
		return validationError([]FieldError{{Location: "body", Message: "a JSON body is required"}})
	}
	vs := validatePool.Get().(*validateState)
	vs.reset()
	defer validatePool.Put(vs)
	if err := decodeJSON(c.app.cfg.json, *bp, tp, rv.UnsafePointer(), vs, jsonOptions{strict: o.strict, maxDepth: o.maxDepth}); err != nil {
		return err
	}
	if len(vs.errs) > 0 {
		return validationError(vs.errs)
	}
	return nil
}

// BindQuery fills the query-tagged fields of v (a pointer to a struct) from
// the query string, with defaults and validation; other locations are left alone.
func (c *Context) BindQuery(v any) error {
	ip, p, err := bindTarget(v)
	if err != nil {
		return err
	}
	ps := ip.params[locQuery]
	if ps == nil {
		return nil
	}
	vs := validatePool.Get().(*validateState)
	vs.reset()
	defer validatePool.Put(vs)
	seen, bad, err := bindQuery(ps, c.Request().URL.RawQuery, p, vs)
	if err != nil {
		return err
	}
	finishParams(ps, seen, bad, p, vs)
	if len(vs.errs) > 0 {
		return validationError(vs.errs)
	}
	return nil
}

// DecodeJSON decodes data into v (a pointer to any JSON type) and validates
// it with the tags of v's type, exactly as a typed handler's Body, with the
// app's JSON codec and its strictness and depth settings. It is for JSON that
// does not arrive as a request body (WebSocket messages, queue payloads). A
// failure is an *Error: 400 for malformed JSON, 422 listing every failing
// field (locations say "body").
func (a *App) DecodeJSON(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("covet: DecodeJSON needs a non-nil pointer, not %T", v)
	}
	tp, err := bodyPlan(rv.Type().Elem())
	if err != nil {
		return fmt.Errorf("covet: DecodeJSON %T: %w", v, err)
	}
	if len(data) == 0 {
		return validationError([]FieldError{{Location: "body", Message: "a JSON value is required"}})
	}
	vs := validatePool.Get().(*validateState)
	vs.reset()
	defer validatePool.Put(vs)
	if err := decodeJSON(a.cfg.json, data, tp, rv.UnsafePointer(), vs, jsonOptions{strict: a.cfg.strictJSON, maxDepth: a.cfg.maxJSONDepth}); err != nil {
		return err
	}
	if len(vs.errs) > 0 {
		return validationError(vs.errs)
	}
	return nil
}
