package covet

import (
	"net/http"
	"net/textproto"
	"reflect"
	"sync"
)

// inputPlan is the compiled plan of a typed handler's input struct.
type inputPlan struct {
	t      reflect.Type
	params [locForm + 1]*paramSet // by location; nil when none
	// path maps each path field to its position among the route's parameters.
	pathIdx []int
	// body: the Body field, or the whole struct (bodySelf), or nothing.
	body         *fplan
	bodySelf     bool
	bodyPlan     *tplan
	bodyRequired bool
	// form: form fields (urlencoded or multipart), with files.
	form      *paramSet
	formFiles []*fplan
	validate  bool // *In has a Validate() error method
}

// hasBody reports whether the input reads a request body.
func (ip *inputPlan) hasBody() bool { return ip.bodyPlan != nil || ip.form != nil }

var inputPlans sync.Map // reflect.Type → *inputPlan (or error)

type planResult struct {
	p   *inputPlan
	err error
}

// compileInput compiles (once per type) the plan of an input struct.
func compileInput(t reflect.Type) (*inputPlan, error) {
	if v, ok := inputPlans.Load(t); ok {
		r := v.(planResult)
		return r.p, r.err
	}
	p, err := buildInput(t)
	inputPlans.Store(t, planResult{p, err})
	return p, err
}

func buildInput(t reflect.Type) (*inputPlan, error) {
	if t.Kind() != reflect.Struct {
		return nil, fieldErr("", "input type %s must be a struct", t)
	}
	ip := &inputPlan{t: t}
	ip.validate = reflect.PointerTo(t).Implements(validatorT)
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
		switch {
		case ft.hasLoc:
			if !sf.IsExported() {
				return nil, fieldErr(sf.Name, "a %s parameter must be an exported field", ft.loc)
			}
			if sf.Anonymous {
				return nil, fieldErr(sf.Name, "an embedded field cannot be a parameter")
			}
			locs = append(locs, located{sf, ft})
		case sf.Name == "Body" && sf.IsExported():
			bodyField = &sf
		}
	}
	if len(locs) == 0 && bodyField != nil && hasPlainFields(t) {
		// A struct with a Body field among other plain fields (a comment
		// with a "body" text) is a JSON body itself, not an envelope.
		bodyField = nil
	}
	if len(locs) == 0 && bodyField == nil {
		// The struct itself is the JSON body (when it has any field).
		bp, err := bodyPlan(t)
		if err != nil {
			return nil, err
		}
		if len(bp.fields) > 0 {
			ip.bodySelf, ip.bodyPlan, ip.bodyRequired = true, bp, true
		}
		return ip, nil
	}
	// With location tags or a Body field, every other exported field must be
	// ignorable: refuse silently unbound fields.
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() || sf.Name == "Body" {
			continue
		}
		ft, _ := parseFieldTags(string(sf.Tag))
		if ft.hasLoc || ft.skip {
			continue
		}
		return nil, fieldErr(sf.Name, "has no location tag: tag it path, query, header, cookie or form, move it into the Body field, or tag it json:\"-\" to leave it unbound")
	}
	pc := &planCompiler{inProgress: map[reflect.Type]*tplan{}}
	names := map[string]string{}
	for _, l := range locs {
		key := l.ft.loc.String() + " " + l.ft.locName
		if l.ft.loc == locHeader {
			key = "header " + textproto.CanonicalMIMEHeaderKey(l.ft.locName)
		}
		if other, dup := names[key]; dup {
			return nil, fieldErr(l.sf.Name, "%s parameter %q is also bound by field %s", l.ft.loc, l.ft.locName, other)
		}
		names[key] = l.sf.Name
		f, err := pc.field(l.sf, l.ft, l.sf.Name, 0, []int{l.sf.Index[0]}, l.ft.loc)
		if err != nil {
			return nil, err
		}
		f.name = l.ft.locName
		isFile := f.t.kind == vkFile || f.t.kind == vkFiles
		if isFile && f.loc != locForm {
			return nil, fieldErr(l.sf.Name, "file fields must be form fields (form:\"name\")")
		}
		if !isFile && !paramKindOK(f.t, f.loc != locPath) {
			return nil, fieldErr(l.sf.Name, "type %s cannot be a %s parameter (use a string, number, bool, time.Time, time.Duration, an encoding.TextUnmarshaler, a pointer to one%s)",
				l.sf.Type, f.loc, map[bool]string{true: ", or a slice of them", false: ""}[f.loc != locPath])
		}
		// Parameters are optional unless required:"true"; path parameters always required.
		f.required = l.ft.explicitRq > 0 || f.loc == locPath
		if f.loc == locPath && l.ft.explicitRq < 0 {
			return nil, fieldErr(l.sf.Name, "path parameters are always required")
		}
		if f.loc == locPath && f.hasDefault {
			return nil, fieldErr(l.sf.Name, "path parameters cannot have a default")
		}
		if f.required && f.hasDefault {
			return nil, fieldErr(l.sf.Name, `required:"true" and a default contradict each other`)
		}
		f.track = -1
		if f.loc == locHeader {
			f.header = textproto.CanonicalMIMEHeaderKey(f.name)
		}
		if isFile {
			f.bit = 1 << len(ip.formFiles)
			ip.formFiles = append(ip.formFiles, f)
			if ip.form == nil {
				ip.form = &paramSet{}
			}
			continue
		}
		set := &ip.params[f.loc]
		if f.loc == locForm {
			set = &ip.form
		}
		if *set == nil {
			*set = &paramSet{}
		}
		ps := *set
		if len(ps.fields) >= 64 {
			return nil, fieldErr(l.sf.Name, "more than 64 %s parameters", f.loc)
		}
		f.bit = 1 << len(ps.fields)
		if f.required {
			ps.required |= f.bit
		}
		ps.fields = append(ps.fields, f)
	}
	if bodyField != nil {
		if ip.form != nil {
			return nil, fieldErr("Body", "an input cannot have both form fields and a Body field")
		}
		bt := bodyField.Type
		ip.bodyRequired = bt.Kind() != reflect.Pointer
		ft, err := parseFieldTags(string(bodyField.Tag))
		if err != nil {
			return nil, fieldErr("Body", "%v", err)
		}
		if ft.explicitRq != 0 {
			ip.bodyRequired = ft.explicitRq > 0
		}
		bp, err := bodyPlan(bt)
		if err != nil {
			if pe, ok := err.(*planError); ok {
				pe.path = joinGoPath("Body", pe.path)
			}
			return nil, err
		}
		ip.bodyPlan = bp
		ip.body = &fplan{goName: "Body", name: "body", offset: bodyField.Offset, index: bodyField.Index, t: bp, track: -1}
		ip.body.doc, _ = ft.get("doc")
	}
	return ip, nil
}

// computeChecks sets tplan.check on newly compiled plans: whether
// validating a value of the type does anything. Plans already cached are
// final, so only the new ones (which may refer to each other, recursively)
// are iterated to a fixed point, before they are published.
func computeChecks(plans map[reflect.Type]*tplan) {
	for changed := true; changed; {
		changed = false
		for _, p := range plans {
			if p.check {
				continue
			}
			c := false
			switch p.kind {
			case vkStruct:
				for _, f := range p.fields {
					if f.rules != nil || f.t.check {
						c = true
						break
					}
				}
			case vkPtr, vkSlice, vkArray, vkMap:
				c = p.elem.check
			}
			if c {
				p.check, changed = true, true
			}
		}
	}
}

// outputPlan is the compiled plan of a typed handler's output struct.
type outputPlan struct {
	t        reflect.Type
	empty    bool // struct{}: no body, 204
	body     *fplan
	bodySelf bool
	bodyPlan *tplan
	headers  []*fplan
	status   *fplan // Status int field
	cookies  []*fplan
	// statusMethod: *Out implements StatusCoder, which sets the status.
	statusMethod bool
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

// outputPlanFor compiles an output type once and caches it.
func outputPlanFor(t reflect.Type) (*outputPlan, error) {
	if v, ok := outputPlans.Load(t); ok {
		r := v.(outputResult)
		return r.p, r.err
	}
	p, err := compileOutput(t)
	outputPlans.Store(t, outputResult{p, err})
	return p, err
}

type outputResult struct {
	p   *outputPlan
	err error
}

// compileOutput builds an output plan. An output struct is an envelope —
// its Body field is the response body and its other fields set headers,
// status and cookies — when it has a Body field or response fields and no
// other plain field; otherwise the whole struct is the body (a model with a
// field named Body or Status stays a model).
func compileOutput(t reflect.Type) (*outputPlan, error) {
	op := &outputPlan{t: t}
	op.statusMethod = reflect.PointerTo(t).Implements(reflect.TypeFor[StatusCoder]())
	if t.Kind() != reflect.Struct {
		// Slices, maps and other JSON values are the body themselves.
		bp, err := bodyPlan(t)
		if err != nil {
			return nil, err
		}
		op.bodySelf, op.bodyPlan = true, bp
		return op, nil
	}
	if t.NumField() == 0 {
		op.empty = true
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
		case ft.hasLoc && ft.loc == locHeader:
			special = true
			tp, err := (&planCompiler{inProgress: map[reflect.Type]*tplan{}}).compile(sf.Type, sf.Name)
			if err != nil {
				return nil, err
			}
			if !paramKindOK(tp, true) {
				return nil, fieldErr(sf.Name, "type %s cannot be a response header", sf.Type)
			}
			f := &fplan{goName: sf.Name, name: http.CanonicalHeaderKey(ft.locName), offset: sf.Offset, t: tp, loc: locHeader, track: -1}
			f.doc, _ = ft.get("doc")
			op.headers = append(op.headers, f)
		case ft.hasLoc:
			return nil, fieldErr(sf.Name, "%s tag on an output field (outputs may set headers only)", ft.loc)
		case sf.Type == cookiePtrType || sf.Type == cookiesType:
			special = true
			op.cookies = append(op.cookies, &fplan{goName: sf.Name, offset: sf.Offset, track: -1, t: &tplan{t: sf.Type}})
		case sf.Name == "Status" && sf.Type.Kind() == reflect.Int:
			op.status = &fplan{goName: sf.Name, offset: sf.Offset, track: -1}
		case sf.Name == "Body":
			special = true
			bp, err := bodyPlan(sf.Type)
			if err != nil {
				return nil, err
			}
			op.bodyPlan = bp
			op.body = &fplan{goName: "Body", offset: sf.Offset, t: bp, track: -1}
		}
	}
	if plain && special {
		return nil, fieldErr("", "output %s mixes response fields (header tags, cookies) with body fields: put the body in a field named Body", t)
	}
	if !special {
		// The struct itself is the body (a Status field included, if any:
		// name it otherwise or add a Body field to set the status).
		op.status = nil
		bp, err := bodyPlan(t)
		if err != nil {
			return nil, err
		}
		op.bodySelf, op.bodyPlan = true, bp
	}
	return op, nil
}
