package openapi

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/schema"
)

// spec is a built document, independent of the OpenAPI version: the
// operations in route order, and the schema registry holding every
// component. It is rendered for 3.1 or 3.0.3 by render.
type spec struct {
	cfg     config
	ops     []*operation
	reg     *schema.Registry
	schemes map[string]covet.SecurityScheme
	tags    []Tag
	// problem and fieldError are refs to core's Problem and FieldError
	// components; validation is the ref of the 422 body, set once every
	// component name is known.
	problem, fieldError, validation *schema.Schema
	validationName                  string
	// skipped lists routes the document cannot hold, with the reason.
	skipped []Skipped
	// docs caches route docs by types: routes sharing input and output
	// types share them (core compiles an output plan on every call).
	docs map[docTypes]*schema.RouteDoc
}

type docTypes struct {
	in, out reflect.Type
	status  int
}

// Skipped is a route left out of a document, with the reason.
type Skipped struct {
	Route  covet.RouteInfo
	Reason string
}

// operation is one documented route.
type operation struct {
	ri          covet.RouteInfo
	method      string // lower case, as OpenAPI keys operations
	path        string // the OpenAPI path template
	id          string
	params      []schema.ParamDoc
	body        *schema.BodyDoc
	bodyExample *example
	responses   []*response
}

// response is one documented response of an operation.
type response struct {
	status      int
	description string
	media       []media
	headers     []schema.ParamDoc
}

// media is one content type of a response.
type media struct {
	contentType string
	schema      *schema.Schema
	example     *example
}

// openAPIMethods are the methods an OpenAPI path item can hold.
var openAPIMethods = map[string]bool{
	http.MethodGet: true, http.MethodPut: true, http.MethodPost: true, http.MethodDelete: true,
	http.MethodOptions: true, http.MethodHead: true, http.MethodPatch: true, http.MethodTrace: true,
}

// build assembles the document of routes: every route that is not hidden,
// described by core's schema registry.
func build(cfg config, routes []covet.RouteInfo, schemes map[string]covet.SecurityScheme) (*spec, error) {
	s := &spec{cfg: cfg, reg: schema.NewRegistry(""), schemes: schemes, docs: map[docTypes]*schema.RouteDoc{}}
	var err error
	if s.problem, err = s.reg.Schema(reflect.TypeFor[covet.Problem]()); err != nil {
		return nil, fmt.Errorf("openapi: problem schema: %w", err)
	}
	if s.fieldError, err = s.reg.Schema(reflect.TypeFor[covet.FieldError]()); err != nil {
		return nil, fmt.Errorf("openapi: field error schema: %w", err)
	}
	s.validation = &schema.Schema{}

	ids := map[string]*operation{}
	// Path templates by their shape (parameters blanked), to find routes
	// OpenAPI would see as the same path under different parameter names.
	shapes := map[string]string{}
	taken := map[string]*operation{} // method + template
	for i := range routes {
		ri := routes[i]
		if ri.Hidden {
			continue
		}
		if !openAPIMethods[ri.Method] {
			s.skipped = append(s.skipped, Skipped{ri, "OpenAPI has no operation for method " + ri.Method})
			continue
		}
		path, shape := pathTemplate(&ri)
		var rename map[string]string
		if prev, ok := shapes[shape]; ok && prev != path {
			// Same path for OpenAPI: use the first route's parameter names.
			path, rename = renameParams(prev, &ri)
		} else {
			shapes[shape] = path
		}
		key := ri.Method + " " + path
		if prev := taken[key]; prev != nil {
			s.skipped = append(s.skipped, Skipped{ri, fmt.Sprintf("OpenAPI cannot tell it from route %s (the same method on the same path)", prev.ri.String())})
			continue
		}
		op, err := s.operation(&ri, path, rename)
		if err != nil {
			return nil, err
		}
		taken[key] = op
		s.ops = append(s.ops, op)
	}
	// Operation ids: explicit ones and route names first, so that a derived
	// id never takes one of theirs; derived ids get a number when taken.
	for _, op := range s.ops {
		id := op.ri.OperationID
		if id == "" {
			id = op.ri.Name
		}
		if id == "" {
			continue
		}
		if prev := ids[id]; prev != nil {
			return nil, fmt.Errorf("openapi: route %s: operation id %q is already used by route %s", op.ri.String(), id, prev.ri.String())
		}
		op.id = id
		ids[id] = op
	}
	for _, op := range s.ops {
		if op.id != "" {
			continue
		}
		base := derivedID(op.method, op.path)
		id := base
		for n := 2; ids[id] != nil; n++ {
			id = base + strconv.Itoa(n)
		}
		op.id = id
		ids[id] = op
	}
	s.tags = s.collectTags()
	if err := s.checkSecurity(); err != nil {
		return nil, err
	}
	// Every component is registered now: name the 422 body.
	s.validationName = "ValidationProblem"
	names := s.reg.Names()
	for n := 2; slices.Contains(names, s.validationName); n++ {
		s.validationName = "ValidationProblem" + strconv.Itoa(n)
	}
	s.validation.Ref = "#/components/schemas/" + s.validationName
	return s, nil
}

// pathTemplate turns a Covet pattern into an OpenAPI path template ("{id:int}"
// becomes "{id}") and its shape (every parameter "{}").
func pathTemplate(ri *covet.RouteInfo) (path, shape string) {
	segs := strings.Split(ri.Pattern, "/")
	shapeSegs := make([]string, len(segs))
	for i, seg := range segs {
		shapeSegs[i] = seg
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name, _, _ := strings.Cut(seg[1:len(seg)-1], ":")
			segs[i] = "{" + name + "}"
			shapeSegs[i] = "{}"
		}
	}
	return strings.Join(segs, "/"), strings.Join(shapeSegs, "/")
}

// renameParams rewrites a route's parameter names to those of the template
// prev that has the same shape, in the route's path params too, and returns
// the renaming for the typed input's path fields.
func renameParams(prev string, ri *covet.RouteInfo) (string, map[string]string) {
	prevSegs := strings.Split(prev, "/")
	segs := strings.Split(ri.Pattern, "/")
	rename := map[string]string{}
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name, _, _ := strings.Cut(seg[1:len(seg)-1], ":")
			rename[name] = strings.Trim(prevSegs[i], "{}")
		}
	}
	params := slices.Clone(ri.Params)
	for i := range params {
		params[i].Name = rename[params[i].Name]
	}
	ri.Params = params
	return prev, rename
}

// derivedID derives an operation id from the method and path template:
// GET /users/{id}/posts is getUsersByIdPosts.
func derivedID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, seg := range strings.Split(path, "/") {
		if seg == "" {
			continue
		}
		if strings.HasPrefix(seg, "{") {
			b.WriteString("By")
			seg = strings.Trim(seg, "{}")
		}
		upper := true
		for _, r := range seg {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				upper = true
				continue
			}
			if upper {
				b.WriteRune(unicode.ToUpper(r))
				upper = false
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// operation documents one route.
func (s *spec) operation(ri *covet.RouteInfo, path string, rename map[string]string) (*operation, error) {
	op := &operation{ri: *ri, method: strings.ToLower(ri.Method), path: path}
	key := docTypes{ri.Input, ri.Output, ri.SuccessStatus}
	doc := s.docs[key]
	if doc == nil {
		var err error
		if doc, err = s.reg.Route(ri); err != nil {
			return nil, fmt.Errorf("openapi: route %s: %w", ri.String(), err)
		}
		s.docs[key] = doc
	}
	// Path parameters in pattern order, from the bound field when there is
	// one, else from the converter; then the other parameters.
	bound := map[string]schema.ParamDoc{}
	var others []schema.ParamDoc
	for _, p := range doc.Input.Params {
		if p.In == "path" {
			if n, ok := rename[p.Name]; ok {
				p.Name = n
			}
			bound[p.Name] = p
		} else {
			others = append(others, p)
		}
	}
	for _, pp := range ri.Params {
		p, ok := bound[pp.Name]
		if !ok {
			p = schema.ParamDoc{Name: pp.Name, In: "path", Schema: converterSchema(pp.Kind)}
		} else if narrowed := narrowByConverter(p.Schema, pp.Kind); narrowed != nil {
			p.Schema = narrowed
		}
		p.Required = true
		if pp.Kind == covet.ParamPath {
			p.Description = strings.TrimSpace(p.Description + " The rest of the path: it may contain slashes.")
		}
		op.params = append(op.params, p)
	}
	op.params = append(op.params, others...)
	op.body = doc.Input.Body

	if ex, ok := requestExampleKey.Get(ri); ok {
		if op.body == nil || !hasJSON(op.body.Content) {
			return nil, fmt.Errorf("openapi: route %s: RequestExample on a route without a JSON body", ri.String())
		}
		if err := s.checkExample(ri, "RequestExample", ex, jsonSchema(op.body.Content)); err != nil {
			return nil, err
		}
		op.bodyExample = &ex
	}

	// The success response: typed routes say it; a plain handler (no input,
	// no output, no status) is documented as 200 unless the route documents
	// its own success responses.
	typed := ri.Input != nil || ri.Output != nil || ri.SuccessStatus != 0
	documented := map[int]bool{}
	for _, rd := range ri.Responses {
		documented[rd.Status] = true
	}
	if typed {
		r := &response{status: doc.Output.Status, headers: doc.Output.Headers}
		if doc.Output.Body != nil {
			m := media{contentType: doc.Output.Body.ContentType, schema: doc.Output.Body.Schema}
			if ex, ok := responseExampleKey.Get(ri); ok {
				if err := s.checkExample(ri, "ResponseExample", ex, m.schema); err != nil {
					return nil, err
				}
				m.example = &ex
			}
			r.media = append(r.media, m)
		}
		if !documented[r.status] {
			op.responses = append(op.responses, r)
		}
	} else if !hasSuccess(ri.Responses) {
		op.responses = append(op.responses, &response{status: http.StatusOK})
	}
	if _, ok := responseExampleKey.Get(ri); ok && !typed {
		return nil, fmt.Errorf("openapi: route %s: ResponseExample on a route without a typed output", ri.String())
	}
	for _, rd := range ri.Responses {
		r := &response{status: rd.Status, description: rd.Description}
		for _, h := range rd.Headers {
			r.headers = append(r.headers, schema.ParamDoc{Name: h.Name, In: "header", Description: h.Description, Schema: &schema.Schema{Type: "string"}})
		}
		ct := rd.ContentType
		if ct == "" {
			ct = "application/json"
			if rd.Status >= 400 {
				ct = "application/problem+json"
			}
		}
		switch {
		case rd.Body != nil:
			sc, err := s.reg.Schema(reflect.TypeOf(rd.Body))
			if err != nil {
				return nil, fmt.Errorf("openapi: route %s: response %d: %w", ri.String(), rd.Status, err)
			}
			m := media{contentType: ct, schema: sc}
			if v := reflect.ValueOf(rd.Body); !v.IsZero() {
				m.example = &example{value: rd.Body}
			}
			r.media = append(r.media, m)
		case rd.Status >= 400:
			r.media = append(r.media, media{contentType: ct, schema: s.problem})
		}
		op.responses = append(op.responses, r)
	}
	if doc.Validates && !documented[http.StatusUnprocessableEntity] {
		op.responses = append(op.responses, &response{
			status:      http.StatusUnprocessableEntity,
			description: "The request does not validate: every failing field is listed in errors.",
			media:       []media{{contentType: "application/problem+json", schema: s.validation}},
		})
	}
	if op.body != nil {
		for _, e := range []struct {
			status int
			desc   string
		}{
			{http.StatusBadRequest, "The body is malformed."},
			{http.StatusRequestEntityTooLarge, "The body is larger than the route allows."},
			{http.StatusUnsupportedMediaType, "The body's Content-Type is not one the route reads."},
		} {
			if !documented[e.status] {
				op.responses = append(op.responses, &response{status: e.status, description: e.desc,
					media: []media{{contentType: "application/problem+json", schema: s.problem}}})
			}
		}
	}
	sort.SliceStable(op.responses, func(i, j int) bool { return op.responses[i].status < op.responses[j].status })
	for _, r := range op.responses {
		if r.description == "" {
			r.description = http.StatusText(r.status)
			if r.description == "" {
				r.description = "Status " + strconv.Itoa(r.status)
			}
		}
	}
	return op, nil
}

func hasSuccess(rs []covet.ResponseDoc) bool {
	for _, r := range rs {
		if r.Status >= 200 && r.Status < 300 {
			return true
		}
	}
	return false
}

func hasJSON(ms []schema.MediaDoc) bool { return jsonSchema(ms) != nil }

func jsonSchema(ms []schema.MediaDoc) *schema.Schema {
	for _, m := range ms {
		if m.ContentType == "application/json" {
			return m.Schema
		}
	}
	return nil
}

// checkExample refuses an example whose type is not the body's: its schema
// must be the body's.
func (s *spec) checkExample(ri *covet.RouteInfo, what string, ex example, body *schema.Schema) error {
	t := reflect.TypeOf(ex.value)
	if t == nil {
		return fmt.Errorf("openapi: route %s: %s(nil)", ri.String(), what)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	sc, err := s.reg.Schema(t)
	if err != nil {
		return fmt.Errorf("openapi: route %s: %s: %w", ri.String(), what, err)
	}
	a, b := *sc, *body
	a.Nullable, b.Nullable = false, false
	if a.String() != b.String() {
		return fmt.Errorf("openapi: route %s: %s is a %s, but the body's schema is %s", ri.String(), what, t, b.String())
	}
	return nil
}

// converterSchema is the schema of a path parameter no field binds.
func converterSchema(k covet.ParamKind) *schema.Schema {
	switch k {
	case covet.ParamInt:
		return &schema.Schema{Type: "integer", Minimum: new(float64)}
	case covet.ParamFloat:
		return &schema.Schema{Type: "number", Minimum: new(float64)}
	case covet.ParamUUID:
		return &schema.Schema{Type: "string", Format: "uuid"}
	}
	return &schema.Schema{Type: "string"}
}

// narrowByConverter documents what the route's converter lets through: only
// digits for {id:int} bound to a string, no negative number for {id:int}
// and {id:float} bound to a number, and so on. It returns a narrowed copy,
// or nil when there is nothing to add.
func narrowByConverter(sc *schema.Schema, k covet.ParamKind) *schema.Schema {
	if (sc.Type == "integer" || sc.Type == "number") && (k == covet.ParamInt || k == covet.ParamFloat) {
		// The converters take no sign: {id:int} bound to an int field
		// was documented as any integer, and a client sending -5 got a
		// 404 from the router.
		if sc.Minimum != nil && *sc.Minimum >= 0 || sc.ExclusiveMinimum != nil && *sc.ExclusiveMinimum >= 0 {
			return nil
		}
		cp := *sc
		cp.Minimum = new(float64)
		return &cp
	}
	if sc.Type != "string" || sc.Pattern != "" {
		return nil
	}
	cp := *sc
	switch {
	case k == covet.ParamInt:
		cp.Pattern = "^[0-9]+$"
	case k == covet.ParamFloat:
		cp.Pattern = `^[0-9]+(\.[0-9]+)?$`
	case k == covet.ParamUUID && sc.Format == "":
		cp.Format = "uuid"
	default:
		return nil
	}
	return &cp
}

// collectTags lists the described tags, then the others in first use order.
func (s *spec) collectTags() []Tag {
	out := slices.Clone(s.cfg.tags)
	seen := map[string]bool{}
	for _, t := range out {
		seen[t.Name] = true
	}
	for _, op := range s.ops {
		for _, t := range op.ri.Tags {
			if !seen[t] {
				seen[t] = true
				out = append(out, Tag{Name: t})
			}
		}
	}
	return out
}

// checkSecurity refuses a requirement naming a scheme the app did not register.
func (s *spec) checkSecurity() error {
	for _, op := range s.ops {
		for _, req := range op.ri.Security {
			if _, ok := s.schemes[req.Scheme]; !ok && req.Scheme != "" {
				return fmt.Errorf("openapi: route %s: security scheme %q is not registered (app.SecurityScheme)", op.ri.String(), req.Scheme)
			}
		}
	}
	return nil
}
