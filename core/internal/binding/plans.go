package binding

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"reflect"
	"strconv"
	"sync"

	irouter "github.com/covetgo/covet/core/internal/router"
)

// InputPlan is the compiled plan of a typed handler's input struct.
type InputPlan struct {
	T      reflect.Type
	Params [LocForm + 1]*ParamSet // by location; nil when none
	// path maps each path field to its position among the route's parameters.
	PathIdx []int
	// body: the Body field, or the whole struct (bodySelf), or nothing.
	Body         *FieldPlan
	BodySelf     bool
	BodyPlan     *TypePlan
	BodyRequired bool
	// form: form fields (urlencoded or multipart), with files.
	Form      *ParamSet
	FormFiles []*FieldPlan
	Validate  bool // *In has a Validate() error method
	// pathRest: the path parameter at PathIdx[i] takes the rest of the path.
	pathRest []bool
}

// hasBody reports whether the input reads a request body.
func (ip *InputPlan) hasBody() bool { return ip.BodyPlan != nil || ip.Form != nil }

var inputPlans sync.Map // reflect.Type → *inputPlan (or error)

type planResult struct {
	p   *InputPlan
	err error
}

// CompileInput compiles (once per type) the plan of an input struct.
func CompileInput(t reflect.Type) (*InputPlan, error) {
	if v, ok := inputPlans.Load(t); ok {
		r := v.(planResult)
		return r.p, r.err
	}
	p, err := buildInput(t, nil)
	inputPlans.Store(t, planResult{p, err})
	return p, err
}

// providedKey identifies the plan of an input type compiled with some of
// its fields filled by providers.
type providedKey struct {
	t   reflect.Type
	idx string // the provided field indices: ",1,3"
}

// CompileInputProvided compiles (once per type and set of fields) the plan
// of an input struct whose fields at the indices provided are filled by
// dependency providers instead of the request: they are neither bound nor
// documented, and their presence makes the struct an envelope (the other
// fields need location tags or are the Body), so a JSON body can never set
// them. With no provided field it is CompileInput.
func CompileInputProvided(t reflect.Type, provided []int) (*InputPlan, error) {
	if len(provided) == 0 {
		return CompileInput(t)
	}
	b := make([]byte, 0, 4*len(provided))
	for _, x := range provided {
		b = strconv.AppendInt(append(b, ','), int64(x), 10)
	}
	key := providedKey{t, string(b)}
	if v, ok := inputPlans.Load(key); ok {
		r := v.(planResult)
		return r.p, r.err
	}
	set := make(map[int]bool, len(provided))
	for _, x := range provided {
		set[x] = true
	}
	p, err := buildInput(t, set)
	inputPlans.Store(key, planResult{p, err})
	return p, err
}

func buildInput(t reflect.Type, provided map[int]bool) (*InputPlan, error) {
	if t.Kind() != reflect.Struct {
		return nil, fieldErr("", "input type %s must be a struct", t)
	}
	ip := &InputPlan{T: t}
	ip.Validate = reflect.PointerTo(t).Implements(validatorT)
	type located struct {
		sf reflect.StructField
		ft *fieldTags
	}
	var locs []located
	var bodyField *reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		ft, err := parseFieldTags(string(sf.Tag))
		if err != nil {
			return nil, fieldErr(sf.Name, "%v", err)
		}
		if provided[i] {
			if ft.hasLoc {
				return nil, fieldErr(sf.Name, "has a %s tag but its type %s is filled by a provider (covet.Provide): remove the tag", ft.Loc, sf.Type)
			}
			continue
		}
		switch {
		case ft.hasLoc:
			if !sf.IsExported() {
				return nil, fieldErr(sf.Name, "a %s parameter must be an exported field", ft.Loc)
			}
			if sf.Anonymous {
				return nil, fieldErr(sf.Name, "an embedded field cannot be a parameter")
			}
			locs = append(locs, located{sf, ft})
		case sf.Name == "Body" && sf.IsExported():
			bodyField = &sf
		}
	}
	if len(locs) == 0 && bodyField != nil && len(provided) == 0 && hasPlainFields(t) {
		// A struct with a Body field among other plain fields (a comment
		// with a "body" text) is a JSON body itself, not an envelope.
		bodyField = nil
	}
	if len(locs) == 0 && bodyField == nil && len(provided) == 0 {
		// The struct itself is the JSON body (when it has any field).
		bp, err := BodyPlan(t)
		if err != nil {
			return nil, err
		}
		if len(bp.Fields) > 0 {
			ip.BodySelf, ip.BodyPlan, ip.BodyRequired = true, bp, true
		}
		return ip, nil
	}
	// With location tags or a Body field, every other exported field must be
	// ignorable: refuse silently unbound fields.
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() && !sf.Anonymous || sf.Name == "Body" && bodyField != nil || provided[i] {
			continue
		}
		ft, _ := parseFieldTags(string(sf.Tag))
		if ft.hasLoc || ft.skip {
			continue
		}
		if sf.Anonymous { // exported or not: its tagged fields would go unbound
			return nil, fieldErr(sf.Name, "is embedded, and embedded structs are not flattened into parameters: declare its fields in the input, tag it json:\"-\" to leave it unbound, or register a provider for its type %s with covet.Provide before the route", sf.Type)
		}
		return nil, fieldErr(sf.Name, "has no location tag: tag it path, query, header, cookie or form, move it into the Body field, tag it json:\"-\" to leave it unbound, or register a provider for its type %s with covet.Provide before the route", sf.Type)
	}
	pc := &planCompiler{inProgress: map[reflect.Type]*TypePlan{}}
	names := map[string]string{} // "location name" -> Go field, for duplicates
	for _, l := range locs {
		if err := ip.addParam(pc, l.sf, l.ft, names); err != nil {
			return nil, err
		}
	}
	if bodyField != nil {
		if err := ip.setBody(bodyField); err != nil {
			return nil, err
		}
	}
	return ip, nil
}

// addParam compiles a located field (path, query, header, cookie or form)
// into its location's parameter set, or the form's files.
func (ip *InputPlan) addParam(pc *planCompiler, sf reflect.StructField, ft *fieldTags, names map[string]string) error {
	key := ft.Loc.String() + " " + ft.locName
	if ft.Loc == LocHeader {
		key = "header " + textproto.CanonicalMIMEHeaderKey(ft.locName)
	}
	if other, dup := names[key]; dup {
		return fieldErr(sf.Name, "%s parameter %q is also bound by field %s", ft.Loc, ft.locName, other)
	}
	names[key] = sf.Name
	f, err := pc.field(sf, ft, sf.Name, 0, []int{sf.Index[0]}, ft.Loc)
	if err != nil {
		return err
	}
	f.Name = ft.locName
	isFile := f.T.Kind == KindFile || f.T.Kind == KindFiles
	if isFile && f.Loc != LocForm {
		return fieldErr(sf.Name, "file fields must be form fields (form:\"name\")")
	}
	if !isFile && !paramKindOK(f.T, f.Loc != LocPath) {
		return fieldErr(sf.Name, "type %s cannot be a %s parameter (use a string, number, bool, time.Time, time.Duration, an encoding.TextUnmarshaler, a pointer to one%s)",
			sf.Type, f.Loc, map[bool]string{true: ", or a slice of them", false: ""}[f.Loc != LocPath])
	}
	// Parameters are optional unless required:"true"; path parameters always required.
	f.Required = ft.explicitRq > 0 || f.Loc == LocPath
	if f.Loc == LocPath && ft.explicitRq < 0 {
		return fieldErr(sf.Name, "path parameters are always required")
	}
	if f.Loc == LocPath && f.HasDefault {
		return fieldErr(sf.Name, "path parameters cannot have a default")
	}
	if f.Required && f.HasDefault {
		return fieldErr(sf.Name, `required:"true" and a default contradict each other`)
	}
	f.track = -1
	if f.Loc == LocHeader {
		f.Header = textproto.CanonicalMIMEHeaderKey(f.Name)
	}
	if isFile {
		f.Bit = 1 << len(ip.FormFiles)
		ip.FormFiles = append(ip.FormFiles, f)
		if ip.Form == nil {
			ip.Form = &ParamSet{}
		}
		return nil
	}
	set := &ip.Params[f.Loc]
	if f.Loc == LocForm {
		set = &ip.Form
	}
	if *set == nil {
		*set = &ParamSet{}
	}
	ps := *set
	if len(ps.Fields) >= 64 {
		return fieldErr(sf.Name, "more than 64 %s parameters", f.Loc)
	}
	f.Bit = 1 << len(ps.Fields)
	if f.Required {
		ps.Required |= f.Bit
	}
	ps.Fields = append(ps.Fields, f)
	return nil
}

// setBody compiles the input's Body field.
func (ip *InputPlan) setBody(bodyField *reflect.StructField) error {
	if ip.Form != nil {
		return fieldErr("Body", "an input cannot have both form fields and a Body field")
	}
	bt := bodyField.Type
	ip.BodyRequired = bt.Kind() != reflect.Pointer
	ft, err := parseFieldTags(string(bodyField.Tag))
	if err != nil {
		return fieldErr("Body", "%v", err)
	}
	if ft.explicitRq != 0 {
		ip.BodyRequired = ft.explicitRq > 0
	}
	bp, err := BodyPlan(bt)
	if err != nil {
		if pe, ok := err.(*planError); ok {
			pe.path = joinGoPath("Body", pe.path)
		}
		return err
	}
	ip.BodyPlan = bp
	ip.Body = &FieldPlan{GoName: "Body", Name: "body", Offset: bodyField.Offset, Index: bodyField.Index, T: bp, track: -1}
	ip.Body.Doc, _ = ft.get("doc")
	return nil
}

// computeChecks sets tplan.check on newly compiled plans: whether
// validating a value of the type does anything. Plans already cached are
// final, so only the new ones (which may refer to each other, recursively)
// are iterated to a fixed point, before they are published.
func computeChecks(plans map[reflect.Type]*TypePlan) {
	for changed := true; changed; {
		changed = false
		for _, p := range plans {
			if p.check {
				continue
			}
			c := false
			switch p.Kind {
			case KindStruct:
				for _, f := range p.Fields {
					if f.Rules != nil || f.T.check {
						c = true
						break
					}
				}
			case KindPtr, KindSlice, KindArray, KindMap:
				c = p.Elem.check
			}
			if c {
				p.check, changed = true, true
			}
		}
	}
}

// OutputPlan is the compiled plan of a typed handler's output struct.
type OutputPlan struct {
	T        reflect.Type
	Empty    bool // struct{}: no body, 204
	Body     *FieldPlan
	BodySelf bool
	BodyPlan *TypePlan
	Headers  []*FieldPlan
	Status   *FieldPlan // Status int field
	Cookies  []*FieldPlan
	// statusMethod: *Out implements StatusCoder, which sets the status.
	StatusMethod bool
}

// hasPlainFields reports whether t has an exported field other than Body
// that is not a parameter (location tag), not a response field (header tag,
// Status int, cookies) and not skipped with json:"-".
func hasPlainFields(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() || sf.Name == "Body" {
			continue
		}
		ft, err := parseFieldTags(string(sf.Tag))
		if err != nil || ft.hasLoc || ft.skip {
			continue
		}
		if sf.Type == cookiePtrType || sf.Type == cookiesType || sf.Name == "Status" && sf.Type.Kind() == reflect.Int {
			continue
		}
		return true
	}
	return false
}

var outputPlans sync.Map // reflect.Type → planResult[*outputPlan]

// OutputPlanFor compiles an output type once and caches it.
func OutputPlanFor(t reflect.Type) (*OutputPlan, error) {
	if v, ok := outputPlans.Load(t); ok {
		r := v.(outputResult)
		return r.p, r.err
	}
	p, err := compileOutput(t)
	outputPlans.Store(t, outputResult{p, err})
	return p, err
}

type outputResult struct {
	p   *OutputPlan
	err error
}

// compileOutput builds an output plan. An output struct is an envelope —
// its Body field is the response body and its other fields set headers,
// status and cookies — when it has a Body field or response fields and no
// other plain field; otherwise the whole struct is the body (a model with a
// field named Body or Status stays a model).
func compileOutput(t reflect.Type) (*OutputPlan, error) {
	op := &OutputPlan{T: t}
	op.StatusMethod = reflect.PointerTo(t).Implements(statusCoderT)
	if t.Kind() != reflect.Struct {
		// Slices, maps and other JSON values are the body themselves.
		bp, err := BodyPlan(t)
		if err != nil {
			return nil, err
		}
		op.BodySelf, op.BodyPlan = true, bp
		return op, nil
	}
	if t.NumField() == 0 {
		op.Empty = true
		return op, nil
	}
	var special bool
	plain := hasPlainFields(t)
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		if plain && sf.Name == "Body" {
			continue // a model's field named Body
		}
		ft, err := parseFieldTags(string(sf.Tag))
		if err != nil {
			return nil, fieldErr(sf.Name, "%v", err)
		}
		switch {
		case ft.hasLoc && ft.Loc == LocHeader:
			special = true
			tp, err := (&planCompiler{inProgress: map[reflect.Type]*TypePlan{}}).compile(sf.Type, sf.Name)
			if err != nil {
				return nil, err
			}
			if !paramKindOK(tp, true) {
				return nil, fieldErr(sf.Name, "type %s cannot be a response header", sf.Type)
			}
			f := &FieldPlan{GoName: sf.Name, Name: http.CanonicalHeaderKey(ft.locName), Offset: sf.Offset, T: tp, Loc: LocHeader, track: -1}
			f.Doc, _ = ft.get("doc")
			op.Headers = append(op.Headers, f)
		case ft.hasLoc:
			return nil, fieldErr(sf.Name, "%s tag on an output field (outputs may set headers only)", ft.Loc)
		case sf.Type == cookiePtrType || sf.Type == cookiesType:
			special = true
			op.Cookies = append(op.Cookies, &FieldPlan{GoName: sf.Name, Offset: sf.Offset, track: -1, T: &TypePlan{T: sf.Type}})
		case sf.Name == "Status" && sf.Type.Kind() == reflect.Int:
			op.Status = &FieldPlan{GoName: sf.Name, Offset: sf.Offset, track: -1}
		case sf.Name == "Body":
			special = true
			bp, err := BodyPlan(sf.Type)
			if err != nil {
				return nil, err
			}
			op.BodyPlan = bp
			op.Body = &FieldPlan{GoName: "Body", Offset: sf.Offset, T: bp, track: -1}
		}
	}
	if plain && special {
		return nil, fieldErr("", "output %s mixes response fields (header tags, cookies) with body fields: put the body in a field named Body", t)
	}
	if !special {
		// The struct itself is the body (a Status field included, if any:
		// name it otherwise or add a Body field to set the status).
		op.Status = nil
		bp, err := BodyPlan(t)
		if err != nil {
			return nil, err
		}
		op.BodySelf, op.BodyPlan = true, bp
	}
	return op, nil
}

// PathParam is a parameter of a route pattern, for CompileRoute.
type PathParam struct {
	Name string
	Rest bool // {name:path}
}

// CompileRoute compiles a typed route's input (the fields at provided are
// filled by dependency providers) and output plans. params are the
// pattern's parameters, which the input's path fields must name; with
// known false (the pattern did not parse) they are not checked. The error
// names the input, the output or the missing field.
func CompileRoute(inT, outT reflect.Type, provided []int, params []PathParam, known bool) (*InputPlan, *OutputPlan, error) {
	ip, err := CompileInputProvided(inT, provided)
	if err != nil {
		return nil, nil, fmt.Errorf("input %s: %v", inT, err)
	}
	op, err := OutputPlanFor(outT)
	if err != nil {
		return nil, nil, fmt.Errorf("output %s: %v", outT, err)
	}
	if known && ip.HasPath() {
		var missing string
		ip, missing = ip.ResolvePath(len(params), func(j int) (string, bool) { return params[j].Name, params[j].Rest })
		if missing != "" {
			return nil, nil, fmt.Errorf("field %s is not in the pattern", missing)
		}
	}
	return ip, op, nil
}

// RouteParams lists the parameters of a route pattern, for CompileRoute;
// ok is false when the pattern does not parse (the route's registration
// reports that).
func RouteParams(pattern string) (params []PathParam, ok bool) {
	p, err := irouter.Parse(pattern)
	if err != nil {
		return nil, false
	}
	for _, pp := range p.Params {
		params = append(params, PathParam{Name: pp.Name, Rest: pp.Kind == irouter.Path})
	}
	return params, true
}

// CompileProviderInput compiles the input of a dependency provider
// (covet.ProvideIn): the fields at provided are filled by other providers,
// and the others may only be parameters (query, header, cookie): a body
// or path fields are refused.
func CompileProviderInput(t reflect.Type, provided []int) (*InputPlan, error) {
	ip, err := CompileInputProvided(t, provided)
	switch {
	case err != nil:
		return nil, err
	case ip.HasBody():
		return nil, errors.New("a provider's input takes parameters only, not a body (tag its fields query, header, cookie or path)")
	case ip.HasPath():
		// Path fields bind by name: resolved against each request's route.
		return nil, errors.New("a provider's input has no path fields: read path parameters with c.Param in the provider")
	}
	return ip, nil
}
